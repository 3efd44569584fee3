"""The review console on both databases: accounts, lock-out, sessions, a decision and the
trends that show it, the access log."""

from __future__ import annotations

from bot.config import Settings
from bot.store.review_store import MAX_FAILURES
from tests.review.conftest import make_console


def test_console_round_trip(db_settings: Settings) -> None:
    c, close = make_console(db_settings)
    try:
        with c.client:
            fid = c.flag()
            for _ in range(MAX_FAILURES):
                assert c.sign_in("mo", "not the password") == 401
            assert c.sign_in("mo") == 401
            c.store.unlock("mo")
            assert c.sign_in("mo") == 303
            assert fid in c.client.get("/queue").text
            assert 'data-label="Confirmed" data-value="0"' in c.client.get("/trends").text
            c.post(f"/flags/{fid}/decide", status="confirmed")
            assert 'data-label="Confirmed" data-value="1"' in c.client.get("/trends").text
            assert fid in c.client.get("/queue?status=confirmed").text
            entries = c.store.entries()
            assert {"sign-in", "sign-in-failed", "view-queue", "view-trends", "decide"} <= {e.action for e in entries}
            assert {e.reviewer_hash for e in entries} == {c.store.pseudonym("review:mo")}
            assert [u.name for u in c.store.users()] == ["aud", "lead", "mo"]
    finally:
        close()
