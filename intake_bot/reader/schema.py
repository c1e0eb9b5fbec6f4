"""The appendix schema of a campaign: what its tables (PHỤ LỤC) hold, as data.

The campaign file's `[appendix]` section says which kinds of table the plan asks for (KCN, CCN;
schools; land files...), the words that name each kind, the columns with the words of their
header and the type of their values, the group rows' words and the total rows' words - the way
pdfplumber keeps its table settings in one settings object. The appendix reader, the workbook, the
digest and the outline check read everything campaign-specific from here; only the conventions
every administrative table shares stay in code (the STT column, part letters A/B, Roman group
numerals, "Không có" rows, template dots).

Words are compared folded (no diacritics, no case, punctuation as spaces). A column's `words` are
looked for inside its header with the spaces taken out (a narrow PDF column breaks a word:
"công nghiệ p"); "a + b" means both. `starts` are the words a header may open with, `exact` the
whole headers that name the column. When a header holds words of several columns, the first in
`match_order` wins ("Diện tích đất cho thuê" is the leasable area, not the area).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from ..text import collapse, fold
from ..vnformat import parse_vn_date, vn_number
from .numbers import parse_number

VALUE_TYPES = ("text", "number", "area", "percent", "money", "count", "date")
NUMERIC_TYPES = ("number", "area", "percent", "money", "count")
# How a value of each type is written in a warning.
_UNIT_SHOWN = {"area": " ha", "percent": "%", "money": " đồng", "count": "", "number": ""}
# A header names the appendix when it names the row and at least this many other read columns.
HEADER_MIN_COLUMNS = 2


def _squeezed(phrase: str) -> str:
    return fold(phrase).replace(" ", "")


@dataclass(frozen=True)
class Column:
    key: str                            # the key of the value in a row (the extract JSON)
    title: str                          # the workbook's column header
    type: str = "text"
    label: str = ""                     # the column's name inside a warning (Vietnamese)
    label_en: str = ""                  # ... and in the operator's English
    words: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    read: bool = True                   # False: recognised only so its words name no other column
    at_most: str | None = None          # the key of a column this value may not exceed

    def contains(self, squeezed: str) -> bool:
        return any(all(_squeezed(part) in squeezed for part in phrase.split(" + ")) for phrase in self.words)

    def opens(self, label: str) -> bool:
        words = label.split()
        return (label in {fold(e) for e in self.exact}
                or any(words[:len(fold(s).split())] == fold(s).split() for s in self.starts))

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    def value(self, cell: str):
        """The cell's value by the column's type; None for an unknown or empty value."""
        if self.type == "text":
            return cell or None
        if self.type == "date":
            day = parse_vn_date(cell)
            return day.isoformat() if day else None
        number = parse_number(cell)
        if self.type == "count" and number is not None and number == int(number):
            return int(number)
        return number

    def shown(self, value) -> str:
        """A value in a Vietnamese warning: "1.234,5 ha"."""
        return f"{vn_number(value)}{_UNIT_SHOWN.get(self.type, '')}"

    def shown_en(self, value) -> str:
        return f"{value:g}{_UNIT_SHOWN.get(self.type, '')}"


@dataclass(frozen=True)
class Kind:
    key: str                            # "KCN", "CCN", "TRUONG"
    title: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    key: str                            # "I", "II", "III"
    words: tuple[str, ...]


@dataclass(frozen=True)
class AppendixSchema:
    item: str = "PL"                    # the outline item the appendix answers
    row_name: str = "name"              # the column that names a row
    kinds: tuple[Kind, ...] = ()
    columns: tuple[Column, ...] = ()
    match_order: tuple[str, ...] = ()
    groups: tuple[Group, ...] = ()
    total_words: tuple[str, ...] = ()
    _folded_kinds: tuple = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_folded_kinds", tuple(
            (kind.key, tuple(f" {fold(w)} " for w in kind.words if fold(w))) for kind in self.kinds))

    @property
    def read_columns(self) -> tuple[Column, ...]:
        """The columns whose values a row carries, in the file's order."""
        return tuple(c for c in self.columns if c.read)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def kind_keys(self) -> tuple[str, ...]:
        return tuple(kind.key for kind in self.kinds)

    def kind_title(self, key: str | None) -> str:
        return next((kind.title for kind in self.kinds if kind.key == key), key or "")

    def name_words(self) -> tuple[str, ...]:
        """The folded words that open a row's name ("KCN", "cụm công nghiệp"): what follows them
        names a zone or a school, never a reporting unit."""
        return tuple(fold(w) for kind in self.kinds for w in kind.words if fold(w))

    def column_of(self, label: str) -> Column | None:
        """The column a folded header label names: by the words it contains, then by its first
        words or its whole text, each in `match_order`."""
        if not label:
            return None
        ordered = [self.column(key) for key in self.match_order] or list(self.columns)
        squeezed = label.replace(" ", "")
        return (next((c for c in ordered if c and c.contains(squeezed)), None)
                or next((c for c in ordered if c and c.opens(label)), None))

    def kind_named(self, text: str) -> str | None:
        """The kind a text names when it names exactly one ("Tên CCN", "Cụm công nghiệp"); None
        for several ("các khu, cụm công nghiệp", "Tên KCN/CCN") or none."""
        folded = f" {fold(text)} "
        named = [key for key, words in self._folded_kinds if any(w in folded for w in words)]
        return named[0] if len(named) == 1 else None

    def group_named(self, text: str) -> str | None:
        """The group a group row's words name ("Các CCN đã đi vào hoạt động" -> I): the group whose
        words found are the longest, so that a wording that holds a shorter one still counts."""
        folded = f" {fold(text)} "
        best, best_length = None, 0
        for group in self.groups:
            for words in group.words:
                phrase = fold(words)
                if phrase and f" {phrase} " in folded and len(phrase) > best_length:
                    best, best_length = group.key, len(phrase)
        return best

    def is_total(self, text: str) -> bool:
        """A total row ("Tổng cộng", "Cộng"), read by its first words."""
        words = fold(text).split()
        return any(words[:len(fold(w).split())] == fold(w).split() for w in self.total_words if fold(w))

    def single_kind(self) -> str | None:
        return self.kinds[0].key if len(self.kinds) == 1 else None


# ------------------------------------------------------------------ from the campaign file

APPENDIX_KEYS = ("item", "row_name", "match_order", "total_words", "kinds", "groups", "columns")
KIND_KEYS = ("title", "words")
GROUP_KEYS = ("key", "words")
COLUMN_KEYS = ("key", "title", "type", "label", "label_en", "words", "starts", "exact", "read", "at_most")

def _strings(raw: dict, name: str, where: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"[{where}.{name}]: expected a list of texts")
        return ()
    return tuple(collapse(v) for v in value if collapse(v))


def _column(raw, n: int, problems: list[str], check_keys: KeyCheck) -> Column | None:
    where = f"appendix.columns][{n}"
    if not isinstance(raw, dict) or not raw.get("key") or not isinstance(raw.get("key"), str):
        problems.append(f"[[appendix.columns]][{n}]: needs a key")
        return None
    check_keys(raw, COLUMN_KEYS, f"[[appendix.columns]][{n}] ({raw['key']})")
    kind = raw.get("type", "text")
    if kind not in VALUE_TYPES:
        problems.append(f"[[appendix.columns]][{n}] ({raw['key']}): type {kind!r} is not one of {', '.join(VALUE_TYPES)}")
        return None
    words = _strings(raw, "words", where, problems)
    starts = _strings(raw, "starts", where, problems)
    exact = _strings(raw, "exact", where, problems)
    if not (words or starts or exact):
        problems.append(f"[[appendix.columns]][{n}] ({raw['key']}): needs words, starts or exact to be found by")
    return Column(key=raw["key"], title=str(raw.get("title") or raw["key"]), type=kind,
                  label=str(raw.get("label") or raw.get("title") or raw["key"]).lower(),
                  label_en=str(raw.get("label_en") or raw["key"].replace("_", " ")),
                  words=words, starts=starts, exact=exact, read=bool(raw.get("read", True)),
                  at_most=raw.get("at_most") or None)


# The campaign file's check of a table's keys: (table, allowed keys, where) -> a problem per
# unknown key, with the closest allowed name.
KeyCheck = Callable[[dict, tuple, str], None]


def schema_from(raw: dict | None, problems: list[str], check_keys: KeyCheck) -> AppendixSchema:
    """The `[appendix]` section as a schema; every problem appended to `problems`. No section:
    a campaign without appendix tables."""
    if raw is None:
        return AppendixSchema()
    check_keys(raw, APPENDIX_KEYS, "[appendix]")
    kinds = []
    for key, body in (raw.get("kinds") or {}).items():
        if not isinstance(body, dict):
            problems.append(f"[appendix.kinds.{key}]: expected a table")
            continue
        check_keys(body, KIND_KEYS, f"[appendix.kinds.{key}]")
        words = _strings(body, "words", f"appendix.kinds.{key}", problems)
        kinds.append(Kind(key, str(body.get("title") or key), words or (key,)))
    columns = [c for n, raw_column in enumerate(raw.get("columns") or [])
               if (c := _column(raw_column, n, problems, check_keys))]
    keys = [c.key for c in columns]
    for key in {k for k in keys if keys.count(k) > 1}:
        problems.append(f"[[appendix.columns]]: key {key!r} is used twice")
    row_name = str(raw.get("row_name", "name"))
    if columns and row_name not in keys:
        problems.append(f"[appendix.row_name]: {row_name!r} is not the key of a column")
    match_order = _strings(raw, "match_order", "appendix", problems)
    for key in match_order:
        if key not in keys:
            problems.append(f"[appendix.match_order]: {key!r} is not the key of a column")
    if match_order and set(match_order) != set(keys):
        missing = [k for k in keys if k not in match_order]
        if missing:
            problems.append(f"[appendix.match_order]: leaves out {', '.join(missing)}")
    for column in columns:
        if column.at_most and column.at_most not in keys:
            problems.append(f"[[appendix.columns]] ({column.key}): at_most {column.at_most!r} is not the key of a column")
    groups = []
    for n, body in enumerate(raw.get("groups") or []):
        if not isinstance(body, dict) or not body.get("key"):
            problems.append(f"[[appendix.groups]][{n}]: needs a key")
            continue
        check_keys(body, GROUP_KEYS, f"[[appendix.groups]][{n}]")
        groups.append(Group(str(body["key"]), _strings(body, "words", f"appendix.groups][{n}", problems)))
    return AppendixSchema(item=str(raw.get("item", "PL")), row_name=row_name, kinds=tuple(kinds),
                          columns=tuple(columns), match_order=match_order, groups=tuple(groups),
                          total_words=_strings(raw, "total_words", "appendix", problems))


def sample_row(schema: AppendixSchema) -> dict:
    """A made-up row with a value in every column: what `check` renders the digest with."""
    samples = {"text": "Mẫu", "number": 12.5, "area": 1234.5, "percent": 85.3, "money": 1500000.0,
               "count": 12, "date": dt.date(2024, 5, 10).isoformat()}
    row = {"kind": schema.kinds[0].key if schema.kinds else None, "group": "I", "stt": "1"}
    row.update({c.key: samples[c.type] for c in schema.read_columns})
    return row
