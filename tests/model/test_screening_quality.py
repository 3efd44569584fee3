"""The quality bar for screening, with the real MiniLM model (issue 3): CI fails below it.

Runs the development messages (and the project's own held-out messages) through
``GuidanceBot.screen_many`` and scores them with ``bot.evaluation.score_messages``, the
same figures ``gmcbot eval messages`` prints."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.evaluation import read_jsonl, score_messages
from bot.service import GuidanceBot
from tests.conftest import EVAL_DIR

pytestmark = pytest.mark.model

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Bar:
    recall: float
    false_alarm_rate: float
    category_accuracy: float
    citation_accuracy: float


# Gauges for the sets tuned on, measured with the learned combiner, the character model,
# fifteen writers' training data and the citation vote (2026-12-07), and set two lines below
# (recall, category, citation) or above (false alarms) the figure: with the same graph bytes,
# verdicts near a threshold differ between machines (ONNX Runtime picks its integer kernels
# by CPU; at 61e0137 the F and H gauges, met in CI, failed on another machine by one line
# each), so a gauge at the figure itself fails somewhere. Since the citation vote the spread
# is wider: a fresh machine (AMD EPYC, AVX2 without VNNI, 2026-12-07 afternoon) read up to three
# lines under the machine the gauges were set on (first citation: V 0.689 against 0.76, L 0.765
# against 0.85; Q's category 0.91 against 0.96), so each gauge now sits two lines below the
# lower of the two machines' figures. Each comment gives the set's first touch and the
# figures on the first machine before the nearest-training-messages feature (recall / false
# alarms / category / citation). With that feature (2026-12-07 evening) each gauge moved
# only where the new figure came within two lines of it, and then to two lines from the
# figure; guidance_corpus/screening/README.md has the history and the new figures.
# When the thresholds came to be calibrated on these held-out sets and every message to be
# embedded in a pass of its own (2026-12-07 night), false alarms fell on most sets: each
# false-alarm gauge was tightened to two lines above its new figure, and a recall, category
# or citation gauge moved only where the new figure came within two lines of it. The "now"
# figures in the comments below are from before that change; the README has the new ones.
BARS = {
    # The development set carried the issue's bar until the citation vote (2026-12-07): its
    # first citations were labelled GMC-first by the project, and the vote leads with what
    # readers of the guidance chose for messages like it (often NHS England's messaging tips).
    EVAL_DIR / "messages.jsonl": Bar(0.93, 0.06, 0.9, 0.43),  # now 1.000 / 0.000 / 0.97 / 0.50
    # The held-out sets written for this project: A, B and C were each scored once before
    # any rule changed for them, then used to broaden the rules (labelled GMC-first, as above).
    DATA / "messages_holdout.jsonl": Bar(0.93, 0.12, 0.83, 0.4),  # now 1.000 / 0.056 / 0.90 / 0.47
    DATA / "messages_holdout_b.jsonl": Bar(0.93, 0.12, 0.89, 0.44),  # now 1.000 / 0.000 / 1.00 / 0.55
    DATA / "messages_holdout_c.jsonl": Bar(0.93, 0.12, 0.9, 0.43),  # now 1.000 / 0.056 / 1.00 / 0.50
    # D, first touch 0.69 / 0.04 / 1.00 / 0.76; now 1.000 / 0.083 / 1.00 / 0.61.
    DATA / "messages_holdout_d.jsonl": Bar(0.94, 0.13, 0.91, 0.52),
    # E, first touch 0.72 / 0.04 / 0.92 / 0.69; now 1.000 / 0.083 / 0.97 / 0.67.
    DATA / "messages_holdout_e.jsonl": Bar(0.94, 0.17, 0.88, 0.58),
    # Blind set F (eval/blind/set_f), first touch at add090a 0.714 / 0.071 / 0.80 / 0.567; now
    # 0.976 / 0.095 / 0.98 / 0.88.
    EVAL_DIR / "blind" / "set_f" / "messages_f.jsonl": Bar(0.92, 0.1, 0.92, 0.78),
    # G, first touch 0.738 / 0.143 / 0.97 / 0.71; now 0.976 / 0.048 / 1.00 / 0.68.
    EVAL_DIR / "blind" / "set_g" / "messages_g.jsonl": Bar(0.92, 0.08, 0.95, 0.63),
    # H, first touch at b70676b 0.476 / 0.143 / 0.80 / 0.25; now 0.952 / 0.143 / 0.88 / 0.53.
    EVAL_DIR / "blind" / "set_h" / "messages_h.jsonl": Bar(0.9, 0.12, 0.82, 0.47),
    # I, first touch at 131e618 0.653 / 0.102 / 0.97 / 0.50; now 0.898 / 0.020 / 1.00 / 0.91.
    EVAL_DIR / "blind" / "set_i" / "messages_i.jsonl": Bar(0.85, 0.05, 0.88, 0.82),
    # J, first touch 0.714 / 0.024 / 0.93 / 0.77; now 0.857 / 0.024 / 1.00 / 0.81.
    EVAL_DIR / "blind" / "set_j" / "messages_j.jsonl": Bar(0.78, 0.08, 0.91, 0.67),
    # K, first touch at 61e0137 0.653 / 0.163 / 0.88 / 0.63; now 0.755 / 0.102 / 0.92 / 0.62.
    EVAL_DIR / "blind" / "set_k" / "messages_k.jsonl": Bar(0.69, 0.13, 0.8, 0.55),
    # L, first touch 0.619 / 0.143 / 0.96 / 0.54; now 0.786 / 0.024 / 1.00 / 0.85.
    EVAL_DIR / "blind" / "set_l" / "messages_l.jsonl": Bar(0.73, 0.08, 0.91, 0.67),
    # M, first touch 0.633 / 0.061 / 0.87 / 0.52; now 0.857 / 0.061 / 1.00 / 0.81.
    EVAL_DIR / "blind" / "set_m" / "messages_m.jsonl": Bar(0.81, 0.11, 0.9, 0.69),
    # N, first touch 0.633 / 0.122 / 0.97 / 0.68; now 0.939 / 0.000 / 0.93 / 0.74.
    EVAL_DIR / "blind" / "set_n" / "messages_n.jsonl": Bar(0.85, 0.05, 0.88, 0.66),
    # O (ambulance and urgent care, Slack), first touch at 0e9fb5a 0.755 / 0.122 / 0.95 / 0.49;
    # learned combiner 0.837 / 0.143 / 0.88 / 0.46; now 0.939 / 0.061 / 0.93 / 0.61.
    EVAL_DIR / "blind" / "set_o" / "messages_o.jsonl": Bar(0.87, 0.09, 0.88, 0.55),
    # P (children's hospital, Teams), first touch at 0e9fb5a 0.796 / 0.041 / 0.92 / 0.44;
    # learned combiner 0.898 / 0.061 / 0.91 / 0.43; now 0.980 / 0.041 / 0.96 / 0.67.
    EVAL_DIR / "blind" / "set_p" / "messages_p.jsonl": Bar(0.91, 0.09, 0.87, 0.62),
    # Q (hospice, care homes and home care, Teams), first touch: at 0e9fb5a 0.633 / 0.102 / 0.87 /
    # 0.42; learned combiner 0.816 / 0.082 / 0.85 / 0.40; with the character model 0.837 / 0.082 /
    # 0.90 / 0.39; now 0.918 / 0.102 / 0.96 / 0.67.
    EVAL_DIR / "blind" / "set_q" / "messages_q.jsonl": Bar(0.85, 0.11, 0.86, 0.56),
    # R (doctors' mess and students, Discord), first touch: at 0e9fb5a 0.796 / 0.122 / 0.85 /
    # 0.64; learned combiner 0.837 / 0.143 / 0.95 / 0.71; with the character model 0.857 / 0.143 /
    # 0.95 / 0.74; now 0.939 / 0.082 / 0.98 / 0.85.
    EVAL_DIR / "blind" / "set_r" / "messages_r.jsonl": Bar(0.87, 0.11, 0.93, 0.77),
    # S (community health trust, Slack), first touch: six writers (a9e40e2) 0.898 / 0.082 / 0.91 /
    # 0.57; nine writers 0.898 / 0.102 / 0.91 / 0.59; now 0.918 / 0.061 / 0.96 / 0.87.
    EVAL_DIR / "blind" / "set_s" / "messages_s.jsonl": Bar(0.87, 0.09, 0.91, 0.77),
    # T (regional cancer centre, Discord), first touch: six writers (a9e40e2) 0.898 / 0.143 / 0.98 /
    # 0.52; nine writers 0.959 / 0.102 / 0.96 / 0.53; now 0.959 / 0.082 / 0.96 / 0.77.
    EVAL_DIR / "blind" / "set_t" / "messages_t.jsonl": Bar(0.91, 0.07, 0.91, 0.68),
    # U (emergency department, Slack), first touch at 7ae20e9 0.939 / 0.020 / 0.96 / 0.59; citation
    # vote (06aa85d) 0.939 / 0.020 / 0.96 / 0.78; twelve writers 0.939 / 0.020 / 0.96 / 0.76; now
    # 0.959 / 0.020 / 0.96 / 0.77.
    EVAL_DIR / "blind" / "set_u" / "messages_u.jsonl": Bar(0.91, 0.05, 0.89, 0.7),
    # V (outpatients and planned care, Teams), first touch at 7ae20e9 0.939 / 0.061 / 1.00 / 0.50;
    # citation vote 0.939 / 0.061 / 1.00 / 0.83; twelve writers 0.939 / 0.061 / 1.00 / 0.80; now
    # 0.918 / 0.020 / 0.98 / 0.76.
    EVAL_DIR / "blind" / "set_v" / "messages_v.jsonl": Bar(0.85, 0.09, 0.91, 0.64),
    # W (prison and custody healthcare, chat), first touch at 7ae20e9 0.959 / 0.122 / 0.94 / 0.60;
    # citation vote 0.959 / 0.122 / 0.94 / 0.74; twelve writers 0.980 / 0.122 / 0.90 / 0.73; now
    # 0.959 / 0.122 / 0.89 / 0.68.
    EVAL_DIR / "blind" / "set_w" / "messages_w.jsonl": Bar(0.91, 0.13, 0.83, 0.63),
    # X (blood, tissue and organ donation, Discord), first touch at 7ae20e9 0.898 / 0.041 / 1.00 /
    # 0.50; citation vote 0.898 / 0.041 / 1.00 / 0.68; twelve writers 0.918 / 0.041 / 1.00 / 0.69;
    # now 0.918 / 0.041 / 1.00 / 0.69.
    EVAL_DIR / "blind" / "set_x" / "messages_x.jsonl": Bar(0.87, 0.07, 0.95, 0.61),
    # Y (defence medical services and veterans' health, Teams), first touch at 482e12d (twelve
    # writers and the citation vote) 0.939 / 0.102 / 0.98 / 0.80; fifteen writers (shipped)
    # 0.939 / 0.082 / 0.98 / 0.72.
    EVAL_DIR / "blind" / "set_y" / "messages_y.jsonl": Bar(0.89, 0.07, 0.91, 0.67),
    # Z (major trauma, burns and HEMS, Slack), first touch at 482e12d 0.959 / 0.061 / 0.91 / 0.77;
    # fifteen writers (shipped) 0.918 / 0.041 / 0.91 / 0.71.
    EVAL_DIR / "blind" / "set_z" / "messages_z.jsonl": Bar(0.87, 0.07, 0.86, 0.66),
    # AA (remote island health board, Slack and group chats), first touch at 1ed8562 0.918 / 0.143 /
    # 0.98 / 0.71; nearest training messages the same; now 0.898 / 0.122 / 0.98 / 0.70.
    EVAL_DIR / "blind" / "set_aa" / "messages_aa.jsonl": Bar(0.85, 0.17, 0.93, 0.65),
    # AB (an acute trust's corporate and support teams, Teams), first touch at 1ed8562 0.878 / 0.082
    # / 0.95 / 0.88; nearest training messages 0.898 / 0.082 / 0.98 / 0.86; now 0.857 / 0.041 / 0.98 / 0.90.
    EVAL_DIR / "blind" / "set_ab" / "messages_ab.jsonl": Bar(0.81, 0.09, 0.92, 0.85),
    # AC (dental, eye and ENT hospitals on one site, Slack), first touch at 6cde84d 0.980 / 0.061 /
    # 0.94 / 0.75; with calibrated thresholds and one text per pass (shipped) 0.980 / 0.061 / 0.94 / 0.79.
    EVAL_DIR / "blind" / "set_ac" / "messages_ac.jsonl": Bar(0.93, 0.11, 0.89, 0.75),
    # AD (bank and agency staffing hub and hospital at night, Discord), first touch at 6cde84d 0.959 /
    # 0.224 / 0.98 / 0.68; with calibrated thresholds and one text per pass (shipped) 0.939 / 0.184 / 0.96 / 0.67.
    EVAL_DIR / "blind" / "set_ad" / "messages_ad.jsonl": Bar(0.89, 0.23, 0.91, 0.63),
    # AE (an integrated sexual health service, Slack), first touch with the shipped screening
    # (77326ec) 0.959 / 0.020 / 0.91 / 0.68.
    EVAL_DIR / "blind" / "set_ae" / "messages_ae.jsonl": Bar(0.91, 0.07, 0.87, 0.63),
    # AF (a student health centre and a football club's sports medicine team, Discord), first
    # touch with the shipped screening (77326ec) 0.918 / 0.041 / 0.89 / 0.64.
    EVAL_DIR / "blind" / "set_af" / "messages_af.jsonl": Bar(0.87, 0.09, 0.84, 0.6),
    # AG (a renal, dialysis and transplant service, Teams), first touch with the shipped
    # screening (0080052) 0.939 / 0.000 / 0.98 / 0.76.
    EVAL_DIR / "blind" / "set_ag" / "messages_ag.jsonl": Bar(0.89, 0.05, 0.93, 0.71),
    # AH (a GP practice group and its care navigators, Slack), first touch with the shipped
    # screening (0080052) 0.898 / 0.061 / 1.00 / 0.86.
    EVAL_DIR / "blind" / "set_ah" / "messages_ah.jsonl": Bar(0.85, 0.11, 0.95, 0.81),
    # AI (a stroke, neurology and neurorehabilitation service, Slack), first touch with the
    # shipped screening (8bf1cd1) 0.857 / 0.082 / 0.95 / 0.76; the same with the thresholds
    # calibrated on 35 sets.
    EVAL_DIR / "blind" / "set_ai" / "messages_ai.jsonl": Bar(0.81, 0.13, 0.90, 0.71),
    # AJ (occupational health, wellbeing, security, porters, estates and PALS, Discord), first
    # touch with the shipped screening (8bf1cd1) 0.918 / 0.061 / 0.96 / 0.56; the same with the
    # thresholds calibrated on 35 sets.
    EVAL_DIR / "blind" / "set_aj" / "messages_aj.jsonl": Bar(0.87, 0.11, 0.91, 0.51),
    # AK (an acute medical unit, frailty, discharge and bed management with council social
    # workers, Teams), first touch with main (c41bcfc) 0.898 / 0.061 / 0.91 / 0.89.
    EVAL_DIR / "blind" / "set_ak" / "messages_ak.jsonl": Bar(0.85, 0.11, 0.86, 0.83),
    # AL (a fertility and IVF unit, clinical genetics and a gender identity clinic, Slack), first
    # touch with main (c41bcfc) 0.837 / 0.020 / 0.98 / 0.71.
    EVAL_DIR / "blind" / "set_al" / "messages_al.jsonl": Bar(0.79, 0.07, 0.92, 0.66),
}


@pytest.fixture(scope="module")
def screening_bot(tmp_path_factory):
    # The shipped configuration: screening on its default backend (the int8 ONNX graph,
    # made here from the packaged weights).
    bot = GuidanceBot(Settings(data_dir=tmp_path_factory.mktemp("screening-model")))
    bot.screen("warm up")
    return bot


def _scores(bot: GuidanceBot, path: Path):
    rows = read_jsonl(path, ("text", "risky"))
    scores = score_messages(rows, bot.screen_many([r["text"] for r in rows]))
    print(path.name, scores.to_json())
    return scores


@pytest.mark.parametrize("path", list(BARS), ids=lambda p: p.name)
def test_message_sets_meet_their_quality_bar(screening_bot, path: Path) -> None:
    bar = BARS[path]
    scores = _scores(screening_bot, path)
    assert scores.recall >= bar.recall
    assert scores.false_alarm_rate <= bar.false_alarm_rate
    assert scores.category_accuracy >= bar.category_accuracy
    assert scores.citation_accuracy >= bar.citation_accuracy


def test_issue_example_with_the_real_model(screening_bot) -> None:
    result = screening_bot.screen("Patient in resus is John Carter, NHS no 943 476 5919")
    assert result.flag is not None and result.flag.category.value == "patient-identifiable"
    # The citation vote leads with what readers of the guidance judged messages like it to go
    # against (in a staff chat: NHS England's messaging tips or GMC confidentiality); the
    # identifier evidence's own paragraph, GMC confidentiality, is cited too.
    cited = [c.paragraph.doc_id for c in result.flag.citations]
    assert cited[0] in {"gmc-conf-2017", "nhse-messaging"} and "gmc-conf-2017" in cited
    assert "John Carter" not in result.redacted and "943 476 5919" not in result.redacted


def test_batched_screening_is_quick(screening_bot) -> None:
    rows = read_jsonl(EVAL_DIR / "messages.jsonl", ("text", "risky"))
    texts = [f"{r['text']} ({i})" for i in range(4) for r in rows]  # distinct texts, no cache hits
    start = time.perf_counter()
    screening_bot.screen_many(texts)
    rate = len(texts) / (time.perf_counter() - start)
    print(f"full pipeline: {rate:.0f} messages/s")
    assert rate >= 20  # a loose floor (catches a per-message model call); the benchmark reports the real figure
