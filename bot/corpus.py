"""Read and validate guidance documents (format: guidance_corpus/README.md).

``load_corpus`` returns every paragraph with its document; problems are collected with
``file:line`` and raised together as one :class:`CorpusError`, so a trust fixing its
file sees every mistake at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import CorpusError
from bot.json_lines import json_objects
from bot.types import DocStatus, Document, Numbering, Paragraph
from guidance_corpus import DOCUMENTS_DIR

DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NUMBER_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
KEY_RE = re.compile(r"^([a-z_]+):\s*(.*)$")
AUDIENCES = ("all", "doctors", "nurses", "ahp")
DOC_KEYS = {
    "title",
    "audience",
    "publisher",
    "status",
    "in_effect",
    "url",
    "superseded_by",
    "superseded_on",
    "source",
    "note",
}
DOC_REQUIRED = ("title", "publisher", "status", "in_effect", "url")
PARA_KEYS = {"heading", "numbering", "terms", "asks"}
MAX_ASKS = 8
ASK_SEPARATOR = "|"
PARA_REQUIRED = ("heading", "numbering")


@dataclass(frozen=True)
class Corpus:
    """Documents by id and paragraphs in file order."""

    documents: dict[str, Document]
    paragraphs: tuple[Paragraph, ...]

    def paragraph(self, pid: str) -> Paragraph | None:
        return self._by_id().get(pid)

    def _by_id(self) -> dict[str, Paragraph]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = {p.id: p for p in self.paragraphs}
            object.__setattr__(self, "_cache", cache)
        return cache

    def document(self, doc_id: str) -> Document:
        return self.documents[doc_id]

    @property
    def fingerprint(self) -> str:
        """SHA-256 over everything that affects retrieval; the index manifest keeps it."""
        h = hashlib.sha256()
        for p in self.paragraphs:
            doc = self.documents[p.doc_id]
            for part in (
                p.id,
                p.heading,
                p.text,
                ",".join(p.terms),
                ASK_SEPARATOR.join(p.all_asks),
                doc.title,
                doc.status.value,
                ",".join(doc.audience),
            ):
                h.update(part.encode("utf-8"))
                h.update(b"\x1f")
        return h.hexdigest()


@dataclass
class ParsedDocument:
    document: Document
    paragraphs: list[Paragraph]


def parse_document(path: Path, problems: list[str]) -> ParsedDocument | None:
    """Parse one document file, appending ``file:line: message`` problems; None when
    the file cannot be used at all."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror})")
        return None

    before = len(problems)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not lines[i].startswith("# "):
        problems.append(f"{path}:{i + 1}: the file must start with '# <doc_id>'")
        return None
    doc_id = lines[i][2:].strip()
    doc_line = i + 1
    if not DOC_ID_RE.match(doc_id):
        problems.append(f"{path}:{doc_line}: doc id '{doc_id}' must be lowercase letters, digits and hyphens")
    if doc_id != path.stem:
        problems.append(f"{path}:{doc_line}: doc id '{doc_id}' does not match the file name '{path.stem}'")
    meta: dict[str, str] = {}
    i += 1
    while i < len(lines) and not lines[i].startswith("## "):
        line = lines[i]
        if line.strip():
            m = KEY_RE.match(line)
            if not m:
                problems.append(
                    f"{path}:{i + 1}: expected 'key: value' in the document header, got {line.strip()[:40]!r}"
                )
            elif m.group(1) not in DOC_KEYS:
                problems.append(f"{path}:{i + 1}: unknown document field '{m.group(1)}'")
            elif m.group(1) in meta:
                problems.append(f"{path}:{i + 1}: field '{m.group(1)}' given twice")
            else:
                meta[m.group(1)] = m.group(2).strip()
        i += 1
    for key in DOC_REQUIRED:
        if not meta.get(key):
            problems.append(f"{path}:{doc_line}: document is missing the required field '{key}'")
    status_text = meta.get("status", "")
    status = DocStatus.CURRENT
    if status_text:
        try:
            status = DocStatus(status_text)
        except ValueError:
            allowed = ", ".join(s.value for s in DocStatus)
            problems.append(f"{path}:{doc_line}: unknown status '{status_text}' (use one of: {allowed})")
    if status is DocStatus.SUPERSEDED and not meta.get("superseded_by"):
        problems.append(f"{path}:{doc_line}: a superseded document needs 'superseded_by'")
    for key in ("in_effect", "superseded_on"):
        if meta.get(key) and not DATE_RE.match(meta[key]):
            problems.append(f"{path}:{doc_line}: '{key}' must be YYYY-MM-DD, YYYY-MM or YYYY, got {meta[key]!r}")
    if meta.get("url") and not re.match(r"^https?://\S+$", meta["url"]):
        problems.append(f"{path}:{doc_line}: 'url' must be an http(s) address")
    audience = tuple(a.strip() for a in meta.get("audience", "all").split(",") if a.strip()) or ("all",)
    for a in audience:
        if a not in AUDIENCES:
            problems.append(f"{path}:{doc_line}: unknown audience '{a}' (use: {', '.join(AUDIENCES)})")
    if meta.get("source", "digest") not in ("digest", "official"):
        problems.append(f"{path}:{doc_line}: 'source' must be 'digest' or 'official'")

    document = Document(
        doc_id=doc_id,
        title=meta.get("title", ""),
        publisher=meta.get("publisher", ""),
        status=status,
        in_effect=meta.get("in_effect", ""),
        url=meta.get("url", ""),
        superseded_by=meta.get("superseded_by") or None,
        superseded_on=meta.get("superseded_on") or None,
        source=meta.get("source", "digest") or "digest",
        note=meta.get("note", ""),
        path=str(path),
        audience=audience,
    )

    paragraphs: list[Paragraph] = []
    while i < len(lines):
        head_line = i + 1
        number = lines[i][3:].strip()
        if not NUMBER_RE.match(number):
            problems.append(
                f"{path}:{head_line}: paragraph number '{number}' must be lowercase letters, digits and hyphens (e.g. 18, 75c, confidentiality)"
            )
        attrs: dict[str, str] = {}
        i += 1
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("## "):
            m = KEY_RE.match(lines[i])
            if m and m.group(1) in PARA_KEYS:
                if m.group(1) in attrs:
                    problems.append(f"{path}:{i + 1}: field '{m.group(1)}' given twice")
                attrs[m.group(1)] = m.group(2).strip()
                i += 1
            else:
                break
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("## "):
            if lines[i].strip():
                body.append(lines[i].strip())
            i += 1
        text = " ".join(body)
        for key in PARA_REQUIRED:
            if not attrs.get(key):
                problems.append(f"{path}:{head_line}: paragraph '{number}' is missing the required field '{key}'")
        numbering = Numbering.CONFIRMED
        if attrs.get("numbering"):
            try:
                numbering = Numbering(attrs["numbering"])
            except ValueError:
                problems.append(
                    f"{path}:{head_line}: paragraph '{number}' has unknown numbering '{attrs['numbering']}' (use confirmed or reconstructed)"
                )
        if not text:
            problems.append(f"{path}:{head_line}: paragraph '{number}' has empty text")
        terms = tuple(t.strip() for t in attrs.get("terms", "").split(",") if t.strip())
        asks = tuple(a.strip() for a in attrs.get("asks", "").split(ASK_SEPARATOR) if a.strip())
        if len(asks) > MAX_ASKS:
            problems.append(
                f"{path}:{head_line}: paragraph '{number}' has {len(asks)} asks; keep to {MAX_ASKS} "
                "questions it answers best"
            )
        paragraphs.append(Paragraph(doc_id, number, attrs.get("heading", ""), text, numbering, terms, head_line, asks))
    if not paragraphs:
        problems.append(f"{path}:{doc_line}: document '{doc_id}' has no paragraphs ('## <number>' lines)")
    if len(problems) > before:
        return ParsedDocument(document, paragraphs) if paragraphs else None
    return ParsedDocument(document, paragraphs)


def document_files(directory: Path) -> list[Path]:
    """The document files in a folder, sorted so the corpus order is stable."""
    return sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")


def read_more_asks(path: Path, problems: list[str]) -> dict[str, tuple[str, ...]]:
    """``{paragraph id: asks}`` from a JSON Lines file of ``{"id", "asks"}`` objects
    (``guidance_corpus/questions/asks.jsonl``); problems name the file and line."""
    out: dict[str, tuple[str, ...]] = {}
    if not path.is_file():
        return out
    for where, row in json_objects(path):
        if row is None or "id" not in row or "asks" not in row:
            problems.append(f"{where}: not an asks line (JSON with 'id' and a list 'asks')")
            continue
        pid, asks = row["id"], row["asks"]
        if not isinstance(pid, str) or not isinstance(asks, list) or not all(isinstance(a, str) for a in asks):
            problems.append(f"{where}: 'id' must be text and 'asks' a list of texts")
            continue
        clean = tuple(a.strip() for a in asks if a.strip())
        if any(ASK_SEPARATOR.strip() in a for a in clean):
            problems.append(f"{where}: an ask contains '{ASK_SEPARATOR.strip()}'")
            continue
        out[pid] = out.get(pid, ()) + clean
    return out


def load_corpus(
    extra_dirs: Iterable[Path] = (),
    override_dir: Path | None = None,
    base_dir: Path = DOCUMENTS_DIR,
) -> Corpus:
    """Load the shipped documents, then ``extra_dirs`` (new doc ids only, e.g. local
    policy), then ``override_dir`` (imported documents replace the digest of the same
    doc id). Raises :class:`CorpusError` listing every problem."""
    problems: list[str] = []
    docs: dict[str, ParsedDocument] = {}
    for path in document_files(base_dir):
        parsed = parse_document(path, problems)
        if parsed:
            docs[parsed.document.doc_id] = parsed
    asks_path = base_dir.parent / "questions" / "asks.jsonl"
    more_asks = read_more_asks(asks_path, problems)
    for pid in sorted(set(more_asks) - {p.id for parsed in docs.values() for p in parsed.paragraphs}):
        problems.append(f"{asks_path}: asks for unknown paragraph '{pid}'")
    for doc_id, parsed in list(docs.items()):
        docs[doc_id] = ParsedDocument(
            parsed.document,
            [
                dataclasses.replace(p, more_asks=tuple(a for a in more_asks.get(p.id, ()) if a not in p.asks))
                for p in parsed.paragraphs
            ],
        )
    for directory in extra_dirs:
        if not directory.is_dir():
            problems.append(f"{directory}: corpus folder does not exist")
            continue
        for path in document_files(directory):
            parsed = parse_document(path, problems)
            if not parsed:
                continue
            if parsed.document.doc_id in docs:
                problems.append(
                    f"{path}:1: doc id '{parsed.document.doc_id}' is already used by {docs[parsed.document.doc_id].document.path}"
                )
                continue
            docs[parsed.document.doc_id] = parsed
    if override_dir is not None and override_dir.is_dir():
        for path in document_files(override_dir):
            parsed = parse_document(path, problems)
            if parsed:
                docs[parsed.document.doc_id] = parsed

    seen: dict[str, str] = {}
    paragraphs: list[Paragraph] = []
    for parsed in docs.values():
        for p in parsed.paragraphs:
            where = f"{parsed.document.path}:{p.line}"
            if p.id in seen:
                problems.append(f"{where}: duplicate paragraph id '{p.id}' (first at {seen[p.id]})")
                continue
            seen[p.id] = where
            paragraphs.append(p)
    for parsed in docs.values():
        succ = parsed.document.superseded_by
        if succ and succ not in docs:
            problems.append(f"{parsed.document.path}:1: superseded_by names unknown document '{succ}'")
    if not paragraphs and not problems:
        problems.append(f"{base_dir}: no guidance documents found")
    if problems:
        raise CorpusError(problems)
    return Corpus({d: p.document for d, p in docs.items()}, tuple(paragraphs))
