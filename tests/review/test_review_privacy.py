"""Proof, console side, that no patient identifier can appear on any page: every risky
line of every message set goes through the real screening into a real database (flags,
moderators' decisions, feedback, declined questions), then every page the console can
show (the queue under each filter, each flag's page, trends, both CSV exports, the
activity log) is searched for each identifier screening found, in every spelling."""

from __future__ import annotations

import html
from pathlib import Path

from bot.config import Settings
from bot.review import Role
from bot.service import GuidanceBot
from bot.types import Actor, Conversation, FlagStatus, Message, Platform
from index.embedders import HashingEmbedder
from tests.privacy import Needle, identifiers_in, leaks, risky_lines
from tests.review.conftest import make_console


def test_no_identifier_appears_on_any_console_page(tmp_path: Path) -> None:
    c, close = make_console(Settings(data_dir=tmp_path / "data", embedder="hashing"))
    try:
        guide = GuidanceBot(c.settings, embedder=HashingEmbedder(), records=c.records)
        texts = [str(line["text"]) for line in risky_lines()]
        needles: list[Needle] = []
        flag_ids = []
        for i, (text, result) in enumerate(zip(texts, guide.screen_many(texts), strict=True)):
            needles += identifiers_in(text, result)
            message = Message(text, Actor(f"U{i:05d}"), Conversation(Platform.SLACK, "T1", "C0WARD"), ref=f"p{i}")
            if result.flag is not None:
                flag_id = guide.record_flag(message, result.flag)
                flag_ids.append(flag_id)
                if i % 3 == 0:
                    guide.decide_flag(flag_id, FlagStatus.FALSE_ALARM, Actor(f"U{i:05d}"), Role.POSTER)
            guide.record_feedback("slack", message.actor, text, [], helpful=i % 2 == 0)
            guide.ask(text)  # declined questions leave topic labels only
        assert len(flag_ids) > len(texts) // 2 and {"nhs-number", "name"} <= {n.kind for n in needles}

        pages = []
        with c.client:
            c.sign_in("lead")
            for flag_id in flag_ids[::4]:
                c.post(f"/flags/{flag_id}/decide", status="confirmed")
            paths = [
                "/queue?status=all",
                "/queue",
                "/queue?status=confirmed",
                "/queue?status=false_alarm",
                "/trends",
                "/trends?weeks=52",
                "/export.csv?status=all",
                "/export.csv?table=feedback",
                "/activity",
                "/help",
                "/retention",
                *(f"/flags/{f}" for f in flag_ids),
            ]
            for path in paths:
                response = c.client.get(path)
                assert response.status_code == 200, path
                pages.append(html.unescape(response.text))
            pages.append(
                html.unescape(
                    c.client.post(
                        f"/flags/{flag_ids[1]}/decide",
                        headers={"HX-Request": "true"},
                        data={"status": "confirmed", "csrf": c.csrf()},
                    ).text
                )
            )
        everything = "\n".join(pages)
        assert "[NHS NUMBER]" in everything or "[NAME]" in everything  # the search looks at real pages
        assert leaks(needles, "\n".join(texts))  # control: the needles do match the raw messages
        # Each leak with the 30 characters around its first place, so a failure says which page
        # text held it (a digits-only spelling can also match inside an unrelated long number).
        problems = [f"{n.kind}: {n.text!r} in {_around(everything, n.text)!r}" for n in leaks(needles, everything)]
        assert problems == []
        for i in range(len(texts)):
            assert f"U{i:05d}" not in everything  # no raw user id either
    finally:
        close()


def _around(text: str, needle: str) -> str:
    """The 30 characters either side of ``needle``'s first place in ``text`` (case folded)."""
    at = text.casefold().find(needle.casefold())
    return text[max(0, at - 30) : at + len(needle) + 30] if at >= 0 else ""
