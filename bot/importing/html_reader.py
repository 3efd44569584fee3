"""HTML pages (a saved copy of an official web page) read with the stdlib parser.

Only the page's main content is kept when it has a ``<main>`` element. Navigation,
scripts, forms and footnote sections are skipped; footnote markers (``<sup>1</sup>``)
are dropped. Ordered lists become numbered lines: a top-level ``<ol>`` gives paragraph
numbers (honouring ``start``), a nested or lettered one gives sub-items ``(a)``, ``(b)``.
Locations are the line of the HTML file where the block starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from bot.importing.source import LineKind, SourceLine, SourceText
from bot.importing.text_reader import decode_utf8

BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "td",
    "th",
    "blockquote",
    "figure",
    "figcaption",
    "pre",
    "br",
    "hr",
    "body",
    "details",
    "summary",
}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "iframe",
    "head",
}
VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}
_SKIP_MARKERS = re.compile(r"footnote|endnote|breadcrumb|cookie|skip-?link|visually-hidden|sr-only")
_SKIP_ROLES = {"navigation", "banner", "contentinfo", "doc-endnotes", "doc-footnote", "search"}
_FOOTNOTE_REF = re.compile(r"^\s*[\[(]?\s*(\d{1,3}|[*†‡])\s*[\])]?\s*$")
_LETTERED = re.compile(r"alpha|letter")


@dataclass
class _Open:
    tag: str
    skip: bool = False
    main: bool = False
    style: str = "number"  # an <ol>'s markers: number (paragraphs), letter (sub-items), roman
    counter: int = 0


@dataclass
class _Block:
    parts: list[str] = field(default_factory=list)
    line: int = 0
    heading: bool = False
    main: bool = False
    soft_break: bool = False  # a tag boundary since the last text: may need a space


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = []
        self.block = _Block()
        self.out: list[tuple[str, int, bool, bool]] = []  # text, line, heading, in <main>
        self.breaks: list[int] = []  # indexes into out after which a block ended
        self.title = ""
        self.h1 = ""
        self.seen_main = False
        self.skipped_footnotes = 0
        self._in_title = False
        self._sup: list[str] | None = None
        self._last_block_text = ""

    # -- state helpers -------------------------------------------------------------
    @property
    def skipping(self) -> bool:
        return any(o.skip for o in self.stack)

    @property
    def in_main(self) -> bool:
        return any(o.main for o in self.stack)

    def flush(self, hard: bool = True) -> None:
        text = " ".join("".join(self.block.parts).split())
        if text:
            self.out.append((text, self.block.line, self.block.heading, self.block.main))
            self._last_block_text = text
        if hard and (not self.breaks or self.breaks[-1] != len(self.out)):
            self.breaks.append(len(self.out))
        self.block = _Block(line=self.getpos()[0])

    def add_text(self, text: str) -> None:
        if not self.block.parts:
            self.block.line = self.getpos()[0]
            self.block.main = self.in_main
        elif self.block.soft_break and text[:1].isalnum():
            prev = self.block.parts[-1][-1:]
            if prev.isdigit() != text[:1].isdigit() or prev in ")]":
                self.block.parts.append(" ")
        self.block.soft_break = False
        self.block.parts.append(text)

    def _ol_item_marker(self) -> str:
        ol = next((o for o in reversed(self.stack) if o.tag in ("ol", "ul")), None)
        if ol is None or ol.tag == "ul":
            return ""  # a bullet: no number
        ol.counter += 1
        if ol.style == "letter":
            return f"({chr(ord('a') + (ol.counter - 1) % 26)}) "
        if ol.style == "roman":
            return f"({_roman(ol.counter)}) "
        return f"{ol.counter} "

    # -- parser callbacks ------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        marks = f"{a.get('class', '')} {a.get('id', '')}".lower()
        skip = tag in SKIPPED or bool(_SKIP_MARKERS.search(marks)) or a.get("role", "") in _SKIP_ROLES
        if skip and not self.skipping and ("footnote" in marks or "endnote" in marks or "doc-" in a.get("role", "")):
            self.skipped_footnotes += 1
        if tag == "title":
            self._in_title = True
        if tag == "sup" and not self.skipping:
            self._sup = []
        if tag in BLOCKS or tag in HEADINGS:
            self.flush(hard=tag != "br")
        opened = _Open(tag, skip=skip, main=tag == "main" or a.get("role") == "main")
        if opened.main:
            self.seen_main = True
        if tag == "ol":
            opened.style = self._ol_style(a)
            try:
                opened.counter = int(a.get("start", "1")) - 1
            except ValueError:
                opened.counter = 0
        if tag in HEADINGS:
            self.block.heading = True
        if tag not in VOID:
            self.stack.append(opened)
        if tag == "li" and not self.skipping:
            marker = self._ol_item_marker()
            if marker:
                self.add_text(marker)
        self.block.soft_break = True

    def _ol_style(self, a: dict[str, str]) -> str:
        """Paragraph numbers for a top-level list; sub-item letters when the list is
        lettered, nested in a list item, or follows a lead-in ending with ':'."""
        look = f"{a.get('class', '')} {a.get('style', '')}".lower()
        kind = a.get("type", "")
        if kind in ("i", "I") or "roman" in look:
            return "roman"
        if kind in ("a", "A") or _LETTERED.search(look):
            return "letter"
        if kind == "1":
            return "number"
        nested = any(o.tag == "li" for o in self.stack)
        return "letter" if nested or self._last_block_text.endswith(":") else "number"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "sup" and self._sup is not None:
            text = "".join(self._sup)
            self._sup = None
            if _FOOTNOTE_REF.match(text):
                pass  # a footnote marker: dropped
            elif text and not self.skipping:
                self.add_text(text)
        if not any(o.tag == tag for o in self.stack):
            return  # a stray end tag
        while self.stack:
            closed = self.stack.pop()
            if closed.tag == tag:
                break
        if tag in BLOCKS or tag in HEADINGS:
            self.flush()
        self.block.soft_break = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self.skipping or not data:
            return
        if self._sup is not None:
            self._sup.append(data)
            return
        if self.block.heading and any(o.tag == "h1" for o in self.stack):
            self.h1 += data
        self.add_text(data)


def _roman(n: int) -> str:
    numerals = ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = ""
    for value, letters in numerals:
        while n >= value:
            out += letters
            n -= value
    return out


def read_html(path: Path, data: bytes) -> SourceText:
    """The text lines of an HTML page; headings are marked, blocks end with a break."""
    parser = _PageParser()
    parser.feed(decode_utf8(data, str(path)))
    parser.close()
    parser.flush()
    source = SourceText(str(path), "HTML", [], title=" ".join((parser.h1 or parser.title).split()))
    keep_main = parser.seen_main and any(m for *_, m in parser.out)
    breaks = set(parser.breaks)
    for i, (text, line, heading, main) in enumerate(parser.out):
        if keep_main and not main:
            continue
        kind = LineKind.HEADING if heading else LineKind.TEXT
        source.lines.append(SourceLine(text, f"line {line}", kind))
        if i + 1 in breaks:
            source.lines.append(SourceLine("", f"line {line}", LineKind.BREAK))
    if parser.skipped_footnotes:
        source.skip("footnote section(s)", parser.skipped_footnotes)
    return source
