"""What every reader produces: lines of text with the place each came from."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bot.errors import GmcbotError


class ImportFailed(GmcbotError):
    """A file cannot be imported; the message says where and what to do. Nothing is written."""


class LineKind(enum.Enum):
    """What a reader knows about a line. ``TEXT`` lines are judged by the splitter."""

    TEXT = "text"
    HEADING = "heading"  # the reader knows it is a heading (HTML <h2>, Markdown '#')
    BREAK = "break"  # end of a block: blank line, end of an HTML paragraph


@dataclass(frozen=True)
class SourceLine:
    """One line of text and where it came from, e.g. ``line 12`` or ``page 3, line 7``."""

    text: str
    where: str
    kind: LineKind = LineKind.TEXT


@dataclass
class SourceText:
    """A whole file as lines. ``skipped`` counts what the reader dropped (footnotes, page
    headers and footers) for the preview; ``title`` is a hint (HTML <title>, PDF metadata)."""

    path: str
    fmt: str
    lines: list[SourceLine]
    title: str = ""
    pages: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, what: str, count: int = 1) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + count

    @property
    def has_text(self) -> bool:
        return any(line.text.strip() for line in self.lines if line.kind is not LineKind.BREAK)
