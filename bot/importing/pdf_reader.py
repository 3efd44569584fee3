"""PDF files with a text layer, read with pypdf.

Text is rebuilt line by line from pypdf's text fragments so each line keeps its font
size: lines in a smaller font than the body (footnotes) and small numeric fragments
inside a line (footnote markers) are dropped; page furniture (running headers and
footers, page numbers) is recognised by repeating on most pages and dropped. A PDF with
no text at all (a scan) is refused with advice to OCR it. Locations are ``page P, line L``.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.importing.source import ImportFailed, LineKind, SourceLine, SourceText

SMALL = 0.85  # fragments below this fraction of the body size are footnotes
LARGE = 1.15  # lines at least this much larger than the body are headings
EDGE_LINES = 2
SYMBOL_FONTS = ("dingbat", "wingding", "webding")  # furniture is looked for in the first and last lines of each page
_DIGITS = re.compile(r"\d+")
_FOOTNOTE_MARK = re.compile(r"^\s*[\[(]?\d{1,3}[\])]?\s*$|^\s*[*†‡]\s*$")


@dataclass
class _Line:
    fragments: list[tuple[str, float, bool]] = field(default_factory=list)  # text, size, bold

    def text(self, body: float) -> str:
        kept = [
            t
            for t, size, _ in self.fragments
            if not (size < body * SMALL and _FOOTNOTE_MARK.match(t) and self._has_body(body))
        ]
        return " ".join("".join(kept).split())

    def _has_body(self, body: float) -> bool:
        return any(size >= body * SMALL and t.strip() for t, size, _ in self.fragments)

    def size(self) -> float:
        sizes = Counter[float]()
        for t, s, _ in self.fragments:
            sizes[round(s, 1)] += len(t.strip())
        return sizes.most_common(1)[0][0] if sizes else 0.0

    def bold(self) -> bool:
        return all(b for t, _, b in self.fragments if t.strip())


def _page_lines(page: Any) -> list[_Line]:
    lines: list[_Line] = [_Line()]

    def visit(text: str, cm: list[float], tm: list[float], font: Any, font_size: float) -> None:
        scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]) or 1.0
        name = str(font.get("/BaseFont", "")).lower() if isinstance(font, dict) else ""
        bold = "bold" in name or "black" in name
        glyphs = any(symbolic in name for symbolic in SYMBOL_FONTS)  # bullets drawn as letters
        for i, part in enumerate(text.split("\n")):
            if i:
                lines.append(_Line())
            if part and not glyphs:
                lines[-1].fragments.append((part, font_size * scale, bold))

    page.extract_text(visitor_text=visit)
    return [line for line in lines if any(t.strip() for t, _, _ in line.fragments)]


def _body_size(pages: list[list[_Line]]) -> float:
    sizes = Counter[float]()
    for lines in pages:
        for line in lines:
            for t, s, _ in line.fragments:
                sizes[round(s, 1)] += len(t.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _furniture(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) indexes of running headers/footers and page numbers."""
    if len(pages) < 2:
        return set()
    edges = [[i for i in range(len(lines)) if i < EDGE_LINES or i >= len(lines) - EDGE_LINES] for lines in pages]
    shapes = Counter[str]()
    for p, idx in enumerate(edges):
        shapes.update({_DIGITS.sub("#", pages[p][i]) for i in idx})
    offsets = Counter[int]()
    for p, idx in enumerate(edges):
        offsets.update({int(pages[p][i]) - p for i in idx if pages[p][i].isdigit()})
    need = max(2, math.ceil(len(pages) / 2))
    page_offset = next((o for o, n in offsets.items() if n >= need), None)
    found: set[tuple[int, int]] = set()
    for p, idx in enumerate(edges):
        for i in idx:
            text = pages[p][i]
            if text.isdigit():
                if page_offset is not None and int(text) - p == page_offset:
                    found.add((p, i))
            elif shapes[_DIGITS.sub("#", text)] >= need:
                found.add((p, i))
    return found


def read_pdf(path: Path, data: bytes) -> SourceText:
    """The text lines of a PDF, without footnotes and page furniture."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ImportFailed(f"{path}: the PDF is password-protected; save an unprotected copy and try again")
        raw_pages = [_page_lines(page) for page in reader.pages]
        meta_title = str(reader.metadata.get("/Title", "") or "") if reader.metadata else ""
    except ImportFailed:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ImportFailed(f"{path}: not a readable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    source = SourceText(str(path), "PDF", [], title=" ".join(meta_title.split()), pages=len(raw_pages))
    body = _body_size(raw_pages)
    if not body:
        raise ImportFailed(
            f"{path}: the PDF has {len(raw_pages)} page(s) but no text layer (a scanned document?); "
            "run it through OCR, or import the HTML page or a text copy instead"
        )
    texts = [[line.text(body) for line in lines] for lines in raw_pages]
    furniture = _furniture(texts)
    if furniture:
        source.skip("page headers, footers and numbers", len(furniture))
    for p, lines in enumerate(raw_pages):
        for i, line in enumerate(lines):
            where = f"page {p + 1}, line {i + 1}"
            text = texts[p][i]
            if (p, i) in furniture or not text:
                continue
            size = line.size()
            if size < body * SMALL:
                source.skip("footnote line(s) in small print")
                continue
            large = size >= body * LARGE or (line.bold() and len(text) < 100)
            source.lines.append(
                SourceLine(text, where, LineKind.HEADING if large and _heading_shaped(text) else LineKind.TEXT)
            )
    return source


def _heading_shaped(text: str) -> bool:
    """Large or bold is not enough: a heading has no paragraph number and no full stop."""
    return not text[:1].isdigit() and not text.rstrip().endswith((".", ",", ";"))
