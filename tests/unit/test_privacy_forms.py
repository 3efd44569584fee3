"""Every written form issue 12 found slipping through is flagged and leaves nothing behind.

Each case is a message and the strings of it that must not survive. The message must be
flagged ``patient-identifiable`` (or, for credentials, flagged at all), and none of the
strings may appear in the stored text (the safe excerpt) or the flag."""

from __future__ import annotations

import json

import pytest

from bot.config import Settings
from bot.corpus import load_corpus
from bot.screening import Screener
from bot.types import Message
from index.embedders import HashingEmbedder
from tests.privacy import unsafe_tokens

CASES = {
    "name beside other identifiers": (
        "Mr John Smith NHS 943 476 5919 DOB 03/03/1951 LS1 4AB, call +44 7700 900123",
        ["John", "Smith", "943 476 5919", "03/03/1951", "LS1 4AB", "7700 900123"],
    ),
    "name after a labelled number": ("NHS: 943 476 5919 Mrs Edna Higginbottom", ["Edna", "Higginbottom", "5919"]),
    "blind-set names": (
        "Agnes McLeod and Declan O'Hare in bay 2, Mrs Priya Patel in bed 5, Gareth Lloyd in resus",
        ["Agnes", "McLeod", "Declan", "O'Hare", "Priya", "Patel", "Gareth", "Lloyd"],
    ),
    "check digit fails but labelled": ("NHS 485 777 3456 needs a repeat ECG", ["485 777 3456", "4857773456"]),
    "unlabelled": ("chase the bloods for 943 476 5919 please", ["943 476 5919"]),
    "dotted": ("pt 943.476.5919 for review", ["943.476.5919"]),
    "slashed": ("pt 943/476/5919 for review", ["943/476/5919"]),
    "underscored": ("pt 943_476_5919 for review", ["943_476_5919"]),
    "over two lines": ("NHS number 943 476\n5919 for review", ["5919", "943 476"]),
    "spaced digits": ("NHS 9 4 3 4 7 6 5 9 1 9 for review", ["9 4 3 4 7 6 5 9 1 9"]),
    "code span": ("patient NHS `9434765919` in resus", ["9434765919"]),
    "link": ("see <https://ehr.example.nhs.uk/p/9434765919|her record> for the patient", ["9434765919"]),
    "URL path": ("patient record https://ehr.example.nhs.uk/patients/9434765919/notes", ["9434765919"]),
    "lower-case name": ("mrs edna higginbottom in bed 4 is confused again", ["edna", "higginbottom"]),
    "lower-case postcode": ("patient in bed 4 lives at ls1 4ab", ["ls1 4ab"]),
    "look-alike letters": ("Мrs Еdnа Ніgginbоttоm in bed 4 has COPD", ["Higginbottom", "Ніgginbоttоm", "Edna"]),
    "0044 phone": ("daughter's number for the patient in bed 3: 0044 7700 900123", ["7700 900123", "7700900123"]),
    "dotted phone": ("ring her daughter about bed 3 on 07700.900.123", ["07700.900.123", "900.123"]),
    "spelt-out email": ("patient in bed 3 is john.smith1951 at gmail dot com", ["john.smith1951", "smith1951"]),
    "Arabic-script name": ("Patient محمد أحمد in bed 3 is for discharge", ["محمد", "أحمد"]),
    "Hebrew-labelled DOB": ("patient in bed 3, תאריך לידה: 03/03/1951", ["03/03/1951", "1951"]),
    "password": ("my epic password is Winter2024! if you need to chart", ["Winter2024"]),
    "PIN": ("the drug cupboard PIN is 4821, don't tell pharmacy", ["4821"]),
}


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return Screener(Settings(data_dir=tmp_path_factory.mktemp("forms")), load_corpus(), HashingEmbedder())


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_listed_form_is_flagged_and_redacted(screener: Screener, case: str) -> None:
    text, secrets = CASES[case]
    result = screener.screen(Message(text=text))
    assert result.flag is not None, f"not flagged: {text!r}"
    if case not in ("password", "PIN"):
        assert "patient-identifiable" in {c.value for c in result.flag.categories}, result.flag.categories
    stored = json.dumps(result.to_json(), ensure_ascii=False) + result.flag.redacted
    assert [s for s in secrets if s.lower() in stored.lower()] == [], result.redacted
    assert unsafe_tokens(result.redacted) == []
