"""Pick the reader for a file by its name, or by its first bytes when the name says nothing."""

from __future__ import annotations

from pathlib import Path

from bot.importing.html_reader import read_html
from bot.importing.pdf_reader import read_pdf
from bot.importing.source import ImportFailed, SourceText
from bot.importing.text_reader import read_text

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt", ".text"}


def file_format(path: Path, head: bytes) -> str:
    """``pdf``, ``html``, ``markdown`` or ``text``."""
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF") or suffix == ".pdf":
        return "pdf"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in TEXT_SUFFIXES:
        return "text"
    sniff = head[:2048].lstrip().lower()
    if sniff.startswith((b"<!doctype html", b"<html")) or b"<body" in sniff:
        return "html"
    return "text"


def read_source(path: Path) -> SourceText:
    """Read ``path`` with the right reader. Raises :class:`ImportFailed` for a missing,
    empty or unreadable file, or one with no text at all."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFailed(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise ImportFailed(f"{path}: the file is empty")
    fmt = file_format(path, data[:4096])
    if fmt == "pdf":
        source = read_pdf(path, data)
    elif fmt == "html":
        source = read_html(path, data)
    else:
        source = read_text(path, data, markdown=fmt == "markdown")
    if not source.has_text:
        raise ImportFailed(f"{path}: no text found in this {source.fmt} file")
    return source
