"""Who is asking: whose guidance an answer puts first.

Documents carry an ``audience`` (doctors, nurses, ahp, all); answers prefer guidance
written for the asker's profession. The audience of a question is, in this order
(:func:`choose_audience`, docs/retrieval.md):

1. a profession the question names ("I'm a nurse");
2. the asker's saved profession (``/gmc profession nurse``; :func:`profession_from`);
3. the channel's audience (a per-channel setting admins set);
4. the profession the question reads like (:mod:`bot.voice`, when confident);
5. the configured workspace default (``audience``).

The words that name a profession are kept here once: questions and what a person types
to save their profession are read with the same patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUDIENCES = ("doctors", "nurses", "ahp")
# Whose guidance comes first for each audience, and who counts as it (for replies).
REGULATORS = {"doctors": "GMC", "nurses": "NMC", "ahp": "HCPC"}
WHO = {
    "doctors": "doctors, medical students, physician and anaesthesia associates",
    "nurses": "nurses, midwives, nursing associates, health visitors and healthcare assistants",
    "ahp": "allied health professionals: paramedics, physiotherapists, radiographers, OTs and others",
}

_PATTERNS = {
    # Healthcare and nursing assistants have no regulator of their own; they work in
    # nursing teams, so the nursing regulator's guidance is the closest.
    "nurses": r"nurse|nurses|nursing|midwife|midwives|midwifery|health visitor|\bnmc\b|\bhcas?\b|"
    r"health ?care assistant|care assistant|nursing associate|support worker|maternity support|"
    r"matron|ward sister",
    "ahp": r"paramedic|physio(?:therapist)?|radiographer|occupational therapist|dietitian|"
    r"podiatrist|speech and language therapist|operating department practitioner|\bodp\b|"
    r"\bslt\b|\bahps?\b|allied health|"
    r"biomedical scientist|orthoptist|prosthetist|\bhcpc\b|art therapist|"
    r"(?:practitioner|clinical|counselling|forensic|health|educational) psychologist",
    "doctors": r"doctor|\bgp\b|consultant|registrar|\bf[12]\b|\bfy[12]\b|\bsho\b|house officer|"
    r"medical student|physician associate|anaesthesia associate|surgeon|\bgmc\b|"
    # Doctors often give their specialty rather than "doctor".
    r"psychiatrist|anaesthetist|paediatrician|pediatrician|physician|neonatologist|geriatrician|"
    r"obstetrician|gynaecologist|radiologist|oncologist|cardiologist|dermatologist|haematologist|"
    r"pathologist|intensivist|ophthalmologist|clinical fellow",
}
_COMPILED = {aud: re.compile(rf"(?:{pat})", re.IGNORECASE) for aud, pat in _PATTERNS.items()}

# Short forms that name a profession when someone states theirs ("/gmc profession PA"),
# but are too ambiguous inside a question (a PA is also a personal assistant, OT also
# overtime), so questions are not read with them.
_STATED_ONLY = {
    "doctors": r"\bpas?\b|\baas?\b|\bmedics?\b",
    "ahp": r"\bots?\b",
}
_STATED_COMPILED = {aud: re.compile(rf"(?:{pat})", re.IGNORECASE) for aud, pat in _STATED_ONLY.items()}
# Words that clear a saved profession.
CLEAR_WORDS = frozenset({"clear", "none", "reset", "off", "forget", "unset", "remove"})
_WORD = re.compile(r"[^\w\s-]")


def named_audience(question: str) -> str | None:
    """The audience the question names first (e.g. "I'm a nurse" -> "nurses"), if any."""
    best: tuple[int, str] | None = None
    for audience, pattern in _COMPILED.items():
        m = pattern.search(question)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), audience)
    return best[1] if best else None


def profession_from(text: str) -> str | None:
    """The audience a person's description of their own profession names ("staff nurse",
    "FY1", "physio", "PA", "student midwife"), or ``None`` when it names none, or names
    more than one (e.g. "GP nurse"): then the person is asked to say which. Read with the
    question patterns plus :data:`_STATED_ONLY`; at most 100 characters are read."""
    text = _WORD.sub(" ", text[:100])
    found = {aud for aud, pattern in _COMPILED.items() if pattern.search(text)}
    found |= {aud for aud, pattern in _STATED_COMPILED.items() if pattern.search(text)}
    return found.pop() if len(found) == 1 else None


def is_clear(text: str) -> bool:
    """True when ``text`` asks to forget a saved profession ("clear", "none", ...)."""
    return text.strip().lower() in CLEAR_WORDS


@dataclass(frozen=True)
class Known:
    """What the bot knows of the asker apart from the question: their saved profession
    and the channel's audience (each an audience in :data:`AUDIENCES`, or ``None``)."""

    profession: str | None = None
    channel: str | None = None


NOTHING_KNOWN = Known()


def choose_audience(
    question: str, default: str = "doctors", guess: str | None = None, known: Known = NOTHING_KNOWN
) -> str:
    """The asker's audience: named in the question > saved profession > the channel's
    audience > ``guess`` (whose guidance the question reads like, :mod:`bot.voice`) >
    ``default`` (the workspace's)."""
    return named_audience(question) or known.profession or known.channel or guess or default


def detect_audience(question: str, default: str = "doctors", guess: str | None = None) -> str:
    """The audience the question names first, else ``guess``, else ``default`` (what
    :func:`choose_audience` gives when nothing else is known of the asker)."""
    return choose_audience(question, default, guess)
