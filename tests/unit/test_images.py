"""Reading an image's text (offline OCR, in memory) and screening it: issue 19."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bot.screening.images import (
    IMAGE_ONLY,
    MAX_IMAGE_BYTES,
    PATIENT_LIST,
    PATIENT_RECORD,
    ImageError,
    ImageReading,
    describe,
    image_text,
    read_image,
)

WHITEBOARD = "Mrs Edna Higginbottom   NHS 418 096 7928   Bed 4"
SECRETS = ("Edna", "Higginbottom", "418 096 7928", "4180967928", "418096 7928")


def png(lines: list[str], size: tuple[int, int] = (900, 0)) -> bytes:
    """A white PNG with ``lines`` in black, drawn by Pillow in a plain font."""
    height = size[1] or 30 + 50 * len(lines)
    img = Image.new("RGB", (size[0], height), "white")
    draw = ImageDraw.Draw(img)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype("DejaVuSans.ttf", 28)
    except OSError:
        font = ImageFont.load_default(size=28)
    for i, line in enumerate(lines):
        draw.text((12, 15 + 50 * i), line, fill="black", font=font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def gmcbot(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GMCBOT_EMBEDDER": "hashing", "GMCBOT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_the_text_of_a_drawn_image_is_read() -> None:
    reading = read_image(png([WHITEBOARD]))
    assert reading.complete
    text = " ".join(reading.lines)
    assert "Higginbottom" in text and "7928" in text


def test_check_image_file_flags_a_patient_and_never_repeats_them(tmp_path: Path) -> None:
    path = tmp_path / "board.png"
    path.write_bytes(png([WHITEBOARD]))
    out = gmcbot("check", "--image-file", str(path), "--json", data=tmp_path / "data")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["flagged"] is True
    assert {"patient-identifiable", "patient-image"} & set(data["categories"])
    for secret in SECRETS:
        assert secret not in out.stdout + out.stderr
    text = gmcbot("check", "--image-file", str(path), data=tmp_path / "data")
    assert text.returncode == 0 and "FLAGGED" in text.stdout
    for secret in SECRETS:
        assert secret not in text.stdout + text.stderr


def test_check_image_file_refuses_what_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    out = gmcbot("check", "--image-file", str(path), data=tmp_path / "data")
    assert out.returncode == 2 and "cannot read notes.png" in out.stderr and "Traceback" not in out.stderr
    missing = gmcbot("check", "--image-file", str(tmp_path / "nope.png"), data=tmp_path / "data")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_limits_are_checked_before_decoding() -> None:
    with pytest.raises(ImageError):
        read_image(b"")
    with pytest.raises(ImageError):
        read_image(b"\x89PNG" + b"\0" * MAX_IMAGE_BYTES)
    with pytest.raises(ImageError):
        read_image(b"GIF89a nonsense")
    big = Image.new("1", (8000, 8000))  # 64 million pixels, a small file
    out = io.BytesIO()
    big.save(out, format="PNG")
    with pytest.raises(ImageError, match="too many pixels"):
        read_image(out.getvalue())


def test_an_ordinary_image_is_not_a_patient_list() -> None:
    assert describe(["Coffee machine on level 2 is fixed", "Handover at 8pm"]) == ""
    assert image_text(ImageReading(("Staff rota for June",))).endswith(IMAGE_ONLY)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Bed 1  John Smith", "Bed 2  Ann Jones", "Bed3 Peter Brown"], PATIENT_LIST),
        (["Mrs Edna Higginbottom", "Bed4"], PATIENT_LIST),
        (["Name: Peter Brown", "DOB 01/02/1950", "Diagnosis: sepsis"], PATIENT_RECORD),
        (["Mr Arthur Dent", "NHS number 123"], PATIENT_RECORD),
        (["Bay 2 cleaned", "Bay 3 cleaned"], ""),
    ],
)
def test_lists_of_names_and_beds_and_records_are_recognised(lines: list[str], expected: str) -> None:
    assert describe(lines) == expected


def test_image_text_reads_glued_bed_numbers() -> None:
    assert image_text(ImageReading(("Mrs Edna Higginbottom", "Bed4"))).split("\n") == [
        "Mrs Edna Higginbottom",
        "Bed 4",
        PATIENT_LIST,
    ]


def test_image_text_reads_words_run_together() -> None:
    """RapidOCR drops the spaces in small or tilted English text (measured by the OCR benchmark)."""
    read = ImageReading(("WARD7-BAYB", "Bed26MrsFitzgeraldforTTO", "Bed7MissOyelaranbloodsam", "SW1A 1AA 4h"))
    lines = image_text(read).split("\n")
    assert lines[1] == "Bed 26 Mrs Fitzgeraldfor TTO" and lines[2] == "Bed 7 Miss Oyelaranbloodsam"
    assert lines[3] == "SW 1A 1AA 4h" and lines[-1] == PATIENT_LIST
