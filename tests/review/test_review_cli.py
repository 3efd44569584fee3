"""``gmcbot review-users`` and ``gmcbot serve review`` as a user runs them: a real server
process on a fresh data folder, spoken to over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.cli import main
from tests.review.conftest import CSRF, PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: Path, *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_review_users(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert (
        cli(capsys, monkeypatch, data, "review-users", "add", "jo", "--role", "ig-lead", stdin=PASSWORD + "\n")[0] == 0
    )
    code, _, err = cli(capsys, monkeypatch, data, "review-users", "add", "jo", "--role", "auditor", stdin=PASSWORD)
    assert code == 2 and "already exists" in err
    code, _, err = cli(capsys, monkeypatch, data, "review-users", "add", "sam", "--role", "moderator", stdin="short")
    assert code == 2 and "at least 12" in err
    code, _, err = cli(
        capsys, monkeypatch, data, "review-users", "add", "bad name!", "--role", "moderator", stdin=PASSWORD
    )
    assert code == 2 and "account name" in err
    assert cli(capsys, monkeypatch, data, "review-users", "role", "jo", "auditor")[0] == 0
    assert cli(capsys, monkeypatch, data, "review-users", "list")[1] == "jo  auditor\n"
    assert cli(capsys, monkeypatch, data, "review-users", "passwd", "jo", stdin="another long password")[0] == 0
    assert cli(capsys, monkeypatch, data, "review-users", "unlock", "jo")[0] == 0
    assert cli(capsys, monkeypatch, data, "review-users", "remove", "jo")[0] == 0
    code, _, err = cli(capsys, monkeypatch, data, "review-users", "remove", "jo")
    assert code == 1 and "no account named 'jo'" in err
    raw = (data / "gmcbot.sqlite3").read_bytes()
    assert PASSWORD.encode() not in raw


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``gmcbot serve review --port 0`` on a fresh data folder; yields its base URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GMCBOT_DATA_DIR": str(tmp_path / "fresh")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "review", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + proc.stderr.read()[-2000:] if proc.poll() is not None else line
        base = f"http://127.0.0.1:{match.group(1)}"
        for _ in range(100):
            try:
                httpx.get(base + "/signin", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_fresh_console_redirects_to_sign_in_and_refuses_a_wrong_password(served: str) -> None:
    with httpx.Client(base_url=served, follow_redirects=False, timeout=10) as client:
        home = client.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/signin"
        page = client.get("/signin")
        assert page.status_code == 200 and "<form" in page.text and 'type="password"' in page.text
        match = CSRF.search(page.text)
        assert match
        wrong = client.post("/signin", data={"name": "admin", "password": "not the password", "csrf": match.group(1)})
        assert wrong.status_code == 401 and "did not match" in wrong.text
        for path in ("/queue", "/trends", "/export.csv", "/retention", "/activity", "/flags/x", "/anything"):
            response = client.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/signin", path
        for path in ("/flags/x/decide", "/retention/purge", "/signout"):
            assert client.post(path, data={"csrf": "x"}).status_code == 401, path
        assert client.get("/static/htmx.min.js").status_code == 200
        assert client.get("/static/console.css").status_code == 200
