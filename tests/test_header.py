"""Header metadata (Nghị định 30/2020 layout) from hand-built Content."""
from __future__ import annotations

from intake_bot.reader.header import body_start, read_header
from intake_bot.reader.model import Content, Paragraph, Table

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"


def P(text: str, bold: bool = False) -> Paragraph:
    return Paragraph(text=text, bold=bold)


def content(*blocks) -> Content:
    return Content(format="docx", blocks=list(blocks))


def body(*extra) -> list:
    return [P(""), P("Thực hiện Kế hoạch số 35/KH-ĐGS ngày 26/4/2024 của Đoàn giám sát, báo cáo như sau:"),
            P("I. KHÁI QUÁT CHUNG", bold=True), P("Nội dung " * 30), *extra]


def signature(right: str) -> Table:
    return Table(rows=[["Nơi nhận:\n- Ban KT-NS HĐND tỉnh;\n- Lưu: VT.", right]])


def test_department_under_its_parent_with_number_and_date_in_a_second_row():
    doc = content(
        Table(rows=[["UBND TỈNH HƯNG YÊN\nSỞ CÔNG THƯƠNG\n", MOTTO],
                    ["Số: 125/BC-SCT", "Hưng Yên, ngày 08 tháng 05 năm 2024"]]),
        P("BÁO CÁO", bold=True),
        P("Kết quả triển khai thực hiện Chương trình phát triển công nghiệp (phục vụ Đoàn giám sát)", bold=True),
        *body(), signature("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC\n\n\n\nPhan Quang Dũng"),
    )
    assert read_header(doc) == {
        "issuer": "SỞ CÔNG THƯƠNG", "number": "125/BC-SCT", "date": "2024-05-08", "doc_type": "BÁO CÁO",
        "title": "Kết quả triển khai thực hiện Chương trình phát triển công nghiệp (phục vụ Đoàn giám sát)",
        "signer": "Phan Quang Dũng",
    }
    assert body_start(doc) == 3


def test_district_header_on_two_lines_is_written_ubnd():
    doc = content(
        Table(rows=[["ỦY BAN NHÂN DÂN\nHUYỆN VĂN LÂM\n-------\nSố: 142/BC-UBND", MOTTO + "Văn Lâm, ngày 9/5/2024"]]),
        P("BÁO CÁO", bold=True),
        P("Tình hình triển khai thực hiện Chương trình phát triển công nghiệp", bold=True),
        P("giai đoạn 2021-2025 trên địa bàn huyện Văn Lâm", bold=True),
        *body(), signature("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\nTrịnh Thị Minh Hương"),
    )
    meta = read_header(doc)
    assert meta["issuer"] == "UBND HUYỆN VĂN LÂM"
    assert meta["number"] == "142/BC-UBND"
    assert meta["date"] == "2024-05-09"
    assert meta["title"] == ("Tình hình triển khai thực hiện Chương trình phát triển công nghiệp "
                             "giai đoạn 2021-2025 trên địa bàn huyện Văn Lâm")
    assert meta["signer"] == "Trịnh Thị Minh Hương"


def test_town_and_city_headers():
    for place in ("THỊ XÃ MỸ HÀO", "THÀNH PHỐ HƯNG YÊN"):
        doc = content(Table(rows=[[f"ỦY BAN NHÂN DÂN\n{place}", MOTTO]]), P("BÁO CÁO"), P("Về việc X", bold=True))
        assert read_header(doc)["issuer"] == f"UBND {place}"


def test_company_name_on_two_lines_is_joined():
    doc = content(
        Table(rows=[["CÔNG TY CỔ PHẦN ĐẦU TƯ\nPHÁT TRIỂN HẠ TẦNG CÔNG NGHIỆP PHƯƠNG BẮC\n", MOTTO],
                    ["Số: 21/BC-PB", "Hà Nội, ngày 06 tháng 05 năm 2024"]]),
        P("BÁO CÁO", bold=True), P("Tình hình triển khai dự án", bold=True),
        P(""), P("Kính gửi: Ban Kinh tế - Ngân sách Hội đồng nhân dân tỉnh Hưng Yên."),
        signature("GIÁM ĐỐC\n\n\n\nNgô Mạnh Bình"),
    )
    meta = read_header(doc)
    assert meta["issuer"] == "CÔNG TY CỔ PHẦN ĐẦU TƯ PHÁT TRIỂN HẠ TẦNG CÔNG NGHIỆP PHƯƠNG BẮC"
    assert meta["title"] == "Tình hình triển khai dự án"
    assert meta["signer"] == "Ngô Mạnh Bình"


def test_header_typed_as_paragraphs_with_tabs_and_signature_as_paragraphs():
    doc = content(
        P("UBND TỈNH HƯNG YÊN\t\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True),
        P("BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP\tĐộc lập - Tự do - Hạnh phúc", bold=True),
        P("Số : 87 / BC-BQL\t\tHưng Yên, ngày 7 tháng 5 năm 2024"),
        P("TỜ TRÌNH", bold=True),
        P("Về việc điều chỉnh quy hoạch các khu công nghiệp", bold=True),
        *body(),
        P("Nơi nhận:\t\tKT. TRƯỞNG BAN"),
        P("- Ban KT-NS HĐND tỉnh;\t\tPHÓ TRƯỞNG BAN", bold=True),
        P("- Lưu: VT."),
        P(""),
        P("\t\tPhạm Tiến Toàn", bold=True),
    )
    assert read_header(doc) == {
        "issuer": "BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP", "number": "87/BC-BQL", "date": "2024-05-07",
        "doc_type": "TỜ TRÌNH", "title": "Về việc điều chỉnh quy hoạch các khu công nghiệp",
        "signer": "Phạm Tiến Toàn",
    }


def test_pdf_lines_where_both_columns_run_together():
    doc = content(
        P("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True),
        P("HUYỆN YÊN MỸ Độc lập - Tự do - Hạnh phúc", bold=True),
        P("Số: 96/BC-UBND Yên Mỹ, ngày 6 tháng 5 năm 2024"),
        P("BÁO CÁO", bold=True),
        P("Tình hình triển khai thực hiện Chương trình phát triển công nghiệp - tiểu", bold=True),
        P("thủ công nghiệp trên địa bàn huyện Yên Mỹ", bold=True),
        P("Căn cứ Kế hoạch số 35/KH-ĐGS ngày 26/4/2024 của Đoàn giám sát"),
    )
    meta = read_header(doc)
    assert meta["issuer"] == "UBND HUYỆN YÊN MỸ"
    assert meta["number"] == "96/BC-UBND"
    assert meta["date"] == "2024-05-06"
    assert meta["title"] == ("Tình hình triển khai thực hiện Chương trình phát triển công nghiệp - tiểu "
                             "thủ công nghiệp trên địa bàn huyện Yên Mỹ")
    assert meta["signer"] is None


def test_title_ends_where_the_body_starts_even_without_an_empty_line():
    doc = content(
        Table(rows=[["SỞ CÔNG THƯƠNG\nSố 12/BC-SCT", MOTTO + "Hưng Yên, ngày 2 tháng 4 năm 2024"]]),
        P("BÁO CÁO"), P("Kết quả thực hiện"), P("Căn cứ Kế hoạch số 35/KH-ĐGS"), P("I. Khái quát chung"),
    )
    meta = read_header(doc)
    assert meta["issuer"] == "SỞ CÔNG THƯƠNG"
    assert meta["number"] == "12/BC-SCT"
    assert meta["title"] == "Kết quả thực hiện"
    assert body_start(doc) == 3
    straight_to_headings = content(doc.blocks[0], P("BÁO CÁO"), P("Kết quả thực hiện"), P("I. Khái quát chung"))
    assert read_header(straight_to_headings)["title"] == "Kết quả thực hiện"


def test_bracketed_line_in_another_face_still_belongs_to_the_title():
    doc = content(
        Table(rows=[["SỞ CÔNG THƯƠNG\nSố: 12/BC-SCT", MOTTO + "Hưng Yên, ngày 2 tháng 4 năm 2024"]]),
        P("BÁO CÁO", bold=True), P("Kết quả thực hiện Chương trình", bold=True),
        P("(phục vụ Đoàn giám sát của Ban Kinh tế - Ngân sách HĐND tỉnh)"), P("Căn cứ Kế hoạch số 35"),
    )
    assert read_header(doc)["title"] == ("Kết quả thực hiện Chương trình "
                                         "(phục vụ Đoàn giám sát của Ban Kinh tế - Ngân sách HĐND tỉnh)")


def test_nothing_to_read_gives_all_none():
    assert read_header(content()) == dict.fromkeys(("issuer", "number", "date", "doc_type", "title", "signer"))
    table_only = content(Table(rows=[["STT", "Tên KCN", "Diện tích (ha)"], ["1", "KCN A", "12,5"]]))
    assert read_header(table_only)["date"] is None
    assert read_header(table_only)["signer"] is None


def test_impossible_date_is_none_and_body_dates_are_not_the_date():
    doc = content(
        Table(rows=[["SỞ CÔNG THƯƠNG\nSố: 1/BC-SCT", MOTTO + "Hưng Yên, ngày 31 tháng 02 năm 2024"]]),
        P("BÁO CÁO"), P("Kết quả", bold=True), P(""), P("Thực hiện Kế hoạch ngày 26 tháng 4 năm 2024 ..."),
    )
    assert read_header(doc)["date"] is None
