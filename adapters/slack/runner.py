"""Running the Slack app: Socket Mode (default; no public URL needed) or HTTP.

HTTP mode serves the Bolt app through ``slack_bolt.adapter.wsgi.SlackRequestHandler``
on a threaded stdlib ``wsgiref`` server at ``/slack/events`` (events, the slash command
and button clicks share the one URL), with ``GET /healthz`` for load balancers. Put it
behind the trust's TLS reverse proxy; Slack only calls ``https://`` URLs.

Both modes hold the SDK loggers at INFO or above (they log bodies at DEBUG) and read
credentials from the environment only, through :class:`bot.config.Settings`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from adapters.slack.app import build_app
from adapters.slack.client import api_base_url
from bot.config import Settings
from bot.errors import ConfigError, GmcbotError
from bot.logsetup import quiet_body_loggers

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.service import GuidanceBot

log = logging.getLogger("adapters.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; refuse anything bigger


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("slack http %s", format % args)  # request line and status only


def wsgi_app(app: App) -> WSGIApplication:
    """Bolt at :data:`EVENTS_PATH`, a health check, and a size limit on bodies."""
    handler = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
            return [b"payload too large"]
        return handler(environ, start_response)

    return application


def make_http_server(app: App, host: str = "127.0.0.1", port: int = 3000) -> WSGIServer:
    """A threaded HTTP server for ``app`` (``port`` 0 picks a free port; see
    ``server.server_port``). Call ``serve_forever()`` and later ``shutdown()``."""
    return make_server(host, port, wsgi_app(app), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def check_credentials(settings: Settings, http: bool) -> None:
    """Clear errors for missing or misplaced credentials, before any network call."""
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the "
                          "app's OAuth & Permissions page into the environment (see docs/slack.md)")
    if http and not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information > App "
                          "Credentials) to verify that requests come from Slack")
    if not http and not settings.slack_app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN is not set to an app-level token (xapp-...): Socket Mode needs one "
                          "with the connections:write scope (Basic Information > App-Level Tokens), or run "
                          "`gmcbot serve slack --http`")


def connect_app(bot: GuidanceBot, settings: Settings, socket_mode: bool) -> App:
    """``build_app`` with Slack's start-up failures turned into clear errors."""
    try:
        return build_app(bot, settings, socket_mode=socket_mode)
    except BoltError:
        raise GmcbotError(f"Slack rejected SLACK_BOT_TOKEN at {api_base_url(settings)}auth.test; check the "
                          "token (xoxb-...) and that the app is installed in the workspace") from None
    except (SlackClientError, OSError) as exc:
        raise GmcbotError(f"cannot reach the Slack API at {api_base_url(settings)} "
                          f"({type(exc).__name__}); check the network or GMCBOT_SLACK_API_URL") from None


class SlackAdapter:
    """The :class:`adapters.base.Adapter` for Slack: Socket Mode, or HTTP when ``http``."""

    name = "slack"

    def __init__(self, settings: Settings, http: bool = False, host: str = "127.0.0.1", port: int = 3000,
                 on_ready: Callable[[str], None] | None = None, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.http = http
        self.host = host
        self.port = port
        self.on_ready = on_ready or (lambda where: log.info("slack adapter ready: %s", where))
        self.stop = stop or threading.Event()

    def run(self, bot: GuidanceBot) -> None:
        """Serve until ``stop`` is set (or the process is interrupted)."""
        quiet_body_loggers()
        check_credentials(self.settings, self.http)
        app = connect_app(bot, self.settings, socket_mode=not self.http)
        bot.warm_up()
        if self.http:
            self._serve_http(app)
        else:
            self._serve_socket_mode(app)

    def _serve_http(self, app: App) -> None:
        server = make_http_server(app, self.host, self.port)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="gmcbot-slack-http", daemon=True)
        thread.start()
        self.on_ready(f"http://{self.host}:{server.server_port}{EVENTS_PATH}")
        try:
            self.stop.wait()
        finally:
            server.shutdown()
            server.server_close()

    def _serve_socket_mode(self, app: App) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, app_token=self.settings.slack_app_token)
        try:
            handler.connect()
        except (SlackClientError, OSError) as exc:
            raise GmcbotError(f"cannot open a Socket Mode connection ({type(exc).__name__}); check "
                              "SLACK_APP_TOKEN and that Socket Mode is enabled for the app") from None
        self.on_ready("Socket Mode")
        try:
            self.stop.wait()
        finally:
            handler.close()
