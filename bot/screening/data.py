"""Load the screening data kept under ``guidance_corpus/screening/`` (format: its README).

:func:`load_screening_data` reads the TOML files, expands ``{term}`` references, compiles
every pattern once and checks the whole set, raising one :class:`ScreeningDataError` that
lists every problem (file and entry id). :func:`check_citations` checks that the paragraphs
the data cites exist in a corpus.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import GmcbotError
from bot.types import Category
from guidance_corpus import SCREENING_DIR

FILES = ("identifiers.toml", "terms.toml", "rules.toml", "jigsaw.toml", "exemplars.toml", "policy.toml")
_TERM_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_ESCAPE = re.compile(r"\\.")
_UPPER = re.compile(r"[A-Z]")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ORDINARY = "ordinary"  # exemplar sets of ordinary staff traffic use this instead of a category


class ScreeningDataError(GmcbotError):
    """The screening rules or exemplars have problems; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "\n".join([f"the screening data has {len(problems)} problem(s):", *("  " + p for p in problems)])
        )


def word_pattern(alternatives: Iterable[str]) -> str:
    """One regex matching any alternative as a whole word (letters/digits not either side).
    A trailing ``s`` is allowed, since folding turns "who's" into "whos" and "guy's" into
    "guys"."""
    body = "|".join(f"(?:{a})" for a in sorted(alternatives, key=len, reverse=True))
    return rf"(?<![a-z0-9])(?:{body})s?(?![a-z0-9])"


@dataclass(frozen=True)
class Rule:
    """A lexical rule: every pattern in ``patterns`` matches (within ``within`` characters of
    each other when non-zero) and none in ``unless`` does. ``strong`` rules ignore mitigators."""

    id: str
    category: Category
    cites: tuple[str, ...]
    weight: float
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    within: int = 0
    strong: bool = False

    def matches(self, folded: str) -> bool:
        # The patterns first: most rules fail on one, so the ``unless`` list is seldom run.
        if not all(p.search(folded) for p in self.patterns):
            return False
        if any(p.search(folded) for p in self.unless):
            return False
        if not self.within:
            return True
        starts: list[list[int]] = []
        for p in self.patterns:
            found = [m.start() for _, m in zip(range(40), p.finditer(folded), strict=False)]
            if not found:
                return False
            starts.append(found)
        return any(
            all(any(abs(s - anchor) <= self.within for s in group) for group in starts[1:]) for anchor in starts[0]
        )


@dataclass(frozen=True)
class Mitigator:
    """Wording that makes a message about a risky topic ordinary (a reminder, a question
    asking for advice, a task done properly). Lowers non-strong evidence by ``weight``."""

    id: str
    weight: float
    patterns: tuple[re.Pattern[str], ...]  # any one
    unless: tuple[re.Pattern[str], ...] = ()

    def matches(self, folded: str) -> bool:
        return any(p.search(folded) for p in self.patterns) and not any(p.search(folded) for p in self.unless)


@dataclass(frozen=True)
class JigsawSignal:
    """One kind of detail that could help recognise a patient, e.g. an age or a school."""

    id: str
    weight: float
    label: str
    patterns: tuple[re.Pattern[str], ...] = ()  # any one, on the folded text
    finding: str = ""  # or: a detector finding of this kind counts


@dataclass(frozen=True)
class Jigsaw:
    signals: tuple[JigsawSignal, ...]
    threshold: float
    min_signals: int
    cites: tuple[str, ...]
    reason: str
    cap: float
    anchor: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class ExemplarSet:
    """Example messages of one kind; ``category`` is None for ordinary staff traffic."""

    id: str
    category: Category | None
    cites: tuple[str, ...]
    reason: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """Calibrated numbers and defaults from ``policy.toml``."""

    flag_threshold: float
    high_threshold: float
    medium_threshold: float
    knn_k: int
    knn_scale: float
    knn_floor: float
    knn_rule_floor: float
    knn_min_similarity: float
    mitigation_cap: float
    corroboration: float
    precedence: tuple[Category, ...]
    default_cites: dict[Category, tuple[str, ...]]
    identifier_cites: tuple[str, ...]
    identifier_reasons: dict[str, str]
    identifier_weights: dict[str, float]
    linked_weight: float


@dataclass(frozen=True)
class IdentifierContext:
    """Compiled lexicons for the identifier detectors (``identifiers.toml``)."""

    patterns: dict[str, re.Pattern[str]]
    words: dict[str, frozenset[str]]
    sources: dict[str, str] = field(default_factory=dict)  # the uncompiled regex of each lexicon

    def search(self, name: str, folded: str) -> bool:
        return self.patterns[name].search(folded) is not None


@dataclass(frozen=True)
class ScreeningData:
    identifiers: IdentifierContext
    terms: dict[str, str]
    rules: tuple[Rule, ...]
    mitigators: tuple[Mitigator, ...]
    jigsaw: Jigsaw
    exemplars: tuple[ExemplarSet, ...]
    policy: Policy

    def cited_ids(self) -> set[str]:
        ids: set[str] = set(self.policy.identifier_cites) | set(self.jigsaw.cites)
        for r in self.rules:
            ids.update(r.cites)
        for s in self.exemplars:
            ids.update(s.cites)
        for cites in self.policy.default_cites.values():
            ids.update(cites)
        return ids


IDENTIFIER_LEXICONS = (
    "nhs_number",
    "test_record",
    "date_of_birth",
    "hospital_number",
    "staff_contact",
    "patient_link",
    "place",
    "name_patient_clause",
    "name_staff_clause",
    "not_a_name",
    "patient_title",
    "staff_title",
    "street_suffix",
    "school_suffix",
)
WORD_SETS = ("not_a_name", "street_suffix", "school_suffix")


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[str] = []
        self.terms: dict[str, str] = {}

    def read(self, name: str) -> dict[str, Any]:
        path = self.directory / name
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.problems.append(f"{path}: missing")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            self.problems.append(f"{path}: not valid TOML: {exc}")
        return {}

    def compile(self, where: str, source: str) -> re.Pattern[str] | None:
        missing = [t for t in _TERM_REF.findall(source) if t not in self.terms]
        if missing:
            self.problems.append(f"{where}: unknown term(s) {', '.join('{' + t + '}' for t in missing)}")
            return None
        if _UPPER.search(_ESCAPE.sub("", source)):
            self.problems.append(f"{where}: pattern {source!r} has capital letters; messages are matched in lower case")
            return None
        expanded = word_pattern([_TERM_REF.sub(lambda m: self.terms[m.group(1)], source)])
        try:
            # Folded messages are lower case, so no IGNORECASE (which halves the speed).
            return re.compile(expanded)
        except re.error as exc:
            self.problems.append(f"{where}: bad pattern {source!r}: {exc}")
            return None

    def compile_all(self, where: str, sources: Any) -> tuple[re.Pattern[str], ...]:
        if isinstance(sources, str):
            sources = [sources]
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            self.problems.append(f"{where}: expected a list of patterns")
            return ()
        out = [self.compile(where, s) for s in sources]
        return tuple(p for p in out if p is not None)

    def category(self, where: str, value: Any, allow_ordinary: bool = False) -> Category | None:
        if allow_ordinary and value == ORDINARY:
            return None
        try:
            return Category(value)
        except ValueError:
            allowed = ", ".join(c.value for c in Category) + (f", {ORDINARY}" if allow_ordinary else "")
            self.problems.append(f"{where}: unknown category {value!r} (use one of: {allowed})")
            return None

    def entry_id(self, where: str, entry: dict[str, Any], seen: set[str]) -> str:
        eid = str(entry.get("id", ""))
        if not _ID.match(eid):
            self.problems.append(f"{where}: id {eid!r} must be lowercase letters, digits and hyphens")
        elif eid in seen:
            self.problems.append(f"{where}: id {eid!r} used twice")
        seen.add(eid)
        return eid

    def cites(self, where: str, entry: dict[str, Any], required: bool = True) -> tuple[str, ...]:
        raw = entry.get("cites", [])
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or (required and not raw) or not all(isinstance(c, str) and ":" in c for c in raw):
            self.problems.append(f"{where}: 'cites' must list paragraph ids such as gmc-sm-2024:19")
            return ()
        return tuple(raw)

    def number(self, where: str, entry: dict[str, Any], key: str, default: float | None = None) -> float:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problems.append(f"{where}: '{key}' must be a number")
            return 0.0
        return float(value)

    def text(self, where: str, entry: dict[str, Any], key: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{where}: '{key}' must be non-empty text")
            return ""
        return " ".join(value.split())


def _load_identifiers(ld: _Loader) -> IdentifierContext:
    table = ld.read("identifiers.toml").get("context", {})
    patterns: dict[str, re.Pattern[str]] = {}
    sources: dict[str, str] = {}
    words: dict[str, frozenset[str]] = {}
    for name in IDENTIFIER_LEXICONS:
        alts = table.get(name)
        if not isinstance(alts, list) or not alts or not all(isinstance(a, str) for a in alts):
            ld.problems.append(f"identifiers.toml: [context] needs a non-empty list '{name}'")
            continue
        sources[name] = word_pattern(alts)
        try:
            # Searched on folded (lower-case) text only, so no IGNORECASE: twice as fast.
            patterns[name] = re.compile(sources[name])
        except re.error as exc:
            ld.problems.append(f"identifiers.toml: [context] {name}: bad pattern: {exc}")
        if name in WORD_SETS:
            words[name] = frozenset(a.lower() for a in alts)
    return IdentifierContext(patterns, words, sources)


def _load_terms(ld: _Loader) -> None:
    table = ld.read("terms.toml").get("terms", {})
    # Terms may refer to terms defined earlier in the file.
    for name, alts in table.items():
        if not isinstance(alts, list) or not alts or not all(isinstance(a, str) for a in alts):
            ld.problems.append(f"terms.toml: term '{name}' must be a non-empty list of patterns")
            continue
        if any(_UPPER.search(_ESCAPE.sub("", a)) for a in alts):
            ld.problems.append(f"terms.toml: term '{name}' has capital letters; messages are matched in lower case")
            continue
        missing = [t for a in alts for t in _TERM_REF.findall(a) if t not in ld.terms]
        if missing:
            ld.problems.append(f"terms.toml: term '{name}' refers to undefined term(s) {', '.join(missing)}")
            continue
        expanded = [_TERM_REF.sub(lambda m: ld.terms[m.group(1)], a) for a in alts]
        source = word_pattern(expanded)
        try:
            re.compile(source)
        except re.error as exc:
            ld.problems.append(f"terms.toml: term '{name}': bad pattern: {exc}")
            continue
        ld.terms[name] = source


def _load_rules(ld: _Loader) -> tuple[tuple[Rule, ...], tuple[Mitigator, ...]]:
    data = ld.read("rules.toml")
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, entry in enumerate(data.get("rule", []), 1):
        where = f"rules.toml: rule #{n} ({entry.get('id', '?')})"
        eid = ld.entry_id(where, entry, seen)
        category = ld.category(where, entry.get("category"))
        patterns = ld.compile_all(where, entry.get("all"))
        if not patterns:
            ld.problems.append(f"{where}: needs at least one pattern in 'all'")
        rule = Rule(
            eid,
            category or Category.PATIENT_IDENTIFIABLE,
            ld.cites(where, entry),
            ld.number(where, entry, "weight"),
            ld.text(where, entry, "reason"),
            patterns,
            ld.compile_all(where, entry.get("unless", [])),
            int(entry.get("within", 0)),
            bool(entry.get("strong", False)),
        )
        rules.append(rule)
    mitigators: list[Mitigator] = []
    for n, entry in enumerate(data.get("mitigator", []), 1):
        where = f"rules.toml: mitigator #{n} ({entry.get('id', '?')})"
        eid = ld.entry_id(where, entry, seen)
        patterns = ld.compile_all(where, entry.get("any"))
        if not patterns:
            ld.problems.append(f"{where}: needs at least one pattern in 'any'")
        mitigators.append(
            Mitigator(eid, ld.number(where, entry, "weight"), patterns, ld.compile_all(where, entry.get("unless", [])))
        )
    return tuple(rules), tuple(mitigators)


def _load_jigsaw(ld: _Loader) -> Jigsaw:
    data = ld.read("jigsaw.toml")
    head = data.get("jigsaw", {})
    signals: list[JigsawSignal] = []
    seen: set[str] = set()
    for n, entry in enumerate(data.get("signal", []), 1):
        where = f"jigsaw.toml: signal #{n} ({entry.get('id', '?')})"
        eid = ld.entry_id(where, entry, seen)
        finding = str(entry.get("finding", ""))
        patterns = ld.compile_all(where, entry.get("any", [])) if "any" in entry else ()
        if not patterns and not finding:
            ld.problems.append(f"{where}: needs 'any' patterns or a 'finding' kind")
        signals.append(
            JigsawSignal(eid, ld.number(where, entry, "weight"), ld.text(where, entry, "label"), patterns, finding)
        )
    return Jigsaw(
        tuple(signals),
        ld.number("jigsaw.toml [jigsaw]", head, "threshold", 3.0),
        int(head.get("min_signals", 2)),
        ld.cites("jigsaw.toml [jigsaw]", head),
        ld.text("jigsaw.toml [jigsaw]", head, "reason"),
        ld.number("jigsaw.toml [jigsaw]", head, "cap", 3.0),
        ld.compile_all("jigsaw.toml [jigsaw] anchor", head.get("anchor", [])),
    )


def _load_exemplars(ld: _Loader) -> tuple[ExemplarSet, ...]:
    data = ld.read("exemplars.toml")
    sets: list[ExemplarSet] = []
    seen: set[str] = set()
    for n, entry in enumerate(data.get("set", []), 1):
        where = f"exemplars.toml: set #{n} ({entry.get('id', '?')})"
        eid = ld.entry_id(where, entry, seen)
        category = ld.category(where, entry.get("category"), allow_ordinary=True)
        ordinary = entry.get("category") == ORDINARY
        examples = entry.get("examples", [])
        if (
            not isinstance(examples, list)
            or len(examples) < 3
            or not all(isinstance(e, str) and e.strip() for e in examples)
        ):
            ld.problems.append(f"{where}: 'examples' must list at least three messages")
            examples = []
        sets.append(
            ExemplarSet(
                eid,
                category,
                ld.cites(where, entry, required=not ordinary),
                "" if ordinary else ld.text(where, entry, "reason"),
                tuple(" ".join(e.split()) for e in examples),
            )
        )
    if not any(s.category is None for s in sets):
        ld.problems.append('exemplars.toml: needs at least one set with category = "ordinary"')
    return tuple(sets)


def _load_policy(ld: _Loader) -> Policy:
    data = ld.read("policy.toml")
    where = "policy.toml"
    scores = data.get("scores", {})
    knn = data.get("knn", {})
    precedence = [c for c in (ld.category(f"{where} precedence", v) for v in data.get("precedence", [])) if c]
    if sorted(c.value for c in precedence) != sorted(c.value for c in Category):
        ld.problems.append(f"{where}: 'precedence' must list every category once")
    defaults: dict[Category, tuple[str, ...]] = {}
    for key, value in data.get("default_cites", {}).items():
        cat = ld.category(f"{where} [default_cites]", key)
        if cat:
            defaults[cat] = ld.cites(f"{where} [default_cites] {key}", {"cites": value})
    for cat in Category:
        if cat not in defaults:
            ld.problems.append(f"{where}: [default_cites] has no entry for {cat.value}")
    ident = data.get("identifiers", {})
    reasons = {str(k): " ".join(str(v).split()) for k, v in ident.get("reasons", {}).items()}
    weights = {str(k): float(v) for k, v in ident.get("weights", {}).items()}
    return Policy(
        flag_threshold=ld.number(where, scores, "flag"),
        high_threshold=ld.number(where, scores, "high"),
        medium_threshold=ld.number(where, scores, "medium"),
        knn_k=int(knn.get("k", 3)),
        knn_scale=ld.number(where, knn, "scale"),
        knn_floor=ld.number(where, knn, "floor"),
        knn_rule_floor=ld.number(where, knn, "rule_floor"),
        knn_min_similarity=ld.number(where, knn, "min_similarity"),
        mitigation_cap=ld.number(where, scores, "mitigation_cap"),
        corroboration=ld.number(where, scores, "corroboration"),
        precedence=tuple(precedence),
        default_cites=defaults,
        identifier_cites=ld.cites(f"{where} [identifiers]", ident),
        identifier_reasons=reasons,
        identifier_weights=weights,
        linked_weight=ld.number(where, ident, "linked_weight"),
    )


def load_screening_data(directory: Path = SCREENING_DIR) -> ScreeningData:
    """Read, compile and check the screening data in ``directory``."""
    ld = _Loader(directory)
    identifiers = _load_identifiers(ld)
    _load_terms(ld)
    rules, mitigators = _load_rules(ld)
    jigsaw = _load_jigsaw(ld)
    exemplars = _load_exemplars(ld)
    policy = _load_policy(ld)
    if ld.problems:
        raise ScreeningDataError(ld.problems)
    return ScreeningData(identifiers, dict(ld.terms), rules, mitigators, jigsaw, exemplars, policy)


def check_citations(data: ScreeningData, paragraph_ids: Iterable[str]) -> list[str]:
    """Paragraph ids the screening data cites that the corpus does not hold."""
    known = set(paragraph_ids)
    return sorted(pid for pid in data.cited_ids() if pid not in known)
