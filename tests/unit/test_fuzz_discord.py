"""Fuzzing the Discord adapter's translation functions with arbitrary payloads and
strings: no exception escapes and every output keeps its contract (ids and URLs Discord
accepts, the bot's own mention gone, a core message faithful to the payload). Reply
rendering (embeds, limits, citations) is covered by tests/adapters/test_discord_translate.py."""

from __future__ import annotations

import asyncio
import re

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord import translate as t
from bot.types import FlagStatus, Platform
from tests.fakes import discord_payloads as p
from tests.fakes.discord_driver import DiscordDriver

PROPS = settings(max_examples=300, deadline=None)
BOT_ID = 7

texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="<@!>7 :.,/", max_size=40),
    st.sampled_from(["<@7>", "<@!7>", "<@<@7>7>", "<@!<@!7>7>", "<@77>", "<@&7>", "@everyone"]),
)
filenames = st.one_of(st.text(max_size=40), st.sampled_from(["x.PNG", "scan.jpeg", "notes.pdf", ".heic", "a.tif"]))
content_types = st.one_of(
    st.none(), st.sampled_from(["image/png", "image/", "video/mp4", "application/pdf", ""]), st.text(max_size=20)
)


@PROPS
@given(text=texts, bot_id=st.sampled_from([BOT_ID, 123456789012345678]))
def test_strip_mention_removes_every_mention_of_the_bot(text: str, bot_id: int) -> None:
    out = t.strip_mention(text, bot_id)
    assert f"<@{bot_id}>" not in out and f"<@!{bot_id}>" not in out
    assert out == out.strip()


@PROPS
@given(
    url=st.one_of(
        st.text(max_size=600),
        st.sampled_from(
            ["https://www.gmc-uk.org/x", " https://a.b/c ", "javascript:alert(1)", "https://a b", "http://x/<y>"]
        ),
    )
)
def test_safe_url_gives_an_acceptable_link_or_nothing(url: str) -> None:
    out = t.safe_url(url)
    assert out == "" or (re.fullmatch(r"https?://[^\s<>]+", out) and t.ulen(out) <= t.URL_LIMIT)


@PROPS
@given(
    role=st.text(max_size=8) | st.sampled_from(["poster", "mod"]),
    status=st.sampled_from(list(FlagStatus)),
    flag_id=st.text(max_size=80) | st.from_regex(r"[A-Za-z0-9_-]{1,70}", fullmatch=True),
)
def test_flag_custom_ids_fit_and_parse_back_or_are_refused(role: str, status: FlagStatus, flag_id: str) -> None:
    custom_id = t.flag_custom_id(role, status, flag_id)
    if custom_id:
        assert len(custom_id) <= t.CUSTOM_ID_LIMIT
        found = re.fullmatch(t.FLAG_TEMPLATE, custom_id)
        if status in (FlagStatus.REMOVED, FlagStatus.FALSE_ALARM, FlagStatus.CONFIRMED):
            assert found and found["flag_id"] == flag_id and found["role"] == role


@PROPS
@given(custom_id=st.text(max_size=120))
def test_any_feedback_custom_id_parses_to_ids_without_separators(custom_id: str) -> None:
    found = re.fullmatch(t.FEEDBACK_TEMPLATE, custom_id)
    if found:
        ids = t.parse_citation_ids(found["ids"])
        assert all(i and "," not in i and not any(c.isspace() for c in i) for i in ids)


@PROPS
@given(content=st.text(max_size=3000))
def test_question_from_any_content_is_a_suffix_or_empty(content: str) -> None:
    question = t.question_from_content(content)
    assert question == "" or content.endswith(question)


@pytest.fixture(scope="module")
def driver() -> DiscordDriver:
    """A client that knows guild 1 (as a connected bot knows its servers)."""
    driver = DiscordDriver(discord.Client(intents=discord.Intents.none()))
    owner = p.user(2, "owner")
    driver.guild_create(p.guild(1, 2, [p.text_channel(3, 1, "ward")], [p.role(1, "@everyone", 0)], [p.member(owner)]))
    return driver


@settings(max_examples=120, deadline=None)
@given(
    content=st.text(max_size=2000),
    guild=st.booleans(),
    bot=st.booleans(),
    attachments=st.lists(st.tuples(filenames, content_types), max_size=3),
    channel_id=st.integers(1, 2**63 - 1),
    author_id=st.integers(1, 2**63 - 1),
)
def test_any_message_payload_becomes_a_faithful_core_message(
    driver: DiscordDriver,
    content: str,
    guild: bool,
    bot: bool,
    attachments: list[tuple[str, str | None]],
    channel_id: int,
    author_id: int,
) -> None:
    files = [{**p.image_attachment(), "filename": name, "content_type": kind} for name, kind in attachments]
    for f in files:
        if f["content_type"] is None:
            del f["content_type"]
    author = p.user(author_id, "someone", bot=bot)
    payload = p.message(
        p.snowflake(),
        channel_id,
        author,
        content,
        guild_id=1 if guild else None,
        author_member=p.member(author) if guild else None,
        attachments=files,
    )

    async def build() -> discord.Message:
        return driver.message_object(payload)

    message = t.message_to_core(asyncio.run(build()))
    assert message.text == content
    assert message.actor.user_id == str(author_id) and message.actor.is_bot is bot
    assert message.conversation.platform is Platform.DISCORD
    assert message.conversation.channel == str(channel_id) and message.conversation.is_direct is not guild
    assert message.conversation.workspace == ("1" if guild else "")
    assert message.ref.endswith(f"/{channel_id}/{payload['id']}")
    images = any(
        (kind or "").startswith("image/")
        or name.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp", ".tif", ".tiff"))
        for name, kind in attachments
    )
    assert message.has_image is images
