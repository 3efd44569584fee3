"""Where an imported document goes, and which doc ids it may not take.

The rule (docs/corpus.md):

* the doc id of a shipped document is an **override**: the file goes to the import
  folder (``settings.effective_import_dir``) and replaces that digest;
* ``--local`` marks a trust's own policy: a new doc id, written to the first of
  ``settings.corpus_dirs`` (which must be configured), so ``prefer_local`` can rank it first;
* any other new doc id (another official document) goes to the import folder.

A doc id already used by a file in the import folder or a local folder is refused,
unless it is the same file and ``replace`` is given.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.corpus import DOC_ID_RE, Corpus, document_files, load_corpus
from bot.importing.source import ImportFailed
from bot.types import Document, Paragraph
from guidance_corpus import DOCUMENTS_DIR


class Kind(enum.Enum):
    OVERRIDE = "override"  # replaces the digest of a shipped doc id
    OFFICIAL = "official"  # a new national document
    LOCAL = "local"  # a trust's own policy


@dataclass(frozen=True)
class Target:
    """The file an import will write, and what it replaces."""

    doc_id: str
    path: Path
    kind: Kind
    digest: Document | None = None  # the shipped document an override replaces
    digest_paragraphs: tuple[Paragraph, ...] = ()
    replaces_file: bool = False  # an earlier import at ``path`` is replaced (--replace)


def _files_by_id(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in document_files(directory)} if directory.is_dir() else {}


def shipped_corpus() -> Corpus:
    """The documents shipped with gmcbot (the digests)."""
    return load_corpus(base_dir=DOCUMENTS_DIR)


def known_doc_ids(settings: Settings) -> set[str]:
    """Doc ids with a file in the shipped, import or local folders."""
    ids = set(_files_by_id(DOCUMENTS_DIR)) | set(_files_by_id(settings.effective_import_dir))
    for directory in settings.corpus_dirs:
        ids |= set(_files_by_id(directory))
    return ids


def plan_import(settings: Settings, doc_id: str, local: bool = False, replace: bool = False) -> Target:
    """Decide the target file for ``doc_id``; raise :class:`ImportFailed` on a clash."""
    if not DOC_ID_RE.match(doc_id):
        raise ImportFailed(f"doc id '{doc_id}' must be lowercase letters, digits and hyphens (e.g. local-sm-policy)")
    shipped = _files_by_id(DOCUMENTS_DIR)
    if doc_id in shipped:
        if local:
            raise ImportFailed(
                f"'{doc_id}' is a shipped document; a trust's own policy needs a new doc id "
                "(e.g. local-sm-policy). To load the official text of this document, drop --local."
            )
        kind, folder = Kind.OVERRIDE, settings.effective_import_dir
    elif local:
        if not settings.corpus_dirs:
            raise ImportFailed(
                "--local needs a folder for the trust's own documents: set corpus_dirs in gmcbot.toml "
                "or GMCBOT_CORPUS_DIRS (e.g. to <data_dir>/local), then run the import again"
            )
        kind, folder = Kind.LOCAL, settings.corpus_dirs[0]
    else:
        kind, folder = Kind.OFFICIAL, settings.effective_import_dir
    path = folder / f"{doc_id}.md"
    for directory in (settings.effective_import_dir, *settings.corpus_dirs):
        existing = _files_by_id(directory).get(doc_id)
        if existing is None:
            continue
        if existing.resolve() != path.resolve():
            raise ImportFailed(
                f"doc id '{doc_id}' is already used by {existing}; choose another doc id or remove that file first"
            )
        if not replace:
            raise ImportFailed(
                f"'{doc_id}' was already imported ({existing}); add --replace to replace it "
                "(see `gmcbot corpus diff` to compare the versions first)"
            )
    digest: Document | None = None
    paragraphs: tuple[Paragraph, ...] = ()
    if kind is Kind.OVERRIDE:
        corpus = shipped_corpus()
        digest = corpus.document(doc_id)
        paragraphs = tuple(p for p in corpus.paragraphs if p.doc_id == doc_id)
    return Target(doc_id, path, kind, digest, paragraphs, replaces_file=path.exists())
