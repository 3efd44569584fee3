"""Who may decide a flag: the state machine every way of changing a flag goes through
(Slack and Discord buttons, the review console, ``gmcbot audit review``).

States: ``open``, ``removed`` (the poster said they would remove it), ``false_alarm`` and
``confirmed``; and, beside the status, whether a moderator has *decided* the flag.

| who | may set | while |
|---|---|---|
| the poster (checked here: their pseudonym is the flag's) | ``removed``, ``false_alarm`` | no moderator has decided |
| a moderator (vouched for by the adapter: the moderators' channel, a moderator role, or a console account) | ``confirmed``, ``false_alarm`` | always, except on their own message |
| anyone else, or an auditor | nothing | |

A decided flag changes only by a moderator. Every change is written with the actor's
pseudonym, role, source and time in the same step as the change (a compare-and-set, so two
clicks at once cannot both win). A refusal carries a sentence to show the clicker privately.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.decisions import FlagChange
from bot.errors import StoreUnavailable
from bot.records import FlagRecord, Records
from bot.types import Actor, FlagStatus, Platform


class Role(enum.StrEnum):
    """Roles in the review of flags. Chat adapters act as POSTER or MODERATOR; console
    accounts are IG_LEAD, MODERATOR or AUDITOR."""

    POSTER = "poster"
    MODERATOR = "moderator"
    IG_LEAD = "ig-lead"
    AUDITOR = "auditor"


DECIDERS = frozenset({Role.MODERATOR, Role.IG_LEAD})
POSTER_STATUSES = frozenset({FlagStatus.REMOVED, FlagStatus.FALSE_ALARM})
DECISION_STATUSES = frozenset({FlagStatus.CONFIRMED, FlagStatus.FALSE_ALARM})
CONSOLE_ROLES = (Role.IG_LEAD, Role.MODERATOR, Role.AUDITOR)


class Permission(enum.StrEnum):
    """What a console account may do."""

    VIEW = "view"  # the queue, a flag, trends
    DECIDE = "decide"
    EXPORT = "export"
    RETENTION = "retention"  # purge
    ACTIVITY = "activity"  # the console's own access log
    ACCOUNTS = "accounts"


CONSOLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.IG_LEAD: frozenset(Permission),
    Role.MODERATOR: frozenset({Permission.VIEW, Permission.DECIDE}),
    Role.AUDITOR: frozenset({Permission.VIEW, Permission.EXPORT, Permission.ACTIVITY}),
}


def may(role: Role | str, permission: Permission) -> bool:
    try:
        return permission in CONSOLE_PERMISSIONS.get(Role(role), frozenset())
    except ValueError:
        return False


class Outcome(enum.StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # already so: nothing written
    REFUSED = "refused"
    UNKNOWN = "unknown"  # no such flag (purged, or a forged id)
    UNAVAILABLE = "unavailable"  # the database is away


NOT_POSTER = "Only the person who posted the message can answer this notice."
ALREADY_DECIDED = (
    "A moderator has already decided this flag, so it can't be changed from here. "
    "Ask a moderator if you think the decision is wrong."
)
NOT_MODERATOR = (
    "Only moderators can decide flags: from the moderators' channel for the channel it was "
    "raised in, or with the moderator role."
)
OWN_MESSAGE = "You can't decide a flag on your own message; another moderator will."
NOT_FOR_POSTER = "The poster can say they'll remove the message or that it's a false alarm, nothing else."
NOT_FOR_MODERATOR = "Moderators can confirm a flag or mark it a false alarm, nothing else."
READ_ONLY = "Your role can view flags but not decide them."
UNKNOWN_FLAG = "I no longer have a record of that flag."
UNAVAILABLE = "I couldn't record that just now (the audit database is unavailable). Please try again shortly."


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    message: str = ""  # for REFUSED, UNKNOWN, UNAVAILABLE: what to tell the clicker privately
    flag: FlagRecord | None = None  # the flag after the change (or as it stands)

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.CHANGED, Outcome.UNCHANGED)


def refusal(record: FlagRecord, status: FlagStatus, acting_as: Role, *, is_poster: bool, vouched: bool) -> str:
    """Why ``acting_as`` may not set ``record`` to ``status`` ('' when allowed).
    ``is_poster``: the actor's pseudonym is the flag's; ``vouched``: the adapter checked the
    actor holds ``acting_as`` (a moderator: the moderators' channel, a role, an account)."""
    if acting_as is Role.POSTER:
        if not is_poster:
            return NOT_POSTER
        if status not in POSTER_STATUSES:
            return NOT_FOR_POSTER
        if record.decided:
            return ALREADY_DECIDED
        return ""
    if acting_as in DECIDERS:
        if not vouched:
            return NOT_MODERATOR
        if status not in DECISION_STATUSES:
            return NOT_FOR_MODERATOR
        if is_poster:
            return OWN_MESSAGE
        return ""
    return READ_ONLY


def next_state(record: FlagRecord, status: FlagStatus, acting_as: Role) -> tuple[FlagStatus, bool]:
    """The (status, decided) an allowed change leads to."""
    return status, record.decided or acting_as in DECIDERS


def moderator_vouched(
    records: Records,
    record: FlagRecord,
    *,
    vouched: bool,
    workspace: str = "",
    from_channel: str = "",
    default_moderators: str = "",
) -> bool:
    """Whether a would-be moderator counts as one for this flag: the adapter vouched (a
    moderator role, a console account), or the click came from the moderators' channel set
    for the flag's channel (or the default one). Given ``workspace`` (a Slack team, a
    Discord server), it must be the flag's."""
    if workspace and record.workspace and workspace != record.workspace:
        return False
    if vouched:
        return True
    if not from_channel:
        return False
    try:
        platform = Platform(record.platform)
    except ValueError:
        return False
    moderators = records.channel_settings(platform, record.workspace, record.channel).moderators_channel
    moderators = moderators or default_moderators
    return bool(moderators) and from_channel == moderators


def decide(
    records: Records,
    flag_id: str,
    status: FlagStatus,
    actor: Actor,
    acting_as: Role,
    *,
    vouched: bool = False,
    workspace: str = "",
    from_channel: str = "",
    default_moderators: str = "",
    source: str = "",
    attempts: int = 3,
) -> Decision:
    """Apply one change under the rules above; never raises for the database being away.
    For a moderator, ``vouched``, ``workspace``, ``from_channel`` and ``default_moderators``
    go to :func:`moderator_vouched`."""
    try:
        for _ in range(attempts):
            record = records.flag(flag_id)
            if record is None:
                return Decision(Outcome.UNKNOWN, UNKNOWN_FLAG)
            actor_hash = records.pseudonym(actor.user_id)
            is_poster = bool(actor_hash) and actor_hash == record.user_hash
            is_moderator = acting_as in DECIDERS and moderator_vouched(
                records,
                record,
                vouched=vouched,
                workspace=workspace,
                from_channel=from_channel,
                default_moderators=default_moderators,
            )
            why = refusal(record, FlagStatus(status), acting_as, is_poster=is_poster, vouched=is_moderator)
            if why:
                return Decision(Outcome.REFUSED, why, record)
            new_status, decided = next_state(record, FlagStatus(status), acting_as)
            if (new_status, decided) == (record.status, record.decided):
                return Decision(Outcome.UNCHANGED, "", record)
            change = FlagChange(
                flag_id, record.status, record.decided, new_status, decided, actor_hash, acting_as.value, source
            )
            if records.change_flag(change):
                return Decision(Outcome.CHANGED, "", records.flag(flag_id))
            # Someone else changed it between our read and write: judge again on the new state.
        return Decision(Outcome.REFUSED, "That flag is being changed by someone else; please try again.")
    except StoreUnavailable:
        return Decision(Outcome.UNAVAILABLE, UNAVAILABLE)
