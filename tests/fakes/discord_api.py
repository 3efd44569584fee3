"""A local Discord REST API (v10) for tests: aiohttp on 127.0.0.1, port 0, in its own thread.

It answers what the adapter uses (login, application info, command sync, channel messages,
DM channels, message deletes, interaction callbacks and webhook follow-ups/edits), records
every request, checks each sent message against Discord's documented limits (answering
400 / 50035 like Discord when one is broken), and can be scripted:

- ``fail_next(method, path_regex, status, body, headers)``: e.g. a 429 with ``retry_after``
  then success;
- ``close_dms(user_id)``: messages to that user's DM channel get 403 with code 50007;
- ``add_history(channel, guild_id, messages)``: the channel's history, served by
  ``GET /channels/{id}`` and ``GET /channels/{id}/messages`` (``before``/``after``/``limit``
  up to 100, newest first, as Discord pages it).

Replies carry ``Content-Type: application/json`` exactly: discord.py parses a body only
when the header is exactly that.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_payloads import Json, dm_channel, snowflake, user

API_PREFIX = "/api/v10"
RATE_LIMITED: Json = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
RATE_LIMIT_HEADERS = {"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"}
CANNOT_DM: Json = {"message": "Cannot send messages to this user", "code": 50007}
MISSING_PERMISSIONS: Json = {"message": "Missing Permissions", "code": 50013}


@dataclass
class Call:
    """One request the fake received and the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    content_type: str = ""
    response: Any = None


@dataclass
class _Script:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Json
    headers: dict[str, str]
    times: int


@dataclass
class FakeDiscordAPI:
    bot_user: Json
    application_id: int
    calls: list[Call] = field(default_factory=list)
    users: dict[str, Json] = field(default_factory=dict)
    dm_channels: dict[str, str] = field(default_factory=dict)  # channel id -> user id
    closed_dms: set[str] = field(default_factory=set)
    messages: dict[str, Json] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # CDN path -> (body, content type)
    history: dict[str, list[Json]] = field(default_factory=dict)  # channel id -> messages
    channels: dict[str, Json] = field(default_factory=dict)  # channel id -> channel object
    _scripts: list[_Script] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    base_url: str = ""

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> str:
        """Serve on 127.0.0.1 port 0; return the API base (``http://127.0.0.1:PORT/api/v10``)."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._runner = web.AppRunner(self._app(), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            port = self._runner.addresses[0][1]
            self.base_url = f"http://127.0.0.1:{port}{API_PREFIX}"

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-discord-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Discord API did not start")
        return self.base_url

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()
        self._loop = None

    # -- scripting -----------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Json,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` matching requests get ``status``/``body`` instead of success."""
        with self._lock:
            self._scripts.append(_Script(method, re.compile(path_regex), status, body, headers or {}, times))

    def close_dms(self, user_id: int) -> None:
        with self._lock:
            self.closed_dms.add(str(user_id))

    def add_user(self, u: Json) -> None:
        with self._lock:
            self.users[u["id"]] = u

    def add_file(self, name: str, data: bytes, content_type: str = "text/plain; charset=utf-8") -> str:
        """Serve ``data`` as an attachment on the fake CDN; returns its URL."""
        path = f"/attachments/{snowflake()}/{name}"
        with self._lock:
            self.files[path] = (data, content_type)
        return self.base_url.replace(API_PREFIX, "") + path

    def add_history(self, channel_id: int | str, guild_id: int | str, messages: list[Json]) -> None:
        """Serve ``messages`` (message objects with snowflake ids) as a server channel's history."""
        with self._lock:
            self.channels[str(channel_id)] = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "history",
                "position": 0,
                "permission_overwrites": [],
            }
            self.history.setdefault(str(channel_id), []).extend(messages)

    # -- inspection ----------------------------------------------------------------------
    def find(self, method: str | None = None, path: str = "") -> list[Call]:
        """Recorded calls, filtered by method and a regex searched in the path."""
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if (method is None or c.method == method) and re.search(path, c.path)]

    def channel_posts(self, channel_id: int | str, ok_only: bool = True) -> list[Json]:
        """Bodies of messages posted to a channel (successful ones by default)."""
        return [
            c.body for c in self.find("POST", rf"/channels/{channel_id}/messages$") if not ok_only or c.status == 200
        ]

    def dm_posts(self, user_id: int | str, ok_only: bool = True) -> list[Json]:
        with self._lock:
            channels = [cid for cid, uid in self.dm_channels.items() if uid == str(user_id)]
        return [b for cid in channels for b in self.channel_posts(cid, ok_only)]

    def interaction_calls(self, interaction: Json) -> list[Call]:
        """The callback, follow-ups and edits made for one interaction payload."""
        token = interaction["token"]
        return [c for c in self.find() if f"/{token}" in c.path]

    def sent_bodies(self) -> list[Json]:
        """Every JSON body the bot sent that carries message content (for blanket checks)."""
        out = []
        for c in self.find():
            body = c.body
            if isinstance(body, dict) and "data" in body and isinstance(body["data"], dict):
                body = body["data"]
            if isinstance(body, dict) and any(k in body for k in ("content", "embeds", "components")):
                out.append(body)
        return out

    # -- the app -------------------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        p = API_PREFIX
        app.router.add_get(p + "/users/@me", self._me)
        app.router.add_get(p + "/oauth2/applications/@me", self._application)
        app.router.add_put(p + "/applications/{app}/commands", self._sync_commands)
        app.router.add_post(p + "/channels/{channel}/messages", self._post_message)
        app.router.add_get(p + "/channels/{channel}/messages", self._history)
        app.router.add_get(p + "/channels/{channel}", self._channel)
        app.router.add_delete(p + "/channels/{channel}/messages/{message}", self._delete_message)
        app.router.add_post(p + "/users/@me/channels", self._open_dm)
        app.router.add_post(p + "/interactions/{id}/{token}/callback", self._callback)
        app.router.add_post(p + "/webhooks/{app}/{token}", self._followup)
        app.router.add_patch(p + "/webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message)
        app.router.add_get(p + "/gateway", self._gateway)
        app.router.add_get(p + "/gateway/bot", self._gateway)
        app.router.add_get("/gateway-ws", self._gateway_ws)
        app.router.add_get("/attachments/{id}/{name}", self._cdn)
        return app

    async def _cdn(self, request: web.Request) -> web.Response:
        with self._lock:
            found = self.files.get(request.path)
        if found is None:
            return web.Response(status=404)
        return web.Response(status=200, body=found[0], headers={"Content-Type": found[1]})

    async def _gateway(self, request: web.Request) -> web.Response:
        """Point the client at a local gateway that accepts and then says nothing, so a
        served client sits in its connection attempt (for shutdown tests)."""
        ws_url = self.base_url.replace("http://", "ws://").replace(API_PREFIX, "/gateway-ws")
        return reply(
            200,
            {
                "url": ws_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
            },
        )

    async def _gateway_ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = Call(
            request.method,
            request.path,
            dict(request.query),
            body,
            content_type=request.headers.get("Content-Type", ""),
        )
        response: web.StreamResponse | None = None
        with self._lock:
            for script in self._scripts:
                if script.times > 0 and script.method == request.method and script.pattern.search(request.path):
                    script.times -= 1
                    response = reply(script.status, script.body, script.headers)
                    break
            self.calls.append(call)
        if response is None:
            try:
                response = await handler(request)
            except web.HTTPNotFound:
                response = reply(404, {"message": "404: Not Found", "code": 0})
        call.status = response.status
        if isinstance(response, web.Response) and response.body and response.content_type == "application/json":
            call.response = json.loads(response.body)  # type: ignore[arg-type]
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return reply(200, self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        owner = user(snowflake(), "owner")
        return reply(
            200,
            {
                "id": str(self.application_id),
                "name": "gmcbot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": owner,
                "summary": "",
                "verify_key": "00" * 32,
                "team": None,
                "flags": 0,
                "interactions_endpoint_url": None,
                "bot": self.bot_user,
            },
        )

    async def _sync_commands(self, request: web.Request) -> web.Response:
        commands = json.loads(await request.read())
        # Discord answers context menu commands with an empty description.
        return reply(
            200,
            [
                {
                    "description": "",
                    **c,
                    "id": str(snowflake()),
                    "application_id": str(self.application_id),
                    "version": "1",
                    "default_member_permissions": c.get("default_member_permissions"),
                }
                for c in commands
            ],
        )

    def _message_from(self, channel_id: str, body: Json, flags: int = 0) -> Json:
        data: Json = {
            "id": str(snowflake()),
            "channel_id": channel_id,
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": "2025-01-01T00:00:00.000000+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [{**e, "type": "rich"} for e in body.get("embeds") or []],
            "pinned": False,
            "type": 19 if body.get("message_reference") else 0,
            "flags": int(body.get("flags") or 0) | flags,
            "components": body.get("components") or [],
        }
        if body.get("message_reference"):
            data["message_reference"] = body["message_reference"]
        with self._lock:
            self.messages[data["id"]] = data
        return data

    async def _post_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        body = json.loads(await request.read())
        with self._lock:
            recipient = self.dm_channels.get(channel_id)
            refused = recipient is not None and recipient in self.closed_dms
        if refused:
            return reply(403, CANNOT_DM)
        problems = message_problems(body)
        if problems:
            return reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": problems})
        return reply(200, self._message_from(channel_id, body))

    async def _channel(self, request: web.Request) -> web.Response:
        with self._lock:
            found = self.channels.get(request.match_info["channel"])
        return reply(200, found) if found else reply(404, {"message": "Unknown Channel", "code": 10003})

    async def _history(self, request: web.Request) -> web.Response:
        with self._lock:
            every = list(self.history.get(request.match_info["channel"], []))
        if request.match_info["channel"] not in self.channels:
            return reply(404, {"message": "Unknown Channel", "code": 10003})
        limit = max(1, min(int(request.query.get("limit") or 50), 100))
        ordered = sorted(every, key=lambda m: int(m["id"]))
        if "after" in request.query:
            after = int(request.query["after"])
            page = [m for m in ordered if int(m["id"]) > after][:limit]
        else:
            before = int(request.query.get("before") or 1 << 63)
            page = [m for m in ordered if int(m["id"]) < before][-limit:]
        return reply(200, list(reversed(page)))

    async def _delete_message(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient_id = str(json.loads(await request.read())["recipient_id"])
        with self._lock:
            existing = [cid for cid, uid in self.dm_channels.items() if uid == recipient_id]
            channel_id = existing[0] if existing else str(snowflake())
            self.dm_channels[channel_id] = recipient_id
            recipient = self.users.get(recipient_id) or user(int(recipient_id), "someone")
        return reply(200, dm_channel(int(channel_id), recipient))

    async def _callback(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        kind = body.get("type")
        data = body.get("data") or {}
        problems = message_problems(data) if kind in (4, 7) else []
        if problems:
            return reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": problems})
        interaction: Json = {
            "id": request.match_info["id"],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
        }
        result: Json = {"interaction": interaction}
        if kind == 4:
            message = self._message_from("0", data)
            interaction["response_message_id"] = message["id"]
            result["resource"] = {"type": 4, "message": message}
        return reply(200, result)

    async def _followup(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        problems = message_problems(body)
        if problems:
            return reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": problems})
        return reply(200, self._message_from("0", body))

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        problems = message_problems(body)
        if problems:
            return reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": problems})
        return reply(200, self._message_from("0", body))


def reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with ``Content-Type: application/json`` exactly (no charset)."""
    return web.Response(
        status=status,
        body=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def message_problems(body: Json) -> list[str]:
    """What Discord would reject in a message body (documented limits)."""
    problems = []
    content = body.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content: {len(content)} > 2000")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append("more than 10 embeds")
    total = 0
    for i, e in enumerate(embeds):
        title, desc = e.get("title") or "", e.get("description") or ""
        footer = (e.get("footer") or {}).get("text") or ""
        author = (e.get("author") or {}).get("name") or ""
        fields = e.get("fields") or []
        for name, value, limit in (
            ("title", title, 256),
            ("description", desc, 4096),
            ("footer", footer, 2048),
            ("author", author, 256),
        ):
            if len(value) > limit:
                problems.append(f"embeds[{i}].{name}: {len(value)} > {limit}")
        if len(fields) > 25:
            problems.append(f"embeds[{i}]: more than 25 fields")
        for f in fields:
            if not f.get("name") or not f.get("value"):
                problems.append(f"embeds[{i}]: empty field")
            if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                problems.append(f"embeds[{i}]: field too long")
        if e.get("url") and not re.fullmatch(r"https?://\S+", e["url"]):
            problems.append(f"embeds[{i}].url invalid")
        total += len(title) + len(desc) + len(footer) + len(author)
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > 6000:
        problems.append(f"embeds total {total} > 6000")
    rows = body.get("components") or []
    if len(rows) > 5:
        problems.append("more than 5 action rows")
    for row in rows:
        buttons = row.get("components") or []
        if len(buttons) > 5:
            problems.append("more than 5 buttons in a row")
        for b in buttons:
            if len(b.get("label") or "") > 80:
                problems.append("button label > 80")
            if b.get("style") == 5:
                if not re.fullmatch(r"https?://\S+", b.get("url") or "") or len(b["url"]) > 512:
                    problems.append("link button url invalid")
            elif not b.get("custom_id") or len(b["custom_id"]) > 100:
                problems.append("custom_id missing or > 100")
    return problems
