"""``gmcbot corpus import`` and ``gmcbot corpus diff`` (guide: docs/corpus.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from adapters.cli.common import settings_from
from bot import DocStatus

IMPORT_HELP = """\
Read FILE (HTML, PDF with a text layer, plain text or Markdown), find its numbered
paragraphs, sub-items and headings, print a preview, and write a corpus document with
`source: official`.

Where it goes: the doc id of a shipped document (e.g. gmc-sm-2024) replaces that digest,
in the import folder (setting import_dir, default <data_dir>/imported). --local writes a
trust's own policy (a new doc id) to the first corpus_dirs folder. Any other new doc id
goes to the import folder. An id that was already imported needs --replace; an id used
by another file is refused. The index rebuilds itself on the next question."""

DIFF_HELP = """\
Show paragraphs added, removed, changed and renumbered between two versions of a
document. OLD and NEW are each a doc id in the corpus as loaded (imports included),
shipped:DOC_ID for the digest shipped with gmcbot, or a file path: a document file in
the corpus format, or an HTML, PDF or text file (split as `corpus import` would)."""


def register(csub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = csub.add_parser(
        "import",
        help="load official text or a local policy from HTML, PDF or text",
        description=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the HTML page, PDF, text or Markdown file")
    imp.add_argument(
        "--doc-id", required=True, metavar="ID", help="the document's id, e.g. gmc-sm-2024 or local-sm-policy"
    )
    imp.add_argument("--title", help="title (default: the digest's for an override, else the file's own)")
    imp.add_argument("--publisher", help="e.g. GMC, or your trust's name (required for a new doc id)")
    imp.add_argument("--status", choices=[s.value for s in DocStatus], help="default: the digest's, else current")
    imp.add_argument("--in-effect", metavar="DATE", help="YYYY-MM-DD, YYYY-MM or YYYY (required for a new doc id)")
    imp.add_argument("--url", help="the page where a reader can check the wording (required for a new doc id)")
    imp.add_argument(
        "--superseded-by", metavar="ID", help="the doc id that replaced this one (with --status superseded)"
    )
    imp.add_argument("--superseded-on", metavar="DATE", help="the date it stopped being in force")
    imp.add_argument(
        "--audience", help="comma-separated: doctors, nurses, ahp or all (default: the digest's, else all)"
    )
    imp.add_argument("--note", help="a one-line note kept with the document")
    imp.add_argument("--local", action="store_true", help="a trust's own policy: write to the first corpus_dirs folder")
    imp.add_argument("--replace", action="store_true", help="replace an earlier import of the same doc id")
    imp.add_argument("--dry-run", action="store_true", help="show the preview only; write nothing")
    imp.set_defaults(func=cmd_import)

    diff = csub.add_parser(
        "diff",
        help="compare two versions of a document paragraph by paragraph",
        description=DIFF_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("old", metavar="OLD", help="doc id, shipped:DOC_ID, or file")
    diff.add_argument("new", metavar="NEW", help="doc id, shipped:DOC_ID, or file")
    diff.set_defaults(func=cmd_diff)


def cmd_import(args: argparse.Namespace) -> int:
    from bot import ImportRequest, commit_import, prepare_import, render_preview

    settings = settings_from(args)
    meta = {
        key: getattr(args, key)
        for key in (
            "title",
            "publisher",
            "status",
            "in_effect",
            "url",
            "superseded_by",
            "superseded_on",
            "audience",
            "note",
        )
    }
    request = ImportRequest(args.file, args.doc_id, meta, local=args.local, replace=args.replace)
    prepared = prepare_import(settings, request)
    print(render_preview(prepared), flush=True)
    if args.dry_run:
        print("Dry run: nothing written.")
        return 1 if prepared.problems else 0
    path = commit_import(settings, prepared)
    print(
        f"Wrote {path} ({len(prepared.split.paragraphs)} paragraphs). "
        "The index rebuilds itself on the next question; `gmcbot corpus list` shows the document."
    )
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from bot import diff_versions, load_version, render_diff

    settings = settings_from(args)
    print(render_diff(diff_versions(load_version(args.old, settings), load_version(args.new, settings))))
    return 0
