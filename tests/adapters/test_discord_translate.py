"""The Discord translation layer: recorded-style payloads in, replies out, and Hypothesis
properties (never raises; every limit holds; the citation survives; the DM never carries
the screened text)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord import translate as t
from adapters.discord.buttons import make_view
from bot import wording
from bot.render import citation_line
from bot.types import (
    Answer,
    AnswerStatus,
    Category,
    Citation,
    DocStatus,
    Document,
    Flag,
    FlagStatus,
    Numbering,
    Paragraph,
    Platform,
    Severity,
)
from tests.fakes import discord_payloads as p
from tests.fakes.discord_api import message_problems
from tests.fakes.discord_driver import DiscordDriver

FEEDBACK = re.compile(t.FEEDBACK_TEMPLATE)
FLAG = re.compile(t.FLAG_TEMPLATE)


def as_sent(reply: t.Reply) -> dict[str, Any]:
    """The JSON discord.py would send for a reply."""
    view = make_view(reply.buttons)
    return {
        "content": reply.content,
        "embeds": [e.to_dict() for e in reply.embeds],
        "components": view.to_components() if view else [],
    }


def citation(
    text: str = "Do not post patient details.",
    *,
    number: str = "18",
    heading: str = "Confidentiality",
    title: str = "Using social media as a medical professional",
    url: str = "https://www.gmc-uk.org/sm",
    numbering: Numbering = Numbering.CONFIRMED,
    status: DocStatus = DocStatus.CURRENT,
    doc_id: str = "gmc-sm-2024",
    superseded_by: str | None = None,
) -> Citation:
    doc = Document(
        doc_id=doc_id,
        title=title,
        publisher="GMC",
        status=status,
        in_effect="2024-01-30",
        url=url,
        superseded_by=superseded_by,
    )
    return Citation(Paragraph(doc_id, number, heading, text, numbering), doc, 0.8)


def flag(
    redacted: str = "Patient in resus is [NAME], NHS no [NHS_NUMBER]",
    reasons: tuple[str, ...] = ("an NHS number", "a name with patient context"),
) -> Flag:
    return Flag(
        category=Category.PATIENT_IDENTIFIABLE,
        severity=Severity.HIGH,
        reasons=reasons,
        citations=(citation(),),
        redacted=redacted,
        categories=(Category.PATIENT_IDENTIFIABLE,),
    )


# -- examples ----------------------------------------------------------------------------
def test_answer_embed_carries_digest_document_paragraph_heading_and_link() -> None:
    c = citation(numbering=Numbering.RECONSTRUCTED)
    reply = t.answer_reply(
        Answer("can I post?", AnswerStatus.ANSWERED, (c,)), echo_question=True, shareable=True, feedback=True
    )
    embed = reply.embeds[0]
    assert embed.title == citation_line(c)
    title = embed.title or ""
    assert "paragraph 18" in title and "Confidentiality" in title and c.document.title in title
    assert embed.description == c.paragraph.text
    assert embed.url == c.document.url
    assert "reconstructed" in (embed.fields[0].value or "")
    assert embed.footer.text == "Cited paragraph: gmc-sm-2024:18"
    assert reply.content == "**You asked:** can I post?"
    labels = [b.label for b in reply.buttons]
    assert labels == ["Official guidance", "Share in channel", "Helpful", "Not helpful"]
    assert reply.buttons[0].url == c.document.url
    assert reply.buttons[2].custom_id == "gmc:fb:1:gmc-sm-2024:18"


def test_superseded_citation_says_so_and_low_confidence_is_marked() -> None:
    c = citation(status=DocStatus.SUPERSEDED, superseded_by="gmc-sm-2024")
    embed = t.answer_reply(Answer("q", AnswerStatus.LOW_CONFIDENCE, (c,))).embeds[0]
    assert "superseded by gmc-sm-2024" in (embed.fields[0].value or "")
    assert embed.description is not None and embed.description.startswith(f"*{wording.LOW_CONFIDENCE_NOTE}*")


def test_no_match_is_plain_text_with_the_ask_who_hint() -> None:
    reply = t.answer_reply(Answer("q", AnswerStatus.NO_MATCH), "the IG team")
    assert not reply.embeds and not reply.buttons
    assert "the IG team" in reply.content


def test_long_paragraph_is_trimmed_but_the_citation_is_whole() -> None:
    long = citation(text="Keep photographs on trust systems. " * 400)
    others = tuple(citation(number=str(n), heading="H" * 200, title="T" * 200) for n in (1, 2))
    reply = t.answer_reply(Answer("q", AnswerStatus.ANSWERED, (long, *others)), feedback=True, shareable=True)
    embed = reply.embeds[0]
    assert not message_problems(as_sent(reply))
    assert t.embeds_length(reply.embeds) <= 6000
    assert embed.description is not None and embed.description.endswith(t.TRIM_NOTE)
    assert embed.title == citation_line(long)
    assert embed.footer.text == f"Cited paragraph: {long.id}"
    assert reply.buttons[0].url == long.document.url


def test_poster_notice_names_the_category_reasons_and_paragraph_never_the_text() -> None:
    f = flag()
    reply = t.poster_notice(f, "f" * 32, "https://discord.com/channels/1/2/3", 2, "the IG team")
    sent = str(as_sent(reply))
    assert "[NAME]" not in sent and "Patient in resus" not in sent
    assert wording.category_label(Category.PATIENT_IDENTIFIABLE) in (reply.embeds[0].title or "")
    assert "an NHS number" in (reply.embeds[0].description or "")
    assert reply.embeds[1].title == citation_line(f.citations[0])
    assert [b.label for b in reply.buttons] == ["Go to message", "I'll remove it", "False alarm"]
    assert reply.buttons[1].custom_id == f"gmc:flag:poster:removed:{'f' * 32}"


def test_channel_notice_names_no_details() -> None:
    content = t.channel_notice(42).content
    assert content.startswith("<@42>")
    for word in ("patient", "NHS", "identif", "confidential"):
        assert word.lower() not in content.lower()


def test_moderator_notice_has_redacted_excerpt_jump_link_and_review_buttons() -> None:
    reply = t.moderator_notice(flag(), "a" * 32, "https://discord.com/channels/1/2/3", 2, 7)
    embed = reply.embeds[0]
    assert "Patient in resus is [NAME], NHS no [NHS\\_NUMBER]" in (embed.description or "")  # markdown escaped
    assert any(f.value == "<@7>" for f in embed.fields)
    assert [b.label for b in reply.buttons] == ["Go to message", "Confirm", "False alarm"]
    assert reply.buttons[0].url == "https://discord.com/channels/1/2/3"


def test_outcome_reply_keeps_the_line_whole_and_only_the_link() -> None:
    reply = t.outcome_reply("mod", FlagStatus.CONFIRMED, 9, "x" * 5000, [], "https://discord.com/channels/1/2/3")
    assert reply.content.endswith(wording.outcome_line(FlagStatus.CONFIRMED, "<@9>", moderator=True))
    assert t.ulen(reply.content) <= 2000
    assert [b.label for b in reply.buttons] == ["Go to message"]


def test_flag_ids_that_cannot_be_encoded_give_no_buttons() -> None:
    assert t.flag_custom_id("poster", FlagStatus.REMOVED, "bad id with spaces") == ""
    assert [b.label for b in t.flag_buttons("poster", "x" * 65, "")] == []


def test_settings_text_shows_every_setting_and_warns_about_missing_permission() -> None:
    from bot.types import ChannelSettings

    cs = ChannelSettings(Platform.DISCORD, "1", "2", monitored=True, moderators_channel="3")
    text = t.settings_text(cs, delete_flagged=True, can_delete=False)
    assert "Screening: on" in text and "<#3>" in text and "Manage Messages" in text


def test_inbound_message_becomes_a_core_message() -> None:
    async def build() -> discord.Message:
        driver = DiscordDriver(discord.Client(intents=discord.Intents.none()))
        author = p.user(55, "dr.lee")
        return driver.message_object(
            p.message(
                99,
                2,
                author,
                "hello <@7>",
                guild_id=1,
                author_member=p.member(author),
                attachments=[p.image_attachment()],
            )
        )

    message = asyncio.run(build())
    core = t.message_to_core(message)
    assert core.text == "hello <@7>"
    assert core.actor.user_id == "55" and not core.actor.is_bot
    assert core.conversation.platform is Platform.DISCORD and core.conversation.channel == "2"
    assert core.has_image
    assert core.ref.endswith("/2/99")
    assert t.strip_mention("<@7> can I post? <@!7>", 7) == "can I post?"


# -- properties --------------------------------------------------------------------------
texts = st.text(max_size=7000)
short = st.text(max_size=300)
urls = st.sampled_from(
    ["https://www.gmc-uk.org/x", "", "not a url", "https://example.org/" + "a" * 600, "http://x.test/a b"]
)


@st.composite
def citations(draw: st.DrawFn) -> Citation:
    return citation(
        text=draw(texts),
        number=draw(short),
        heading=draw(short),
        title=draw(short),
        url=draw(urls),
        numbering=draw(st.sampled_from(list(Numbering))),
        status=draw(st.sampled_from(list(DocStatus))),
        doc_id=draw(st.text(min_size=1, max_size=80)),
        superseded_by=draw(st.none() | short),
    )


answers = st.builds(
    Answer,
    question=texts,
    status=st.sampled_from(list(AnswerStatus)),
    citations=st.lists(citations(), max_size=3).map(tuple),
    truncated=st.booleans(),
)
flags = st.builds(
    Flag,
    category=st.sampled_from(list(Category)),
    severity=st.sampled_from(list(Severity)),
    reasons=st.lists(short, max_size=6).map(tuple),
    citations=st.lists(citations(), max_size=2).map(tuple),
    redacted=texts,
    categories=st.lists(st.sampled_from(list(Category)), max_size=3).map(tuple),
)
flag_ids = st.text(alphabet="abcdef0123456789", min_size=32, max_size=32) | short
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_fits(reply: t.Reply) -> None:
    assert not message_problems(as_sent(reply))
    assert t.ulen(reply.content) <= t.CONTENT_LIMIT
    assert t.embeds_length(reply.embeds) <= t.EMBEDS_TOTAL_LIMIT
    for e in reply.embeds:
        assert t.ulen(e.description or "") <= t.EMBED_DESCRIPTION_LIMIT
        assert t.ulen(e.title or "") <= t.EMBED_TITLE_LIMIT
    for b in reply.buttons:
        assert len(b.custom_id) <= t.CUSTOM_ID_LIMIT and t.ulen(b.label) <= t.BUTTON_LABEL_LIMIT


@PROPS
@given(answers, st.booleans(), st.booleans(), st.booleans())
def test_answer_reply_always_fits_and_keeps_the_citation(answer: Answer, echo: bool, share: bool, fb: bool) -> None:
    reply = t.answer_reply(answer, "the IG team", echo_question=echo, shareable=share, feedback=fb)
    assert_fits(reply)
    best = answer.best
    if answer.status is not AnswerStatus.NO_MATCH and best is not None:
        assert reply.embeds[0].title == t.clip(citation_line(best), t.EMBED_TITLE_LIMIT)
        assert reply.embeds[0].footer.text == t.clip(f"Cited paragraph: {best.id}", t.FOOTER_LIMIT)
        assert (reply.embeds[0].url or "") == t.safe_url(best.document.url)
        for b in reply.buttons:
            if b.custom_id.startswith("gmc:fb:"):
                match = FEEDBACK.fullmatch(b.custom_id)
                assert match is not None
                ids = t.parse_citation_ids(match["ids"])
                assert set(ids) <= {c.id for c in answer.citations}
    if echo and reply.embeds:
        assert answer.question.startswith(t.question_from_content(reply.content).removesuffix(t.ELLIPSIS).rstrip())


@PROPS
@given(flags, flag_ids, st.sampled_from(["https://discord.com/channels/1/2/3", ""]), st.integers(1, 2**63))
def test_notices_always_fit_and_the_dm_never_carries_the_text(f: Flag, flag_id: str, jump: str, who: int) -> None:
    marker = "QX7-unique-screened-text"
    f = Flag(f.category, f.severity, f.reasons, f.citations, f.redacted + marker, f.categories)
    dm = t.poster_notice(f, flag_id, jump, 123, "the IG team")
    assert_fits(dm)
    assert marker not in str(as_sent(dm))
    mod = t.moderator_notice(f, flag_id, jump, 123, who)
    assert_fits(mod)
    for b in (*dm.buttons, *mod.buttons):
        assert not b.custom_id or FLAG.fullmatch(b.custom_id)
    assert_fits(t.channel_notice(who))


@PROPS
@given(texts, st.integers(0, 5000), st.sampled_from([t.ELLIPSIS, t.TRIM_NOTE, ""]))
def test_clip_fits_and_only_cuts_when_needed(text: str, limit: int, marker: str) -> None:
    out = t.clip(text, limit, marker)
    assert t.ulen(out) <= limit
    if t.ulen(text) <= limit:
        assert out == text


@PROPS
@given(texts)
def test_question_round_trips_through_the_answer_content(question: str) -> None:
    content = t.question_content(question)
    assert t.ulen(content) <= t.CONTENT_LIMIT
    if t.ulen(t.QUESTION_PREFIX + question) <= t.CONTENT_LIMIT:
        assert t.question_from_content(content) == question


@PROPS
@given(st.booleans(), st.lists(st.text(max_size=60), max_size=5))
def test_feedback_ids_fit_and_round_trip(helpful: bool, ids: list[str]) -> None:
    custom_id = t.feedback_custom_id(helpful, ids)
    match = FEEDBACK.fullmatch(custom_id)
    assert match is not None and len(custom_id) <= t.CUSTOM_ID_LIMIT
    kept = t.parse_citation_ids(match["ids"])
    remaining = iter(ids)  # kept is an ordered subsequence of the given ids
    assert all(any(k == i for i in remaining) for k in kept)


@PROPS
@given(st.text(max_size=3000), st.text(max_size=300))
def test_append_line_keeps_the_line(content: str, line: str) -> None:
    out = t.append_line(content, line)
    assert t.ulen(out) <= t.CONTENT_LIMIT
    assert out.endswith(t.clip(line, t.CONTENT_LIMIT))


def test_plain_text_removes_discord_markup_before_the_core_sees_it() -> None:
    plain = t.plain_text("<@123> <@!45> <@&67> in <#89> :) <:wave:1011> see <https://x.org/a> can I DM a pt?")
    assert "<" not in plain and ">" not in plain
    assert plain.endswith("see can I DM a pt?")
    assert t.plain_text("<@123>") == ""
    assert re.search(r"<[@#][!&]?\d+>", t.plain_text("<@1<@2>>")) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_plain_text_never_raises_and_leaves_no_mention(text: str) -> None:
    assert re.search(r"<[@#][!&]?\d+>", t.plain_text(text)) is None
