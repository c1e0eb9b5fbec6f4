"""Realistic synthetic reports with their expected extraction, for finding where the reader breaks.

    report = build_report("ubnd-van-lam", Variant(headings="autonum", split_tables=True), seed=4)
    report.data          # the .docx bytes
    report.truth         # what `intake-bot extract` should answer (the corpus truth conventions)
    differences(extract_bytes(report.data, report.name, campaign).to_json(), report.truth)

A report follows Nghị định 30/2020 and the supervision plan's outlines (config/hung-yen-2024.toml)
as units really write them, with invented prose, officials, companies, zones and numbers. Every
way a unit departs from the template is one switch of `Variant`: heading faces and numbering
(Word styles, bold Normal paragraphs, upper case, auto-numbered lists, "PHẦN THỨ NHẤT", "A."),
reworded, left-out and extra sections, the header as a table or as tabbed paragraphs, number and
date spellings, signature blocks, and the appendix table's many layouts. `random_variant` draws a
combination; `single_variants` turns each switch on alone. `build_appendix_xlsx` writes the
appendix as a workbook; `to_pdf` converts many reports with few LibreOffice calls. A report's
random content is seeded by the unit, the seed and the switches moved, so a given report stays the
same when switches are added.

`differences` compares an answer with the truth as the acceptance scorer does (outline present
set, rows by kind + group + normalised name, cells within 0.01, metadata normalised, unit).

Run by hand for a larger sample (prints failures per switch):

    python -m tests.report_factory --count 600 [--pdf 60] [--xlsx 60] [--seed 1] [--density 0.3]
                                   [--borderless 30] [--xlsx-pdf 20] [--show 5] [--keep DIR]

`--borderless` converts reports again with the appendix table's borders removed (`Variant.
borderless`), `--xlsx-pdf` prints workbooks to PDF without grid lines (`printable_workbook`;
LibreOffice Calc): tables that a PDF shows without lines.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from .docx_builder import abstract_num, build_docx, num, numbering, style
from .scoring import norm_text, row_key

REPO = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------ who writes

@dataclass(frozen=True)
class Profile:
    """How one unit prints its header and signs: agency lines (after the parent agency), the
    issuer as the truth writes it, the number's suffix, the place of the date line."""

    unit: str | None
    outline: str | None
    parent: str | None
    agency: tuple[str, ...]             # the issuing agency, line by line
    agency_one_line: tuple[str, ...]    # the same on one line ("UBND HUYỆN VĂN LÂM")
    issuer: str
    code: str
    place: str
    name: str                           # as the text names it ("UBND huyện Văn Lâm")
    roles: tuple[tuple[str, ...], ...]
    area: str                           # "trên địa bàn ..."


_DISTRICTS = {"ubnd-van-lam": ("HUYỆN", "Văn Lâm"), "ubnd-yen-my": ("HUYỆN", "Yên Mỹ"),
              "ubnd-an-thi": ("HUYỆN", "Ân Thi"), "ubnd-kim-dong": ("HUYỆN", "Kim Động"),
              "ubnd-my-hao": ("THỊ XÃ", "Mỹ Hào")}
_DISTRICT_ROLES = (("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
                   ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"))


def _district(unit: str) -> Profile:
    level, place = _DISTRICTS[unit]
    lower = "huyện" if level == "HUYỆN" else "thị xã"
    return Profile(unit, "huyen", None, ("ỦY BAN NHÂN DÂN", f"{level} {place.upper()}"),
                   (f"UBND {level} {place.upper()}",), f"UBND {level} {place.upper()}", "BC-UBND", place,
                   f"UBND {lower} {place}", _DISTRICT_ROLES, f"{lower} {place}")


PROFILES = {
    "so-cong-thuong": Profile("so-cong-thuong", "sct", "UBND TỈNH HƯNG YÊN", ("SỞ CÔNG THƯƠNG",),
                              ("SỞ CÔNG THƯƠNG",), "SỞ CÔNG THƯƠNG", "BC-SCT", "Hưng Yên", "Sở Công Thương",
                              (("GIÁM ĐỐC",), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")), "tỉnh"),
    "bql-kcn": Profile("bql-kcn", "bql", "UBND TỈNH HƯNG YÊN", ("BAN QUẢN LÝ CÁC", "KHU CÔNG NGHIỆP"),
                       ("BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP",), "BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP", "BC-BQL",
                       "Hưng Yên", "Ban Quản lý các Khu công nghiệp tỉnh",
                       (("TRƯỞNG BAN",), ("KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN")), "tỉnh"),
    **{unit: _district(unit) for unit in _DISTRICTS},
    # An investor reporting on its own project: not a unit of the campaign, no outline.
    "company": Profile(None, None, None, ("CÔNG TY CỔ PHẦN ĐẦU TƯ", "PHÁT TRIỂN HẠ TẦNG KCN LẠC HỒNG"),
                       ("CÔNG TY CỔ PHẦN ĐẦU TƯ PHÁT TRIỂN HẠ TẦNG KCN LẠC HỒNG",),
                       "CÔNG TY CỔ PHẦN ĐẦU TƯ PHÁT TRIỂN HẠ TẦNG KCN LẠC HỒNG", "BC-LH", "Yên Mỹ",
                       "Công ty", (("TỔNG GIÁM ĐỐC",), ("KT. TỔNG GIÁM ĐỐC", "PHÓ TỔNG GIÁM ĐỐC")), "dự án"),
}
UNITS = [unit for unit in PROFILES if unit != "company"]

# ------------------------------------------------------------------ the outlines as units word them

# Wordings real reports use instead of the plan's title, by outline key; "*" keys hold for every
# outline, "<outline>:<key>" for one.
REWORDINGS = {
    "I": ["Đặc điểm tình hình", "Tình hình chung", "Khái quát tình hình chung",
          "Khái quát chung về tình hình phát triển công nghiệp, tiểu thủ công nghiệp"],
    "II": ["Kết quả đạt được", "Kết quả triển khai thực hiện", "Kết quả thực hiện Chương trình"],
    "II.1": ["Công tác lãnh đạo, chỉ đạo, tham mưu triển khai", "Công tác tham mưu, chỉ đạo triển khai thực hiện",
             "Công tác tham mưu, triển khai"],
    "II.2": ["Kết quả thực hiện các mục tiêu, nhiệm vụ, giải pháp",
             "Kết quả thực hiện mục tiêu, nhiệm vụ, giải pháp theo Nghị quyết 07-NQ/TU"],
    "II.2.1": ["Kết quả thực hiện các mục tiêu tổng quát và mục tiêu cụ thể",
               "Về thực hiện các mục tiêu tổng quát, mục tiêu cụ thể"],
    "II.2.2": ["Kết quả thực hiện các nhiệm vụ, giải pháp", "Về thực hiện các nhiệm vụ, giải pháp"],
    "III": ["Tồn tại, hạn chế và nguyên nhân", "Những khó khăn, vướng mắc", "Khó khăn, vướng mắc và nguyên nhân",
            "Hạn chế, khó khăn, vướng mắc và nguyên nhân", "Những tồn tại, hạn chế", "Tồn tại, hạn chế"],
    "IV": ["Kiến nghị, đề xuất", "Kiến nghị", "Đề xuất", "Một số kiến nghị, đề xuất",
           "Đề xuất, kiến nghị với Trung ương và tỉnh"],
    "sct:II.2.3": ["Kết quả thực hiện các nhiệm vụ trọng tâm theo Kế hoạch số 148/KH-UBND"],
    "sct:II.3": ["Tổng hợp kết quả thực hiện Nghị quyết số 07-NQ/TU và Kế hoạch số 148/KH-UBND"],
    "sct:II.4": ["Kết quả chuyển mục đích sử dụng đất trồng lúa thực hiện cụm công nghiệp"],
    "huyen:II.3": ["Kết quả chuyển mục đích sử dụng đất trồng lúa thực hiện cụm công nghiệp",
                   "Kết quả thực hiện các văn bản của Thủ tướng Chính phủ về chuyển mục đích sử dụng đất trồng lúa"],
    "bql:II.2": ["Kết quả triển khai đầu tư các Khu công nghiệp", "Kết quả đầu tư các khu công nghiệp trên địa bàn tỉnh"],
    "bql:II.3": ["Kết quả thực hiện chức năng, nhiệm vụ được giao"],
}
# Sections a report adds that the outline does not ask for (their key is null).
EXTRA_SECTIONS = ["Phương hướng, nhiệm vụ thời gian tới", "Phương hướng, nhiệm vụ năm 2024 và giai đoạn 2024-2025",
                  "Nhiệm vụ, giải pháp trong thời gian tới", "Đánh giá chung", "Tổ chức thực hiện"]
# Tails the plan's own wording sometimes has.
_TAILS = {"II.4": " trên địa bàn tỉnh", "II.3": " trên địa bàn", "II.2": " trên địa bàn tỉnh"}

# ------------------------------------------------------------------ invented prose

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lương", "Trịnh",
           "Đào", "Tạ", "Cao", "Lại"]
_MIDDLE = ["Văn", "Thị", "Đình", "Quang", "Minh", "Thanh", "Hữu", "Đức", "Ngọc", "Xuân", "Thị Thu", "Công"]
_GIVEN = ["Hùng", "Lan", "Tuấn", "Hòa", "Phương", "Dũng", "Hạnh", "Khánh", "Thắng", "Yến", "Long", "Sơn",
          "Trang", "Cường", "Nghĩa", "Hiếu", "Huệ", "Thịnh", "Ánh"]
_PLACES = ["Tân Quang", "Như Quỳnh", "Minh Đức", "Lạc Hồng", "Phố Nối", "Bãi Sậy", "Đặng Lễ", "Quán Đỏ",
           "Vân Du", "Thăng Long II", "Liêu Xá", "Minh Khai", "Lý Thường Kiệt", "Tân Dân", "Ngọc Long",
           "Dị Sử", "Trưng Trắc", "Đình Dù", "Hồng Tiến", "Nghĩa Dân", "Toàn Thắng", "số 03", "số 05",
           "Minh Quang", "Phạm Ngũ Lão", "Tam Đa", "Xuân Trúc", "Kim Động", "Yên Mỹ", "Minh Khai - Như Quỳnh",
           "Đức Hợp", "Chính Nghĩa", "Lương Tài", "Bình Minh", "Hoàn Long", "Tân Lập", "Phù Ủng", "Quảng Lãng"]
_COMPANY_FORMS = ["Công ty cổ phần", "Công ty CP", "Công ty TNHH", "Công ty TNHH MTV", "Tổng công ty"]
_COMPANY_TRADES = ["Đầu tư và Phát triển hạ tầng", "Xây dựng và Thương mại", "Phát triển hạ tầng công nghiệp",
                   "Đầu tư phát triển Khu công nghiệp", "Đầu tư xây dựng", "Phát triển đô thị và công nghiệp"]
_COMPANY_NAMES = ["Hồng Hà", "Sông Hồng", "Bình Minh", "Việt Hưng", "Thái Bình Dương", "Hoàng Gia", "Phương Bắc",
                  "Tân Phú Thịnh", "Đông Á", "Kim Thành", "Nam Cường", "Trường Thịnh", "An Phát", "Đại Dương"]
_SUBJECTS = ["UBND {who}", "Các phòng chuyên môn", "Các doanh nghiệp", "Chủ đầu tư hạ tầng các cụm công nghiệp",
             "Các xã, thị trấn", "Ban Chỉ đạo giải phóng mặt bằng", "Các cơ quan, đơn vị liên quan"]
_VERBS = ["đã ban hành", "tập trung chỉ đạo", "phối hợp triển khai", "đôn đốc thực hiện", "rà soát, đánh giá",
          "tổ chức kiểm tra", "tham mưu điều chỉnh", "hướng dẫn thực hiện"]
_OBJECTS = ["các văn bản triển khai Nghị quyết số 07-NQ/TU", "kế hoạch giải phóng mặt bằng",
            "tiến độ đầu tư hạ tầng kỹ thuật", "công tác bảo vệ môi trường tại các cụm công nghiệp",
            "chính sách hỗ trợ doanh nghiệp chuyển đổi số", "quy hoạch phát triển làng nghề",
            "thu hút dự án công nghiệp hỗ trợ", "đào tạo nguồn nhân lực", "phương án bồi thường, hỗ trợ"]
_RESULTS = ["đạt {p}% kế hoạch", "tăng {p}% so với cùng kỳ", "với tổng diện tích {a} ha",
            "thu hút {n} dự án với tổng vốn đăng ký {a} tỷ đồng", "giải quyết việc làm cho {n} lao động",
            "hoàn thành {n}/{m} chỉ tiêu"]


def _vn(value: float, decimals: int = 2) -> str:
    """A number as Vietnamese prints it: "1.234,5" (thousands "." and decimal ","), trailing
    zeros dropped."""
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


class Writer:
    """The invented content of one report, drawn from one seeded random source."""

    def __init__(self, rng: random.Random, profile: Profile):
        self.rng = rng
        self.profile = profile

    def person(self) -> str:
        return " ".join((self.rng.choice(_FAMILY), self.rng.choice(_MIDDLE), self.rng.choice(_GIVEN)))

    def company(self) -> str:
        rng = self.rng
        return f"{rng.choice(_COMPANY_FORMS)} {rng.choice(_COMPANY_TRADES)} {rng.choice(_COMPANY_NAMES)}"

    def sentence(self) -> str:
        rng = self.rng
        subject = rng.choice(_SUBJECTS).format(who=self.profile.area)
        result = rng.choice(_RESULTS).format(p=_vn(rng.uniform(60, 130), 1), a=_vn(rng.uniform(5, 900)),
                                             n=rng.randint(2, 90), m=rng.randint(90, 120))
        return f"{subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}, {result}."

    def body(self, sentences: int | None = None) -> str:
        rng = self.rng
        text = " ".join(self.sentence() for _ in range(sentences or rng.randint(2, 4)))
        year = rng.choice(["Năm 2023, ", "Giai đoạn 2021-2023, ", "Đến nay, ", "Trong thời gian qua, ", ""])
        lowered = text[0].lower() + text[1:] if text[1:2].islower() else text     # "UBND" stays
        return year + (lowered if year else text)


# ------------------------------------------------------------------ the switches

@dataclass(frozen=True)
class Variant:
    """One way of writing a report. Defaults give the plan's template as the corpus writes it."""

    # Heading numbers: "typed" ("I.", "1.", "2.1." in the text), "autonum" (from numbering.xml, not
    # in the text), "autostyle" (the same, the numbering set in the Heading 1/2/3 styles), "part"
    # ("PHẦN THỨ NHẤT" / "PHẦN I" top level), "letters" ("A." top level), "decimal" ("1.", "1.1.").
    headings: str = "typed"
    face: str = "styled"            # "styled" (Heading 1/2/3), "bold" (bold Normal paragraphs)
    part_words: bool = True         # "PHẦN THỨ NHẤT" rather than "PHẦN I"
    upper_top: bool = False         # top level in capitals
    part_on_own_line: bool = False  # "PHẦN THỨ NHẤT" / "KHÁI QUÁT CHUNG" as two paragraphs
    third_level: str = "multi"      # "multi" ("2.1."), "letters" ("a)"), "italic" (not bold, "2.1.")
    reword: bool = False
    drop: int = 0                   # outline items left out
    renumber: bool = True           # after a left-out item the rest is renumbered
    extra: bool = False             # a section outside the outline
    colon: bool = False             # headings end with ":"
    inline_text: bool = False       # "1. Công tác tham mưu triển khai: Thực hiện ..." (level 2/3)
    tab_after_number: bool = False  # "I.<tab>KHÁI QUÁT CHUNG"
    body_traps: bool = False        # numbered body lines, an indicator table, "a) Về ..." items
    sub_headings: bool = False      # bold "a) ..." sub-headings inside II.2.2, III and IV
    flatten: bool = False           # no "II. Kết quả thực hiện" heading: its items stand at the top
    # Header
    header: str = "table2"          # "table2" (two rows), "table1" (one row), "tabs" (paragraphs)
    one_line_issuer: bool = False   # "UBND HUYỆN VĂN LÂM" on one line
    rules: bool = False             # the short lines under agency and motto typed as "_____" (else borders)
    number: str = "plain"           # "plain", "spaced" ("45 /BC-UBND"), "blank" ("Số:   /BC-UBND")
    date: str = "padded"            # "padded" (07 tháng 05), "plain" (7 tháng 5), "spaced" (extra spaces)
    title: str = "one"              # "one", "two" (two paragraphs), "break" (a line break), "bracket"
    subject_line: bool = False      # a "V/v ..." line under the number
    kinh_gui: bool = False          # "Kính gửi: ..." under the title
    signature: str = "table"        # "table", "tabs" (tabbed paragraphs), "right" (paragraphs only)
    signed_mark: bool = False       # "(Đã ký)" above the name
    # Appendix
    appendix: str = "after"         # "after" (after the signature, PHỤ LỤC), "body", "none"
    split_tables: bool = False      # district: KCN and CCN as two tables with their own titles
    note_column: bool = False
    reorder: bool = False
    two_row_header: bool = False
    numbering_row: bool = False
    stt: str = "plain"              # "plain", "dot" ("1."), "zero" ("01")
    groups: str = "roman"           # "roman", "merged" (title spans the columns), "words" (no numeral),
    #                                 "inline" ("I. Các CCN ..." in one cell across the table)
    no_stt: bool = False            # no STT column (group rows then read "I. Các ...")
    leased_column: bool = False     # an extra "Diện tích đã cho thuê (ha)" column
    alt_labels: bool = False        # other header words: "Quy mô (ha)", "Nhà đầu tư hạ tầng", ...
    prefix: str = "mixed"           # "kcn" ("KCN X"), "long" ("Khu công nghiệp X"), "bare" ("X"), "mixed"
    blank_investor: bool = False
    odd_numbers: bool = False       # "85%", "85,3 %", "Đang cập nhật", "-", "0", "1.234,5"
    none_rows: bool = False         # an empty group with a "Không có" row
    total_row: bool = False
    subtotals: bool = False         # group rows carry the group's sums
    long_table: bool = False        # enough rows to run over a page (PDF)
    repeat_header: bool = False     # the header row repeats on each page
    row_split: bool = False         # appendix rows may break across pages (Word's default)
    portrait_appendix: bool = False # the appendix stays in the portrait section
    # The appendix table(s) with their borders removed: only a PDF shows it (no lines drawn). Not
    # in CHOICES, so that the seeded samples stay as they were; `--borderless` in a run by hand.
    borderless: bool = False
    # Text
    nfd: bool = False
    nbsp: bool = False

    def key(self) -> str:
        """What seeds a report's random content: the switches moved, so that a switch added
        later does not change the reports written before it."""
        return ",".join(self.switches())

    def switches(self) -> list[str]:
        """The switches that differ from the default, as "name=value"."""
        default = Variant()
        return [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(default, f.name)]


CHOICES = {
    "headings": ["autonum", "autostyle", "part", "letters", "decimal"], "face": ["bold"], "part_words": [False],
    "upper_top": [True], "part_on_own_line": [True], "third_level": ["letters", "italic"], "reword": [True],
    "drop": [1, 2], "renumber": [False], "extra": [True], "colon": [True], "inline_text": [True],
    "tab_after_number": [True], "body_traps": [True], "sub_headings": [True], "flatten": [True],
    "header": ["table1", "tabs"], "one_line_issuer": [True], "rules": [True], "number": ["spaced", "blank"],
    "date": ["plain", "spaced"], "title": ["two", "break", "bracket"], "subject_line": [True], "kinh_gui": [True],
    "signature": ["tabs", "right"], "signed_mark": [True],
    "appendix": ["body", "none"], "split_tables": [True], "note_column": [True], "reorder": [True],
    "two_row_header": [True], "numbering_row": [True], "stt": ["dot", "zero"], "groups": ["merged", "words", "inline"],
    "no_stt": [True], "leased_column": [True], "alt_labels": [True],
    "prefix": ["kcn", "long", "bare"], "blank_investor": [True], "odd_numbers": [True], "none_rows": [True],
    "total_row": [True], "subtotals": [True], "long_table": [True], "repeat_header": [True],
    "row_split": [True], "portrait_appendix": [True],
    "nfd": [True], "nbsp": [True],
}


def single_variants() -> list[Variant]:
    """Each switch alone, every value."""
    out = [Variant()]
    for name, values in CHOICES.items():
        out.extend(Variant(**{name: value}) for value in values if value != getattr(Variant(), name))
    return out


def random_variant(rng: random.Random, density: float = 0.25) -> Variant:
    """A combination: each switch moved off its default with probability `density`."""
    changes = {name: rng.choice(values) for name, values in CHOICES.items() if rng.random() < density}
    return Variant(**changes)


# ------------------------------------------------------------------ WordprocessingML

def _runs(text: str, bold: bool = False, *, italic: bool = False) -> str:
    """Runs for `text`; "\t" becomes w:tab, "\n" a line break."""
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    out = []
    for n, line in enumerate(text.split("\n")):
        if n:
            out.append(f"<w:r>{rpr}<w:br/></w:r>")
        for m, piece in enumerate(line.split("\t")):
            if m:
                out.append(f"<w:r>{rpr}<w:tab/></w:r>")
            if piece:
                out.append(f'<w:r>{rpr}<w:t xml:space="preserve">{escape(piece)}</w:t></w:r>')
    return "".join(out)


def _p(*parts: tuple[str, bool] | str, style: str | None = None, jc: str | None = None,
       num_id: tuple[int, int] | None = None, italic: bool = False, tabs: tuple[int, ...] = ()) -> str:
    """A paragraph of (text, bold) parts (a bare string is one plain part); the part "<rule>"
    makes an empty paragraph with a top border, the short line Word draws under the agency."""
    if parts == ("<rule>",) or parts == (("<rule>", False),):
        return ('<w:p><w:pPr><w:spacing w:before="0" w:after="0"/><w:ind w:left="1134" w:right="1134"/>'
                '<w:jc w:val="center"/><w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="auto"/>'
                '</w:pBdr></w:pPr><w:r><w:rPr><w:sz w:val="4"/></w:rPr></w:r></w:p>')
    props = []
    if style:
        props.append(f'<w:pStyle w:val="{style}"/>')
    if num_id is not None:
        props.append(f'<w:numPr><w:ilvl w:val="{num_id[1]}"/><w:numId w:val="{num_id[0]}"/></w:numPr>')
    if tabs:
        props.append("<w:tabs>" + "".join(f'<w:tab w:val="center" w:pos="{t}"/>' for t in tabs) + "</w:tabs>")
    if jc:
        props.append(f'<w:jc w:val="{jc}"/>')
    texts = [part if isinstance(part, tuple) else (part, False) for part in parts]
    if texts and all(bold for text, bold in texts if text.strip()):
        props.append("<w:rPr><w:b/></w:rPr>")     # the paragraph mark: Word prints the list number so
    body = "".join(_runs(*(part if isinstance(part, tuple) else (part, False)), italic=italic) for part in parts)
    return f"<w:p>{'<w:pPr>' + ''.join(props) + '</w:pPr>' if props else ''}{body}</w:p>"


def _tc(lines: list[tuple[str, bool]] | str, width: int, *, span: int = 1, vmerge: str | None = None,
        jc: str | None = "center") -> str:
    if isinstance(lines, str):
        lines = [(lines, False)]
    props = [f'<w:tcW w:w="{width}" w:type="dxa"/>']
    if span > 1:
        props.append(f'<w:gridSpan w:val="{span}"/>')
    if vmerge is not None:
        props.append(f'<w:vMerge w:val="{vmerge}"/>' if vmerge else "<w:vMerge/>")
    paragraphs = "".join(_p(line, jc=jc) for line in lines) or "<w:p/>"
    return f"<w:tc><w:tcPr>{''.join(props)}</w:tcPr>{paragraphs}</w:tc>"


def _tbl(rows: list[str], widths: list[int], *, borders: bool, header_rows: int = 0,
         cant_split: bool = False) -> str:
    """A table from rows of cell XML; `header_rows` repeat on every page; `cant_split` keeps each
    row on one page (as the corpus's appendix rows are)."""
    line = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    edges = "".join(line.format(e) for e in ("top", "left", "bottom", "right", "insideH", "insideV"))
    border_xml = f"<w:tblBorders>{edges}</w:tblBorders>" if borders else (
        "<w:tblBorders>" + "".join(f'<w:{e} w:val="nil"/>' for e in
                                   ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    def trpr(n: int) -> str:
        props = ("<w:cantSplit/>" if cant_split else "") + ("<w:tblHeader/>" if n < header_rows else "")
        return f"<w:trPr>{props}</w:trPr>" if props else ""

    body = "".join(f"<w:tr>{trpr(n)}{row}</w:tr>" for n, row in enumerate(rows))
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/>{border_xml}'
            f'<w:jc w:val="center"/><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            f'{body}</w:tbl>')


# ------------------------------------------------------------------ the report

@dataclass
class Report:
    name: str
    data: bytes
    truth: dict
    variant: Variant
    seed: int
    unit: str


@dataclass
class _Doc:
    blocks: list[str] = field(default_factory=list)
    portrait_tables: bool = True        # tables in the portrait section are narrower
    sections: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


_ROMANS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_LETTERS = "ABCDĐEGH"
_ORDINAL_WORDS = ["NHẤT", "HAI", "BA", "TƯ", "NĂM", "SÁU", "BẢY", "TÁM", "CHÍN", "MƯỜI"]
_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
_TITLES = [
    "Kết quả triển khai thực hiện Chương trình phát triển công nghiệp - tiểu thủ công nghiệp tỉnh Hưng Yên "
    "giai đoạn 2021-2025, tầm nhìn đến năm 2030",
    "Tình hình triển khai thực hiện Chương trình phát triển công nghiệp - tiểu thủ công nghiệp giai đoạn "
    "2021-2025, tầm nhìn đến năm 2030 trên địa bàn {area}",
    "Kết quả thực hiện Nghị quyết số 07-NQ/TU ngày 15/6/2021 của Ban Chấp hành Đảng bộ tỉnh về Chương trình "
    "phát triển công nghiệp - tiểu thủ công nghiệp giai đoạn 2021-2025, tầm nhìn đến năm 2030",
    "Kết quả 3 năm thực hiện Chương trình phát triển công nghiệp - tiểu thủ công nghiệp (2021-2023)",
]
_BRACKET = "(phục vụ Đoàn giám sát của Ban Kinh tế - Ngân sách HĐND tỉnh)"


def build_report(unit: str, variant: Variant = Variant(), seed: int = 0) -> Report:
    """A report DOCX of `unit` ("company" for a non-unit) written the `variant` way, and its truth."""
    rng = random.Random(f"{unit}/{seed}/{variant.key()}")
    profile = PROFILES[unit]
    writer = Writer(rng, profile)
    doc = _Doc()
    number = rng.randint(12, 298)
    day, month = rng.choice([(d, 5) for d in range(2, 16)] + [(d, 4) for d in range(26, 31)])
    meta = {"issuer": profile.issuer, "doc_type": "BÁO CÁO", "date": f"2024-{month:02d}-{day:02d}",
            "number": f"/{profile.code}" if variant.number == "blank" else f"{number}/{profile.code}"}
    title = rng.choice(_TITLES).format(area=profile.area if profile.unit else "tỉnh Hưng Yên")
    if profile.unit is None:
        title = "Tình hình triển khai dự án đầu tư xây dựng và kinh doanh kết cấu hạ tầng Khu công nghiệp Lạc Hồng"
    bracket = variant.title == "bracket"
    meta["title"] = f"{title} {_BRACKET}" if bracket else title
    signer = writer.person()
    meta["signer"] = signer
    report_ref = f"{'' if variant.number == 'blank' else number}/{profile.code}"

    _header(doc, profile, variant, rng, number, day, month)
    _title(doc, variant, title, rng)
    doc.blocks.append(_p(f"Thực hiện Kế hoạch số 35/KH-ĐGS ngày 26/4/2024 của Đoàn giám sát Ban Kinh tế - Ngân sách "
                         f"HĐND tỉnh, {profile.name} báo cáo kết quả thực hiện như sau:", jc="both"))
    numbering_xml = None
    if profile.outline is None:
        for n, words in enumerate(["Thông tin chung về dự án", "Tình hình triển khai đầu tư xây dựng",
                                   "Khó khăn, vướng mắc", "Kiến nghị, đề xuất"], 1):
            doc.blocks.append(_p((f"{n}. {words}", True)))
            doc.blocks.append(_p(writer.body(), jc="both"))
    else:
        numbering_xml = _outline_body(doc, profile, variant, writer, report_ref, day, month)
    _signature(doc, variant, profile, signer, rng)
    if profile.unit is not None and variant.appendix == "after":
        _appendix_after(doc, profile, variant, writer, report_ref, day, month)
    blocks = doc.blocks
    if variant.nfd:
        blocks = [unicodedata.normalize("NFD", b) for b in blocks]
    if variant.nbsp:
        blocks = [_nbsp(b) for b in blocks]
    styles = _numbered_heading_styles() if variant.headings == "autostyle" else ()
    data = _page_setup(build_docx(blocks, numbering=numbering_xml, styles=styles), landscape=not doc.portrait_tables)
    truth = _truth(profile, meta, doc, variant, "docx")
    return Report(f"{unit}-{seed}.docx", data, truth, variant, seed, unit)


_PORTRAIT = ('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" '
             'w:bottom="1134" w:left="1701" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>')


def _page_setup(data: bytes, landscape: bool) -> bytes:
    """A4 with the decree's margins, Times New Roman 14 pt; the last section (the appendix after
    the signature) in landscape when asked."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt, Twips

    document = docx.Document(io.BytesIO(data))
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(14)
    section = document.sections[-1]
    width, height = Twips(11906), Twips(16838)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.top_margin = section.bottom_margin = section.right_margin = Twips(1134)
    section.left_margin = Twips(1134 if landscape else 1701)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _nbsp(xml: str) -> str:
    """Non-breaking spaces where typists put them: after "Số:", after a heading's number, inside
    numbers' units, between the words of names."""
    def swap(match: re.Match) -> str:
        text = match.group(2)
        text = re.sub(r"^(Số:|ngày|[IVX]+\.|\d+\.(?:\d+\.)?) ", "\\1\u00a0", text)
        text = re.sub(r"(\d) (ha|%)", "\\1\u00a0\\2", text)
        text = re.sub(r"(CCN|KCN) ", "\\1\u00a0", text)
        return match.group(1) + text + match.group(3)
    return re.sub(r'(<w:t xml:space="preserve">)([^<]*)(</w:t>)', swap, xml)


def _truth(profile: Profile, meta: dict, doc: _Doc, variant: Variant, fmt: str) -> dict:
    outline = None
    if profile.outline is not None and fmt != "xlsx":
        keys = _outline_keys(profile.outline)
        found = {s["key"] for s in doc.sections if s["key"]} | ({"PL"} if doc.rows else set())
        outline = {"id": profile.outline, "present": [k for k in keys if k in found],
                   "missing": [k for k in keys if k not in found]}
    return {"format": fmt, "scanned": False, "unit": profile.unit,
            "metadata": meta if fmt != "xlsx" else None, "outline": outline,
            "sections": doc.sections, "tables": doc.rows, "variations": variant.switches()}


def _outline_items(outline_id: str) -> list[tuple[str, str]]:
    from intake_bot.config import load_campaign

    global _CAMPAIGN
    if _CAMPAIGN is None:
        _CAMPAIGN = load_campaign(REPO / "config" / "hung-yen-2024.toml")
    return [(item.key, item.title) for item in _CAMPAIGN.outlines[outline_id].items]


_CAMPAIGN = None


def _outline_keys(outline_id: str) -> list[str]:
    return [key for key, _ in _outline_items(outline_id)]


# ------------------------------------------------------------------ header, title, signature

def _header(doc: _Doc, profile: Profile, variant: Variant, rng, number: int, day: int, month: int) -> None:
    agency = list(profile.agency_one_line if variant.one_line_issuer else profile.agency)
    left = ([(profile.parent, False)] if profile.parent else []) + [(line, True) for line in agency]
    left.append(("_______", False) if variant.rules else ("<rule>", False))
    right = [(_MOTTO[0], True), (_MOTTO[1], True), ("_______________________", False) if variant.rules
             else ("<rule>", False)]
    sep = {"plain": "", "spaced": " ", "blank": ""}[variant.number]
    number_text = f"Số: {'' if variant.number == 'blank' else number}{sep}/{profile.code}"
    if variant.number == "blank":
        number_text = f"Số:      /{profile.code}"
    day_text, month_text = (f"{day:02d}", f"{month:02d}") if variant.date == "padded" else (str(day), str(month))
    date_text = f"{profile.place}, ngày {day_text} tháng {month_text} năm 2024"
    if variant.date == "spaced":
        date_text = f"{profile.place},  ngày  {day_text}  tháng {month_text}  năm  2024"
    left_bottom = [(number_text, False)] + ([("V/v báo cáo kết quả thực hiện Chương trình phát triển công nghiệp - "
                                              "tiểu thủ công nghiệp", False)] if variant.subject_line else [])
    if variant.header == "tabs":
        left, right = [l for l in left if l[0] != "<rule>"], [r for r in right if r[0] != "<rule>"]
        lines_left = left + left_bottom
        lines_right = right + [(date_text, False)]
        while len(lines_right) < len(lines_left):
            lines_right.append(("", False))
        while len(lines_left) < len(lines_right):
            lines_left.insert(len(lines_left) - len(left_bottom), ("", False))
        for (lt, lb), (rt, rb) in zip(lines_left, lines_right):
            if not lt and not rt:
                continue
            parts = [(lt, lb)] if lt else []
            parts.append(("\t", False))
            if rt:
                parts.append((rt, rb))
            doc.blocks.append(_p(*parts, tabs=(2300, 6600)) if lt else _p(("\t" + rt, rb), tabs=(2300, 6600)))
        return
    widths = [3515, 5556]
    if variant.header == "table2":
        rows = [_tc(left, widths[0]) + _tc(right, widths[1]),
                _tc(left_bottom, widths[0]) + _tc([(date_text, False)], widths[1])]
    else:
        rows = [_tc(left + left_bottom, widths[0]) + _tc(right + [(date_text, False)], widths[1])]
    doc.blocks.append(_tbl(rows, widths, borders=False))


def _title(doc: _Doc, variant: Variant, title: str, rng) -> None:
    doc.blocks.append(_p(("BÁO CÁO", True), jc="center"))
    if variant.title in ("two", "break"):
        words = title.split()
        cut = len(words) // 2 + rng.randint(-2, 2)
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if variant.title == "two":
            doc.blocks.extend([_p((first, True), jc="center"), _p((second, True), jc="center")])
        else:
            doc.blocks.append(_p((f"{first}\n{second}", True), jc="center"))
    else:
        doc.blocks.append(_p((title, True), jc="center"))
        if variant.title == "bracket":
            doc.blocks.append(_p(_BRACKET, jc="center", italic=True))
    doc.blocks.append(_p("__________", jc="center"))
    if variant.kinh_gui:
        doc.blocks.append(_p("Kính gửi: Ban Kinh tế - Ngân sách, Hội đồng nhân dân tỉnh Hưng Yên.", jc="center"))


_RECIPIENTS = ["Nơi nhận:", "- Ban KT-NS HĐND tỉnh;", "- UBND tỉnh (để b/c);", "- Sở Công Thương;", "- Lưu: VT."]


def _signature(doc: _Doc, variant: Variant, profile: Profile, signer: str, rng) -> None:
    roles = rng.choice(profile.roles)
    right = [(r, True) for r in roles] + ([("(Đã ký)", False)] if variant.signed_mark else [("", False)] * 2)
    right.append((signer, True))
    if variant.signature == "table":
        widths = [4252, 4819]
        doc.blocks.append(_tbl([_tc([(t, n == 0) for n, t in enumerate(_RECIPIENTS)], widths[0], jc="left")
                                + _tc(right, widths[1])], widths, borders=False))
    elif variant.signature == "tabs":
        lefts = list(_RECIPIENTS)
        for n in range(max(len(lefts), len(right))):
            lt = lefts[n] if n < len(lefts) else ""
            rt, rb = right[n] if n < len(right) else ("", False)
            if not lt and not rt:
                continue
            doc.blocks.append(_p((lt, n == 0), ("\t", False), (rt, rb), tabs=(6600,)))
    else:
        for text, bold in right:
            if text:
                doc.blocks.append(_p((text, bold), jc="center"))


# ------------------------------------------------------------------ the body by the outline

def _wording(outline_id: str, key: str, title: str, variant: Variant, rng) -> str:
    if variant.reword:
        options = REWORDINGS.get(f"{outline_id}:{key}") or REWORDINGS.get(key)
        if options and rng.random() < 0.7:
            return rng.choice(options)
    return title + (_TAILS.get(key, "") if rng.random() < 0.3 else "")


def _outline_body(doc: _Doc, profile: Profile, variant: Variant, writer: Writer, report_ref: str,
                  day: int, month: int) -> str | None:
    """Sections of the outline (some left out, reworded, extras added) -> doc; returns the
    numbering part when headings are auto-numbered."""
    rng = writer.rng
    items = [(k, t) for k, t in _outline_items(profile.outline) if k != "PL"]
    keys = [k for k, _ in items]
    droppable = [k for k in keys if not any(other.startswith(k + ".") for other in keys)]
    dropped = set(rng.sample(droppable, min(variant.drop, len(droppable))))
    entries = [(k, len(k.split(".")), _wording(profile.outline, k, t, variant, rng)) for k, t in items
               if k not in dropped]
    if variant.flatten:
        entries = [(k, depth - 1 if k.startswith("II.") else depth, w) for k, depth, w in entries if k != "II"]
    if variant.extra:
        extra = rng.choice(EXTRA_SECTIONS)
        tops = [n for n, (_, depth, _) in enumerate(entries) if depth == 1]
        at = rng.choice(tops[2:] + [len(entries)])
        entries.insert(at, (None, 1, extra))
    counters = [0, 0, 0]
    body_table_at = next(k for k in ("II.2.2", "II.2", "II") if k in keys and k not in dropped)
    for key, depth, words in entries:
        original = _key_numbers(key) if key and not variant.flatten else None
        if variant.renumber or original is None:
            counters[depth - 1] += 1
            counters[depth:] = [0] * (3 - depth)
            value = counters[:depth]
        else:
            value = list(original)
            counters[:depth] = value
            counters[depth:] = [0] * (3 - depth)
        _heading(doc, variant, depth, value, words, writer)
        doc.sections.append({"key": key, "heading": words})
        for _ in range(rng.randint(1, 2)):
            doc.blocks.append(_p(writer.body(), jc="both"))
        if variant.body_traps and key in ("II.1", "II.2.1", "III"):
            _traps(doc, key, writer)
        if variant.sub_headings and key in _SUB_HEADINGS:
            for n, words in enumerate(_SUB_HEADINGS[key]):
                doc.blocks.append(_p((f"{'abcdđe'[n]}) {words}", True), jc="both"))
                doc.blocks.append(_p(writer.body(), jc="both"))
                doc.sections.append({"key": None, "heading": words})
        if key == body_table_at and variant.appendix == "body":
            doc.blocks.append(_p("Kết quả đầu tư hạ tầng các khu, cụm công nghiệp như sau:", jc="both"))
            _appendix_tables(doc, profile, variant, writer, in_body=True)
    return _numbering_part() if variant.headings in ("autonum", "autostyle") else None


# Sub-headings units put inside an item, which are no item of the outline.
_SUB_HEADINGS = {
    "II.2.2": ["Về hoàn thiện cơ chế, chính sách", "Về phát triển kết cấu hạ tầng khu, cụm công nghiệp",
               "Về phát triển nguồn nhân lực, khoa học công nghệ"],
    "III": ["Tồn tại, hạn chế", "Nguyên nhân"],
    "IV": ["Đối với Trung ương", "Đối với UBND tỉnh"],
}


def _key_numbers(key: str) -> list[int]:
    head, *tail = key.split(".")
    return [_ROMANS.index(head) + 1, *(int(p) for p in tail)]


def _label(variant: Variant, depth: int, value: list[int]) -> str:
    """The printed number of a heading of this depth, or "" when Word numbers it."""
    if variant.headings in ("autonum", "autostyle"):
        return ""
    if variant.headings == "decimal":
        return ".".join(str(v) for v in value) + "."
    if variant.headings in ("part", "letters"):
        if depth == 1:
            if variant.headings == "letters":
                return f"{_LETTERS[value[0] - 1]}."
            return f"PHẦN THỨ {_ORDINAL_WORDS[value[0] - 1]}" if variant.part_words else f"PHẦN {_ROMANS[value[0] - 1]}"
        if depth == 2:
            return f"{_ROMANS[value[1] - 1]}."
        return f"{value[2]}."
    if depth == 1:
        return f"{_ROMANS[value[0] - 1]}."
    if depth == 2:
        return f"{value[1]}."
    return f"{chr(ord('a') + value[2] - 1)})" if variant.third_level == "letters" else f"{value[1]}.{value[2]}."


def _heading(doc: _Doc, variant: Variant, depth: int, value: list[int], words: str, writer: Writer) -> None:
    label = _label(variant, depth, value)
    if depth == 1 and (variant.upper_top or variant.headings == "part"):
        words = words.upper()
    autostyle = variant.headings == "autostyle"     # the number comes with the style: always styled
    styled = autostyle or variant.face == "styled" and not (depth == 3 and variant.third_level == "italic")
    style = f"Heading{depth}" if styled else None
    bold = not (depth == 3 and variant.third_level == "italic")
    italic = depth == 3 and variant.third_level == "italic"
    jc = "center" if depth == 1 and variant.headings == "part" else None
    if variant.headings == "part" and depth == 1 and variant.part_on_own_line:
        doc.blocks.append(_p((label, True), style=style, jc=jc))
        doc.blocks.append(_p((words, True), jc=jc))
        return
    separator = "\t" if variant.tab_after_number else " "
    if label.startswith("PHẦN"):
        separator = ": " if variant.part_words else ". "
    text = f"{label}{separator}{words}" if label else words
    if variant.colon:
        text += ":"
    num_id = (1, depth - 1) if variant.headings == "autonum" else None
    if variant.inline_text and depth > 1 and not autostyle:
        body = writer.body(2)
        doc.blocks.append(_p((text + ("" if variant.colon else ":"), bold), (" " + body, False), style=None,
                             num_id=num_id, jc="both", italic=italic))
        return
    doc.blocks.append(_p((text, bold), style=style, num_id=num_id, jc=jc, italic=italic))


def _numbered_heading_styles() -> list[str]:
    """Heading 1/2/3 numbered by the styles themselves (list 1, levels 0-2), as a template sets it."""
    return [style(f"Heading{level}", f"heading {level}", based_on="Normal",
                  ppr=f'<w:keepNext/><w:numPr><w:ilvl w:val="{level - 1}"/><w:numId w:val="1"/></w:numPr>'
                      f'<w:outlineLvl w:val="{level - 1}"/>', rpr="<w:b/>")
            for level in (1, 2, 3)]


def _numbering_part() -> str:
    return numbering(abstract_num(1, ("upperRoman", "%1."), ("decimal", "%2."), ("decimal", "%2.%3.")), num(1, 1))


def _traps(doc: _Doc, key: str, writer: Writer) -> None:
    """Body text that looks like headings: numbered long lines, "a) Về ...", an indicator table."""
    rng = writer.rng
    if key == "II.1":
        for n in (1, 2):
            doc.blocks.append(_p(f"{n}. {writer.body(2)}", jc="both"))
    elif key == "II.2.1":
        widths = [700, 4400, 1400, 1400, 1300]
        rows = [_tc(h, w) for h, w in zip(["TT", "Chỉ tiêu", "Mục tiêu đến năm 2025", "Kết quả đến 31/12/2023",
                                           "Đánh giá"], widths)]
        table = ["".join(rows)]
        for n, name in enumerate(["Tốc độ tăng giá trị sản xuất công nghiệp (%/năm)",
                                  "Tỷ lệ lấp đầy khu, cụm công nghiệp đã hoạt động (%)"], 1):
            values = [str(n), name, _vn(rng.uniform(10, 80), 1), _vn(rng.uniform(10, 80), 1), "Đạt"]
            table.append("".join(_tc(v, w) for v, w in zip(values, widths)))
        doc.blocks.append(_tbl(table, widths, borders=True))
    else:
        doc.blocks.append(_p(("a) Về tiến độ giải phóng mặt bằng: ", True), (writer.body(1), False), jc="both"))
        doc.blocks.append(_p(("b) Về thu hút đầu tư: ", True), (writer.body(1), False), jc="both"))


# ------------------------------------------------------------------ the appendix

_GROUP_WORDS = {"I": "Các {k} đã đi vào hoạt động",
                "II": "Các {k} đang đầu tư xây dựng hạ tầng và chuẩn bị tiếp nhận dự án đầu tư",
                "III": "Các {k} đang trong quá trình triển khai"}
_KIND_WORDS = {"KCN": ("KCN", "Khu công nghiệp"), "CCN": ("CCN", "Cụm công nghiệp")}


@dataclass
class _Zone:
    kind: str
    group: str
    stt: int
    name: str
    investor: str | None
    area: float | None
    leasable: float | None
    occupancy: float | None
    cells: dict

    def expected(self) -> dict:
        """The row as the truth writes it."""
        return {"kind": self.kind, "group": self.group, "stt": str(self.stt), "name": self.name,
                "investor": self.investor, "area_ha": self.area, "leasable_ha": self.leasable,
                "occupancy_pct": self.occupancy}


def _zones(kind: str, variant: Variant, writer: Writer, taken: set[str]) -> dict[str, list[_Zone]]:
    """Zones of one kind by group, with their cells as printed and their values."""
    rng = writer.rng
    per_group = {"I": rng.randint(1, 4), "II": rng.randint(0, 3), "III": rng.randint(0, 3)}
    if variant.long_table:
        per_group = {"I": rng.randint(12, 16), "II": rng.randint(10, 14), "III": rng.randint(8, 12)}
    out: dict[str, list[_Zone]] = {}
    for group, count in per_group.items():
        zones = []
        for stt in range(1, count + 1):
            place = rng.choice([p for p in _PLACES if (kind, p) not in taken] or [f"mới {len(taken)}"])
            taken.add((kind, place))
            prefix = variant.prefix if variant.prefix != "mixed" else rng.choice(["kcn", "long", "bare"])
            name = {"kcn": f"{kind} {place}", "long": f"{_KIND_WORDS[kind][1]} {place}", "bare": place}[prefix]
            investor = writer.company()
            area = round(rng.uniform(18, 75) if kind == "CCN" else rng.uniform(120, 600), rng.choice([0, 1, 2]))
            leasable = round(area * rng.uniform(0.6, 0.72), rng.choice([1, 2]))
            occupancy = round(rng.uniform(0, 100), rng.choice([0, 1])) if group != "III" else None
            cells = {"investor": investor, "area": _vn(area), "leasable": _vn(leasable),
                     "occupancy": "-" if occupancy is None else _vn(occupancy, 1),
                     "leased": _vn(leasable * (occupancy or 0) / 100)}
            if variant.blank_investor and rng.random() < 0.4:
                cells["investor"], investor = rng.choice(["-", ""]), None
            if variant.odd_numbers:
                roll = rng.random()
                if roll < 0.2 and occupancy is not None:
                    cells["occupancy"] = rng.choice([f"{_vn(occupancy, 1)}%", f"{_vn(occupancy, 1)} %"])
                elif roll < 0.35:
                    cells["leasable"], leasable = rng.choice(["Đang cập nhật", "-", ""]), None
                elif roll < 0.45:
                    cells["occupancy"], occupancy = "0", 0.0
                elif roll < 0.6:
                    area = round(rng.uniform(1000, 1900), 1)
                    cells["area"] = _vn(area)
                    leasable = round(area * 0.65, 2)
                    cells["leasable"] = _vn(leasable)
            stt_text = {"plain": str(stt), "dot": f"{stt}.", "zero": f"{stt:02d}"}[variant.stt]
            cells["stt"], cells["name"] = stt_text, name
            zones.append(_Zone(kind, group, stt, name, investor, area, leasable, occupancy, cells))
        out[group] = zones
    return out


_ALT_LABELS = {
    "investor": ["Nhà đầu tư hạ tầng", "Chủ đầu tư kinh doanh hạ tầng", "Doanh nghiệp đầu tư hạ tầng"],
    "area": ["Quy mô (ha)", "Diện tích quy hoạch (ha)", "Tổng diện tích (ha)"],
    "leasable": ["Diện tích đất công nghiệp (ha)", "Diện tích đất công nghiệp có thể cho thuê (ha)",
                 "Đất thương phẩm (ha)"],
    "occupancy": ["Tỷ lệ lấp đầy", "Tỉ lệ lấp đầy (%)"],
}


def _columns(variant: Variant, kind_label: str, rng) -> list[tuple[str, str, int]]:
    """(role, header text, width) in printed order."""
    columns = [("stt", "STT", 930), ("name", f"Tên {kind_label}", 2893), ("investor", "Chủ đầu tư hạ tầng", 3858),
               ("area", "Diện tích (ha)", 1584), ("leasable", "Diện tích đất cho thuê (ha)", 1722),
               ("occupancy", "Tỷ lệ lấp đầy (%)", 1515)]
    if variant.alt_labels:
        columns = [(role, rng.choice(_ALT_LABELS[role]) if role in _ALT_LABELS else text, w)
                   for role, text, w in columns]
    if variant.two_row_header:
        columns[3] = ("area", "Tổng", 1100)
        columns[4] = ("leasable", "Đất cho thuê", 1250)
    if variant.reorder:
        stt, name, investor, area, leasable, occupancy = columns
        columns = [stt, name, area, leasable, occupancy, investor]
    if variant.leased_column:
        at = [role for role, _, _ in columns].index("leasable") + 1
        columns.insert(at, ("leased", "Diện tích đã cho thuê (ha)", 1500))
    if variant.note_column:
        columns.append(("note", "Ghi chú", 2066))
    if variant.no_stt:
        columns = columns[1:]
    return columns


def _kind_label(kinds: tuple[str, ...], variant: Variant, rng) -> str:
    if len(kinds) == 2:
        return rng.choice(["KCN/CCN", "khu, cụm công nghiệp"])
    return rng.choice([kinds[0], _KIND_WORDS[kinds[0]][1].lower(), kinds[0]])


def _appendix_tables(doc: _Doc, profile: Profile, variant: Variant, writer: Writer, in_body: bool,
                     titles: tuple[str, ...] | None = None) -> None:
    """The appendix table(s) of the unit's outline -> doc.blocks and doc.rows."""
    rng = writer.rng
    kinds = {"sct": ("CCN",), "bql": ("KCN",), "huyen": ("KCN", "CCN")}[profile.outline]
    taken: set = set()
    zones = {kind: _zones(kind, variant, writer, taken) for kind in kinds}
    if len(kinds) == 2 and variant.split_tables:
        for n, kind in enumerate(kinds):
            title = (f"Biểu {n + 1:02d}: KẾT QUẢ ĐẦU TƯ CÁC {_KIND_WORDS[kind][1].upper()}" if not in_body
                     else f"{_LETTERS[n]}. Kết quả đầu tư {_KIND_WORDS[kind][1].lower()}")
            doc.blocks.append(_p((title, True), jc="center" if not in_body else "both"))
            _one_table(doc, variant, {kind: zones[kind]}, _kind_label((kind,), variant, rng), rng, parts=False)
    else:
        _one_table(doc, variant, zones, _kind_label(kinds, variant, rng), rng, parts=len(kinds) == 2)


def _one_table(doc: _Doc, variant: Variant, zones: dict[str, dict[str, list[_Zone]]], kind_label: str, rng,
               parts: bool) -> None:
    columns = _columns(variant, kind_label, rng)
    widths = [w for _, _, w in columns]
    width = len(columns)
    rows: list[str] = []
    if variant.two_row_header:
        top, bottom = [], []
        n = 0
        while n < width:
            role, text, w = columns[n]
            if role == "area" and n + 1 < width and columns[n + 1][0] == "leasable":
                top.append(_tc([("Diện tích (ha)", True)], w + columns[n + 1][2], span=2))
                bottom.append(_tc([("Tổng", True)], w) + _tc([("Đất cho thuê", True)], columns[n + 1][2]))
                n += 2
                continue
            top.append(_tc([(text, True)], w, vmerge="restart"))
            bottom.append(_tc([("", False)], w, vmerge=""))
            n += 1
        rows += ["".join(top), "".join(bottom)]
    else:
        rows.append("".join(_tc([(text, True)], w) for _, text, w in columns))
    header_rows = len(rows)
    if variant.numbering_row:
        rows.append("".join(_tc(f"({n + 1})", w) for n, w in enumerate(widths)))
    name_column = next(n for n, (role, _, _) in enumerate(columns) if role == "name")

    def word_row(lead: str, words: str, sums: dict | None = None) -> str:
        if variant.groups == "inline" or variant.no_stt:
            return _tc([(f"{lead}. {words}", True)], sum(widths), span=width, jc="left")
        if variant.groups == "words" and lead and lead not in "AB":
            return _tc([(words, True)], sum(widths), span=width, jc="left")
        if variant.groups == "merged" or sums is None and variant.groups != "roman":
            return _tc([(lead, True)], widths[0]) + _tc([(words, True)], sum(widths[1:]), span=width - 1, jc="left")
        cells = [_tc([(lead, True)], widths[0])]
        for n, (role, _, w) in enumerate(columns[1:], 1):
            text = words if n == name_column else (sums or {}).get(role, "")
            cells.append(_tc([(text, True)], w, jc="left" if n == name_column else "center"))
        return "".join(cells)

    totals = {"area": 0.0, "leasable": 0.0}
    for p, (kind, groups) in enumerate(zones.items()):
        if parts:
            rows.append(word_row(_LETTERS[p], f"Kết quả đầu tư {_KIND_WORDS[kind][1]}"))
        for group, members in groups.items():
            if not members and not variant.none_rows:
                continue
            sums = None
            if variant.subtotals and members:
                sums = {"area": _vn(sum(z.area or 0 for z in members)),
                        "leasable": _vn(sum(z.leasable or 0 for z in members))}
            rows.append(word_row(group, _GROUP_WORDS[group].format(k=kind), sums))
            if not members:
                rows.append("".join(_tc("Không có" if n == name_column else "", w) for n, w in enumerate(widths)))
                continue
            for zone in members:
                cells = []
                for role, _, w in columns:
                    text = zone.cells.get(role, "")
                    if role == "note":
                        text = rng.choice(["", "", "Đã GPMB 80%", "Đang lập quy hoạch chi tiết"])
                    cells.append(_tc(text, w, jc="left" if role in ("name", "investor") else "center"))
                rows.append("".join(cells))
                totals["area"] += zone.area or 0
                totals["leasable"] += zone.leasable or 0
                doc.rows.append(zone.expected())
    if variant.total_row:
        cells = []
        for n, (role, _, w) in enumerate(columns):
            text = "Tổng cộng" if n == name_column else _vn(totals[role]) if role in totals else ""
            cells.append(_tc([(text, True)], w))
        rows.append("".join(cells))
    if variant.portrait_appendix or doc.portrait_tables:
        widths = [w * 9000 // sum(widths) for w in widths]
        rows = [re.sub(r'<w:tcW w:w="(\d+)"', lambda m: f'<w:tcW w:w="{int(m.group(1)) * 9000 // total}"', row)
                for row, total in ((row, sum(w for _, _, w in columns)) for row in rows)]
    doc.blocks.append(_tbl(rows, widths, borders=not variant.borderless,
                           header_rows=header_rows if variant.repeat_header else 0, cant_split=not variant.row_split))


def _appendix_after(doc: _Doc, profile: Profile, variant: Variant, writer: Writer, report_ref: str,
                    day: int, month: int) -> None:
    kinds = {"sct": "CÁC CỤM CÔNG NGHIỆP", "bql": "CÁC KHU CÔNG NGHIỆP", "huyen": "CÁC KHU, CỤM CÔNG NGHIỆP"}
    if not variant.portrait_appendix:
        doc.blocks.append(f"<w:p><w:pPr>{_PORTRAIT}</w:pPr></w:p>")
        doc.portrait_tables = False
    doc.blocks.append(_p(("PHỤ LỤC", True), jc="center"))
    if not variant.split_tables or profile.outline != "huyen":
        doc.blocks.append(_p((f"KẾT QUẢ ĐẦU TƯ {kinds[profile.outline]} TRÊN ĐỊA BÀN {profile.area.upper()}", True),
                             jc="center"))
    doc.blocks.append(_p(f"(Kèm theo Báo cáo số {report_ref} ngày {day:02d}/{month:02d}/2024 của {profile.name})",
                         jc="center", italic=True))
    _appendix_tables(doc, profile, variant, writer, in_body=False)


# ------------------------------------------------------------------ the appendix as a workbook

def build_appendix_xlsx(unit: str, variant: Variant = Variant(), seed: int = 0) -> Report:
    """The unit's appendix as an .xlsx: a title row and a "Kèm theo" row above the header, the
    header on one row or two (merged "Diện tích (ha)" over "Tổng | Đất cho thuê"), group rows
    merged across the columns (or words only, with `groups="words"`), numbers as numbers
    (occupancy sometimes as a percentage) or, with `odd_numbers`, sometimes typed as text. A
    district's zones and clusters stand in one sheet (parts A and B), or with `split_tables` in
    a sheet each."""
    import openpyxl

    rng = random.Random(f"xlsx/{unit}/{seed}/{variant.key()}")
    profile = PROFILES[unit]
    writer = Writer(rng, profile)
    kinds = {"sct": ("CCN",), "bql": ("KCN",), "huyen": ("KCN", "CCN")}[profile.outline]
    taken: set = set()
    zones = {kind: _zones(kind, variant, writer, taken) for kind in kinds}
    book = openpyxl.Workbook()
    doc = _Doc()
    reference = f"(Kèm theo Báo cáo số {rng.randint(10, 200)}/{profile.code} của {profile.name})"
    if variant.split_tables and len(kinds) == 2:
        book.active.title = "KCN"
        book.create_sheet("CCN")
        for sheet, kind in zip(book.worksheets, kinds):
            _xlsx_sheet(sheet, {kind: zones[kind]}, variant, rng, reference, doc)
    else:
        book.active.title = "Phụ lục"
        _xlsx_sheet(book.active, zones, variant, rng, reference, doc)
    out = io.BytesIO()
    book.save(out)
    truth = _truth(profile, None, doc, variant, "xlsx")
    return Report(f"{unit}-{seed}.xlsx", out.getvalue(), truth, variant, seed, unit)


def _xlsx_sheet(sheet, zones: dict, variant: Variant, rng, reference: str, doc: _Doc) -> None:
    kinds = tuple(zones)
    columns = _columns(variant, _kind_label(kinds, variant, rng), rng)
    roles = [role for role, _, _ in columns]
    width = len(columns)

    def merged(values: list, first: int = 1) -> None:
        sheet.append(values)
        sheet.merge_cells(start_row=sheet.max_row, start_column=first, end_row=sheet.max_row, end_column=width)

    what = "CÁC KHU, CỤM CÔNG NGHIỆP" if len(kinds) == 2 else f"CÁC {_KIND_WORDS[kinds[0]][1].upper()}"
    merged([f"KẾT QUẢ ĐẦU TƯ HẠ TẦNG {what}"])
    merged([reference])
    if variant.two_row_header:
        top = sheet.max_row + 1
        sheet.append(["Diện tích (ha)" if role == "area" else "" if role == "leasable" else text
                      for role, text, _ in columns])
        sheet.append([text if role in ("area", "leasable") else "" for role, text, _ in columns])
        for column, role in enumerate(roles, 1):
            if role == "area":
                sheet.merge_cells(start_row=top, start_column=column, end_row=top, end_column=column + 1)
            elif role != "leasable":
                sheet.merge_cells(start_row=top, start_column=column, end_row=top + 1, end_column=column)
    else:
        sheet.append([text for _, text, _ in columns])
    if variant.numbering_row:
        sheet.append([f"({n + 1})" for n in range(width)])
    percent = rng.random() < 0.5

    def word_row(lead: str, words: str) -> None:
        if variant.groups == "inline" or variant.no_stt:
            merged([f"{lead}. {words}"])
        elif variant.groups == "words" and lead not in ("A", "B"):
            merged([words])
        else:
            merged([lead, words], first=2)

    totals = {"area": 0.0, "leasable": 0.0}
    for p, (kind, groups) in enumerate(zones.items()):
        if len(kinds) == 2:
            word_row(_LETTERS[p], f"Kết quả đầu tư {_KIND_WORDS[kind][1]}")
        for group, members in groups.items():
            if not members and not variant.none_rows:
                continue
            word_row(group, _GROUP_WORDS[group].format(k=kind))
            if not members:
                sheet.append(["Không có" if role == "name" else "" for role in roles])
                continue
            for zone in members:
                sheet.append([_xlsx_value(zone, role, variant, rng, percent) for role in roles])
                if "occupancy" in roles:
                    cell = sheet.cell(sheet.max_row, 1 + roles.index("occupancy"))
                    if percent and isinstance(cell.value, float):
                        cell.number_format = "0.0%"
                totals["area"] += zone.area or 0
                totals["leasable"] += zone.leasable or 0
                doc.rows.append(zone.expected())
    if variant.total_row:
        sheet.append(["Tổng cộng" if role == "name" else totals.get(role) for role in roles])


def _xlsx_value(zone: _Zone, role: str, variant: Variant, rng, percent: bool):
    """A cell as a spreadsheet holds it: numbers as numbers, unless typed as text (`odd_numbers`)."""
    typed = variant.odd_numbers and rng.random() < 0.3
    if role == "stt":
        return zone.cells["stt"] if typed or variant.stt != "plain" else zone.stt
    if role == "name":
        return zone.name
    if role == "investor":
        return zone.cells["investor"] or None
    if role in ("area", "leasable"):
        value = zone.area if role == "area" else zone.leasable
        return zone.cells[role] if typed or value is None else value
    if role == "leased":
        return zone.cells["leased"] if typed else float(zone.cells["leased"].replace(".", "").replace(",", "."))
    if role == "occupancy":
        if typed or zone.occupancy is None:
            return zone.cells["occupancy"]
        return zone.occupancy / 100 if percent else zone.occupancy
    return None


def printable_workbook(report: Report) -> Report:
    """The workbook set up to print as units print it: landscape, fitted to the page's width,
    no grid lines (the default), wrapped text in columns as wide as a clerk makes them, at the
    top of rows whose height fits it, the header and numbers centred - the PDF of an appendix
    without lines. (Text at the bottom of rows too low for it runs into the row above, a number
    pressed against the text of the next column leaves no white between them, and a header
    written from the left over centred numbers leaves white inside a column: the reader does
    not read those.)"""
    import openpyxl
    from openpyxl.styles import Alignment

    from intake_bot.text import fold

    book = openpyxl.load_workbook(io.BytesIO(report.data))
    for sheet in book.worksheets:
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.print_options.gridLines = False
        at, header = next((n, row) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)
                          if sum(v is not None for v in row) > 2)
        widths = {}
        for column, text in enumerate(header, 1):
            words = set(fold(str(text or "")).split())
            widths[column] = 34 if words & {"chu", "nha", "doanh"} else 24 if words & {"ten"} else 12
            sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = widths[column]
        for row in sheet.iter_rows():
            lines = 1
            for cell in row:
                centred = isinstance(cell.value, (int, float)) or at <= cell.row <= at + 1
                cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center" if centred else None)
                if cell.value is not None and cell.coordinate not in sheet.merged_cells:
                    lines = max(lines, -(-len(str(cell.value)) // widths.get(cell.column, 12)))
            # The height a clerk's "fit row height" gives: wrapped text never runs out of its row.
            sheet.row_dimensions[row[0].row].height = 15 * lines + 3
    out = io.BytesIO()
    book.save(out)
    return dataclasses.replace(report, data=out.getvalue())


# ------------------------------------------------------------------ PDF through LibreOffice

# One LibreOffice call converts this many files (it starts slowly; a call of some 250 files or
# more was seen to stop converting part way, with exit status 0).
_PDF_BATCH = 100


def to_pdf(reports: list[Report], workdir: Path) -> list[Report]:
    """The reports (.docx, or .xlsx made printable) converted to PDF by LibreOffice, in as few
    calls as can be (own profile under `workdir`); a report LibreOffice could not convert is left
    out. Names must differ by more than their extension."""
    sources = []
    for report in reports:
        path = workdir / report.name
        path.write_bytes(report.data)
        sources.append(path)
    for start in range(0, len(sources), _PDF_BATCH):
        batch = sources[start:start + _PDF_BATCH]
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{workdir / 'profile'}",
                        "--convert-to", "pdf", "--outdir", str(workdir), *map(str, batch)],
                       check=True, capture_output=True, timeout=60 + 3 * len(batch))
    out = []
    for report in reports:
        pdf = workdir / (Path(report.name).stem + ".pdf")
        if pdf.exists():
            truth = dict(report.truth, format="pdf")
            out.append(dataclasses.replace(report, name=pdf.name, data=pdf.read_bytes(), truth=truth))
    return out


# ------------------------------------------------------------------ comparing as the scorer does

def _num_eq(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 0.01


def differences(got: dict, truth: dict, unit_told: bool = False) -> list[str]:
    """What an answer gets wrong against the truth, one "area: detail" string each; `unit_told`
    when the answer came from a run given the unit (then the unit is not checked)."""
    out = []
    if got.get("error"):
        return [f"error: {got['error']}"]
    if not unit_told and got["unit"] != truth["unit"]:
        out.append(f"unit: {got['unit']!r} != {truth['unit']!r}")
    if truth["outline"] is not None:
        present = set((got.get("outline") or {}).get("present") or [])
        want = set(truth["outline"]["present"])
        if present != want:
            out.append(f"outline: extra {sorted(present - want)} missing {sorted(want - present)}")
    expected = {row_key(r): r for r in truth["tables"]}
    answered = {row_key(r): r for r in got["tables"]}
    if set(answered) - set(expected):
        out.append(f"rows: extra {sorted(set(answered) - set(expected))[:3]}")
    if set(expected) - set(answered):
        out.append(f"rows: missing {sorted(set(expected) - set(answered))[:3]}")
    for key in set(expected) & set(answered):
        want, have = expected[key], answered[key]
        if norm_text(want["investor"]) != norm_text(have["investor"]):
            out.append(f"cell investor {key}: {have['investor']!r} != {want['investor']!r}")
        for name in ("area_ha", "leasable_ha", "occupancy_pct"):
            if not _num_eq(want[name], have[name]):
                out.append(f"cell {name} {key}: {have[name]!r} != {want[name]!r}")
    if truth["metadata"]:
        for name, want in truth["metadata"].items():
            have = got["metadata"].get(name)
            if want is None and have is None:
                continue
            if (have != want) if name == "date" else (norm_text(have) != norm_text(want)):
                out.append(f"metadata {name}: {have!r} != {want!r}")
    return out


# ------------------------------------------------------------------ a run by hand

def sample(count: int, seed: int, density: float = 0.25) -> list[tuple[str, Variant, int]]:
    """(unit, variant, seed): every single switch on every unit, then random combinations."""
    rng = random.Random(seed)
    out = [(unit, variant, seed * 10_000 + n)
           for n, (variant, unit) in enumerate((v, u) for v in single_variants() for u in UNITS)]
    out += [(rng.choice(UNITS + ["company"]), random_variant(rng, density), seed * 10_000 + len(out) + n)
            for n in range(count)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate reports, extract them, count what is wrong.")
    parser.add_argument("--count", type=int, default=300, help="random combinations (besides single switches)")
    parser.add_argument("--pdf", type=int, default=0, help="how many of them also as PDF (LibreOffice)")
    parser.add_argument("--xlsx", type=int, default=0, help="appendix workbooks")
    parser.add_argument("--borderless", type=int, default=0,
                        help="how many reports also as PDF with the appendix table's borders removed")
    parser.add_argument("--xlsx-pdf", type=int, default=0,
                        help="how many appendix workbooks also printed to PDF without grid lines")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--density", type=float, default=0.25)
    parser.add_argument("--show", type=int, default=3, help="examples to print per failure kind")
    parser.add_argument("--keep", type=Path, help="write failing files here")
    args = parser.parse_args(argv)

    from intake_bot.config import load_campaign
    from intake_bot.reader.extract import extract_bytes

    campaign = load_campaign(REPO / "config" / "hung-yen-2024.toml")
    reports = [build_report(unit, variant, seed) for unit, variant, seed in sample(args.count, args.seed, args.density)]
    rng = random.Random(args.seed)
    reports += [build_appendix_xlsx(rng.choice(UNITS), random_variant(rng, args.density), n) for n in range(args.xlsx)]
    if args.pdf and shutil.which("soffice"):
        chosen = rng.sample([r for r in reports if r.name.endswith(".docx")], min(args.pdf, len(reports)))
        with tempfile.TemporaryDirectory(prefix="report-factory-") as tmp:
            reports += to_pdf(chosen, Path(tmp))
    if (args.borderless or args.xlsx_pdf) and shutil.which("soffice"):
        docx = [r for r in reports if r.name.endswith(".docx")]
        borderless = [build_report(r.unit, dataclasses.replace(r.variant, borderless=True), r.seed)
                      for r in rng.sample(docx, min(args.borderless, len(docx)))]
        books = [printable_workbook(dataclasses.replace(r, name=r.name.replace(".xlsx", "-printed.xlsx")))
                 for r in rng.sample([r for r in reports if r.name.endswith(".xlsx")], min(args.xlsx_pdf, args.xlsx))]
        with tempfile.TemporaryDirectory(prefix="report-factory-") as tmp:
            reports += to_pdf(borderless + books, Path(tmp))
    failures: Counter = Counter()
    by_switch: Counter = Counter()
    totals: Counter = Counter()
    examples: dict[str, list[str]] = {}
    failed = 0
    failed_by_format: Counter = Counter()
    for report in reports:
        fmt = report.name.rsplit(".", 1)[1]
        if fmt == "pdf" and (report.variant.borderless or report.truth["metadata"] is None):
            fmt = "pdf-lineless"    # a table drawn without lines: a Word table without borders, a workbook
        got = extract_bytes(report.data, report.name, campaign).to_json()
        told = extract_bytes(report.data, report.name, campaign, report.truth["unit"]).to_json() \
            if report.truth["unit"] else got
        problems = [p for p in differences(got, report.truth) if p.startswith(("unit", "error"))]
        problems += differences(told, report.truth, unit_told=True)
        totals[fmt] += 1
        for switch in report.variant.switches() or ["default"]:
            totals[switch] += 1
        if not problems:
            continue
        failed += 1
        failed_by_format[fmt] += 1
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / report.name).write_bytes(report.data)
        for switch in report.variant.switches() or ["default"]:
            by_switch[switch] += 1
        for problem in problems:
            kind = f"{fmt} {problem.split(':')[0].split(' (')[0]}"
            kind = re.sub(r" \(.*", "", kind)
            failures[kind] += 1
            examples.setdefault(kind, [])
            if len(examples[kind]) < args.show:
                examples[kind].append(f"{report.name}: {problem} [{', '.join(report.variant.switches())}]")
    print(f"documents: {len(reports)} ({dict((k, v) for k, v in totals.items() if k in ('docx', 'pdf', 'xlsx', 'pdf-lineless'))}),"
          f" failing: {failed} ({dict(failed_by_format)})")
    for kind, count in failures.most_common():
        print(f"  {count:5d}  {kind}")
        for example in examples[kind]:
            print(f"         {example[:400]}")
    print("failure rate by switch:")
    for switch, count in sorted(by_switch.items(), key=lambda kv: -kv[1] / totals[kv[0]]):
        print(f"  {count:4d}/{totals[switch]:<4d} {switch}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
