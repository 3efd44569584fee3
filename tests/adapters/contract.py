"""The adapter contract suite: what every chat platform's adapter must do, written once.

A platform's tests subclass :class:`AdapterContract` and provide a ``platform`` fixture
yielding a :class:`PlatformDriver` (the real adapter served against a local fake of the
platform's API). Every ``test_*`` here then runs for that platform: asking, notices,
moderators, review rules, errors and privacy. A new platform (Teams) inherits the suite
by writing one driver.

Drivers are async (Discord's client is; a driver over a synchronous adapter wraps its
calls with ``asyncio.to_thread``). Each method waits until the adapter has delivered
what it will deliver (poll briefly; adapters answer from worker threads).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from bot import wording
from bot.records import Records
from bot.service import GuidanceBot
from bot.types import FlagStatus
from tests.privacy import identifiers_in, leaks

POLICY_QUESTION = "A patient contacted me on Twitter about their care: can I give clinical advice there?"
FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"
IDENTIFIERS = ("John Carter", "943 476 5919", "9434765919")
ORDINARY = "Handover is at 8pm tonight in the seminar room, bring your bleep."


@dataclass
class Delivered:
    """What the adapter delivered after one inbound event, as plain text per audience:
    ``private`` to the person who acted (ephemeral, DM), ``moderators`` in the moderators'
    channel, ``public`` anywhere else visible. ``flag_ids`` are the flag ids the
    deliveries' buttons carry (empty when none)."""

    private: list[str] = field(default_factory=list)
    moderators: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    flag_ids: list[str] = field(default_factory=list)

    @property
    def everything(self) -> str:
        return "\n".join([*self.private, *self.moderators, *self.public])


class PlatformDriver(Protocol):
    """One platform's adapter, served for real against its local fake API."""

    guidance: GuidanceBot
    records: Records

    async def ask(self, question: str) -> Delivered:
        """Ask ``question`` the platform's private way (slash command)."""

    async def post(self, text: str) -> Delivered:
        """Post ``text`` as a staff member in the ward channel."""

    async def monitor(self, on: bool = True, moderators: bool = True) -> None:
        """Set the ward channel's screening (and its moderators' channel) through the core."""

    async def decide(self, flag_id: str, status: FlagStatus, *, as_poster: bool) -> Delivered:
        """Click an outcome button on a flag: as its poster (on the private notice) or as
        someone who is neither the poster nor a moderator."""

    async def break_core(self) -> None:
        """Make the core fail from now on (asking raises)."""

    def sent_everything(self) -> str:
        """Every request body the adapter sent to the platform so far, as text."""

    def log_text(self) -> str:
        """Everything logged so far (the suite checks no identifier is in it)."""


class AdapterContract:
    """Tests every adapter MUST pass. A subclass supplies the ``platform`` fixture (a
    :class:`PlatformDriver`; pytest reports "fixture 'platform' not found" without it)."""

    # -- asking --------------------------------------------------------------------------
    async def test_an_answer_shows_the_citation_and_its_link(self, platform: PlatformDriver) -> None:
        got = await platform.ask(POLICY_QUESTION)
        answer = platform.guidance.ask(POLICY_QUESTION)
        assert answer.best is not None
        assert got.private, "the answer must be delivered to the asker"
        shown = got.everything
        assert answer.best.document.url in shown
        assert answer.best.paragraph.number in shown

    async def test_a_failing_core_says_sorry_once(self, platform: PlatformDriver) -> None:
        await platform.break_core()
        got = await platform.ask(POLICY_QUESTION)
        assert len(got.private) == 1
        assert got.private[0].startswith("Sorry, something went wrong")

    # -- screening and notices -------------------------------------------------------------
    async def test_an_unmonitored_channel_is_not_screened(self, platform: PlatformDriver) -> None:
        got = await platform.post(FLAGGED)
        assert got.everything == ""
        assert not _flags(platform)

    async def test_an_ordinary_message_gets_no_notice(self, platform: PlatformDriver) -> None:
        await platform.monitor()
        got = await platform.post(ORDINARY)
        assert got.everything == ""

    async def test_a_flag_tells_the_poster_privately_and_the_moderators_redacted(
        self, platform: PlatformDriver
    ) -> None:
        await platform.monitor(moderators=True)
        got = await platform.post(FLAGGED)
        assert len(got.private) == 1 and len(got.moderators) == 1 and got.public == []
        flag = platform.guidance.screen(FLAGGED).flag
        assert flag is not None
        assert wording.category_label(flag.category) in got.private[0]
        assert flag.redacted.split()[0] in got.moderators[0]
        assert len(_flags(platform)) == 1

    async def test_no_moderators_channel_means_no_moderators_note(self, platform: PlatformDriver) -> None:
        await platform.monitor(moderators=False)
        got = await platform.post(FLAGGED)
        assert len(got.private) == 1 and got.moderators == []

    # -- review rules ------------------------------------------------------------------------
    async def test_the_poster_may_say_they_will_remove_it(self, platform: PlatformDriver) -> None:
        await platform.monitor()
        await platform.post(FLAGGED)
        (flag_id,) = _flags(platform)
        await platform.decide(flag_id, FlagStatus.REMOVED, as_poster=True)
        assert _status(platform, flag_id) is FlagStatus.REMOVED

    async def test_a_stranger_may_not_decide_a_flag(self, platform: PlatformDriver) -> None:
        await platform.monitor()
        await platform.post(FLAGGED)
        (flag_id,) = _flags(platform)
        got = await platform.decide(flag_id, FlagStatus.FALSE_ALARM, as_poster=False)
        assert _status(platform, flag_id) is FlagStatus.OPEN
        assert got.private, "a refusal is told to the clicker privately"

    # -- privacy -----------------------------------------------------------------------------
    async def test_no_identifier_reaches_the_platform_the_records_or_the_logs(self, platform: PlatformDriver) -> None:
        await platform.monitor()
        await platform.post(FLAGGED)
        everything = "\n".join([platform.sent_everything(), str(_flag_rows(platform)), platform.log_text()])
        needles = identifiers_in(FLAGGED, platform.guidance.screen(FLAGGED))
        assert {n.kind for n in needles} >= {"nhs-number", "name"}
        assert leaks(needles, everything) == []
        for identifier in IDENTIFIERS:
            assert not re.search(re.escape(identifier), everything)


def _flag_rows(platform: PlatformDriver) -> list[object]:
    flags = getattr(platform.records, "flags", None)
    return list(flags.values()) if isinstance(flags, dict) else []


def _flags(platform: PlatformDriver) -> list[str]:
    flags = getattr(platform.records, "flags", None)
    return list(flags) if isinstance(flags, dict) else []


def _status(platform: PlatformDriver, flag_id: str) -> FlagStatus:
    row = platform.records.flag(flag_id)
    assert row is not None, f"flag {flag_id} is not recorded"
    return row.status
