"""Plain text and Markdown: one :class:`SourceLine` per line, blank lines as breaks.

Markdown is reduced to text: ``#`` headings become headings, emphasis, links and list
bullets are dropped, footnote definitions (``[^1]: ...``) are skipped and counted.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.importing.source import ImportFailed, LineKind, SourceLine, SourceText
from bot.importing.splitter import heading_like

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_FOOTNOTE_DEF = re.compile(r"^\s*\[\^[^\]]+\]:")
_MD_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")
_MD_BULLET = re.compile(r"^\s*[-+*]\s+")
_MD_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_MD_QUOTE = re.compile(r"^\s*>\s?")


def decode_utf8(data: bytes, path: str) -> str:
    """The text of ``data``, or :class:`ImportFailed` naming the byte and line that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFailed(
            f"{path}: not UTF-8 text (byte offset {exc.start}, line {line}); save the file as UTF-8 and try again"
        ) from None


def _markdown_line(raw: str, number: int, source: SourceText) -> SourceLine | None:
    where = f"line {number}"
    if _MD_FOOTNOTE_DEF.match(raw):
        source.skip("footnotes")
        return None
    if _MD_RULE.match(raw):
        return SourceLine("", where, LineKind.BREAK)
    heading = _MD_HEADING.match(raw)
    text = _MD_FOOTNOTE_REF.sub("", raw)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_QUOTE.sub("", text)
    if heading:
        return SourceLine(_MD_EMPHASIS.sub("", heading.group(2)), where, LineKind.HEADING)
    return SourceLine(_MD_BULLET.sub("", text).strip(), where)


def read_text(path: Path, data: bytes, markdown: bool) -> SourceText:
    """Lines of a plain-text or Markdown file; locations are ``line N``."""
    text = decode_utf8(data, str(path))
    source = SourceText(str(path), "Markdown" if markdown else "text", [])
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            source.lines.append(SourceLine("", f"line {number}", LineKind.BREAK))
            continue
        line = _markdown_line(raw, number, source) if markdown else SourceLine(raw.strip(), f"line {number}")
        if line is not None:
            source.lines.append(line)
    first = next((x for x in source.lines if x.kind is not LineKind.BREAK), None)
    if first is not None and (first.kind is LineKind.HEADING or heading_like(first.text)):
        source.title = first.text
    return source
