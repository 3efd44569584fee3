"""Replace identifier spans with typed placeholders such as ``[NHS-NUMBER]``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.types import Finding

PLACEHOLDERS = {
    "nhs-number": "[NHS-NUMBER]",
    "chi-number": "[CHI-NUMBER]",
    "hc-number": "[HC-NUMBER]",
    "dob": "[DOB]",
    "postcode": "[POSTCODE]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "hospital-number": "[HOSPITAL-NUMBER]",
    "name": "[NAME]",
    "address": "[ADDRESS]",
    "street": "[ADDRESS]",
    "school": "[SCHOOL]",
    "probable-nhs-number": "[NHS-NUMBER]",
    "credential": "[CREDENTIAL]",
}


def placeholder(kind: str) -> str:
    return PLACEHOLDERS.get(kind, "[REDACTED]")


def redact(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with every finding's span replaced by its placeholder. Overlapping spans
    are merged, so nothing inside any span survives."""
    spans = sorted((max(0, f.start), min(len(text), f.end), f.kind) for f in findings if f.end > f.start)
    out: list[str] = []
    cursor = 0
    last_end = -1
    for start, end, kind in spans:
        if start < last_end:  # overlaps the previous span: extend it, keep its placeholder
            if end > last_end:
                cursor = last_end = end
            continue
        out.append(text[cursor:start])
        out.append(placeholder(kind))
        cursor = last_end = end
    out.append(text[cursor:])
    return "".join(out)
