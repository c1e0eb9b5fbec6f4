"""Headings -> sections -> outline keys, on hand-built Content with the campaign's outlines."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake_bot.reason import Reason
from intake_bot.reader.model import Content, Paragraph, Table
from intake_bot.reader.outline import find_sections, match_outline, numbering, unmatched_sections

TEXT = "Nội dung báo cáo của mục này. " * 5


def P(text: str, bold: bool = False, level: int | None = None, page: int | None = None) -> Paragraph:
    return Paragraph(text=text, bold=bold, style_level=level, page=page)


def report(*headings, body: bool = True) -> Content:
    """A report with a header table and title, then each heading (a Paragraph) with body text."""
    blocks = [Table(rows=[["ỦY BAN NHÂN DÂN\nHUYỆN VĂN LÂM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
                          ["Số: 1/BC-UBND", "Văn Lâm, ngày 9 tháng 5 năm 2024"]]),
              P("BÁO CÁO", bold=True), P("Kết quả thực hiện Chương trình", bold=True), P(""),
              P("Thực hiện Kế hoạch số 35/KH-ĐGS, UBND huyện báo cáo như sau:")]
    for heading in headings:
        blocks.append(heading)
        if body and isinstance(heading, Paragraph) and (heading.bold or heading.style_level):
            blocks.append(P(TEXT))
    return Content(format="docx", blocks=blocks)


def keys_of(doc: Content, campaign, outline_id: str = "huyen", rows: bool = False):
    sections, present, missing, warnings = match_outline(find_sections(doc), campaign.outlines[outline_id], rows)
    return [(s["key"], s["heading"]) for s in sections], present, missing, warnings


def B(text: str) -> Paragraph:
    return P(text, bold=True)


def test_numbering_styles():
    assert numbering("II. KẾT QUẢ")[0].value == (2,)
    assert numbering("2.1. Kết quả")[0].value == (2, 1)
    assert numbering("2.1 Kết quả")[0].style == "multi2"
    assert numbering("2.1.3. Kết quả")[0].style == "multi3"
    assert numbering("II.1. Công tác")[0].value == (2, 1)
    assert numbering("a) Tồn tại")[0].style == "lower"
    assert numbering("đ) Khác")[0].value == (5,)
    assert numbering("B. KẾT QUẢ")[0].style == "upper"
    part, rest = numbering("PHẦN THỨ HAI: KẾT QUẢ THỰC HIỆN")
    assert (part.style, part.value, rest) == ("part", (2,), "KẾT QUẢ THỰC HIỆN")
    assert numbering("Phần III. Kiến nghị")[0].value == (3,)
    assert numbering("Mục tiêu của chương trình")[0] is None
    assert numbering("Vĩnh Phúc")[0] is None
    assert numbering("2024 là năm")[0] is None


def test_styled_outline_with_every_item(campaign):
    doc = report(P("I. Khái quát chung", level=1), P("II. Kết quả thực hiện", level=1),
                 P("1. Công tác tham mưu triển khai", level=2),
                 P("2. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo Nghị quyết số 07-NQ/TU", level=2),
                 P("2.1. Kết quả thực hiện các mục tiêu tổng quát và mục tiêu cụ thể", level=3),
                 P("2.2. Kết quả thực hiện các nhiệm vụ và giải pháp", level=3),
                 P("3. Kết quả thực hiện các Văn bản của Thủ tướng Chính phủ về chuyển mục đích sử dụng đất "
                   "trồng lúa thực hiện Cụm công nghiệp", level=2),
                 P("III. Hạn chế, khó khăn và nguyên nhân", level=1), P("IV. Đề xuất, kiến nghị", level=1))
    keys, present, missing, warnings = keys_of(doc, campaign)
    assert [k for k, _ in keys] == ["I", "II", "II.1", "II.2", "II.2.1", "II.2.2", "II.3", "III", "IV"]
    assert missing == ["PL"] and present + missing == campaign.outlines["huyen"].keys()
    assert warnings == []


def test_renumbered_after_an_item_is_left_out(campaign):
    doc = report(B("I. KHÁI QUÁT CHUNG"), B("II. KẾT QUẢ THỰC HIỆN"),
                 B("1. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo Nghị quyết số 07-NQ/TU"),
                 B("1.1. Kết quả thực hiện các mục tiêu tổng quát và mục tiêu cụ thể"),
                 B("1.2. Kết quả thực hiện các nhiệm vụ và giải pháp"),
                 B("2. Kết quả thực hiện các Văn bản của Thủ tướng Chính phủ về chuyển mục đích sử dụng đất trồng lúa"),
                 B("III. TỒN TẠI, HẠN CHẾ"), B("IV. KIẾN NGHỊ, ĐỀ XUẤT"))
    keys, present, missing, _ = keys_of(doc, campaign, rows=True)
    assert [k for k, _ in keys] == ["I", "II", "II.2", "II.2.1", "II.2.2", "II.3", "III", "IV"]
    assert missing == ["II.1"]
    assert present[-1] == "PL"


def test_part_numbering_reordered_items_and_an_extra_section(campaign):
    doc = report(B("PHẦN THỨ NHẤT: KHÁI QUÁT CHUNG"), B("PHẦN THỨ HAI: KẾT QUẢ THỰC HIỆN"),
                 B("I. Công tác tham mưu triển khai"),
                 B("II. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo Nghị quyết số 07-NQ/TU"),
                 B("1. Kết quả thực hiện các mục tiêu tổng quát và mục tiêu cụ thể"),
                 B("2. Kết quả thực hiện các nhiệm vụ và giải pháp"),
                 B("PHẦN THỨ BA: MỘT SỐ KIẾN NGHỊ, ĐỀ XUẤT"),
                 B("PHẦN THỨ TƯ: NHỮNG HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN"),
                 B("PHẦN THỨ NĂM: PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024 VÀ GIAI ĐOẠN 2024-2025"))
    keys, present, missing, _ = keys_of(doc, campaign)
    assert [k for k, _ in keys] == ["I", "II", "II.1", "II.2", "II.2.1", "II.2.2", "IV", "III", None]
    assert present == ["I", "II", "II.1", "II.2", "II.2.1", "II.2.2", "III", "IV"]
    assert missing == ["II.3", "PL"]


def test_roman_and_decimal_numbers_together(campaign):
    doc = report(B("I. KHÁI QUÁT CHUNG"), B("II. KẾT QUẢ THỰC HIỆN"), B("II.1. Công tác tham mưu triển khai"),
                 B("II.2. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo Nghị quyết số 07-NQ/TU"),
                 B("II.2.1. Kết quả thực hiện các mục tiêu tổng quát và mục tiêu cụ thể"),
                 B("II.2.2. Kết quả thực hiện các nhiệm vụ và giải pháp"))
    keys, *_ = keys_of(doc, campaign)
    assert [k for k, _ in keys] == ["I", "II", "II.1", "II.2", "II.2.1", "II.2.2"]
    assert [s["level"] for s in find_sections(doc)] == [1, 1, 2, 2, 3, 3]


def test_letters_as_top_level_and_extra_section_before_the_last_item(campaign):
    doc = report(B("A. KHÁI QUÁT CHUNG"), B("B. KẾT QUẢ THỰC HIỆN"), B("I. Công tác tham mưu triển khai"),
                 B("C. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN"),
                 B("D. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI"), B("Đ. ĐỀ XUẤT VÀ KIẾN NGHỊ"))
    keys, _, missing, _ = keys_of(doc, campaign)
    assert [k for k, _ in keys] == ["I", "II", "II.1", "III", None, "IV"]
    assert "II.2" in missing


def test_sub_headings_do_not_take_their_parents_key(campaign):
    doc = report(B("III. HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN"), B("1. Tồn tại, hạn chế"), B("2. Nguyên nhân"),
                 B("IV. ĐỀ XUẤT, KIẾN NGHỊ"), B("a) Kiến nghị với Trung ương"), B("b) Kiến nghị với tỉnh"))
    keys, *_ = keys_of(doc, campaign)
    assert keys[0][0] == "III" and keys[3][0] == "IV"
    assert [k for k, _ in keys].count("III") == 1 and [k for k, _ in keys].count("IV") == 1


def test_plain_bold_headings_without_numbers(campaign):
    doc = report(B("KHÁI QUÁT CHUNG"), B("KẾT QUẢ THỰC HIỆN"), B("Công tác tham mưu triển khai"),
                 B("Kết quả thực hiện các nhiệm vụ và giải pháp"), B("HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN"),
                 B("ĐỀ XUẤT, KIẾN NGHỊ"))
    keys, present, *_ = keys_of(doc, campaign)
    assert present == ["I", "II", "II.1", "II.2.2", "III", "IV"]
    sections = find_sections(doc)
    assert [s["level"] for s in sections] == [1, 1, 2, 2, 1, 1]


def test_plain_face_numbered_lines_count_only_when_their_words_match(campaign):
    doc = report(B("I. Khái quát chung"), P(TEXT), P("II. Kết quả thực hiện"), P(TEXT),
                 P("1. Công tác tham mưu triển khai"), P(TEXT),
                 P("2. Tốc độ tăng giá trị sản xuất công nghiệp đạt 10,1%/năm"), P(TEXT), body=False)
    keys, present, *_ = keys_of(doc, campaign)
    assert present == ["I", "II", "II.1"]
    assert [h for _, h in keys] == ["I. Khái quát chung", "II. Kết quả thực hiện", "1. Công tác tham mưu triển khai"]


def test_heading_that_runs_into_its_text(campaign):
    doc = report(B("II. KẾT QUẢ THỰC HIỆN"),
                 P("1. Công tác tham mưu triển khai: Thực hiện Nghị quyết số 07-NQ/TU, UBND huyện đã ban hành "
                   "Kế hoạch số 132/KH-UBND ngày 4/10/2021 để triển khai thực hiện; định kỳ kiểm điểm tiến độ."),
                 P("2. Về quy hoạch: đã rà soát, đề xuất đưa 3 khu công nghiệp vào quy hoạch tỉnh."), body=False)
    keys, present, *_ = keys_of(doc, campaign)
    assert keys == [("II", "II. KẾT QUẢ THỰC HIỆN"), ("II.1", "1. Công tác tham mưu triển khai")]
    assert find_sections(doc)[1]["text_chars"] > 100


def test_appendix_key_only_with_rows_and_appendix_titles_are_not_sections(campaign):
    doc = report(B("I. Khái quát chung"), B("IV. Đề xuất, kiến nghị"), B("PHỤ LỤC"),
                 B("KẾT QUẢ THỰC HIỆN VIỆC TRIỂN KHAI ĐẦU TƯ CÁC KHU CÔNG NGHIỆP"),
                 Table(rows=[["STT", "Tên KCN"], ["1", "KCN A"]]))
    keys, present, missing, _ = keys_of(doc, campaign, "bql", rows=True)
    assert keys == [("I", "I. Khái quát chung"), ("IV", "IV. Đề xuất, kiến nghị"), ("PL", "PHỤ LỤC")]
    assert present == ["I", "IV", "PL"]
    keys, present, missing, _ = keys_of(doc, campaign, "bql", rows=False)
    assert keys[-1] == (None, "PHỤ LỤC") and "PL" in missing


def test_tables_signature_and_title_block_are_not_sections(campaign):
    doc = report(B("I. Khái quát chung"),
                 Table(rows=[["II. KẾT QUẢ THỰC HIỆN", "x"]]),
                 P("Nơi nhận:\t\tKT. CHỦ TỊCH"), B("PHÓ CHỦ TỊCH"), B("Nguyễn Văn An"))
    sections = find_sections(doc)
    assert [s["heading"] for s in sections] == ["I. Khái quát chung"]
    assert sections[0]["text_chars"] > len(TEXT.strip())


def test_a_heading_naming_a_role_does_not_start_the_signature(campaign):
    doc = report(B("III. HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN"), B("IV. KIẾN NGHỊ VỚI CHỦ TỊCH UBND TỈNH"),
                 B("1. Kiến nghị"))
    assert [s["heading"] for s in find_sections(doc)][-1] == "1. Kiến nghị"


def test_appendix_titles_after_a_signature_table_are_not_sections(campaign):
    doc = report(B("I. Khái quát chung"), Table(rows=[["Nơi nhận:\n- Lưu: VT.", "GIÁM ĐỐC\n\nPhan Quang Dũng"]]),
                 B("KẾT QUẢ THỰC HIỆN VIỆC TRIỂN KHAI ĐẦU TƯ CÁC KHU CÔNG NGHIỆP TRÊN ĐỊA BÀN TỈNH"))
    assert [s["heading"] for s in find_sections(doc)] == ["I. Khái quát chung"]


def test_heading_broken_over_two_pdf_lines_is_one_heading(campaign):
    doc = report(P("II. KẾT QUẢ THỰC HIỆN", bold=True, page=1), P(TEXT, page=1),
                 P("2. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo", bold=True, page=1),
                 P("Nghị quyết số 07-NQ/TU", bold=True, page=1), P(TEXT, page=1), body=False)
    keys, *_ = keys_of(doc, campaign)
    assert keys[1] == ("II.2", "2. Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp đã đề ra theo "
                               "Nghị quyết số 07-NQ/TU")


def test_empty_heading_warns_but_a_parent_of_children_does_not(campaign):
    doc = report(B("I. Khái quát chung"), B("II. Kết quả thực hiện"), B("1. Công tác tham mưu triển khai"),
                 B("III. Hạn chế, khó khăn và nguyên nhân"), B("IV. Đề xuất, kiến nghị"), body=False)
    doc.blocks.insert(doc.blocks.index(doc.blocks[-2]), P(TEXT))   # text under "1." only
    *_, warnings = keys_of(doc, campaign)
    assert len(warnings) == 3
    assert Reason("section «I. Khái quát chung» has no text", "Mục «I. Khái quát chung» không có nội dung.") in warnings
    assert not any("II. Kết quả thực hiện" in w.en for w in warnings)


def test_sections_without_an_outline(campaign):
    doc = report(P("1. Thông tin chung về dự án", level=1), P("2. Khó khăn, vướng mắc", level=1),
                 P("3. Một dòng số thứ tự thường"), P(TEXT), body=True)
    sections, warnings = unmatched_sections(find_sections(doc))
    assert [s["heading"] for s in sections] == ["1. Thông tin chung về dự án", "2. Khó khăn, vướng mắc"]
    assert all(s["key"] is None for s in sections) and warnings == []


@pytest.mark.parametrize("outline_id", ["sct", "bql", "huyen"])
def test_each_key_once_and_present_in_outline_order(campaign, outline_id):
    outline = campaign.outlines[outline_id]
    headings = [B(f"{n + 1}. {item.title}") for n, item in enumerate(reversed(outline.items)) if item.key != "PL"]
    keys, present, missing, _ = keys_of(report(*headings, *headings), campaign, outline_id, rows=True)
    used = [k for k, _ in keys if k]
    assert len(used) == len(set(used))
    assert present == outline.keys() and missing == []


ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII"]
EXTRA_SECTIONS = ["PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024 VÀ GIAI ĐOẠN 2024-2025", "Tổ chức thực hiện", "Kết luận",
                  "Đánh giá chung", "Bài học kinh nghiệm"]


def renumbered_report(outline, rnd: random.Random):
    """A report that leaves items out at random, numbers the rest in sequence, words some items by
    an alias, may put an extra section anywhere; headings styled, bold or bold upper case."""
    kept = [item for item in outline.items if item.key != "PL" and rnd.random() > 0.2]
    entries = [(item.key, len(item.key.split(".")),
                rnd.choice([item.title, *item.aliases]) if item.aliases else item.title) for item in kept]
    if rnd.random() < 0.4:
        entries.insert(rnd.randrange(len(entries) + 1), (None, 1, rnd.choice(EXTRA_SECTIONS)))
    face = rnd.choice(["styled", "bold", "upper"])
    headings, counters = [], [0, 0, 0]
    for _, depth, title in entries:
        counters[depth - 1] += 1
        counters[depth:] = [0] * (3 - depth)
        label = {1: f"{ROMANS[counters[0] - 1]}.", 2: f"{counters[1]}.", 3: f"{counters[1]}.{counters[2]}."}[depth]
        text = f"{label} {title.upper() if face == 'upper' and depth == 1 else title}"
        headings.append(P(text, bold=face != "styled", level=depth if face == "styled" else None))
    expected = [key for key in outline.keys() if key in {k for k, _, _ in entries}]
    return report(*headings), expected


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from(["sct", "bql", "huyen"]))
def test_any_renumbered_subset_of_the_outline_is_found_by_its_wording(campaign, rnd, outline_id):
    outline = campaign.outlines[outline_id]
    doc, expected = renumbered_report(outline, rnd)
    _, present, missing, _ = match_outline(find_sections(doc), outline, False)
    assert present == expected
    assert missing == [key for key in outline.keys() if key not in expected]
