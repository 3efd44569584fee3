"""Identifier detectors: validated numbers, contact details, names in patient context."""

from __future__ import annotations

import random

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.screening.data import load_screening_data
from bot.screening.identifiers import PRIORITY, IdentifierDetector, _without_overlaps
from bot.screening.text import prepare
from bot.types import Finding


@pytest.fixture(scope="module")
def detector() -> IdentifierDetector:
    s = Settings()
    return IdentifierDetector.build(load_screening_data().identifiers, s.staff_email_domains, s.mrn_pattern)


def kinds(detector: IdentifierDetector, text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detector.detect(prepare(text))]


# -- NHS, CHI and H&C numbers -----------------------------------------------------------------
@pytest.mark.parametrize("text", ["NHS no 943 476 5919", "nhs: 943-476-5919", "NHS number 9434765919"])
def test_nhs_number_in_any_layout_beside_nhs_words(detector: IdentifierDetector, text: str) -> None:
    assert [k for k, _ in kinds(detector, text)] == ["nhs-number"]


def test_issued_england_number_needs_no_context(detector: IdentifierDetector) -> None:
    assert kinds(detector, "chase the bloods for 726 018 1591 please") == [("nhs-number", "726 018 1591")]


def test_failing_check_digit_is_a_probable_number_only_when_labelled(detector: IdentifierDetector) -> None:
    assert kinds(detector, "Datix ref 9078666610 closed") == []
    # A mistyped number labelled as an NHS number still identifies (issue 12).
    assert kinds(detector, "NHS no 943 476 5918") == [("probable-nhs-number", "943 476 5918")]
    assert kinds(detector, "NHS 485 777 3456") == [("probable-nhs-number", "485 777 3456")]


def test_unissued_range_counts_without_nhs_words(detector: IdentifierDetector) -> None:
    # 9434765919 passes modulus 11 but sits in a range that is not issued: still treated as
    # a health number, labelled or not (issue 12: unlabelled NHS numbers passed).
    assert kinds(detector, "order 9434765919 has shipped") == [("nhs-number", "9434765919")]


def test_repeated_digits_and_test_range_are_not_patients(detector: IdentifierDetector) -> None:
    assert kinds(detector, "NHS no 444 444 4444") == []
    assert kinds(detector, "NHS no 999 000 0018 on the training system") == []
    assert kinds(detector, "use test patient NHS 401 023 2137 in the training EPR") == []


def test_chi_number_valid_date_and_check_digit(detector: IdentifierDetector) -> None:
    assert kinds(detector, "CHI 2303541239") == [("chi-number", "2303541239")]
    assert kinds(detector, "CHI 230354 1239") == [("chi-number", "230354 1239")]


def test_chi_beside_chi_word_with_other_check_scheme(detector: IdentifierDetector) -> None:
    # Valid date prefix, failing modulus 11: kept only where the text says CHI.
    assert kinds(detector, "CHI no 2303541230") == [("chi-number", "2303541230")]
    assert kinds(detector, "ref 2303541230") == []


def test_chi_with_impossible_date_is_not_a_chi(detector: IdentifierDetector) -> None:
    # Not a CHI number, but labelled as one: a probable (mistyped) identifier.
    assert kinds(detector, "CHI 3213541236") == [("probable-nhs-number", "3213541236")]


def test_northern_ireland_hc_number(detector: IdentifierDetector) -> None:
    assert kinds(detector, "H&C 352 718 9041") == [("hc-number", "352 718 9041")]


def test_numbers_inside_longer_runs_or_decimals_are_ignored(detector: IdentifierDetector) -> None:
    assert kinds(detector, "serial 97260181591 and 3.7260181591") == []


# -- dates of birth ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,date",
    [
        ("DOB 12/03/1954", "12/03/1954"),
        ("d.o.b: 12.3.54", "12.3.54"),
        ("her date of birth is 3rd March 1988", "3rd March 1988"),
        ("born on 1954-03-12", "1954-03-12"),
        ("born in 1954", "1954"),
    ],
)
def test_date_of_birth_beside_dob_words(detector: IdentifierDetector, text: str, date: str) -> None:
    assert kinds(detector, text) == [("dob", date)]


def test_other_dates_are_not_dates_of_birth(detector: IdentifierDetector) -> None:
    assert kinds(detector, "Parking permits need renewing by 12/01/2027") == []


# -- postcodes, phones, emails, hospital numbers --------------------------------------------------
def test_postcode(detector: IdentifierDetector) -> None:
    assert kinds(detector, "lives near LE11 3TU") == [("postcode", "LE11 3TU")]
    assert kinds(detector, "the F1 2pm clinic") == []


def test_phone_numbers_but_not_staff_lines(detector: IdentifierDetector) -> None:
    assert kinds(detector, "ring the daughter on 07700 900123") == [("phone", "07700 900123")]
    assert kinds(detector, "Switchboard number changed to 0116 496 0000") == []
    assert kinds(detector, "call me on 07700 900123 if you can cover") == []
    assert kinds(detector, "bleep 4421 for the reg") == []


def test_staff_email_domains_are_not_patient_data(detector: IdentifierDetector) -> None:
    assert kinds(detector, "email sarah.jones@nhs.net") == []
    assert kinds(detector, "his email is kev.morgan77@gmail.com") == [("email", "kev.morgan77@gmail.com")]


def test_staff_email_domains_come_from_settings() -> None:
    data = load_screening_data()
    trust = IdentifierDetector.build(data.identifiers, ("nhs.net", "example-trust.org"), Settings().mrn_pattern)
    assert trust.detect(prepare("write to a.b@example-trust.org")) == []


def test_hospital_number_needs_context_words(detector: IdentifierDetector) -> None:
    assert kinds(detector, "Hospital no. RX1234567 self-discharged") == [("hospital-number", "RX1234567")]
    assert kinds(detector, "MRN: 00123456") == [("hospital-number", "00123456")]
    assert kinds(detector, "purchase order PO1234567 arrived") == []


def test_trust_mrn_pattern_from_settings() -> None:
    data = load_screening_data()
    trust = IdentifierDetector.build(data.identifiers, ("nhs.net",), r"\bK\d{5}\b")
    found = trust.detect(prepare("hosp no K12345 is back"))
    assert [f.kind for f in found] == ["hospital-number"]


def test_bad_mrn_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="mrn_pattern"):
        IdentifierDetector.build(load_screening_data().identifiers, ("nhs.net",), "[A-Z")


# -- names and addresses ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,name",
    [
        ("Patient in resus is John Michael Carter, family not told", "John Michael Carter"),
        ("Bay 2 pt: Sarah Whitlock wants a call back", "Sarah Whitlock"),
        ("Bed 12 is Harold Finchley, 81", "Harold Finchley"),
        ("Mrs Adeyemi in bed 9 is HIV positive", "Mrs Adeyemi"),
    ],
)
def test_patient_names(detector: IdentifierDetector, text: str, name: str) -> None:
    assert ("name", name) in kinds(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Leaving drinks for Dr Amara Nwosu Friday 7pm",
        "Huge thanks to Mr Hale for staying late to teach us laparoscopic knots",
        "Mrs Patel from HR is coming to the huddle",
        "Who's doing the ward round on bay 3 today, me or Priya?",
        "Bed 12 is now clean and free",
    ],
)
def test_staff_names_and_bare_locations_are_not_patient_names(detector: IdentifierDetector, text: str) -> None:
    assert [k for k, _ in kinds(detector, text) if k == "name"] == []


def test_address_and_street(detector: IdentifierDetector) -> None:
    assert ("address", "14 Orchard Close") in kinds(detector, "lives at 14 Orchard Close")
    assert ("street", "Marsh Lane") in kinds(detector, "the retired headteacher from Marsh Lane")


def test_name_repeated_without_context_is_found_again(detector: IdentifierDetector) -> None:
    found = kinds(detector, "Mrs Adeyemi in bed 9 is HIV positive. Tell Adeyemi's son later")
    assert ("name", "Adeyemi") in found


# -- awkward text --------------------------------------------------------------------------------
def test_zero_width_characters_do_not_hide_a_number(detector: IdentifierDetector) -> None:
    text = "NHS no 943\u200b476\u200c5919"
    found = detector.detect(prepare(text))
    assert [f.kind for f in found] == ["nhs-number"]
    assert text[found[0].start : found[0].end] == "943\u200b476\u200c5919"


def test_full_width_digits(detector: IdentifierDetector) -> None:
    text = "NHS no ９４３ ４７６ ５９１９"
    found = detector.detect(prepare(text))
    assert [f.kind for f in found] == ["nhs-number"]
    assert text[found[0].start : found[0].end] == "９４３ ４７６ ５９１９"


def test_slack_markup(detector: IdentifierDetector) -> None:
    assert kinds(detector, "<@U12345678> can you look?") == []
    assert kinds(detector, "see <https://intranet/x|the page>") == []
    # A number in a link target or URL path is read (issue 12).
    assert kinds(detector, "see <https://intranet/x?id=7260181591|the page>") == [("nhs-number", "7260181591")]
    text = "pt email <mailto:kev.morgan77@gmail.com|kev.morgan77@gmail.com>"
    assert [k for k, _ in kinds(detector, text)] == ["email", "email"]


def _without_overlaps_by_pairs(found: list[Finding]) -> list[Finding]:
    """The plain quadratic reading of the rule, to check the fast one against."""
    ranked = sorted(found, key=lambda f: (-PRIORITY[f.kind], -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for f in ranked:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def test_overlapping_findings_are_resolved_as_by_comparing_every_pair() -> None:
    rng = random.Random(20261207)
    kinds = sorted(PRIORITY)
    for _ in range(300):
        found = []
        for _ in range(rng.randint(0, 60)):
            start = rng.randint(0, 200)
            found.append(Finding(rng.choice(kinds), start, start + rng.randint(1, 25)))
        assert _without_overlaps(found) == _without_overlaps_by_pairs(found)
