"""The secret behind pseudonymised user ids.

``GMCBOT_PSEUDONYM_KEY`` wins. Without it a random key is made once and kept in a file
readable by its owner only: beside the SQLite database, or in the data folder for
PostgreSQL. Several processes sharing a PostgreSQL database on different hosts must
share the key through the environment, or their pseudonyms will not match.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from bot.errors import ConfigError

KEY_FILE_NAME = "gmcbot-pseudonym.key"

log = logging.getLogger(__name__)


def key_file_for(database_file: Path | None, data_dir: Path) -> Path:
    """Where the generated key lives for a database."""
    folder = database_file.parent if database_file is not None else data_dir
    return folder / KEY_FILE_NAME


def load_or_create_key(configured: str, key_file: Path) -> bytes:
    """The key from the environment if set, else the key file (created if missing)."""
    if configured:
        return configured.encode("utf-8")
    try:
        return _read_key(key_file)
    except FileNotFoundError:
        pass
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        _publish_new_key(key_file)
    except FileExistsError:  # another process made it first
        pass
    except OSError as exc:
        raise ConfigError(
            f"cannot create the pseudonym key file {key_file}: {exc.strerror}; set GMCBOT_PSEUDONYM_KEY instead"
        ) from None
    else:
        log.info("generated a pseudonym key in %s", key_file)
    return _read_key(key_file)


def _publish_new_key(key_file: Path) -> None:
    """Write a fresh key to a private temporary file, then link it into place, so no
    other process ever sees a half-written key. FileExistsError if one is already there."""
    tmp = key_file.with_name(f".{key_file.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        os.link(tmp, key_file)
    finally:
        tmp.unlink(missing_ok=True)


def _read_key(key_file: Path) -> bytes:
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        log.warning("pseudonym key file %s was readable by others (mode %o); making it owner-only", key_file, mode)
        os.chmod(key_file, 0o600)
    text = key_file.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ConfigError(
            f"pseudonym key file {key_file} is empty or too short; "
            "restore it from backup, or delete it to start new pseudonyms"
        )
    return text.encode("ascii")
