"""Detect patient identifiers in a prepared message.

The detectors search the message's :attr:`~bot.screening.text.Prepared.scan` view
(normalised: look-alike letters folded, digits of any script as digits; links, URLs and
code spans unwrapped), and each validates what it finds rather than trusting a bare pattern:

- NHS numbers (England, Wales, Isle of Man), CHI numbers (Scotland) and H&C numbers
  (Northern Ireland): ten digits run together, grouped 3-3-4, 6-4 or 2-2-2-4 with spaces,
  dots, slashes, underscores, dashes or a line break, or typed as ten spaced digits;
  checked with the ``nhs-number`` package (modulus-11 check digit, issued ranges, CHI
  date-of-birth prefix). A number passing its check digit counts, labelled or not, in an
  issued range or not. One failing it is an order or Datix reference, unless it is
  labelled as a health number: then it is a *probable* identifier (mistyped, still
  identifying). A run of one repeated digit, the 999 test range and numbers beside words
  like "test patient" are not patients.
- Dates of birth: a date (or a year after "born in") just after DOB words, or beside a DOB
  label in another language (Hebrew, Arabic, Urdu, Welsh, Polish, ...).
- UK postcodes (upper case with valid inward letters; any case when the area is a UK
  postcode area), phone numbers through ``phonenumbers`` with region GB (``+44``, ``0044``
  or ``0``, spaces, dots or dashes), email addresses (also spelt out: "x at y dot com"),
  hospital numbers (the trust's ``mrn_pattern`` beside context words), street addresses,
  and names where the wording says a patient (capitalised patterns here; any case and any
  script by context in :mod:`.names`).
- Staff contact details are not patient data: a phone number after "switchboard", "bleep",
  "ext" or "call me", and an email in a staff domain, are dropped.
- Credentials (:mod:`.credentials`) are found too, to be masked; they are evidence of
  nothing here (the rules judge a message that shares a password).

Findings carry kinds and spans in the *raw* message (never the text itself). Detection is
a fixed set of linear regex scans, so long messages cost time in proportion to length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from nhs_number import REGION_ENGLAND_WALES_IOM, REGION_NORTHERN_IRELAND, REGION_SCOTLAND, calculate_checksum

from bot.errors import ConfigError
from bot.screening.credentials import CREDENTIAL, find_credentials
from bot.screening.data import IdentifierContext
from bot.screening.names import NameFinder
from bot.screening.text import Prepared, fold
from bot.screening.vocabulary import load_vocabulary
from bot.types import Finding

# Kinds of finding. Direct identifiers are redacted whenever found; quasi-identifiers
# (street, school) only when the jigsaw score makes the message a flag.
NHS, CHI, HC = "nhs-number", "chi-number", "hc-number"
DOB, POSTCODE, PHONE, EMAIL = "dob", "postcode", "phone", "email"
HOSPITAL, NAME, ADDRESS = "hospital-number", "name", "address"
STREET, SCHOOL = "street", "school"
# A number labelled as an NHS, CHI or H&C number that fails its check digit: a mistyped
# identifier is still one.
PROBABLE = "probable-nhs-number"
DIRECT = (NHS, CHI, HC, PROBABLE, DOB, HOSPITAL, NAME, ADDRESS, PHONE, EMAIL, POSTCODE)
QUASI = (STREET, SCHOOL)
# Masked wherever found, like direct identifiers, but evidence of nothing by themselves
# (the rules judge a message that shares a password).
REDACTED = (*DIRECT, CREDENTIAL)
# Identifiers that point at a patient on their own; the others (phone, email, postcode,
# address) need the message to be about a patient.
SELF_EVIDENT = frozenset({NHS, CHI, HC, PROBABLE, DOB, HOSPITAL, NAME})
PRIORITY = {
    NHS: 10,
    CHI: 10,
    HC: 10,
    PROBABLE: 10,
    CREDENTIAL: 9,
    DOB: 9,
    EMAIL: 8,
    HOSPITAL: 7,
    PHONE: 6,
    POSTCODE: 5,
    ADDRESS: 4,
    NAME: 3,
    STREET: 2,
    SCHOOL: 1,
}

# Ten digits run together, grouped 3-3-4, 6-4 or 2-2-2-4 with any one separator (space,
# dot, slash, underscore, dash, a line break), or typed as ten spaced single digits.
_SEP = r"(?:[ \t]{1,2}|[ \t]?[./_\-\n][ \t]?|[ \t]?\n[ \t]?)"
_TEN_DIGITS = re.compile(
    r"(?<![\w+])(?<!\d[.,/-])"
    rf"(?:\d{{3}}{_SEP}?\d{{3}}{_SEP}?\d{{4}}|\d{{6}}{_SEP}\d{{4}}|\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}?\d{{4}}"
    rf"|\d(?:{_SEP}\d){{9}})"
    r"(?![\w])(?![.,/-]\d)"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?"
_DATE = re.compile(
    r"(?<![\w/])(?:"
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ -](?:of )?{_MONTH}[ ,-]{{1,2}}(?:\d{{4}}|'?\d{{2}})"
    rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|(?<=born in )(?:19|20)\d{2}"
    r")(?![\w/])",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
# In lower or mixed case a postcode must start with one of the UK's postcode areas.
_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC "
    "EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M "
    "ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW "
    "SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
).split()
_POSTCODE_ANY_CASE = re.compile(
    rf"(?i)(?<![a-z0-9])(?:{'|'.join(sorted(_AREAS, key=len, reverse=True))})\d[a-z\d]? ?\d[abd-hjlnp-uw-z]{{2}}(?![a-z0-9])"
)
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)")
# An address spelt out to dodge filters: "john.smith1951 at gmail dot com", "x [at] y [dot] org".
_AT = r"(?:\s*[\[({]\s*at\s*[\])}]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({]\s*dot\s*[\])}]\s*|\s+dot\s+|\.)"
_SPELT_EMAIL = re.compile(
    rf"(?i)(?<![\w.+'-])[\w.+'-]{{1,64}}{_AT}([a-z0-9-]{{1,63}}(?:{_DOT}[a-z0-9-]{{1,63}}){{0,2}}{_DOT}"
    r"(?:com|org|net|uk|co|ac|gov|nhs|scot|wales|ie|io|me|info|edu))(?![\w])"
)
# A GB-shaped phone number: +44, 0044 or 0, then 9 or 10 more digits with optional
# spaces, dots or dashes between them.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00) ?44[ .-]?(?:\(0\)[ .-]?)?|\(?0)\d(?:\)?[ .-]?\d){8,9}(?![\w])")
_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
_DIGIT_THEN_CAP = re.compile(r"\d [A-Z]")
# Cheap gates: a detector whose gate fails on a message cannot match there, so it is skipped.
_GATE_FRAME = re.compile(r"(?:is|was|has|[:=–-]) (?:[A-Z][a-z]*\.? )?[A-Z][a-z]")
_GATE_TWO_CAPS = re.compile(r"[A-Z][a-z]+ (?:Mc|Mac|O')?[A-Z][a-z]")
_TITLE_WORDS = ("mr", "ms", "miss", "mx", "master", "madam", "lady", "sir")
_PATIENT_WORDS = ("patient", "pt", "admission", "transfer", "referral", "arrival", "resident")
_DOB_WORDS = (
    "dob",
    "d.o.b",
    "d o b",
    "birth",
    "born",
    "b.",
    "לידה",
    "נולד",
    "ميلاد",
    "مواليد",
    "ولد",
    "پیدائش",
    "geni",
    "urodz",
    "naissance",
    "né",
    "nacimiento",
    "geb",
    "nascita",
    "nascimento",
    "doğum",
    "dogum",
    "рожд",
    "народж",
    "জন্ম",
    "जन्म",
    "ਜਨਮ",
)
# Date-of-birth labels in other languages staff may write them in (Hebrew, Arabic, Urdu,
# Welsh, Polish, French, Spanish, German, Italian, Portuguese, Turkish, Russian, Ukrainian,
# Bengali, Hindi, Punjabi), before or after the date.
_DOB_LABELS = re.compile(
    r"(?i)תאריך לידה|ת\.? ?לידה|נולדה?|تاريخ الميلاد|تاريخ الولادة|مواليد|ولد|ولدت|تاریخ پیدائش|dyddiad geni|"
    r"data urodzenia|ur\.|urodzon[ay]|date de naissance|née? le|fecha de nacimiento|nacid[oa]|geb\.|geboren|"
    r"data di nascita|nat[oa] il|data de nascimento|doğum tarihi|dogum tarihi|дата рождения|дата народження|"
    r"জন্ম তারিখ|जन्म तिथि|जन्मतिथि|ਜਨਮ ਮਿਤੀ"
)
_NAME_WORD = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,2}}"
_CHI_WORD = re.compile(r"\bchi\b")
_SENTENCE_BREAK = re.compile(r"[.!?\n;]|\s[-–]\s")


@dataclass(frozen=True)
class IdentifierDetector:
    """All identifier detectors, compiled once from the context lexicons and settings."""

    ctx: IdentifierContext
    staff_domains: tuple[str, ...]
    mrn: re.Pattern[str]
    hospital_after_context: re.Pattern[str]
    title_name: re.Pattern[str]
    place_name: re.Pattern[str]
    patient_name: re.Pattern[str]
    name_place: re.Pattern[str]
    person_place_name: re.Pattern[str]
    name_age: re.Pattern[str]
    address: re.Pattern[str]
    street: re.Pattern[str]
    school: re.Pattern[str]
    names: NameFinder

    @classmethod
    def build(cls, ctx: IdentifierContext, staff_domains: tuple[str, ...], mrn_pattern: str) -> IdentifierDetector:
        try:
            mrn = re.compile(mrn_pattern)
        except re.error as exc:
            raise ConfigError(f"setting 'mrn_pattern' is not a valid regular expression: {exc}") from None
        src = ctx.sources
        titles = src["patient_title"]
        place = f"(?i:{src['place']})"
        suffix_street = _title_case(ctx.words["street_suffix"])
        suffix_school = _title_case(ctx.words["school_suffix"])
        return cls(
            ctx=ctx,
            staff_domains=tuple(d.lower().lstrip("@.") for d in staff_domains if d.strip()),
            mrn=mrn,
            hospital_after_context=re.compile(
                rf"(?i:{src['hospital_number']})[\s:.#=-]{{0,4}}([A-Z]{{0,3}}\d{{5,10}})"
            ),
            title_name=re.compile(rf"(?i:{titles})\.? ({_NAME})"),
            place_name=re.compile(
                rf"{place} ?\d{{0,3}}[a-zA-Z]?:? ?(?:is|was|=|:|-|–|has) (?:(?i:{titles})\.? )?({_NAME})"
            ),
            patient_name=re.compile(
                rf"(?i:(?<![a-z])(?:patient|pt|admission|transfer|referral|arrival|resident)s?(?:[^.!?\n]{{0,30}}?)(?: is|:|-| called| named| name is| =))[ \t]+({_NAME})"
            ),
            name_place=re.compile(
                rf"(?<![A-Za-z])({_NAME_WORD} {_NAME_WORD}(?: {_NAME_WORD})?) (?i:(?:is |was )?(?:back |still |now |)(?:in|on|from) )"
                rf"(?:{place} ?\d|(?i:(?:our |the )?(?:resus|majors|minors|hdu|itu|icu|ccu|ward|a ?& ?e|ed|side ?room|amu|cdu|recovery)\b))"
            ),
            person_place_name=re.compile(
                r"(?i:(?<![a-z])(?:lady|man|gent|guy|woman|lad|girl|boy|chap|bloke|fella|patient|pt|gentleman|dear)"
                rf" (?:in|on) (?:{src['place']} ?)?\d{{1,3}}[a-z]?:? ?(?:is|was|=|:|-|–) )(?:(?i:{titles})\.? )?({_NAME})"
            ),
            name_age=re.compile(
                rf"(?<![A-Za-z])({_NAME_WORD} {_NAME_WORD}),? (?i:aged? )?\d{{1,3}}(?: ?(?i:yo|y/o|years?|yrs?)| ?[MF])?(?=[,.;)]| (?i:and|with|who|from|the|is|has|was))"
            ),
            address=re.compile(
                rf"(?<![\w/])(?:(?i:flat|apartment|apt) \d{{1,4}}[A-Za-z]?,? )?\d{{1,4}}[A-Za-z]?,? "
                rf"(?:{_NAME_WORD} ){{1,3}}(?:{suffix_street})\b"
            ),
            street=re.compile(rf"(?<![\w])(?:{_NAME_WORD} ){{1,2}}(?:{suffix_street})\b"),
            school=re.compile(rf"(?<![\w])(?:{_NAME_WORD} ){{1,2}}(?:{suffix_school})\b"),
            names=NameFinder(
                load_vocabulary(),
                ctx.words["not_a_name"],
                titles,
                ctx.words["street_suffix"] | ctx.words["school_suffix"],
            ),
        )

    # -- helpers -----------------------------------------------------------------------
    def _before(self, text: str, start: int, width: int = 28) -> str:
        return fold(text[max(0, start - width) : start])

    def _clause(self, text: str, start: int, end: int, width: int = 90) -> str:
        """The sentence around a span (cut at sentence breaks), folded."""
        left = text[max(0, start - width) : start]
        right = text[end : end + width]
        breaks = list(_SENTENCE_BREAK.finditer(left))
        if breaks:
            left = left[breaks[-1].end() :]
        m = _SENTENCE_BREAK.search(right)
        if m:
            right = right[: m.start()]
        return fold(left + " " + right)

    def _is_name(self, words: str) -> bool:
        first = words.split(" ")[0].lower()
        return first not in self.ctx.words["not_a_name"] and all(
            w.lower() not in self.ctx.words["not_a_name"] for w in words.split(" ")[-1:]
        )

    # -- detectors ---------------------------------------------------------------------
    def _health_numbers(self, text: str, out: list[Finding]) -> None:
        for m in _TEN_DIGITS.finditer(text):
            digits = _NON_DIGIT.sub("", m.group())
            if len(digits) != 10 or len(set(digits)) == 1 or digits.startswith("999"):
                continue
            check_ok = calculate_checksum(digits[:9]) == int(digits[9])
            scottish = REGION_SCOTLAND.contains_number(digits)
            before = self._before(text, m.start())
            named = self.ctx.search("nhs_number", before)
            if not (check_ok or scottish):
                # An order or Datix reference, unless it is labelled as a health number:
                # then it is a mistyped one, and still identifies.
                if named and not self.ctx.search("test_record", fold(text[max(0, m.start() - 40) : m.end() + 40])):
                    out.append(Finding(PROBABLE, m.start(), m.end(), 0.7))
                continue
            around = fold(text[max(0, m.start() - 40) : m.end() + 40])
            if self.ctx.search("test_record", around):
                continue
            if scottish:
                # A CHI number starts with the date of birth (DDMMYY).
                if not _valid_ddmmyy(digits):
                    continue
                if check_ok:
                    out.append(Finding(CHI, m.start(), m.end(), 1.0))
                elif named and _CHI_WORD.search(before):
                    out.append(Finding(CHI, m.start(), m.end(), 0.8))
                elif named:
                    out.append(Finding(PROBABLE, m.start(), m.end(), 0.7))
            elif not check_ok:
                if named:
                    out.append(Finding(PROBABLE, m.start(), m.end(), 0.7))
            elif REGION_NORTHERN_IRELAND.contains_number(digits):
                out.append(Finding(HC, m.start(), m.end(), 1.0))
            elif REGION_ENGLAND_WALES_IOM.contains_number(digits):
                out.append(Finding(NHS, m.start(), m.end(), 1.0))
            else:
                # A valid check digit outside the issued ranges: labelled, or not, a
                # ten-digit number that passes modulus 11 is treated as a health number.
                out.append(Finding(NHS, m.start(), m.end(), 0.9 if named else 0.8))

    def _dates_of_birth(self, text: str, out: list[Finding]) -> None:
        low = text.lower()
        if not any(w in low for w in _DOB_WORDS):
            return
        for m in _DATE.finditer(text):
            before = self._before(text, m.start(), 40)
            after = fold(text[m.end() : m.end() + 10])
            if (
                self.ctx.search("date_of_birth", before)
                or after.lstrip(" ([").startswith(("dob", "d.o.b"))
                or _DOB_LABELS.search(text, max(0, m.start() - 30), m.end() + 30)
            ):
                out.append(Finding(DOB, m.start(), m.end(), 1.0))

    def _postcodes(self, text: str, out: list[Finding]) -> None:
        for m in _POSTCODE.finditer(text):
            out.append(Finding(POSTCODE, m.start(), m.end(), 0.9))
        if not text.isupper():
            for m in _POSTCODE_ANY_CASE.finditer(text):
                out.append(Finding(POSTCODE, m.start(), m.end(), 0.8))

    def _emails(self, text: str, out: list[Finding]) -> None:
        for m in _EMAIL.finditer(text):
            domain = m.group(1).lower()
            if any(domain == d or domain.endswith("." + d) for d in self.staff_domains):
                continue
            out.append(Finding(EMAIL, m.start(), m.end(), 0.9))

    def _spelt_emails(self, text: str, out: list[Finding]) -> None:
        for m in _SPELT_EMAIL.finditer(text):
            domain = re.sub(r"(?i)\W*dot\W*|\W+", ".", m.group(1)).strip(".").lower()
            if any(domain == d or domain.endswith("." + d) for d in self.staff_domains):
                continue
            out.append(Finding(EMAIL, m.start(), m.end(), 0.8))

    def _phones(self, text: str, out: list[Finding]) -> None:
        for m in _PHONE.finditer(text):
            written = re.sub(r"[^\d+]", "", m.group())
            written = "+" + written[2:] if written.startswith("00") else written
            try:
                number = phonenumbers.parse(written, "GB")
            except phonenumbers.NumberParseException:
                continue
            # Ofcom's drama ranges (07700 900xxx) are possible but not "valid" numbers; a
            # GB-shaped possible number is still a phone number as far as privacy goes.
            if not (phonenumbers.is_possible_number(number) or phonenumbers.is_valid_number(number)):
                continue
            if self.ctx.search("staff_contact", self._before(text, m.start(), 32)):
                continue
            out.append(Finding(PHONE, m.start(), m.end(), 0.9))

    def _hospital_numbers(self, text: str, out: list[Finding]) -> None:
        for m in self.mrn.finditer(text):
            if self.ctx.search("hospital_number", self._before(text, m.start(), 24)):
                out.append(Finding(HOSPITAL, m.start(), m.end(), 1.0))
        for m in self.hospital_after_context.finditer(text):
            out.append(Finding(HOSPITAL, m.start(1), m.end(1), 0.9))

    def _names(self, text: str, out: list[Finding]) -> None:
        low = text.lower()
        if any(w in low for w in _TITLE_WORDS):
            self._titled_names(text, out)
        patterns: list[re.Pattern[str]] = []
        framed = _GATE_FRAME.search(text) is not None
        if framed:
            patterns += [self.place_name, self.person_place_name]
            if any(w in low for w in _PATIENT_WORDS):
                patterns.append(self.patient_name)
        if _GATE_TWO_CAPS.search(text):
            patterns.append(self.name_age)
            if " in " in low or " on " in low or " from " in low:
                patterns.append(self.name_place)
        for pattern in patterns:
            for m in pattern.finditer(text):
                name = m.group(1)
                if self._is_name(name) and not self.ctx.search("staff_title", self._before(text, m.start(1), 12)):
                    out.append(Finding(NAME, m.start(1), m.end(1), 0.95))

    def _patient_clause(self, text: str, start: int, end: int, others: bool) -> bool:
        """A titled name at ``text[start:end]`` is a patient's: the clause says so, or the
        message holds another patient identifier, and no staff wording says otherwise."""
        head = fold(text[max(0, start - 24) : start])
        if self.ctx.search("staff_title", head[-12:]):
            return False
        clause = self._clause(text, start, end)
        if self.ctx.search("name_staff_clause", clause):
            return False
        return others or self.ctx.search("name_patient_clause", clause)

    def _context_names(self, text: str, out: list[Finding]) -> None:
        """Names in any case or script after patient wording, a place or a title, and
        names beside another identifier (:mod:`.names`)."""
        others = [
            f for f in out if f.kind in SELF_EVIDENT and f.kind != NAME or f.kind in (PHONE, POSTCODE, EMAIL, ADDRESS)
        ]
        # A titled name is a patient's beside another identifier or contact detail of theirs.
        linked = bool(others)
        for start, end in self.names.after_context(text, lambda a, b: self._patient_clause(text, a, b, linked)):
            if not self.ctx.search("staff_title", self._before(text, start, 12)):
                out.append(Finding(NAME, start, end, 0.85))
        if others:
            labels = [(m.start(), m.end()) for m in _DOB_LABELS.finditer(text)]
            for start, end in self.names.beside(text, [(f.start, f.end) for f in others]):
                if any(a < end and start < b for a, b in labels):
                    continue  # a date-of-birth label in another script, not a name
                if not self.ctx.search("staff_title", self._before(text, start, 12)):
                    out.append(Finding(NAME, start, end, 0.8))

    def _titled_names(self, text: str, out: list[Finding]) -> None:
        for m in self.title_name.finditer(text):
            if not self._is_name(m.group(1)):
                continue
            head = fold(text[max(0, m.start() - 24) : m.start()])
            if self.ctx.search("staff_title", head[-12:]):
                continue
            clause = self._clause(text, m.start(), m.end())
            if self.ctx.search("name_patient_clause", clause) and not self.ctx.search("name_staff_clause", clause):
                out.append(Finding(NAME, m.start(), m.end(), 0.9))

    def _places(self, text: str, out: list[Finding]) -> None:
        if not _GATE_TWO_CAPS.search(text) and not _DIGIT_THEN_CAP.search(text):
            return
        for m in self.address.finditer(text):
            out.append(Finding(ADDRESS, m.start(), m.end(), 0.9))
        for m in self.street.finditer(text):
            if self._is_name(m.group().split(" ")[0]):
                out.append(Finding(STREET, m.start(), m.end(), 0.6))
        for m in self.school.finditer(text):
            if self._is_name(m.group().split(" ")[0]):
                out.append(Finding(SCHOOL, m.start(), m.end(), 0.6))

    def detect(self, prepared: Prepared) -> list[Finding]:
        """Identifier and credential findings in the raw message, without overlaps, in
        text order. The detectors search :attr:`Prepared.scan` (links, URLs and code spans
        unwrapped)."""
        text = prepared.scan
        found: list[Finding] = []
        if _DIGIT.search(text):
            self._health_numbers(text, found)
            self._dates_of_birth(text, found)
            self._postcodes(text, found)
            self._phones(text, found)
            self._hospital_numbers(text, found)
        if "@" in text:
            self._emails(text, found)
        if " at " in text or "[at]" in text or "(at)" in text:
            self._spelt_emails(text, found)
        self._names(text, found)
        self._places(text, found)
        self._context_names(text, found)
        found += [Finding(CREDENTIAL, start, end, 0.9) for start, end in find_credentials(text)]
        if not found:
            return []
        found += _repeats(text, found)
        kept = _without_overlaps(found)
        return [Finding(f.kind, *prepared.to_original(f.start, f.end), f.score) for f in kept]


def _title_case(words: frozenset[str]) -> str:
    """An alternation of the words in Title Case, longest first (street and school names)."""
    return "|".join(re.escape(w.title()) for w in sorted(words, key=len, reverse=True))


def _valid_ddmmyy(digits: str) -> bool:
    """The first six digits are a real calendar date (as the ``nhs-number`` package checks)."""
    try:
        datetime.strptime(digits[:6], "%d%m%y")
    except ValueError:
        return False
    return True


def _repeats(text: str, found: list[Finding]) -> list[Finding]:
    """Other places the same identifier appears (a name said twice, once without context),
    so redaction leaves no copy behind."""
    extra: list[Finding] = []
    seen: set[str] = set()
    for f in found:
        if f.kind in QUASI:
            continue
        value = text[f.start : f.end]
        values = [value]
        if f.kind == NAME:  # the surname alone identifies too
            values.append(value.split(" ")[-1])
        for v in values:
            if len(v) < 3 or v in seen:
                continue
            seen.add(v)
            pos = text.find(v)
            while pos != -1 and len(extra) < 1000:
                if not f.start <= pos < f.end and _whole(text, pos, pos + len(v)):
                    extra.append(Finding(f.kind, pos, pos + len(v), f.score))
                pos = text.find(v, pos + 1)
    return extra


def _whole(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or after.isalnum())


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    """Keep the higher-priority (then longer) finding wherever two overlap.

    The kept findings never overlap one another, so, held in order of start, a candidate
    can only overlap the kept finding starting just before it or the one starting at or
    after it: two binary searches a candidate, not a pass over every kept finding (a
    40,000-character message can hold thousands of candidates)."""
    ranked = sorted(found, key=lambda f: (-PRIORITY[f.kind], -(f.end - f.start), f.start))
    starts: list[int] = []
    kept: list[Finding] = []  # in order of start, like ``starts``
    for f in ranked:
        i = bisect.bisect_left(starts, f.start)
        if i > 0 and kept[i - 1].end > f.start:
            continue
        if i < len(kept) and kept[i].start < f.end and kept[i].end > f.start:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept
