"""Appendix tables -> KCN/CCN rows, on hand-built Content (DOCX, PDF and XLSX shapes)."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from intake_bot.reader.appendix import find_header, read_appendix
from intake_bot.reader.model import Content, Paragraph, Table

from .conftest import hung_yen_appendix

SCHEMA = hung_yen_appendix()
HEADER = ["STT", "Tên CCN", "Chủ đầu tư hạ tầng CCN", "Diện tích CCN (ha)", "Diện tích đất cho thuê (ha)",
          "Tỷ lệ lấp đầy (%)"]


def doc(*blocks) -> Content:
    return Content(format="docx", blocks=list(blocks))


def brief(rows):
    return [(r["kind"], r["group"], r["stt"], r["name"]) for r in rows]


def test_cluster_table_with_groups_and_unknown_values():
    table = Table(rows=[
        HEADER,
        ["I", "Các CCN đã đi vào hoạt động"] + ["Các CCN đã đi vào hoạt động"] * 4,   # merged, repeated
        ["1", "CCN Tân Quang", "Công ty CP Xây dựng và Thương mại Đông Á", "47,7", "33,6", "63,8"],
        ["2", "CCN  Như\u00a0Quỳnh", "-", "1.033,52", "20,44", "76,2%"],
        ["II", "Các CCN đang đầu tư xây dựng hạ tầng", "", "", "", ""],
        ["1", "CCN Chỉ Đạo", "Đang lựa chọn nhà đầu tư", "60,99", "Đang cập nhật", "0"],
        ["2", "CCN Bãi Sậy", "", "67,85", "-", ""],
    ])
    rows, warnings = read_appendix(doc(table), SCHEMA, ("KCN", "CCN"))
    assert brief(rows) == [("CCN", "I", "1", "CCN Tân Quang"), ("CCN", "I", "2", "CCN Như Quỳnh"),
                           ("CCN", "II", "1", "CCN Chỉ Đạo"), ("CCN", "II", "2", "CCN Bãi Sậy")]
    assert rows[0] == {"kind": "CCN", "group": "I", "stt": "1", "name": "CCN Tân Quang",
                       "investor": "Công ty CP Xây dựng và Thương mại Đông Á",
                       "area_ha": 47.7, "leasable_ha": 33.6, "occupancy_pct": 63.8}
    assert rows[1]["investor"] is None and rows[1]["area_ha"] == 1033.52 and rows[1]["occupancy_pct"] == 76.2
    assert rows[2]["investor"] == "Đang lựa chọn nhà đầu tư" and rows[2]["leasable_ha"] is None
    assert rows[2]["occupancy_pct"] == 0.0
    assert rows[3]["investor"] is None and rows[3]["leasable_ha"] is None and rows[3]["occupancy_pct"] is None
    assert warnings == []


def test_reordered_columns_two_row_header_numbering_row_and_note_column():
    table = Table(rows=[
        ["TT", "Tên khu công nghiệp", "Diện tích (ha)", "", "Tỷ lệ lấp đầy (%)", "Nhà đầu tư hạ tầng", "Ghi chú"],
        ["", "", "Tổng", "Đất cho thuê", "", "", ""],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        ["I", "Các KCN đã đi vào hoạt động", "", "", "", "", ""],
        ["1", "Như Quỳnh", "316,3", "204,6", "100", "Công ty cổ phần Bình Minh", "Đã GPMB 157,2 ha"],
        ["2", "Minh Hải", "200,73", "147,5", "68", "Công ty TNHH Việt Hưng", ""],
    ])
    rows, _ = read_appendix(doc(table), SCHEMA)
    assert brief(rows) == [("KCN", "I", "1", "Như Quỳnh"), ("KCN", "I", "2", "Minh Hải")]
    assert (rows[0]["area_ha"], rows[0]["leasable_ha"], rows[0]["occupancy_pct"]) == (316.3, 204.6, 100.0)
    assert rows[0]["investor"] == "Công ty cổ phần Bình Minh"


def test_parts_groups_totals_none_rows_and_template_rows():
    table = Table(rows=[
        ["STT", "Tên KCN/CCN", "Chủ đầu tư hạ tầng", "Diện tích (ha)", "Diện tích đất cho thuê (ha)", "Tỷ lệ lấp đầy (%)"],
        ["A", "Kết quả đầu tư Khu công nghiệp", "", "", "", ""],
        ["II", "Các KCN đang đầu tư xây dựng hạ tầng", "", "802,2", "524,3", ""],   # subtotal on a group row
        ["1", "Khu công nghiệp số 03", "Công ty TNHH Sông Hồng", "175,8", "110,05", "22,6"],
        ["2", "Khu công nghiệp Toàn Thắng", "Công ty TNHH Thái Bình Dương", "130", "96,16", "27"],
        ["III", "Các KCN đang trong quá trình triển khai", "", "", "", ""],
        ["", "Không có", "", "", "", ""],
        ["B", "Kết quả đầu tư Cụm công nghiệp", "", "", "", ""],
        ["I", "Các CCN đã đi vào hoạt động", "", "", "", ""],
        ["1", "Cụm công nghiệp Chính Nghĩa", "Công ty cổ phần Hồng Hà", "67,8", "42,9", "100"],
        ["2", "....", "....", "....", "....", "...."],
        ["", "Tổng cộng", "", "373,75", "249,11", ""],
    ])
    rows, _ = read_appendix(doc(table), SCHEMA, ("KCN", "CCN"))
    assert brief(rows) == [("KCN", "II", "1", "Khu công nghiệp số 03"), ("KCN", "II", "2", "Khu công nghiệp Toàn Thắng"),
                           ("CCN", "I", "1", "Cụm công nghiệp Chính Nghĩa")]


def test_workbook_sheet_with_title_rows_above_the_header():
    sheet = Table(rows=[
        ["PHỤ LỤC", "", "", "", "", ""],
        ["KẾT QUẢ ĐẦU TƯ CÁC KHU, CỤM CÔNG NGHIỆP TRÊN ĐỊA BÀN HUYỆN VĂN LÂM", "", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["STT", "Tên KCN/CCN", "Chủ đầu tư hạ tầng", "Diện tích (ha)", "Diện tích đất cho thuê (ha)", "Tỷ lệ lấp đầy (%)"],
        ["A", "Kết quả đầu tư Khu công nghiệp", "", "", "", ""],
        ["I", "Các KCN đã đi vào hoạt động", "", "", "", ""],
        ["1", "KCN Như Quỳnh", "Công ty cổ phần Bình Minh", "316.3", "204.6", "100"],
        ["B", "Kết quả đầu tư Cụm công nghiệp", "", "", "", ""],
        ["III", "Các CCN đang trong quá trình triển khai", "", "", "", ""],
        ["2", "CCN Chỉ Đạo", "Đang lựa chọn nhà đầu tư", "60.99", "-", "0"],
    ])
    rows, _ = read_appendix(Content(format="xlsx", blocks=[sheet]), SCHEMA)
    assert brief(rows) == [("KCN", "I", "1", "KCN Như Quỳnh"), ("CCN", "III", "2", "CCN Chỉ Đạo")]
    assert rows[0]["area_ha"] == 316.3 and rows[1]["area_ha"] == 60.99


def test_group_and_part_text_merged_into_the_first_cell():
    table = Table(rows=[
        HEADER,
        ["A. KHU CÔNG NGHIỆP", "", "", "", "", ""],
        ["II. Các KCN đang đầu tư xây dựng hạ tầng và chuẩn bị tiếp nhận dự án đầu tư", "", "", "", "", ""],
        ["1", "Lý Thường Kiệt", "Công ty TNHH Bình Minh", "456,1", "316,36", "46,6"],
    ])
    rows, _ = read_appendix(doc(table), SCHEMA)
    assert brief(rows) == [("KCN", "II", "1", "Lý Thường Kiệt")]


def test_indicator_tables_are_not_appendix_tables():
    indicators = Table(rows=[["TT", "Chỉ tiêu", "Mục tiêu đến năm 2025", "Kết quả đến 31/12/2023", "Đánh giá"],
                             ["1", "Tỷ lệ lấp đầy khu, cụm công nghiệp (%)", "76", "69,5", "Đạt"]])
    works = Table(rows=[["TT", "Hạng mục", "Khối lượng", "Giá trị thực hiện (tỷ đồng)", "Tỷ lệ hoàn thành (%)"],
                        ["1", "San nền", "Đang thi công", "107,5", "23"]])
    assert read_appendix(doc(indicators, works), SCHEMA) == ([], [])
    assert find_header(indicators.rows, SCHEMA) is None


def test_kind_from_the_title_above_the_table_or_from_the_outline():
    plain = [["STT", "Tên", "Chủ đầu tư", "Diện tích (ha)", "Diện tích đất cho thuê (ha)", "Tỷ lệ lấp đầy (%)"],
             ["1", "Tân Quang", "Công ty A", "47,7", "33,6", "63,8"]]
    titled = doc(Paragraph("KẾT QUẢ ĐẦU TƯ HẠ TẦNG CÁC CỤM CÔNG NGHIỆP", bold=True),
                 Paragraph("(Kèm theo Báo cáo số 125/BC-SCT)"), Table(rows=plain))
    assert read_appendix(titled, SCHEMA, ("KCN",))[0][0]["kind"] == "CCN"
    assert read_appendix(doc(Table(rows=plain)), SCHEMA, ("KCN",))[0][0]["kind"] == "KCN"
    assert read_appendix(doc(Table(rows=plain)), SCHEMA, ())[0][0]["kind"] is None


def test_numbers_that_do_not_add_up_are_named_in_warnings():
    table = Table(rows=[HEADER, ["I", "Các CCN", "", "", "", ""],
                        ["1", "CCN Lạc Đạo", "Công ty A", "30,5", "47,18", "5"],
                        ["2", "CCN Đại Đồng", "Công ty B", "31,73", "20,82", "380"]])
    rows, warnings = read_appendix(doc(table), SCHEMA)
    assert len(rows) == 2 and len(warnings) == 2
    assert "CCN Lạc Đạo" in warnings[0].en and "47.18" in warnings[0].en
    assert "CCN Đại Đồng" in warnings[1].en and "380" in warnings[1].en
    assert warnings[0].vi == ("Phụ lục, CCN nhóm I STT 1 «CCN Lạc Đạo»: diện tích đất cho thuê (47,18 ha) lớn hơn "
                              "diện tích (30,5 ha).")
    assert warnings[1].vi == "Phụ lục, CCN nhóm I STT 2 «CCN Đại Đồng»: tỷ lệ lấp đầy 380% nằm ngoài khoảng 0-100%."


def test_table_continued_on_the_next_pdf_page_without_its_header():
    first = Table(rows=[HEADER, ["I", "Các CCN đã đi vào hoạt động", "", "", "", ""],
                        ["1", "CCN Tân Quang", "Công ty A", "47,7", "33,6", "63,8"]], page=4)
    second = Table(rows=[["2", "CCN Như Quỳnh", "Công ty B", "33,52", "20,44", "76,2"],
                         ["II", "Các CCN đang đầu tư", "", "", "", ""],
                         ["1", "CCN Lạc Đạo", "Công ty C", "47,18", "30,61", "5"]], page=5)
    rows, _ = read_appendix(doc(first, Paragraph("5", page=5), second), SCHEMA)
    assert brief(rows) == [("CCN", "I", "1", "CCN Tân Quang"), ("CCN", "I", "2", "CCN Như Quỳnh"),
                           ("CCN", "II", "1", "CCN Lạc Đạo")]
    separated = doc(first, Paragraph("Bảng 2: số liệu khác của các doanh nghiệp trong cụm công nghiệp"), second)
    assert len(read_appendix(separated, SCHEMA)[0]) == 1


def test_a_second_sheet_without_header_is_not_a_continuation():
    first = Table(rows=[HEADER, ["1", "CCN Tân Quang", "Công ty A", "47,7", "33,6", "63,8"]])
    notes = Table(rows=[["1", "Ghi chú về số liệu", "Phòng Kinh tế", "12", "3", "4"]])
    assert len(read_appendix(Content(format="xlsx", blocks=[first, notes]), SCHEMA)[0]) == 1


def test_other_ways_of_naming_the_columns():
    table = Table(rows=[["Số TT", "Cụm công nghiệp", "Quy mô (ha)", "Diện tích đất công nghiệp (ha)",
                         "Diện tích đã lấp đầy (ha)", "Tỷ lệ (%)", "Doanh nghiệp đầu tư hạ tầng"],
                        ["01", "Tân Quang", "47,7", "33,6", "21,4", "63,8", "Công ty A"]])
    rows, _ = read_appendix(doc(table), SCHEMA)
    assert rows == [{"kind": "CCN", "group": None, "stt": "1", "name": "Tân Quang", "investor": "Công ty A",
                     "area_ha": 47.7, "leasable_ha": 33.6, "occupancy_pct": 63.8}]


def test_kind_named():
    assert SCHEMA.kind_named("Tên CCN") == "CCN"
    assert SCHEMA.kind_named("Kết quả đầu tư Khu công nghiệp") == "KCN"
    assert SCHEMA.kind_named("KẾT QUẢ ĐẦU TƯ CÁC KHU, CỤM CÔNG NGHIỆP") is None
    assert SCHEMA.kind_named("Tên KCN/CCN") is None
    assert SCHEMA.kind_named("Chủ đầu tư") is None


NAMES = ["Tân Quang", "Như Quỳnh", "Minh Khai - Như Quỳnh", "số 03", "Phố Nối A", "Lý Thường Kiệt", "Đức Hợp"]
INVESTORS = ["Công ty CP Xây dựng và Thương mại Đông Á", "Công ty TNHH MTV Hưng Phát", "Đang lựa chọn nhà đầu tư", "-", ""]


def vietnamese(value: float | None, rnd: random.Random) -> str:
    if value is None:
        return rnd.choice(["-", "", "Đang cập nhật"])
    whole, _, fraction = f"{value:,.2f}".partition(".")
    fraction = fraction.rstrip("0")
    return whole.replace(",", ".") + ("," + fraction if fraction else "")


def appendix_table(rnd: random.Random):
    """A random appendix: parts A (KCN) and B (CCN) or one kind, groups I-III, data rows with
    Vietnamese numbers, maybe a "Ghi chú" column, reordered columns, a two-row header, a column
    numbering row, "Không có" and "Tổng cộng" rows; and the rows a reader should get from it."""
    kinds = rnd.choice([["KCN", "CCN"], ["KCN"], ["CCN"]])
    columns = ["stt", "name", "investor", "area", "leasable", "occupancy"] + (["note"] if rnd.random() < 0.5 else [])
    if rnd.random() < 0.5:
        tail = columns[2:]
        rnd.shuffle(tail)
        columns = columns[:2] + tail
    two_rows = rnd.random() < 0.5
    single = kinds[0] if len(kinds) == 1 else "KCN/CCN"
    top = {"stt": "STT", "name": f"Tên {single}", "investor": "Chủ đầu tư hạ tầng", "note": "Ghi chú",
           "area": "Diện tích (ha)", "leasable": "Diện tích đất cho thuê (ha)", "occupancy": "Tỷ lệ lấp đầy (%)"}
    header = [[top[c] for c in columns]]
    if two_rows:
        header[0] = ["Diện tích (ha)" if c == "area" else ("" if c == "leasable" else top[c]) for c in columns]
        header.append(["Tổng" if c == "area" else ("Đất cho thuê" if c == "leasable" else "") for c in columns])
    if rnd.random() < 0.5:
        header.append([f"({n + 1})" for n in range(len(columns))])
    grid, expected = list(header), []

    repeat_merged = rnd.random() < 0.3    # some readers repeat a merged cell's text in every cell

    def line(**cells):
        if repeat_merged and set(cells) == {"stt", "name"}:
            return [cells["stt"] if c == "stt" else cells["name"] for c in columns]
        return [cells.get(c, "") for c in columns]

    for part, kind in zip("AB", kinds):
        if len(kinds) > 1:
            grid.append(line(stt=part, name=f"Kết quả đầu tư {'Khu' if kind == 'KCN' else 'Cụm'} công nghiệp"))
        for group in ("I", "II", "III"):
            grid.append(line(stt=group, name=f"Các {kind} nhóm {group}"))
            count = rnd.randrange(0, 3)
            if count == 0:
                grid.append(line(name="Không có"))
            for n in range(count):
                area = round(rnd.uniform(20, 600), 2)
                row = {"kind": kind, "group": group, "stt": str(n + 1),
                       "name": f"{kind} {rnd.choice(NAMES)}" if rnd.random() < 0.5 else rnd.choice(NAMES),
                       "investor": rnd.choice(INVESTORS),
                       "area_ha": area, "leasable_ha": rnd.choice([round(area * 0.6, 2), None]),
                       "occupancy_pct": rnd.choice([round(rnd.uniform(0, 100), 1), 0.0, 100.0, None])}
                grid.append(line(stt=row["stt"], name=row["name"], investor=row["investor"], note="Đã GPMB",
                                 area=vietnamese(row["area_ha"], rnd), leasable=vietnamese(row["leasable_ha"], rnd),
                                 occupancy=vietnamese(row["occupancy_pct"], rnd)))
                row["investor"] = row["investor"] if row["investor"] not in ("-", "") else None
                expected.append(row)
    if rnd.random() < 0.5:
        grid.append(line(name="Tổng cộng", area="1.234,5"))
    return Table(rows=grid), expected


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_appendix_layout_reads_back_its_rows(rnd):
    table, expected = appendix_table(rnd)
    rows, _ = read_appendix(doc(Paragraph("PHỤ LỤC", bold=True), table), SCHEMA, ("KCN", "CCN"))
    assert rows == expected
