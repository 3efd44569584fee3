"""The policy that turns a message's evidence into a :class:`~bot.types.Flag`.

Each category's score is its strongest piece of evidence plus a share
(``corroboration``) of the others. The message is flagged when the best category reaches
the flag threshold; the primary category is the highest-scoring one (ties broken by the
precedence in ``policy.toml``), the severity follows the score, the reasons are the fixed
wordings of the evidence (each said once: :func:`distinct_reasons`), and the citations are
the paragraphs the strongest evidence rests on, taken from the corpus, led (when a citation
vote is given, :mod:`.citer`) by the paragraph that labelled messages like it were judged
to go against.

When the learned combiner is in use (:mod:`.combiner`), its verdict decides instead of the
best score, and names the primary category; strong evidence (identifiers, strong rules)
still flags on its own score. Severity, reasons and citations are worked out as above."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.corpus import Corpus
from bot.screening.combiner import LearnedRisk
from bot.screening.data import Policy
from bot.screening.evidence import Evidence
from bot.types import Category, Citation, Finding, Flag, Severity

MAX_REASONS = 4
# Two reasons say the same when the words of their first clauses (before ";" or ".")
# overlap at least this much (Jaccard, small words left out): "It shares a photo or video of
# a patient" and "It shares a photo or video of a patient without consent; ...".
SAME_REASON = 0.5
_SMALL_WORDS = frozenset("a an and as at about for in is it its of on or the their to with your s".split())
_REASON_WORD = re.compile(r"[a-z]+")


def _first_clause_words(reason: str) -> frozenset[str]:
    clause = re.split(r"[;.]", reason.lower(), maxsplit=1)[0]
    return frozenset(_REASON_WORD.findall(clause)) - _SMALL_WORDS


def distinct_reasons(reasons: Sequence[str]) -> list[str]:
    """``reasons`` in order, without any that says what an earlier one already says: a first
    clause whose words overlap an earlier one's by :data:`SAME_REASON` (the same text always does)."""
    kept: list[str] = []
    kept_words: list[frozenset[str]] = []
    for reason in reasons:
        words = _first_clause_words(reason)
        if any(len(words & w) >= SAME_REASON * len(words | w) for w in kept_words):
            continue
        kept.append(reason)
        kept_words.append(words)
    return kept


MAX_CITATIONS = 3
# How many of the citation vote's paragraphs lead the evidence's own.
VOTED_CITATIONS = 1
# A channel's sensitivity moves the flag threshold: "low" flags only clear cases (a
# direct identifier or a strong rule still flags), "high" also flags weaker evidence.
SENSITIVITY_OFFSETS = {"low": 1.0, "normal": 0.0, "high": -0.4}


@dataclass(frozen=True)
class Verdict:
    """Scores by category (best first) and the evidence behind each."""

    scores: tuple[tuple[Category, float], ...]
    evidence: dict[Category, tuple[Evidence, ...]]


def weigh(evidence: Sequence[Evidence], policy: Policy) -> Verdict:
    by_cat: dict[Category, list[Evidence]] = {}
    for e in evidence:
        if e.weight > 0:
            by_cat.setdefault(e.category, []).append(e)
    scores: list[tuple[Category, float]] = []
    for cat, items in by_cat.items():
        items.sort(key=lambda e: (-e.weight, not e.strong))
        scores.append((cat, items[0].weight + policy.corroboration * sum(e.weight for e in items[1:4])))
    rank = {c: i for i, c in enumerate(policy.precedence)}
    scores.sort(key=lambda cs: (-round(cs[1], 6), rank.get(cs[0], 99)))
    return Verdict(tuple(scores), {c: tuple(v) for c, v in by_cat.items()})


class FlagPolicy:
    def __init__(self, policy: Policy, corpus: Corpus) -> None:
        self.policy = policy
        self.corpus = corpus

    def _citations(
        self, ordered: Sequence[Evidence], primary: Category, voted: Sequence[str] = ()
    ) -> tuple[Citation, ...]:
        out: list[Citation] = []
        seen: set[str] = set()
        lead = ordered[0].weight if ordered else 0.0
        candidates = [(pid, lead) for pid in voted[:VOTED_CITATIONS]]
        candidates += [(pid, e.weight) for e in ordered for pid in e.cites]
        candidates += [(pid, 0.0) for pid in self.policy.default_cites.get(primary, ())]
        for pid, weight in candidates:
            if pid in seen:
                continue
            paragraph = self.corpus.paragraph(pid)
            document = self.corpus.documents.get(pid.split(":", 1)[0])
            if paragraph is None or document is None:
                continue
            seen.add(pid)
            out.append(Citation(paragraph, document, round(weight, 3)))
            if len(out) == MAX_CITATIONS:
                break
        return tuple(out)

    def decide(
        self,
        evidence: Sequence[Evidence],
        redacted: str,
        findings: Sequence[Finding],
        sensitivity: str = "normal",
        learned: LearnedRisk | None = None,
        vote: Callable[[Category], Sequence[str]] | None = None,
    ) -> Flag | None:
        """The flag for a message's (mitigated) evidence, or None. Without ``learned`` the
        best category's score decides. With the combiner's verdict, that verdict decides
        and names the category, and strong evidence (identifiers, strong rules) still
        flags on its own score, so a direct identifier is never let through. ``vote``
        (paragraph ids for the primary category, best first) leads the citations."""
        threshold = self.policy.flag_threshold + SENSITIVITY_OFFSETS.get(sensitivity, 0.0)
        verdict = weigh(evidence, self.policy)
        scores = dict(verdict.scores)
        if learned is None:
            if not verdict.scores or verdict.scores[0][1] < threshold:
                return None
            primary = verdict.scores[0][0]
        elif learned.flagged and learned.category in verdict.evidence:
            primary = learned.category
        else:
            strong = weigh([e for e in evidence if e.strong], self.policy)
            if not strong.scores or strong.scores[0][1] < threshold:
                return None
            primary = strong.scores[0][0]
        score = scores[primary]
        flagged = [primary] + [c for c, s in verdict.scores if s >= threshold and c is not primary]
        # Primary evidence first (strongest first), then the strongest of each other category.
        ordered = list(verdict.evidence[primary])
        for cat in flagged[1:]:
            ordered.append(verdict.evidence[cat][0])
        reasons = distinct_reasons([e.reason for e in ordered])
        severity = (
            Severity.HIGH
            if score >= self.policy.high_threshold
            else Severity.MEDIUM
            if score >= self.policy.medium_threshold
            else Severity.LOW
        )
        rule_ids = tuple(dict.fromkeys(e.source for c in flagged for e in verdict.evidence[c]))
        return Flag(
            category=primary,
            severity=severity,
            reasons=tuple(reasons[:MAX_REASONS]),
            citations=self._citations(ordered, primary, vote(primary) if vote is not None else ()),
            redacted=redacted,
            categories=tuple(flagged),
            findings=tuple(findings),
            rule_ids=rule_ids,
        )
