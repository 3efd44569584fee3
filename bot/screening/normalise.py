"""Normalise a raw chat message so that an identifier reads the same however it is typed.

:func:`normalise` makes one pass over the message and returns the text with an offset map
back to the raw message:

- zero-width, bidi and other format characters are dropped (they can split a number or a
  name without showing);
- digits of any script (Arabic-Indic, Devanagari, full-width, ...) become ASCII digits;
- compatibility forms are folded (NFKC: full-width letters, ligatures, mathematical
  letters), typographic dashes and quotes made plain, unusual spaces made plain spaces;
- look-alike letters from other scripts (Cyrillic ``а``, Greek ``Ο``, ...) are folded to the
  Latin letter they imitate, using Unicode's confusables data (the ``confusable-homoglyphs``
  package), but only inside a word that also has Latin letters or is made entirely of
  look-alikes: an Arabic, Hebrew or genuinely Cyrillic word is left as written.

:func:`unwrap` then gives the view the identifier detectors search: chat markup unwrapped
(the target of a link and the text of a URL, with its slashes, dots and query signs as
spaces, so a number in a URL path stands alone), code and emphasis marks (`` ` * _ ~ ``)
as spaces, mentions of users and channels blanked. It keeps every offset, so a span found
there is a span of the normalised text too.

Both are single passes, linear in the length of the message.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Format characters that render as nothing but can split a number or word in two.
INVISIBLE = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
)
PLAIN = {
    0x2010: "-",
    0x2011: "-",
    0x2012: "-",
    0x2013: "-",
    0x2014: "-",
    0x2015: "-",
    0x2212: "-",
    0x2018: "'",
    0x2019: "'",
    0x201B: "'",
    0x2032: "'",
    0x02BC: "'",
    0x0060: "'",
    0x00B4: "'",
    0x201C: '"',
    0x201D: '"',
    0x201F: '"',
    0x2024: ".",
    0x2027: ".",
    0xFF0E: ".",
}
# Scripts whose letters are folded when they imitate Latin ones.
_FOLDED_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "LATIN", "COPTIC", "LISU", "MODIFIER")


@dataclass(frozen=True)
class Normalised:
    """The normalised text; ``offsets[i]`` is the raw index ``text[i]`` came from (None
    when the text is the raw message unchanged)."""

    text: str
    offsets: tuple[int, ...] | None


@lru_cache(maxsize=1)
def look_alikes() -> dict[str, str]:
    """Characters of other scripts that imitate a Latin letter or digit, mapped to it."""
    import confusable_homoglyphs

    path = Path(confusable_homoglyphs.__file__).parent / "confusables.json"
    data: dict[str, list[dict[str, str]]] = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        name = unicodedata.name(char, "")
        if not name.startswith(_FOLDED_SCRIPTS):
            continue
        latin = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()]
        if latin:
            table[char] = latin[0]
    for extra, letter in _EXTRA_LOOK_ALIKES.items():
        table.setdefault(extra, letter)
    return table


# Letters the confusables data maps to a sequence or leaves out, but that pass for Latin.
_EXTRA_LOOK_ALIKES = {
    "ı": "i",
    "ȷ": "j",
    "ɡ": "g",
    "ʀ": "R",
    "ʏ": "Y",
    "ᴀ": "A",
    "ʙ": "B",
    "ᴄ": "C",
    "ᴅ": "D",
    "ᴇ": "E",
    "ɢ": "G",
    "ʜ": "H",
    "ɪ": "I",
    "ᴊ": "J",
    "ᴋ": "K",
    "ʟ": "L",
    "ᴍ": "M",
    "ɴ": "N",
    "ᴏ": "O",
    "ᴘ": "P",
    "ᴛ": "T",
    "ᴜ": "U",
    "ᴠ": "V",
    "ᴡ": "W",
    "ᴢ": "Z",
}


def _char(ch: str) -> str:
    """One non-ASCII character, normalised ("" when it is dropped)."""
    code = ord(ch)
    if code in INVISIBLE:
        return ""
    plain = PLAIN.get(code)
    if plain is not None:
        return plain
    if ch.isspace():
        return "\n" if ch in "\u2028\u2029\x85" else " "
    category = unicodedata.category(ch)
    if category in ("Cf", "Cc", "Cs", "Co", "Cn"):
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(ch, 0))
    if category.startswith("M") and unicodedata.combining(ch) and not ch.isalpha():
        return ""  # a stray combining mark (accents are kept on their letters by NFKC below)
    folded = unicodedata.normalize("NFKC", ch)
    return "".join(str(unicodedata.decimal(c, 0)) if unicodedata.category(c) == "Nd" else c for c in folded)


def _fold_look_alikes(chars: list[str]) -> None:
    """Fold look-alike letters in place, word by word (see the module docstring)."""
    table = look_alikes()
    i, n = 0, len(chars)
    while i < n:
        if not chars[i].isalpha():
            i += 1
            continue
        j = i
        while j < n and (chars[j].isalpha() or unicodedata.category(chars[j]).startswith("M")):
            j += 1
        word = chars[i:j]
        if any(c in table for c in word):
            has_latin = any(c.isascii() for c in word)
            if has_latin or all(c.isascii() or c in table for c in word):
                for k in range(i, j):
                    chars[k] = table.get(chars[k], chars[k])
        i = j


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise(raw: str) -> Normalised:
    """``raw`` normalised (see the module docstring). Never raises for any ``str``.

    ASCII control characters other than tab and line breaks become spaces (one for one, so
    offsets are unchanged): dropping them would join the words either side into one."""
    raw = _ASCII_CONTROL.sub(" ", raw)
    if raw.isascii() and "`" not in raw:
        return Normalised(raw, None)
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(raw):
        if ch.isascii() and ch != "`":
            chars.append(ch)
            offsets.append(i)
            continue
        for piece in _char(ch):
            chars.append(piece)
            offsets.append(i)
    _fold_look_alikes(chars)
    return Normalised("".join(chars), tuple(offsets))


# -- the detectors' view ---------------------------------------------------------------------
# Slack: <@U123>, <#C123|name>, <!here>; Discord: <@123>, <@!123>, <@&123>, <#123>, <:e:1>, <t:1:R>.
_MENTION = re.compile(r"<(?:[@#!][^<>\s]{0,80}|a?:\w{1,40}:\d{1,25}|t:\d{1,15}(?::\w)?)>")
_LINK = re.compile(r"<((?:https?|ftp|mailto):[^<>|\s]{1,2000})(?:\|([^<>]{0,2000}))?>")
_URL = re.compile(r"(?<![\w@])(?:https?|ftp)://[^\s<>]{1,2000}")
_URL_MARKS = re.compile(r"[/?&=#%+.~_:;,!$()*'\[\]]")
_FORMAT_MARKS = re.compile(r"[`*_~]")


def _spaces(m: re.Match[str]) -> str:
    return " " * (m.end() - m.start())


def _open_url(url: str) -> str:
    """A URL with its punctuation as spaces (same length), so its parts stand alone."""
    return _URL_MARKS.sub(" ", url)


def unwrap(text: str) -> str:
    """The detectors' view of normalised ``text`` (same length; see the module docstring)."""
    if "<" in text:
        text = _MENTION.sub(_spaces, text)
        text = _LINK.sub(_unwrap_link, text)
    if "://" in text:
        text = _URL.sub(lambda m: _open_url(m.group()), text)
    return _FORMAT_MARKS.sub(" ", text)


def _unwrap_link(m: re.Match[str]) -> str:
    """``<target|label>`` as `` target label `` (same length); a mailto address is kept whole."""
    target, label = m.group(1), m.group(2)
    if target.startswith("mailto:"):
        target = " " * len("mailto:") + target[len("mailto:") :]
    else:
        target = _open_url(target)
    return " " + target + ("" if label is None else " " + label) + " "
