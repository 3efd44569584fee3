"""Make small PDFs during the test run (no PDF is stored in the repository).

:func:`make_pdf` writes a valid PDF 1.4 file: one Helvetica text object per line at the
given position and size, so tests control exactly what a PDF reader sees, including
small-print footnotes, running headers and page numbers. :func:`make_scanned_pdf`
writes a page holding only an image, like a scan with no text layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points


@dataclass(frozen=True)
class PdfLine:
    """Text drawn at (x, y) points from the bottom-left, in Helvetica of ``size``;
    ``bold`` uses Helvetica-Bold, ``dingbats`` the ZapfDingbats symbol font (bullets)."""

    text: str
    y: float
    x: float = 72
    size: float = 11
    bold: bool = False
    dingbats: bool = False


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")  # WinAnsiEncoding, as declared for the font
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _assemble(objects: list[bytes], root: int) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def _pages(page_bodies: list[tuple[bytes, bytes]], objects: list[bytes]) -> int:
    """Append page objects (content, resources) under a Pages node; return the catalog's number."""
    pages_number = len(objects) + 1
    objects.append(b"")  # the Pages node, filled in below
    kids: list[int] = []
    for content, resources in page_bodies:
        objects.append(_stream(content))
        objects.append(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
            % (pages_number, PAGE_WIDTH, PAGE_HEIGHT, resources, len(objects))
        )
        kids.append(len(objects))
    objects[pages_number - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_number)
    return len(objects)


def make_pdf(path: Path, pages: list[list[PdfLine]], title: str = "") -> Path:
    """Write a text PDF with one page per list of lines."""
    objects = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>",
    ]
    resources = b"<< /Font << /F1 1 0 R /F2 2 0 R /F3 3 0 R >> >>"
    bodies = []
    for lines in pages:
        ops = [
            b"BT /F%d %g Tf 1 0 0 1 %g %g Tm (%s) Tj ET"
            % (3 if ln.dingbats else 2 if ln.bold else 1, ln.size, ln.x, ln.y, _escape(ln.text))
            for ln in lines
        ]
        bodies.append((b"\n".join(ops), resources))
    root = _pages(bodies, objects)
    if title:
        objects.append(b"<< /Title (%s) >>" % _escape(title))
        data = _assemble(objects, root).replace(
            b"/Root %d 0 R" % root, b"/Root %d 0 R /Info %d 0 R" % (root, len(objects))
        )
    else:
        data = _assemble(objects, root)
    path.write_bytes(data)
    return path


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Write a PDF whose pages hold only a grey image: no text layer at all."""
    pixels = bytes([40, 200, 200, 40] * 4)  # 4x4 greyscale
    objects = [
        _stream(
            pixels, b"/Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        )
    ]
    body = (b"q 400 0 0 600 97 120 cm /Im1 Do Q", b"<< /XObject << /Im1 1 0 R >> >>")
    root = _pages([body] * pages, objects)
    path.write_bytes(_assemble(objects, root))
    return path


def flow(paragraphs: list[str], top: float = 770, leading: float = 15, size: float = 11) -> list[PdfLine]:
    """Lay out text lines down a page, one per entry, from ``top``."""
    return [PdfLine(text, top - i * leading, size=size) for i, text in enumerate(paragraphs)]
