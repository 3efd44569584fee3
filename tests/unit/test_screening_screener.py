"""The screener end to end with the fast hashing embedder: flags, citations, redaction,
mitigation, batching, and bad input."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.corpus import Corpus, load_corpus
from bot.screening import Screener
from bot.screening.text import MODEL_CHARS
from bot.types import Category, Message, Severity
from index.embedders import HashingEmbedder


class CountingEmbedder:
    """A real (hashing) embedder that records how it was called."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.embedder_id = self.inner.embedder_id + "-counting"
        self.dim = self.inner.dim
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="module")
def screener(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Screener:
    settings = Settings(data_dir=tmp_path_factory.mktemp("screening"), embedder="hashing")
    return Screener(settings, corpus, HashingEmbedder())


def screen(screener: Screener, text: str, image: bool = False):
    return screener.screen(Message(text=text, has_image=image))


def test_the_issue_example(screener: Screener) -> None:
    result = screen(screener, "Patient in resus is John Carter, NHS no 943 476 5919")
    flag = result.flag
    assert flag is not None and flag.category is Category.PATIENT_IDENTIFIABLE
    assert flag.severity is Severity.HIGH
    assert flag.citations[0].paragraph.doc_id == "gmc-conf-2017"
    assert "943 476 5919" not in result.redacted and "John Carter" not in result.redacted
    assert result.redacted == "Patient in resus is [NAME], NHS no [NHS-NUMBER]"
    assert {f.kind for f in result.findings} == {"name", "nhs-number"}


@pytest.mark.parametrize(
    "text,category",
    [
        ("Snapped the wound on the lady in bay 4, sending it to the group", Category.PATIENT_IMAGE),
        ("Here's a pic of the handover sheet so you all know the jobs", Category.PATIENT_IMAGE),
        ("Accepted a friend request from the man in side room 2, he's a laugh", Category.BOUNDARIES),
        ("The rep is paying for our ski trip if we switch everyone to their inhaler", Category.CONFLICT_OF_INTEREST),
        ("Started a burner account to post about work, nobody will ever know it's me", Category.HONESTY),
        ("Just use my smartcard, the PIN is 4471", Category.INFORMATION_SECURITY),
        ("The locum reg is an absolute idiot, everyone hates him", Category.DISRESPECT),
        ("Looked up my neighbour's blood results on the system, she's pregnant", Category.PATIENT_IDENTIFIABLE),
    ],
)
def test_categories(screener: Screener, text: str, category: Category) -> None:
    flag = screen(screener, text).flag
    assert flag is not None, text
    assert flag.category is category


@pytest.mark.parametrize(
    "text",
    [
        "Bed 12 is free for the next admission",
        "Kill the infusion if the pressure drops and call the reg",
        "Path report shows an aggressive tumour, MDT on Tuesday",
        "Paracetamol overdose pathway updated on the intranet",
        "Switchboard number changed to 0116 496 0000, update your contacts",
        "Datix ref 9078666610 closed, thanks all",
        "Reminder: never share your password, even with bank staff",
        "Is it OK to accept a friend request from a former patient? Want to check first",
        "Declined a friend request from a patient and pointed her to the ward page",
        "Teaching case: a fictional 45 year old teacher with chest pain, discuss",
        "Please email rota swaps to sarah.jones@nhs.net",
        "",
        "   ",
    ],
)
def test_ordinary_messages_are_not_flagged(screener: Screener, text: str) -> None:
    assert screen(screener, text).flag is None


def test_jigsaw_details_make_a_flag_and_are_hidden(screener: Screener) -> None:
    text = "Guess which 92 year old ex-mayor from Marsh Lane is in bay 3 after the bus crash on Tuesday"
    result = screen(screener, text)
    assert result.flag is not None and result.flag.category is Category.PATIENT_IDENTIFIABLE
    assert result.flag.citations[0].id == "gmc-sm-2024:19"
    assert "Marsh Lane" not in result.redacted
    assert any("recognise" in r for r in result.flag.reasons)


def test_bare_details_are_not_jigsaw(screener: Screener) -> None:
    assert screen(screener, "Exam question: a 45 year old presents with chest pain").flag is None


def test_image_flag_follows_the_attachment(screener: Screener) -> None:
    text = "look at the state of this rash on the lady in bay 2"
    assert screen(screener, text, image=True).flag is not None
    assert screen(screener, "team photo from the awards night", image=True).flag is None


def test_reasons_and_rule_ids_never_hold_identifiers(screener: Screener) -> None:
    text = "Bay 2 pt: Sarah Whitlock, 07700 900123, lives at 14 Orchard Close, LE11 3TU, DOB 01/02/1960"
    result = screen(screener, text)
    assert result.flag is not None
    blob = " ".join(result.flag.reasons + result.flag.rule_ids + (result.flag.redacted,))
    for secret in ("Sarah", "Whitlock", "07700", "900123", "Orchard", "LE11", "3TU", "01/02/1960"):
        assert secret not in blob


def test_citations_come_from_the_corpus(screener: Screener, corpus: Corpus) -> None:
    flag = screen(screener, "Mrs Khan in bed 4 is HIV positive").flag
    assert flag is not None and flag.citations
    for c in flag.citations:
        paragraph = corpus.paragraph(c.id)
        assert paragraph is c.paragraph and paragraph is not None
        assert c.document is corpus.documents[paragraph.doc_id]


def test_screen_many_embeds_the_batch_once_and_caps_model_text(corpus: Corpus, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    screener = Screener(Settings(data_dir=tmp_path, embedder="hashing"), corpus, embedder)
    embedder.calls.clear()
    texts = ["bed 4 needs gloves", "x " * 30_000, "bed 4 needs gloves", ""]
    results = screener.screen_many([Message(text=t) for t in texts])
    assert len(results) == 4
    assert len(embedder.calls) == 1
    assert len(embedder.calls[0]) == 2  # duplicates and empty texts are not embedded
    assert max(len(t) for t in embedder.calls[0]) <= MODEL_CHARS


def test_exemplar_vectors_are_cached_on_disk(corpus: Corpus, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    embedder.embedder_id += "-disk"  # a key no other test has cached in memory
    Screener(Settings(data_dir=tmp_path, embedder="hashing"), corpus, embedder)
    assert len(embedder.calls) == 2  # the exemplars and the cited examples, one batch each
    files = sorted((tmp_path / "screening").glob("exemplars-*.npy"))
    assert len(files) == 2
    from index import cache

    cache._CACHE.clear()
    Screener(Settings(data_dir=tmp_path, embedder="hashing"), corpus, embedder)
    assert len(embedder.calls) == 2  # read back from disk, not embedded again
    files[0].write_bytes(b"not a numpy file")
    cache._CACHE.clear()
    Screener(Settings(data_dir=tmp_path, embedder="hashing"), corpus, embedder)
    assert len(embedder.calls) == 3  # a damaged cache is ignored and rebuilt


@pytest.mark.parametrize(
    "text",
    [
        "\u200b\u200c\u200d\ufeff",
        "🤒😂🙄👀" * 50,
        "المريض في السرير ١٢ رقم ٩٤٣٤٧٦٥٩١٩",
        "\u202eNHS no 943 476 5919\u202c",
        "<@U12345678> <#C123|general> <!here> <https://example.org/a?b=1|link> <mailto:a@b.com|a@b.com>",
        "<@123456789012345678> <:smile:1234> <t:1700000000:R>",
        "\x00\x01\x02 control \x7f",
        "\ud800 lone surrogate",
        "a" * 5000,
        "9" * 5000,
        "Mr " * 3000,
        "DOB " * 3000 + "12/03/1954",
    ],
)
def test_awkward_input_screens_without_error(screener: Screener, text: str) -> None:
    result = screen(screener, text)
    assert isinstance(result.redacted, str)


def test_rtl_override_does_not_hide_an_nhs_number(screener: Screener) -> None:
    result = screen(screener, "\u202eNHS no 943 476 5919\u202c")
    assert result.flag is not None and "5919" not in result.redacted


def test_long_messages_take_linear_time(screener: Screener) -> None:
    unit = "Bed 4 needs gloves, call 07700 900123, Mr Smith in bay 2 is fine. "
    small = unit * 150  # ~10,000 characters
    large = unit * 1500  # ~100,000 characters
    screen(screener, small)
    t0 = time.perf_counter()
    screen(screener, small)
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = screen(screener, large)
    t_large = time.perf_counter() - t0
    assert t_large < 30 * max(t_small, 0.01), (t_small, t_large)
    assert "07700 900123" not in result.redacted


def test_channel_sensitivity_moves_the_flag_threshold(hashing_bot) -> None:
    """Weak evidence flags only where sensitivity is high; an NHS number flags everywhere."""
    from bot.screening.evidence import Evidence
    from bot.types import Category

    strong = "Patient in resus is John Carter, NHS no 943 476 5919"
    for level in ("low", "normal", "high"):
        assert hashing_bot.screen(strong, level).flagged
    policy = hashing_bot._get_screener().policy
    threshold = policy.policy.flag_threshold
    weak = [Evidence(Category.DISRESPECT, threshold - 0.2, ("gmc-sm-2024:14",), "weak", "test:weak")]
    clear = [Evidence(Category.DISRESPECT, threshold + 0.5, ("gmc-sm-2024:14",), "clear", "test:clear")]
    decide = {
        lvl: (policy.decide(weak, "x", [], lvl) is not None, policy.decide(clear, "x", [], lvl) is not None)
        for lvl in ("low", "normal", "high")
    }
    assert decide == {"low": (False, False), "normal": (False, True), "high": (True, True)}


class BrokenEmbedder(CountingEmbedder):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model down")


def test_a_model_failure_in_the_embedding_thread_reaches_the_caller(corpus: Corpus, tmp_path: Path) -> None:
    working = CountingEmbedder()
    screener = Screener(Settings(data_dir=tmp_path, embedder="hashing"), corpus, working)
    screener.embedder = BrokenEmbedder()  # the exemplars were embedded; the next batch fails
    with pytest.raises(RuntimeError, match="model down"):
        screener.screen_many([Message(text="Bed 12 is free"), Message(text="Mrs Jones in bay 3")])


def test_a_batch_gives_the_verdicts_of_one_message_at_a_time(screener: Screener) -> None:
    # The model runs in a thread beside the lexical work: with a deterministic embedder the
    # batch's verdicts, excerpts and findings are those of each message screened alone.
    texts = [
        "Bed 12 is free for the next admission",
        "Mrs Joan Smith NHS 943 476 5919 in bay 3 is for discharge",
        "lol the guy in bed 4 is such a nutter",
        "posting the pic of that injury on my insta",
        "",
        "the 78 year old retired headteacher from Brixham in side room 2 is back",
    ]
    messages = [Message(text=t, has_image=i == 3) for i, t in enumerate(texts)]
    batched = screener.screen_many(messages)
    assert [screener.screen(m) for m in messages] == batched
    assert any(s.flag is not None for s in batched) and any(s.flag is None for s in batched)
