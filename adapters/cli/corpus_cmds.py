"""``gmcbot corpus check`` and ``gmcbot corpus list``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from adapters.cli.common import settings_from
from bot import Corpus, load_corpus


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    corpus = sub.add_parser("corpus", help="validate, list, import or compare guidance documents")
    csub = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    check = csub.add_parser(
        "check",
        help="validate every document; errors name the file and line",
        description="Validate the corpus: duplicate ids, missing fields, unknown "
        "status, empty text. Exits 1 and names the file and line of each problem.",
    )
    check.set_defaults(func=cmd_check)
    lst = csub.add_parser("list", help="list documents with status, dates and paragraph counts")
    lst.set_defaults(func=cmd_list)
    for extra in ("adapters.cli.corpus_import",):
        try:
            module = __import__(extra, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != extra:
                raise
            continue
        module.register(csub)


def _load(args: argparse.Namespace) -> Corpus:
    settings = settings_from(args)
    return load_corpus(extra_dirs=settings.corpus_dirs, override_dir=settings.effective_import_dir)


def cmd_check(args: argparse.Namespace) -> int:
    from bot import check_citations, load_screening_data

    corpus = _load(args)
    counts = Counter(p.doc_id for p in corpus.paragraphs)
    print(
        f"Corpus OK: {len(corpus.documents)} documents, {len(corpus.paragraphs)} paragraphs "
        f"({', '.join(f'{d} {n}' for d, n in counts.items())})."
    )
    data = load_screening_data()
    missing = check_citations(data, (p.id for p in corpus.paragraphs))
    if missing:
        print(f"Screening rules cite paragraph(s) the corpus lacks: {', '.join(missing)}", file=sys.stderr)
        return 1
    print(
        f"Screening data OK: {len(data.rules)} rules, {len(data.exemplars)} exemplar sets, "
        "every citation found in the corpus."
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    corpus = _load(args)
    counts = Counter(p.doc_id for p in corpus.paragraphs)
    print(f"{'doc id':<16} {'status':<11} {'in effect':<11} {'paras':>5}  {'source':<8} title")
    for doc in corpus.documents.values():
        status = doc.status.value
        line = f"{doc.doc_id:<16} {status:<11} {doc.in_effect:<11} {counts[doc.doc_id]:>5}  {doc.source:<8} {doc.title}"
        print(line)
        if doc.superseded_by:
            print(
                f"{'':<16} replaced by {doc.superseded_by}" + (f" on {doc.superseded_on}" if doc.superseded_on else "")
            )
    return 0
