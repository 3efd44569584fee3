"""Helpers for the "no patient data is stored" proofs (audit store, adapters).

``identifiers_in(text, screening)`` turns what screening found in one message into the
strings that must never appear anywhere we write: each identifier as written, plus its
other spellings (an NHS number run together, spaced 3-3-4, 2-2-2-4 or 6-4, dashed or
dotted; a phone number with +44; a postcode without its space; each part of a name).
``leaks(needles, haystack)`` returns the needles found (case-insensitive unless a needle
says ``exact``; name parts as whole words); ``leaks_among`` does the same for thousands of
needles in one pass. ``unsafe_tokens(excerpt)`` checks a safe excerpt independently of how
it was built: every word in the vocabulary, no number of more than three digits, only
known placeholders. Generated needles (values that were never detected) come from
``tests/generated.py``. ``sqlite_text``, ``database_text`` and ``log_text`` give haystacks: the raw
bytes of a SQLite file and its journals, every row of every table, every log record.

Usage (any test)::

    from tests.privacy import identifiers_in, leaks, log_text
    needles = identifiers_in(message_text, bot.screen(message_text))
    assert leaks(needles, log_text(caplog.records) + fake_slack_bodies) == []
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, select

from bot.types import Screening

ROOT = Path(__file__).resolve().parent.parent
MESSAGE_SETS = (ROOT / "eval" / "messages.jsonl", *sorted((ROOT / "tests" / "data").glob("messages_holdout*.jsonl")))

# Direct identifiers: never stored, whatever the verdict. Quasi-identifiers (a street, a
# school) are redacted only when they help identify a patient, i.e. when the message is flagged.
DIRECT_KINDS = frozenset(
    {"nhs-number", "chi-number", "hc-number", "dob", "postcode", "phone", "email", "hospital-number", "name", "address"}
)
QUASI_KINDS = frozenset({"street", "school"})
NUMBER_KINDS = frozenset({"nhs-number", "chi-number", "hc-number", "phone", "hospital-number"})
TEN_DIGIT_GROUPS = ((3, 3, 4), (2, 2, 2, 4), (6, 4), (10,))
SEPARATORS = (" ", "-", ".", "")
TITLES = frozenset({"mr", "mrs", "miss", "ms", "mx", "dr", "prof", "sir"})
MIN_NEEDLE = 4


@dataclass(frozen=True)
class Needle:
    """One string that must not appear; ``word`` means match it as a whole word only."""

    text: str
    kind: str
    word: bool = False
    exact: bool = False  # match case as well


def risky_lines(paths: Sequence[Path] = MESSAGE_SETS) -> list[dict[str, object]]:
    """Every risky line of the message sets that exist (JSON Lines, corpus-spec format)."""
    lines: list[dict[str, object]] = []
    for path in paths:
        if path.is_file():
            rows = [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines() if raw.strip()]
            lines += [row for row in rows if row.get("risky")]
    return lines


def spellings(kind: str, found: str) -> set[str]:
    """The ways one identifier could be written."""
    out = {found.strip()}
    digits = re.sub(r"\D", "", found)
    if kind in NUMBER_KINDS or kind == "dob":
        if len(digits) >= 6:
            out.add(digits)
        if len(digits) == 10:
            for groups in TEN_DIGIT_GROUPS:
                parts, at = [], 0
                for size in groups:
                    parts.append(digits[at : at + size])
                    at += size
                out.update(sep.join(parts) for sep in SEPARATORS)
        if kind == "phone" and digits.startswith("0"):
            out.update({"+44" + digits[1:], "+44 " + digits[1:], "44" + digits[1:]})
        if kind == "dob":
            out.update(re.sub(r"[/.\-]", sep, found.strip()) for sep in ("/", "-", ".", " "))
    if kind == "postcode":
        compact = re.sub(r"\s+", "", found)
        out.update({compact, f"{compact[:-3]} {compact[-3:]}"})
    return {s for s in out if len(s) >= MIN_NEEDLE}


def identifiers_in(text: str, screening: Screening) -> list[Needle]:
    """What screening found in ``text`` that must never be stored, logged or sent."""
    kinds = DIRECT_KINDS | (QUASI_KINDS if screening.flagged else frozenset())
    needles: list[Needle] = []
    for finding in screening.findings:
        if finding.kind not in kinds:
            continue
        found = text[finding.start : finding.end]
        needles += [Needle(s, finding.kind) for s in spellings(finding.kind, found)]
        if finding.kind == "name":
            needles += [
                Needle(w, "name", word=True)
                for w in re.findall(r"[^\W\d_][\w'-]*", found)
                if len(w) >= 3 and w.lower() not in TITLES
            ]
    return needles


def leaks(needles: Iterable[Needle], haystack: str) -> list[Needle]:
    """The needles present in ``haystack``."""
    folded = haystack.casefold()
    found = []
    for n in needles:
        text, where = (n.text, haystack) if n.exact else (n.text.casefold(), folded)
        if n.word:
            if re.search(rf"(?<![\w]){re.escape(text)}(?![\w])", where):
                found.append(n)
        elif text in where:
            found.append(n)
    return found


def sqlite_text(database: Path) -> str:
    """The raw bytes of a SQLite database and any journal or WAL beside it, as text."""
    parts = []
    for path in sorted(database.parent.glob(database.name + "*")):
        parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    if not parts:
        raise FileNotFoundError(database)
    return "\n".join(parts)


def database_text(engine: Engine) -> str:
    """Every row of every table, as text (for servers whose files a test cannot read)."""
    meta = MetaData()
    meta.reflect(engine)
    lines = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            lines += [" | ".join(str(v) for v in row) for row in conn.execute(select(table))]
    return "\n".join(lines)


def log_text(records: Iterable[logging.LogRecord]) -> str:
    """Every log record as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in records)


# -- the safe excerpt, checked independently of how it was built ----------------------------
_EXCERPT_TOKEN = re.compile(
    r"(?P<placeholder>\[[A-Z][A-Z-]*\]|\[…\])"
    r"|(?P<time>(?<![\d.:/-])(?:[01]?\d|2[0-3])[:.][0-5]\d(?:\s?[ap]m)?(?![\d:/]|\.\d))"
    r"|(?P<digits>\d+(?:(?:[ \t]{1,3}|[ \t]?[.,/:_-][ \t]?|[ \t]?\n[ \t]?)\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:['-][^\W\d_]+)*'?)"
    r"|(?P<other>\S)",
    re.DOTALL,
)
PLACEHOLDER_NAMES = frozenset(
    {
        "[NHS-NUMBER]",
        "[CHI-NUMBER]",
        "[HC-NUMBER]",
        "[DOB]",
        "[POSTCODE]",
        "[PHONE]",
        "[EMAIL]",
        "[HOSPITAL-NUMBER]",
        "[NAME]",
        "[ADDRESS]",
        "[SCHOOL]",
        "[CREDENTIAL]",
        "[REDACTED]",
        "[WORD]",
        "[NUMBER]",
        "[CODE]",
        "[LINK]",
        "[MENTION]",
        "[…]",
    }
)


def unsafe_tokens(excerpt: str) -> list[str]:
    """Tokens of ``excerpt`` that the safe excerpt must never hold: a word outside the
    vocabulary, a number of more than three digits, an unknown placeholder."""
    from bot.screening.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    bad: list[str] = []
    for m in _EXCERPT_TOKEN.finditer(excerpt):
        kind, value = m.lastgroup, m.group()
        if kind == "placeholder" and value not in PLACEHOLDER_NAMES:
            bad.append(value)
        elif kind == "digits" and sum(c.isdigit() for c in value) > 3:
            bad.append(value)
        elif kind == "word" and not _safe_word(value, vocab.words | vocab.name_words):
            bad.append(value)
        elif kind == "other" and value.isalnum():
            bad.append(value)
    return bad


def _safe_word(word: str, known: frozenset[str]) -> bool:
    low = word.lower().rstrip("'")
    if len(low) <= 2 and low.isascii():
        return True
    if low in known or low.replace("'", "") in known:
        return True
    for ending in ("n't", "'s", "'ll", "'re", "'ve", "'d", "'m"):
        if low.endswith(ending) and low[: -len(ending)] in known:
            return True
    return "-" in low and all(_safe_word(p, known) for p in low.split("-") if p)


def leaks_among(needles: Sequence[Needle], haystack: str) -> set[int]:
    """Indexes of the ``needles`` present in ``haystack``, as :func:`leaks` would find
    them, in one pass over the haystack (for thousands of needles and megabytes of text)."""
    folded = haystack.casefold()
    words = set(re.findall(r"\w+", folded))
    exact_words = set(re.findall(r"\w+", haystack))
    found: set[int] = set()
    by_prefix: dict[str, list[int]] = {}
    for i, n in enumerate(needles):
        text = n.text if n.exact else n.text.casefold()
        if n.word and re.fullmatch(r"\w+", text):
            if text in (exact_words if n.exact else words):
                found.add(i)
        elif len(text) >= 4:
            by_prefix.setdefault(text[:4], []).append(i)
        elif text and text in (haystack if n.exact else folded):
            found.add(i)
    if by_prefix:
        for start in range(len(folded) - 3):
            ids = by_prefix.get(folded[start : start + 4])
            if ids is None:
                continue
            for i in ids:
                if i in found:
                    continue
                n = needles[i]
                if leaks([n], haystack[max(0, start - 1) : start + len(n.text) + 1]):
                    found.add(i)
        # exact-case needles whose folded prefix differs are checked directly
        for i, n in enumerate(needles):
            if n.exact and i not in found and not (n.word and re.fullmatch(r"\w+", n.text)) and leaks([n], haystack):
                found.add(i)
    return found
