"""Appendix tables (PHỤ LỤC) -> one row per industrial zone (KCN) or cluster (CCN).

The appendix asked by the supervision plan has the columns STT · Tên KCN/CCN · Chủ đầu tư hạ tầng
· Diện tích (ha) · Diện tích đất cho thuê (ha) · Tỷ lệ lấp đầy (%), and rows grouped under part
rows ("A | Kết quả đầu tư Khu công nghiệp", "B | ... Cụm công nghiệp") and group rows
("I | Các KCN đã đi vào hoạt động", "II | ...", "III | ..."). Reports change the order of the
columns, add a "Ghi chú" column, put a header on two rows ("Diện tích (ha)" over "Tổng | Đất cho
thuê"), add a numbering row "(1) (2) (3)", a "Tổng cộng" row, "Không có" rows, template rows
left as dots. So:

- a table is an appendix table when one of its first rows (alone or with the row under it) names
  a name column and at least two of investor, area, leasable area, occupancy - columns are told by
  the meaning of their header words, not by their position; other tables of the report (indicator
  tables "TT | Chỉ tiêu | Mục tiêu | Kết quả") are not;
- the kind (KCN or CCN) of a row comes from, in order: the part row above it, the name's own
  prefix ("KCN Yên Mỹ"), the group row's words, the header words ("Tên CCN"), the title above the
  table, the kinds the unit's outline asks for;
- the group is the Roman numeral of the group row above (I, II, III), STT restarts in each group;
- a table that carries on from the previous page without its own header (a PDF page break)
  continues the previous appendix table.

The reader sees only `Content`, so DOCX tables, pdfplumber grids and XLSX sheets (the whole used
range, title rows above the header included) are read alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..reason import Reason
from ..text import collapse, fold
from ..vnformat import vn_number
from .model import Content, Paragraph, Table
from .numbers import parse_number
from .outline import roman_value

_HEADER_SEARCH_ROWS = 20
_NUMERIC_ROLES = ("area", "leasable", "occupancy")
_PART_LETTER = re.compile(r"^([A-H])(?:\s*[.):\-–]\s*|\s+|$)")
_ROMAN_LABEL = re.compile(r"^([IVX]{1,5})(?:\s*[.):\-–]\s*|\s+|$)")
_ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_STT = re.compile(r"^(\d{1,4})(?:[.,]0+)?\s*\.?$")
_TOTAL = re.compile(r"^(tong cong|tong so|tong|cong)\b")
_NONE_ROW = re.compile(r"^(khong co|khong)\b")
_PLACEHOLDER = re.compile(r"^[\s.…·\-–—_x*]*$", re.IGNORECASE)
_COLUMN_NUMBER = re.compile(r"^\(?\s*[0-9]{1,2}\s*\)?$|^\(?[a-z]\)?$", re.IGNORECASE)
_BULLETS = ("", "-", "+", "*", "•", "–")
# A short paragraph between two tables (a page number, a running header) does not break the table.
_PAGE_NOISE = 40
# The plan's three groups by their words (folded), for group rows printed without a numeral:
# "đang đầu tư xây dựng hạ tầng và chuẩn bị tiếp nhận dự án đầu tư" is II whatever its place,
# also when a group before it was left out.
_GROUP_WORDS = (("II", ("dau tu xay dung", "chuan bi tiep nhan", "dang xay dung")),
                ("III", ("qua trinh trien khai", "dang trien khai", "chua trien khai", "chuan bi dau tu")),
                ("I", ("di vao hoat dong", "dang hoat dong", "da hoat dong")))


def _role(label: str) -> str | None:
    """What a column holds, from its folded header words. Phrases are looked for with the spaces
    taken out, since a narrow PDF column breaks a word inside ("công nghiệ p", "ST T")."""
    if not label:
        return None
    words = label.split()
    squeezed = label.replace(" ", "")

    def has(*phrases: str) -> bool:
        return any(phrase.replace(" ", "") in squeezed for phrase in phrases)

    if squeezed in ("stt", "tt", "sott", "sothutu") or words[0] in ("stt", "tt") or squeezed.startswith("stt"):
        return "stt"
    if has("ghi chu"):
        return "note"
    if has("chu dau tu", "nha dau tu", "doanh nghiep"):
        return "investor"
    if has("da cho thue", "da thue") or has("dien tich") and has("lap day"):
        return "leased"     # an area already let, not the area to let nor a rate
    if has("lap day"):
        return "occupancy"
    if has("cho thue", "thuong pham", "dat cong nghiep"):
        return "leasable"
    if has("dien tich", "quy mo") or words[0] == "tong":
        return "area"
    if words[0] == "ten" or label in ("khu cong nghiep", "cum cong nghiep", "kcn", "ccn", "kcn ccn"):
        return "name"
    if words[:2] == ["ty", "le"]:
        return "occupancy"
    return None


def kind_named(text: str) -> str | None:
    """KCN or CCN when the text names exactly one of them ("Tên CCN", "Cụm công nghiệp"); None
    for both ("các khu, cụm công nghiệp", "Tên KCN/CCN") or neither."""
    folded = f" {fold(text)} "
    has_ccn = " cum cong nghiep " in folded or " ccn " in folded
    has_kcn = " khu cong nghiep " in folded or " kcn " in folded or " khu cum " in folded
    if has_ccn != has_kcn:
        return "CCN" if has_ccn else "KCN"
    return None


@dataclass
class _Columns:
    roles: dict[str, int]      # role -> column
    width: int
    kind: str | None           # from the header words

    def cell(self, row: list[str], role: str) -> str:
        column = self.roles.get(role)
        if column is None or column >= len(row):
            return ""
        return collapse(row[column] or "")


def _labels(rows: list[list[str]], top: int, depth: int, width: int) -> list[str]:
    labels = []
    for column in range(width):
        parts = [fold(rows[r][column] or "") for r in range(top, top + depth) if column < len(rows[r])]
        deduplicated = []
        for part in parts:
            if part and part not in deduplicated:
                deduplicated.append(part)
        labels.append(" ".join(deduplicated))
    return labels


def _columns_from(labels: list[str], width: int) -> _Columns | None:
    roles: dict[str, int] = {}
    for column, label in enumerate(labels):
        role = _role(label)
        if role and role not in roles:
            roles[role] = column
    if "name" not in roles or sum(r in roles for r in ("investor", *_NUMERIC_ROLES)) < 2:
        return None
    if "stt" not in roles and 0 not in roles.values():
        roles["stt"] = 0
    return _Columns(roles, width, kind_named(" ".join(labels)))


def find_header(rows: list[list[str]]) -> tuple[_Columns, int] | None:
    """The appendix header of a table: its columns and the index of the first row under it. A
    header may be one row, or two or three (a merged "Diện tích (ha)" over "Tổng | Đất cho thuê");
    the depth that tells the most columns wins, the shallower on a tie. A row with one text only
    is a title above the header (a workbook's merged "KẾT QUẢ ..." or "(Kèm theo ...)" row), never
    its first row."""
    width = max((len(r) for r in rows), default=0)
    for top in range(min(len(rows), _HEADER_SEARCH_ROWS)):
        if len({collapse(c or "") for c in rows[top]} - {""}) < 2:
            continue
        best = None
        for depth in (1, 2, 3):
            if top + depth > len(rows):
                break
            if depth > 1 and _data_like(rows[top + depth - 1]):
                break
            columns = _columns_from(_labels(rows, top, depth, width), width)
            if columns and (best is None or len(columns.roles) > len(best[0].roles)):
                best = (columns, top + depth)
        if best:
            return best
    return None


def _data_like(row: list[str]) -> bool:
    first = collapse(next((c for c in row if c and c.strip()), ""))
    roman = _ROMAN_LABEL.match(first)
    return bool(_STT.match(first) or _PART_LETTER.match(first) or roman and roman_value(roman.group(1)))


def _column_numbers(row: list[str]) -> bool:
    """The "(1) (2) (3) ..." row under a header."""
    cells = [collapse(c or "") for c in row if c and c.strip()]
    return len(cells) >= 3 and all(_COLUMN_NUMBER.match(c) for c in cells)


@dataclass
class _State:
    """Where we are in an appendix table: its columns, the current part and group."""

    columns: _Columns
    title_kind: str | None
    part_kind: str | None = None
    group: str | None = None
    group_kind: str | None = None
    groups_in_part: int = 0
    page: int | None = None

    def start_part(self, kind: str | None) -> None:
        self.part_kind, self.group, self.group_kind, self.groups_in_part = kind, None, None, 0


def _row_text(row: list[str]) -> str:
    """The distinct texts of a row: a merged row that a reader repeats in every cell counts once."""
    seen = []
    for cell in row:
        text = collapse(cell or "")
        if text and text not in seen:
            seen.append(text)
    return " ".join(seen)


def _unbroken(label: str) -> str:
    """An STT cell that a narrow PDF column broke over lines ("II I" for "III", "1 2" for "12")."""
    return label.replace(" ", "") if re.fullmatch(r"[IVX]+( [IVX]+)+\.?|\d+( \d+)+\.?", label) else label


def _has_numbers(row: list[str], columns: _Columns) -> bool:
    return any(parse_number(columns.cell(row, role)) is not None for role in _NUMERIC_ROLES)


def _group_named(text: str) -> str | None:
    """The group key a group row's words name ("Các CCN đã đi vào hoạt động" -> I), or None."""
    folded = f" {fold(text)} "
    return next((key for key, phrases in _GROUP_WORDS if any(f" {p} " in folded for p in phrases)), None)


def _structure_row(lead: str, text: str, has_numbers: bool, state: _State) -> bool:
    """A part row ("A | Khu công nghiệp") or a group row ("II | Các KCN đang đầu tư ..."), which
    sets the state; group rows may carry subtotals. Without a printed numeral, a row of words
    only that names a kind is a group when it reads "Các ..." (the group its words name, else
    numbered by its place in the part), else a part."""
    roman = _ROMAN_LABEL.match(lead)
    if roman and roman_value(roman.group(1)):
        state.group, state.group_kind = roman.group(1), kind_named(text)
        state.groups_in_part += 1
        return True
    letter = _PART_LETTER.match(lead)
    if letter:
        state.start_part(kind_named(text))
        return True
    if has_numbers or not kind_named(text):
        return False
    if fold(text).startswith("cac "):
        state.groups_in_part += 1
        state.group = _group_named(text) or _ROMANS[min(state.groups_in_part, len(_ROMANS)) - 1]
        state.group_kind = kind_named(text)
    else:
        state.start_part(kind_named(text))
    return True


def _read_row(row: list[str], state: _State, kinds_hint: tuple[str, ...]) -> dict | None:
    """One table row: a data row -> dict; part, group, total, "Không có", template and column
    numbering rows change the state or are skipped -> None."""
    columns = state.columns
    text = _row_text(row)
    if not text or _column_numbers(row):
        return None
    stt = _unbroken(columns.cell(row, "stt"))
    name = columns.cell(row, "name")
    numbered = _STT.match(stt)
    has_numbers = _has_numbers(row, columns)
    if not numbered:
        lead = stt or text
        if _TOTAL.match(fold(lead)) or _TOTAL.match(fold(name)):
            return None
        if _structure_row(lead, text, has_numbers, state):
            return None
        if stt not in _BULLETS or not has_numbers:
            return None
    if not name or _PLACEHOLDER.match(name) or _NONE_ROW.match(fold(name)):
        return None
    kind = (state.part_kind or kind_named(" ".join(name.split()[:3])) or state.group_kind
            or columns.kind or state.title_kind or (kinds_hint[0] if kinds_hint else None))
    investor = columns.cell(row, "investor")
    return {
        "kind": kind, "group": state.group, "stt": str(int(numbered.group(1))) if numbered else stt,
        "name": name, "investor": None if _PLACEHOLDER.match(investor) else investor,
        "area_ha": parse_number(columns.cell(row, "area")),
        "leasable_ha": parse_number(columns.cell(row, "leasable")),
        "occupancy_pct": parse_number(columns.cell(row, "occupancy")),
    }


def _title_kind(texts: list[str]) -> str | None:
    """The kind named by the nearest title above a table ("KẾT QUẢ ĐẦU TƯ CÁC CỤM CÔNG NGHIỆP")."""
    for text in reversed(texts):
        kind = kind_named(text)
        if kind:
            return kind
    return None


def _checks(row: dict) -> list[Reason]:
    kind, group = row["kind"] or "", row["group"] or "-"
    where = Reason(f"appendix, {kind} group {group} no. {row['stt']} «{row['name']}»",
                   f"Phụ lục, {kind} nhóm {group} STT {row['stt']} «{row['name']}»")
    warnings = []
    area, leasable, occupancy = row["area_ha"], row["leasable_ha"], row["occupancy_pct"]
    if area is not None and leasable is not None and leasable > area + 0.01:
        warnings.append(Reason(f"{where.en}: leasable area ({leasable:g} ha) above the area ({area:g} ha)",
                               f"{where.vi}: diện tích đất cho thuê ({vn_number(leasable)} ha) lớn hơn diện tích "
                               f"({vn_number(area)} ha)."))
    if occupancy is not None and not 0 <= occupancy <= 100:
        warnings.append(Reason(f"{where.en}: occupancy {occupancy:g}% outside 0-100%",
                               f"{where.vi}: tỷ lệ lấp đầy {vn_number(occupancy)}% nằm ngoài khoảng 0-100%."))
    for label, label_vi, value in (("area", "diện tích", area), ("leasable area", "diện tích đất cho thuê", leasable)):
        if value is not None and value < 0:
            warnings.append(Reason(f"{where.en}: negative {label} ({value:g} ha)",
                                   f"{where.vi}: {label_vi} âm ({vn_number(value)} ha)."))
    return warnings


def _paged_on(state: _State, table: Table) -> bool:
    """Whether `table` comes on a later page of a paged document (PDF) than the appendix table
    read last: only a page break splits one table in two."""
    return state.page is not None and table.page is not None and table.page > state.page


def read_appendix(content: Content, kinds_hint: tuple[str, ...] | list[str] = ()) -> tuple[list[dict], list[Reason]]:
    """Every appendix data row of the document, flattened, and warnings where numbers do not add
    up (leasable area above the area, occupancy outside 0-100 %), each naming its row."""
    kinds_hint = tuple(kinds_hint)
    rows: list[dict] = []
    warnings: list[Reason] = []
    recent_text: list[str] = []     # paragraphs since the last table, for the table's title
    state: _State | None = None     # the appendix table that a page break may continue
    for block in content.blocks:
        if isinstance(block, Paragraph):
            text = collapse(block.text or "")
            if text:
                recent_text.append(text)
                if len(text) > _PAGE_NOISE:
                    state = None
            continue
        grid = [[c if c is not None else "" for c in row] for row in block.rows]
        header = find_header(grid)
        if header is not None:
            columns, first = header
            above = recent_text[-4:] + [_row_text(r) for r in grid[:first]]
            title_kind = _title_kind(above)
            if state is not None and _paged_on(state, block) and state.columns.roles == columns.roles:
                state.columns = columns
            else:
                state = _State(columns, title_kind)
        elif state is not None and _paged_on(state, block) and len(grid[0] if grid else []) == state.columns.width:
            first = 0
        else:
            state = None
            recent_text = []
            continue
        recent_text = []
        state.page = block.page
        for row in grid[first:]:
            record = _read_row(row, state, kinds_hint)
            if record is not None:
                rows.append(record)
                warnings.extend(_checks(record))
    return rows, warnings
