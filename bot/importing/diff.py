"""Compare two versions of a document paragraph by paragraph.

Each side is a doc id in the corpus as loaded (imports and local folders included),
``shipped:<doc id>`` for the digest shipped with gmcbot, or a file: a document file in
the corpus format, or any file ``gmcbot corpus import`` reads (HTML, PDF, text),
split the same way. Paragraphs are matched by number; a removed paragraph whose text
reappears under another number is reported as renumbered rather than removed and added.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.corpus import DOC_ID_RE, KEY_RE, load_corpus, parse_document
from bot.errors import CorpusError
from bot.importing.readers import read_source
from bot.importing.source import ImportFailed
from bot.importing.splitter import split_paragraphs
from guidance_corpus import DOCUMENTS_DIR

SHIPPED_PREFIX = "shipped:"
RENUMBERED_FROM = 0.85  # text similarity at which a moved paragraph counts as renumbered


@dataclass(frozen=True)
class Version:
    """One side of a diff: paragraph number -> (heading, text), in document order."""

    label: str
    paragraphs: dict[str, tuple[str, str]]


@dataclass
class DocDiff:
    old: Version
    new: Version
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    renumbered: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed or self.renumbered)


def _is_corpus_file(path: Path) -> bool:
    lines = [x for x in path.read_text(encoding="utf-8", errors="replace").splitlines()[:12] if x.strip()]
    return (
        len(lines) >= 2
        and lines[0].startswith("# ")
        and bool(DOC_ID_RE.match(lines[0][2:].strip()))
        and bool(KEY_RE.match(lines[1]))
    )


def _from_corpus_file(path: Path, label: str) -> Version:
    problems: list[str] = []
    parsed = parse_document(path, problems)
    if problems or parsed is None:
        raise CorpusError(problems or [f"{path}: not a document file"])
    return Version(label, {p.number: (p.heading, p.text) for p in parsed.paragraphs})


def load_version(spec: str, settings: Settings) -> Version:
    """Resolve one diff argument (see the module docstring). Raises :class:`ImportFailed`
    when it is neither a file nor a known doc id."""
    if spec.startswith(SHIPPED_PREFIX):
        doc_id = spec[len(SHIPPED_PREFIX) :]
        path = DOCUMENTS_DIR / f"{doc_id}.md"
        if not DOC_ID_RE.match(doc_id) or not path.is_file():
            raise ImportFailed(f"'{doc_id}' is not a shipped document (see `gmcbot corpus list`)")
        return _from_corpus_file(path, f"{doc_id} (shipped digest)")
    path = Path(spec)
    if path.is_file():
        if path.suffix.lower() == ".md" and _is_corpus_file(path):
            return _from_corpus_file(path, str(path))
        split = split_paragraphs(read_source(path))
        return Version(str(path), {p.number: (p.heading, p.text) for p in split.paragraphs})
    if not DOC_ID_RE.match(spec):
        raise ImportFailed(f"{spec}: no such file, and not a doc id")
    corpus = load_corpus(extra_dirs=settings.corpus_dirs, override_dir=settings.effective_import_dir)
    if spec not in corpus.documents:
        raise ImportFailed(f"'{spec}' is neither a file nor a doc id in the corpus (see `gmcbot corpus list`)")
    doc = corpus.document(spec)
    return Version(
        f"{spec} ({doc.source}, {doc.path})",
        {p.number: (p.heading, p.text) for p in corpus.paragraphs if p.doc_id == spec},
    )


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def diff_versions(old: Version, new: Version) -> DocDiff:
    """Paragraphs added, removed, changed (by number) and renumbered (same text, new number)."""
    result = DocDiff(old, new)
    removed = [n for n in old.paragraphs if n not in new.paragraphs]
    added = [n for n in new.paragraphs if n not in old.paragraphs]
    for n in removed:
        best = max(added, key=lambda m: _similar(old.paragraphs[n][1], new.paragraphs[m][1]), default=None)
        if best is not None and _similar(old.paragraphs[n][1], new.paragraphs[best][1]) >= RENUMBERED_FROM:
            result.renumbered.append((n, best))
            added.remove(best)
        else:
            result.removed.append(n)
    result.added = added
    for n, (heading, text) in old.paragraphs.items():
        if n in new.paragraphs:
            if new.paragraphs[n] == (heading, text):
                result.unchanged += 1
            else:
                result.changed.append(n)
    return result


def word_diff(old: str, new: str) -> str:
    """``old`` with deletions as ``[-words-]`` and insertions as ``{+words+}``."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += a[i1:i2]
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def _numeric_key(number: str) -> tuple[int, str]:
    m = re.match(r"^(\d+)(.*)$", number)
    return (int(m.group(1)), m.group(2)) if m else (10**9, number)


def render_diff(d: DocDiff) -> str:
    """A readable report: a summary line, then each change."""
    lines = [
        f"--- {d.old.label}",
        f"+++ {d.new.label}",
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed, "
        f"{len(d.renumbered)} renumbered, {d.unchanged} unchanged",
    ]
    for n in sorted(d.removed, key=_numeric_key):
        lines += ["", f"- removed {n} ({d.old.paragraphs[n][0]}): {d.old.paragraphs[n][1]}"]
    for n in sorted(d.added, key=_numeric_key):
        lines += ["", f"+ added {n} ({d.new.paragraphs[n][0]}): {d.new.paragraphs[n][1]}"]
    for n in sorted(d.changed, key=_numeric_key):
        (h1, t1), (h2, t2) = d.old.paragraphs[n], d.new.paragraphs[n]
        lines += ["", f"~ changed {n}:"]
        if h1 != h2:
            lines.append(f"    heading: {h1!r} -> {h2!r}")
        if t1 != t2:
            lines.append(f"    {word_diff(t1, t2)}")
    for n, m in d.renumbered:
        same = "same text" if d.old.paragraphs[n][1] == d.new.paragraphs[m][1] else "text changed slightly"
        lines += ["", f"> renumbered {n} -> {m} ({same})"]
    if d.identical:
        lines += ["", "The two versions have the same paragraphs."]
    return "\n".join(lines)
