"""``gmcbot review-users``: local accounts of the review console (docs/review.md).

Passwords are read from a prompt (twice) or, when standard input is not a terminal, from
its first line; they are stored only as argon2 hashes.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from adapters.cli.common import settings_from
from bot import ConfigError

if TYPE_CHECKING:
    from bot import ReviewStore

ROLES = ("ig-lead", "moderator", "auditor")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser(
        "review-users",
        help="local accounts of the review console (gmcbot serve review)",
        description="Manage who can sign in to the review console. Roles: ig-lead "
        "(everything), moderator (view and decide flags), auditor (view, export, activity).",
    )
    usub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = usub.add_parser("add", help="add an account (password from a prompt or standard input)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=cmd_add)
    ls = usub.add_parser("list", help="list accounts and their roles")
    ls.set_defaults(func=cmd_list)
    pw = usub.add_parser("passwd", help="set an account's password (also unlocks it)")
    pw.add_argument("name", metavar="NAME")
    pw.set_defaults(func=cmd_passwd)
    role = usub.add_parser("role", help="change an account's role (it signs in again)")
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(func=cmd_role)
    unlock = usub.add_parser("unlock", help="unlock an account locked after repeated failed sign-ins")
    unlock.add_argument("name", metavar="NAME")
    unlock.set_defaults(func=cmd_unlock)
    rm = usub.add_parser("remove", help="remove an account (its sessions end)")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_remove)


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[ReviewStore]:
    from bot import open_review

    records, store = open_review(settings_from(args))
    try:
        yield store
    finally:
        records.close()


def read_password(prompt: str = "Password: ") -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise ConfigError("the passwords did not match")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def cmd_add(args: argparse.Namespace) -> int:
    from bot import check_name, check_role

    name, role = check_name(args.name), check_role(args.role)
    password = read_password()
    with _store(args) as store:
        store.add_user(name, role, password)
    print(f"Added {name} ({role}).")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with _store(args) as store:
        users = store.users()
    if not users:
        print("No accounts. Add one with: gmcbot review-users add NAME --role ig-lead")
    now = datetime.now(UTC).timestamp()
    for u in users:
        locked = "  locked" if u.locked_until and u.locked_until > now else ""
        print(f"{u.name}  {u.role}{locked}")
    return 0


def _done(found: bool, name: str, what: str) -> int:
    if not found:
        print(f"gmcbot review-users: no account named '{name}'", file=sys.stderr)
        return 1
    print(f"{name}: {what}.")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    password = read_password("New password: ")
    with _store(args) as store:
        return _done(store.set_password(args.name, password), args.name, "password changed")


def cmd_role(args: argparse.Namespace) -> int:
    with _store(args) as store:
        return _done(store.set_role(args.name, args.role), args.name, f"role is now {args.role}")


def cmd_unlock(args: argparse.Namespace) -> int:
    with _store(args) as store:
        return _done(store.unlock(args.name), args.name, "unlocked")


def cmd_remove(args: argparse.Namespace) -> int:
    with _store(args) as store:
        return _done(store.remove_user(args.name), args.name, "removed")
