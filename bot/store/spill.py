"""Audit writes that outlive the process: what still waits for the database at exit is
spilled to an encrypted file in the data folder and written at the next start.

- an :class:`Op` is one queued write as data (a table, its values, the key of a row to
  change), so it can be kept in a file; calling it on a connection runs it. Inserts do
  nothing on a conflicting key, so an op written twice (a replay cut short) is harmless;
- :func:`spill` writes ops to ``<dir>/audit-spill-<time>-<pid>-<random>.bin``, created
  owner-only (0600), encrypted and authenticated with Fernet under the job key
  (:mod:`bot.store.jobs_key`: ``GMCBOT_JOB_KEY`` or ``<data dir>/gmcbot-job.key``), never
  readable without it; the rows hold what the database would (redacted text, pseudonyms);
- :func:`take_spilled` claims each spill file by renaming it (two workers sharing a data
  folder never both take one) and reads it back; a file that does not decrypt (another
  key) is left where it was and logged by name only.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Table, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.models import Base

log = logging.getLogger("bot.store")

SPILL_GLOB = "audit-spill-*.bin"
_TAKEN = ".taken-"


@dataclass(frozen=True)
class Op:
    """One write: ``insert`` (nothing on a conflicting key), ``update`` (the rows matching
    ``key``; returns whether one changed), ``upsert`` (insert, or update on ``key``) or
    ``delete`` (the rows matching ``key``; returns whether one went)."""

    kind: str
    table: str
    values: dict[str, Any]
    key: dict[str, Any] = field(default_factory=dict)

    def __call__(self, conn: Connection) -> bool:
        table: Table = Base.metadata.tables[self.table]
        if self.kind in ("update", "delete"):
            where = [table.c[k] == v for k, v in self.key.items()]
            if self.kind == "delete":
                return conn.execute(delete(table).where(*where)).rowcount > 0
            return conn.execute(update(table).where(*where).values(**self.values)).rowcount > 0
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
        stmt = insert.values(**self.key, **self.values)
        if self.kind == "upsert":
            conn.execute(stmt.on_conflict_do_update(index_elements=list(self.key), set_=self.values))
        else:
            conn.execute(stmt.on_conflict_do_nothing())
        return True

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "table": self.table, "values": self.values, "key": self.key}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    raise TypeError(f"cannot spill a {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    return datetime.fromisoformat(obj["$dt"]) if set(obj) == {"$dt"} else obj


def spill(ops: Iterable[Op], directory: Path, fernet: Fernet) -> Path:
    """Write ``ops`` (in order) to a new owner-only encrypted file in ``directory``."""
    data = json.dumps([op.as_dict() for op in ops], default=_encode, separators=(",", ":")).encode("utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-spill-{time.time_ns()}-{os.getpid()}-{secrets.token_hex(3)}.bin"
    tmp = path.with_name("." + path.name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(fernet.encrypt(data))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def take_spilled(directory: Path, fernet: Fernet) -> list[tuple[Path, list[Op]]]:
    """Claim and read every spill file in ``directory``, oldest first. Delete each file
    once its ops are written (:meth:`bot.store.sql.SqlRecords.replay_spilled` does)."""
    taken = []
    for path in sorted(directory.glob(SPILL_GLOB)) if directory.is_dir() else []:
        claimed = path.with_name(path.name + _TAKEN + f"{os.getpid()}-{secrets.token_hex(3)}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            continue  # another worker took it
        try:
            rows = json.loads(fernet.decrypt(claimed.read_bytes()), object_hook=_decode)
            ops = [Op(r["kind"], r["table"], r["values"], r.get("key") or {}) for r in rows]
        except (InvalidToken, ValueError, KeyError, TypeError):
            os.rename(claimed, path)
            log.error("audit store: %s does not decrypt with this worker's job key; left in place", path.name)
            continue
        taken.append((claimed, ops))
    return taken
