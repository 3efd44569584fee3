"""Section: reading images (issue 19). OCR throughput and accuracy on Pillow-drawn images
(:mod:`benchmarks.ocr_images`), for the shipped engine (RapidOCR, ``bot.screening.images``)
and, when the ``tesseract`` program is installed (Debian's ``tesseract-ocr``), Tesseract
for comparison: milliseconds per image and images a second (one at a time, as the bot
reads them), character and word recall of the drawn text, names and NHS numbers read in
full, and whether screening the image's text (``image_text``, then ``GuidanceBot.screen``
as a message carrying an image) gives the right answer: patient-identifiable or
patient-image for a patient list or record, nothing for an ordinary image.

Tesseract is measured only here; gmcbot itself uses RapidOCR, whose models ship in its
wheel. Tesseract reads the image bytes from standard input (``tesseract stdin stdout``),
so nothing is written to disk.
"""

from __future__ import annotations

import difflib
import re
import resource
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.common import Context, Section, Table, fmt, median
from benchmarks.ocr_images import Sample, samples
from bot.types import Message

FULL_IMAGES = 48
SMOKE_IMAGES = 4
PATIENT_CATEGORIES = {"patient-identifiable", "patient-image"}
_WORD = re.compile(r"[A-Za-z]+|\d+")


def rapidocr_lines(data: bytes) -> tuple[str, ...]:
    from bot.screening.images import read_image

    return read_image(data).lines


def tesseract_lines(data: bytes) -> tuple[str, ...]:
    done = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "6", "-l", "eng"],
        input=data,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return tuple(line for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip())


def engines() -> dict[str, Callable[[bytes], tuple[str, ...]]]:
    found: dict[str, Callable[[bytes], tuple[str, ...]]] = {}
    from bot.screening.images import available

    if available():
        found["RapidOCR (shipped)"] = rapidocr_lines
    if shutil.which("tesseract"):
        found["Tesseract (comparison)"] = tesseract_lines
    return found


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Tesseract runs as a child)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def screening_bot(ctx: Context) -> Any:
    """The run's bot when another section made it, else one for screening only (no index)."""
    if "bot" in ctx.cache:
        return ctx.cache["bot"]
    from bot.service import GuidanceBot

    return GuidanceBot(ctx.settings("ocr"))


def char_recall(truth: str, read: str) -> float:
    """Share of the drawn characters (spaces ignored, case kept) found in order in what was read."""
    a, b = "".join(truth.split()), "".join(read.split())
    if not a:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(a)


def word_recall(truth: str, read: str) -> float:
    want = [w.lower() for w in _WORD.findall(truth)]
    got = {w.lower() for w in _WORD.findall(read)}
    return sum(1 for w in want if w in got) / len(want) if want else 1.0


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def score(sample: Sample, lines: Sequence[str], screening: Any) -> dict[str, Any]:
    truth, read = "\n".join(sample.lines), "\n".join(lines)
    flag = screening.flag
    categories = {c.value for c in flag.categories} | {flag.category.value} if flag is not None else set()
    right = bool(categories & PATIENT_CATEGORIES) if sample.about_patients else flag is None
    return {
        "chars": char_recall(truth, read),
        "words": word_recall(truth, read),
        "names": [n.lower() in read.lower() for n in sample.names],
        "numbers": [n in digits_of(read) for n in sample.nhs_numbers],
        "right": right,
    }


def measure(ctx: Context, images: list[Sample], read: Callable[[bytes], tuple[str, ...]]) -> dict[str, Any]:
    from bot.screening.images import ImageReading, image_text

    bot = screening_bot(ctx)
    read(images[0].data)  # load the engine before timing
    seconds, cpu, scores = [], [], []
    for sample in images:
        start, start_cpu = time.perf_counter(), cpu_seconds()
        lines = read(sample.data)
        seconds.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
        text = image_text(ImageReading(tuple(lines)))
        scores.append(score(sample, lines, bot.screen(Message(text=text, has_image=True))))
    names = [hit for s in scores for hit in s["names"]]
    numbers = [hit for s in scores for hit in s["numbers"]]
    patients = [s for s, img in zip(scores, images, strict=True) if img.about_patients]
    ordinary = [s for s, img in zip(scores, images, strict=True) if not img.about_patients]
    by_layout: dict[str, list[bool]] = {}
    for s, img in zip(scores, images, strict=True):
        by_layout.setdefault(img.layout, []).append(s["right"])
    return {
        "ms_per_image": 1000 * median(seconds),
        "cpu_ms_per_image": 1000 * median(cpu),
        "images_per_s": len(seconds) / sum(seconds),
        "char_recall": sum(s["chars"] for s in scores) / len(scores),
        "word_recall": sum(s["words"] for s in scores) / len(scores),
        "names_read": sum(names) / len(names) if names else float("nan"),
        "nhs_read": sum(numbers) / len(numbers) if numbers else float("nan"),
        "patients_flagged": sum(s["right"] for s in patients) / len(patients) if patients else float("nan"),
        "ordinary_clear": sum(s["right"] for s in ordinary) / len(ordinary) if ordinary else float("nan"),
        "right_by_layout": {k: sum(v) / len(v) for k, v in sorted(by_layout.items())},
    }


def _cell(value: float, digits: int = 2) -> str:
    return "-" if value != value else fmt(value, digits)


def run(ctx: Context) -> Section:
    section = Section("ocr", "Reading images (OCR)")
    images = samples(SMOKE_IMAGES if ctx.smoke else FULL_IMAGES)
    found = engines()
    if not found:
        section.notes.append("No OCR engine is installed (rapidocr-onnxruntime); section skipped.")
        return section
    results = {name: measure(ctx, images, read) for name, read in found.items()}
    patients = sum(1 for i in images if i.about_patients)
    section.tables.append(
        Table(
            f"{len(images)} generated images ({patients} patient whiteboards, lists and records; "
            f"{len(images) - patients} ordinary), one at a time",
            [
                "engine",
                "ms/image (median)",
                "CPU ms/image",
                "images/s",
                "char recall",
                "word recall",
                "surnames read",
                "NHS numbers read",
                "patient images flagged",
                "ordinary images clear",
            ],
            [
                [
                    name,
                    fmt(r["ms_per_image"], 0),
                    fmt(r["cpu_ms_per_image"], 0),
                    _cell(r["images_per_s"], 2),
                    _cell(r["char_recall"]),
                    _cell(r["word_recall"]),
                    _cell(r["names_read"]),
                    _cell(r["nhs_read"]),
                    _cell(r["patients_flagged"]),
                    _cell(r["ordinary_clear"]),
                ]
                for name, r in results.items()
            ],
            note="Times: wall clock and CPU (all threads; Tesseract's child process included), median per image, "
            "read one at a time as the bot does. Recall: share of the drawn characters (in order, spaces ignored) and words found in what "
            "was read. Surnames and NHS numbers: read in full. Flagged: screening the image's text gave "
            "patient-identifiable or patient-image; clear: an ordinary image was not flagged. Images vary in "
            "font (DejaVu Sans, Serif, Mono, Oblique), size (22-36 px), rotation (0, 1.5, -3 degrees), "
            "noise and JPEG compression.",
        )
    )
    layouts = sorted({i.layout for i in images})
    section.tables.append(
        Table(
            "Right screening result by layout",
            ["engine", *layouts],
            [
                [name, *(_cell(r["right_by_layout"].get(k, float("nan"))) for k in layouts)]
                for name, r in results.items()
            ],
        )
    )
    if "Tesseract (comparison)" not in results:
        section.notes.append(
            "Tesseract is not installed here (`apt-get install tesseract-ocr` adds it), so RapidOCR is reported alone."
        )
    shipped = results.get("RapidOCR (shipped)")
    if shipped is not None:
        section.summary.append(
            f"OCR (RapidOCR): {fmt(shipped['ms_per_image'], 0)} ms per image, word recall "
            f"{_cell(shipped['word_recall'])}, patient images flagged {_cell(shipped['patients_flagged'])}, "
            f"ordinary images clear {_cell(shipped['ordinary_clear'])}"
        )
    section.headline = {name: {k: v for k, v in r.items()} for name, r in results.items()}
    return section
