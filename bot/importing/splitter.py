"""Find numbered paragraphs, their sub-items and headings in a file's lines.

The rules, kept general so they hold for official web pages, PDFs and typed copies:

* A paragraph starts with its number at the start of a line (``12 You must``, ``12.``,
  ``12)``, or ``12`` alone with the text on the next line). The next number always
  counts; a jump (a gap) counts only at a sentence boundary and unless the numbering
  then resumes where it was (a quoted paragraph of another document, "In Good medical
  practice we say: 36 You must ..."); a number already used or lower than the last one
  counts only at a sentence boundary and is reported as a duplicate or out of order.
  So a wrapped line such as "18 months later" is never a paragraph.
* A sub-item is the next letter under a paragraph: ``(c)``, ``c)``, ``c.``, or a bare
  ``c`` after a line ending in ':' or ';'. Its number is ``75c``; its text repeats the
  paragraph's lead-in so it reads on its own, and the paragraph keeps all its items.
* A heading is a line the reader marked as one, or a short line that starts with a
  capital, has no number and no closing full stop, and starts a block.
* Footnotes (lines starting ``[1]``, ``*``, ``†``, or everything under a "Footnotes" /
  "Notes" / "References" heading) and inline markers (``[2]``, superscript digits) are
  dropped. Unnumbered text between a heading and the next paragraph is skipped and
  reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.importing.source import ImportFailed, LineKind, SourceLine, SourceText

MAX_GAP = 30
SHORT_LINE = 0.6  # a heading followed by running text is shorter than this share of a full line
_NUMBERED = re.compile(r"^(\d{1,3})([.)])?(?:\s+(.*)|$)")
_NUMBERED_TIGHT = re.compile(r"^(\d{1,3})(?=[A-Z][a-z])(.*)$")  # "12You must" from some PDFs
_SUB_MARKED = re.compile(r"^\(([a-z])\)(?:\s*(.*))?$|^([a-z])[.)](?:\s+(.*)|$)")
_SUB_BARE = re.compile(r"^([a-z])(?:\s+(.*))?$")
_BARE_B = re.compile(r"^b(\s|$)")
_FOOTNOTE_LINE = re.compile(r"^(\[\d{1,3}\]|\^\d|[†‡]|\*+(?=\S)|footnote\s+\d)", re.IGNORECASE)
_FOOTNOTE_HEADING = re.compile(r"^(foot ?notes?|end ?notes?|notes|references|sources)$", re.IGNORECASE)
_INLINE_MARK = re.compile(r"\[\d{1,3}\]|[\u00b9\u00b2\u00b3\u2070-\u2079]+")
_BULLET = re.compile(r"^(?:[\u2022\u25a0\u25aa\u25e6\u25cf\u2023\uf0a7\uf0b7]\s*|[\u2013\u2014-]\s+)")
_STARTS = "\"'(\u2018\u201c"
_MONTH = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_ENDS_SENTENCE = (".", ":", ";", "?", "!", '"', "'", "\u2019", "\u201d", ")")
CONNECTORS = {
    "and",
    "or",
    "but",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "as",
    "at",
    "from",
    "that",
    "your",
    "their",
    "be",
    "is",
    "are",
    "if",
    "not",
}


@dataclass
class FoundParagraph:
    """A numbered paragraph (``12``) or sub-item (``12c``) found in the file."""

    number: str
    heading: str
    text: str
    where: str
    items: list[FoundParagraph] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)


@dataclass
class Split:
    """Everything the splitter found. ``problems`` stop an import; the rest is for the preview."""

    source: SourceText
    paragraphs: list[FoundParagraph]
    headings: list[str]
    gaps: list[str]
    duplicates: list[str]
    other_problems: list[str]  # numbers going down, paragraphs without text
    skipped_text: list[tuple[str, int]]  # runs of unnumbered text: (where it starts, lines)
    footnotes: int

    @property
    def problems(self) -> list[str]:
        return [*self.duplicates, *self.other_problems]

    @property
    def sub_items(self) -> int:
        return sum(1 for p in self.paragraphs if not p.number.isdigit())


def _clean(text: str) -> str:
    text = _INLINE_MARK.sub("", text)
    text = _BULLET.sub("", text.strip())
    return " ".join(text.split())


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out.endswith("-") and out[-2:-1].isalpha() and part[:1].islower():
            out = out[:-1] + part  # a word hyphenated across lines
        else:
            out = f"{out} {part}" if out else part
    return out


def heading_like(text: str) -> bool:
    """Short, starts with a capital, no closing full stop, not ending mid-phrase."""
    words = text.split()
    return (
        bool(words)
        and len(text) <= 100
        and len(words) <= 14
        and text[0].isupper()
        and not text.endswith((".", ",", ";", ":"))
        and words[-1].lower() not in CONNECTORS
    )


class _Splitter:
    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.uses_breaks = any(line.kind is LineKind.BREAK for line in source.lines)
        widths = sorted(len(line.text) for line in source.lines if line.kind is LineKind.TEXT)
        self.line_width = widths[int(len(widths) * 0.8)] if widths else 0
        self.paragraphs: list[FoundParagraph] = []
        self.order: list[tuple[int, str]] = []  # top-level numbers in file order, with place
        self.seen: dict[int, str] = {}
        self.current: FoundParagraph | None = None
        self.item: FoundParagraph | None = None
        self.heading = ""
        self.duplicates: list[str] = []
        self.problems: list[str] = []
        self.skipped: list[list[str | int]] = []  # runs of unnumbered text: [where, lines]
        self._skipping = False
        self.footnotes = 0
        self.in_footnotes = False
        self.prev = ""  # the previous text line ("" at a block start)
        self.index = 0  # the line being read

    # -- helpers -------------------------------------------------------------------
    @property
    def at_boundary(self) -> bool:
        """After a block break, a heading, or a line that ends a sentence."""
        return not self.prev or self.current is None or self.prev.endswith(_ENDS_SENTENCE)

    @property
    def last(self) -> int:
        return self.order[-1][0] if self.order else 0

    def _number_start(self, text: str) -> tuple[int, str] | None:
        m = _NUMBERED.match(text)
        if m:
            rest = m.group(3) or ""
            if rest and not (rest[0].isupper() or rest[0] in _STARTS or (m.group(2) and rest[0].isalpha())):
                return None
            if _MONTH.match(rest):
                return None  # a date such as "1 January 2024"
            return int(m.group(1)), rest
        tight = _NUMBERED_TIGHT.match(text)
        return (int(tight.group(1)), tight.group(2)) if tight else None

    def _accepts(self, n: int, where: str) -> bool:
        if n < 1:
            return False
        if n not in self.seen and n == self.last + 1:
            return True
        if not self.order or (n not in self.seen and n > self.last):
            # a jump (a gap, or an excerpt's first number) needs a sentence boundary; it is a
            # quotation of another document's paragraph if the numbering then resumes at last+1
            sentence_end = not self.prev or self.prev.endswith((".", "?", "!"))
            return self.at_boundary and (n <= self.last + MAX_GAP or sentence_end) and not self._resumes_before(n)
        if not self.at_boundary:
            return False
        if n in self.seen:
            self.duplicates.append(f"{where}: paragraph {n} appears twice (first at {self.seen[n]})")
        else:
            self.problems.append(
                f"{where}: paragraph {n} comes after paragraph {self.last} ({self.seen[self.last]}); numbers must go up"
            )
        return True

    def _resumes_before(self, n: int) -> bool:
        """True when, after this line, paragraph last+1 starts before paragraph n+1 does."""
        for line in self.source.lines[self.index + 1 :]:
            if line.kind is not LineKind.TEXT:
                continue
            start = self._number_start(_clean(line.text))
            if start and start[0] == self.last + 1:
                return True
            if start and start[0] == n + 1:
                return False
        return False

    def _sub_start(self, text: str) -> tuple[str, str] | None:
        if self.current is None:
            return None
        expected = chr(ord("a") + len(self.current.items))
        m = _SUB_MARKED.match(text)
        if m:
            letter, rest = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            return (letter, rest or "") if letter == expected else None
        bare = _SUB_BARE.match(text)
        after_lead = self.prev.endswith((":", ";")) or self.prev.endswith((" and", " or"))
        if bare and bare.group(1) == expected and (after_lead or not bare.group(2)):
            if expected == "a" and not self._next_letter_follows():
                return None  # "a patient ..." after a colon is a sentence, not item (a)
            return bare.group(1), bare.group(2) or ""
        return None

    def _next_letter_follows(self) -> bool:
        """A bare 'a' opens a list only if a bare 'b' follows before the next paragraph or heading."""
        for line in self.source.lines[self.index + 1 :]:
            text = _clean(line.text)
            if line.kind is LineKind.HEADING or (text and self._number_start(text)):
                return False
            if _BARE_B.match(text):
                return True
        return False

    def _is_heading(self, line: SourceLine, following: SourceLine | None) -> bool:
        if line.kind is LineKind.HEADING:
            return True
        if not heading_like(line.text) or not self.at_boundary:
            return False
        target = self.item or self.current
        if target is not None and not target.lead:
            return False  # the text of a number or letter that stood alone on its line
        if following is None:
            return True
        if self.in_footnotes:
            return not self.prev and following.kind is not LineKind.TEXT
        if following.kind is not LineKind.TEXT or self._number_start(_clean(following.text)) is not None:
            return True
        # followed by unnumbered text: a heading only in a file without blank lines (a PDF)
        # and only when clearly shorter than a wrapped line of running text
        return not self.uses_breaks and len(line.text) < SHORT_LINE * self.line_width

    def _close(self) -> None:
        self.current = None
        self.item = None

    # -- the pass ------------------------------------------------------------------
    def run(self) -> None:
        lines = self.source.lines
        for i, line in enumerate(lines):
            self.index = i
            if line.kind is LineKind.BREAK:
                self.prev = ""
                continue
            text = _clean(line.text)
            if not text:
                continue
            following = next((x for x in lines[i + 1 :] if x.kind is LineKind.BREAK or _clean(x.text)), None)
            self._line(line, text, following)
            self.prev = text

    def _line(self, line: SourceLine, text: str, following: SourceLine | None) -> None:
        skipping, self._skipping = self._skipping, False
        if self.in_footnotes and not self._is_heading(line, following):
            self.footnotes += 1
            return
        if _FOOTNOTE_LINE.match(text):
            self.footnotes += 1
            return
        start = self._number_start(text) if line.kind is not LineKind.HEADING else None
        if start and self._accepts(start[0], line.where):
            n, rest = start
            self.current = FoundParagraph(str(n), self.heading, "", line.where, lead=[rest] if rest else [])
            self.item = None
            self.paragraphs.append(self.current)
            self.order.append((n, line.where))
            self.seen.setdefault(n, line.where)
            return
        sub = self._sub_start(text) if line.kind is not LineKind.HEADING else None
        if sub and self.current is not None:
            letter, rest = sub
            self.item = FoundParagraph(
                self.current.number + letter, self.heading, "", line.where, lead=[rest] if rest else []
            )
            self.current.items.append(self.item)
            return
        if self._is_heading(line, following):
            self._close()
            self.heading = text
            self.in_footnotes = bool(_FOOTNOTE_HEADING.match(text))
            return
        target = self.item or self.current
        if target is None:
            if skipping:
                self.skipped[-1][1] = int(self.skipped[-1][1]) + 1
            else:
                self.skipped.append([line.where, 1])
            self._skipping = True
            return
        target.lead.append(text)

    def finish(self) -> list[FoundParagraph]:
        """Fill in texts; sub-items become paragraphs after their parent."""
        out: list[FoundParagraph] = []
        for p in self.paragraphs:
            lead = _join(p.lead)
            items = [(chr(ord("a") + k), _join(item.lead)) for k, item in enumerate(p.items)]
            p.text = " ".join([lead, *(f"({letter}) {body}" for letter, body in items)]).strip()
            if not p.text:
                self.problems.append(f"{p.where}: paragraph {p.number} has no text")
            out.append(p)
            for item, (letter, body) in zip(p.items, items, strict=True):
                if not body:
                    self.problems.append(f"{item.where}: sub-item {p.number}({letter}) has no text")
                item.text = f"{lead} ({letter}) {body}".strip()
                out.append(item)
        return out


def _gaps(order: list[tuple[int, str]]) -> list[str]:
    gaps: list[str] = []
    for (a, _), (b, where) in zip(order, order[1:], strict=False):
        if b > a + 1:
            missing = str(a + 1) if b == a + 2 else f"{a + 1}-{b - 1}"
            gaps.append(f"{missing} missing (before paragraph {b}, {where})")
    return gaps


def split_paragraphs(source: SourceText) -> Split:
    """Split ``source``. Raises :class:`ImportFailed`, naming where the text starts, when
    no numbered paragraph is found."""
    splitter = _Splitter(source)
    splitter.run()
    if not splitter.paragraphs:
        first = next((line for line in source.lines if line.kind is not LineKind.BREAK and line.text.strip()), None)
        where = f"; the text starts at {first.where}: {first.text.strip()[:60]!r}" if first else ""
        raise ImportFailed(
            f"{source.path}: no numbered paragraphs found in this {source.fmt} file{where}. Paragraphs must start "
            "with their number (1, 2, 3 ...) at the start of a line; sub-items with (a), (b) ..."
        )
    paragraphs = splitter.finish()
    used = list(dict.fromkeys(p.heading for p in paragraphs if p.heading))
    return Split(
        source,
        paragraphs,
        used,
        _gaps(splitter.order),
        splitter.duplicates,
        splitter.problems,
        [(str(w), int(n)) for w, n in splitter.skipped],
        splitter.footnotes,
    )
