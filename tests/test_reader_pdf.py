"""The PDF reader: on the corpus PDFs (against their truth files), on reports LibreOffice makes
from generated DOCX files (against what the DOCX reader gives for the same report), and on the
messy PDFs of pdfplumber's own test suite (never an exception, never slow)."""
from __future__ import annotations

import io
import json
import shutil
import time
import unicodedata

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from bench.extract import APPENDIX_HEADER, appendix_rows, build_report_docx, docx_to_pdf
from intake_bot.reason import Reason
from intake_bot.reader.docx import read_docx
from intake_bot.reader.model import Paragraph, Table, UnreadableFile
from intake_bot.reader.pdf import _append_part, _Assembler, _continues, _lineless_tables, _group_lines, _Page, _TablePart, _Word, read_pdf

from .conftest import CORPUS, SHARED

DOCUMENTS = CORPUS / "documents"
EXTERNAL_PDF = SHARED / "external" / "pdfplumber"
RUNNING_HEADER = "Báo cáo kết quả giám sát năm 2024"

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                   reason="LibreOffice (soffice) not installed")
needs_external = pytest.mark.skipif(not EXTERNAL_PDF.is_dir(),
                                    reason=f"{EXTERNAL_PDF} absent (shared external files)")


def truth(name: str) -> dict:
    return json.loads((DOCUMENTS / f"{name}.truth.json").read_text(encoding="utf-8"))


def read(name: str):
    return read_pdf((DOCUMENTS / f"{name}.pdf").read_bytes())


def paragraphs(content) -> list[Paragraph]:
    return [block for block in content.blocks if isinstance(block, Paragraph)]


def tables(content) -> list[Table]:
    return [block for block in content.blocks if isinstance(block, Table)]


# --- the corpus -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["d06", "d09"])
def test_header_block_is_one_row_of_two_cells(name):
    expected = truth(name)["metadata"]
    first = read(name).blocks[0]
    assert isinstance(first, Table) and len(first.rows) == 1 and len(first.rows[0]) == 2
    left, right = (cell.split("\n") for cell in first.rows[0])
    assert left == ["ỦY BAN NHÂN DÂN", expected["issuer"].replace("UBND ", ""), f"Số: {expected['number']}"]
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    day = int(expected["date"][-2:])
    assert right[2].endswith((f"ngày {day:02d} tháng 5 năm 2024", f"ngày {day} tháng 5 năm 2024"))
    assert len(right) == 3


@pytest.mark.parametrize("name", ["d06", "d09"])
def test_headings_are_bold_paragraphs_in_order(name):
    content = read(name)
    texts = [(p.text, p.bold) for p in paragraphs(content)]
    position = 0
    for section in truth(name)["sections"]:
        found = texts.index((section["heading"], True), position)  # ValueError when missing
        position = found + 1


@pytest.mark.parametrize("name", ["d06", "d09"])
def test_title_typed_over_lines_is_one_paragraph(name):
    assert truth(name)["metadata"]["title"] in [p.text for p in paragraphs(read(name))]


@pytest.mark.parametrize("name", ["d06", "d09"])
def test_signature_block_is_one_row_of_two_cells(name):
    signer = truth(name)["metadata"]["signer"]
    blocks = [t for t in tables(read(name)) if t.rows[0][0].startswith("Nơi nhận:")]
    assert len(blocks) == 1 and len(blocks[0].rows) == 1
    left, right = blocks[0].rows[0]
    assert "- Lưu: VT, KT&HT." in left.split("\n")
    assert right.split("\n")[-1] == signer and "PHÓ CHỦ TỊCH" in right.split("\n")


@pytest.mark.parametrize("name", ["d06", "d09"])
def test_appendix_rows_are_in_one_table_and_nowhere_else(name):
    content = read(name)
    names = [row["name"] for row in truth(name)["tables"]]
    appendix = [t for t in tables(content) if t.rows[0][:2] == ["STT", "Tên KCN/CCN"]]
    assert len(appendix) == 1
    assert all(any(row[1] == row_name for row in appendix[0].rows) for row_name in names)
    assert ["1", names[0]] == next(row[:2] for row in appendix[0].rows if row[1] == names[0])
    group = next(row for row in appendix[0].rows if row[0] == "A")
    assert group[1] == "Kết quả đầu tư Khu công nghiệp" and set(group[2:]) == {""}  # merged cell
    assert not any(row_name in p.text for p in paragraphs(content) for row_name in names)


def test_wrapped_cell_text_is_one_line():
    appendix = tables(read("d09"))[-1]
    assert appendix.rows[0][4] == "Diện tích đất cho thuê (ha)"
    assert appendix.rows[3][2] == "Công ty CP Đầu tư và Phát triển hạ tầng Tân Phú Thịnh"


def test_scanned_pdf_is_flagged_not_empty():
    content = read("d08")
    assert truth("d08")["scanned"] is True
    assert content.scanned is True and content.blocks == [] and content.pages == 5


def test_text_is_nfc_and_clean():
    content = read("d06")
    for block in content.blocks:
        texts = [block.text] if isinstance(block, Paragraph) else [c for row in block.rows for c in row]
        for text in texts:
            assert text == text.strip() and "  " not in text and "\u00ad" not in text
            assert text == unicodedata.normalize("NFC", text)
    assert any(p.text.startswith("Huyện Yên Mỹ có diện tích tự nhiên 92,6 km², dân số khoảng 157 nghìn người")
               for p in paragraphs(content))


def test_max_pages_reads_the_first_pages_with_a_warning():
    content = read_pdf((DOCUMENTS / "d09.pdf").read_bytes(), max_pages=2)
    assert content.pages == 5
    assert content.warnings == [Reason("read only the first 2 of 5 pages",
                                       "Chỉ đọc 2 trang đầu trong tổng số 5 trang của tệp PDF.")]
    assert {block.page for block in content.blocks} == {1, 2}


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"<!DOCTYPE html>\n<html><head><title>Google Drive</title></head><body>...</body></html>", "HTML"),
    (b"PK\x03\x04 not a pdf at all", "not a PDF"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "damaged"),
])
def test_unreadable_files_get_a_reason(data, words):
    with pytest.raises(UnreadableFile) as caught:
        read_pdf(data)
    assert words in caught.value.reason
    assert "đề nghị quý cơ quan gửi lại" in caught.value.reason_vi


def test_truncated_pdf_is_unreadable():
    data = (DOCUMENTS / "d09.pdf").read_bytes()
    with pytest.raises(UnreadableFile) as caught:
        read_pdf(data[: len(data) // 2])
    assert "truncated" in caught.value.reason


@needs_external
def test_password_protected_pdf():
    with pytest.raises(UnreadableFile) as caught:
        read_pdf((EXTERNAL_PDF / "password-example.pdf").read_bytes())
    assert "password" in caught.value.reason
    assert "mật khẩu" in caught.value.reason_vi and "(.docx)" in caught.value.reason_vi


EXTERNAL_FILES = sorted(EXTERNAL_PDF.glob("*.pdf")) if EXTERNAL_PDF.is_dir() else []


@needs_external
@pytest.mark.parametrize("path", EXTERNAL_FILES, ids=[p.name for p in EXTERNAL_FILES])
def test_every_external_pdf_is_read_or_refused_quickly(path):
    start = time.monotonic()
    try:
        content = read_pdf(path.read_bytes())
    except UnreadableFile as exc:
        assert exc.reason and exc.reason_vi
    else:
        assert content.format == "pdf" and content.pages >= 1
        assert content.scanned or content.blocks or content.warnings
    assert time.monotonic() - start < 5


@needs_external
def test_text_turned_sideways_reads_along_the_text():
    # Text drawn down a page shown rotated (/Rotate 270), and upright text on a page marked /Rotate 90.
    sideways = [p.text for p in paragraphs(read_pdf((EXTERNAL_PDF / "issue-1054-example.pdf").read_bytes()))]
    assert "Bundesministerium des Innern" in sideways
    marked = read_pdf((EXTERNAL_PDF / "nics-background-checks-2015-11-rotated.pdf").read_bytes())
    assert [p.text for p in paragraphs(marked)] == ["Page 1 of 205"]
    grid = tables(marked)[0].rows  # the whole page is ruled
    assert grid[0][0] == "NICS Firearm Background Checks November - 2015"
    assert grid[1][:2] == ["State / Territory", "Permit Handgun Long Gun *Other **Multiple Admin"]


@needs_external
def test_overprinted_text_is_read_once():
    texts = [p.text for p in paragraphs(read_pdf((EXTERNAL_PDF / "issue-842-example.pdf").read_bytes()))]
    assert "ANHUI ANLI ARTIFICIAL LEATHER CO.,LTD." in texts[0]


@needs_external
def test_ruled_tables_match_pdfplumber_cells():
    content = read_pdf((EXTERNAL_PDF / "issue-140-example.pdf").read_bytes())
    first = tables(content)[0]
    assert first.rows[0] == ["Line no", "UPC code", "Location", "Item Description", "Item Quantity",
                             "Bill Amount", "Accrued Amount", "Handling Rate", "PO number"]
    assert first.rows[1][:5] == ["", "0085648100305", "CENTRAL KMA", "LILYS 40% SLTD ALMND CHOC", "637"]


# --- table parts across pages ---------------------------------------------------------------------

def test_row_split_by_the_page_break_is_joined_back():
    header = ["STT", "Tên CCN", "Ghi chú"]
    first = _TablePart(rows=[header, ["1", "CCN Tân Quang", "Đang hoàn thiện"]], page=3, top=500,
                       column_edges=[50, 90, 300, 500])
    rest = _TablePart(rows=[header, ["", "", "hạ tầng"], ["2", "CCN Lạc Hồng", ""]], page=4, top=60,
                      column_edges=[50, 90, 300, 500])
    _append_part(first, rest)
    assert first.rows == [header, ["1", "CCN Tân Quang", "Đang hoàn thiện hạ tầng"], ["2", "CCN Lạc Hồng", ""]]
    assert (first.page, first.last_page) == (3, 4)


def test_a_total_row_first_on_the_next_page_stays_a_row():
    """Its STT is empty too, but it has numbers where the row above has them: not a split row."""
    header = ["STT", "Tên CCN", "Diện tích (ha)"]
    first = _TablePart(rows=[header, ["15", "CCN Số 15", "55,5"]], page=1, top=500, column_edges=[50, 90, 300, 400])
    rest = _TablePart(rows=[["", "Tổng cộng", "760,5"]], page=2, top=60, column_edges=[50, 90, 300, 400])
    assert _continues(first, rest)
    _append_part(first, rest)
    assert first.rows == [header, ["15", "CCN Số 15", "55,5"], ["", "Tổng cộng", "760,5"]]


def test_a_header_whose_merged_cell_hides_an_edge_joins_the_finer_part_below():
    """The header's first row ends page 1 ("Diện tích (ha)" over two columns, the last cell's
    words parted by the break); page 2 has the second header row and the data."""
    first = _TablePart(rows=[["STT", "Tên CCN", "Diện tích (ha)", "Tỷ lệ lấp"]], page=1, top=500,
                       column_edges=[50, 90, 300, 500, 600])
    rest = _TablePart(rows=[["", "", "Tổng", "Đất cho thuê", "đầy (%)"], ["1", "CCN Số 1", "41,5", "21,25", "50"]],
                      page=2, top=60, column_edges=[50, 90, 300, 401, 500, 600])
    assert _continues(first, rest)
    _append_part(first, rest)
    assert first.rows == [["STT", "Tên CCN", "Diện tích (ha) Tổng", "Đất cho thuê", "Tỷ lệ lấp đầy (%)"],
                          ["1", "CCN Số 1", "41,5", "21,25", "50"]]
    other = _TablePart(rows=[["a", "b", "c"]], page=2, top=60, column_edges=[50, 120, 300, 600])
    assert not _continues(_TablePart(rows=[["x", "y", "z", "w"]], page=1, top=500,
                                     column_edges=[50, 90, 300, 500, 600]), other)


# --- layout rules on laid-out words ---------------------------------------------------------------

def laid_out(text: str, x0: float, top: float, size: float = 10, bold: bool = False) -> list[_Word]:
    """Words as a PDF would place them: 0.5 em a character, 0.25 em a space."""
    words, x = [], x0
    for token in text.split():
        width = 0.5 * size * len(token)
        words.append(_Word(token, x, x + width, top, top + size, bold, size, top + 0.8 * size))
        x += width + 0.25 * size
    return words


def justified(text: str, x0: float, x1: float, top: float, size: float = 10) -> list[_Word]:
    """A line set flush to both margins."""
    words = laid_out(text, x0, top, size)
    stretch = (x1 - words[-1].x1) / max(len(words) - 1, 1)
    for number, word in enumerate(words):
        word.x0, word.x1 = word.x0 + number * stretch, word.x1 + number * stretch
    return words


def blocks_of(*rows: list[_Word]) -> list:
    words = [word for row in rows for word in row]
    return _Assembler([_Page(number=1, width=595, lines=_group_lines(words, 1))]).blocks()


def test_cells_on_different_baselines_are_one_side_by_side_block():
    # The right cell's lines fall between the left cell's: no line holds both, yet they overlap.
    blocks = blocks_of(laid_out("CỘNG HÒA", 330, 100, bold=True), laid_out("UBND HUYỆN A", 100, 106),
                       laid_out("Độc lập", 340, 114), laid_out("Số: 1/BC", 110, 120),
                       laid_out("Nội dung báo cáo trải dài hết chiều rộng của trang giấy in", 85, 160))
    assert blocks[0] == Table(rows=[["UBND HUYỆN A\nSố: 1/BC", "CỘNG HÒA\nĐộc lập"]], page=1)
    assert [type(block) for block in blocks] == [Table, Paragraph]


def test_header_wider_than_the_text_does_not_stop_paragraphs():
    rows = [laid_out("ỦY BAN NHÂN DÂN", 60, 40, bold=True),
            laid_out("CỘNG HÒA XÃ HỘI CHỦ NGHĨA", 330, 40, bold=True),
            laid_out("Số: 9/BC", 70, 54),
            laid_out("Hưng Yên, ngày 8 tháng 5 năm 2024 (bản sửa lần hai)", 345, 54)]
    top = 90
    for paragraph in range(3):
        rows.append(justified(f"Đoạn {paragraph + 1} mở đầu thụt vào một khoảng", 113, 520, top))
        rows += [justified("các dòng tiếp theo chạy hết lề trái đến lề phải", 85, 520, top + 14 * line)
                 for line in (1, 2)]
        rows.append(laid_out("dòng cuối.", 85, top + 42))
        top += 62
    blocks = blocks_of(*rows)
    assert max(word.x1 for word in rows[3]) > 570  # past the right margin of the text
    assert [type(block) for block in blocks] == [Table, Paragraph, Paragraph, Paragraph]
    assert blocks[1].text.startswith("Đoạn 1 mở đầu") and blocks[1].text.endswith("phải dòng cuối.")


def test_short_line_then_centred_title_is_not_side_by_side():
    blocks = blocks_of(laid_out("ha.", 85, 100), laid_out("PHỤ LỤC", 270, 124, bold=True))
    assert [(block.text, block.bold) for block in blocks] == [("ha.", False), ("PHỤ LỤC", True)]


# --- reports made by LibreOffice ------------------------------------------------------------------

def made_by_libreoffice(docx_data: bytes, tmp_path_factory) -> tuple[bytes, object]:
    """The DOCX and what read_pdf gives for LibreOffice's PDF of it."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    return docx_data, read_pdf(docx_to_pdf(docx_data, tmp_path_factory.mktemp("libreoffice")))


@pytest.fixture(scope="session")
def made_report(tmp_path_factory):
    """A report with a running header, page numbers, a small ruled table, and a 60-row appendix
    over three landscape pages whose header row repeats."""
    return made_by_libreoffice(build_report_docx(sections=3, appendix=60, running_header=RUNNING_HEADER),
                               tmp_path_factory)


@needs_soffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("made", ["made_report", "made_variants"])
def test_paragraphs_are_the_docx_paragraphs(made, request):
    # Lines joined back into the DOCX's paragraphs: headings wrapped over lines, body text over
    # lines and pages; nothing from the page furniture, the tables or the side-by-side blocks.
    docx_data, content = request.getfixturevalue(made)
    expected = [(p.text, p.bold) for p in paragraphs(read_docx(docx_data)) if p.text]
    assert [(p.text, p.bold) for p in paragraphs(content)] == expected


@needs_soffice
@pytest.mark.libreoffice
def test_made_report_has_no_page_numbers_or_running_header(made_report):
    _, content = made_report
    assert content.pages >= 8
    texts = [p.text for p in paragraphs(content)]
    assert not [text for text in texts if text.isdigit() or RUNNING_HEADER in text]


@needs_soffice
@pytest.mark.libreoffice
def test_made_report_appendix_over_pages_is_one_table(made_report):
    _, content = made_report
    appendix = [t for t in tables(content) if t.rows[0] == APPENDIX_HEADER]
    assert len(appendix) == 1
    pages = [b.page for b in content.blocks if isinstance(b, Paragraph) and b.text == "PHỤ LỤC"]
    assert appendix[0].page == pages[0] and content.pages > pages[0] + 1  # it runs over pages
    # Group rows span the columns after the first: their covered cells are "".
    expected = [row if len(row) > 2 else row + [""] * 4 for row in appendix_rows(60)]
    assert appendix[0].rows[1:] == expected


@needs_soffice
@pytest.mark.libreoffice
def test_made_report_header_and_signature_blocks(made_report):
    _, content = made_report
    found = [t.rows for t in tables(content) if len(t.rows) == 1 and len(t.rows[0]) == 2]
    assert len(found) == 2
    header, signature = found[0][0], found[1][0]
    assert header[0].split("\n") == ["UBND TỈNH HƯNG YÊN", "SỞ CÔNG THƯƠNG", "Số: 125/BC-SCT"]
    assert header[1].replace("\n", " ") == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc "
                                            "Hưng Yên, ngày 08 tháng 5 năm 2024")
    assert signature == ["Nơi nhận:\n- Ban KT-NS HĐND tỉnh;\n- UBND tỉnh;\n- Lưu: VT, QLCN.",
                         "GIÁM ĐỐC\nNguyễn Văn Bình"]
    assert content.blocks[0] == Table(rows=[header], page=1)


def layout_variants_docx() -> bytes:
    """Layouts the generated report does not have: the header's left cell starting lower than
    the right one, a bold heading over three lines, paragraphs told apart by spacing alone (no
    first-line indent), a bold lead-in before plain text."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(13)
    header = document.add_table(rows=1, cols=2)
    header.autofit = False
    left, right = header.rows[0].cells
    for column, cell, width in zip(header.columns, (left, right), (Cm(6), Cm(10))):
        column.width = cell.width = width  # LibreOffice reads the grid, Word the cells
    left.paragraphs[0].text = "UBND HUYỆN KIM ĐỘNG"
    left.paragraphs[0].paragraph_format.space_before = Pt(22)
    left.add_paragraph("Số: 77/BC-UBND")
    right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold = True
    right.add_paragraph("Độc lập - Tự do - Hạnh phúc")
    right.add_paragraph("Kim Động, ngày 7 tháng 5 năm 2024")
    for cell in (left, right):
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for run in paragraph.runs:
                run.font.size = Pt(10)
    heading = document.add_paragraph()
    heading.add_run("2. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo Nghị quyết số "
                    "07-NQ/TU của Ban Chấp hành Đảng bộ tỉnh về phát triển công nghiệp, tiểu thủ công "
                    "nghiệp, làng nghề và thương mại dịch vụ trên địa bàn huyện giai đoạn 2021-2025").bold = True
    for number in range(3):
        body = document.add_paragraph(f"Đoạn {number + 1}: " + "các cụm công nghiệp đã hoàn thành hạ tầng kỹ "
                                      "thuật, thu hút các dự án đầu tư, giải quyết việc làm cho lao động " * 3)
        body.paragraph_format.space_after = Pt(8)
        body.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    lead = document.add_paragraph()
    lead.add_run("Về quy hoạch: ").bold = True
    lead.add_run("đã rà soát, đề xuất đưa 3 cụm công nghiệp vào Quy hoạch tỉnh.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def made_variants(tmp_path_factory):
    return made_by_libreoffice(layout_variants_docx(), tmp_path_factory)


@needs_soffice
@pytest.mark.libreoffice
def test_header_cell_starting_lower_is_still_one_block(made_variants):
    _, content = made_variants
    assert content.blocks[0] == Table(rows=[[
        "UBND HUYỆN KIM ĐỘNG\nSố: 77/BC-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nKim Động, ngày 7 tháng 5 năm 2024"]],
        page=1)


@needs_soffice
@pytest.mark.libreoffice
def test_heading_over_three_lines_and_bold_lead_in(made_variants):
    _, content = made_variants
    found = paragraphs(content)
    assert [p.bold for p in found] == [True, False, False, False, False]
    assert found[0].text.startswith("2. Kết quả thực hiện") and found[0].text.endswith("giai đoạn 2021-2025")
    assert found[-1].text == "Về quy hoạch: đã rà soát, đề xuất đưa 3 cụm công nghiệp vào Quy hoạch tỉnh."


# --- tables drawn without lines --------------------------------------------------------------------

def cells_at(texts: list[str], columns: list[float], top: float, size: float = 10) -> list[_Word]:
    """One line of a table without lines: each text laid out from its column's left edge."""
    return [word for text, x0 in zip(texts, columns) if text for word in laid_out(text, x0, top, size)]


def read_lines(*rows: list[_Word]) -> list:
    """The blocks of one page, tables without lines found as read_pdf finds them."""
    page = _Page(number=1, width=595, lines=_group_lines([word for row in rows for word in row], 1))
    _lineless_tables(page, None)
    return _Assembler([page]).blocks()


COLUMNS = [85, 120, 230, 400, 460]


def test_a_table_without_lines_is_read_by_its_gutters_with_wrapped_cells_joined():
    rows = [cells_at(["STT", "Tên CCN", "Chủ đầu tư", "Diện tích", "Tỷ lệ"], COLUMNS, 100),
            cells_at(["1", "CCN Tân Quang", "Công ty CP Đông Á", "47,7", "63,8"], COLUMNS, 114),
            cells_at(["2", "CCN Lạc Hồng", "Công ty TNHH Phát triển", "30,5", "5"], COLUMNS, 128),
            cells_at(["", "", "hạ tầng Hồng Hà", "", ""], COLUMNS, 142),
            cells_at(["", "Tổng cộng", "", "78,2", ""], COLUMNS, 156)]
    blocks = read_lines(laid_out("Kết quả đầu tư các cụm công nghiệp trên địa bàn huyện", 85, 80), *rows,
                        laid_out("Đoạn văn sau bảng chạy hết chiều rộng trang giấy in của báo cáo.", 85, 180))
    assert [type(block) for block in blocks] == [Paragraph, Table, Paragraph]
    assert blocks[1].rows == [["STT", "Tên CCN", "Chủ đầu tư", "Diện tích", "Tỷ lệ"],
                              ["1", "CCN Tân Quang", "Công ty CP Đông Á", "47,7", "63,8"],
                              ["2", "CCN Lạc Hồng", "Công ty TNHH Phát triển hạ tầng Hồng Hà", "30,5", "5"],
                              ["", "Tổng cộng", "", "78,2", ""]]


def test_cells_at_the_bottom_of_their_rows_join_upwards():
    """A workbook's default: the wrapped cell's first line stands above the row's other cells."""
    rows = [cells_at(["STT", "Tên CCN", "Chủ đầu tư", "Diện tích", "Tỷ lệ"], COLUMNS, 100),
            cells_at(["", "", "Công ty TNHH Phát triển", "", ""], COLUMNS, 114),
            cells_at(["1", "CCN Lạc Hồng", "hạ tầng Hồng Hà", "30,5", "5"], COLUMNS, 128),
            cells_at(["2", "CCN Tân Quang", "Công ty CP Đông Á", "47,7", "63,8"], COLUMNS, 142)]
    table = read_lines(*rows)[0]
    assert table.rows[1:] == [["1", "CCN Lạc Hồng", "Công ty TNHH Phát triển hạ tầng Hồng Hà", "30,5", "5"],
                              ["2", "CCN Tân Quang", "Công ty CP Đông Á", "47,7", "63,8"]]


def test_prose_and_side_by_side_blocks_are_not_tables_without_lines():
    """Justified lines stretch every space alike (some beyond a gutter's width); the header's
    two cells are a side-by-side block, not a table."""
    rows = [laid_out("ỦY BAN NHÂN DÂN", 60, 40, bold=True), laid_out("CỘNG HÒA XÃ HỘI CHỦ NGHĨA", 330, 40, bold=True),
            laid_out("Số: 9/BC", 70, 54), laid_out("Hưng Yên, ngày 8 tháng 5", 345, 54)]
    top = 90
    for _ in range(3):
        rows += [justified("Các xã rà soát kế hoạch năm", 85, 520, top + 14 * line) for line in range(3)]
        rows.append(laid_out("dòng cuối.", 85, top + 42))
        top += 62
    assert max(b.x0 - a.x1 for a, b in zip(rows[4], rows[4][1:])) > 10   # wider than a gutter
    blocks = read_lines(*rows)
    assert [type(block) for block in blocks] == [Table, Paragraph, Paragraph, Paragraph]
    assert len(blocks[0].rows[0]) == 2
