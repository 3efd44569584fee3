"""Images for the OCR benchmark, drawn with Pillow: ward whiteboards, printed handover lists
and record sheets holding synthetic names, beds, valid NHS numbers and dates of birth, and
ordinary images (a teaching rota, a notice) holding none.

Every image is made from a seed, so a run is repeatable. Variation: several fonts (the
DejaVu family Pillow and matplotlib ship), text sizes, a slight rotation, sensor-like noise,
an off-white board, and JPEG compression as phones send. :class:`Sample` keeps the text
that was drawn, line by line, the identifiers in it, and whether it is about patients.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FIRST = (
    "Edna", "Arthur", "Priya", "Kwame", "Siobhan", "Tomasz", "Mabel", "Oluwaseun", "Gareth", "Ingrid",
    "Harold", "Aisha", "Dorothy", "Rhys", "Fatima", "Leonard", "Morag", "Bartholomew", "Nia", "Cyril",
)  # fmt: skip
LAST = (
    "Higginbottom", "Pemberton", "Okonkwo", "Fitzgerald", "Nowakowski", "Ramsbottom", "Achterberg",
    "Featherstone", "Oyelaran", "Llewellyn", "Macintyre", "Sutherland", "Chaudhry", "Whitworth",
    "Abernethy", "Kowalczyk", "Trelawney", "Ogunbiyi", "Blenkinsop", "Hargreaves",
)  # fmt: skip
TITLES = ("Mrs", "Mr", "Miss", "Ms")
NOTES = ("NBM", "falls risk", "for TTO", "obs 4h", "IV abx", "awaiting OT", "DNACPR", "bloods am")
ORDINARY = (
    ["Teaching rota", "Monday: sepsis recognition", "Wednesday: safe prescribing", "Friday: journal club"],
    ["Staff room notice", "Please wash your mugs", "Fridge cleared every Friday", "Thank you!"],
    ["Fire drill Thursday 10:00", "Assemble at point B", "Lifts out of use during the drill"],
    ["Ward 7 targets", "Discharges before noon: 40%", "Hand hygiene audit: 96%", "Well done all"],
)
FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Oblique.ttf")
LAYOUTS = ("whiteboard", "printed-list", "record")


@dataclass(frozen=True)
class Sample:
    """One generated image and what was drawn on it."""

    name: str
    layout: str  # whiteboard, printed-list, record or ordinary
    data: bytes
    lines: tuple[str, ...]
    names: tuple[str, ...]  # surnames drawn (must be read for the image to be judged right)
    nhs_numbers: tuple[str, ...]  # ten digits each
    about_patients: bool
    font: str
    size: int
    rotation: float
    jpeg: bool


def nhs_number(rng: random.Random) -> str:
    """A random NHS number with a valid mod-11 check digit."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A DejaVu font by file name: the system's, else matplotlib's copy, else Pillow's default."""
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        pass
    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def _content(layout: str, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    """(lines, surnames, NHS numbers) for a layout."""
    people = [(rng.choice(TITLES), rng.choice(FIRST), rng.choice(LAST), nhs_number(rng)) for _ in range(4)]
    if layout == "whiteboard":
        beds = rng.sample(range(1, 29), 4)
        lines = ["WARD 7 - BAY B"] + [
            f"Bed {b}  {t} {last}  {rng.choice(NOTES)}" for b, (t, _, last, _) in zip(beds, people, strict=True)
        ]
        return lines, [p[2] for p in people], []
    if layout == "printed-list":
        beds = rng.sample(range(1, 29), 3)
        lines = ["Handover list - Ward 7", "Bed  Name  NHS number"] + [
            f"{b}  {first} {last}  {spaced(n)}" for b, (_, first, last, n) in zip(beds, people[:3], strict=True)
        ]
        return lines, [p[2] for p in people[:3]], [p[3] for p in people[:3]]
    t, first, last, n = people[0]
    dob = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1930, 2000)}"
    lines = [
        "PATIENT RECORD",
        f"Name: {t} {first} {last}",
        f"NHS number: {spaced(n)}",
        f"DOB: {dob}",
        "Diagnosis: community acquired pneumonia",
    ]
    return lines, [last], [n]


def draw(lines: list[str], font_name: str, size: int, rotation: float, noise: float, board: bool, jpeg: bool) -> bytes:
    face = font(font_name, size)
    gap = int(size * 1.6)
    width = max(int(face.getlength(line)) for line in lines) + 2 * size
    height = gap * len(lines) + 2 * size
    background = (244, 244, 238) if board else (255, 255, 255)
    img = Image.new("RGB", (width, height), background)
    ink = (20, 40, 120) if board else (0, 0, 0)
    pen = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        pen.text((size, size + i * gap), line, fill=ink, font=face)
    if rotation:
        img = img.rotate(rotation, expand=True, fillcolor=background, resample=Image.Resampling.BICUBIC)
    if noise:
        grain = Image.effect_noise(img.size, 64).convert("RGB")
        img = Image.blend(img, grain, noise).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    if jpeg:
        img.save(out, format="JPEG", quality=60)
    else:
        img.save(out, format="PNG")
    return out.getvalue()


def samples(count: int, seed: int = 19) -> list[Sample]:
    """``count`` images: three in four about patients (the layouts in turn), one in four ordinary."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        ordinary = i % 4 == 3
        layout = "ordinary" if ordinary else LAYOUTS[i % 4 % 3]
        names: list[str] = []
        numbers: list[str] = []
        if ordinary:
            lines = list(ORDINARY[(i // 4) % len(ORDINARY)])
        else:
            lines, names, numbers = _content(layout, rng)
        font_name = FONTS[(i // 3) % len(FONTS)]
        size = rng.choice((22, 28, 36))
        rotation = rng.choice((0.0, 0.0, 1.5, -3.0))
        noise = rng.choice((0.0, 0.08, 0.15))
        jpeg = rng.random() < 0.4
        data = draw(lines, font_name, size, rotation, noise, layout == "whiteboard", jpeg)
        out.append(
            Sample(
                f"{i:03d}-{layout}",
                layout,
                data,
                tuple(lines),
                tuple(names),
                tuple(numbers),
                not ordinary,
                font_name.removesuffix(".ttf"),
                size,
                rotation,
                jpeg,
            )
        )
    return out
