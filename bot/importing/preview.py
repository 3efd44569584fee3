"""The preview an import prints before it writes anything."""

from __future__ import annotations

from bot.importing.importer import PreparedImport
from bot.importing.placement import Kind
from bot.importing.splitter import FoundParagraph

SNIPPET = 70
LIST_AT_MOST = 12


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"


def _para(p: FoundParagraph) -> str:
    heading = f" ({p.heading})" if p.heading else ""
    return f'{p.number}{heading}, {p.where}: "{_snippet(p.text)}"'


def _some(items: list[str]) -> str:
    more = len(items) - LIST_AT_MOST
    return ", ".join(items[:LIST_AT_MOST]) + (f" and {more} more" if more > 0 else "")


def _destination(prepared: PreparedImport) -> list[str]:
    target = prepared.target
    again = " (replacing the earlier import)" if target.replaces_file else ""
    lines = [f"  writes:     {target.path}{again}"]
    if target.kind is Kind.OVERRIDE and target.digest is not None:
        lines.append(
            f'  replaces:   the plain-English digest of {target.doc_id} "{target.digest.title}" '
            f"({len(target.digest_paragraphs)} paragraphs); answers will quote this official text"
        )
        if prepared.digest_only:
            lines.append(
                f"  not found:  {len(prepared.digest_only)} digest paragraph id(s) not in this text, which "
                f"answers and screening rules can no longer cite: {_some(prepared.digest_only)}"
            )
        if prepared.aids:
            lines.append(
                f"  terms:      kept the digest's search terms and asks for {len(prepared.aids)} paragraph(s) "
                "with the same number"
            )
    elif target.kind is Kind.LOCAL:
        lines.append(
            "  kind:       the trust's own policy (local folder; leads answers it covers when prefer_local is on, cited after the national guidance when off)"
        )
    else:
        lines.append("  kind:       a new official document (import folder)")
    return lines


def render_preview(prepared: PreparedImport) -> str:
    """Count, first and last paragraph, numbering gaps and duplicates, what was skipped,
    and where the file goes. Problems that stop the import are listed last."""
    split, source, meta = prepared.split, prepared.source, prepared.meta
    paras = split.paragraphs
    pages = f", {source.pages} pages" if source.pages else ""
    numbered = len(paras) - split.sub_items
    lines = [
        f"Import preview: {source.path} ({source.fmt}{pages}) as {prepared.request.doc_id}",
        f"  document:   {meta.title} ({meta.publisher}), {meta.status}, in effect {meta.in_effect}",
    ]
    if meta.superseded_by:
        lines.append(
            f"              superseded by {meta.superseded_by}"
            + (f" on {meta.superseded_on}" if meta.superseded_on else "")
        )
    lines += _destination(prepared)
    lines += [
        f"  found:      {len(paras)} paragraphs ({numbered} numbered, {split.sub_items} sub-items) "
        f"under {len(split.headings)} heading(s)",
        f"  first:      {_para(paras[0])}",
        f"  last:       {_para(paras[-1])}",
        f"  gaps:       {_some(split.gaps) if split.gaps else 'none'}",
        f"  duplicates: {len(split.duplicates) or 'none'}",
    ]
    skipped = [f"{n} line(s) of unnumbered text from {where}" for where, n in split.skipped_text]
    if split.footnotes:
        skipped.append(f"{split.footnotes} footnote line(s)")
    skipped += [f"{n} {what}" for what, n in source.skipped.items()]
    lines.append(f"  skipped:    {_some(skipped) if skipped else 'nothing'}")
    if prepared.problems:
        lines.append(f"Problems ({len(prepared.problems)}); nothing will be written until they are fixed:")
        lines += [f"  {p}" for p in prepared.problems]
    return "\n".join(lines)
