"""Who is asking: a profession named in the question, else the profession the question
reads like (:mod:`bot.voice`, when confident), else the configured default.

Documents carry an ``audience`` (doctors, nurses, ahp, all); answers prefer guidance
written for the asker's profession."""

from __future__ import annotations

import re

_PATTERNS = {
    # Healthcare and nursing assistants have no regulator of their own; they work in
    # nursing teams, so the nursing regulator's guidance is the closest.
    "nurses": r"nurse|nurses|nursing|midwife|midwives|midwifery|health visitor|\bnmc\b|\bhcas?\b|"
    r"health ?care assistant|care assistant|nursing associate|support worker|maternity support",
    "ahp": r"paramedic|physio(?:therapist)?|radiographer|occupational therapist|dietitian|"
    r"podiatrist|speech and language therapist|operating department practitioner|\bodp\b|"
    r"\bslt\b|\bahps?\b|allied health|"
    r"biomedical scientist|orthoptist|prosthetist|\bhcpc\b|art therapist|practitioner psychologist",
    "doctors": r"doctor|\bgp\b|consultant|registrar|\bf[12]\b|\bfy[12]\b|\bsho\b|house officer|"
    r"medical student|physician associate|anaesthesia associate|surgeon|\bgmc\b",
}
_COMPILED = {aud: re.compile(rf"(?:{pat})", re.IGNORECASE) for aud, pat in _PATTERNS.items()}


def named_audience(question: str) -> str | None:
    """The audience the question names first (e.g. "I'm a nurse" -> "nurses"), if any."""
    best: tuple[int, str] | None = None
    for audience, pattern in _COMPILED.items():
        m = pattern.search(question)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), audience)
    return best[1] if best else None


def detect_audience(question: str, default: str = "doctors", guess: str | None = None) -> str:
    """The audience the question names first, else ``guess`` (whose guidance the
    question reads like, :mod:`bot.voice`), else ``default``."""
    return named_audience(question) or guess or default
