"""Find credentials in a message so redaction masks them like identifiers.

A credential is a password, PIN, passcode or one-time code. Screening does not need its
value to flag the message (the ``sharing-credentials`` rule does that from the wording),
but the value must never be stored, posted to moderators or logged. Two detectors:

- **labelled**: a credential word ("password", "pw", "PIN", "passcode", "door code",
  "OTP", "verification code", "login ... / ...") then, after an optional "is", "was", ":",
  "=", "-" or quote, the value: the next token (for code words only a token with a
  digit, so "the code is broken" is left alone). ``user / password`` after "login" masks
  both halves;
- **password-shaped**: a token of 8 to 64 characters mixing lower case, upper case,
  digits and a symbol (``Winter2024!``), which ordinary words and numbers never are.

Spans are of the detectors' view of the message (:attr:`Prepared.scan`); one regex pass each.
"""

from __future__ import annotations

import re

CREDENTIAL = "credential"

_SECRET = (
    r"pass ?words?|passwd|pwd|pw|pass ?codes?|pass ?phrases?|passkey|pins?(?: (?:no|number|code))?"
    r"|smart ?card pin|epr pin|sim pin"
)
_CODE = (
    r"(?:door|keypad|key ?safe|lock|access|security|verification|authentication|auth|one[- ]time|2fa|mfa"
    r"|login|log-?in|sms|text|alarm|safe|gate|entry|otp) ?codes?|otp|one[- ]time pass ?(?:word|code)"
)
_JOIN = r"(?:\s*(?:is|was|=|:|-|'s|are|for \w+ is|to \w+ is|of)?\s*[\"']?\s*)"
_VALUE = r"([^\s\"',;]{1,64})"
_LABELLED = re.compile(rf"(?i)(?<![\w])(?:{_SECRET})(?![\w]){_JOIN}{_VALUE}")
_CODED = re.compile(rf"(?i)(?<![\w])(?:{_CODE})(?![\w]){_JOIN}([^\s\"',;]{{0,30}}\d[^\s\"',;]{{0,30}})")
_LOGIN_PAIR = re.compile(
    r"(?i)(?<![\w])(?:log ?in|login|logon|username|user ?name|credentials)(?:\s+(?:is|was|details|with|:|=))*"
    r"\s*[:=]?\s*([^\s/]{1,64})\s*/\s*([^\s]{1,64})"
)
_SHAPED = re.compile(
    r"(?<![^\s(\[\"'])(?=[^\s]{0,63}[a-z])(?=[^\s]{0,63}[A-Z])(?=[^\s]{0,63}\d)"
    r"(?=[^\s]{0,63}[!@#$%^&*?£€+=~])[^\s]{8,64}(?![^\s)\]\"'.,;:])"
)
_TRAILING = re.compile(r"[.,;:)\]]+$")
# Words that can follow "password" without being one.
_NOT_A_VALUE = frozenset(
    """
is was are the a an my your his her their our to for of and or but on in at with reset resets policy policies
manager expired expires expiry change changed changes changing forgot forgotten please again rules protected
locked lock unlock hint needed required sharing shared share never always only protect protection
""".split()
)


def _value_span(m: re.Match[str], group: int) -> tuple[int, int] | None:
    value = m.group(group)
    trimmed = _TRAILING.sub("", value) if not re.search(r"[!?@#$%^&*]$", value) else value
    if not trimmed or trimmed.lower() in _NOT_A_VALUE:
        return None
    return m.start(group), m.start(group) + len(trimmed)


def find_credentials(text: str) -> list[tuple[int, int]]:
    """Spans of credential values in ``text``, each once (they may overlap; the caller
    merges them)."""
    spans: list[tuple[int, int]] = []
    low = text.lower()
    if any(w in low for w in ("pass", "pw", "pin", "code", "otp", "log", "user", "credential")):
        for pattern in (_LABELLED, _CODED):
            for m in pattern.finditer(text):
                span = _value_span(m, 1)
                if span is not None:
                    spans.append(span)
        for m in _LOGIN_PAIR.finditer(text):
            for group in (1, 2):
                span = _value_span(m, group)
                if span is not None:
                    spans.append(span)
    spans += [(m.start(), m.end()) for m in _SHAPED.finditer(text)]
    return sorted(set(spans))
