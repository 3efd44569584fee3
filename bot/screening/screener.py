"""``Screener``: screen staff messages for the risks the guidance names.

For each message: prepare the text (:mod:`.text`), find identifiers (:mod:`.identifiers`),
collect evidence from the identifiers, the lexical rules, the jigsaw score, the exemplar
sets and the learned classifier (:mod:`.classifier`, when its embedder is in use; its
reason and citation come from the category's nearest exemplar set), lower the non-strong evidence when the wording is a reminder, a question or a task
done properly, and let the policy decide: with the classifier in use, the learned
combiner (:mod:`.combiner`) weighs all of that evidence into one risk, and the policy
follows it (direct identifiers still always flag). A flag's first citation is the
paragraph its nearest labelled example messages were judged to go against
(:mod:`.citer`). The model sees at most
:data:`~bot.screening.text.MODEL_CHARS` characters of a message, and
:meth:`Screener.screen_many` embeds a whole batch in one call, in a thread of its own while
this one does the work that does not need the model (detectors, rules, mitigators,
jigsaw, the safe excerpt): ONNX Runtime releases the GIL, so the two share the
cores.

Nothing here logs or stores message text: the result holds only the redacted text, the
finding spans and fixed wordings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Generic, TypeVar, cast

import numpy as np

from bot.config import Settings
from bot.corpus import Corpus
from bot.screening.chars import CharModel, load_char_model
from bot.screening.citer import CitationVote, read_cited_examples
from bot.screening.classifier import ConductClassifier, classifier_evidence, load_classifier
from bot.screening.combiner import EvidenceCombiner, LearnedRisk, combiner_features, load_combiner
from bot.screening.data import ScreeningData, check_citations, load_screening_data
from bot.screening.evidence import Evidence
from bot.screening.exemplars import ExemplarIndex
from bot.screening.identifiers import QUASI, REDACTED
from bot.screening.lexical import LexicalAnalyser, LexicalResult
from bot.screening.neighbours import TrainingNeighbours
from bot.screening.policy import FlagPolicy
from bot.screening.safe_excerpt import safe_excerpt
from bot.screening.text import Prepared, prepare
from bot.types import Finding, Message, Screening
from guidance_corpus import SCREENING_DIR
from index.embedders import Embedder

log = logging.getLogger(__name__)

T = TypeVar("T")


class Background(Generic[T]):
    """``fn(*args)`` run in a thread of its own; :meth:`result` waits for it and returns
    its value or raises its exception."""

    def __init__(self, fn: Callable[..., T], *args: object) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), name="screening-model", daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., T], args: tuple[object, ...]) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)


@dataclass(frozen=True)
class Analysis:
    """Everything screening worked out for one message (used by tests and calibration)."""

    prepared: Prepared
    findings: tuple[Finding, ...]
    evidence: tuple[Evidence, ...]
    mitigation: float
    screening: Screening
    learned: LearnedRisk | None = None  # the combiner's verdict, when it is in use


class Screener:
    """Screens messages; build once and reuse (exemplars are embedded at construction)."""

    def __init__(
        self,
        settings: Settings,
        corpus: Corpus,
        embedder: Embedder,
        data_dir: Path = SCREENING_DIR,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        """``notify`` is told of slow one-off work (embedding the training messages)."""
        self.data: ScreeningData = load_screening_data(data_dir)
        missing = check_citations(self.data, (p.id for p in corpus.paragraphs))
        if missing:
            # An imported or trimmed corpus may lack a paragraph; the policy then cites the
            # next paragraph the evidence names, or the category default.
            log.warning("screening data cites %d paragraph(s) the corpus lacks: %s", len(missing), ", ".join(missing))
        self.embedder = embedder
        self.lexical = LexicalAnalyser.build(self.data, settings)
        self.detector = self.lexical.detector
        self.exemplars = ExemplarIndex(
            self.data.exemplars, embedder, self.data.policy, cache_dir=settings.data_dir / "screening"
        )
        self.policy = FlagPolicy(self.data.policy, corpus)
        self.citer = CitationVote(
            read_cited_examples(data_dir / "citations"),
            embedder,
            cache_dir=settings.data_dir / "screening",
            known=(p.id for p in corpus.paragraphs),
        )
        classifier = load_classifier(data_dir / "classifier")
        self.classifier: ConductClassifier | None = (
            classifier if classifier is not None and classifier.applies_to(embedder.embedder_id) else None
        )
        # The combiner weighs the classifier's and the character model's outputs, so it is
        # used only where both are.
        self.chars: CharModel | None = load_char_model(data_dir / "classifier")
        combiner = load_combiner(data_dir / "classifier") if self.classifier is not None else None
        self.combiner: EvidenceCombiner | None = combiner if self.chars is not None else None
        self.neighbours: TrainingNeighbours | None = None
        if self.combiner is not None and self.classifier is not None:
            from bot.screening.training import writers_messages

            texts, labels = writers_messages(data_dir / "training", self.classifier.classes)
            self.neighbours = TrainingNeighbours(
                texts, labels, len(self.classifier.classes), embedder, settings.data_dir / "screening", notify
            )

    # -- public API ------------------------------------------------------------------------
    def screen(self, message: Message, sensitivity: str = "normal") -> Screening:
        return self.screen_many([message], sensitivity)[0]

    def screen_many(self, messages: Sequence[Message], sensitivity: str = "normal") -> list[Screening]:
        """Screen a batch; the embedding model is called once for the whole batch.
        ``sensitivity`` ("low", "normal", "high") is the channel's setting."""
        return [a.screening for a in self.analyse_many(messages, sensitivity)]

    # -- internals -----------------------------------------------------------------------
    def _embed(self, prepared: Sequence[Prepared]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Per message: similarities to the exemplar sets, the classifier's probabilities
        (None without a classifier) and the message's vector (zeros for no text); each
        distinct text is embedded once."""
        texts = [p.model for p in prepared]
        unique = sorted({t for t in texts if t})
        sims = np.zeros((len(texts), len(self.exemplars.sets)), dtype=np.float32)
        own = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        probs = None
        if self.classifier is not None:
            probs = np.zeros((len(texts), len(self.classifier.classes)), dtype=np.float32)
            probs[:, 0] = 1.0  # no text: ordinary
        if not unique:
            return sims, probs, own
        vectors = np.asarray(self.embedder.encode(unique), dtype=np.float32)
        table = self.exemplars.similarities(vectors)
        row_of = {t: i for i, t in enumerate(unique)}
        ptable = None
        if self.classifier is not None:
            folded_of = {p.model: p.folded for p in prepared}
            ptable = self.classifier.probabilities(vectors, [folded_of[t] for t in unique])
        for i, t in enumerate(texts):
            if t:
                sims[i] = table[row_of[t]]
                own[i] = vectors[row_of[t]]
                if probs is not None and ptable is not None:
                    probs[i] = ptable[row_of[t]]
        return sims, probs, own

    def _embed_and_compare(
        self, prepared: Sequence[Prepared]
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
        """:meth:`_embed`, and each message's shares of the nearest training messages (None
        without them): in the model's thread, as the comparison releases the GIL too."""
        sims, probs, vectors = self._embed(prepared)
        shares = self.neighbours.shares(vectors) if self.neighbours is not None else None
        return sims, probs, vectors, shares

    def analyse_many(self, messages: Sequence[Message], sensitivity: str = "normal") -> list[Analysis]:
        prepared = [prepare(m.text if isinstance(m.text, str) else str(m.text)) for m in messages]
        for prep in prepared:  # worked out here, before the model's thread reads them
            _ = prep.folded, prep.model
        # The model runs in a thread (ONNX Runtime and the tokenizer release the GIL) while
        # this one does the lexical work, which does not depend on it.
        embedding = Background(self._embed_and_compare, prepared)
        lexical = [self.lexical.analyse(prep, m.has_image) for m, prep in zip(messages, prepared, strict=True)]
        char_log_probs = (
            self.chars.log_probabilities([p.folded for p in prepared])
            if self.combiner is not None and self.chars is not None
            else None
        )
        sims, probs, vectors, shares = embedding.result()
        out: list[Analysis] = []
        for i, (prep, row, lex) in enumerate(zip(prepared, sims, lexical, strict=True)):
            evidence = list(lex.evidence) + self.exemplars.evidence(row)
            learned: LearnedRisk | None = None
            extra: list[Evidence] = []
            if probs is not None:
                assert self.classifier is not None
                evidence += classifier_evidence(
                    self.classifier, probs[i], row, self.exemplars, lex.linked, self.data.policy
                )
                if char_log_probs is not None and shares is not None:
                    learned, extra = self._learned(lex, row, probs[i], char_log_probs[i], shares[i], sensitivity)
            # The jigsaw and the combiner have weighed the mitigation already.
            lowered = [e.lowered(lex.mitigation) for e in evidence] + extra
            if lex.jigsaw is not None:
                lowered.append(lex.jigsaw)
            findings = list(lex.findings)
            redacted_text = lex.redacted
            direct = [f for f in findings if f.kind in REDACTED]  # identifiers and credentials
            vote = cache(partial(self.citer.ranked, vectors[i]))  # the jigsaw's second decision reuses it
            flag = self.policy.decide(lowered, redacted_text, direct, sensitivity, learned, vote)
            shown = direct
            if flag is not None and lex.jigsaw is not None and lex.jigsaw.source in flag.rule_ids:
                # The details that made up the jigsaw are hidden too.
                shown = sorted(direct + [f for f in findings if f.kind in QUASI], key=lambda f: f.start)
                redacted_text = safe_excerpt(prep, shown)
                flag = self.policy.decide(lowered, redacted_text, shown, sensitivity, learned, vote)
            screening = Screening(redacted=redacted_text, findings=tuple(shown), flag=flag)
            out.append(Analysis(prep, tuple(findings), tuple(lowered), lex.mitigation, screening, learned))
        return out

    def _learned(
        self,
        lex: LexicalResult,
        row: np.ndarray,
        probs: np.ndarray,
        char_log_probs: np.ndarray,
        shares: np.ndarray,
        sensitivity: str,
    ) -> tuple[LearnedRisk, list[Evidence]]:
        """The combiner's verdict, and when it flags, evidence naming its category (reason
        and citations of the category's nearest exemplar set) for the policy to show; the
        combiner has weighed the mitigation, so the caller does not lower it again."""
        assert self.combiner is not None and self.classifier is not None and self.chars is not None
        features = combiner_features(
            lex.evidence,
            lex.jigsaw,
            self.exemplars.category_margins(row),
            dict(zip(self.classifier.classes, (float(p) for p in probs), strict=True)),
            dict(zip(self.chars.classes, (float(p) for p in char_log_probs), strict=True)),
            lex.mitigation,
            lex.linked,
            dict(zip(self.classifier.classes, (float(v) for v in shares), strict=True)),
        )
        learned = self.combiner.judge(features, sensitivity)
        if not learned.flagged:
            return learned, []
        nearest = self.exemplars.nearest_set(row, learned.category)
        if nearest is None:
            return learned, []
        p = self.data.policy
        weight = p.flag_threshold + (p.high_threshold - p.flag_threshold) * (learned.risk - learned.threshold) / max(
            1.0 - learned.threshold, 1e-6
        )
        return learned, [Evidence(learned.category, weight, nearest.cites, nearest.reason, f"combiner:{nearest.id}")]
