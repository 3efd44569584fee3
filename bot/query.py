"""Light normalisation of questions: the ``/gmc`` prefix, odd Unicode and common
abbreviations. Questions arrive as plain text: each adapter removes its platform's markup
(Slack's ``<…>`` tokens, Discord's mentions) before it calls the core."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 2000

# Everyday abbreviations expanded so both the lexical and the dense ranker see the word.
ABBREVIATIONS = {
    "fb": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "dm": "direct message",
    "dms": "direct messages",
    "dmed": "direct messaged",
    "pm": "private message",
    "pt": "patient",
    "pts": "patients",
    "wa": "whatsapp",
    "gmp": "good medical practice",
    "coi": "conflict of interest",
    "ig team": "information governance team",
    "tbh": "to be honest",
    "yt": "youtube",
    "li": "linkedin",
    "pic": "photo",
    "pics": "photos",
}
_ABBR_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True)) + r")\b", re.IGNORECASE
)
# "X" the platform (not X-ray, not "Company X" at the end of a name) -> say Twitter too.
_X_RE = re.compile(
    r"(?<![\w-])X(?![\w-])(?=\s+(?:bio|account|post|profile|feed|thread|handle|followers?)|\s*\(|\s+or\s+twitter)|\bon X\b"
)
_PREFIX_RE = re.compile(r"^\s*/?gmc\b[:,]?\s*", re.IGNORECASE)
_INVISIBLE = {"Cf", "Cc", "Co", "Cs"}


def clean_text(text: str) -> str:
    """NFKC-normalise, drop control and zero-width characters, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        " " if ch in "\t\n\r\x0b\x0c" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in _INVISIBLE
    )
    return re.sub(r"\s+", " ", text).strip()


def normalise_question(raw: str) -> tuple[str, bool]:
    """Return ``(question, truncated)``: Unicode cleaned, prefix dropped, cut to
    :data:`MAX_QUESTION_CHARS` (abbreviations are expanded for search only:
    :func:`expand_for_search`)."""
    text = clean_text(raw)
    text = _PREFIX_RE.sub("", text)
    truncated = len(text) > MAX_QUESTION_CHARS
    if truncated:
        text = text[:MAX_QUESTION_CHARS]
    return text, truncated


def expand_for_search(question: str) -> str:
    """The text the rankers see: abbreviations expanded, X named as Twitter."""
    text = _X_RE.sub(lambda m: m.group(0) + " (Twitter)", question)
    return _ABBR_RE.sub(lambda m: ABBREVIATIONS[m.group(0).lower()], text)


_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+|\n+")
MIN_SEGMENT_WORDS = 3


def question_segments(question: str) -> list[str]:
    """The sentences of a question told as a story ("Gave my number to a bereaved mum.
    She now messages me every night. Where is the line?"), each of at least
    :data:`MIN_SEGMENT_WORDS` words; an empty list when there is only one."""
    parts = [p.strip() for p in _SENTENCE_BREAK.split(question)]
    parts = [p for p in parts if len(p.split()) >= MIN_SEGMENT_WORDS]
    return parts if len(parts) > 1 else []
