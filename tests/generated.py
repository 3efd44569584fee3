"""Generated staff messages holding patient identifiers, for the privacy proofs.

:func:`generate(seed)` builds one message from a template with Faker values (names from
many locales; UK addresses, postcodes and phone numbers; emails; dates of birth), valid
NHS, CHI and H&C numbers, and credentials, each written in one of the forms issue 12 lists:
numbers run together, grouped with spaces, dots, slashes, underscores or dashes, split over
two lines, typed as spaced single digits, inside a code span, a link or a URL path; names
with or without a title, in lower case, with Cyrillic look-alike letters, in Arabic
script; ``0044`` and dotted phone numbers; postcodes in lower case; spelt-out emails; a
Hebrew-labelled date of birth. It returns the text and the :class:`~tests.privacy.Needle`
strings that must never appear in anything stored, posted or logged.

``GENERATED_MESSAGES`` is how many the store-side proof screens: a fixed sample of 400 in
``make test``, ``GMCBOT_FUZZ_MESSAGES`` (``make fuzz`` sets 10,000) otherwise; the adapter
proofs take ``ADAPTER_MESSAGES`` (30, or a twentieth of that).
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from functools import cache

from faker import Faker
from nhs_number import calculate_checksum

from tests.privacy import Needle, spellings

GENERATED_MESSAGES = int(os.environ.get("GMCBOT_FUZZ_MESSAGES", "0") or 0) or 400
# Through the chat adapters (slower: real Bolt app, real discord.py, fake platform APIs).
ADAPTER_MESSAGES = max(30, GENERATED_MESSAGES // 20)
NAME_LOCALES = (
    "en_GB",
    "en_GB",
    "en_GB",
    "en_IE",
    "en_IN",
    "en_NG",
    "fr_FR",
    "de_DE",
    "pl_PL",
    "es_ES",
    "it_IT",
    "tr_TR",
    "pt_PT",
    "ar_AA",
    "zh_CN",
    "hi_IN",
    "yo_NG",
    "ga_IE",
)
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx")
# Cyrillic letters that look like Latin ones.
LOOK_ALIKES = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "i": "і",
    "A": "А",
    "E": "Е",
    "O": "О",
    "P": "Р",
    "C": "С",
    "H": "Н",
    "K": "К",
    "M": "М",
    "T": "Т",
    "B": "В",
    "j": "ј",
    "s": "ѕ",
}


@dataclass(frozen=True)
class Generated:
    text: str
    needles: tuple[Needle, ...]
    kinds: tuple[str, ...]  # what the message holds, e.g. ("nhs-number", "name")
    about_patient: bool  # the wording or a health number or DOB says it is a patient's: must be flagged


@cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _check(digits9: str) -> str | None:
    check = calculate_checksum(digits9)
    return None if check == 10 else digits9 + str(check)


def _ten(rng: random.Random, kind: str) -> str:
    while True:
        if kind == "nhs-number":
            first = rng.choice([str(rng.randint(400, 499)), str(rng.randint(600, 799))])
            body = first + f"{rng.randint(0, 999999):06d}"
        elif kind == "hc-number":
            body = str(rng.randint(320, 399)) + f"{rng.randint(0, 999999):06d}"
        else:  # CHI: DDMMYY then four digits
            body = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}{rng.randint(0, 999):03d}"
        number = _check(body)
        if number and len(set(number)) > 1:
            return number


def _number_form(rng: random.Random, digits: str) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        [
            digits,
            f"{a} {b} {c}",
            f"{a}-{b}-{c}",
            f"{a}.{b}.{c}",
            f"{a}/{b}/{c}",
            f"{a}_{b}_{c}",
            f"{a} {b}\n{c}",
            " ".join(digits),
            f"`{digits}`",
            f"<https://ehr.example.nhs.uk/record/{digits}|record>",
            f"https://ehr.example.nhs.uk/patients/{digits}/notes",
            f"{digits[:6]} {digits[6:]}",
            f"*{a} {b} {c}*",
        ]
    )


def _look_alike(rng: random.Random, word: str) -> str:
    return "".join(LOOK_ALIKES.get(ch, ch) if rng.random() < 0.6 else ch for ch in word)


def _person(rng: random.Random) -> tuple[str, str, str]:
    fake = _faker(rng.choice(NAME_LOCALES))
    fake.seed_instance(rng.randint(0, 2**31))
    return fake.first_name(), fake.last_name(), str(getattr(fake, "locale", ""))


def _name_needles(parts: list[str], written: str) -> list[Needle]:
    """What must not survive of a name: the name as written, and each part (whole word,
    any case). A part that is also a common word ("May", "Ward": kept by the excerpt in
    lower case, see docs/audit.md) is looked for only as capitalised in the message."""
    from bot.screening.safe_excerpt import FUNCTION_WORDS
    from bot.screening.vocabulary import load_vocabulary

    common = load_vocabulary().name_words | FUNCTION_WORDS
    needles: list[Needle] = []
    plain = [p for p in parts if p]
    everyday = [p for p in plain if p.lower() in common]
    if len(everyday) < len(plain) or written[:1].isupper():
        needles.append(Needle(written.strip(), "name"))
    for part in plain:
        if len(part) < 3:
            continue
        if part.lower() in common:
            if part in written:
                needles.append(Needle(part, "name", word=True, exact=True))
        else:
            needles.append(Needle(part, "name", word=True))
    return needles


def generate(seed: int) -> Generated:
    """One generated message (deterministic for ``seed``)."""
    rng = random.Random(seed)
    gb = _faker("en_GB")
    gb.seed_instance(seed)
    needles: list[Needle] = []
    kinds: list[str] = []
    parts: list[str] = []

    # A name, in one of the forms.
    first, last, _ = _person(rng)
    style = rng.randrange(6)
    title = rng.choice(TITLES)
    if style == 0:
        written = f"{title} {first} {last}"
    elif style == 1:
        written = f"{title.lower()} {first.lower()} {last.lower()}"
    elif style == 2:
        written = f"{title} {_look_alike(rng, first)} {_look_alike(rng, last)}"
    elif style == 3:
        written = f"{first} {last}"
    elif style == 4:
        written = f"{first.lower()} {last.lower()}"
    else:
        written = f"{title} {last}"
    needles += _name_needles([first if style != 5 else "", last], written)
    if style == 2:  # the look-alike spelling itself, too
        needles += [Needle(w, "name", word=True) for w in written.split()[1:] if len(w) >= 3 and not w.isascii()]
    kinds.append("name")

    # One or two more identifiers.
    extras = rng.sample(
        ["health", "dob", "postcode", "phone", "email", "address", "credential", "hebrew-dob"], k=rng.choice([1, 2])
    )
    for extra in extras:
        if extra == "health":
            kind = rng.choice(["nhs-number", "nhs-number", "chi-number", "hc-number"])
            digits = _ten(rng, kind)
            label = {
                "nhs-number": rng.choice(["NHS", "NHS no", "nhs number", ""]),
                "chi-number": rng.choice(["CHI", "CHI no"]),
                "hc-number": rng.choice(["H&C", "H&C no"]),
            }[kind]
            parts.append(f"{label} {_number_form(rng, digits)}".strip())
            needles += [Needle(s, kind) for s in spellings(kind, digits)]
            kinds.append(kind)
        elif extra in ("dob", "hebrew-dob"):
            born = gb.date_of_birth(minimum_age=1, maximum_age=99)
            date = born.strftime(rng.choice(["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"]))
            label = "תאריך לידה:" if extra == "hebrew-dob" else rng.choice(["DOB", "dob", "D.O.B.", "born"])
            parts.append(f"{label} {date}")
            needles += [Needle(s, "dob") for s in spellings("dob", date)]
            kinds.append("dob")
        elif extra == "postcode":
            postcode = gb.postcode()
            parts.append(rng.choice([postcode, postcode.lower()]))
            needles += [Needle(s, "postcode") for s in spellings("postcode", postcode.upper())]
            kinds.append("postcode")
        elif extra == "phone":
            local = f"07700 900{rng.randint(0, 999):03d}"
            digits = local.replace(" ", "")
            written_phone = rng.choice(
                [
                    local,
                    "+44 " + local[1:],
                    "0044 " + local[1:],
                    f"{digits[:5]}.{digits[5:8]}.{digits[8:]}",
                    gb.phone_number(),
                ]
            )
            parts.append(f"call {written_phone}")
            phone_digits = re.sub(r"\D", "", written_phone)
            needles += [Needle(s, "phone") for s in spellings("phone", phone_digits)]
            kinds.append("phone")
        elif extra == "email":
            user = f"{first}.{last}{rng.randint(1940, 2005)}".lower()
            user = re.sub(r"[^a-z0-9.]", "", user) or "pt"
            domain = rng.choice(["gmail.com", "hotmail.co.uk", "yahoo.com", "outlook.com"])
            if rng.random() < 0.5:
                email = f"{user}@{domain}"
            else:
                email = f"{user} at {domain.replace('.', ' dot ')}"
            parts.append(f"email {email}")
            needles += [Needle(f"{user}@{domain}", "email")] + ([Needle(user, "email")] if len(user) >= 6 else [])
            kinds.append("email")
        elif extra == "address":
            street = gb.street_name()
            number = rng.randint(2, 240)
            parts.append(f"lives at {number} {street}")
            needles.append(Needle(f"{number} {street}", "address"))
            kinds.append("address")
        else:
            secret = rng.choice(
                [gb.password(length=12), f"{rng.choice(['Winter', 'Summer', 'Spring'])}{rng.randint(2020, 2029)}!"]
            )
            pin = f"{rng.randint(0, 9999):04d}"
            parts.append(rng.choice([f"my password is {secret}", f"pw: {secret}", f"PIN {pin}", f"door code is {pin}"]))
            needles += [Needle(secret, "credential")]
            kinds.append("credential")

    template = rng.randrange(6)
    details = ", ".join(parts)
    if template == 0:
        text = f"{written} {details} is in bed {rng.randint(1, 30)}, please review"
    elif template == 1:
        text = f"{details} {written} - bloods due"
    elif template == 2:
        text = f"Patient {written}, {details}. Can someone chase the CT?"
    elif template == 3:
        text = f"bed {rng.randint(1, 30)} is {written} ({details}), for discharge today"
    elif template == 4:
        text = f"Handover: pt {written}\n{details}\nNEWS 3, obs stable"
    else:
        text = f"Can you ring about {written}? {details}"
    # A run of digits (a number or date run together) or a compact postcode ("CF09DF")
    # turns up by chance inside the random hex ids stored beside thousands of flags: look
    # for them as whole words (a leaked one stands alone).
    needles = [
        Needle(n.text, n.kind, word=True) if n.text.isdigit() or (n.kind == "postcode" and " " not in n.text) else n
        for n in needles
    ]
    about = template in (2, 3, 4) or bool({"nhs-number", "chi-number", "hc-number", "dob"} & set(kinds))
    return Generated(text, tuple(n for n in needles if len(n.text) >= 4 or n.word), tuple(kinds), about)
