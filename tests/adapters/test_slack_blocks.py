"""Block Kit rendering: citations always shown, limits always held, user text never pings,
the screened text never rendered. Properties by Hypothesis."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import blocks as bk
from adapters.slack.translate import slack_length
from bot.render import citation_line
from bot.types import (
    Answer,
    AnswerStatus,
    Category,
    ChannelSettings,
    Citation,
    DocStatus,
    Document,
    Flag,
    Numbering,
    Paragraph,
    Platform,
    Severity,
)
from tests.adapters.slack_harness import find_button, payload

PINGS = re.compile(
    r"<!(?:channel|here|everyone)|<!subteam|<@(?!U0ANN>|U0MOD>)|@(?:here|channel|everyone)\b", re.IGNORECASE
)


def citation(
    text: str = "Do not share patient information on social media.",
    number: str = "14",
    heading: str = "Confidentiality",
    status: DocStatus = DocStatus.CURRENT,
    numbering: Numbering = Numbering.CONFIRMED,
    url: str = "https://www.gmc-uk.org/sm",
    doc_id: str = "gmc-sm-2024",
    title: str = "Using social media as a medical professional",
) -> Citation:
    doc = Document(
        doc_id=doc_id,
        title=title,
        publisher="GMC",
        status=status,
        in_effect="2024-01-30",
        url=url,
        superseded_by="gmc-sm-2024" if status is DocStatus.SUPERSEDED else None,
    )
    return Citation(Paragraph(doc_id, number, heading, text, numbering), doc, 0.8)


def flag(
    reasons: tuple[str, ...] = ("An NHS number with a valid check digit",),
    redacted: str = "Patient in resus is [NAME], NHS no [NHS NUMBER]",
) -> Flag:
    return Flag(
        Category.PATIENT_IDENTIFIABLE,
        Severity.HIGH,
        reasons,
        (citation(),),
        redacted,
        categories=(Category.PATIENT_IDENTIFIABLE, Category.INFORMATION_SECURITY),
    )


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every string shown to people in the blocks (button values are never displayed)."""
    out: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                if k != "value":
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(blocks)
    return out


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert 1 <= len(blocks) <= bk.MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert slack_length(block["text"]["text"]) <= bk.SECTION_LIMIT
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= bk.MAX_CONTEXT_ELEMENTS
            assert all(slack_length(e["text"]) <= bk.SECTION_LIMIT for e in block["elements"])
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for e in block["elements"]:
                assert slack_length(e["text"]["text"]) <= bk.BUTTON_TEXT_LIMIT
                assert len(e.get("value", "")) <= 2000 and len(e.get("url", "")) <= bk.URL_LIMIT


# -- answers ---------------------------------------------------------------------------------
def test_answer_shows_digest_context_line_notes_link_and_buttons() -> None:
    c = citation(status=DocStatus.SUPERSEDED, numbering=Numbering.RECONSTRUCTED)
    answer = Answer(
        "can I post about a patient?", AnswerStatus.ANSWERED, (c, citation(number="15"), citation(number="16"))
    )
    blocks = bk.answer_blocks(answer, "the IG team", shareable=True, ref="0a1b2c3d4e5f6071")
    # A superseded lead is introduced as history first (the citation helper's other
    # citations are all superseded too, so none is named as in force).
    assert blocks[0]["type"] == "context" and "superseded" in blocks[0]["elements"][0]["text"]
    blocks = blocks[1:]
    assert blocks[0]["text"]["text"] == c.paragraph.text
    context = [e["text"] for e in blocks[1]["elements"]]
    assert context[0] == citation_line(c) and "paragraph 14" in context[0] and "Confidentiality" in context[0]
    assert any("reconstructed" in t for t in context) and any("superseded" in t for t in context)
    assert find_button(blocks, bk.OPEN_LINK)["url"] == "https://www.gmc-uk.org/sm"
    for action_id in (bk.SHARE, bk.HELPFUL, bk.NOT_HELPFUL, bk.MORE):
        find_button(blocks, action_id)
    rated = json.loads(find_button(blocks, bk.HELPFUL)["value"])
    assert rated == {"r": "0a1b2c3d4e5f6071", "c": ["gmc-sm-2024:14", "gmc-sm-2024:15", "gmc-sm-2024:16"]}
    # The question itself travels in no button (issue 12): values carry references only.
    assert "post about" not in json.dumps(blocks)


def test_visible_answer_has_no_share_button_and_names_the_sharer() -> None:
    answer = Answer("q", AnswerStatus.ANSWERED, (citation(),))
    blocks = bk.answer_blocks(answer, "", shareable=False, shared_by="U0ANN")
    assert "<@U0ANN>" in blocks[0]["elements"][0]["text"]
    assert bk.SHARE not in json.dumps(blocks) and bk.MORE not in json.dumps(blocks)


def test_low_confidence_and_truncated_answers_say_so() -> None:
    answer = Answer("q", AnswerStatus.LOW_CONFIDENCE, (citation(),), truncated=True)
    joined = " ".join(texts(bk.answer_blocks(answer, "", shareable=True)))
    assert "may not answer your question exactly" in joined and "first 2,000 characters" in joined


def test_no_match_says_so_and_suggests_who_to_ask() -> None:
    blocks = bk.answer_blocks(Answer("q", AnswerStatus.NO_MATCH), "the trust's IG team", shareable=True)
    joined = " ".join(texts(blocks))
    assert "Nothing in the guidance corpus answers" in joined and "the trust's IG team" in joined
    assert not any(b["type"] == "actions" for b in blocks)


def test_more_shows_up_to_two_further_paragraphs_with_links() -> None:
    cs = tuple(citation(number=str(n), text=f"text {n}") for n in range(1, 5))
    blocks = bk.more_blocks(Answer("q", AnswerStatus.ANSWERED, cs))
    joined = " ".join(texts(blocks))
    assert "text 2" in joined and "text 3" in joined and "text 1" not in joined and "text 4" not in joined
    assert sum(b["type"] == "actions" for b in blocks) == 2
    assert "no further" in " ".join(texts(bk.more_blocks(Answer("q", AnswerStatus.ANSWERED, cs[:1]))))


def test_help_has_example_questions() -> None:
    joined = " ".join(texts(bk.help_blocks("the IG team")))
    assert "/gmc Can I accept a friend request from a patient?" in joined and "the IG team" in joined


# -- flags -------------------------------------------------------------------------------------
def test_poster_notice_names_category_reasons_and_paragraph_never_the_text() -> None:
    f = flag()
    blocks = bk.flag_notice_blocks(f, "flag123", moderators_told=True)
    joined = " ".join(texts(blocks))
    assert "patient-identifiable information" in joined and "information security" in joined
    assert "An NHS number with a valid check digit" in joined
    assert citation_line(f.citations[0]) in joined and "moderators" in joined
    assert f.redacted not in joined and "[NHS NUMBER]" not in joined
    assert find_button(blocks, bk.FLAG_REMOVING)["value"] == "flag123"
    assert find_button(blocks, bk.FLAG_FALSE_ALARM)["value"] == "flag123"


def test_moderator_notice_has_redacted_excerpt_permalink_and_review_buttons() -> None:
    blocks = bk.moderator_blocks(flag(), "flag123", "C0WARD", "https://trust.slack.com/archives/C0WARD/p1")
    joined = " ".join(texts(blocks))
    assert "> Patient in resus is [NAME], NHS no [NHS NUMBER]" in joined and "<#C0WARD>" in joined
    assert find_button(blocks, bk.OPEN_LINK)["url"] == "https://trust.slack.com/archives/C0WARD/p1"
    assert find_button(blocks, bk.REVIEW_CONFIRM)["value"] == "flag123"
    assert find_button(blocks, bk.REVIEW_FALSE_ALARM)["value"] == "flag123"


def test_moderator_notice_escapes_hostile_redacted_text_and_ignores_bad_links() -> None:
    hostile = flag(redacted="<!channel> look <@U999> " + "&" * 5000, reasons=("<!here> reason",))
    blocks = bk.moderator_blocks(hostile, "f", "not a channel", "javascript:alert(1)")
    assert_within_limits(blocks)
    joined = " ".join(texts(blocks))
    assert not PINGS.search(joined) and "javascript" not in joined and "this channel" in joined


def test_reviewed_notice_drops_buttons_and_adds_the_decision() -> None:
    original = payload("block_actions_review")["message"]["blocks"]
    blocks = bk.reviewed_blocks(original, "<@U0MOD> confirmed this flag.")
    assert [b["type"] for b in blocks] == ["section", "section", "context"]
    assert blocks[-1]["elements"][0]["text"] == "<@U0MOD> confirmed this flag."
    assert bk.reviewed_blocks("garbage", "n") == [{"type": "context", "elements": [bk.trusted_mrkdwn("n")]}]


def test_settings_blocks_show_state_and_the_toggle() -> None:
    off = bk.settings_blocks(ChannelSettings(Platform.SLACK, "T", "C0WARD"), default_moderators="C0MODS")
    assert "*off*" in " ".join(texts(off)) and "<#C0MODS> (the workspace default)" in " ".join(texts(off))
    assert find_button(off, bk.MONITOR_ON)["value"] == "C0WARD"
    on = bk.settings_blocks(ChannelSettings(Platform.SLACK, "T", "C0WARD", monitored=True, moderators_channel="C0M"))
    assert "*on*" in " ".join(texts(on)) and "<#C0M>" in " ".join(texts(on))
    find_button(on, bk.MONITOR_OFF)


def test_fit_caps_blocks_at_fifty() -> None:
    many = [bk.section(str(i)) for i in range(80)]
    fitted = bk.fit(many)
    assert len(fitted) == 50 and "left out" in fitted[-1]["elements"][0]["text"]


# -- properties ----------------------------------------------------------------------------------
hostile_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list("<>!@#&|^ hereanvyolUC0123\n*_~`") + ["\U0001f600"]), max_size=400),
    st.builds(
        lambda s, n: s * n,
        st.sampled_from(["<!channel> ", "@here ", "&", "<@U1>", "é\U0001f600"]),
        st.integers(0, 9000),
    ),
)


@st.composite
def citations(draw: st.DrawFn) -> Citation:
    return citation(
        text=draw(hostile_text),
        number=draw(st.text(min_size=1, max_size=12)),
        heading=draw(hostile_text),
        status=draw(st.sampled_from(list(DocStatus))),
        numbering=draw(st.sampled_from(list(Numbering))),
        title=draw(hostile_text),
        url=draw(st.sampled_from(["https://www.gmc-uk.org/x", "", "ftp://x", "https://" + "a" * 4000])),
    )


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(list(AnswerStatus)),
    st.lists(citations(), max_size=5),
    hostile_text,
    st.booleans(),
    st.booleans(),
    hostile_text,
)
def test_answer_blocks_hold_limits_keep_the_citation_and_never_ping(
    status: AnswerStatus, cites: list[Citation], question: str, shareable: bool, truncated: bool, ask_who: str
) -> None:
    answer = Answer(question, status, tuple(cites), truncated)
    for blocks in (bk.answer_blocks(answer, ask_who, shareable=shareable), bk.more_blocks(answer)):
        assert_within_limits(blocks)
        joined = "\n".join(texts(blocks))
        assert not PINGS.search(joined)
    blocks = bk.answer_blocks(answer, ask_who, shareable=shareable)
    if cites and status is not AnswerStatus.NO_MATCH:
        expected = bk.safe_mrkdwn(citation_line(cites[0]), bk.CONTEXT_LIMIT) or " "
        assert any(e["text"] == expected for b in blocks if b["type"] == "context" for e in b["elements"])
    assert slack_length(bk.answer_fallback(answer, ask_who)) <= bk.FALLBACK_LIMIT


@settings(max_examples=150, deadline=None)
@given(
    st.lists(hostile_text, max_size=15),
    hostile_text,
    st.lists(citations(), max_size=3),
    st.sampled_from(list(Category)),
    st.text(max_size=40),
)
def test_flag_blocks_hold_limits_and_never_ping(
    reasons: list[str], redacted: str, cites: list[Citation], category: Category, flag_id: str
) -> None:
    f = Flag(category, Severity.MEDIUM, tuple(reasons), tuple(cites), "SENTINEL9 " + redacted)
    poster = bk.flag_notice_blocks(f, flag_id, moderators_told=True)
    mods = bk.moderator_blocks(f, flag_id, "C0WARD", "https://trust.slack.com/archives/C0WARD/p1")
    for blocks in (poster, mods):
        assert_within_limits(blocks)
        assert not PINGS.search("\n".join(texts(blocks)))
    assert "SENTINEL9" not in "\n".join(texts(poster))
    assert "SENTINEL9" in "\n".join(texts(mods))
