"""The XLSX reader: the corpus workbook (real merged cells) and workbooks built here with openpyxl
(merged group rows, number formats, several sheets, formulas with and without cached values),
and the files it must refuse with a reason."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
import zipfile

import openpyxl
import pytest

from intake_bot.reason import Reason
from intake_bot.reader.model import Table, UnreadableFile
from intake_bot.reader.xlsx import read_xlsx

from .conftest import CORPUS

DOCUMENTS = CORPUS / "documents"


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_corpus_workbook_is_one_table_with_merged_cells():
    content = read_xlsx((DOCUMENTS / "d04.xlsx").read_bytes())
    assert content.format == "xlsx" and content.warnings == []
    assert len(content.blocks) == 1 and isinstance(content.blocks[0], Table)
    rows = content.blocks[0].rows
    # Title rows (merged over A:F) stay in the table; the empty row under them is gone.
    assert rows[0] == ["PHỤ LỤC", "", "", "", "", ""]
    assert rows[3] == ["STT", "Tên KCN/CCN", "Chủ đầu tư hạ tầng", "Diện tích (ha)",
                       "Diện tích đất cho thuê (ha)", "Tỷ lệ lấp đầy (%)"]
    assert rows[5] == ["I", "Các KCN đã đi vào hoạt động", "", "", "", ""]  # merged B:F
    truth = json.loads((DOCUMENTS / "d04.truth.json").read_text(encoding="utf-8"))
    by_name = {row[1]: row for row in rows}
    for expected in truth["tables"]:
        row = by_name[expected["name"]]
        assert row[0] == expected["stt"] and row[2] == expected["investor"]
    assert by_name["KCN Như Quỳnh"][3:] == ["316,3", "204,6", "100"]
    assert by_name["KCN Phố Nối A"][5] == ""
    assert by_name["CCN Chỉ Đạo"][4:] == ["-", "0"]


def built_workbook() -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Phụ lục KCN"
    sheet["A1"] = "PHỤ LỤC"
    sheet.merge_cells("A1:G1")
    sheet.append([])
    sheet.append(["STT", "Tên KCN", None, "Diện tích (ha)", "Cho thuê (ha)", "Tỷ lệ lấp đầy", "Ngày cập nhật"])
    sheet.append(["I", "Các KCN đã đi vào hoạt động"])
    sheet.merge_cells("B4:G4")
    sheet.append([1, unicodedata.normalize("NFD", "KCN Thăng Long  II"), None, 345.2, 53.68, 0.925,
                  dt.datetime(2024, 5, 8)])
    sheet.append([2, "KCN Phố Nối A\n(giai đoạn 2)", None, 1234.5, 1.234, 1, dt.datetime(2024, 5, 8, 14, 30)])
    sheet.append([3, "KCN Minh Đức", None, 100.0, 0.1 + 0.2, None, "Đang cập nhật"])
    for row in (5, 6, 7):
        sheet.cell(row, 6).number_format = "0.0%"
    sheet.cell(2, 9).number_format = "0.00"  # formatted but empty: not part of the table
    workbook.create_sheet("Trống")
    hidden = workbook.create_sheet("Tra cứu")
    hidden.append(["danh mục", "ẩn"])
    hidden.sheet_state = "hidden"
    second = workbook.create_sheet("CCN")
    second.append(["STT", "Tên CCN"])
    second.append([1, "CCN Tân Quang"])
    return workbook


def test_built_workbook_sheets_cells_and_formats():
    content = read_xlsx(workbook_bytes(built_workbook()))
    assert content.warnings == [Reason("hidden sheet 'Tra cứu' not read", "Trang tính ẩn «Tra cứu» không được đọc.")]
    assert [len(block.rows) for block in content.blocks] == [6, 2]  # "Trống" has nothing
    rows = content.blocks[0].rows
    assert rows == [
        ["PHỤ LỤC", "", "", "", "", ""],
        ["STT", "Tên KCN", "Diện tích (ha)", "Cho thuê (ha)", "Tỷ lệ lấp đầy", "Ngày cập nhật"],
        ["I", "Các KCN đã đi vào hoạt động", "", "", "", ""],
        ["1", "KCN Thăng Long II", "345,2", "53,68", "92,5%", "08/05/2024"],
        ["2", "KCN Phố Nối A\n(giai đoạn 2)", "1234,5", "1,234", "100%", "08/05/2024 14:30"],
        ["3", "KCN Minh Đức", "100", "0,3", "", "Đang cập nhật"],
    ]
    assert all(cell == unicodedata.normalize("NFC", cell) for row in rows for cell in row)
    assert content.blocks[1].rows == [["STT", "Tên CCN"], ["1", "CCN Tân Quang"]]


def with_cached_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook with cached results written after formulas, as Excel and LibreOffice save
    them (openpyxl writes the formula only)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode("utf-8")
                for ref, value in values.items():
                    text, count = re.subn(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
                                          rf"\g<1>\g<2><v>{value}</v>", text)
                    assert count == 1, ref
                body = text.encode("utf-8")
            target.writestr(item, body)
    return out.getvalue()


def test_formulas_give_their_cached_values():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Tên", "Diện tích", "Cho thuê", "Tỷ lệ"])
    sheet.append(["CCN Tân Quang", 47.7, 33.6, "=C2/B2"])
    sheet.append(["Tổng cộng", "=SUM(B2:B2)", "=SUM(C2:C2)", "=C3/B3"])
    sheet["D2"].number_format = sheet["D3"].number_format = "0.0%"
    data = workbook_bytes(workbook)
    assert read_xlsx(data).blocks[0].rows[2] == ["Tổng cộng", "", "", ""]  # nothing cached
    cached = with_cached_values(data, {"D2": "0.704402515723270", "B3": "47.7", "C3": "33.6",
                                       "D3": "0.704402515723270"})
    assert read_xlsx(cached).blocks[0].rows[1:] == [["CCN Tân Quang", "47,7", "33,6", "70,440251572327%"],
                                                     ["Tổng cộng", "47,7", "33,6", "70,440251572327%"]]


def test_oversized_sheet_is_read_up_to_the_limit():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "đầu"
    sheet["A6000"] = "cuối"
    content = read_xlsx(workbook_bytes(workbook))
    assert content.blocks[0].rows == [["đầu"]]
    assert [w.en for w in content.warnings] == ["sheet 'Sheet': only the first 5000 rows and 100 columns read"]
    assert content.warnings[0].vi == "Trang tính «Sheet» quá lớn: chỉ đọc 5.000 dòng và 100 cột đầu."


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("data, english, vietnamese", [
    (OLE2 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64, "password", "đặt mật khẩu"),
    (OLE2 + "Workbook".encode("utf-16-le") + b"\x00" * 64, ".xls", "lưu lại tệp dưới định dạng .xlsx"),
    (b"not a workbook at all", "damaged", "bị lỗi"),
    ((DOCUMENTS / "d04.xlsx").read_bytes()[:3000], "damaged", "bị lỗi"),
    (zip_of({"word/document.xml": b"<w:document/>"}), "damaged", "bị lỗi"),
    (zip_of({"xl/workbook.xml": b"<workbook", "[Content_Types].xml": b"<Types/>"}), "damaged", "bị lỗi"),
    (zip_of({"xl/workbook.xml": b"\0" * (21 * 1024 * 1024)}), "20 MB", "quá lớn"),
])
def test_unreadable_workbooks_get_a_reason(data, english, vietnamese):
    with pytest.raises(UnreadableFile) as caught:
        read_xlsx(data)
    assert english in caught.value.reason
    assert vietnamese in caught.value.reason_vi and "đề nghị quý cơ quan" in caught.value.reason_vi
