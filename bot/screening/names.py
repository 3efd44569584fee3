"""Names found by context, in any case and any script.

The capitalised-name patterns of :mod:`.identifiers` need Title Case. These detectors find
names however they are written (``mrs edna higginbottom``, ``Declan O'Hare``, ``Agnes
McLeod``, a name in Arabic script) by asking whether each word could be a name: a word that
is not in the vocabulary of common English, clinical and chat terms (:mod:`.vocabulary`,
which holds no names), nor one of the detectors' ``not_a_name`` words, or a word in a
non-Latin script. A run of up to three such words is a name when the context says so:

- after a patient title (Mr, Mrs, Ms, Miss, Mx, ...) when the clause is about a patient or
  the message holds another patient identifier, and no staff wording says it is a colleague;
- after patient wording ("patient", "pt", "resident", "admission"), optionally with "is",
  "called", "named", ":" or "-";
- after a place and a linking word ("bed 4 is", "bay 2:", "side room 3 -");
- beside another patient identifier (``Agnes McLeod NHS 943 476 5919``, ``943 476 5919
  Agnes McLeod``, ``Agnes McLeod, DOB ...``): two or three name words in a row.

Each is one regex pass; spans are of the detectors' view (:attr:`Prepared.scan`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from bot.screening.vocabulary import Vocabulary


def _mark_class() -> str:
    """A character class of every combining mark (Mn, Mc, Me) in the Basic Multilingual
    Plane: Devanagari vowel signs, Arabic and Hebrew points are part of a word."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


MARKS = _mark_class()
# One word of a name: letters (with their combining marks) and inner apostrophes or
# hyphens (O'Hare, Smith-Jones, गुरुंग).
NAME_TOKEN = rf"[^\W\d_](?:[^\W\d_]|[{MARKS}]|['-](?=[^\W\d_])){{0,40}}"
_WORD = re.compile(NAME_TOKEN)
_CONTRACTIONS = ("s", "t", "ll", "re", "ve", "d", "m", "")
_PATIENT = (
    r"(?:patient|pt|resident|admission|transfer|referral|arrival|service user|client)s?(?:'?s? name)?"
    r"(?P<link>\s+(?:is|was|called|named|name is|=)|\s*[:=-])?"
)
_PLACE = (
    r"(?:bed|bay|cubicle|cube|side ?room|sr|room|resus|trolley|chair|majors|minors)\s?\d{0,3}[a-z]?"
    r"\s?(?::|-|–|=|\s(?:is|was|has))"
)


class NameFinder:
    """Finds names by context; ``is_name_word`` decides whether one word could be a name."""

    def __init__(
        self, vocabulary: Vocabulary, not_a_name: frozenset[str], titles: str, places: frozenset[str] = frozenset()
    ) -> None:
        self.vocab = vocabulary
        self.not_a_name = not_a_name
        self.places = places  # street and school words: a run holding one is a place
        run = rf"(?P<run>{NAME_TOKEN}(?:[ \t]{{1,2}}{NAME_TOKEN}){{0,2}})"
        self.after_patient = re.compile(rf"(?i)(?<![\w])(?:{_PATIENT})[ \t]+(?P<title>(?:{titles})\.?[ \t]+)?{run}")
        self.after_place = re.compile(rf"(?i)(?<![\w]){_PLACE}[ \t]*(?:(?:{titles})\.?[ \t]+)?{run}")
        self.after_title = re.compile(rf"(?i)(?<![\w])(?:{titles})\.?[ \t]+{run}")

    def is_name_word(self, word: str) -> bool:
        low = word.lower()
        if not word.isascii():  # another script, or an accented letter (Ó, 旭, गुरुंग)
            return any(ch.isalpha() for ch in low) and low not in self.not_a_name
        if low in self.not_a_name or len(low) < 2:
            return False
        base, _, ending = low.partition("'")
        if ending in _CONTRACTIONS and (base in self.vocab.words or base in self.vocab.name_words):
            return False  # it's, don't, patient's
        if low in self.vocab.words:
            return False
        if low in self.vocab.name_words:  # "ward", "may": a name only when capitalised
            return word[:1].isupper() and not word.isupper()
        return True

    def _leading_names(self, run: str, start: int, least: int = 1) -> tuple[int, int] | None:
        """The span of the name words (at least ``least``) that open ``run`` (which starts
        at ``start``); None when they are fewer or a street or school word follows. After
        a context, an everyday word that is also a name ("mark", "white") counts as part
        of the name when a word outside the vocabulary is in it too ("mark abiola")."""
        end = None
        count = unknown = 0
        for m in _WORD.finditer(run):
            if run[end - start if end else 0 : m.start()].strip():
                break
            word = m.group()
            if word.lower() in self.places:
                return None
            if self.is_name_word(word):
                unknown += 1
            elif not (
                word.lower() in self.vocab.name_words and (word.lower() not in self.not_a_name or word[:1].isupper())
            ):
                break  # "Mr Guy Rousseau": a capitalised everyday name word still counts
            end = start + m.end()
            count += 1
        if end is None or not unknown or count < least:
            return None
        return (start, end)

    def after_context(self, text: str, title_ok: Callable[[int, int], bool]) -> list[tuple[int, int]]:
        """Names after patient wording, a place, or a title (``title_ok(start, end)`` says
        whether the titled clause is a patient's)."""
        spans: list[tuple[int, int]] = []
        for m in self.after_patient.finditer(text):
            # "patient Declan O'Hare": without "is", "called" or ":" a single unknown word
            # ("a patient DMed me") is not enough.
            span = self._leading_names(m.group("run"), m.start("run"), 1 if m.group("link") or m.group("title") else 2)
            if span is not None:
                spans.append(span)
        for m in self.after_place.finditer(text):
            span = self._leading_names(m.group("run"), m.start("run"))
            if span is not None:
                spans.append(span)
        for m in self.after_title.finditer(text):
            span = self._leading_names(m.group("run"), m.start("run"))
            if span is not None and title_ok(m.start(), span[1]):
                spans.append((m.start(), span[1]))
        return spans

    def beside(self, text: str, anchors: Iterable[tuple[int, int]], reach: int = 24) -> list[tuple[int, int]]:
        """Runs of two or three name words within ``reach`` characters of an anchor span
        (another identifier)."""
        anchors = sorted(anchors)
        if not anchors:
            return []
        runs: list[tuple[int, int, int]] = []  # start, end, words
        for m in _WORD.finditer(text):
            if m.group().lower() in self.places:
                if runs and not text[runs[-1][1] : m.start()].strip():
                    runs.pop()  # "Hexham Rd": a place, not a name
                continue
            if not self.is_name_word(m.group()):
                continue
            if (
                runs
                and runs[-1][2] < 3
                and 0 < m.start() - runs[-1][1] <= 2
                and not text[runs[-1][1] : m.start()].strip()
            ):
                start, _, count = runs[-1]
                runs[-1] = (start, m.end(), count + 1)
            else:
                runs.append((m.start(), m.end(), 1))
        spans: list[tuple[int, int]] = []
        for start, stop, count in runs:
            if count < 2:
                continue
            if any(
                (a_end <= start and start - a_end <= reach) or (stop <= a_start and a_start - stop <= reach)
                for a_start, a_end in anchors
            ):
                spans.append((start, stop))
        return spans
