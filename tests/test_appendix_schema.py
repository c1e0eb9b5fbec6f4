"""The appendix schema is data: a second campaign file (a table of schools) is read by the same
reader, workbook and digest with no code change; the campaign file's [appendix] is checked."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from intake_bot.cli import main
from intake_bot.config import ConfigError, load_campaign
from intake_bot.progress import COMPLETE, ReceivedDocument, UnitProgress
from intake_bot.reader.extract import extract_bytes
from intake_bot.workbook import build_workbook

from .conftest import FIXTURES, HUNG_YEN
from .docx_builder import build_docx, paragraph, table

SCHOOLS = FIXTURES / "campaigns" / "truong-hoc-2025.toml"
HEADER = ["STT", "Tên trường", "Địa chỉ", "Số học sinh", "Số giáo viên", "Diện tích khuôn viên (m2)",
          "Kinh phí đầu tư (đồng)", "Ngày đưa vào sử dụng"]
ROWS = [
    ["I", "Khối mầm non", "", "", "", "", "", ""],
    ["1", "Trường Mầm non Tân Lập", "Xã Tân Lập", "312", "28", "4.520,5", "2.350.000.000", "05/9/2022"],
    ["2", "Trường Mầm non Vũ Hội", "Xã Vũ Hội", "-", "19", "3.100", "", ""],
    ["", "Các trường tiểu học", "", "", "", "", "", ""],
    ["1", "Trường Tiểu học Minh Quang", "Xã Minh Quang", "540", "-3", "6.000", "1.200.000.000", "1/9/2023"],
    ["", "Tổng cộng", "", "852", "44", "13.620,5", "", ""],
]


@pytest.fixture(scope="module")
def schools():
    return load_campaign(SCHOOLS)


def report_docx() -> bytes:
    body = [paragraph("UBND HUYỆN VŨ THƯ", bold=True), paragraph("Số: 45/BC-UBND"),
            paragraph("Vũ Thư, ngày 2 tháng 4 năm 2025"), paragraph("BÁO CÁO", bold=True),
            paragraph("Kết quả đầu tư cơ sở vật chất trường học trên địa bàn huyện", bold=True)]
    for title in ("1. Tình hình chung", "2. Kết quả đầu tư cơ sở vật chất", "3. Khó khăn, vướng mắc",
                  "4. Kiến nghị"):
        body += [paragraph(title, style="Heading2"), paragraph("Nội dung báo cáo của mục này. " * 4)]
    body += [paragraph("PHỤ LỤC", bold=True), paragraph("DANH SÁCH TRƯỜNG HỌC ĐƯỢC ĐẦU TƯ", bold=True),
             table([HEADER, *ROWS])]
    return build_docx(body)


def report_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH TRƯỜNG HỌC ĐƯỢC ĐẦU TƯ TRÊN ĐỊA BÀN HUYỆN KIẾN XƯƠNG"])
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPECTED = [
    {"kind": "TRUONG", "group": "I", "stt": "1", "name": "Trường Mầm non Tân Lập", "address": "Xã Tân Lập",
     "pupils": 312, "teachers": 28, "area_m2": 4520.5, "budget": 2350000000.0, "opened": "2022-09-05"},
    {"kind": "TRUONG", "group": "I", "stt": "2", "name": "Trường Mầm non Vũ Hội", "address": "Xã Vũ Hội",
     "pupils": None, "teachers": 19, "area_m2": 3100.0, "budget": None, "opened": None},
    {"kind": "TRUONG", "group": "II", "stt": "1", "name": "Trường Tiểu học Minh Quang", "address": "Xã Minh Quang",
     "pupils": 540, "teachers": -3, "area_m2": 6000.0, "budget": 1200000000.0, "opened": "2023-09-01"},
]


def test_a_docx_report_of_another_campaign_reads_its_own_columns(schools):
    extraction = extract_bytes(report_docx(), "Báo cáo.docx", schools)
    assert extraction.unit == "ubnd-vu-thu"
    assert extraction.tables == EXPECTED
    assert extraction.outline == {"id": "truong", "present": ["1", "2", "3", "4", "PL"], "missing": []}
    assert extraction.warnings_vi == ["Phụ lục, TRUONG nhóm II STT 1 «Trường Tiểu học Minh Quang»: số giáo viên âm (-3)."]
    assert extraction.warnings == ["appendix, TRUONG group II no. 1 «Trường Tiểu học Minh Quang»: negative number of "
                                   "teachers (-3)"]


def test_a_workbook_of_another_campaign_reads_alike(schools):
    extraction = extract_bytes(report_xlsx(), "Phụ lục.xlsx", schools, "ubnd-kien-xuong")
    assert extraction.tables == EXPECTED


def test_the_school_names_do_not_name_a_unit(schools):
    """"Trường ... Vũ Thư" is a school: the kind's words open a row's name, never a unit's."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["1", "Trường Tiểu học Vũ Thư", "Thị trấn", "100", "10", "1.000", "", ""])
    out = io.BytesIO()
    book.save(out)
    assert extract_bytes(out.getvalue(), "Phụ lục.xlsx", schools).unit is None


def test_the_consolidated_workbook_has_the_campaigns_columns(schools):
    extraction = extract_bytes(report_docx(), "Báo cáo.docx", schools)
    received = dt.datetime(2025, 4, 2, 9, 0, tzinfo=schools.tz)
    document = ReceivedDocument("Báo cáo.docx", 1, "docx", received, "vanphong@vuthu.example.vn", extraction)
    progress = [UnitProgress("ubnd-vu-thu", COMPLETE, received, received, 1, latest_files=[document])]
    sheet = load_workbook(io.BytesIO(build_workbook(schools, progress, received)))["Phụ lục"]
    assert [c.value for c in sheet[1]] == ["Đơn vị", "Loại", "Nhóm", "STT", "Tên trường", "Địa chỉ", "Số học sinh",
                                           "Số giáo viên", "Diện tích khuôn viên (m²)", "Kinh phí đầu tư (đồng)",
                                           "Ngày đưa vào sử dụng", "Tệp nguồn", "Phiên bản"]
    first = [c.value for c in sheet[2]]
    assert first[4:11] == ["Trường Mầm non Tân Lập", "Xã Tân Lập", 312, 28, 4520.5, 2350000000, dt.datetime(2022, 9, 5)]
    assert sheet.cell(row=2, column=7).number_format == "#,##0"
    assert sheet.cell(row=2, column=11).number_format == "dd/mm/yyyy"


def test_check_renders_the_digest_of_another_campaign(tmp_path, capsys):
    code = main(["--config", str(SCHOOLS), "--data-dir", str(tmp_path), "check"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "is ready" in out


@pytest.mark.parametrize("change, problem", [
    (('appendix = ["KCN", "CCN"]', 'appendix = ["KCN", "TRUONG"]'),
     "[outlines.huyen.appendix]: 'TRUONG' is not a kind of [appendix.kinds] (KCN, CCN)"),
    (('type = "percent"', 'type = "ratio"'), "type 'ratio' is not one of text, number, area, percent"),
    (('at_most = "area_ha"', 'at_most = "area"'), "at_most 'area' is not the key of a column"),
    (('row_name = "name"', 'row_name = "ten"'), "[appendix.row_name]: 'ten' is not the key of a column"),
    (('type = "percent"', 'tpye = "percent"'), "(occupancy_pct): unknown key 'tpye' (did you mean 'type'?)"),
    (('total_words = [', 'totals = ['), "[appendix]: unknown key 'totals' (did you mean 'total_words'?)"),
])
def test_the_appendix_section_is_checked(tmp_path, change, problem):
    text = HUNG_YEN.read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "c.toml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_campaign(path)
    assert any(problem in p for p in error.value.problems), error.value.problems


def test_the_column_vocabulary_of_init_is_a_valid_schema():
    from intake_bot.config import load_campaign_data
    from intake_bot.reader.schema import schema_from

    problems: list[str] = []

    def check_keys(raw, allowed, where):
        problems.extend(f"{where}: {key}" for key in raw if key not in allowed)

    data = load_campaign_data(HUNG_YEN.parent / "appendix-vocabulary.toml")
    vocabulary = schema_from(data["appendix"], problems, check_keys)
    assert problems == []
    assert vocabulary.column_of("dien tich dat cho thue ha").key == "leasable_ha"
    assert vocabulary.column_of("dia chi").key == "address"
