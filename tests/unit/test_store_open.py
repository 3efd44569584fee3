"""Opening the audit store: URLs, passwords kept out of messages, the pseudonym key
file, and clear errors when the database cannot be opened."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError, StoreUnavailable
from bot.store import normalise_url, open_records, safe_url
from bot.store.keys import KEY_FILE_NAME, key_file_for, load_or_create_key


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "given", ["postgresql://u@h:5432/db", "postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"]
)
def test_postgres_urls_use_psycopg_3(given: str) -> None:
    assert normalise_url(given).drivername == "postgresql+psycopg"


def test_sqlite_url_is_accepted() -> None:
    assert normalise_url("sqlite:////tmp/x.sqlite3").database == "/tmp/x.sqlite3"


@pytest.mark.parametrize("bad", ["mysql://u:pw@h/db", "nonsense", "postgresql+psycopg2://u:pw@h/db"])
def test_unsupported_or_malformed_urls_are_config_errors_without_password(bad: str) -> None:
    with pytest.raises(ConfigError) as exc:
        normalise_url(bad)
    assert ":pw@" not in str(exc.value)


def test_safe_url_hides_the_password() -> None:
    shown = safe_url("postgresql+psycopg://gmc:s3cret@db.trust.nhs.uk:5432/audit")
    assert shown == "postgresql+psycopg://gmc:***@db.trust.nhs.uk:5432/audit"
    assert safe_url("not a url://gmc:s3cret@host") == "not a url://gmc:***@host"


def test_unreachable_postgres_names_the_url_without_password(tmp_path: Path) -> None:
    url = f"postgresql://gmc:hunter2-secret@127.0.0.1:{closed_port()}/audit"
    with pytest.raises(StoreUnavailable) as exc:
        open_records(Settings(data_dir=tmp_path, database_url=url))
    message = str(exc.value)
    assert "cannot open the database at postgresql+psycopg://gmc:***@127.0.0.1:" in message
    assert "hunter2-secret" not in message


def test_sqlite_in_an_impossible_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailable, match="cannot create the database at sqlite:///"):
        open_records(Settings(data_dir=tmp_path, database_url=f"sqlite:///{blocker}/sub/audit.sqlite3"))


def test_not_a_database_file_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreUnavailable, match="junk.sqlite3"):
        open_records(Settings(data_dir=tmp_path, database_url=f"sqlite:///{junk}"))


def test_the_cli_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GMCBOT_DATA_DIR": str(tmp_path),
        "GMCBOT_DATABASE_URL": f"postgresql://gmc:hunter2-secret@127.0.0.1:{closed_port()}/audit",
    }
    for args in (("audit", "list"), ("settings", "list")):
        out = subprocess.run(
            [sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, env=env, timeout=60
        )
        assert out.returncode == 1
        assert "cannot open the database at postgresql+psycopg://gmc:***@127.0.0.1:" in out.stderr
        assert "hunter2-secret" not in out.stderr + out.stdout and "Traceback" not in out.stderr


def test_default_store_is_a_private_sqlite_file_with_a_private_key_beside_it(tmp_path: Path) -> None:
    records = open_records(Settings(data_dir=tmp_path / "data"))
    records.close()
    database = tmp_path / "data" / "gmcbot.sqlite3"
    key = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_text().strip()) == 64


def test_key_file_lives_beside_sqlite_or_in_the_data_folder(tmp_path: Path) -> None:
    assert key_file_for(tmp_path / "db" / "x.sqlite3", tmp_path / "data") == tmp_path / "db" / KEY_FILE_NAME
    assert key_file_for(None, tmp_path / "data") == tmp_path / "data" / KEY_FILE_NAME


def test_environment_key_wins_and_no_file_is_made(tmp_path: Path) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    assert load_or_create_key("from-env", key_file) == b"from-env"
    assert not key_file.exists()


def test_generated_key_is_stable(tmp_path: Path) -> None:
    key_file = tmp_path / "sub" / KEY_FILE_NAME
    first = load_or_create_key("", key_file)
    assert load_or_create_key("", key_file) == first
    assert len(first) == 64


def test_loose_key_file_permissions_are_tightened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    key = load_or_create_key("", key_file)
    os.chmod(key_file, 0o644)
    assert load_or_create_key("", key_file) == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text and key.decode() not in caplog.text


def test_truncated_key_file_is_a_clear_error(tmp_path: Path) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    key_file.write_text("short")
    os.chmod(key_file, 0o600)
    with pytest.raises(ConfigError, match="too short"):
        load_or_create_key("", key_file)


def test_processes_racing_to_create_the_key_agree(tmp_path: Path) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    barrier = threading.Barrier(8)
    keys: list[bytes] = []

    def make() -> None:
        barrier.wait()
        keys.append(load_or_create_key("", key_file))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no temporary files left


def test_ask_works_without_the_database(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GMCBOT_DATA_DIR": str(tmp_path),
        "GMCBOT_EMBEDDER": "hashing",
        "GMCBOT_DATABASE_URL": f"postgresql://gmc@127.0.0.1:{closed_port()}/audit",
    }
    out = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "ask", "--json", "friend request from a patient"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "database" not in out.stderr
