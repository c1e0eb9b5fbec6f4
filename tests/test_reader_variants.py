"""Generated reports (tests/report_factory.py) read back as they were written: every variation
alone, a seeded sample of combinations, appendix workbooks and - when LibreOffice is here - the
same reports as PDF, compared the way the acceptance scorer compares (outline present set, rows
by kind + group + name, cells, metadata, unit told without --unit). A larger run by hand:
`python -m tests.report_factory --count 600 --pdf 100 --xlsx 60`."""
from __future__ import annotations

import dataclasses
import random
import shutil

import pytest

from intake_bot.reader.appendix import read_appendix
from intake_bot.reader.extract import extract_bytes
from intake_bot.reader.header import read_header
from intake_bot.reader.model import Content, Paragraph, Table
from intake_bot.reader.numbers import parse_number
from intake_bot.reader.pdf import read_pdf

from .conftest import hung_yen_appendix
from .docx_builder import build_docx, paragraph
from .report_factory import (UNITS, Report, Variant, build_appendix_xlsx, build_report, differences,
                             printable_workbook, random_variant, single_variants, to_pdf)

SCHEMA = hung_yen_appendix()


def problems(report, campaign) -> list[str]:
    """What extract gets wrong: the unit from a run without --unit, the rest from a run told the
    truth's unit (as the scorer runs it)."""
    alone = extract_bytes(report.data, report.name, campaign).to_json()
    found = [p for p in differences(alone, report.truth) if p.startswith(("unit", "error"))]
    if report.truth["unit"] is None:
        return found + differences(alone, report.truth, unit_told=True)
    told = extract_bytes(report.data, report.name, campaign, report.truth["unit"]).to_json()
    return found + differences(told, report.truth, unit_told=True)


SINGLES = single_variants()


@pytest.mark.parametrize("variant", SINGLES, ids=lambda v: ",".join(v.switches()) or "default")
def test_each_variation_alone(variant, campaign):
    """Each switch on one outline in turn (sct, bql, a district) and one more unit."""
    at = SINGLES.index(variant)
    for unit in (("so-cong-thuong", "bql-kcn", "ubnd-van-lam")[at % 3], UNITS[at % len(UNITS)]):
        report = build_report(unit, variant, seed=at)
        assert problems(report, campaign) == [], (report.name, variant.switches())


def test_seeded_combinations(campaign):
    rng = random.Random(2024)
    failures = []
    for n in range(60):
        unit = rng.choice(UNITS + ["company"])
        report = build_report(unit, random_variant(rng, density=0.4), seed=n)
        found = problems(report, campaign)
        if found:
            failures.append((report.name, report.variant.switches(), found))
    assert failures == []


def test_appendix_workbooks(campaign):
    rng = random.Random(7)
    failures = []
    for n in range(24):
        report = build_appendix_xlsx(UNITS[n % len(UNITS)], random_variant(rng, density=0.4), seed=n)
        found = problems(report, campaign)
        if found:
            failures.append((report.name, report.variant.switches(), found))
    assert failures == []


# Reports converted in one LibreOffice call: the corpus's layout (appendix rows kept whole, in a
# landscape section) with header, heading and appendix variations; and a long table running over
# pages with its header repeated.
PDF_CASES = [
    ("ubnd-yen-my", Variant(note_column=True), 1),
    ("bql-kcn", Variant(headings="autonum", face="bold", reword=True, signature="tabs"), 2),
    ("so-cong-thuong", Variant(header="tabs", number="blank", title="two", signed_mark=True), 3),
    ("ubnd-an-thi", Variant(headings="part", upper_top=True, extra=True, two_row_header=True,
                            numbering_row=True), 4),
    ("ubnd-kim-dong", Variant(flatten=True, drop=1, colon=True, header="table1", one_line_issuer=True,
                              split_tables=True, groups="words", odd_numbers=True), 5),
    ("ubnd-my-hao", Variant(nfd=True, nbsp=True, subject_line=True, total_row=True, subtotals=True,
                            blank_investor=True, stt="dot"), 6),
    ("company", Variant(face="bold"), 7),
    ("ubnd-van-lam", Variant(long_table=True, repeat_header=True, reorder=True, prefix="long"), 8),
]


# Tables on a landscape A4 page (9638 twips of text height) whose rows are exactly 600 twips high
# and kept whole, so that LibreOffice breaks the page where a test wants it.
_WIDTHS = [900, 3000, 4000, 1600, 1700, 1500]
_HEADER = ["STT", "Tên CCN", "Chủ đầu tư hạ tầng", "Diện tích (ha)", "Diện tích đất cho thuê (ha)", "Tỷ lệ lấp đầy (%)"]
_EDGES = "".join(f'<w:{e} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                 for e in ("top", "left", "bottom", "right", "insideH", "insideV"))
_LANDSCAPE = ('<w:p><w:pPr><w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/><w:pgMar w:top="1134" '
              'w:right="1134" w:bottom="1134" w:left="1134" w:header="720" w:footer="720" w:gutter="0"/>'
              '</w:sectPr></w:pPr></w:p>')


def _cell(text: str, width: int, span: int = 1, vmerge: str | None = None) -> str:
    merge = "" if vmerge is None else f'<w:vMerge w:val="{vmerge}"/>' if vmerge else "<w:vMerge/>"
    spans = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{spans}{merge}</w:tcPr>{paragraph(text)}</w:tc>'


def _row(cells: list[str]) -> str:
    return f'<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="600" w:hRule="exact"/></w:trPr>{"".join(cells)}</w:tr>'


def _values(values: list[str]) -> str:
    return _row([_cell(text, width) for text, width in zip(values, _WIDTHS)])


def _data(n: int) -> str:
    return _values([str(n), f"CCN Số {n}", "Công ty CP Hồng Hà", f"{40 + n},5", f"{20 + n},25", "50"])


def _table(rows: list[str], widths: list[int] = _WIDTHS, ruled: bool = True) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    borders = f"<w:tblBorders>{_EDGES}</w:tblBorders>" if ruled else ""
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/>{borders}<w:tblLayout w:type="fixed"/>'
            f'</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>')


def _page_break_case(name: str, body: list[str]) -> Report:
    return Report(f"{name}.docx", build_docx([*body, _LANDSCAPE]), {}, Variant(), 0, "")


def page_break_cases() -> list[Report]:
    """A header and 16 rows: the 16th alone on page 2; the same with a "Tổng cộng" row (first cell
    empty) alone on page 2; a two-row header ("Diện tích (ha)" over "Tổng | Đất cho thuê") whose
    rows a page break parts, under 14 rows of filler and an empty paragraph."""
    total = _values(["", "Tổng cộng", "", "760,5", "420,25", ""])
    top = _row([_cell("STT", 900, vmerge="restart"), _cell("Tên CCN", 3000, vmerge="restart"),
                _cell("Chủ đầu tư hạ tầng", 4000, vmerge="restart"), _cell("Diện tích (ha)", 3300, span=2),
                _cell("Tỷ lệ lấp đầy (%)", 1500, vmerge="restart")])
    bottom = _row([_cell("", 900, vmerge=""), _cell("", 3000, vmerge=""), _cell("", 4000, vmerge=""),
                   _cell("Tổng", 1600), _cell("Đất cho thuê", 1700), _cell("", 1500, vmerge="")])
    filler = _table([_row([_cell("x", 14700)])] * 14, [14700], ruled=False)
    return [_page_break_case("last-row-on-next-page", [_table([_values(_HEADER)] + [_data(n) for n in range(1, 17)])]),
            _page_break_case("total-row-on-next-page",
                             [_table([_values(_HEADER)] + [_data(n) for n in range(1, 16)] + [total])]),
            _page_break_case("header-parted-by-a-page-break",
                             [filler, "<w:p/>", _table([top, bottom] + [_data(n) for n in range(1, 4)])])]


@pytest.fixture(scope="module")
def pdf_reports(tmp_path_factory):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: no PDF conversions")
    reports = [build_report(unit, variant, seed) for unit, variant, seed in PDF_CASES] + page_break_cases()
    converted = to_pdf(reports, tmp_path_factory.mktemp("pdf"))
    assert len(converted) == len(reports), "LibreOffice did not convert every report"
    return {report.name: report for report in converted}


def test_reports_as_pdf(pdf_reports, campaign):
    failures = [(r.name, r.variant.switches(), problems(r, campaign)) for r in pdf_reports.values() if r.unit]
    assert [f for f in failures if f[2]] == []


def appendix_names(report: Report) -> list[str]:
    return [row["name"] for row in read_appendix(read_pdf(report.data), SCHEMA)[0]]


def test_pdf_table_whose_last_row_runs_onto_the_next_page(pdf_reports):
    assert appendix_names(pdf_reports["last-row-on-next-page.pdf"]) == [f"CCN Số {n}" for n in range(1, 17)]


def test_pdf_total_row_alone_on_the_next_page(pdf_reports):
    assert appendix_names(pdf_reports["total-row-on-next-page.pdf"]) == [f"CCN Số {n}" for n in range(1, 16)]


def test_pdf_two_row_header_parted_by_a_page_break(pdf_reports):
    assert appendix_names(pdf_reports["header-parted-by-a-page-break.pdf"]) == ["CCN Số 1", "CCN Số 2", "CCN Số 3"]


# Tables drawn without lines: Word tables whose borders were removed, and workbooks printed
# without grid lines (LibreOffice Calc); a report with no table at all, whose prose stays prose.
LINELESS_CASES = [
    ("ubnd-yen-my", Variant(borderless=True), 1),
    ("bql-kcn", Variant(borderless=True, groups="merged", blank_investor=True), 2),
    ("so-cong-thuong", Variant(borderless=True, two_row_header=True, odd_numbers=True), 3),
    ("ubnd-van-lam", Variant(borderless=True, long_table=True, repeat_header=True), 4),
    ("ubnd-an-thi", Variant(borderless=True, portrait_appendix=True, reorder=True), 6),
    ("ubnd-van-lam", Variant(borderless=True, groups="words", stt="dot", none_rows=True), 8),
    ("bql-kcn", Variant(borderless=True, numbering_row=True, subtotals=True, no_stt=True), 9),
]
PRINTED_WORKBOOKS = [("ubnd-van-lam", Variant(), 1)]
PROSE_ONLY = ("ubnd-yen-my", Variant(appendix="none"), 10)


@pytest.fixture(scope="module")
def lineless_reports(tmp_path_factory):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: no PDF conversions")
    books = [printable_workbook(build_appendix_xlsx(*case)) for case in PRINTED_WORKBOOKS]
    books = [dataclasses.replace(book, name=book.name.replace(".xlsx", "-printed.xlsx")) for book in books]
    reports = [build_report(*case) for case in LINELESS_CASES + [PROSE_ONLY]] + books
    return to_pdf(reports, tmp_path_factory.mktemp("lineless"))


def test_tables_without_lines_read_as_tables(lineless_reports, campaign):
    words = [r for r in lineless_reports if r.variant.borderless]
    assert len(words) == len(LINELESS_CASES), "LibreOffice did not convert every report"
    assert [(r.name, problems(r, campaign)) for r in words if problems(r, campaign)] == []


def test_workbooks_printed_without_grid_lines_read_as_tables(lineless_reports, campaign):
    printed = [r for r in lineless_reports if r.name.endswith("-printed.pdf")]
    if not printed:
        pytest.skip("LibreOffice Calc (libreoffice-calc-nogui) is not installed: workbooks not printed")
    assert [(r.name, problems(r, campaign)) for r in printed if problems(r, campaign)] == []
    assert all(r.truth["tables"] for r in printed)


def test_a_plain_report_s_prose_is_no_table(lineless_reports, campaign):
    """No table in the report: every block of three cells or more would be prose taken for one."""
    report = next(r for r in lineless_reports if r.variant == PROSE_ONLY[1])
    blocks = read_pdf(report.data).blocks
    assert [b.rows for b in blocks if isinstance(b, Table) and len(b.rows[0]) > 2] == []
    assert sum(isinstance(b, Paragraph) for b in blocks) > 20
    assert problems(report, campaign) == []


# ------------------------------------------------------------------ the mechanisms, one by one

def test_a_number_left_blank_for_the_clerk_is_kept_as_printed():
    header = Table(rows=[["ỦY BAN NHÂN DÂN\nHUYỆN ÂN THI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
                         ["Số:      /BC-UBND", "Ân Thi, ngày 7 tháng 5 năm 2024"]])
    meta = read_header(Content("docx", [header, Paragraph("BÁO CÁO", True), Paragraph("Kết quả", True)]))
    assert (meta["issuer"], meta["number"], meta["date"]) == ("UBND HUYỆN ÂN THI", "/BC-UBND", "2024-05-07")


def test_pdf_lines_that_run_both_header_columns_together():
    lines = ["CÔNG TY CỔ PHẦN ĐẦU TƯ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT", "PHÁT TRIỂN HẠ TẦNG NAM",
             "Số: 45/BC-PBĐộc lập - Tự do - Hạnh phúc", "V/v báo cáo tình hình triển khai",
             "dự án đầu tư hạ tầng Yên Mỹ, ngày 07 tháng 05 năm 2024"]
    blocks = [Paragraph(t, page=1) for t in lines] + [Paragraph("BÁO CÁO", True, page=1),
                                                      Paragraph("Tình hình dự án giai đoạn 2021-", True, page=1),
                                                      Paragraph("2025", True, page=1)]
    meta = read_header(Content("pdf", blocks))
    assert meta["issuer"] == "CÔNG TY CỔ PHẦN ĐẦU TƯ PHÁT TRIỂN HẠ TẦNG"
    assert meta["number"] == "45/BC-PB" and meta["date"] == "2024-05-07"
    assert meta["title"] == "Tình hình dự án giai đoạn 2021-2025"


def test_signer_when_a_pdf_line_runs_the_recipients_and_the_signing_column_together():
    signature = [Paragraph("Nơi nhận: TRƯỞNG BAN", True, page=3),
                 Table(rows=[["- Ban KT-NS HĐND tỉnh;\n- Lưu: VT.", "Vũ Hữu Dũng"]], page=3)]
    assert read_header(Content("pdf", signature))["signer"] == "Vũ Hữu Dũng"
    split = [Table(rows=[["Nơi nhận:\n- Sở Công Thương;", "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"]], page=3),
             Paragraph("- Lưu: VT. Lương Xuân Dũng", page=4)]
    assert read_header(Content("pdf", split))["signer"] == "Lương Xuân Dũng"


def test_groups_without_a_numeral_are_told_by_their_words():
    table = Table(rows=[["STT", "Tên CCN", "Chủ đầu tư", "Diện tích (ha)", "Tỷ lệ lấp đầy (%)"],
                        ["Các CCN đã đi vào hoạt động", "", "", "", ""],
                        ["1", "CCN Tân Quang", "Công ty CP Đông Á", "47,7", "63,8"],
                        ["Các CCN đang trong quá trình triển khai", "", "", "", ""],
                        ["1", "CCN Đức Hợp", "-", "52", "-"]])
    rows, _ = read_appendix(Content("docx", [table]), SCHEMA)
    assert [(r["group"], r["name"]) for r in rows] == [("I", "CCN Tân Quang"), ("III", "CCN Đức Hợp")]


def test_title_rows_above_a_workbook_header_are_not_header_rows():
    sheet = Table(rows=[["KẾT QUẢ ĐẦU TƯ CÁC KHU CÔNG NGHIỆP", "", "", "", "", ""],
                        ["(Kèm theo Báo cáo số 12/BC-BQL)", "", "", "", "", ""],
                        ["STT", "Tên KCN", "Chủ đầu tư", "Diện tích (ha)", "", "Tỷ lệ lấp đầy (%)"],
                        ["", "", "", "Tổng", "Đất cho thuê", ""],
                        ["I", "Các KCN đã đi vào hoạt động", "", "", "", ""],
                        ["1", "KCN Minh Quang", "", "465,72", "305,6", "52"]])
    rows, _ = read_appendix(Content("xlsx", [sheet]), SCHEMA)
    assert (rows[0]["area_ha"], rows[0]["leasable_ha"], rows[0]["occupancy_pct"]) == (465.72, 305.6, 52.0)


def test_a_number_wrapped_in_a_narrow_pdf_column():
    assert parse_number("1.075 ,8") == 1075.8 and parse_number("699,2 7") == 699.27
    assert parse_number("1 234,5") == 1234.5 and parse_number("2 KCN") is None
