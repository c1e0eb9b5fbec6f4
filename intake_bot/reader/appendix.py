"""Appendix tables (PHỤ LỤC) -> one row per line of the table (an industrial zone, a school...).

What the tables hold is the campaign's appendix schema (`schema.py`, the campaign file's
`[appendix]`): its kinds, its columns with their header words and value types, its group and
total words. The 2024 plan asks for STT · Tên KCN/CCN · Chủ đầu tư hạ tầng · Diện tích (ha) ·
Diện tích đất cho thuê (ha) · Tỷ lệ lấp đầy (%), with rows grouped under part rows ("A | Kết quả
đầu tư Khu công nghiệp", "B | ... Cụm công nghiệp") and group rows ("I | Các KCN đã đi vào hoạt
động", "II | ...", "III | ..."). Reports change the order of the columns, add a "Ghi chú" column,
put a header on two rows ("Diện tích (ha)" over "Tổng | Đất cho thuê"), add a numbering row
"(1) (2) (3)", a "Tổng cộng" row, "Không có" rows, template rows left as dots. So:

- a table is an appendix table when one of its first rows (alone or with the row under it) names
  the row-name column and at least two other columns of the schema - columns are told by the
  meaning of their header words, not by their position; other tables of the report (indicator
  tables "TT | Chỉ tiêu | Mục tiêu | Kết quả") are not;
- the kind of a row comes from, in order: the part row above it, the name's own prefix ("KCN Yên
  Mỹ"), the group row's words, the header words ("Tên CCN"), the title above the table, the kinds
  the unit's outline asks for, the schema's only kind;
- the group is the Roman numeral of the group row above (I, II, III), or the group its words name,
  STT restarts in each group;
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
from .model import Content, Paragraph, Table
from .numbers import parse_number
from .outline import roman_value
from .schema import HEADER_MIN_COLUMNS, AppendixSchema

_HEADER_SEARCH_ROWS = 20
_PART_LETTER = re.compile(r"^([A-H])(?:\s*[.):\-–]\s*|\s+|$)")
_ROMAN_LABEL = re.compile(r"^([IVX]{1,5})(?:\s*[.):\-–]\s*|\s+|$)")
_ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_STT = re.compile(r"^(\d{1,4})(?:[.,]0+)?\s*\.?$")
_NONE_ROW = re.compile(r"^(khong co|khong)\b")
_PLACEHOLDER = re.compile(r"^[\s.…·\-–—_x*]*$", re.IGNORECASE)
_COLUMN_NUMBER = re.compile(r"^\(?\s*[0-9]{1,2}\s*\)?$|^\(?[a-z]\)?$", re.IGNORECASE)
_BULLETS = ("", "-", "+", "*", "•", "–")
# A short paragraph between two tables (a page number, a running header) does not break the table.
_PAGE_NOISE = 40


def _is_stt(label: str) -> bool:
    """The row-number column every administrative table has ("STT", "TT", "Số thứ tự"; "ST T"
    broken by a narrow PDF column)."""
    squeezed = label.replace(" ", "")
    return (squeezed in ("stt", "tt", "sott", "sothutu") or label.split()[0] in ("stt", "tt")
            or squeezed.startswith("stt"))


@dataclass
class _Columns:
    roles: dict[str, int]      # "stt" or a schema column's key -> column
    width: int
    kind: str | None           # from the header words
    schema: AppendixSchema

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


def _columns_from(labels: list[str], width: int, schema: AppendixSchema) -> _Columns | None:
    roles: dict[str, int] = {}
    for column, label in enumerate(labels):
        if not label:
            continue
        found = schema.column_of(label)
        role = "stt" if _is_stt(label) else found.key if found else None
        if role and role not in roles:
            roles[role] = column
    others = [c for c in schema.read_columns if c.key != schema.row_name and c.key in roles]
    if schema.row_name not in roles or len(others) < HEADER_MIN_COLUMNS:
        return None
    if "stt" not in roles and 0 not in roles.values():
        roles["stt"] = 0
    return _Columns(roles, width, schema.kind_named(" ".join(labels)), schema)


def find_header(rows: list[list[str]], schema: AppendixSchema) -> tuple[_Columns, int] | None:
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
            columns = _columns_from(_labels(rows, top, depth, width), width, schema)
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
    return any(parse_number(columns.cell(row, c.key)) is not None
               for c in columns.schema.read_columns if c.numeric)


def _structure_row(lead: str, text: str, has_numbers: bool, state: _State) -> bool:
    """A part row ("A | Khu công nghiệp") or a group row ("II | Các KCN đang đầu tư ..."), which
    sets the state; group rows may carry subtotals. Without a printed numeral, a row of words
    only that names a kind is a group when it reads "Các ..." (the group its words name, else
    numbered by its place in the part), else a part."""
    kind_named = state.columns.schema.kind_named
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
        state.group = state.columns.schema.group_named(text) or _ROMANS[min(state.groups_in_part, len(_ROMANS)) - 1]
        state.group_kind = kind_named(text)
    else:
        state.start_part(kind_named(text))
    return True


def _read_row(row: list[str], state: _State, kinds_hint: tuple[str, ...]) -> dict | None:
    """One table row: a data row -> dict; part, group, total, "Không có", template and column
    numbering rows change the state or are skipped -> None."""
    columns = state.columns
    schema = columns.schema
    text = _row_text(row)
    if not text or _column_numbers(row):
        return None
    stt = _unbroken(columns.cell(row, "stt"))
    name = columns.cell(row, schema.row_name)
    numbered = _STT.match(stt)
    has_numbers = _has_numbers(row, columns)
    if not numbered:
        lead = stt or text
        if schema.is_total(lead) or schema.is_total(name):
            return None
        if _structure_row(lead, text, has_numbers, state):
            return None
        if stt not in _BULLETS or not has_numbers:
            return None
    if not name or _PLACEHOLDER.match(name) or _NONE_ROW.match(fold(name)):
        return None
    kind = (state.part_kind or schema.kind_named(" ".join(name.split()[:3])) or state.group_kind
            or columns.kind or state.title_kind or (kinds_hint[0] if kinds_hint else None)
            or schema.single_kind())
    record = {"kind": kind, "group": state.group, "stt": str(int(numbered.group(1))) if numbered else stt}
    for column in schema.read_columns:
        cell = name if column.key == schema.row_name else columns.cell(row, column.key)
        record[column.key] = None if column.type == "text" and _PLACEHOLDER.match(cell) else column.value(cell)
    return record


def _title_kind(texts: list[str], schema: AppendixSchema) -> str | None:
    """The kind named by the nearest title above a table ("KẾT QUẢ ĐẦU TƯ CÁC CỤM CÔNG NGHIỆP")."""
    for text in reversed(texts):
        kind = schema.kind_named(text)
        if kind:
            return kind
    return None


def _checks(row: dict, schema: AppendixSchema) -> list[Reason]:
    """Values that cannot be: above the column they may not exceed, a percentage outside 0-100,
    a negative area, count or sum of money."""
    kind, group, name = row["kind"] or "", row["group"] or "-", row[schema.row_name]
    where = Reason(f"appendix, {kind} group {group} no. {row['stt']} «{name}»",
                   f"Phụ lục, {kind} nhóm {group} STT {row['stt']} «{name}»")
    warnings = []
    numeric = [c for c in schema.read_columns if c.numeric]
    for column in numeric:
        bound = schema.column(column.at_most) if column.at_most else None
        value, limit = row.get(column.key), row.get(bound.key) if bound else None
        if value is not None and limit is not None and value > limit + 0.01:
            warnings.append(Reason(
                f"{where.en}: {column.label_en} ({column.shown_en(value)}) above the {bound.label_en} "
                f"({bound.shown_en(limit)})",
                f"{where.vi}: {column.label} ({column.shown(value)}) lớn hơn {bound.label} ({bound.shown(limit)})."))
    for column in numeric:
        value = row.get(column.key)
        if column.type == "percent" and value is not None and not 0 <= value <= 100:
            warnings.append(Reason(f"{where.en}: {column.label_en} {column.shown_en(value)} outside 0-100%",
                                   f"{where.vi}: {column.label} {column.shown(value)} nằm ngoài khoảng 0-100%."))
    for column in numeric:
        value = row.get(column.key)
        if column.type in ("area", "count", "money") and value is not None and value < 0:
            warnings.append(Reason(f"{where.en}: negative {column.label_en} ({column.shown_en(value)})",
                                   f"{where.vi}: {column.label} âm ({column.shown(value)})."))
    return warnings
    return warnings


def _paged_on(state: _State, table: Table) -> bool:
    """Whether `table` comes on a later page of a paged document (PDF) than the appendix table
    read last: only a page break splits one table in two."""
    return state.page is not None and table.page is not None and table.page > state.page


def read_appendix(content: Content, schema: AppendixSchema,
                  kinds_hint: tuple[str, ...] | list[str] = ()) -> tuple[list[dict], list[Reason]]:
    """Every appendix data row of the document, flattened, and warnings where numbers do not add
    up (a leasable area above the area, an occupancy outside 0-100 %), each naming its row. A
    schema without columns reads no table."""
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
        header = find_header(grid, schema) if schema.columns else None
        if header is not None:
            columns, first = header
            above = recent_text[-4:] + [_row_text(r) for r in grid[:first]]
            title_kind = _title_kind(above, schema)
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
                warnings.extend(_checks(record, schema))
    return rows, warnings
