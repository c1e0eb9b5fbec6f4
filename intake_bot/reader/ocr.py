"""Text of scanned PDF pages by OCR with Tesseract — an option, off by default.

A scan is still `scanned: true` (the plan asks units for the Word file, and OCR figures need a
person's check); OCR only lets the header, the outline and the appendix be read from it. Used
when the campaign file says `[reading] ocr = true` and the `tesseract` command with the language
data (Debian `tesseract-ocr-vie`) is installed; otherwise scans are left unread, with no error.
"""
from __future__ import annotations

import functools
import shutil
import subprocess

import pypdfium2 as pdfium

from .model import Paragraph

RENDER_DPI = 200


@functools.lru_cache(maxsize=4)
def ocr_available(lang: str = "vie") -> bool:
    """Whether `tesseract` runs here and knows `lang`."""
    if shutil.which("tesseract") is None:
        return False
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return lang in listed.stdout.split()


def _page_png(page) -> bytes:
    import io

    image = page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ocr_pdf(data: bytes, max_pages: int, seconds: float, lang: str = "vie") -> list[Paragraph]:
    """One Paragraph per OCR text line, page by page, within `seconds` in all (pages past the
    budget are left out)."""
    import time

    deadline = time.monotonic() + seconds
    paragraphs: list[Paragraph] = []
    document = pdfium.PdfDocument(data)
    try:
        for number in range(min(len(document), max_pages)):
            left = deadline - time.monotonic()
            if left <= 1:
                break
            png = _page_png(document[number])
            try:
                done = subprocess.run(["tesseract", "stdin", "stdout", "-l", lang, "--psm", "4"],
                                      input=png, capture_output=True, timeout=left)
            except subprocess.TimeoutExpired:
                break
            text = done.stdout.decode("utf-8", "replace")
            paragraphs += [Paragraph(text=line.strip(), page=number + 1)
                           for line in text.splitlines() if line.strip()]
    finally:
        document.close()
    return paragraphs
