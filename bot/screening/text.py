"""Prepare a raw chat message for screening.

:func:`prepare` returns three views of one message:

- ``text``: the message with zero-width and bidi control characters removed, compatibility
  forms folded (NFKC, so full-width digits read as digits), typographic dashes and quotes
  made plain, and chat markup that cannot hold patient data (user mentions, link targets)
  blanked with spaces. Detectors search this view; :meth:`Prepared.to_original` maps any span
  of it back to the raw message, so redaction always works on what was posted.
- ``folded``: ``text`` lowercased with apostrophes dropped and whitespace runs collapsed. The
  rule lexicons match this view (``dont``, ``shes``), so rules need no case or quote variants.
- ``model``: ``text`` with whitespace collapsed and capped at :data:`MODEL_CHARS` characters,
  the only part that reaches the embedding model.

Every step is a single pass over the text, so the cost grows linearly with its length.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

MODEL_CHARS = 600

# Format characters that render as nothing but can split a number or word in two.
_INVISIBLE = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
)
_PLAIN = {
    0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-", 0x2015: "-", 0x2212: "-",
    0x2018: "'", 0x2019: "'", 0x201B: "'", 0x2032: "'", 0x02BC: "'", 0x0060: "'", 0x00B4: "'",
    0x201C: '"', 0x201D: '"', 0x201F: '"',
}

# Chat markup. Slack: <@U123>, <#C123|name>, <!here>, <https://x|label>, <mailto:a@b|a@b>.
# Discord: <@123>, <@!123>, <@&123>, <#123>, <:name:123>, <t:123:R>.
_MARKUP = re.compile(
    r"<(?:[@#!][^<>\s]{0,80}|a?:\w{1,40}:\d{1,25}|t:\d{1,15}(?::\w)?)>"  # mentions, channels, emoji
    r"|<(?:https?|ftp)://[^<>|\s]{1,2000}(?=[|>])"  # link target (the label after | is kept)
    r"|<mailto:(?=[^<>|\s]{1,320}[|>])"  # mailto prefix (the address itself is kept and screened)
    r"|(?<![\w@])(?:https?|ftp)://[^\s<>]{1,2000}"  # bare URLs
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Prepared:
    """One message in the views screening uses (see the module docstring)."""

    original: str
    text: str
    offsets: tuple[int, ...] | None = None  # offsets[i]: where text[i] came from; None = same

    @cached_property
    def folded(self) -> str:
        """``text`` folded for the lexicons (worked out on first use)."""
        return fold(self.text)

    @cached_property
    def model(self) -> str:
        """``text`` as the embedder sees it (worked out on first use)."""
        return model_text(self.text)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the raw message that ``text[start:end]`` came from."""
        if self.offsets is None or start >= end:
            return start, end
        return self.offsets[start], self.offsets[end - 1] + 1


def _fold_characters(raw: str) -> tuple[str, tuple[int, ...] | None]:
    """Drop invisible characters and fold compatibility forms, keeping an offset map."""
    if raw.isascii() and "`" not in raw:
        return raw, None
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(raw):
        code = ord(ch)
        if code < 128 and ch != "`":
            out.append(ch)
            offsets.append(i)
            continue
        if code in _INVISIBLE:
            continue
        plain = _PLAIN.get(code)
        if plain is None:
            if unicodedata.category(ch) in ("Cf", "Cc", "Cs", "Co", "Cn") and not ch.isspace():
                continue
            plain = unicodedata.normalize("NFKC", ch) if not ch.isspace() else " "
        for piece in plain:
            out.append(piece)
            offsets.append(i)
    return "".join(out), tuple(offsets)


def _blank_markup(text: str) -> str:
    """Replace chat markup that cannot carry patient data with spaces (same length)."""
    if "<" not in text and "://" not in text:
        return text
    return _MARKUP.sub(lambda m: " " * (m.end() - m.start()), text).replace("|", " ")


def fold(text: str) -> str:
    """Lowercase, drop apostrophes, collapse whitespace: the view rule lexicons match."""
    return " ".join(text.lower().replace("'", "").split())


def model_text(text: str, limit: int = MODEL_CHARS) -> str:
    """Whitespace-collapsed text cut to ``limit`` characters at a word boundary."""
    flat = _SPACES.sub(" ", text[: limit * 4]).strip()
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit]


def prepare(raw: str) -> Prepared:
    """All views of one raw message. Never raises for any ``str``."""
    raw = raw if isinstance(raw, str) else str(raw)
    folded_chars, offsets = _fold_characters(raw)
    text = _blank_markup(folded_chars)
    return Prepared(raw, text, offsets)
