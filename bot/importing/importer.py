"""Import one file: read, split, place, build the document; then, separately, write it.

:func:`prepare_import` does everything except writing, so the CLI can show the preview
first (and stop there for ``--dry-run``); :func:`commit_import` writes and checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.corpus import load_corpus
from bot.importing.placement import Kind, Target, known_doc_ids, plan_import
from bot.importing.readers import read_source
from bot.importing.source import ImportFailed, SourceText
from bot.importing.splitter import Split, split_paragraphs
from bot.importing.writer import DocMeta, carried_aids, merge_meta, render_document, write_checked
from bot.types import Paragraph


@dataclass(frozen=True)
class ImportRequest:
    """What the user asked for. ``meta`` holds header fields given as options (None = not given)."""

    file: Path
    doc_id: str
    meta: Mapping[str, str | None] = field(default_factory=dict)
    local: bool = False
    replace: bool = False


@dataclass(frozen=True)
class PreparedImport:
    """A document ready to write, with everything the preview shows."""

    request: ImportRequest
    source: SourceText
    split: Split
    target: Target
    meta: DocMeta
    aids: Mapping[str, Paragraph]  # digest paragraphs whose terms and asks were kept, by number
    text: str

    @property
    def problems(self) -> list[str]:
        return self.split.problems

    @property
    def digest_only(self) -> list[str]:
        """Paragraph numbers of the replaced digest that this import does not have."""
        numbers = {p.number for p in self.split.paragraphs}
        return [p.number for p in self.target.digest_paragraphs if p.number not in numbers]


def prepare_import(settings: Settings, request: ImportRequest) -> PreparedImport:
    """Read and split the file and plan where it goes. Raises :class:`ImportFailed`."""
    target = plan_import(settings, request.doc_id, local=request.local, replace=request.replace)
    source = read_source(request.file)
    split = split_paragraphs(source)
    meta = merge_meta(request.meta, target.digest, source.title)
    if meta.superseded_by:
        if meta.superseded_by == request.doc_id:
            raise ImportFailed("--superseded-by must name another document")
        if meta.superseded_by not in known_doc_ids(settings):
            raise ImportFailed(
                f"--superseded-by names unknown document '{meta.superseded_by}' (see `gmcbot corpus list`)"
            )
    aids = carried_aids(split.paragraphs, target.digest_paragraphs) if target.kind is Kind.OVERRIDE else {}
    text = render_document(request.doc_id, meta, split.paragraphs, aids)
    return PreparedImport(request, source, split, target, meta, aids, text)


def commit_import(settings: Settings, prepared: PreparedImport) -> Path:
    """Write the document, then load the whole corpus to prove it is valid (restoring
    the previous state if not). Raises :class:`ImportFailed`; the index rebuilds itself
    on next use because the corpus fingerprint changed."""
    if prepared.problems:
        raise ImportFailed(
            f"{prepared.request.file}: the numbering has {len(prepared.problems)} problem(s), "
            "so nothing was written:\n" + "\n".join("  " + p for p in prepared.problems)
        )
    path = prepared.target.path
    write_checked(
        path,
        prepared.text,
        lambda: load_corpus(extra_dirs=settings.corpus_dirs, override_dir=settings.effective_import_dir),
    )
    return path
