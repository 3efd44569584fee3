"""The quality bar for answering, with the real MiniLM model (issue 2): CI fails below it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.answering import is_history_question
from bot.audience import Known, profession_from
from bot.evaluation import read_jsonl, score_questions
from bot.retrieval import Method
from bot.types import DocStatus
from tests.conftest import EVAL_DIR, ROOT

HOLDOUT = ROOT / "tests" / "data" / "questions_holdout.jsonl"

pytestmark = pytest.mark.model


@dataclass(frozen=True)
class Bar:
    hit_at_1: float
    hit_at_3: float
    decline_accuracy: float
    false_decline_rate: float


# Gauges a little below the measured figures (docs/retrieval.md), so a fall fails CI. The
# development set's labels lean on the superseded 2013 paragraphs (it was written before the
# 2024 ones were in the corpus); since guidance in force leads, its hit@1 reads 0.70 where
# an in-force paragraph on the point leads unlabelled. Figures with the learned reranker
# (2026-12-07; bot/ranker.py), hit@1 / hit@3 / decline / false declines: development 0.70 /
# 0.97 / 1.00 / 0.00; held out 0.84 / 0.94 / 1.00 / 0.00. Each hit gauge sits about one and a
# half questions below; the decline gauges are those set before the reranker (it does not
# decide declining). Comments give each blind set's first touch and its figures now.
BQ = EVAL_DIR / "blind"
BARS = {
    EVAL_DIR / "questions.jsonl": Bar(0.64, 0.91, 0.95, 0.05),
    HOLDOUT: Bar(0.79, 0.89, 0.95, 0.05),
    # QF, first touch at add090a 0.40 / 0.60 / 0.23 / 0.03; now 0.71 / 0.91 / 0.77 / 0.00.
    BQ / "set_qf" / "questions_qf.jsonl": Bar(0.67, 0.87, 0.72, 0.05),
    # QG, first touch 0.61 / 0.75 / 0.33 / 0.03; now 0.61 / 0.81 / 0.25 / 0.03.
    BQ / "set_qg" / "questions_qg.jsonl": Bar(0.56, 0.76, 0.20, 0.06),
    # QH, first touch at b70676b: 0.38 / 0.59 / 0.71 / 0.06; now 0.71 / 0.85 / 0.71 / 0.03.
    BQ / "set_qh" / "questions_qh.jsonl": Bar(0.66, 0.80, 0.66, 0.06),
    # QI, first touch at 131e618: 0.455 / 0.591 / 0.875 / 0.00; 0.70 / 0.91 / 0.94 / 0.00 before
    # the learned answerability decision, 0.70 / 0.91 / 0.875 / 0.00 with it (one more of its 16
    # out-of-corpus questions answered; pooled over the tuned sets declines rose 0.755 -> 0.805).
    BQ / "set_qi" / "questions_qi.jsonl": Bar(0.66, 0.86, 0.81, 0.03),
    # QJ, first touch at 18d749b: 0.333 / 0.444 / 0.714 / 0.111; now 0.47 / 0.78 / 0.93 / 0.03.
    BQ / "set_qj" / "questions_qj.jsonl": Bar(0.43, 0.73, 0.86, 0.06),
    # QK, first touch at 61e0137: 0.35 / 0.60 / 0.75 / 0.05; 0.675 / 0.85 / 0.85 / 0.00 before
    # answering's tuned encoder, 0.725 / 0.825 / 0.80 / 0.00 with it (one more of its 20
    # out-of-corpus questions answered).
    BQ / "set_qk" / "questions_qk.jsonl": Bar(0.58, 0.76, 0.75, 0.06),
    # QL, first touch at adb7747: 0.361 / 0.583 / 0.714 / 0.028 (0.444 / 0.556 / 0.643 /
    # 0.028 at 61e0137; eval/blind/set_ql/README.md); now 0.56 / 0.78 / 0.79 / 0.03.
    BQ / "set_ql" / "questions_ql.jsonl": Bar(0.51, 0.73, 0.72, 0.06),
    # QM, first touch: cdfc465 0.441 / 0.618 / 0.688 / 0.059, with four blind writers'
    # questions 0.647 / 0.853 / 0.875 / 0.059 (eval/blind/set_qm/README.md); now 0.71 / 0.88 /
    # 0.69 / 0.03.
    BQ / "set_qm" / "questions_qm.jsonl": Bar(0.66, 0.83, 0.63, 0.06),
    # QN, first touch: cdfc465 0.548 / 0.774 / 0.526 / 0.032, four writers 0.613 / 0.806 /
    # 0.526 / 0.032 (eval/blind/set_qn/README.md); now 0.71 / 0.84 / 0.68 / 0.06.
    BQ / "set_qn" / "questions_qn.jsonl": Bar(0.66, 0.79, 0.63, 0.10),
    # QO, first touch: cdfc465 0.432 / 0.676 / 0.769 / 0.081, four writers 0.540 / 0.730 /
    # 0.769 / 0.108, eight 0.486 / 0.784 / 0.769 / 0.108; now 0.54 / 0.76 / 0.77 / 0.11.
    BQ / "set_qo" / "questions_qo.jsonl": Bar(0.50, 0.71, 0.69, 0.14),
    # QP, first touch: cdfc465 0.500 / 0.618 / 0.625 / 0.000, four writers 0.500 / 0.706 /
    # 0.562 / 0.000, eight 0.559 / 0.706 / 0.625 / 0.000; now 0.59 / 0.85 / 0.62 / 0.00.
    BQ / "set_qp" / "questions_qp.jsonl": Bar(0.54, 0.80, 0.56, 0.04),
    # QQ, first touch: 06c696c 0.629 / 0.857 / 0.800 / 0.000; with the learned reranker
    # (shipped) 0.743 / 0.886 / 0.800 / 0.000 (eval/blind/set_qq/README.md).
    BQ / "set_qq" / "questions_qq.jsonl": Bar(0.70, 0.84, 0.70, 0.05),
    # QR, first touch: 06c696c 0.706 / 0.824 / 0.562 / 0.000; with the learned reranker
    # (shipped) 0.765 / 0.824 / 0.562 / 0.000 (eval/blind/set_qr/README.md).
    BQ / "set_qr" / "questions_qr.jsonl": Bar(0.72, 0.77, 0.46, 0.05),
    # QS (dental, pharmacy, optometry and hearing staff, Teams), first touch with the shipped
    # answering (9bd1f97): 0.686 / 0.886 / 0.733 / 0.086 (eval/blind/set_qs/README.md).
    BQ / "set_qs" / "questions_qs.jsonl": Bar(0.64, 0.84, 0.63, 0.13),
    # QT (an acute trust's clinical and support staff, Slack slash command), first touch with
    # the shipped answering (9bd1f97): 0.688 / 0.844 / 0.778 / 0.031 (eval/blind/set_qt/README.md).
    BQ / "set_qt" / "questions_qt.jsonl": Bar(0.64, 0.79, 0.69, 0.08),
    # QU (a teaching hospital's outpatient and day-case services, Teams), first touch with the
    # shipped answering (5ae80b0): 0.750 / 0.875 / 0.833 / 0.000; with a known asker's own
    # guidance leading (shipped since) 0.781 / 0.875 / 0.833 / 0.000 (eval/blind/set_qu/README.md).
    # With four more blind training writers (tq9-tq12): 0.688 / 0.875 / 0.833 / 0.000.
    BQ / "set_qu" / "questions_qu.jsonl": Bar(0.65, 0.84, 0.77, 0.05),
    # QV (a community health trust, Slack DMs), first touch: 5ae80b0 0.533 / 0.800 / 0.750 /
    # 0.000; since 0.533 / 0.800 / 0.750 / 0.000 (eval/blind/set_qv/README.md).
    BQ / "set_qv" / "questions_qv.jsonl": Bar(0.49, 0.76, 0.70, 0.05),
    # QW (a mental health and learning disability trust, Discord), first touch: 15d3685 0.710 /
    # 0.806 / 0.789 / 0.065; with the learned answerability decision (shipped since) 0.774 /
    # 0.871 / 0.737 / 0.000; with four more blind training writers 0.710 / 0.903 / 0.789 / 0.000
    # (eval/blind/set_qw/README.md).
    BQ / "set_qw" / "questions_qw.jsonl": Bar(0.66, 0.84, 0.73, 0.05),
    # QX (an independent-sector hospital group, Slack), first touch: 46c9725 0.676 / 0.882 /
    # 0.875 / 0.000; with four more blind training writers (shipped since) 0.706 / 0.912 / 0.875
    # / 0.029 (eval/blind/set_qx/README.md).
    BQ / "set_qx" / "questions_qx.jsonl": Bar(0.65, 0.85, 0.81, 0.06),
    # QY (an acute trust and its community services, Slack DMs at night), first touch with the
    # shipped answering (77326ec): 0.656 / 0.844 / 0.944 / 0.000 (eval/blind/set_qy/README.md).
    BQ / "set_qy" / "questions_qy.jsonl": Bar(0.6, 0.79, 0.86, 0.05),
    # QZ (a cardiothoracic centre and its community heart teams, Teams), first touch: 8bf1cd1
    # 0.750 / 0.844 / 0.944 / 0.000; answering's tuned encoder 0.781 / 0.938 / 0.944 / 0.000, with
    # its own lead ratio (shipped) 0.781 / 0.906 / 0.944 / 0.000 (eval/blind/set_qz/README.md).
    BQ / "set_qz" / "questions_qz.jsonl": Bar(0.73, 0.85, 0.86, 0.05),
    # RA (a GP out-of-hours service, NHS 111 and a walk-in centre, Slack slash command), first
    # touch: 8bf1cd1 0.677 / 0.903 / 0.947 / 0.000; answering's tuned encoder 0.806 / 0.871 / 0.842
    # / 0.000, with its own lead ratio (shipped) 0.839 / 0.871 / 0.842 / 0.000.
    BQ / "set_ra" / "questions_ra.jsonl": Bar(0.79, 0.82, 0.76, 0.05),
    # RB (a university hospital's imaging, laboratories, pharmacy and clinical photography,
    # Teams), written after the tuned encoder was kept; first touch with it (3599496) 0.813 /
    # 0.906 / 1.000 / 0.000 (8bf1cd1: 0.719 / 0.844 / 0.944 / 0.031).
    BQ / "set_rb" / "questions_rb.jsonl": Bar(0.76, 0.85, 0.91, 0.05),
    # RC (prison healthcare, drug and alcohol and homeless outreach services, Slack DMs), first
    # touch with the tuned encoder (3599496) 0.724 / 0.897 / 0.619 / 0.000 (8bf1cd1: 0.793 /
    # 0.897 / 0.619 / 0.000); six of its 21 out-of-corpus lines are questions from staff without
    # a regulator that the writer judged nothing answers.
    BQ / "set_rc" / "questions_rc.jsonl": Bar(0.67, 0.84, 0.54, 0.05),
    # RD (an adult and a children's hospice and a palliative care team, Slack DMs), first touch
    # with main (c41bcfc) 0.788 / 0.939 / 0.941 / 0.000 (eval/blind/set_rd/README.md).
    BQ / "set_rd" / "questions_rd.jsonl": Bar(0.74, 0.89, 0.88, 0.05),
    # RE (an ambulance service and its air ambulance, Slack slash command from phones), first
    # touch with main (c41bcfc) 0.621 / 0.793 / 0.809 / 0.000 (eval/blind/set_re/README.md).
    BQ / "set_re" / "questions_re.jsonl": Bar(0.57, 0.74, 0.75, 0.05),
}

# With each blind line's role saved as the asker's profession (as `/gmc profession ROLE`
# would save it), pooled over the blind question sets: hit@1 0.690 before a known asker's
# own guidance led wherever it covers the point, 0.748 after (595 answerable questions); with
# QW and QX added and four more blind training writers, 0.782 (660 answerable questions).
ROLE_SETS = sorted(BQ.glob("set_[qr][a-z]/questions_[qr]?.jsonl"))
ROLES_HIT_AT_1 = 0.76


@pytest.mark.parametrize("path", list(BARS), ids=lambda p: p.name)
def test_question_sets_meet_their_quality_bar(minilm_bot, path: Path) -> None:
    bar = BARS[path]
    rows = read_jsonl(path, ("question", "relevant"))
    scores = score_questions(rows, minilm_bot.ask_many([r["question"] for r in rows], top=3))
    print(path.name, scores.to_json())
    assert scores.hit_at_1 >= bar.hit_at_1
    assert scores.hit_at_3 >= bar.hit_at_3
    assert scores.decline_accuracy >= bar.decline_accuracy
    assert scores.false_decline_rate <= bar.false_decline_rate


def test_hybrid_beats_each_ranker_alone(minilm_bot) -> None:
    """Over every question set together (on the development set alone BM25 now reads
    higher, 0.894 against 0.844; held out and on QF hybrid or dense lead)."""
    rows = [r for path in BARS for r in read_jsonl(path, ("question", "relevant"))]
    questions = [r["question"] for r in rows]
    mrr = {m: score_questions(rows, minilm_bot.ask_many(questions, top=3, method=m)).mrr for m in Method}
    print({m.value: round(v, 3) for m, v in mrr.items()})
    assert mrr[Method.HYBRID] > mrr[Method.DENSE] and mrr[Method.HYBRID] > mrr[Method.BM25]


def test_a_saved_profession_puts_the_askers_own_guidance_first(minilm_bot) -> None:
    hits = answerable = 0
    for path in ROLE_SETS:
        rows = read_jsonl(path, ("question", "relevant"))
        known = [Known(profession=profession_from(str(r.get("role") or ""))) for r in rows]
        answers = minilm_bot.ask_many([r["question"] for r in rows], top=3, known=known)
        scores = score_questions(rows, answers)
        n = sum(1 for r in rows if r["relevant"])
        hits += round(scores.hit_at_1 * n)
        answerable += n
    print("with roles", hits, answerable)
    assert len(ROLE_SETS) >= 17 and hits / answerable >= ROLES_HIT_AT_1


def test_sample_question_cites_a_gmc_paragraph(minilm_bot) -> None:
    answer = minilm_bot.ask("/gmc can I reply to a patient on Twitter?")
    assert answer.citations and answer.citations[0].paragraph.doc_id.startswith("gmc-")
    if answer.citations[0].superseded:  # shown as history, beside the guidance in force
        assert any(c.document.status is DocStatus.CURRENT for c in answer.citations[1:])


@pytest.mark.parametrize("path", list(BARS), ids=lambda p: p.name)
def test_no_answer_leads_with_superseded_guidance_when_guidance_in_force_is_relevant(minilm_bot, path: Path) -> None:
    rows = read_jsonl(path, ("question", "relevant"))
    answers = minilm_bot.ask_many([r["question"] for r in rows], top=3)
    corpus = minilm_bot.corpus
    bad = []
    for row, answer in zip(rows, answers, strict=True):
        current = [
            pid
            for pid in row["relevant"]
            if ":" in pid
            and pid.split(":")[0] in corpus.documents
            and corpus.documents[pid.split(":")[0]].status is DocStatus.CURRENT
        ]
        if (
            current
            and answer.citations
            and answer.citations[0].superseded
            and not is_history_question(row["question"])
            and any(c.id in current for c in answer.citations)
        ):
            bad.append(row.get("id"))
    assert not bad, bad


def test_loading_the_model_keeps_numpy_blas_to_one_thread(minilm_bot) -> None:
    """OpenBLAS's spinning threads would compete with torch's for the cores."""
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    minilm_bot.ask("can I post a photo of my ward?")
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
