"""The review console's routes and permissions through Starlette's test client."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.config import Settings
from bot.review import Role, decide
from bot.store.review_store import MAX_FAILURES
from bot.types import Actor, Category, FlagStatus
from tests.review.conftest import PASSWORD, Console, make_console

PAGES = ["/queue", "/trends", "/retention", "/activity", "/help", "/export.csv", "/flags/" + "a" * 32, "/nowhere"]
POSTS = ["/signout", "/flags/" + "a" * 32 + "/decide", "/retention/preview", "/retention/purge"]


def test_without_a_session_only_sign_in_and_static_files_answer(console: Console) -> None:
    home = console.client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/signin"
    for path in PAGES:
        response = console.client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers.get("location")) == (303, "/signin"), path
    for path in POSTS:
        assert console.client.post(path, data={"csrf": "x"}, follow_redirects=False).status_code == 401, path
    assert console.client.get("/queue", headers={"HX-Request": "true"}).status_code == 401
    page = console.client.get("/signin")
    assert page.status_code == 200 and '<form method="post" action="/signin"' in page.text
    assert '<label for="password">' in page.text and 'autocomplete="current-password"' in page.text
    assert console.client.get("/static/htmx.min.js").status_code == 200
    assert console.client.get("/static/htmx.LICENSE.txt").status_code == 200


def test_wrong_password_is_refused_with_the_form_and_locks_after_repeated_failures(console: Console) -> None:
    assert console.sign_in("lead", "wrong password!") == 401
    assert console.sign_in("nobody", "wrong password!") == 401
    assert console.sign_in("", "") == 401
    for _ in range(MAX_FAILURES - 1):
        assert console.sign_in("mo", "wrong password!") == 401
    assert console.sign_in("mo") == 303  # the count restarts after a success
    for _ in range(MAX_FAILURES):
        assert console.sign_in("mo", "wrong password!") == 401
    assert console.sign_in("mo") == 401  # locked: even the right password is refused
    console.store.unlock("mo")
    assert console.sign_in("mo") == 303
    actions = [e.action for e in console.store.entries(100)]
    assert actions.count("sign-in-failed") == 2 * MAX_FAILURES + 2 and actions.count("sign-in") == 2


def test_sign_in_attempts_from_one_address_are_limited(tmp_path: Path) -> None:
    from adapters.review_web.app import SIGNIN_PER_MINUTE, TOO_MANY

    c, close = make_console(Settings(data_dir=tmp_path / "data"), signin_per_minute=SIGNIN_PER_MINUTE)
    try:
        with c.client:
            codes = [c.sign_in(f"user{i}", "wrong password!") for i in range(SIGNIN_PER_MINUTE + 1)]
            assert codes == [401] * SIGNIN_PER_MINUTE + [429]
            response = c.client.post("/signin", data={"name": "lead", "password": PASSWORD, "csrf": c.csrf("/signin")})
            assert response.status_code == 429 and TOO_MANY in response.text.replace("&#39;", "'")
    finally:
        close()


def test_signing_in_again_replaces_the_session(console: Console) -> None:
    assert console.sign_in("lead") == 303
    first = console.client.cookies["gmcbot_review"]
    assert console.client.get("/signin", follow_redirects=False).headers["location"] == "/queue"
    del console.client.cookies["gmcbot_review"]
    token = console.csrf("/signin")
    console.client.cookies.set("gmcbot_review", first)
    response = console.client.post(
        "/signin", data={"name": "mo", "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert console.store.session(first) is None
    assert "(moderator)" in console.client.get("/queue").text


def test_sign_in_needs_the_forms_csrf_token(console: Console) -> None:
    console.client.get("/signin")
    response = console.client.post("/signin", data={"name": "lead", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403 and "expired" in response.text


def test_session_cookie_flags_and_security_headers(console: Console) -> None:
    console.client.get("/signin")
    token = console.csrf("/signin")
    response = console.client.post(
        "/signin", data={"name": "lead", "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = console.client.get("/queue")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_cookies_are_secure_behind_tls(tmp_path: Path) -> None:
    c, close = make_console(Settings(data_dir=tmp_path / "data"), base_url="https://review.trust.example")
    try:
        with c.client:
            c.client.get("/signin")
            response = c.client.post(
                "/signin",
                data={"name": "lead", "password": PASSWORD, "csrf": c.csrf("/signin")},
                follow_redirects=False,
            )
            assert "secure" in response.headers["set-cookie"].lower()
            assert "max-age=31536000" in c.client.get("/queue").headers["strict-transport-security"]
    finally:
        close()


def test_every_post_needs_the_sessions_csrf_token(console: Console) -> None:
    fid = console.flag()
    console.sign_in("mo")
    response = console.client.post(f"/flags/{fid}/decide", data={"status": "confirmed", "csrf": "forged"})
    assert response.status_code == 403
    record = console.records.flag(fid)
    assert record is not None and record.status is FlagStatus.OPEN


def test_queue_shows_redacted_excerpt_reasons_citation_channel_and_age_with_filters(console: Console) -> None:
    fid = console.flag()
    other = console.flag(
        "Dinner on [STREET] tonight?", channel="C0LOUNGE", category=Category.DISRESPECT, rule_ids=("unknown-rule",)
    )
    console.sign_in("aud")
    page = console.client.get("/queue").text
    assert "Patient in bay 4 is [NAME], NHS no [NHS NUMBER]" in page
    assert "paragraph 19" in page and "C0WARD" in page and "min</a>" in page
    assert "patient-identifiable" in page and fid in page and other in page
    jigsaw_reason = console.client.app.state.console.explainer.reasons(["jigsaw"])[0]  # type: ignore[attr-defined]
    assert jigsaw_reason.split(";")[0] in page.replace("&#39;", "'")
    filtered = console.client.get("/queue?category=disrespect").text
    assert other in filtered and fid not in filtered
    assert fid in console.client.get("/queue?channel=C0WARD").text
    assert fid not in console.client.get("/queue?status=confirmed").text
    partial = console.client.get("/queue?category=disrespect", headers={"HX-Request": "true", "HX-Target": "queue"})
    assert partial.text.lstrip().startswith('<section id="queue"')
    assert "Decide" not in page  # an auditor sees no decision buttons


def test_a_moderator_decides_under_the_same_rules_and_it_is_recorded(console: Console) -> None:
    fid = console.flag()
    console.sign_in("mo")
    response = console.client.post(
        f"/flags/{fid}/decide", data={"status": "confirmed", "csrf": console.csrf()}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response.text.lstrip().startswith(f'<tr id="flag-{fid}"')
    assert 'data-status="confirmed"' in response.text and "Recorded: confirmed." in response.text
    record = console.records.flag(fid)
    assert record is not None and record.status is FlagStatus.CONFIRMED and record.decided
    [event] = console.records.flag_events(fid)
    assert (event.role, event.source, event.actor_hash) == (
        "moderator",
        "console",
        console.store.pseudonym("review:mo"),
    )
    # The poster can no longer change it from chat.
    assert not decide(console.records, fid, FlagStatus.FALSE_ALARM, Actor("U0POSTER"), Role.POSTER).ok
    # Without htmx the form redirects to the flag page, which shows the history.
    plain = console.client.post(
        f"/flags/{fid}/decide", data={"status": "false_alarm", "csrf": console.csrf()}, follow_redirects=False
    )
    assert plain.status_code == 303 and plain.headers["location"].startswith(f"/flags/{fid}")
    detail = console.client.get(plain.headers["location"]).text
    assert "Confirmed → False alarm" in detail and console.store.pseudonym("review:mo") in detail
    assert "Your decision is recorded." in detail
    assert [e.action for e in console.store.entries(3)] == ["view-flag", "decide", "view-queue"]
    assert all(e.reviewer_hash == console.store.pseudonym("review:mo") for e in console.store.entries(3))
    assert "injected" not in console.client.get(f"/flags/{fid}?done=injected").text


def test_roles(console: Console) -> None:
    fid = console.flag()
    console.sign_in("aud")
    refused = console.client.post(f"/flags/{fid}/decide", data={"status": "confirmed", "csrf": console.csrf()})
    assert refused.status_code == 403 and "cannot decide flags" in refused.text
    assert console.client.get("/export.csv").status_code == 200
    assert console.client.get("/activity").status_code == 200
    assert console.client.get("/retention").status_code == 403
    console.sign_in("mo")
    assert console.client.get("/export.csv").status_code == 403
    assert console.client.get("/activity").status_code == 403
    assert (
        console.client.post(
            "/retention/purge", data={"days": "1", "confirm": "yes", "csrf": console.csrf()}
        ).status_code
        == 403
    )
    assert console.store.entries(1)[0].action == "refused"
    console.sign_in("lead")
    for path in ("/queue", "/trends", "/retention", "/activity", "/help", "/export.csv"):
        assert console.client.get(path).status_code == 200, path


def test_a_changed_role_or_removed_account_ends_the_session(console: Console) -> None:
    console.sign_in("mo")
    assert console.client.get("/queue", follow_redirects=False).status_code == 200
    console.store.set_role("mo", "auditor")
    assert console.client.get("/queue", follow_redirects=False).status_code == 303
    console.sign_in("mo")
    console.store.remove_user("mo")
    assert console.client.get("/queue", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(console: Console) -> None:
    console.sign_in("lead")
    assert console.post("/signout").status_code == 303  # type: ignore[attr-defined]
    assert console.client.get("/queue", follow_redirects=False).status_code == 303


def test_csv_export_matches_the_cli_columns_and_defuses_formulas(console: Console) -> None:
    fid = console.flag('=HYPERLINK("x") [NAME]')
    console.sign_in("lead")
    response = console.client.get("/export.csv?status=all")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    [row] = rows
    assert row["flag_id"] == fid and row["redacted"].startswith("'=HYPERLINK")
    assert set(row) >= {"user_hash", "category", "citation_ids", "status", "decided"}
    feedback = console.client.get("/export.csv?table=feedback")
    assert feedback.text.startswith("created,platform,user_hash")
    assert console.store.entries(1)[0].detail == "feedback rows=0"


def test_purge_needs_a_confirmation_step(console: Console) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.store import open_records
    from bot.types import Actor, Category, Conversation, Flag, Message, Platform, Severity

    old_store = open_records(console.settings, clock=lambda: datetime.now(UTC) - timedelta(days=100))
    old = old_store.record_flag(
        Message("x", Actor("U1"), Conversation(Platform.SLACK, "T1", "C0WARD")),
        Flag(Category.HONESTY, Severity.LOW, (), (), "old [NAME]"),
    )
    old_store.close()
    new = console.flag()
    console.sign_in("lead")
    preview = console.post("/retention/preview", days="90")
    assert preview.status_code == 200 and "permanently delete <strong>1 flags" in preview.text  # type: ignore[attr-defined]
    assert console.records.flag(old) is not None  # counting deletes nothing
    unconfirmed = console.post("/retention/purge", days="90")
    assert unconfirmed.status_code == 400 and "Nothing was deleted" in unconfirmed.text  # type: ignore[attr-defined]
    assert console.post("/retention/preview", days="-3").status_code == 400  # type: ignore[attr-defined]
    done = console.post("/retention/purge", days="90", confirm="yes")
    assert done.status_code == 200 and "Deleted 1 flags" in done.text  # type: ignore[attr-defined]
    assert console.records.flag(old) is None and console.records.flag(new) is not None
    assert "purge days=90 flags=1 feedback=0" in [f"{e.action} {e.detail}" for e in console.store.entries(20)]


def test_trends_show_each_chart_with_a_data_table(console: Console) -> None:
    fid = console.flag()
    console.records.record_decline("", "no_match", ["tiktok"])
    console.sign_in("lead")
    page = console.client.get("/trends").text
    for key in ("per-category", "outcomes", "false-alarms", "time-to-decision", "helpfulness", "declined-topics"):
        assert f'data-chart="{key}"' in page and f'aria-labelledby="{key}-title {key}-desc"' in page
    assert page.count("<details>") == 6 and "tiktok" in page
    assert 'data-label="Confirmed" data-value="0"' in page
    console.post(f"/flags/{fid}/decide", status="confirmed")
    assert 'data-label="Confirmed" data-value="1"' in console.client.get("/trends").text


@pytest.mark.parametrize("weeks", ["4", "52", "nonsense", "-1"])
def test_trends_period(console: Console, weeks: str) -> None:
    console.sign_in("aud")
    assert console.client.get(f"/trends?weeks={weeks}").status_code == 200
