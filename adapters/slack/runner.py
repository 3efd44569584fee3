"""Running the Slack app: Socket Mode (default; no public URL needed) or HTTP.

HTTP mode serves the Bolt app through ``slack_bolt.adapter.wsgi.SlackRequestHandler``
on a threaded stdlib ``wsgiref`` server at ``/slack/events`` (events, the slash command
and button clicks share the one URL), with ``GET /healthz`` for load balancers (200 only
once the index is loaded, 503 while loading or shutting down) and ``GET /metrics`` for
Prometheus. The server starts before the index loads, so a load balancer sees a live
process that is not ready yet. Put it behind the trust's TLS reverse proxy; Slack only
calls ``https://`` URLs.

Shutdown (``stop`` set, e.g. by SIGTERM through :func:`stop_on_sigterm`) is graceful in
both modes: health turns 503, no new requests are taken, requests in progress get their
acknowledgement, queued listener work gets up to ``drain_seconds`` to finish, then the
audit store writes what waits on an outage. Anything left is logged as a count.

Both modes hold the SDK loggers at INFO or above (they log bodies at DEBUG) and read
credentials from the environment only, through :class:`bot.config.Settings`.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from adapters.slack import gate
from adapters.slack.app import build_app, make_durable, make_work_queue
from adapters.slack.client import api_base_url
from adapters.slack.work import Pending, WorkQueue
from bot import ConfigError, Durable, GmcbotError, Settings, quiet_body_loggers

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from bot import GuidanceBot

log = logging.getLogger("adapters.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; refuse anything bigger
DRAIN_SECONDS = 20.0  # how long queued work may run on at shutdown (systemd waits 90 s by default)
REQUEST_GRACE_SECONDS = 5.0  # how long requests already accepted may take to be answered at shutdown


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per connection (each is brief: Bolt answers after the acknowledgement),
    a listen backlog for bursts from many senders (the stdlib default is 5), and a count
    of connections being served, from accept to the last byte, for shutdown to wait on."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512
    in_flight: Pending

    def process_request(self, request: Any, client_address: Any) -> None:
        self.in_flight.begin()  # counted before the thread starts; the thread ends it
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.in_flight.end()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.in_flight.end()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("slack http %s", format % args)  # request line and status only


def health(bot: GuidanceBot | None, stopping: threading.Event | None = None) -> tuple[bool, str]:
    """(ready, reason): ready once the index is loaded and until shutdown starts."""
    if stopping is not None and stopping.is_set():
        return False, "shutting down"
    if bot is not None and not bot.ready:
        return False, "loading the index"
    return True, ""


def wsgi_app(
    app: App, bot: GuidanceBot | None = None, stopping: threading.Event | None = None, signing_secret: str = ""
) -> WSGIApplication:
    """Bolt at :data:`EVENTS_PATH` behind :mod:`adapters.slack.gate` (signature checked
    before the body is parsed: 401, 400), health (readiness of ``bot``; 503 once
    ``stopping`` is set) and ``bot``'s metrics, and a size limit on bodies. Each Slack
    request's time to acknowledgement is observed in ``bot.metrics``. ``signing_secret``
    defaults to ``bot.settings.slack_signing_secret``."""
    handler = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = signing_secret or (bot.settings.slack_signing_secret if bot is not None else "")
    ack_seconds = bot.metrics.ack_seconds.labels("slack") if bot is not None else None

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            ready, reason = health(bot, stopping)
            start_response("200 OK" if ready else "503 Service Unavailable", [("Content-Type", "application/json")])
            body = {"ok": ready, "ready": ready, **({"reason": reason} if reason else {})}
            return [json.dumps(body).encode()]
        if path == METRICS_PATH and method == "GET" and bot is not None:
            data, content_type = bot.metrics.render()
            start_response("200 OK", [("Content-Type", content_type)])
            return [data]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
            return [b"payload too large"]
        started = time.perf_counter()
        if path == EVENTS_PATH and method == "POST":
            raw: bytes = environ["wsgi.input"].read(length) if length else b""
            headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")} | {
                "content-type": str(environ.get("CONTENT_TYPE") or "")
            }
            refusal = gate.check(secret, raw, headers)
            if refusal is not None:
                start_response(refusal.status, [("Content-Type", "text/plain")])
                return [refusal.body]
            environ["wsgi.input"] = io.BytesIO(raw)

        def timed_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if ack_seconds is not None:
                ack_seconds.observe(time.perf_counter() - started)
            return start_response(status, headers, exc_info)

        return handler(environ, timed_start)

    return application


def make_http_server(
    app: App,
    host: str = "127.0.0.1",
    port: int = 3000,
    bot: GuidanceBot | None = None,
    stopping: threading.Event | None = None,
    in_flight: Pending | None = None,
    signing_secret: str = "",
) -> WSGIServer:
    """A threaded HTTP server for ``app`` (``port`` 0 picks a free port; see
    ``server.server_port``), with health and metrics for ``bot`` when given (see
    :func:`wsgi_app`). Call ``serve_forever()`` and later ``shutdown()``."""
    server = make_server(
        host,
        port,
        wsgi_app(app, bot, stopping, signing_secret),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    server.in_flight = in_flight or Pending()
    return server


def stop_on_sigterm(stop: threading.Event) -> None:
    """Make SIGTERM (systemd, Kubernetes, a rolling restart) set ``stop``, for a graceful
    shutdown. Only the main thread can install signal handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_sigterm(signum: int, frame: object) -> None:
        log.info("slack adapter: SIGTERM received, shutting down gracefully")
        stop.set()

    signal.signal(signal.SIGTERM, on_sigterm)


def check_credentials(settings: Settings, http: bool) -> None:
    """Clear errors for missing or misplaced credentials, before any network call."""
    if not settings.slack_bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the "
            "app's OAuth & Permissions page into the environment (see docs/slack.md)"
        )
    if http and not settings.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information > App "
            "Credentials) to verify that requests come from Slack"
        )
    if not http and not settings.slack_app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN is not set to an app-level token (xapp-...): Socket Mode needs one "
            "with the connections:write scope (Basic Information > App-Level Tokens), or run "
            "`gmcbot serve slack --http`"
        )


def connect_app(
    bot: GuidanceBot,
    settings: Settings,
    socket_mode: bool,
    work: WorkQueue | None = None,
    durable: Durable | None = None,
) -> App:
    """``build_app`` with Slack's start-up failures turned into clear errors."""
    try:
        return build_app(bot, settings, socket_mode=socket_mode, work=work, durable=durable)
    except BoltError:
        raise GmcbotError(
            f"Slack rejected SLACK_BOT_TOKEN at {api_base_url(settings)}auth.test; check the "
            "token (xoxb-...) and that the app is installed in the workspace"
        ) from None
    except (SlackClientError, OSError) as exc:
        raise GmcbotError(
            f"cannot reach the Slack API at {api_base_url(settings)} "
            f"({type(exc).__name__}); check the network or GMCBOT_SLACK_API_URL"
        ) from None


class SlackAdapter:
    """The :class:`adapters.base.Adapter` for Slack: Socket Mode, or HTTP when ``http``."""

    name = "slack"

    def __init__(
        self,
        settings: Settings,
        http: bool = False,
        host: str = "127.0.0.1",
        port: int = 3000,
        on_ready: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
        drain_seconds: float = DRAIN_SECONDS,
        on_listening: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.http = http
        self.host = host
        self.port = port
        self.on_ready = on_ready or (lambda where: log.info("slack adapter ready: %s", where))
        self.on_listening = on_listening
        self.stop = stop or threading.Event()
        self.drain_seconds = drain_seconds

    def run(self, bot: GuidanceBot) -> None:
        """Serve until ``stop`` is set (or the process is interrupted), then shut down
        gracefully (see the module's docstring)."""
        quiet_body_loggers()
        check_credentials(self.settings, self.http)
        work = make_work_queue(bot)
        durable = make_durable(bot, self.settings)
        app = connect_app(bot, self.settings, socket_mode=not self.http, work=work, durable=durable)
        try:
            if self.http:
                self._serve_http(app, bot, durable)
            else:
                self._serve_socket_mode(app, bot, durable)
        finally:
            self._finish(work, bot, durable)

    def _serve_http(self, app: App, bot: GuidanceBot, durable: Durable) -> None:
        in_flight = Pending()
        server = make_http_server(
            app,
            self.host,
            self.port,
            bot=bot,
            stopping=self.stop,
            in_flight=in_flight,
            signing_secret=self.settings.slack_signing_secret,
        )
        bot.metrics.ready.set_function(lambda: float(health(bot, self.stop)[0]))
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="gmcbot-slack-http", daemon=True
        )
        thread.start()
        where = f"http://{self.host}:{server.server_port}{EVENTS_PATH}"
        try:
            if self.on_listening is not None:
                self.on_listening(where)
            bot.warm_up(screening=True)  # /healthz answers 503 until this is done
            durable.start()  # replays jobs a crash left behind, once the model is loaded
            self.on_ready(where)
            self._wait_for_stop()
        finally:
            self.stop.set()  # health answers 503 from here on
            server.shutdown()  # no new connections are taken
            left = in_flight.wait_idle(REQUEST_GRACE_SECONDS)
            if left:
                log.error("slack adapter: %d request(s) still unanswered at shutdown", left)
            server.server_close()

    def _serve_socket_mode(self, app: App, bot: GuidanceBot, durable: Durable) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, app_token=self.settings.slack_app_token)
        bot.warm_up(screening=True)
        durable.start()
        try:
            handler.connect()
        except (SlackClientError, OSError) as exc:
            raise GmcbotError(
                f"cannot open a Socket Mode connection ({type(exc).__name__}); check "
                "SLACK_APP_TOKEN and that Socket Mode is enabled for the app"
            ) from None
        self.on_ready("Socket Mode")
        try:
            self._wait_for_stop()
        finally:
            handler.close()

    def _wait_for_stop(self) -> None:
        """Block until ``stop`` is set, waking twice a second: a signal delivered to
        another thread only runs its Python handler once the main thread runs again."""
        while not self.stop.wait(0.5):
            pass

    def _finish(self, work: WorkQueue, bot: GuidanceBot, durable: Durable) -> None:
        """Let queued work finish (bounded), stop renewing leases (jobs left unfinished
        stay stored and are replayed after their lease expires), then have the store
        write what waits."""
        started = time.monotonic()
        pending = work.active
        unfinished = work.drain(self.drain_seconds)
        if unfinished:
            log.error(
                "slack adapter: %d job(s) unfinished after %.0f s at shutdown%s",
                unfinished,
                self.drain_seconds,
                "; they stay stored and are replayed after a restart" if durable.durable else "",
            )
        elif pending:
            log.info(
                "slack adapter: finished %d queued job(s) in %.1f s at shutdown", pending, time.monotonic() - started
            )
        durable.stop()
        bot.close()
        log.info("slack adapter stopped")
