"""The privacy building blocks one by one: normalisation, the safe excerpt, credentials,
question references."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.questions import QuestionRefs
from bot.screening.credentials import find_credentials
from bot.screening.normalise import normalise, unwrap
from bot.screening.safe_excerpt import EXCERPT_CHARS, safe_excerpt
from bot.screening.text import prepare
from bot.types import Finding
from tests.privacy import unsafe_tokens


def excerpt(text: str, *findings: tuple[str, str]) -> str:
    return safe_excerpt(prepare(text), [Finding(kind, text.index(s), text.index(s) + len(s)) for kind, s in findings])


# -- normalisation ------------------------------------------------------------------------------
def test_look_alike_letters_fold_inside_latin_words_only() -> None:
    assert normalise("Јоhn Ѕmith").text == "John Smith"  # Cyrillic Ј, о, Ѕ
    assert normalise("Москва").text == "Москва"  # a real Cyrillic word stays
    assert normalise("محمد").text == "محمد"


def test_digits_of_any_script_and_invisible_characters() -> None:
    assert normalise("٩٤٣ ٤٧٦ ٥٩١٩").text == "943 476 5919"
    assert normalise("९४३").text == "943"
    assert normalise("943\u200b476\u2060 5919").text == "943476 5919"


def test_offsets_map_back_to_the_raw_message() -> None:
    raw = "x Ｊоhn ٥٩ y"
    p = prepare(raw)
    start = p.text.index("John")
    assert p.to_original(start, start + 4) == (raw.index("Ｊ"), raw.index("n") + 1)
    assert p.to_text(*p.to_original(start, start + 4)) == (start, start + 4)


def test_unwrap_opens_links_urls_and_code_keeping_length() -> None:
    text = "see <https://ehr/p/9434765919|notes> `123` *bold* https://x.org/a/4567 <@U1>"
    opened = unwrap(text)
    assert len(opened) == len(text)
    assert " 9434765919 " in opened and " 123 " in opened and " 4567" in opened and "U1" not in opened


# -- the safe excerpt ----------------------------------------------------------------------------
def test_unknown_words_and_long_numbers_never_pass() -> None:
    assert excerpt("Harold Finchley rang about 07700 900123") == "[WORD] rang about [NUMBER]"
    assert excerpt("bed 12 at 14:30, 10mg IV") == "bed 12 at 14:30, 10mg IV"
    assert excerpt("9 4 3 4 7 6 5 9 1 9") == "[NUMBER]"


def test_findings_become_their_placeholders() -> None:
    assert (
        excerpt("Patient John Carter NHS 943 476 5919", ("name", "John Carter"), ("nhs-number", "943 476 5919"))
        == "Patient [NAME] NHS [NHS-NUMBER]"
    )


def test_words_that_are_also_names_only_where_they_cannot_be_one() -> None:
    assert excerpt("the ward round is at 9") == "the ward round is at 9"
    assert excerpt("Patient Rose Ward is in bed 4") == "Patient [WORD] is in bed 4"
    assert excerpt("may ward higginbottom") == "may [WORD]"  # beside an unknown word


def test_postcode_shapes_links_and_mentions() -> None:
    assert excerpt("lives at ls1 4ab, see https://x.org/p <@U123>") == "lives at [POSTCODE], see [LINK] [MENTION]"


def test_the_excerpt_is_bounded() -> None:
    out = excerpt("the ward " * 10_000)
    assert len(out) <= EXCERPT_CHARS + 20 and out.endswith("[…]")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_leaves_only_safe_tokens(text: str) -> None:
    out = safe_excerpt(prepare(text), [])
    assert unsafe_tokens(out) == []
    assert unsafe_tokens(safe_excerpt(prepare(out), [])) == []


# -- credentials -----------------------------------------------------------------------------------
def spans(text: str) -> list[str]:
    return sorted(text[a:b] for a, b in find_credentials(text))


def test_credentials_labelled_and_password_shaped() -> None:
    assert spans("my password is Winter2024!") == ["Winter2024!"]
    assert spans("door code: 4821, pin 1234") == ["1234", "4821"]
    assert spans("login jsmith / Hunter22") == ["Hunter22", "jsmith"]
    assert spans("try Summer2023! on the epr") == ["Summer2023!"]


def test_ordinary_wording_about_passwords_is_not_a_credential() -> None:
    assert spans("the code is broken again") == []
    assert spans("password reset is on the intranet") == []
    assert spans("never share your password") == []


# -- question references ---------------------------------------------------------------------------
def test_question_references_keep_the_excerpt_expire_and_are_bounded() -> None:
    now = [0.0]
    refs = QuestionRefs(lambda q: q.upper(), clock=lambda: now[0], limit=2, ttl=10)
    a = refs.add("first")
    assert len(a) == 16 and refs.get(a) == "FIRST" and refs.get("nope") == ""
    b, c = refs.add("second"), refs.add("third")
    assert refs.get(a) == "" and refs.get(b) == "SECOND" and refs.get(c) == "THIRD"
    now[0] = 11
    assert refs.get(b) == ""
