"""The part of screening the model plays no part in: identifiers, rules, mitigators, jigsaw.

:class:`LexicalAnalyser` reads one prepared message and returns its findings, the evidence
of the identifier detectors and lexical rules (before any mitigator lowers it), the
mitigation, the jigsaw evidence and the safe excerpt. The screener runs it beside the
model; training (:mod:`bot.screening.training`) runs it on the training messages, so the
learned combiner (:mod:`bot.screening.combiner`) is fitted on exactly the evidence it sees
in service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.screening.data import ScreeningData
from bot.screening.evidence import Evidence
from bot.screening.identifiers import DIRECT, SELF_EVIDENT, IdentifierDetector
from bot.screening.jigsaw import jigsaw_evidence
from bot.screening.safe_excerpt import safe_excerpt
from bot.screening.text import Prepared
from bot.types import Category, Finding

IMAGE_MARKER = " [image attached]"


@dataclass(frozen=True)
class LexicalResult:
    """``evidence`` is identifier and rule evidence at full weight (not yet lowered by
    ``mitigation``); ``linked`` is whether the message is about a patient (``patient_link``
    words); ``redacted`` hides the direct identifiers (only known-safe words leave)."""

    folded: str
    findings: tuple[Finding, ...]
    mitigation: float
    evidence: tuple[Evidence, ...]
    jigsaw: Evidence | None
    redacted: str
    linked: bool


class LexicalAnalyser:
    def __init__(self, data: ScreeningData, detector: IdentifierDetector) -> None:
        self.data = data
        self.detector = detector

    @classmethod
    def build(cls, data: ScreeningData, settings: Settings) -> LexicalAnalyser:
        """With the identifier detectors ``settings`` configure (staff email domains, the
        hospital-number pattern)."""
        return cls(data, IdentifierDetector.build(data.identifiers, settings.staff_email_domains, settings.mrn_pattern))

    def analyse(self, prep: Prepared, has_image: bool = False) -> LexicalResult:
        folded = prep.folded + (IMAGE_MARKER if has_image else "")
        findings = tuple(self.detector.detect(prep))
        mitigation = self.mitigation(folded)
        linked = bool(self.data.identifiers.search("patient_link", folded))
        evidence = self._identifier_evidence(findings, linked)
        evidence += [
            Evidence(r.category, r.weight, r.cites, r.reason, r.id, r.strong)
            for r in self.data.rules
            if r.matches(folded)
        ]
        jigsaw = jigsaw_evidence(self.data.jigsaw, folded, findings, mitigation)
        redacted = safe_excerpt(prep, findings)  # privacy hook: only known-safe words leave
        return LexicalResult(folded, findings, mitigation, tuple(evidence), jigsaw, redacted, linked)

    def mitigation(self, folded: str) -> float:
        fired = [m.weight for m in self.data.mitigators if m.matches(folded)]
        return min(max(fired, default=0.0), self.data.policy.mitigation_cap)

    def _identifier_evidence(self, findings: Sequence[Finding], linked: bool) -> list[Evidence]:
        p = self.data.policy
        kinds = {f.kind for f in findings if f.kind in DIRECT}
        if not kinds:
            return []
        linked = bool(kinds & SELF_EVIDENT) or linked
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
