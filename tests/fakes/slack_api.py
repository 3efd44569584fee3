"""A local fake of the Slack Web API (and of response URLs) for loopback tests.

A threaded stdlib HTTP server on 127.0.0.1, port 0. Point ``WebClient(base_url=
fake.api_url)`` at it and give interactions ``fake.response_url(...)``. It records every
call (including refused attempts) and answers ``auth.test``, ``chat.postMessage``,
``chat.postEphemeral``, ``chat.getPermalink``, ``users.info``, ``views.publish``,
``apps.connections.open``, and ``conversations.history`` / ``conversations.replies`` from
channels added with :meth:`FakeSlackApi.add_history` (newest first, ``oldest``/``latest``/
``inclusive``, cursor paging; :meth:`FakeSlackApi.rate_limit` makes the next calls of a
method answer 429 with ``Retry-After``). Messages posted with ``chat.postMessage`` join
their channel's history, with their ``metadata`` (returned only with
``include_all_metadata``, as Slack does).

The bot token picks a scenario (every method except ``auth.test``, so an app can start):

- ``xoxb-ratelimited``: the first call of each method gets 429 with ``Retry-After``, then
  calls succeed;
- ``xoxb-flaky500``: the first call of each method gets 500, then calls succeed;
- ``xoxb-error500``: every call gets 500;
- ``xoxb-hang``: the first call of each method is answered only after ``hang_seconds``
  (past the client's timeout), then calls succeed;
- ``xoxb-invalid``: every call, ``auth.test`` included, answers ``invalid_auth``;
- anything else: normal answers.

Response URLs pick the same scenarios by the name given to :meth:`FakeSlackApi.response_url`:
a name starting ``ratelimited``, ``flaky500`` or ``hang`` fails its first call that way.

Messages are checked against Block Kit's basic rules (:func:`block_kit_problem`); a
breach is answered ``invalid_blocks`` as Slack would, so every loopback test also checks
the limits.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TEAM_ID = "T0TRUST"
BOT_USER_ID = "UGMCBOT"
BOT_ID = "BGMCBOT"
RESPONSE_METHOD = "response_url"


def block_kit_problem(blocks: Any, max_blocks: int = 50) -> str:
    """The first breach of Block Kit's basic limits in ``blocks``, or ``""``."""
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= max_blocks:
        return "blocks must be a list of 1 to 50 blocks"
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "section":
            text = block.get("text", {}).get("text", "")
            if not 1 <= len(text) <= 3000:
                return "section text must be 1 to 3000 characters"
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10 or any(not 1 <= len(e.get("text", "")) <= 3000 for e in elements):
                return "context needs 1 to 10 elements of 1 to 3000 characters"
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                return "actions needs 1 to 25 elements"
            for e in elements:
                if (
                    not 1 <= len(e.get("text", {}).get("text", "")) <= 75
                    or len(e.get("value", "")) > 2000
                    or len(e.get("url", "")) > 3000
                    or len(e.get("action_id", "")) > 255
                ):
                    return "button text, value, url or action_id too long"
        else:
            return f"unexpected block type {kind!r}"
    return ""


def _message_problem(params: dict[str, Any], max_blocks: int = 50) -> str:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if blocks is not None:
        return block_kit_problem(blocks, max_blocks)
    text = params.get("text")
    return "" if isinstance(text, str) and 0 < len(text) <= 40_000 else "no_text"


_RESPONSE_FAILURES: dict[str, tuple[int, str, dict[str, str]]] = {
    "ratelimited": (429, "rate_limited", {}),
    "flaky500": (500, "internal_error", {}),
    "hang": (599, "timed_out", {"X-Fake-Hang": "1"}),
}


@dataclass(frozen=True)
class Call:
    """One request the fake received. ``params`` merges the query, form and JSON body."""

    method: str
    token: str
    params: dict[str, Any]
    status: int
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the fake answered it

    @property
    def ok(self) -> bool:
        return self.status == 200

    def text_dump(self) -> str:
        """Everything this call sent, as one string (for "never contains" assertions)."""
        return json.dumps(self.params, ensure_ascii=False)


class FakeSlackApi:
    """Start with ``with FakeSlackApi() as fake:`` (or ``start()``/``stop()``)."""

    def __init__(
        self,
        admins: Iterable[str] = (),
        retry_after: int = 1,
        not_in_channel: Iterable[str] = (),
        socket_mode_url: str = "",
        hang_seconds: float = 3.0,
        latency: float = 0.0,
        slow: dict[str, float] | None = None,
    ) -> None:
        self.admins = set(admins)
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.latency = latency  # seconds every answer waits, as a distant API would
        self.slow = dict(slow or {})  # seconds the answers of these methods wait instead
        self.not_in_channel = set(not_in_channel)
        self.socket_mode_url = socket_mode_url
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._seen: set[tuple[str, str]] = set()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.files: dict[str, bytes] = {}  # path -> body, served to a bearer token (url_private)
        self.file_reads: list[tuple[str, str]] = []  # (path, token) of each file download
        self._thread: threading.Thread | None = None
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages (any order)
        self._throttled: dict[str, int] = {}  # method -> 429 answers still to give

    # -- history -----------------------------------------------------------------------------
    def add_history(self, channel: str, messages: Iterable[dict[str, Any]]) -> None:
        """Serve ``messages`` (Slack message objects with ``ts``; replies carry ``thread_ts``)
        as ``channel``'s history."""
        with self._lock:
            self.history.setdefault(channel, []).extend(messages)

    def _keep_posted(self, channel: str, ts: str, params: dict[str, Any]) -> None:
        """A posted message joins its channel's history (with its metadata, which the
        history methods return only with ``include_all_metadata``, as Slack does)."""
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": BOT_USER_ID, "bot_id": BOT_ID}
        message["text"] = str(params.get("text", ""))
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if isinstance(metadata, dict):
            message["metadata"] = metadata
        with self._lock:
            self.history.setdefault(channel, []).append(message)

    def rate_limit(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get 429 with ``Retry-After``."""
        with self._lock:
            self._throttled[method] = self._throttled.get(method, 0) + times

    def _history_page(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        with self._lock:
            # As Slack answers: a channel the bot is not in is refused; any other channel
            # has a history, empty before anything is posted there (a replay may ask about
            # the moderators' channel before its first note arrived).
            if channel in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            every = list(self.history.get(channel, []))
        inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or 9e12)

        def inside(m: dict[str, Any]) -> bool:
            ts = float(m["ts"])
            return (oldest <= ts <= latest) if inclusive else (oldest < ts < latest)

        if method == "conversations.history":
            chosen = [
                m for m in every if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
            ]
            chosen = sorted((m for m in chosen if inside(m)), key=lambda m: float(m["ts"]), reverse=True)
        else:
            parent = str(params.get("ts", ""))
            thread = [m for m in every if m["ts"] == parent or m.get("thread_ts") == parent]
            chosen = sorted((m for m in thread if m["ts"] == parent or inside(m)), key=lambda m: float(m["ts"]))
        start = int(params.get("cursor") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 999))
        page = chosen[start : start + limit]
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(chosen)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/respond/{name}"

    def add_file(self, name: str, data: bytes) -> str:
        """Serve ``data`` as a file's ``url_private`` (it needs the bot token); returns the URL."""
        path = f"/files-pri/{TEAM_ID}-F{next(self._ts):08d}/{name}"
        with self._lock:
            self.files[path] = data
        return self.url + path

    def _file(self, request: BaseHTTPRequestHandler, path: str) -> None:
        auth = request.headers.get("Authorization", "")
        with self._lock:
            data = self.files.get(path)
            self.file_reads.append((path, auth[7:] if auth.startswith("Bearer ") else ""))
        status = 200 if data is not None and auth.startswith("Bearer xoxb-") else 404
        body = data if status == 200 and data is not None else b"not found"
        request.send_response(status)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    # -- inspection -------------------------------------------------------------------------
    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def posted(self) -> list[Call]:
        """Every successful call that sends something to people."""
        sending = {"chat.postMessage", "chat.postEphemeral", RESPONSE_METHOD, "views.publish"}
        with self._lock:
            return [c for c in self.calls if c.method in sending and c.ok]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 10.0, where: Callable[[Call], bool] | None = None
    ) -> list[Call]:
        """Block until ``count`` successful calls to ``method`` (matching ``where``) arrived."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and c.ok and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.status) for c in self.calls]
                    raise AssertionError(f"expected {count} call(s) to {method}; the fake saw {seen}")
                self._cond.wait(left)

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Wait until no call has arrived for ``quiet`` seconds (for "nothing was sent" checks)."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            with self._lock:
                n = len(self.calls)
            if n == last:
                return
            last = n
            time.sleep(quiet)

    # -- answers ----------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path.startswith("/files-pri/"):
            self._file(request, parts.path)
            return
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = request.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            body = json.loads(raw.decode("utf-8"))
            if isinstance(body, dict):
                params.update(body)
        elif raw:
            params.update(parse_qsl(raw.decode("utf-8")))
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else str(params.get("token", ""))
        headers = {k.lower(): v for k, v in request.headers.items()}

        payload: str | dict[str, object]
        if parts.path.startswith("/respond/"):
            method = RESPONSE_METHOD
            problem = "" if params.get("delete_original") else _message_problem(params)
            status, payload, extra = (400, "invalid_blocks", {}) if problem else (200, "ok", {})
            name = parts.path[len("/respond/") :]
            for prefix, failure in _RESPONSE_FAILURES.items():
                if name.startswith(prefix) and self._first(name, method):
                    status, payload, extra = failure[0], failure[1], dict(failure[2])
                    if prefix == "ratelimited":
                        extra["Retry-After"] = str(self.retry_after)
        elif parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
            status, payload, extra = self._answer(method, token, params)
        else:
            method, status, payload, extra = "unknown", 404, {"ok": False, "error": "not_found"}, {}

        with self._cond:
            self.calls.append(Call(method, token, params, status, parts.path, headers))
            self._cond.notify_all()
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        if extra.pop("X-Fake-Hang", ""):
            time.sleep(self.hang_seconds)
        elif self.slow.get(method, self.latency):
            time.sleep(self.slow.get(method, self.latency))
        try:
            request.send_response(status)
            request.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
            request.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                request.send_header(k, v)
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the client gave up waiting (the hang scenario)

    def _first(self, token: str, method: str) -> bool:
        with self._lock:
            key = (token, method)
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def _answer(self, method: str, token: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if token == "xoxb-invalid" or (not token and method != "apps.connections.open"):
            return 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}, {}
        if method != "auth.test":
            if token == "xoxb-error500":
                return 500, {"ok": False, "error": "internal_error"}, {}
            if token == "xoxb-flaky500" and self._first(token, method):
                return 500, {"ok": False, "error": "internal_error"}, {}
            if token == "xoxb-ratelimited" and self._first(token, method):
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(self.retry_after)}
            if token == "xoxb-hang" and self._first(token, method):
                return 599, {"ok": False, "error": "timed_out"}, {"X-Fake-Hang": "1"}
            with self._lock:
                throttled = self._throttled.get(method, 0)
                if throttled:
                    self._throttled[method] = throttled - 1
            if throttled:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(self.retry_after)}
        if method in ("conversations.history", "conversations.replies"):
            return 200, self._history_page(method, params), {}
        ts = f"{int(time.time())}.{next(self._ts):06d}"  # like Slack's: the epoch second, then unique
        channel = str(params.get("channel", ""))
        if method in ("chat.postMessage", "chat.postEphemeral") and _message_problem(params):
            return 200, {"ok": False, "error": "invalid_blocks", "detail": _message_problem(params)}, {}
        if method == "views.publish" and block_kit_problem(params.get("view", {}).get("blocks"), 100):
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        if method == "auth.test":
            return (
                200,
                {
                    "ok": True,
                    "url": "https://trust.slack.com/",
                    "team": "Trust",
                    "user": "gmcbot",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                },
                {},
            )
        if method == "chat.postMessage":
            if channel in self.not_in_channel:
                return 200, {"ok": False, "error": "not_in_channel"}, {}
            self._keep_posted(channel, ts, params)
            return 200, {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts, "bot_id": BOT_ID}}, {}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": ts}, {}
        if method == "chat.getPermalink":
            ref = str(params.get("message_ts", "")).replace(".", "")
            return (
                200,
                {"ok": True, "channel": channel, "permalink": f"https://trust.slack.com/archives/{channel}/p{ref}"},
                {},
            )
        if method == "users.info":
            user = str(params.get("user", ""))
            return (
                200,
                {
                    "ok": True,
                    "user": {
                        "id": user,
                        "team_id": TEAM_ID,
                        "is_admin": user in self.admins,
                        "is_owner": False,
                        "is_primary_owner": False,
                    },
                },
                {},
            )
        if method == "views.publish":
            return 200, {"ok": True, "view": {"id": "V1"}}, {}
        if method == "apps.connections.open":
            if not self.socket_mode_url:
                return 200, {"ok": False, "error": "socket_mode_not_enabled"}, {}
            return 200, {"ok": True, "url": self.socket_mode_url}, {}
        return 200, {"ok": False, "error": "unknown_method"}, {}
