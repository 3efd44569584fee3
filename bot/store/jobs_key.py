"""The key that encrypts durable jobs' payloads (Fernet), kept apart from the database.

``GMCBOT_JOB_KEY`` (a Fernet key: 32 url-safe base64-encoded bytes, as made by
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``)
wins. Without it a key is made once in ``<data dir>/gmcbot-job.key``, readable by its
owner only. Workers sharing a PostgreSQL database on several hosts must share the key
through the environment, or one cannot replay another's jobs (they are then purged
unread after the age limit, and the log says so).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from cryptography.fernet import Fernet

from bot.errors import ConfigError

JOB_KEY_FILE_NAME = "gmcbot-job.key"

log = logging.getLogger(__name__)


def job_key_file(data_dir: Path) -> Path:
    return data_dir / JOB_KEY_FILE_NAME


def load_or_create_job_key(configured: str, key_file: Path) -> Fernet:
    """The Fernet for the configured key, else for the key file (created if missing)."""
    if configured:
        return _fernet(configured, "GMCBOT_JOB_KEY")
    if not key_file.exists():
        try:
            key_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = key_file.with_name(f".{key_file.name}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(Fernet.generate_key().decode("ascii") + "\n")
                os.link(tmp, key_file)  # FileExistsError if another process made it first
                log.info("generated a job key in %s", key_file)
            finally:
                tmp.unlink(missing_ok=True)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ConfigError(
                f"cannot create the job key file {key_file}: {exc.strerror}; set GMCBOT_JOB_KEY instead"
            ) from None
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        log.warning("job key file %s was readable by others (mode %o); making it owner-only", key_file, mode)
        os.chmod(key_file, 0o600)
    return _fernet(key_file.read_text(encoding="ascii").strip(), str(key_file))


def _fernet(key: str, where: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ConfigError(
            f"the job key in {where} is not a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from None
