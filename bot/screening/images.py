"""Reading the text in an image, in memory, so it can be screened like a message (issue 19).

:func:`read_image` checks the bytes (at most :data:`MAX_IMAGE_BYTES`, a format Pillow
knows, at most :data:`MAX_PIXELS` pixels, checked from the header before decoding),
scales the image down to :data:`MAX_SIDE` pixels on its longer side, and runs the OCR
engine on it within :data:`OCR_TIMEOUT` seconds. The engine is RapidOCR
(``rapidocr-onnxruntime``: PP-OCR models run by ONNX Runtime, shipped inside the wheel,
so nothing is downloaded at run time); it is loaded once, on first use, and runs one
image at a time. Nothing is written to disk and nothing read is logged.

:func:`image_text` turns what was read into the text to screen: the lines read, then,
when they look like a list of patients and beds or a patient's record
(:func:`describe`), a fixed line saying so, which the screening rules for images
already know (``[image attached: …]``). The screener is then given the message as one
carrying an image.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
OCR_TIMEOUT = 30.0
MIN_SCORE = 0.5

PATIENT_LIST = "[image attached: a list of patients' names and beds]"
PATIENT_RECORD = "[image attached: a patient record]"
IMAGE_ONLY = "[image attached]"

_BED = re.compile(r"\b(?:bed|bay|side\s*room|sr|cubicle|cub|trolley)\s*\.?\s*\d{1,3}[a-z]?\b", re.IGNORECASE)
# OCR often drops the spaces between words: "Bed4", "NHS4180967928", and (RapidOCR's
# models on small or tilted English text) "Bed26MrsFitzgeraldforTTO". A space goes back
# between a letter and a digit, a digit and a capitalised word ("26Mrs"), and a lower-case
# letter and a capital ("MrsFitzgerald"); "1AA" and "4h" stay as they are.
_GLUED = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])")
_NAME = re.compile(r"\b(?:(?:mr|mrs|miss|ms|mx|dr)\.?\s+)?[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?\s+[A-Z][A-Za-z'-]{2,}\b")
_TITLE_NAME = re.compile(r"\b(?:mr|mrs|miss|ms|mx)\.?\s+[A-Z]", re.IGNORECASE)
_RECORD_WORDS = re.compile(
    r"\b(?:nhs\s*(?:no|number)?|d\.?o\.?b|date of birth|hospital\s*(?:no|number)|mrn|hosp\s*no|"
    r"diagnosis|allerg(?:y|ies)|consultant|admitted|discharge|ward|medication|obs|news2?|"
    r"patient|pt|address|next of kin|nok|gp)\b",
    re.IGNORECASE,
)


class ImageError(ValueError):
    """The bytes are not an image gmcbot will read (too big, unknown format, too many pixels)."""


@dataclass(frozen=True)
class ImageReading:
    """What was read: the lines (top to bottom), and whether reading finished in time."""

    lines: tuple[str, ...]
    complete: bool = True


# -- the engine ------------------------------------------------------------------------------
_engine: Any = None
_engine_lock = threading.Lock()
_run_lock = threading.Lock()
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="gmcbot-ocr")


def _get_engine() -> Any:
    global _engine
    with _engine_lock:
        if _engine is None:
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]  # heavy: loaded on first use

            _engine = RapidOCR()
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        return _engine


def available() -> bool:
    """Whether the OCR engine is installed."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


# -- reading ---------------------------------------------------------------------------------
def _decode(data: bytes) -> Any:
    """Bytes -> a BGR ``numpy`` array, after the checks in the module docstring."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("the image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ImageError("the image has too many pixels")
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageError("not an image gmcbot can read") from exc
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


def _ocr(array: Any) -> tuple[str, ...]:
    with _run_lock:
        result, _ = _get_engine()(array)
    rows = []
    for box, text, score in result or ():
        if float(score) >= MIN_SCORE and str(text).strip():
            top = min(pt[1] for pt in box)
            left = min(pt[0] for pt in box)
            rows.append((top, left, str(text)))
    return _lines(rows)


def _lines(rows: Sequence[tuple[float, float, str]]) -> tuple[str, ...]:
    """Boxes grouped into lines (close tops), each line left to right."""
    lines: list[list[tuple[float, float, str]]] = []
    for row in sorted(rows):
        if lines and abs(lines[-1][0][0] - row[0]) < 12:
            lines[-1].append(row)
        else:
            lines.append([row])
    return tuple("   ".join(t for _, _, t in sorted(line, key=lambda r: r[1])) for line in lines)


def read_image(data: bytes, timeout: float = OCR_TIMEOUT) -> ImageReading:
    """The text in an image, read in memory. Raises :class:`ImageError` for bytes that are
    not a readable image; a reading that takes longer than ``timeout`` returns what is
    known (nothing) with ``complete=False``."""
    array = _decode(data)
    future = _pool.submit(_ocr, array)
    try:
        return ImageReading(future.result(timeout=timeout))
    except concurrent.futures.TimeoutError:
        log.warning("image text not read within %.0f s", timeout)
        return ImageReading((), complete=False)


# -- what the text means ---------------------------------------------------------------------
def _normalise(line: str) -> str:
    return _GLUED.sub(" ", line)


def describe(lines: Sequence[str]) -> str:
    """:data:`PATIENT_LIST` when the text lists people with beds (two or more bed numbers
    with names, or a titled name beside a bed), :data:`PATIENT_RECORD` when it reads as a
    record (a name with record words: NHS number, date of birth, diagnosis...), else ``""``."""
    text = "\n".join(_normalise(line) for line in lines)
    beds = len(_BED.findall(text))
    names = len(_NAME.findall(text)) + len(_TITLE_NAME.findall(text))
    record_words = len({m.group(0).lower() for m in _RECORD_WORDS.finditer(text)})
    if beds and names and (beds >= 2 or _TITLE_NAME.search(text)):
        return PATIENT_LIST
    if names and record_words >= 1 and (beds or record_words >= 2 or _TITLE_NAME.search(text)):
        return PATIENT_RECORD
    return ""


def image_text(reading: ImageReading) -> str:
    """The text to screen for an image: its lines (a space put back between letters and
    digits run together, so ``Bed4`` reads ``Bed 4`` and an NHS number stands apart), then a
    line saying what the image is, when it looks like a patient list or record."""
    lines = [_normalise(line) for line in reading.lines]
    description = describe(lines)
    return "\n".join([*lines, description or IMAGE_ONLY])
