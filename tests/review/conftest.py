"""Fixtures for the review console: a SQLite audit store with flags from the real
screening rules, one account per role, and the app under Starlette's test client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from adapters.review_web.app import build_app
from bot.config import Settings
from bot.corpus import load_corpus
from bot.store import SqlRecords, open_records
from bot.store.review_store import ReviewStore
from bot.types import Actor, Category, ChannelSettings, Citation, Conversation, Flag, Message, Platform, Severity

PASSWORD = "correct horse battery staple"
ROLES = {"lead": "ig-lead", "mo": "moderator", "aud": "auditor"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class Console:
    settings: Settings
    records: SqlRecords
    store: ReviewStore
    client: TestClient

    def flag(
        self,
        redacted: str = "Patient in bay 4 is [NAME], NHS no [NHS NUMBER]",
        *,
        user: str = "U0POSTER",
        channel: str = "C0WARD",
        category: Category = Category.PATIENT_IDENTIFIABLE,
        cites: tuple[str, ...] = ("gmc-sm-2024:19",),
        rule_ids: tuple[str, ...] = ("jigsaw",),
    ) -> str:
        corpus = load_corpus()
        citations = []
        for pid in cites:
            paragraph = corpus.paragraph(pid)
            assert paragraph is not None
            citations.append(Citation(paragraph, corpus.document(paragraph.doc_id)))
        message = Message("never stored", Actor(user), Conversation(Platform.SLACK, "T1", channel), ref="1.2")
        return self.records.record_flag(
            message, Flag(category, Severity.HIGH, ("r",), tuple(citations), redacted, (category,), (), rule_ids)
        )

    def csrf(self, path: str = "/queue") -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, name: str, password: str = PASSWORD) -> int:
        self.client.cookies.clear()
        token = self.csrf("/signin")
        response = self.client.post(
            "/signin", data={"name": name, "password": password, "csrf": token}, follow_redirects=False
        )
        return response.status_code

    def post(self, path: str, **data: str) -> object:
        return self.client.post(path, data={"csrf": self.csrf(), **data}, follow_redirects=False)


def make_console(
    settings: Settings, base_url: str = "http://testserver", **app_options: object
) -> tuple[Console, Callable[[], None]]:
    records = open_records(settings)
    store = ReviewStore(records.engine, records._key, hasher=FAST_HASHER)
    for name, role in ROLES.items():
        store.add_user(name, role, PASSWORD)
    records.update_channel_settings(ChannelSettings(Platform.SLACK, "T1", "C0WARD", True, "C0MODS"))
    app_options.setdefault("signin_per_minute", 1000)  # tests sign in often; the limit has its own test
    client = TestClient(build_app(settings, records, store, **app_options), base_url=base_url)  # type: ignore[arg-type]
    return Console(settings, records, store, client), records.close


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    c, close = make_console(Settings(data_dir=tmp_path / "data", embedder="hashing"))
    with c.client:
        yield c
    close()
