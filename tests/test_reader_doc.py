""".doc (Word 97-2003) through LibreOffice headless: a .doc that LibreOffice itself wrote from a
built .docx reads back the same; missing LibreOffice, junk and a time-out give UnreadableFile."""
from __future__ import annotations

import subprocess
import tempfile
import time

import pytest

from intake_bot.reader.doc import find_soffice, read_doc
from intake_bot.reader.model import Paragraph, Table, UnreadableFile
from tests.docx_builder import abstract_num, build_docx, cell, num, numbering, paragraph, table

needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) not installed")


@pytest.fixture(scope="module")
def doc_bytes(tmp_path_factory) -> bytes:
    """A .doc written by LibreOffice from a .docx built here (one conversion for the module)."""
    work = tmp_path_factory.mktemp("doc")
    source = work / "report.docx"
    source.write_bytes(build_docx(
        [paragraph("KHÁI QUÁT CHUNG", style="Heading1", num=(1, 0), bold=True),
         paragraph("Công tác tham mưu triển khai", num=(1, 1)),
         table([["STT", "Tên CCN", "Diện tích (ha)"], ["1", "CCN Tân Quang", "47,7"],
                [cell("Tổng cộng", span=2), "47,7"]]),
         paragraph("Hưng Yên, ngày 08 tháng 5 năm 2024", jc="center")],
        numbering=numbering(abstract_num(1, ("upperRoman", "%1."), ("decimal", "%2.")), num(1, 1))))
    subprocess.run([find_soffice(), f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                    "--convert-to", "doc:MS Word 97", "--outdir", str(work), str(source)],
                   check=True, capture_output=True, timeout=120)
    return (work / "report.doc").read_bytes()


@pytest.mark.libreoffice
@needs_soffice
def test_doc_made_by_libreoffice_reads_like_its_docx(doc_bytes):
    assert doc_bytes[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    content = read_doc(doc_bytes)
    assert content.format == "doc"
    assert content.blocks == [
        Paragraph(text="I. KHÁI QUÁT CHUNG", bold=True, style_level=1),
        Paragraph(text="1. Công tác tham mưu triển khai"),
        Table(rows=[["STT", "Tên CCN", "Diện tích (ha)"], ["1", "CCN Tân Quang", "47,7"],
                    ["Tổng cộng", "", "47,7"]]),
        Paragraph(text="Hưng Yên, ngày 08 tháng 5 năm 2024", centered=True),
    ]


@pytest.mark.libreoffice
@needs_soffice
def test_junk_is_not_imported_as_text():
    with pytest.raises(UnreadableFile) as caught:
        read_doc(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really a Word document " * 50)
    assert ".docx" in caught.value.reason_vi


@pytest.mark.libreoffice
@needs_soffice
def test_time_out_kills_the_conversion(doc_bytes, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = time.perf_counter()
    with pytest.raises(UnreadableFile, match="within 0.3 s"):
        read_doc(doc_bytes, timeout=0.3)
    assert time.perf_counter() - started < 5
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert str(tmp_path) not in listing  # no soffice left running on this test's files


def test_without_libreoffice_the_sender_is_asked_for_docx(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UnreadableFile) as caught:
        read_doc(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "LibreOffice" in caught.value.reason
    assert caught.value.reason_vi == ("Hệ thống chưa đọc được tệp Word 97-2003 (.doc); đề nghị quý cơ quan "
                                      "gửi lại báo cáo dưới dạng tệp .docx.")
