"""The review console's accounts, sessions and access log, in the audit database
(tables from migration 0002; see docs/review.md).

- Accounts: a name, a role (``ig-lead``, ``moderator``, ``auditor``) and an argon2id hash
  of the password (argon2-cffi's recommended parameters). After ``MAX_FAILURES`` wrong
  passwords in a row an account is locked for ``LOCK_MINUTES``; while locked even the right
  password is refused. A name with no account costs the same hashing time as one with.
- Sessions: the browser holds a random token; the table holds only its SHA-256, the
  account, the role, the reviewer's pseudonym and the CSRF token for its forms. A session
  ends after ``IDLE_MINUTES`` unused or ``MAX_HOURS`` in all, or at sign-out.
- Log: every view and action, with the reviewer's pseudonym and role, and details that
  are ids, filters and counts (never text from a flag).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, Table, delete, select, update

from bot.errors import ConfigError
from bot.records import pseudonymise
from bot.store.review_models import CONSOLE_ROLES, ReviewLogRow, ReviewSessionRow, ReviewUserRow
from bot.store.sql import as_utc, utcnow

USERS: Table = ReviewUserRow.__table__  # type: ignore[assignment]
SESSIONS: Table = ReviewSessionRow.__table__  # type: ignore[assignment]
LOG: Table = ReviewLogRow.__table__  # type: ignore[assignment]

MAX_FAILURES = 5
LOCK_MINUTES = 15
IDLE_MINUTES = 30
MAX_HOURS = 12
MIN_PASSWORD = 12
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


@dataclass(frozen=True)
class ReviewUser:
    name: str
    role: str
    created: float
    failed_logins: int
    locked_until: float | None


@dataclass(frozen=True)
class Session:
    user_name: str
    role: str
    reviewer_hash: str
    auth: str
    csrf: str

    @property
    def identity(self) -> str:
        """What the reviewer's pseudonym is computed from."""
        return f"{'review' if self.auth == 'local' else 'oidc'}:{self.user_name}"


@dataclass(frozen=True)
class LogEntry:
    created: float
    reviewer_hash: str
    role: str
    action: str
    detail: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise ConfigError("an account name is 1-64 letters, digits, '.', '_', '-' or '@'")
    return name


def check_role(role: str) -> str:
    if role not in CONSOLE_ROLES:
        raise ConfigError(f"role must be one of {', '.join(CONSOLE_ROLES)}, not {role!r}")
    return role


class ReviewStore:
    def __init__(
        self,
        engine: Engine,
        key: bytes,
        *,
        clock: Callable[[], datetime] = utcnow,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine = engine
        self._key = key
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def derive(self, label: str) -> bytes:
        """A secret for ``label`` (e.g. signing the sign-in form), derived from the key."""
        return hmac.new(self._key, label.encode("utf-8"), hashlib.sha256).digest()

    def pseudonym(self, who: str) -> str:
        """The pseudonym of a console identity (``review:NAME`` or ``oidc:OBJECT-ID``)."""
        return pseudonymise(self._key, who)

    # -- accounts -------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password: str) -> None:
        name, role = check_name(name), check_role(role)
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"the password must be at least {MIN_PASSWORD} characters")
        with self.engine.begin() as conn:
            if conn.execute(select(USERS.c.name).where(USERS.c.name == name)).first() is not None:
                raise ConfigError(f"an account named {name!r} already exists")
            conn.execute(
                USERS.insert().values(
                    name=name,
                    role=role,
                    password_hash=self._hasher.hash(password),
                    created=self._clock(),
                    failed_logins=0,
                    locked_until=None,
                )
            )

    def set_password(self, name: str, password: str) -> bool:
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"the password must be at least {MIN_PASSWORD} characters")
        return self._update_user(name, password_hash=self._hasher.hash(password), failed_logins=0, locked_until=None)

    def set_role(self, name: str, role: str) -> bool:
        return self._update_user(name, role=check_role(role))

    def unlock(self, name: str) -> bool:
        return self._update_user(name, failed_logins=0, locked_until=None)

    def remove_user(self, name: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.user_name == name, SESSIONS.c.auth == "local"))
            return conn.execute(delete(USERS).where(USERS.c.name == name)).rowcount > 0

    def users(self) -> list[ReviewUser]:
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(USERS).order_by(USERS.c.name)).mappings())
        return [
            ReviewUser(
                r["name"],
                r["role"],
                as_utc(r["created"]).timestamp(),
                r["failed_logins"],
                as_utc(r["locked_until"]).timestamp() if r["locked_until"] else None,
            )
            for r in rows
        ]

    def _update_user(self, name: str, **values: Any) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(update(USERS).where(USERS.c.name == name).values(**values)).rowcount > 0

    def authenticate(self, name: str, password: str) -> str | None:
        """The account's role when ``password`` is right and the account is not locked;
        None otherwise (a failure counts towards the lock-out)."""
        now = self._clock()
        with self.engine.begin() as conn:
            row = conn.execute(select(USERS).where(USERS.c.name == name.strip())).mappings().first()
            if row is None:
                self._verify(self._dummy, password)  # same cost as a real account
                return None
            locked = row["locked_until"] is not None and as_utc(row["locked_until"]) > now
            if locked:
                return None
            if self._verify(row["password_hash"], password):
                values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
                if self._hasher.check_needs_rehash(row["password_hash"]):
                    values["password_hash"] = self._hasher.hash(password)
                conn.execute(update(USERS).where(USERS.c.name == row["name"]).values(**values))
                return str(row["role"])
            failures = int(row["failed_logins"]) + 1
            if failures >= MAX_FAILURES:
                conn.execute(
                    update(USERS)
                    .where(USERS.c.name == row["name"])
                    .values(failed_logins=0, locked_until=now + timedelta(minutes=LOCK_MINUTES))
                )
            else:
                conn.execute(update(USERS).where(USERS.c.name == row["name"]).values(failed_logins=failures))
            return None

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # -- sessions -------------------------------------------------------------------------
    def start_session(self, user_name: str, role: str, identity: str, auth: str = "local") -> str:
        """A new session; returns the token for the cookie (stored only as its hash)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self.engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.seen < now - timedelta(minutes=IDLE_MINUTES)))
            conn.execute(
                SESSIONS.insert().values(
                    token_hash=token_hash(token),
                    user_name=user_name,
                    role=check_role(role),
                    reviewer_hash=self.pseudonym(identity),
                    auth=auth,
                    csrf=secrets.token_urlsafe(32),
                    created=now,
                    seen=now,
                )
            )
        return token

    def session(self, token: str) -> Session | None:
        """The live session for a cookie's token (its idle time restarts), or None."""
        if not token:
            return None
        now = self._clock()
        key = token_hash(token)
        with self.engine.begin() as conn:
            row = conn.execute(select(SESSIONS).where(SESSIONS.c.token_hash == key)).mappings().first()
            if row is None:
                return None
            if as_utc(row["seen"]) < now - timedelta(minutes=IDLE_MINUTES) or as_utc(row["created"]) < now - timedelta(
                hours=MAX_HOURS
            ):
                conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == key))
                return None
            if row["auth"] == "local":
                user = conn.execute(select(USERS.c.role).where(USERS.c.name == row["user_name"])).first()
                if user is None or user[0] != row["role"]:  # removed, or the role changed: sign in again
                    conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == key))
                    return None
            conn.execute(update(SESSIONS).where(SESSIONS.c.token_hash == key).values(seen=now))
        return Session(row["user_name"], row["role"], row["reviewer_hash"], row["auth"], row["csrf"])

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == token_hash(token)))

    # -- access log -----------------------------------------------------------------------
    def log(self, reviewer_hash: str, role: str, action: str, detail: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                LOG.insert().values(
                    id=uuid.uuid4().hex,
                    created=self._clock(),
                    reviewer_hash=reviewer_hash,
                    role=role,
                    action=action,
                    detail=detail[:500],
                )
            )

    def entries(self, limit: int = 200) -> list[LogEntry]:
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(LOG).order_by(LOG.c.created.desc(), LOG.c.id).limit(limit)).mappings())
        return [
            LogEntry(as_utc(r["created"]).timestamp(), r["reviewer_hash"], r["role"], r["action"], r["detail"])
            for r in rows
        ]

    def purge_log(self, older_than: timedelta) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(LOG).where(LOG.c.created < self._clock() - older_than)).rowcount)


def open_review(settings: Any, **options: Any) -> tuple[Any, ReviewStore]:
    """The audit records for ``settings`` (migrated) and the console's store on the same
    database and pseudonymisation key."""
    from bot.store.factory import open_records

    records = open_records(settings, **options)
    return records, ReviewStore(records.engine, records._key, clock=records._clock)
