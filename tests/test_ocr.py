"""OCR of scans is an option: off by default, used only where Tesseract with Vietnamese is installed."""
import dataclasses
import shutil

import pytest

from intake_bot.reader.extract import extract_bytes
from intake_bot.reader.ocr import ocr_available

from .conftest import CORPUS

SCAN = CORPUS / "documents" / "d08.pdf"


def test_a_scan_is_left_unread_by_default(campaign):
    result = extract_bytes(SCAN.read_bytes(), "scan.pdf", campaign)
    assert result.scanned and result.tables == [] and result.metadata["issuer"] is None


@pytest.mark.skipif(shutil.which("tesseract") is None or not ocr_available("vie"),
                    reason="Tesseract with Vietnamese (tesseract-ocr-vie) is not installed")
def test_ocr_reads_the_header_of_a_scan(campaign):
    limits = dataclasses.replace(campaign.limits, max_pdf_pages=1, seconds_per_file=120.0)
    with_ocr = dataclasses.replace(campaign, ocr=True, limits=limits)
    result = extract_bytes(SCAN.read_bytes(), "scan.pdf", with_ocr)
    assert result.scanned  # still a scan: the unit is still asked for the Word file
    assert result.metadata["number"] == "63/BC-UBND"
    assert result.unit == "ubnd-kim-dong"
    assert any("OCR" in w for w in result.warnings)
