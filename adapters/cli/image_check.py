"""``gmcbot check --image-file PATH``: read an image's text (in memory, offline OCR) and
screen it like a message carrying an image (issue 19). See :mod:`bot.screening.images`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import Message


def image_message(args: argparse.Namespace, text: str | None) -> Message | None:
    """The message to screen for ``--image-file``: the image's text (and any text given);
    None after printing why when the file can't be read."""
    from bot import images

    path = Path(args.image_file)
    if not images.available():
        print("gmcbot check: reading images needs the rapidocr-onnxruntime package", file=sys.stderr)
        return None
    try:
        if path.stat().st_size > images.MAX_IMAGE_BYTES:
            raise images.ImageError(f"the image is larger than {images.MAX_IMAGE_BYTES // (1024 * 1024)} MB")
        with path.open("rb") as handle:
            data = handle.read(images.MAX_IMAGE_BYTES + 1)
        reading = images.read_image(data)
    except (OSError, images.ImageError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"gmcbot check: cannot read {path.name}: {reason}", file=sys.stderr)
        return None
    if not reading.complete:
        print("gmcbot check: the image's text could not be read in time; screening what is known", file=sys.stderr)
    parts = [text or "", images.image_text(reading)]
    return Message(text="\n".join(p for p in parts if p.strip()), has_image=True)
