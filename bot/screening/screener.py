"""``Screener``: screen staff messages for the risks the guidance names.

For each message: prepare the text (:mod:`.text`), find identifiers (:mod:`.identifiers`),
collect evidence from the identifiers, the lexical rules, the jigsaw score, the exemplar
sets and the learned classifier (:mod:`.classifier`, when its embedder is in use; its
reason and citation come from the category's nearest exemplar set), lower the non-strong evidence when the wording is a reminder, a question or a task
done properly, and let the policy decide. The model sees at most
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
from pathlib import Path
from typing import Generic, TypeVar, cast

import numpy as np

from bot.config import Settings
from bot.corpus import Corpus
from bot.screening.classifier import ConductClassifier, load_classifier
from bot.screening.data import ScreeningData, check_citations, load_screening_data
from bot.screening.evidence import Evidence
from bot.screening.exemplars import ExemplarIndex
from bot.screening.identifiers import DIRECT, QUASI, REDACTED, SELF_EVIDENT, IdentifierDetector
from bot.screening.jigsaw import jigsaw_evidence
from bot.screening.policy import FlagPolicy
from bot.screening.safe_excerpt import safe_excerpt
from bot.screening.text import Prepared, prepare
from bot.types import Category, Finding, Message, Screening
from guidance_corpus import SCREENING_DIR
from index.embedders import Embedder

log = logging.getLogger(__name__)

IMAGE_MARKER = " [image attached]"
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


class Screener:
    """Screens messages; build once and reuse (exemplars are embedded at construction)."""

    def __init__(self, settings: Settings, corpus: Corpus, embedder: Embedder, data_dir: Path = SCREENING_DIR) -> None:
        self.data: ScreeningData = load_screening_data(data_dir)
        missing = check_citations(self.data, (p.id for p in corpus.paragraphs))
        if missing:
            # An imported or trimmed corpus may lack a paragraph; the policy then cites the
            # next paragraph the evidence names, or the category default.
            log.warning("screening data cites %d paragraph(s) the corpus lacks: %s", len(missing), ", ".join(missing))
        self.embedder = embedder
        self.detector = IdentifierDetector.build(
            self.data.identifiers, settings.staff_email_domains, settings.mrn_pattern
        )
        self.exemplars = ExemplarIndex(
            self.data.exemplars, embedder, self.data.policy, cache_dir=settings.data_dir / "screening"
        )
        self.policy = FlagPolicy(self.data.policy, corpus)
        classifier = load_classifier(data_dir / "classifier")
        self.classifier: ConductClassifier | None = (
            classifier if classifier is not None and classifier.applies_to(embedder.embedder_id) else None
        )

    # -- public API ------------------------------------------------------------------------
    def screen(self, message: Message, sensitivity: str = "normal") -> Screening:
        return self.screen_many([message], sensitivity)[0]

    def screen_many(self, messages: Sequence[Message], sensitivity: str = "normal") -> list[Screening]:
        """Screen a batch; the embedding model is called once for the whole batch.
        ``sensitivity`` ("low", "normal", "high") is the channel's setting."""
        return [a.screening for a in self.analyse_many(messages, sensitivity)]

    # -- internals -----------------------------------------------------------------------
    def _embed(self, prepared: Sequence[Prepared]) -> tuple[np.ndarray, np.ndarray | None]:
        """Per message: similarities to the exemplar sets, and the classifier's
        probabilities (None without a classifier); each distinct text is embedded once."""
        texts = [p.model for p in prepared]
        unique = sorted({t for t in texts if t})
        sims = np.zeros((len(texts), len(self.exemplars.sets)), dtype=np.float32)
        probs = None
        if self.classifier is not None:
            probs = np.zeros((len(texts), len(self.classifier.classes)), dtype=np.float32)
            probs[:, 0] = 1.0  # no text: ordinary
        if not unique:
            return sims, probs
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
                if probs is not None and ptable is not None:
                    probs[i] = ptable[row_of[t]]
        return sims, probs

    def _classifier_evidence(self, probs: np.ndarray, row: np.ndarray, folded: str) -> list[Evidence]:
        """One piece of evidence per category the classifier finds likely; its reason and
        citations come from the category's exemplar set nearest to the message. For
        ``patient-identifiable`` the message must be about a patient (``patient_link``
        words): staff are named all day, and names alone are the detectors' job."""
        assert self.classifier is not None
        p = self.data.policy
        linked = self.data.identifiers.search("patient_link", folded)
        out: list[Evidence] = []
        for category, weight in self.classifier.strengths(probs, p.flag_threshold, p.high_threshold).items():
            if category is Category.PATIENT_IDENTIFIABLE and not linked:
                continue
            best = self.exemplars.nearest_set(row, category)
            if best is None:
                continue
            out.append(Evidence(category, weight, best.cites, best.reason, f"classifier:{best.id}"))
        return out

    def _identifier_evidence(self, findings: Sequence[Finding], folded: str) -> list[Evidence]:
        p = self.data.policy
        kinds = {f.kind for f in findings if f.kind in DIRECT}
        if not kinds:
            return []
        linked = bool(kinds & SELF_EVIDENT) or self.data.identifiers.search("patient_link", folded)
        out: list[Evidence] = []
        for kind in sorted(kinds):
            if kind in SELF_EVIDENT:
                weight = p.identifier_weights.get(kind, p.linked_weight)
            elif linked:
                weight = min(p.identifier_weights.get(kind, p.linked_weight), p.linked_weight)
            else:
                continue
            out.append(
                Evidence(
                    Category.PATIENT_IDENTIFIABLE,
                    weight,
                    p.identifier_cites,
                    p.identifier_reasons.get(kind, "It contains a patient identifier."),
                    f"identifier:{kind}",
                    strong=True,
                )
            )
        return out

    def _mitigation(self, folded: str) -> float:
        fired = [m.weight for m in self.data.mitigators if m.matches(folded)]
        return min(max(fired, default=0.0), self.data.policy.mitigation_cap)

    def analyse_many(self, messages: Sequence[Message], sensitivity: str = "normal") -> list[Analysis]:
        prepared = [prepare(m.text if isinstance(m.text, str) else str(m.text)) for m in messages]
        for prep in prepared:  # worked out here, before the model's thread reads them
            _ = prep.folded, prep.model
        # The model runs in a thread (ONNX Runtime and the tokenizer release the GIL) while
        # this one does the lexical work, which does not depend on it.
        embedding = Background(self._embed, prepared)
        lexical = [self._lexical(message, prep) for message, prep in zip(messages, prepared, strict=True)]
        sims, probs = embedding.result()
        out: list[Analysis] = []
        for i, (prep, row, (folded, findings, mitigation, evidence, jigsaw, redacted_text)) in enumerate(
            zip(prepared, sims, lexical, strict=True)
        ):
            evidence = evidence + self.exemplars.evidence(row)
            if probs is not None:
                evidence += self._classifier_evidence(probs[i], row, folded)
            lowered = [e.lowered(mitigation) for e in evidence]
            if jigsaw is not None:
                lowered.append(jigsaw)
            direct = [f for f in findings if f.kind in REDACTED]  # identifiers and credentials
            flag = self.policy.decide(lowered, redacted_text, direct, sensitivity)
            shown = direct
            if flag is not None and jigsaw is not None and jigsaw.source in flag.rule_ids:
                # The details that made up the jigsaw are hidden too.
                shown = sorted(direct + [f for f in findings if f.kind in QUASI], key=lambda f: f.start)
                redacted_text = safe_excerpt(prep, shown)
                flag = self.policy.decide(lowered, redacted_text, shown, sensitivity)
            screening = Screening(redacted=redacted_text, findings=tuple(shown), flag=flag)
            out.append(Analysis(prep, tuple(findings), tuple(lowered), mitigation, screening))
        return out

    def _lexical(
        self, message: Message, prep: Prepared
    ) -> tuple[str, list[Finding], float, list[Evidence], Evidence | None, str]:
        """The part of one message's analysis the model plays no part in: the folded text
        (with the image marker), the findings, the mitigation, the identifier and rule
        evidence, the jigsaw evidence and the safe excerpt hiding the direct identifiers."""
        folded = prep.folded + (IMAGE_MARKER if message.has_image else "")
        findings = list(self.detector.detect(prep))
        mitigation = self._mitigation(folded)
        evidence: list[Evidence] = self._identifier_evidence(findings, folded)
        evidence += [
            Evidence(r.category, r.weight, r.cites, r.reason, r.id, r.strong)
            for r in self.data.rules
            if r.matches(folded)
        ]
        jigsaw = jigsaw_evidence(self.data.jigsaw, folded, findings, mitigation)
        redacted_text = safe_excerpt(prep, findings)  # privacy hook: only known-safe words leave
        return folded, findings, mitigation, evidence, jigsaw, redacted_text
