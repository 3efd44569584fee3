"""Answering policy on the real corpus with the hashing embedder."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering import LEAD_RATIO, TUNED_LEAD_RATIO, Thresholds, order_candidates, thresholds_for
from bot.audience import detect_audience
from bot.corpus import load_corpus
from bot.query import MAX_QUESTION_CHARS, expand_for_search, normalise_question
from bot.retrieval import Candidate
from bot.types import AnswerStatus


def test_empty_and_markup_only_questions_are_declined(hashing_bot) -> None:
    for q in ["", "   ", "/gmc", "\u200b\u200b"]:
        assert hashing_bot.ask(q).status is AnswerStatus.NO_MATCH


def test_answer_cites_paragraphs_with_metadata(hashing_bot) -> None:
    answer = hashing_bot.ask("accept a Facebook friend request from a patient", top=3)
    assert answer.status is not AnswerStatus.NO_MATCH
    data = answer.to_json()
    first = data["citations"][0]
    for key in ("id", "doc_id", "number", "heading", "text", "url", "score", "numbering", "doc_status"):
        assert key in first
    assert len(data["citations"]) == 3


def test_long_question_is_cut_with_a_note(hashing_bot) -> None:
    answer = hashing_bot.ask("patient friend request " * 400)
    assert answer.truncated and len(answer.question) == MAX_QUESTION_CHARS


def test_in_force_guidance_comes_before_superseded_when_both_answer() -> None:
    corpus = load_corpus()
    old, new = corpus.paragraph("gmc-sm-2013:17"), corpus.paragraph("gmc-sm-2024:8")
    assert old and new
    cands = [Candidate(old, 0.5, 0.5, 1.0, 0.100), Candidate(new, 0.5, 0.5, 1.0, 0.099)]
    assert order_candidates(corpus, cands)[0].paragraph.id == "gmc-sm-2024:8"
    # Even a superseded paragraph that ranks much better follows guidance in force...
    cands = [Candidate(old, 0.5, 0.5, 1.0, 0.100), Candidate(new, 0.5, 0.5, 1.0, 0.050)]
    assert [c.paragraph.id for c in order_candidates(corpus, cands)] == ["gmc-sm-2024:8", "gmc-sm-2013:17"]
    # ...except in a question about history, where it may lead on its merits.
    assert order_candidates(corpus, cands, history=True)[0].paragraph.id == "gmc-sm-2013:17"
    # With nothing in force among the candidates, the superseded paragraph is still shown,
    assert order_candidates(corpus, cands[:1])[0].paragraph.id == "gmc-sm-2013:17"
    # and it leads when nothing in force is nearly as close to the question.
    cands = [Candidate(old, 0.8, 0.5, 1.0, 0.200), Candidate(new, 0.5, 0.5, 1.0, 0.100)]
    assert order_candidates(corpus, cands)[0].paragraph.id == "gmc-sm-2013:17"


def test_answerings_tuned_encoder_has_its_own_lead_ratio() -> None:
    """Its similarities spread wider, so a paragraph in force at 0.70 of the superseded
    paragraph's similarity still covers the point (it would not on the packaged encoder)."""
    assert thresholds_for("onnx-fp32/all-MiniLM-L6-v2@gt-0.1.0#abc.alone") == Thresholds()
    tuned = thresholds_for("onnx-fp32/all-MiniLM-L6-v2@gt-0.1.0~answer-0123456789ab#abc.alone")
    assert tuned.lead_ratio == TUNED_LEAD_RATIO < LEAD_RATIO
    corpus = load_corpus()
    old, new = corpus.paragraph("gmc-sm-2013:17"), corpus.paragraph("gmc-sm-2024:8")
    assert old and new
    cands = [Candidate(old, 0.50, 0.5, 1.0, 0.200), Candidate(new, 0.35, 0.5, 1.0, 0.100)]
    assert order_candidates(corpus, cands)[0].paragraph.id == "gmc-sm-2013:17"
    assert order_candidates(corpus, cands, lead_ratio=tuned.lead_ratio)[0].paragraph.id == "gmc-sm-2024:8"


def test_history_questions_are_recognised() -> None:
    from bot.answering import is_history_question

    assert is_history_question("Is the 2013 GMC guidance still in force?")
    assert is_history_question("what changed in the social media guidance in 2024")
    assert is_history_question("what did the old guidance say about friend requests")
    assert not is_history_question("can I reply to a patient on Twitter?")


def test_guidance_for_the_askers_profession_comes_first() -> None:
    corpus = load_corpus()
    nmc, gmc = corpus.paragraph("nmc-sm:introduction"), corpus.paragraph("gmc-sm-2024:8")
    assert nmc and gmc
    cands = [Candidate(nmc, 0.5, 0.5, 1.0, 0.100), Candidate(gmc, 0.5, 0.5, 1.0, 0.090)]
    assert order_candidates(corpus, cands, "doctors")[0].paragraph.doc_id == "gmc-sm-2024"
    assert order_candidates(corpus, cands, "nurses")[0].paragraph.doc_id == "nmc-sm"


def test_a_known_askers_own_guidance_leads_wherever_it_covers_the_point() -> None:
    corpus = load_corpus()
    nmc, gmc = corpus.paragraph("nmc-sm:no-relationships-with-patients"), corpus.paragraph("gmc-sm-2024:5")
    old = corpus.paragraph("gmc-sm-2013:17")
    assert nmc and gmc and old
    # The nurses' paragraph ranks far better: the configured default only weighs it down...
    cands = [Candidate(nmc, 0.6, 0.5, 1.0, 0.200), Candidate(gmc, 0.5, 0.5, 1.0, 0.100)]
    assert order_candidates(corpus, cands, "doctors")[0].paragraph.doc_id == "nmc-sm"
    # ...but when something says a doctor is asking, the doctors' paragraph covering the point leads,
    assert order_candidates(corpus, cands, "doctors", own_audience_first=True)[0].paragraph.id == "gmc-sm-2024:5"
    # not when it is much further from the question than the other profession's (it does not cover it),
    far = [Candidate(nmc, 0.8, 0.5, 1.0, 0.200), Candidate(gmc, 0.5, 0.5, 1.0, 0.100)]
    assert order_candidates(corpus, far, "doctors", own_audience_first=True)[0].paragraph.doc_id == "nmc-sm"
    # and never by putting superseded guidance first.
    superseded = [Candidate(nmc, 0.6, 0.5, 1.0, 0.200), Candidate(old, 0.6, 0.5, 1.0, 0.100)]
    assert order_candidates(corpus, superseded, "doctors", own_audience_first=True)[0].paragraph.doc_id == "nmc-sm"


def test_a_preferred_trust_paragraph_leads_by_similarity_not_by_its_score() -> None:
    # A trust's own paragraph has no asks, so the reranker gives it almost nothing; with
    # prefer_local it still leads when it is nearly as close to the question as the best.
    corpus = load_corpus()
    trust, national = corpus.paragraph("nhse-messaging:off-the-shelf-apps"), corpus.paragraph("gmc-sm-2024:8")
    assert trust and national
    close = [Candidate(national, 0.62, 0.5, 1.0, 0.600), Candidate(trust, 0.58, 0.5, 1.0, 0.001)]
    assert order_candidates(corpus, close)[0].paragraph.id == "gmc-sm-2024:8"
    assert order_candidates(corpus, close, prefer_docs=frozenset({"nhse-messaging"}))[0].paragraph.id == trust.id
    far = [Candidate(national, 0.62, 0.5, 1.0, 0.600), Candidate(trust, 0.30, 0.5, 1.0, 0.001)]
    assert order_candidates(corpus, far, prefer_docs=frozenset({"nhse-messaging"}))[0].paragraph.id == national.id


def test_detect_audience() -> None:
    assert detect_audience("I'm a nurse on nights") == "nurses"
    assert detect_audience("As a paramedic can I post this?") == "ahp"
    assert detect_audience("can I post this?", default="doctors") == "doctors"
    assert detect_audience("I'm an F1, my nurse friend asked") == "doctors"
    assert detect_audience("hca here, can I add a patient on snapchat") == "nurses"
    assert detect_audience("I work as a healthcare assistant") == "nurses"
    assert detect_audience("as an occupational therapist") == "ahp"
    assert detect_audience("doing OT tonight, can I post") == "doctors"  # overtime, not a profession


def test_normalisation_drops_the_prefix_and_expands_abbreviations() -> None:
    q, cut = normalise_question("/gmc can I DM a pt on FB?")
    assert not cut and not q.lower().startswith("/gmc")
    expanded = expand_for_search(q)
    assert "facebook" in expanded and "patient" in expanded and "direct message" in expanded
    assert "Twitter" in expand_for_search("My X bio says doctor")
    assert "Twitter" not in expand_for_search("Can I post an X-ray?")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalise_never_raises_and_respects_the_limit(text: str) -> None:
    q, cut = normalise_question(text)
    assert len(q) <= MAX_QUESTION_CHARS
    assert cut == (len(q) == MAX_QUESTION_CHARS and cut)
    expand_for_search(q)
