"""A small Teams world for adapter tests: the fake Bot Connector (and, for JWT tests, a local
key set) on 127.0.0.1 port 0, the real Teams SDK app served by uvicorn on port 0 in a thread,
one team with a ward channel and a moderators' channel, and the core on a trust corpus with
the hashing embedder.

Use ``with teams_world(tmp_path) as w:``; ``w.post(activity)`` sends an activity to
``/api/messages`` as Teams would, with ``serviceUrl`` pointing at the fake.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from microsoft_teams.api.auth.cloud_environment import PUBLIC

from adapters.teams.runner import TeamsServer, bind
from bot.config import Settings
from bot.records import MemoryRecords, Records
from bot.service import GuidanceBot
from bot.types import ChannelSettings, Platform
from index.embedders import HashingEmbedder
from tests.adapters.discord_world import write_trust_corpus
from tests.fakes.teams_connector import FakeConnector, FakeKeySet, TokenMinter

APP_ID = "11111111-2222-3333-4444-555555555555"
BOT_ID = f"28:{APP_ID}"
TENANT = "8c5d7d6a-1b2c-4d3e-9f8a-7b6c5d4e3f21"
TEAM = "0f6a1c2b-3d4e-4f5a-8b9c-1d2e3f4a5b6c"
TEAM_THREAD = "19:generalchannel@thread.tacv2"
WARD = "19:ward7channel@thread.tacv2"
MODS = "19:moderators@thread.tacv2"
POSTER = "29:1PosterAbcDef"
MODERATOR = "29:2ModeratorGhi"
PERSONAL_CHAT = "a:1personal-chat-with-poster"
_ids = itertools.count(1733508000000)

Json = dict[str, Any]


def aad_id(user: str) -> str:
    """A stable Entra object id for a test user (what ``from.aadObjectId`` carries)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"teams-user:{user}"))


def activity_id() -> str:
    return str(next(_ids))


@dataclass
class TeamsWorld:
    connector: FakeConnector
    server: TeamsServer
    guidance: GuidanceBot
    records: Any
    base_url: str
    minter: TokenMinter | None = None
    keys: FakeKeySet | None = None

    # -- settings ---------------------------------------------------------------------------
    def monitor(self, channel: str = WARD, moderators: str = MODS) -> None:
        current = self.guidance.channel_settings(Platform.TEAMS, TEAM, channel)
        self.guidance.update_channel_settings(
            dataclasses.replace(current, monitored=True, moderators_channel=moderators)
        )

    def channel_settings(self, channel: str = WARD) -> ChannelSettings:
        return self.guidance.channel_settings(Platform.TEAMS, TEAM, channel)

    # -- activities --------------------------------------------------------------------------
    def _base(self, user: str, conversation: Json) -> Json:
        return {
            "type": "message",
            "id": activity_id(),
            "timestamp": "2026-12-06T18:00:00.000Z",
            "channelId": "msteams",
            "serviceUrl": self.connector.url + "/",
            "from": {
                "id": user,
                "name": "Dr Alex Lee" if user == POSTER else "Jo Moderator",
                "aadObjectId": aad_id(user),
            },
            "recipient": {"id": BOT_ID, "name": "gmcbot"},
            "conversation": conversation,
            "entities": [{"type": "clientInfo", "locale": "en-GB"}],
            "locale": "en-GB",
        }

    def personal(self, text: str, user: str = POSTER) -> Json:
        activity = self._base(user, {"conversationType": "personal", "tenantId": TENANT, "id": PERSONAL_CHAT})
        activity.update(text=text, textFormat="plain", channelData={"tenant": {"id": TENANT}})
        return activity

    def _channel_data(self, channel: str) -> Json:
        return {
            "teamsChannelId": channel,
            "teamsTeamId": TEAM_THREAD,
            "channel": {"id": channel, "name": "Ward 7" if channel == WARD else "Moderators"},
            "team": {"id": TEAM_THREAD, "name": "Medicine", "aadGroupId": TEAM},
            "tenant": {"id": TENANT},
        }

    def channel(self, text: str, user: str = POSTER, channel: str = WARD, mention: bool = False) -> Json:
        aid = activity_id()
        conv = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": f"{channel};messageid={aid}"}
        activity = self._base(user, conv)
        activity["id"] = aid
        if mention:
            text = f"<at>gmcbot</at> {text}"
            activity["entities"].append(
                {"type": "mention", "mentioned": {"id": BOT_ID, "name": "gmcbot"}, "text": "<at>gmcbot</at>"}
            )
        activity.update(text=text, textFormat="plain", channelData=self._channel_data(channel))
        return activity

    def click(self, data: Json, user: str, channel: str = MODS, personal: bool = False) -> Json:
        """An ``adaptiveCard/action`` invoke for a card button with ``data``."""
        conv: Json
        if personal:
            conv = {"conversationType": "personal", "tenantId": TENANT, "id": PERSONAL_CHAT}
        else:
            conv = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": f"{channel};messageid=1"}
        activity = self._base(user, conv)
        activity.update(
            type="invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "gmc.flag", "data": data}, "trigger": "manual"},
            channelData={"tenant": {"id": TENANT}} if personal else self._channel_data(channel),
        )
        return activity

    def extension(self, question: str, user: str = POSTER) -> Json:
        conv = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": WARD}
        activity = self._base(user, conv)
        activity.update(
            type="invoke",
            name="composeExtension/submitAction",
            value={"commandId": "ask", "commandContext": "compose", "data": {"question": question}},
            channelData=self._channel_data(WARD),
        )
        return activity

    def report(self, text: str, poster: str = POSTER, reporter: str = MODERATOR) -> Json:
        """A "Report to gmcbot" action on a ward channel message by ``poster``."""
        conv = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": WARD}
        activity = self._base(reporter, conv)
        message_id = activity_id()
        activity.update(
            type="invoke",
            name="composeExtension/submitAction",
            value={
                "commandId": "report",
                "commandContext": "message",
                "data": {"note": ""},
                "messagePayload": {
                    "id": message_id,
                    "replyToId": None,
                    "messageType": "message",
                    "createdDateTime": "2026-12-06T18:20:00.000Z",
                    "importance": "normal",
                    "locale": "en-us",
                    "linkToMessage": f"https://teams.microsoft.com/l/message/{WARD}/{message_id}",
                    "from": {
                        "user": {"id": aad_id(poster), "displayName": "Dr Alex Lee", "userIdentityType": "aadUser"}
                    },
                    "body": {"contentType": "html", "content": f"<p>{text}</p>"},
                    "attachments": [],
                    "mentions": [],
                    "reactions": [],
                },
            },
            channelData=self._channel_data(WARD),
        )
        return activity

    # -- transport ---------------------------------------------------------------------------
    def bearer(self, **overrides: Any) -> str:
        assert self.minter is not None
        claims: Json = {"audience": APP_ID, "service_url": self.connector.url + "/"}
        claims.update(overrides)
        return self.minter.token(**claims)

    def post(self, activity: Json, token: str | None = None, authorization: str | None = None) -> httpx.Response:
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.post(f"{self.base_url}/api/messages", json=activity, headers=headers, timeout=30)


@contextmanager
def teams_world(
    tmp_path: Path,
    *,
    secure: bool = False,
    records: Records | None = None,
    refuse_targeted: bool = False,
    **settings: Any,
) -> Iterator[TeamsWorld]:
    """Start the fakes and the real SDK app (``--insecure-local-testing`` unless ``secure``,
    which validates JWTs against a local key set); stop everything afterwards."""
    records = records if records is not None else MemoryRecords()
    config = Settings(
        data_dir=tmp_path / "data",
        corpus_dirs=(write_trust_corpus(tmp_path / "trust"),),
        teams_app_id=APP_ID if secure else "",
        teams_tenant_id=TENANT if secure else "",
        **settings,
    )
    guidance = GuidanceBot(config, embedder=HashingEmbedder(), records=records)
    connector = FakeConnector(refuse_targeted=refuse_targeted)
    connector.start()
    minter = keys = None
    options: Json = {"insecure": not secure}
    if secure:
        minter = TokenMinter()
        keys = FakeKeySet(keys=[minter.jwk()])
        keys.start()
        options["cloud"] = dataclasses.replace(
            PUBLIC, openid_metadata_url=f"{keys.url}/v1/.well-known/openidconfiguration"
        )
        outbound = minter.token(audience="https://api.botframework.com", service_url=connector.url)
        options["token"] = lambda scope, tenant=None: outbound
    sock = bind("127.0.0.1", 0)
    server = TeamsServer(guidance, config, sock, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield TeamsWorld(connector, server, guidance, records, base_url, minter, keys)
    finally:
        server.stop()
        thread.join(timeout=10)
        sock.close()
        connector.stop()
        if keys is not None:
            keys.stop()
