"""Our identifier stage against Microsoft Presidio's pattern recognizers, side by side.

Both run in one process on the same messages: a seeded, generated set of staff messages,
about half carrying patient identifiers whose spans are known (NHS, CHI and H&C numbers,
dates of birth, phone numbers, postcodes, emails, hospital numbers, names in patient
context, addresses) and half carrying look-alikes that are not patient data (Datix
references failing the check digit, switchboard and bleep numbers, staff emails, ordinary
dates, bed numbers, colleagues' names). Presidio runs with a blank spaCy pipeline (no NER
model), with the recognizers that cover these identifier kinds: UK NHS, UK postcode, UK
NINO, phone (region GB), email and date.

Printed: precision (detected spans that cover an identifier), recall on the
identifier-bearing messages (identifier spans that are covered), false positives on the
look-alike messages, and messages per second; then the full screening pipeline's
throughput with batching (``Screener.screen_many``).

    python -m benchmarks.screening_vs_presidio           # full run (MiniLM for the pipeline)
    python -m benchmarks.screening_vs_presidio --smoke   # tiny run for CI (hashing embedder)

``presidio-analyzer`` is a benchmark-only dependency (the ``bench`` extra); without it the
Presidio column is reported as not run and the script still exits 0.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]

FIRST = [
    "John",
    "Sarah",
    "Harold",
    "Priya",
    "Kwame",
    "Aisha",
    "Tomasz",
    "Megan",
    "Declan",
    "Fatima",
    "George",
    "Olivia",
    "Ravi",
    "Siobhan",
    "Ahmed",
    "Chloe",
    "Winston",
    "Mei",
    "Callum",
    "Grace",
]
LAST = [
    "Carter",
    "Whitlock",
    "Finchley",
    "Adeyemi",
    "Okafor",
    "Nowak",
    "Hughes",
    "Begum",
    "Murphy",
    "Patel",
    "Thompson",
    "McAllister",
    "Osei",
    "Kowalski",
    "Fraser",
    "Lindqvist",
    "Ahmed",
    "Baker",
]
STREETS = [
    "Orchard Close",
    "Marsh Lane",
    "Station Road",
    "Elm Grove",
    "Victoria Street",
    "Mill Lane",
    "Church View",
    "Park Avenue",
    "Meadow Drive",
    "Queens Crescent",
]
PLACES = ["resus", "bay 2", "bed 9", "side room 4", "cubicle 6", "majors"]


def _nhs(rng: random.Random, first: str) -> str:
    """A ten-digit number with a valid modulus-11 check digit, starting ``first``."""
    while True:
        digits = first + "".join(str(rng.randint(0, 9)) for _ in range(9 - len(first)))
        total = sum(int(d) * (10 - i) for i, d in enumerate(digits))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return digits + str(check)


def _bad_ten(rng: random.Random) -> str:
    """A ten-digit reference whose last digit fails the modulus-11 check."""
    good = _nhs(rng, rng.choice("467"))
    return good[:9] + str((int(good[9]) + rng.randint(1, 9)) % 10)


def _chi(rng: random.Random) -> str:
    while True:
        prefix = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(30, 99):02d}"
        number = _nhs(rng, prefix)
        if number.startswith(prefix):
            return number


def _spaced(n: str, style: int) -> str:
    return [n, f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}"][style % 3]


def _postcode(rng: random.Random) -> str:
    area = rng.choice(["LE", "NG", "M", "B", "LS", "S", "CF", "EH", "G", "BT", "SW", "N"])
    return f"{area}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _mobile(rng: random.Random) -> str:
    return f"07700 900{rng.randint(0, 999):03d}"


def _landline(rng: random.Random) -> str:
    return f"0{rng.choice(['116', '113', '115', '121'])} 496 0{rng.randint(0, 999):03d}"


def _dob(rng: random.Random) -> str:
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1925, 2015)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return rng.choice([f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y % 100:02d}", f"{d} {months[m - 1]} {y}"])


@dataclass
class Sample:
    text: str
    gold: list[Span] = field(default_factory=list)  # identifier spans (patient data)

    @property
    def has_identifiers(self) -> bool:
        return bool(self.gold)


class _Builder:
    """Builds a message from parts, recording where the identifier parts land."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.gold: list[Span] = []
        self.length = 0

    def add(self, text: str, identifier: bool = False) -> _Builder:
        if identifier:
            self.gold.append((self.length, self.length + len(text)))
        self.parts.append(text)
        self.length += len(text)
        return self

    def sample(self) -> Sample:
        return Sample("".join(self.parts), self.gold)


def make_messages(n: int, seed: int = 7) -> list[Sample]:
    """``n`` messages, alternating identifier-bearing and look-alike ones."""
    rng = random.Random(seed)
    with_ids: list[Callable[[], Sample]] = [
        lambda: (
            _Builder()
            .add(f"Patient in {rng.choice(PLACES)} is ")
            .add(f"{rng.choice(FIRST)} {rng.choice(LAST)}", True)
            .add(", NHS no ")
            .add(_spaced(_nhs(rng, rng.choice("467")), rng.randint(0, 2)), True)
            .add(" - family not told")
            .sample()
        ),
        lambda: (
            _Builder()
            .add("can someone chase the bloods for ")
            .add(_spaced(_nhs(rng, rng.choice("467")), rng.randint(0, 2)), True)
            .add(" please, she's on ward 7")
            .sample()
        ),
        lambda: (
            _Builder()
            .add(f"Mrs {rng.choice(LAST)}", True)
            .add(f" in {rng.choice(PLACES)} is HIV positive, DOB ")
            .add(_dob(rng), True)
            .sample()
        ),
        lambda: (
            _Builder()
            .add(f"Bay {rng.randint(1, 9)} pt: ")
            .add(f"{rng.choice(FIRST)} {rng.choice(LAST)}", True)
            .add(", ")
            .add(_mobile(rng), True)
            .add(", lives at ")
            .add(f"{rng.randint(1, 99)} {rng.choice(STREETS)}", True)
            .add(", ")
            .add(_postcode(rng), True)
            .add(" - wants a call back")
            .sample()
        ),
        lambda: (
            _Builder()
            .add("Hospital no. ")
            .add(f"{rng.choice(['RX', 'K', 'AB'])}{rng.randint(1000000, 9999999)}", True)
            .add(" - the guy who self-discharged, his wife keeps ringing")
            .sample()
        ),
        lambda: (
            _Builder().add("Transfer from Ninewells, CHI ").add(_chi(rng), True).add(", needs a side room").sample()
        ),
        lambda: (
            _Builder()
            .add("H&C ")
            .add(_spaced(_nhs(rng, "3" + str(rng.randint(2, 9))), rng.randint(0, 2)), True)
            .add(" for the ward round list")
            .sample()
        ),
        lambda: (
            _Builder()
            .add("Pt's personal email is ")
            .add(f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{rng.randint(1, 99)}@gmail.com", True)
            .add(", can someone send the leaflet")
            .sample()
        ),
        lambda: (
            _Builder()
            .add("ring the daughter back on ")
            .add(_mobile(rng), True)
            .add(f" - she's next of kin for the lady in bay {rng.randint(1, 9)}")
            .sample()
        ),
        lambda: (
            _Builder()
            .add("Her date of birth is ")
            .add(_dob(rng), True)
            .add(" if you need it for the request form")
            .sample()
        ),
        lambda: (
            _Builder()
            .add("MRN ")
            .add(f"AB{rng.randint(100000, 999999)}", True)
            .add(" is the man kicking off in majors")
            .sample()
        ),
        lambda: (
            _Builder()
            .add(f"Bed {rng.randint(1, 30)} is ")
            .add(f"{rng.choice(FIRST)} {rng.choice(LAST)}", True)
            .add(f", {rng.randint(18, 99)}, back with another fall")
            .sample()
        ),
    ]
    look_alikes: list[Callable[[], Sample]] = [
        lambda: Sample(f"Datix ref {_bad_ten(rng)} closed, thanks everyone for the quick learning review"),
        lambda: Sample(f"Switchboard number changed to {_landline(rng)}, update your contacts"),
        lambda: Sample(f"Bleep {rng.randint(1000, 9999)} for the surgical reg tonight"),
        lambda: Sample(
            f"Please email rota swaps to {rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}@nhs.net by Friday"
        ),
        lambda: Sample(
            f"Parking permits need renewing by {rng.randint(1, 28)}/{rng.randint(1, 12):02d}/2027, form on the intranet"
        ),
        lambda: Sample(f"Bed {rng.randint(1, 30)} is now clean and free for the next admission"),
        lambda: Sample(f"Order {_bad_ten(rng)} for gloves has arrived in stores"),
        lambda: Sample(f"Dr {rng.choice(FIRST)} {rng.choice(LAST)} is covering nights, ext {rng.randint(1000, 9999)}"),
        lambda: Sample(f"Call me on {_mobile(rng)} if you can swap my Saturday"),
        lambda: Sample(
            f"Mandatory training deadline is {rng.randint(1, 28)}/{rng.randint(1, 12)}, the IG module takes 40 mins"
        ),
        lambda: Sample(f"Incident {_bad_ten(rng)} escalated to the governance team"),
        lambda: Sample(f"Huge thanks to Mr {rng.choice(LAST)} for staying late to teach us knots"),
    ]
    out = []
    for i in range(n):
        pool = with_ids if i % 2 == 0 else look_alikes
        out.append(pool[(i // 2) % len(pool)]())
    return out


# -- the two detectors ---------------------------------------------------------------------------
def ours() -> Callable[[str], list[Span]]:
    from bot.config import Settings
    from bot.screening.data import load_screening_data
    from bot.screening.identifiers import DIRECT, IdentifierDetector
    from bot.screening.text import prepare

    s = Settings()
    detector = IdentifierDetector.build(load_screening_data().identifiers, s.staff_email_domains, s.mrn_pattern)

    def detect(text: str) -> list[Span]:
        return [(f.start, f.end) for f in detector.detect(prepare(text)) if f.kind in DIRECT]

    return detect


PRESIDIO_ENTITIES = ["UK_NHS", "UK_POSTCODE", "UK_NINO", "PHONE_NUMBER", "EMAIL_ADDRESS", "DATE_TIME"]


def presidio() -> Callable[[str], list[Span]]:
    """Presidio's analyzer with a blank English spaCy pipeline and the pattern recognizers
    for the identifier kinds in this benchmark. Raises ImportError when not installed."""
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        DateRecognizer,
        EmailRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
        UkPostcodeRecognizer,
    )

    class BlankSpacyEngine(SpacyNlpEngine):
        """Presidio's spaCy engine on ``spacy.blank('en')``: tokens only, no NER model."""

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]

    # Presidio's email recognizer asks tldextract for the public suffix list; use the copy
    # bundled with tldextract instead of fetching it over the network.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        NhsRecognizer(),
        UkPostcodeRecognizer(),
        UkNinoRecognizer(),
        EmailRecognizer(),
        DateRecognizer(),
        PhoneRecognizer(supported_regions=("GB",)),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])

    def detect(text: str) -> list[Span]:
        return [(r.start, r.end) for r in analyzer.analyze(text=text, language="en", entities=PRESIDIO_ENTITIES)]

    return detect


# -- scoring ---------------------------------------------------------------------------------------
def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class Result:
    name: str
    precision: float
    recall: float
    false_positive_messages: int
    look_alike_messages: int
    rate: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "false_positive_messages": self.false_positive_messages,
            "look_alike_messages": self.look_alike_messages,
            "messages_per_second": round(self.rate, 1),
        }


def evaluate(name: str, detect: Callable[[str], list[Span]], samples: Sequence[Sample], repeat: int = 1) -> Result:
    """Span precision over all messages, recall over identifier-bearing messages, false
    positives on look-alike messages, and the best messages/s over ``repeat`` passes."""
    detect(samples[0].text)  # warm up
    best = 0.0
    found: list[list[Span]] = []
    for _ in range(repeat):
        start = time.perf_counter()
        found = [detect(s.text) for s in samples]
        best = max(best, len(samples) / max(time.perf_counter() - start, 1e-9))
    tp_spans = detected = covered = gold_total = fp_messages = look_alikes = 0
    for sample, spans in zip(samples, found, strict=True):
        detected += len(spans)
        tp_spans += sum(1 for s in spans if any(_overlaps(s, g) for g in sample.gold))
        gold_total += len(sample.gold)
        covered += sum(1 for g in sample.gold if any(_overlaps(s, g) for s in spans))
        if not sample.has_identifiers:
            look_alikes += 1
            fp_messages += bool(spans)
    return Result(
        name,
        tp_spans / detected if detected else 1.0,
        covered / gold_total if gold_total else 1.0,
        fp_messages,
        look_alikes,
        best,
    )


def pipeline_rate(samples: Sequence[Sample], embedder_name: str, batch: int = 64) -> float:
    """Messages/s of the full screening pipeline (identifiers, rules, jigsaw, exemplar
    model, policy, redaction), screening in batches of ``batch``."""
    from bot.config import Settings
    from bot.corpus import load_corpus
    from bot.screening import Screener
    from bot.service import embedder_for
    from bot.types import Message

    settings = Settings(embedder=embedder_name)
    embedder = embedder_for(settings, "screen")  # the shipped screening backend (int8 ONNX for MiniLM)
    screener = Screener(settings, load_corpus(), embedder)
    messages = [Message(text=f"{s.text} [{i}]") for i, s in enumerate(samples)]  # distinct texts
    screener.screen_many(messages[:batch])  # warm up the model
    start = time.perf_counter()
    for i in range(0, len(messages), batch):
        screener.screen_many(messages[i : i + batch])
    return len(messages) / (time.perf_counter() - start)


def table(results: Sequence[Result]) -> str:
    head = f"{'detector':<34} {'precision':>9} {'recall':>7} {'FP msgs':>11} {'msgs/s':>9}"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.name:<34} {r.precision:>9.3f} {r.recall:>7.3f} "
            f"{f'{r.false_positive_messages}/{r.look_alike_messages}':>11} {r.rate:>9.0f}"
        )
    return "\n".join(lines)


def compare(n: int, repeat: int, embedder: str | None) -> dict[str, Any]:
    """Run the comparison; ``embedder`` None skips the pipeline throughput."""
    samples = make_messages(n)
    results = [evaluate("gmcbot identifier stage", ours(), samples, repeat)]
    note = ""
    try:
        results.append(evaluate("Presidio pattern recognizers", presidio(), samples, repeat))
    except ImportError as exc:
        note = f"Presidio not run: {exc} (pip install presidio-analyzer, the 'bench' extra)"
    out: dict[str, Any] = {
        "messages": len(samples),
        "identifier_messages": sum(s.has_identifiers for s in samples),
        "results": [r.to_json() for r in results],
        "table": table(results),
        "note": note,
    }
    if len(results) == 2 and results[1].rate > 0:
        out["speedup"] = round(results[0].rate / results[1].rate, 1)
    if embedder:
        out["pipeline"] = {"embedder": embedder, "messages_per_second": round(pipeline_rate(samples, embedder), 1)}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI: 48 messages, hashing embedder")
    parser.add_argument("-n", type=int, default=1200, help="messages to generate (default 1200)")
    parser.add_argument("--repeat", type=int, default=3, help="timing passes; the best is reported")
    parser.add_argument(
        "--embedder",
        default="minilm",
        choices=("minilm", "hashing", "none"),
        help="embedder for the full-pipeline throughput (none skips it)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.repeat, args.embedder = 48, 1, "hashing"
    out = compare(args.n, args.repeat, None if args.embedder == "none" else args.embedder)
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{out['messages']} messages, {out['identifier_messages']} carrying patient identifiers\n")
    print(out["table"])
    if "speedup" in out:
        print(f"\nidentifier stage speed: {out['speedup']}x Presidio's")
    if out["note"]:
        print(f"\n{out['note']}")
    if "pipeline" in out:
        p = out["pipeline"]
        print(f"\nfull screening pipeline ({p['embedder']}, batches of 64): {p['messages_per_second']:.0f} messages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
