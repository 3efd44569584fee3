"""Jigsaw identification: score details that together could identify a patient."""

from __future__ import annotations

from collections.abc import Sequence

from bot.screening.data import Jigsaw
from bot.screening.evidence import Evidence
from bot.types import Category, Finding


def jigsaw_evidence(config: Jigsaw, folded: str, findings: Sequence[Finding], mitigation: float) -> Evidence | None:
    """Evidence for ``patient-identifiable`` when the message is about a patient (an anchor
    matches) and the fired signals reach the threshold after ``mitigation``; it weighs the
    score up to ``cap`` and names the kinds of detail in plain words."""
    if config.anchor and not any(p.search(folded) for p in config.anchor):
        return None
    kinds = {f.kind for f in findings}
    fired = [
        s for s in config.signals if (s.finding and s.finding in kinds) or any(p.search(folded) for p in s.patterns)
    ]
    labels: list[str] = []
    for s in fired:
        if s.label not in labels:
            labels.append(s.label)
    score = sum(s.weight for s in {s.label: s for s in fired}.values()) - mitigation
    if len(labels) < config.min_signals or score < config.threshold:
        return None
    reason = f"{config.reason} {', '.join(labels)}."
    return Evidence(Category.PATIENT_IDENTIFIABLE, min(score, config.cap), config.cites, reason, "jigsaw")
