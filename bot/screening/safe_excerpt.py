"""The safe excerpt: the only form in which a screened message's words leave screening.

Redaction by detection can only remove what a detector recognised. The safe excerpt works
the other way round: it is rebuilt from the *normalised* message (:mod:`.normalise`) and
keeps only what is known to be safe, so a name, number or address that no detector
recognised still cannot pass:

- a word of the vocabulary (:mod:`.vocabulary`: common English, clinical and chat terms,
  no personal names), as written; a possessive or contraction of one (``patient's``,
  ``don't``) and a hyphenated word whose parts all are (``post-op``);
- a word that is common but also a name ("may", "ward", "young") only in lower case (or
  opening a sentence before a lower-case word), and never beside an unknown word or a name;
- a single letter; a number of at most :data:`MAX_DIGITS` digits (a chain of numbers joined
  by spaces, dots, slashes or dashes counts as one: ``9 4 3 4 ...`` is ``[NUMBER]``); a time
  (``14:30``); a word such as ``10mg`` or ``fy1`` made of a known word and a short number;
- ASCII punctuation and emoji; line breaks (at most two in a row), single spaces.

Everything else becomes a placeholder: the kind a detector found (``[NHS-NUMBER]``,
``[NAME]``, ``[CREDENTIAL]``, see :data:`~bot.screening.redact.PLACEHOLDERS`), ``[LINK]``,
``[MENTION]``, ``[EMAIL]``, ``[NUMBER]``, ``[CODE]`` (letters and digits), or ``[WORD]``;
placeholders of one kind in a row are written once. The excerpt stops after
:data:`EXCERPT_CHARS` characters with ``[…]``, so a huge message is never echoed.

The work is one regex pass over the message, stopping at the limit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.screening.identifiers import IdentifierDetector
from bot.screening.redact import placeholder
from bot.screening.text import Prepared, prepare
from bot.screening.vocabulary import Vocabulary, load_vocabulary
from bot.types import Finding

EXCERPT_CHARS = 1500
MAX_DIGITS = 3
MORE = "[…]"

_TOKEN = re.compile(
    r"(?P<markup><[@#!][^<>\s]{0,80}>|<(?:https?|ftp|mailto):[^<>\s]{0,2000}>|<a?:\w{1,40}:\d{1,25}>|<t:\d{1,15}(?::\w)?>)"
    r"|(?P<url>(?:https?|ftp)://[^\s<>]{1,2000}|www\.[^\s<>]{1,2000})"
    r"|(?P<email>[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+)"
    r"|(?P<time>(?<![\d.:/-])(?:[01]?\d|2[0-3])[:.][0-5]\d(?:\s?[ap]m)?(?![\d:/]|\.\d))"
    r"|(?P<code>(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]+)"
    r"|(?P<number>\d+(?:(?:[ \t]{1,3}|[ \t]?[.,/:_-][ \t]?|[ \t]?\n[ \t]?)\d+){0,400})"
    r"|(?P<word>[^\W\d_]+(?:['-][^\W\d_]+)*'?)"
    r"|(?P<rest>[^\W_]+)"
    r"|(?P<space>[ \t\r\f\v]+)"
    r"|(?P<newline>\n+)"
    r"|(?P<other>.)",
    re.DOTALL,
)
# A UK postcode in any case, even one no detector reported (the excerpt hides its shape).
_POSTCODE_SHAPE = re.compile(r"(?<![^\W_])[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}(?![^\W_])", re.IGNORECASE)
_ALNUM_PARTS = re.compile(r"\d+|[^\W\d_]+")
_UNITS = frozenset(
    {
        "mg",
        "mcg",
        "ug",
        "g",
        "kg",
        "ml",
        "l",
        "mmol",
        "mm",
        "cm",
        "m",
        "km",
        "pm",
        "am",
        "h",
        "hr",
        "hrs",
        "min",
        "mins",
        "wk",
        "wks",
        "yr",
        "yrs",
        "yo",
        "st",
        "nd",
        "rd",
        "th",
        "x",
        "iu",
        "mmhg",
        "bpm",
        "k",
        "s",
        "d",
        "f",
        "t",
        "o",
        "y",
    }
)
_CONTRACTIONS = ("n't", "'s", "'ll", "'re", "'ve", "'d", "'m", "'")
# Day and month names are kept capitalised (beside known words); not those that are common
# first names (April, May, June, August).
_CALENDAR = frozenset(
    {
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "july",
        "september",
        "october",
        "november",
        "december",
    }
)
# Closed-class words (and every word of one or two letters) are kept in lower case even
# though some are names somewhere ("will", "may", "so"): too common to identify anyone.
FUNCTION_WORDS = frozenset(
    """
the and are was were you your her his she him they them their our ours with for not but all any can
will may might must has had have been being from this that these those who whom whose what when
how why its out off too very just now then than some more most much many such each both here there
where yes over into onto upon about after before again also only still even ever never well does did
done doing would could should shall let lets get got one ones own same other another every which
while until till since because though although whether nor yet per via near next last first
""".split()
)
_SENTENCE_END = frozenset(".!?:;\n")
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…")


def _merge(prepared: Prepared, findings: Sequence[Finding]) -> list[tuple[int, int, str]]:
    """Finding spans in ``prepared.normalised`` coordinates, sorted, overlaps merged."""
    spans = sorted(
        (*prepared.to_text(max(0, f.start), min(len(prepared.original), f.end)), f.kind)
        for f in findings
        if f.end > f.start
    )
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


class _Writer:
    """Collects excerpt pieces, collapsing repeated placeholders and spaces."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.full = False

    def last(self) -> str:
        return self.parts[-1] if self.parts else ""

    def add(self, piece: str) -> None:
        if self.full or not piece:
            return
        if piece == " " and (not self.parts or self.last() in (" ", "\n", "\n\n")):
            return
        if (
            piece.startswith("[")
            and piece.endswith("]")
            and len(self.parts) >= 2
            and self.last() == " "
            and self.parts[-2] == piece
        ):
            self.parts.pop()  # "[WORD] [WORD]" is written "[WORD]"
            self.size -= 1
            return
        if piece.startswith("[") and self.last() == piece:
            return
        self.parts.append(piece)
        self.size += len(piece)
        if self.size >= self.limit:
            self.full = True

    def text(self) -> str:
        out = "".join(self.parts).strip()
        return out + (" " + MORE if self.full else "")


class _Excerpt:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocab = vocabulary

    # -- words ------------------------------------------------------------------------------
    def known_word(self, word: str) -> bool:
        """A word of ``words`` (or a single letter), also as a possessive or contraction."""
        low = word.lower()
        if (len(low) == 1 and low.isascii()) or low in self.vocab.words:
            return True
        if "'" in low:
            if low.replace("'", "") in self.vocab.words:
                return True
            for ending in _CONTRACTIONS:
                if low.endswith(ending) and low[: -len(ending)] in self.vocab.words:
                    return True
            return False
        if "-" in low:
            # "post-op", "follow-up"; a part that is also a name only in lower case ("Young-White")
            return all(
                self.known_word(part) or (word.islower() and part in self.vocab.name_words)
                for part in low.split("-")
                if part
            )
        return False

    def name_word(self, word: str) -> bool:
        return word.lower().rstrip("'") in self.vocab.name_words

    def common(self, word: str) -> bool:
        """A word of either list: not an unknown word."""
        return self.known_word(word) or self.name_word(word)

    def code_ok(self, token: str) -> bool:
        if token.lower() in self.vocab.words:
            return True
        parts = _ALNUM_PARTS.findall(token)
        digits = sum(len(p) for p in parts if p.isdigit())
        return digits <= MAX_DIGITS and all(p.isdigit() or p.lower() in _UNITS or self.known_word(p) for p in parts)

    # -- the excerpt ------------------------------------------------------------------------------
    def tokens(self, text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
        """``(kind, text)`` tokens; a finding is one ``("finding", placeholder)`` token."""
        out: list[tuple[str, str]] = []
        cursor = 0
        for start, end, kind in [*spans, (len(text), len(text), "")]:
            for m in _TOKEN.finditer(text, cursor, start):
                out.append((m.lastgroup or "other", m.group()))
            if kind:
                out.append(("finding", placeholder(kind)))
            cursor = end
        return out

    def render(self, tokens: list[tuple[str, str]], limit: int) -> str:
        writer = _Writer(limit)
        neighbour: dict[int, tuple[int | None, int | None]] = {}
        for i, (kind, _) in enumerate(tokens):
            if kind == "word":
                neighbour[i] = (self._beside(tokens, i, -1), self._beside(tokens, i, 1))
        sentence_start = True
        for i, (kind, value) in enumerate(tokens):
            if writer.full:
                break
            if kind in ("space",):
                writer.add(" ")
                continue
            if kind == "newline":
                writer.add("\n\n" if len(value) > 1 else "\n")
                sentence_start = True
                continue
            writer.add(self.piece(kind, value, tokens, neighbour.get(i, (None, None)), sentence_start))
            if kind != "other" or value not in "\"'([":
                sentence_start = kind == "other" and value in _SENTENCE_END
        return writer.text()

    @staticmethod
    def _beside(tokens: list[tuple[str, str]], i: int, step: int) -> int | None:
        """The word-like token next to ``tokens[i]`` across spaces only (None otherwise)."""
        j = i + step
        while 0 <= j < len(tokens) and tokens[j][0] == "space":
            j += step
        if 0 <= j < len(tokens) and tokens[j][0] in ("word", "code", "rest", "finding", "number"):
            return j
        return None

    def piece(
        self,
        kind: str,
        value: str,
        tokens: list[tuple[str, str]],
        around: tuple[int | None, int | None],
        sentence_start: bool,
    ) -> str:
        if kind == "finding":
            return value
        if kind == "markup":
            return "[MENTION]" if value[1:2] in "@#!" else "[LINK]"
        if kind == "url":
            return "[LINK]"
        if kind == "email":
            return placeholder("email")
        if kind == "time":
            return value
        if kind == "number":
            digits = sum(c.isdigit() for c in value)
            return value if digits <= MAX_DIGITS else "[NUMBER]"
        if kind in ("code", "rest"):
            return value if self.code_ok(value) else "[CODE]"
        if kind == "word":
            return value if self.word_ok(value, tokens, around, sentence_start) else "[WORD]"
        if value in _PUNCTUATION:
            return value
        category = unicodedata.category(value)
        if category in ("So", "Sk", "Sm", "Sc"):
            return value
        return " " if category.startswith(("P", "Z", "C")) else ""  # a dropped mark still parts two words

    def word_ok(
        self, word: str, tokens: list[tuple[str, str]], around: tuple[int | None, int | None], sentence_start: bool
    ) -> bool:
        if self.known_word(word) or (len(word) <= 2 and word.isascii()):
            return True
        if not self.name_word(word):
            return False
        if word.lower() in FUNCTION_WORDS and (word.islower() or word.isupper() or sentence_start):
            return True
        prev, nxt = (tokens[j] if j is not None else None for j in around)
        for other in (prev, nxt):
            if other is not None and (
                (other[0] == "finding" and other[1] in ("[NAME]", "[ADDRESS]", "[SCHOOL]"))
                or (other[0] == "word" and not self.common(other[1]))
            ):
                return False  # beside a name or an unknown word, it may be part of a name
        if word.islower() or word.lower() in _CALENDAR:
            return True
        return (
            sentence_start
            and nxt is not None
            and nxt[0] == "word"
            and self.common(nxt[1])
            and (nxt[1].islower() or nxt[1] == "I")
        )


def excerpt_of(detector: IdentifierDetector, text: str, limit: int = EXCERPT_CHARS) -> str:
    """The safe excerpt of raw ``text`` with ``detector``'s identifiers and credentials
    typed (no model work: for questions kept for feedback)."""
    prepared = prepare(text if isinstance(text, str) else str(text))
    findings = detector.detect(prepared)  # identifiers, credentials, and streets or schools too
    return safe_excerpt(prepared, findings, limit=limit)


def safe_excerpt(
    prepared: Prepared, findings: Sequence[Finding], vocabulary: Vocabulary | None = None, limit: int = EXCERPT_CHARS
) -> str:
    """The safe excerpt of a prepared message; ``findings`` (spans of the raw message) become
    their typed placeholders. See the module docstring for what is kept."""
    excerpt = _Excerpt(vocabulary or load_vocabulary())
    text = prepared.normalised or prepared.text
    # Tokenise only what can be shown: a little past the limit is enough.
    stop = min(len(text), limit * 4 + 200)
    shapes = [
        Finding("postcode", *prepared.to_original(m.start(), m.end())) for m in _POSTCODE_SHAPE.finditer(text, 0, stop)
    ]
    spans = [(s, min(e, stop), k) for s, e, k in _merge(prepared, [*findings, *shapes]) if s < stop]
    tokens = excerpt.tokens(text[:stop], spans)
    out = excerpt.render(tokens, limit)
    if stop < len(text) and not out.endswith(MORE):
        out += " " + MORE
    return out
