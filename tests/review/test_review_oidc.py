"""Sign-in through Entra ID (OIDC code flow with PKCE) against a local fake issuer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from adapters.review_web.oidc import NO_ROLE, EntraSignIn
from bot.config import Settings
from tests.fakes.oidc_issuer import CLIENT_ID, CLIENT_SECRET, FakeIssuer
from tests.review.conftest import Console, make_console


@pytest.fixture
def issuer() -> Iterator[FakeIssuer]:
    with FakeIssuer() as fake:
        yield fake


@pytest.fixture
def entra(issuer: FakeIssuer, tmp_path: Path) -> Iterator[Console]:
    settings = Settings(
        data_dir=tmp_path / "data",
        review_oidc_authority=issuer.url,
        review_oidc_client_id=CLIENT_ID,
        review_oidc_client_secret=CLIENT_SECRET,
    )
    c, close = make_console(settings, oidc=EntraSignIn.from_settings(settings))
    with c.client:
        yield c
    close()


def microsoft_sign_in(c: Console, *, state: str | None = None) -> Any:
    """Follow the flow: console -> issuer (signs in at once) -> console callback."""
    start = c.client.get("/signin/entra", follow_redirects=False)
    assert start.status_code == 303
    assert "code_challenge_method=S256" in start.headers["location"] and "nonce=" in start.headers["location"]
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    url = urlparse(back.headers["location"])
    query = url.query if state is None else url.query.replace("state=", f"state={state}")
    return c.client.get(f"{url.path}?{query}", follow_redirects=False)


def test_sign_in_with_microsoft_gives_the_app_role(entra: Console) -> None:
    assert "Sign in with Microsoft" in entra.client.get("/signin").text
    done = microsoft_sign_in(entra)
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    page = entra.client.get("/queue")
    assert page.status_code == 200 and "jo.bloggs@trust.example" in page.text and "(moderator)" in page.text
    [entry] = [e for e in entra.store.entries() if e.action == "sign-in"]
    assert entry.reviewer_hash == entra.store.pseudonym("oidc:jo.bloggs@trust.example") and entry.detail == "oidc"
    fid = entra.flag()
    entra.post(f"/flags/{fid}/decide", status="confirmed")
    [event] = entra.records.flag_events(fid)
    assert event.actor_hash == entra.store.pseudonym("oidc:jo.bloggs@trust.example")


def test_a_user_without_a_review_role_is_refused(entra: Console, issuer: FakeIssuer) -> None:
    issuer.user["roles"] = ["some-other-app-role"]
    refused = microsoft_sign_in(entra)
    assert refused.status_code == 403 and NO_ROLE.split(",")[0] in refused.text.replace("&#39;", "'")
    assert entra.client.get("/queue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "tamper", [{"aud": "someone-else"}, {"nonce": "replayed"}, {"iss": "https://evil.example"}, {"exp": 1}]
)
def test_a_bad_id_token_is_refused(entra: Console, issuer: FakeIssuer, tamper: dict[str, object]) -> None:
    issuer.tamper = tamper
    assert microsoft_sign_in(entra).status_code == 401
    assert entra.client.get("/queue", follow_redirects=False).status_code == 303


def test_a_forged_state_is_refused(entra: Console) -> None:
    assert microsoft_sign_in(entra, state="forged").status_code == 400
