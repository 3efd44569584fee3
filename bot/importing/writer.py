"""Write an imported document in the corpus format (guidance_corpus/README.md).

The header takes the shipped digest's metadata for an override, with any option given
on the command line winning; ``source: official`` always. Each paragraph is written on
one line, ``numbering: confirmed`` (the number stands beside the text in the source).
Writing is atomic and checked: the whole corpus is loaded with the new file in place,
and on any problem the previous state is restored and nothing is left behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.corpus import AUDIENCES, DATE_RE
from bot.errors import CorpusError
from bot.importing.source import ImportFailed
from bot.importing.splitter import FoundParagraph
from bot.types import DocStatus, Document, Numbering, Paragraph


@dataclass(frozen=True)
class DocMeta:
    """The document header an import writes."""

    title: str
    publisher: str
    status: str
    in_effect: str
    url: str
    audience: str = "all"
    superseded_by: str = ""
    superseded_on: str = ""
    note: str = ""


def merge_meta(given: Mapping[str, str | None], base: Document | None, title_hint: str) -> DocMeta:
    """Options win over the digest being replaced, which wins over the file's own title.
    Raises :class:`ImportFailed` naming every missing or malformed field."""

    def pick(key: str, fallback: str = "") -> str:
        value = given.get(key)
        if value:
            return " ".join(value.split())
        return fallback

    meta = DocMeta(
        title=pick("title", base.title if base else title_hint),
        publisher=pick("publisher", base.publisher if base else ""),
        status=pick("status", base.status.value if base else DocStatus.CURRENT.value),
        in_effect=pick("in_effect", base.in_effect if base else ""),
        url=pick("url", base.url if base else ""),
        audience=pick("audience", ",".join(base.audience) if base else "all"),
        superseded_by=pick("superseded_by", (base.superseded_by or "") if base else ""),
        superseded_on=pick("superseded_on", (base.superseded_on or "") if base else ""),
        note=pick("note", base.note if base else ""),
    )
    problems = [
        f"--{key.replace('_', '-')} is required for a new document"
        for key in ("title", "publisher", "in_effect", "url")
        if not getattr(meta, key)
    ]
    if meta.status not in {s.value for s in DocStatus}:
        problems.append(f"--status must be one of {', '.join(s.value for s in DocStatus)}")
    if meta.status == DocStatus.SUPERSEDED.value and not meta.superseded_by:
        problems.append("a superseded document needs --superseded-by (the doc id that replaced it)")
    for key in ("in_effect", "superseded_on"):
        value = getattr(meta, key)
        if value and not DATE_RE.match(value):
            problems.append(f"--{key.replace('_', '-')} must be YYYY-MM-DD, YYYY-MM or YYYY, got {value!r}")
    if meta.url and not meta.url.startswith(("https://", "http://")):
        problems.append("--url must be an http(s) address (an intranet page is fine)")
    unknown = [a for a in meta.audience.split(",") if a.strip() not in AUDIENCES]
    if unknown:
        problems.append(f"--audience must be among {', '.join(AUDIENCES)}")
    if problems:
        raise ImportFailed("cannot import: " + "; ".join(problems))
    return meta


def carried_aids(found: list[FoundParagraph], digest: tuple[Paragraph, ...]) -> dict[str, Paragraph]:
    """Digest paragraphs with the same (confirmed) number whose search aids (``terms``,
    ``asks``) the official text keeps, by number."""
    numbers = {p.number for p in found}
    return {
        p.number: p
        for p in digest
        if (p.terms or p.asks) and p.number in numbers and p.numbering is Numbering.CONFIRMED
    }


def _one_line(text: str) -> str:
    return " ".join(text.split()).lstrip("#").strip()


def render_document(doc_id: str, meta: DocMeta, found: list[FoundParagraph], aids: Mapping[str, Paragraph]) -> str:
    """The document file's text."""
    header = [
        f"# {doc_id}",
        f"title: {meta.title}",
        f"audience: {meta.audience}",
        f"publisher: {meta.publisher}",
        f"status: {meta.status}",
        f"in_effect: {meta.in_effect}",
        f"url: {meta.url}",
    ]
    if meta.superseded_by:
        header.append(f"superseded_by: {meta.superseded_by}")
    if meta.superseded_on:
        header.append(f"superseded_on: {meta.superseded_on}")
    header.append("source: official")
    if meta.note:
        header.append(f"note: {_one_line(meta.note)}")
    parts = ["\n".join(header)]
    for p in found:
        lines = [f"## {p.number}", f"heading: {_one_line(p.heading) or meta.title}", "numbering: confirmed"]
        kept = aids.get(p.number)
        if kept is not None and kept.terms:
            lines.append(f"terms: {', '.join(kept.terms)}")
        if kept is not None and kept.asks:
            lines.append(f"asks: {' | '.join(kept.asks)}")
        lines += ["", _one_line(p.text)]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def write_checked(path: Path, text: str, check: Callable[[], object]) -> None:
    """Write ``text`` to ``path`` atomically, then run ``check`` (loading the corpus).
    If it raises :class:`CorpusError`, restore what was there and raise :class:`ImportFailed`."""
    previous = path.read_bytes() if path.exists() else None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFailed(f"cannot create the folder {path.parent} ({exc.strerror})") from None
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ImportFailed(f"cannot write {path} ({exc.strerror})") from None
    try:
        check()
    except CorpusError as exc:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(previous)
        raise ImportFailed(
            "the corpus would not load with this document, so nothing was written:\n"
            + "\n".join("  " + p for p in exc.problems)
        ) from None
