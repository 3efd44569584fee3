"""Prepare a raw chat message for screening.

:func:`prepare` returns four views of one message:

- ``text``: the message normalised by :func:`bot.screening.normalise.normalise` (format
  characters dropped, NFKC, digits of any script as ASCII digits, look-alike letters folded
  to Latin, dashes and quotes made plain), with chat markup (user mentions, link targets,
  URLs) blanked with spaces. :meth:`Prepared.to_original` maps any span of it back to the
  raw message, and :meth:`Prepared.to_text` the other way.
- ``scan``: the same normalised text with markup, links and URLs unwrapped instead of
  blanked, and code and emphasis marks as spaces: the view the identifier detectors search,
  so a number inside a link or a code span is still found.
- ``folded``: ``text`` lowercased with apostrophes dropped and whitespace runs collapsed. The
  rule lexicons match this view (``dont``, ``shes``), so rules need no case or quote variants.
- ``model``: ``text`` with whitespace collapsed and capped at :data:`MODEL_CHARS` characters,
  the only part that reaches the embedding model.

Every step is a single pass over the text, so the cost grows linearly with its length.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property

from bot.screening.normalise import normalise, unwrap

MODEL_CHARS = 600

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
    normalised: str = ""  # ``text`` before chat markup was blanked (same length)

    @cached_property
    def folded(self) -> str:
        """``text`` folded for the lexicons (worked out on first use)."""
        return fold(self.text)

    @cached_property
    def scan(self) -> str:
        """``text`` as the identifier detectors search it: chat markup, links and URLs
        unwrapped, code and emphasis marks as spaces (same length and offsets as
        ``text``; :func:`bot.screening.normalise.unwrap`)."""
        return unwrap(self.normalised or self.text)

    @cached_property
    def model(self) -> str:
        """``text`` as the embedder sees it (worked out on first use)."""
        return model_text(self.text)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the raw message that ``text[start:end]`` came from."""
        if self.offsets is None or start >= end:
            return start, end
        return self.offsets[start], self.offsets[end - 1] + 1

    def to_text(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``text`` that came from ``original[start:end]`` (the inverse of
        :meth:`to_original`, widened to whole characters)."""
        if self.offsets is None or start >= end:
            return start, end
        return bisect_left(self.offsets, start), bisect_left(self.offsets, end)


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
    normal = normalise(raw)
    return Prepared(raw, _blank_markup(normal.text), normal.offsets, normal.text)
