"""The DOCX reader on files built here (python-docx + raw XML), the sample corpus and the
python-docx project's own test documents."""
from __future__ import annotations

import io
import json
import random
import re
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from intake_bot.reason import Reason
from intake_bot.reader.docx import format_counter, read_docx
from intake_bot.reader.model import Content, Paragraph, Table, UnreadableFile
from tests.docx_builder import (
    abstract_num, build_docx, cell, num, numbering, paragraph, run, style, table, text_box,
)

CORPUS_DOCUMENTS = Path(__file__).resolve().parent / "fixtures" / "corpus" / "documents"
EXTERNAL_DOCX = Path(__file__).resolve().parents[2] / "shared" / "external" / "python-docx"

# Level 0 "I.", level 1 "1.", level 2 "1.1." — the outline numbering of the reports.
OUTLINE_LIST = abstract_num(1, ("upperRoman", "%1."), ("decimal", "%2."), ("decimal", "%2.%3."))


def texts(content: Content) -> list[str]:
    return [block.text for block in content.blocks if isinstance(block, Paragraph)]


def only_table(content: Content) -> Table:
    tables = [block for block in content.blocks if isinstance(block, Table)]
    assert len(tables) == 1
    return tables[0]


def replace_part(data: bytes, name: str, new: bytes) -> bytes:
    """The package with one part's bytes replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, new if info.filename == name else source.read(info))
    return out.getvalue()


# ------------------------------------------------------------------------------------ numbering

def test_auto_numbered_headings_read_as_printed():
    body = [
        paragraph("KHÁI QUÁT CHUNG", num=(1, 0), bold=True),
        paragraph("Nội dung."),
        paragraph("KẾT QUẢ THỰC HIỆN", num=(1, 0), bold=True),
        paragraph("Công tác tham mưu triển khai", num=(1, 1)),
        paragraph("Kết quả thực hiện các mục tiêu", num=(1, 1)),
        paragraph("Mục tiêu tổng quát", num=(1, 2)),
        paragraph("Nhiệm vụ và giải pháp", num=(1, 2)),
        paragraph("Tổng hợp kết quả", num=(1, 1)),
        paragraph("HẠN CHẾ, KHÓ KHĂN", num=(1, 0)),
        paragraph("Nguyên nhân", num=(1, 1)),
    ]
    content = read_docx(build_docx(body, numbering=numbering(OUTLINE_LIST, num(1, 1))))
    assert texts(content) == [
        "I. KHÁI QUÁT CHUNG", "Nội dung.", "II. KẾT QUẢ THỰC HIỆN",
        "1. Công tác tham mưu triển khai", "2. Kết quả thực hiện các mục tiêu",
        "2.1. Mục tiêu tổng quát", "2.2. Nhiệm vụ và giải pháp", "3. Tổng hợp kết quả",
        "III. HẠN CHẾ, KHÓ KHĂN", "1. Nguyên nhân",  # level 1 restarted when level 0 advanced
    ]
    assert content.blocks[0].bold and not content.blocks[1].bold


def test_multi_level_pattern_uses_each_levels_format():
    numbers = numbering(abstract_num(1, ("upperRoman", "%1."), ("decimal", "%1.%2.")), num(1, 1))
    content = read_docx(build_docx([paragraph("A", num=(1, 0)), paragraph("B", num=(1, 1)),
                                    paragraph("C", num=(1, 1)), paragraph("D", num=(1, 0)),
                                    paragraph("E", num=(1, 1))], numbering=numbers))
    assert texts(content) == ["I. A", "I.1. B", "I.2. C", "II. D", "II.1. E"]


def test_legal_numbering_prints_all_levels_as_numbers():
    numbers = numbering(abstract_num(1, ("upperRoman", "%1.")), num(1, 1)).replace(
        "</w:abstractNum>",
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:isLgl/>'
        '<w:lvlText w:val="%1.%2."/></w:lvl></w:abstractNum>')
    content = read_docx(build_docx([paragraph("A", num=(1, 0)), paragraph("A", num=(1, 0)),
                                    paragraph("B", num=(1, 1))], numbering=numbers))
    assert texts(content) == ["I. A", "II. A", "2.1. B"]


def test_start_value_and_start_override_restart():
    numbers = numbering(abstract_num(1, ("decimal", "%1.", 3)), num(1, 1), num(2, 1, {0: 1}))
    content = read_docx(build_docx([paragraph("a", num=(1, 0)), paragraph("b", num=(1, 0)),
                                    paragraph("c", num=(2, 0)), paragraph("d", num=(2, 0))],
                                   numbering=numbers))
    assert texts(content) == ["3. a", "4. b", "1. c", "2. d"]


def test_two_nums_of_one_abstract_list_continue_each_other():
    numbers = numbering(abstract_num(1, ("decimal", "%1.")), num(1, 1), num(2, 1))
    content = read_docx(build_docx([paragraph("a", num=(1, 0)), paragraph("x"),
                                    paragraph("b", num=(2, 0))], numbering=numbers))
    assert texts(content) == ["1. a", "x", "2. b"]


def test_letters_and_bullets():
    numbers = numbering(abstract_num(1, ("lowerLetter", "%1)"), ("bullet", "\uf0b7")),
                        abstract_num(2, ("upperLetter", "%1.")), num(1, 1), num(2, 2))
    body = [paragraph("một", num=(1, 0)), paragraph("hai", num=(1, 0)), paragraph("ý", num=(1, 1)),
            paragraph("", num=(1, 1)), paragraph("PHẦN", num=(2, 0))]
    assert texts(read_docx(build_docx(body, numbering=numbers))) == ["a) một", "b) hai", "- ý", "A. PHẦN"]


def test_numbering_from_the_paragraph_style():
    heading = style("Heading1", "heading 1", ppr='<w:numPr><w:numId w:val="1"/></w:numPr><w:outlineLvl w:val="0"/>',
                    rpr="<w:b/>")
    body = [paragraph("KHÁI QUÁT CHUNG", style="Heading1"), paragraph("Đoạn văn."),
            paragraph("KẾT QUẢ", style="Heading1"), paragraph("Không đánh số", style="Heading1", num=(0, 0))]
    content = read_docx(build_docx(body, styles=[heading], numbering=numbering(OUTLINE_LIST, num(1, 1))))
    assert texts(content) == ["I. KHÁI QUÁT CHUNG", "Đoạn văn.", "II. KẾT QUẢ", "Không đánh số"]
    assert [b.style_level for b in content.blocks] == [1, None, 1, 1]
    assert content.blocks[0].bold


def test_style_level_taken_from_the_lvl_pstyle():
    numbers = numbering(OUTLINE_LIST.replace(
        '<w:lvl w:ilvl="1"><w:start w:val="1"/>', '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:pStyle w:val="Heading2"/>'),
        num(1, 1))
    heading2 = style("Heading2", "heading 2", ppr='<w:numPr><w:numId w:val="1"/></w:numPr>')
    content = read_docx(build_docx([paragraph("Mục", style="Heading2")], styles=[heading2], numbering=numbers))
    assert texts(content) == ["1. Mục"]


def test_numbering_survives_a_dangling_num_id():
    content = read_docx(build_docx([paragraph("a", num=(42, 0)), paragraph("b", num=(1, 7))],
                                   numbering=numbering(OUTLINE_LIST, num(1, 1))))
    assert texts(content) == ["a", "b"]


@pytest.mark.parametrize("number, fmt, expected", [
    (4, "upperRoman", "IV"), (9, "lowerRoman", "ix"), (1994, "upperRoman", "MCMXCIV"),
    (1, "upperLetter", "A"), (27, "lowerLetter", "aa"), (3, "decimalZero", "03"),
    (5, "ordinal", "5"), (0, "upperRoman", "0"), (10**9, "upperLetter", "1000000000"),
])
def test_format_counter(number, fmt, expected):
    assert format_counter(number, fmt) == expected


# ------------------------------------------------------------------------------------ headings

def test_heading_levels_from_names_outline_levels_and_based_on():
    styles = [
        style("TieuDe3", "Tiêu đề 3"),
        style("MyHeading", "Muc lon", based_on="Heading2"),
        style("Outline", "Dong ke hoach", ppr='<w:outlineLvl w:val="3"/>'),
        style("BodyOutline", "Than bai", ppr='<w:outlineLvl w:val="9"/>', based_on="Heading1"),
    ]
    body = [paragraph("a", style="Heading1"), paragraph("b", style="TieuDe3"),
            paragraph("c", style="MyHeading"), paragraph("d", style="Outline"),
            paragraph("e", outline=1), paragraph("f", style="BodyOutline"), paragraph("g")]
    content = read_docx(build_docx(body, styles=styles))
    assert [b.style_level for b in content.blocks] == [1, 3, 2, 4, 2, None, None]


def test_bold_from_runs_styles_and_character_styles():
    styles = [
        style("BoldPara", "Bold para", rpr="<w:b/>"),
        style("Derived", "Derived para", based_on="BoldPara"),
        style("Strong", "Strong", kind="character", rpr="<w:b/>"),
        style("NotBold", "Not bold", kind="character", rpr='<w:b w:val="0"/>'),
    ]
    body = [
        paragraph(run("Đậm", bold=True), run(" "), run("cả câu", bold=True)),
        paragraph(run("Đậm", bold=True), run(" một phần")),
        paragraph("Theo kiểu", style="Derived"),
        paragraph(run("Kiểu ký tự", style="Strong")),
        paragraph(run("Tắt đậm", style="NotBold"), style="BoldPara"),
        paragraph('<w:r><w:rPr><w:b w:val="false"/></w:rPr><w:t>x</w:t></w:r>', style="BoldPara"),
    ]
    content = read_docx(build_docx(body, styles=styles))
    assert [b.bold for b in content.blocks] == [True, False, True, True, False, False]


def test_style_cycle_ends_the_chain():
    styles = [style("A", "Style A", based_on="B", rpr="<w:b/>"), style("B", "Style B", based_on="A")]
    content = read_docx(build_docx([paragraph("x", style="A"), paragraph("y", style="B")], styles=styles))
    assert [(b.text, b.bold) for b in content.blocks] == [("x", True), ("y", True)]


def test_centered_from_paragraph_or_style():
    centered = style("Centered", "Centered", ppr='<w:jc w:val="center"/>')
    content = read_docx(build_docx([paragraph("BÁO CÁO", jc="center"), paragraph("x", style="Centered"),
                                    paragraph("y", jc="both")], styles=[centered]))
    assert [b.centered for b in content.blocks] == [True, True, False]


def test_caps_formatting_prints_capitals():
    content = read_docx(build_docx([paragraph(run("Khái quát chung", caps=True))]))
    assert texts(content) == ["KHÁI QUÁT CHUNG"]


# ------------------------------------------------------------------------------------ text

def test_content_controls_tracked_changes_and_hidden_text():
    sdt_block = ('<w:sdt><w:sdtPr><w:alias w:val="Tiêu đề"/></w:sdtPr><w:sdtContent>'
                 + paragraph("Trong điều khiển nội dung") + "</w:sdtContent></w:sdt>")
    sdt_inline = ('<w:sdt><w:sdtPr/><w:sdtContent>' + run("Văn Lâm") + "</w:sdtContent></w:sdt>")
    inserted = '<w:ins w:id="1" w:author="A" w:date="2024-05-01T00:00:00Z">' + run(" mới") + "</w:ins>"
    deleted = ('<w:del w:id="2" w:author="A" w:date="2024-05-01T00:00:00Z"><w:r><w:delText>cũ </w:delText>'
               "</w:r></w:del>")
    body = [sdt_block, paragraph(run("Huyện "), sdt_inline), paragraph(run("Bản"), deleted, inserted),
            paragraph(run("Hiện"), run(" ẩn", hidden=True))]
    assert texts(read_docx(build_docx(body))) == ["Trong điều khiển nội dung", "Huyện Văn Lâm", "Bản mới", "Hiện"]


def test_text_box_is_read_once_after_its_paragraph():
    body = [paragraph("Trước", text_box(paragraph("Trong khung"), paragraph("Dòng hai"))), paragraph("Sau")]
    assert texts(read_docx(build_docx(body))) == ["Trước", "Trong khung", "Dòng hai", "Sau"]


def test_text_box_in_a_table_cell_joins_the_cell():
    body = [table([[cell(paragraph("Ô", text_box(paragraph("khung")))), "b"]]), paragraph("")]
    assert only_table(read_docx(build_docx(body))).rows == [["Ô\nkhung", "b"]]


def test_tabs_breaks_hyphens_and_fields():
    field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r>'
             '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    body = [
        paragraph(run("Số: 12/BC"), run("", raw="<w:tab/><w:tab/>"), run("Hưng Yên")),
        paragraph(run("dòng một"), run("", raw="<w:br/>"), run("dòng hai")),
        paragraph(run("KCN"), run("", raw="<w:noBreakHyphen/>"), run("CCN"), run("", raw="<w:softHyphen/>")),
        paragraph(run("Trang "), field),
        paragraph(run("  nhiều   khoảng\u00a0trắng  ")),
        table([[cell(paragraph(run("a"), run("", raw="<w:br/>"), run("b")), paragraph("c"), paragraph(""))]]),
        paragraph(""),
    ]
    content = read_docx(build_docx(body))
    assert texts(content) == ["Số: 12/BC\tHưng Yên", "dòng một dòng hai", "KCN-CCN", "Trang 7",
                              "nhiều khoảng trắng"]
    assert only_table(content).rows == [["a\nb\nc"]]


def test_decomposed_text_comes_out_composed():
    decomposed = unicodedata.normalize("NFD", "Ủy ban nhân dân huyện Văn Lâm")
    content = read_docx(build_docx([paragraph(decomposed), table([[decomposed]]), paragraph("")]))
    assert texts(content) == ["Ủy ban nhân dân huyện Văn Lâm"]
    assert only_table(content).rows == [["Ủy ban nhân dân huyện Văn Lâm"]]
    assert unicodedata.is_normalized("NFC", texts(content)[0])


def test_empty_paragraphs_are_left_out():
    content = read_docx(build_docx([paragraph(""), paragraph("   "), paragraph("x"), "<w:p/>"]))
    assert texts(content) == ["x"]


# ------------------------------------------------------------------------------------ tables

def test_merged_cells_make_a_grid():
    rows = [
        ["STT", "Tên CCN", "Diện tích (ha)", "Tỷ lệ (%)"],
        [cell("A", vmerge="restart"), cell("CCN đã hoạt động", span=3)],
        [cell(vmerge=""), "CCN Tân Quang", "47,7", "63,8"],
        [cell("I", vmerge="restart"), cell("Nhóm", span=2, vmerge="restart"), "x"],
        [cell(vmerge=""), cell(span=2, vmerge=""), "y"],
        ["1", "ngắn"],
    ]
    content = read_docx(build_docx([table(rows, columns=4), paragraph("")]))
    assert only_table(content).rows == [
        ["STT", "Tên CCN", "Diện tích (ha)", "Tỷ lệ (%)"],
        ["A", "CCN đã hoạt động", "", ""],
        ["", "CCN Tân Quang", "47,7", "63,8"],
        ["I", "Nhóm", "", "x"],
        ["", "", "", "y"],
        ["1", "ngắn", "", ""],
    ]


def test_grid_before_deleted_rows_and_content_controls_around_rows_and_cells():
    tbl = table([["a", "b", "c"], ["d", "e", "f"]])
    tbl = tbl.replace("<w:tr><w:tc><w:tcPr><w:tcW w:w=\"1000\" w:type=\"dxa\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">d",
                      "<w:tr><w:trPr><w:del w:id=\"9\" w:author=\"A\"/></w:trPr><w:tc><w:tcPr><w:tcW w:w=\"1000\" w:type=\"dxa\"/></w:tcPr><w:p><w:r><w:t xml:space=\"preserve\">d")
    extra_rows = ('<w:sdt><w:sdtContent><w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr>'
                  + '<w:sdt><w:sdtContent>' + cell("g") + "</w:sdtContent></w:sdt>" + cell("h")
                  + "</w:tr></w:sdtContent></w:sdt></w:tbl>")
    tbl = tbl.replace("</w:tbl>", extra_rows)
    assert only_table(read_docx(build_docx([tbl, paragraph("")]))).rows == [["a", "b", "c"], ["", "g", "h"]]


def test_nested_table_is_flattened_into_its_cell():
    inner = table([["x1", "x2"], ["y1", "y2"]])
    content = read_docx(build_docx([table([[cell(paragraph("Ngoài"), inner), "b"]]), paragraph("")]))
    assert only_table(content).rows == [["Ngoài\nx1\tx2\ny1\ty2", "b"]]


def test_hostile_grid_span_is_bounded():
    rows = [[cell("a", span=10**9)]]
    content = read_docx(build_docx([table(rows, columns=2), paragraph("")]))
    assert len(only_table(content).rows[0]) <= 1000


def test_numbered_cells_keep_their_numbers():
    numbers = numbering(abstract_num(1, ("decimal", "%1")), num(1, 1))
    rows = [["STT", "Tên"], [cell(paragraph("", num=(1, 0))), "CCN A"], [cell(paragraph("", num=(1, 0))), "CCN B"]]
    content = read_docx(build_docx([table(rows), paragraph("")], numbering=numbers))
    assert only_table(content).rows == [["STT", "Tên"], ["1", "CCN A"], ["2", "CCN B"]]


# ------------------------------------------------------------------------------------ legacy

def test_tcvn3_run_with_soft_hyphen_is_converted():
    body = [paragraph(run("H", font=".VnTime"), run("", font=".VnTime", raw="<w:softHyphen/>"),
                      run("ng Yªn, ngµy 08 th¸ng 5 n¨m 2024", font=".VnTime")),
            paragraph(run("Ch\u00ad¬ng tr×nh ph¸t triÓn", font=".VnTime")),
            paragraph("Soft\u00adhyphen in Unicode text")]
    content = read_docx(build_docx(body))
    assert texts(content) == ["Hưng Yên, ngày 08 tháng 5 năm 2024", "Chương trình phát triển",
                              "Softhyphen in Unicode text"]
    assert content.warnings == [Reason("legacy TCVN3 (ABC) font .VnTime converted to Unicode",
                                       "Phông chữ cũ .VnTime (bảng mã TCVN3 (ABC)) đã được chuyển sang Unicode; "
                                       "đề nghị kiểm tra lại dấu tiếng Việt.")]


def test_tcvn3_h_font_is_upper_cased_and_bold_kept():
    content = read_docx(build_docx([paragraph(run("khu c«ng nghiÖp", font=".VnTimeH", bold=True))]))
    assert content.blocks[0] == Paragraph(text="KHU CÔNG NGHIỆP", bold=True)


def test_vni_run_is_converted_and_unicode_runs_are_not():
    body = [paragraph(run("Sôû Coâng Thöông", font="VNI-Times"), run(" – Hưng Yên")),
            paragraph(run("Vie", font="VNI-Times"), run("ät Nam", font="VNI-Times"))]
    content = read_docx(build_docx(body))
    assert texts(content) == ["Sở Công Thương – Hưng Yên", "Việt Nam"]
    assert [w.en for w in content.warnings] == ["legacy VNI font VNI-Times converted to Unicode"]


def test_legacy_font_inherited_from_style_or_defaults():
    vn_style = style("VnNormal", "Vn normal", rpr='<w:rFonts w:ascii=".VnTime" w:hAnsi=".VnTime"/>')
    body = [paragraph("B¸o c¸o", style="VnNormal"), paragraph(run("Theme", font=None))]
    content = read_docx(build_docx(body, styles=[vn_style]))
    assert texts(content) == ["Báo cáo", "Theme"]
    defaults = build_docx([paragraph("Céng hoµ")])
    styles_xml = zipfile.ZipFile(io.BytesIO(defaults)).read("word/styles.xml").decode()
    styles_xml = re.sub(r"<w:rPrDefault>.*?</w:rPrDefault>",
                        '<w:rPrDefault><w:rPr><w:rFonts w:ascii=".VnArial" w:hAnsi=".VnArial"/></w:rPr></w:rPrDefault>',
                        styles_xml, flags=re.S)
    content = read_docx(replace_part(defaults, "word/styles.xml", styles_xml.encode()))
    assert texts(content) == ["Cộng hoà"]


def test_legacy_text_without_a_legacy_font_is_found_by_statistics():
    body = [paragraph("B¸o c¸o kÕt qu¶ triÓn khai thùc hiÖn Ch\u00ad¬ng tr×nh"),
            paragraph("ph¸t triÓn c«ng nghiÖp tØnh H\u00adng Yªn"),
            table([["Khu c«ng nghiÖp", "Tû lÖ"]]), paragraph("")]
    content = read_docx(build_docx(body))
    assert texts(content) == ["Báo cáo kết quả triển khai thực hiện Chương trình",
                              "phát triển công nghiệp tỉnh Hưng Yên"]
    assert only_table(content).rows == [["Khu công nghiệp", "Tỷ lệ"]]
    assert len(content.warnings) == 1 and "TCVN3" in content.warnings[0].en and "TCVN3" in content.warnings[0].vi


@pytest.mark.parametrize("text", [
    "El año pasado, la compañía invirtió más de un millón de euros en la región; también está "
    "previsto construir una nueva fábrica cerca de León y Cádiz.",
    "L'été dernier, nous avons visité la forêt près de Besançon où nous étions très heureux; ça "
    "coûte cher à Noël, déjà élevé, près du château.",
])
def test_spanish_and_french_paragraphs_are_not_converted(text):
    content = read_docx(build_docx([paragraph(text), paragraph(text)]))
    assert texts(content) == [text, text]
    assert content.warnings == []


# ------------------------------------------------------------------------------------ unreadable

def test_bad_input_raises_unreadable_with_reasons():
    good = build_docx([paragraph("x")])
    no_document = io.BytesIO()
    with zipfile.ZipFile(no_document, "w") as package:
        package.writestr("hello.txt", "hi")
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le")
    strict = zipfile.ZipFile(io.BytesIO(good)).read("word/document.xml").replace(
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main", b"http://purl.oclc.org/ooxml/wordprocessingml/main")
    for data in (b"", b"not a docx", good[: len(good) // 2], no_document.getvalue(), encrypted,
                 replace_part(good, "word/document.xml", b"<w:document><unclosed"),
                 replace_part(good, "[Content_Types].xml", b"garbage"),
                 replace_part(good, "word/document.xml", strict)):
        with pytest.raises(UnreadableFile) as caught:
            read_docx(data)
        assert caught.value.reason and ".docx" in caught.value.reason_vi
    with pytest.raises(UnreadableFile, match="password"):
        read_docx(encrypted)


def test_entity_bomb_is_refused():
    good = build_docx([paragraph("x")])
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "lollollollol">{levels}]>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>")
    started = time.perf_counter()
    try:
        content = read_docx(replace_part(good, "word/document.xml", bomb.encode()))
    except UnreadableFile:
        pass
    else:
        assert sum(len(t) for t in texts(content)) < 10_000
    assert time.perf_counter() - started < 2


def test_unpacked_size_limit():
    data = build_docx([paragraph("x" * 1000)])
    with pytest.raises(UnreadableFile, match="unpacks to"):
        read_docx(data, max_unpacked_bytes=10_000)


def test_mangled_xml_never_raises_anything_but_unreadable():
    """Attribute values and elements of a real document replaced at random: the reader gives
    Content or UnreadableFile, never another exception."""
    numbers = numbering(OUTLINE_LIST, num(1, 1), num(2, 1, {0: 5}))
    body = [paragraph("KHÁI QUÁT", num=(1, 0), style="Heading1"), paragraph("a", num=(2, 1)),
            table([[cell("x", span=2)], [cell("y", vmerge="restart"), "z"], [cell(vmerge=""), "w"]]),
            paragraph("box", text_box(paragraph("inner")))]
    data = build_docx(body, numbering=numbers)
    package = zipfile.ZipFile(io.BytesIO(data))
    parts = {name: package.read(name).decode() for name in ("word/document.xml", "word/numbering.xml")}
    rng = random.Random(20240510)
    junk = ["", "-1", "abc", "99999999999999999999", "0", "restart", "%9%1", "\u00ad"]
    for _ in range(150):
        name = rng.choice(list(parts))
        xml = parts[name]
        values = list(re.finditer(r'w:(?:val|ilvl|numId|abstractNumId)="([^"]*)"', xml))
        for match in rng.sample(values, k=min(3, len(values))):
            xml = xml[:match.start(1)] + rng.choice(junk) + xml[match.end(1):]
        if rng.random() < 0.3:
            tags = list(re.finditer(r"<w:(?:tblGrid|tcPr|pPr|lvl|numPr)\b[^>]*/>", xml))
            if tags:
                gone = rng.choice(tags)
                xml = xml[:gone.start()] + xml[gone.end():]
        mangled = replace_part(data, name, xml.encode())
        try:
            result = read_docx(mangled)
        except UnreadableFile:
            continue
        assert isinstance(result, Content)


# ------------------------------------------------------------------------------------ real files

@pytest.mark.parametrize("path", sorted(CORPUS_DOCUMENTS.glob("*.docx")), ids=lambda p: p.name)
def test_corpus_documents_read_and_show_their_headings(path):
    content = read_docx(path.read_bytes())
    truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
    paragraphs = [b for b in content.blocks if isinstance(b, Paragraph)]
    all_text = [b.text for b in paragraphs]
    for section in truth["sections"]:
        assert section["heading"] in all_text
    assert content.format == "docx" and content.warnings == []


def test_d01_headings_have_their_texts_and_levels():
    content = read_docx((CORPUS_DOCUMENTS / "d01.docx").read_bytes())
    truth = json.loads((CORPUS_DOCUMENTS / "d01.truth.json").read_text(encoding="utf-8"))
    styled = [(b.text, b.style_level) for b in content.blocks if isinstance(b, Paragraph) and b.style_level]
    expected = [(s["heading"], s["level"]) for s in truth["sections"] if s["heading"] != "PHỤ LỤC"]
    assert styled == expected
    appendix = next(b for b in content.blocks if isinstance(b, Paragraph) and b.text == "PHỤ LỤC")
    assert appendix.bold and appendix.centered and appendix.style_level is None
    assert all(b.bold for b in content.blocks if isinstance(b, Paragraph) and b.style_level)
    names = {row[1] for block in content.blocks if isinstance(block, Table) for row in block.rows}
    assert {row["name"] for row in truth["tables"]} <= names


@pytest.mark.skipif(not EXTERNAL_DOCX.is_dir(), reason=f"{EXTERNAL_DOCX} absent (shared external files)")
def test_python_docx_test_files_give_content_or_unreadable():
    files = sorted(p for p in EXTERNAL_DOCX.iterdir() if p.is_file())
    assert files
    read = 0
    for path in files:
        try:
            content = read_docx(path.read_bytes())
        except UnreadableFile as exc:
            assert exc.reason and exc.reason_vi
        else:
            assert isinstance(content, Content)
            read += 1
    assert read >= 10  # the .docx files among them


@pytest.mark.skipif(not EXTERNAL_DOCX.is_dir(), reason=f"{EXTERNAL_DOCX} absent (shared external files)")
def test_python_docx_merged_and_numbered_files_read_as_printed():
    cells = read_docx((EXTERNAL_DOCX / "tbl-cell-access.docx").read_bytes())
    assert [block.rows for block in cells.blocks] == [
        [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]],
        [["1", "2", "3"], ["4", "", "6"], ["7", "8", "9"]],  # 4 spans two columns
        [["1", "2", "3"], ["4", "5", "6"], ["7", "", "9"]],  # 5 spans two rows
        [["1", "2", "3"], ["4", "", "6"], ["", "", "9"]],  # 4 spans two columns and two rows
    ]
    numbered = read_docx((EXTERNAL_DOCX / "num-having-numbering-part.docx").read_bytes())
    assert texts(numbered) == ["1. Paragraph having List Number style."]
    comments = read_docx((EXTERNAL_DOCX / "comments-rich-para.docx").read_bytes())
    assert not any("comment" in t.lower() for t in texts(comments))
    headers = read_docx((EXTERNAL_DOCX / "hdr-header-footer.docx").read_bytes())
    assert not any("header" in t.lower() and "section" not in t.lower() for t in texts(headers))


def test_thirty_pages_read_fast():
    numbers = numbering(OUTLINE_LIST, num(1, 1))
    body = []
    for section in range(6):
        body.append(paragraph("PHẦN MỤC", num=(1, 0), style="Heading1"))
        for item in range(5):
            body.append(paragraph("Mục con", num=(1, 1), style="Heading2"))
            body.extend(paragraph(run("Nội dung báo cáo chi tiết, "), run("số liệu 1.234,5 ha", bold=True),
                                  run(" và các nhận xét của đơn vị về tình hình thực hiện. " * 4))
                        for _ in range(8))
    body.append(table([[f"{i}", f"CCN {i}", "Công ty CP", "47,7", "33,6", "63,8"] for i in range(120)]))
    body.append(paragraph(""))
    data = build_docx(body, numbering=numbers)
    best = min(_timed(read_docx, data) for _ in range(3))
    assert best < 0.3, f"{best:.3f} s"


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started
