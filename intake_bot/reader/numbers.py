"""Numbers as Vietnamese reports print them: "1.234,5" ha, "92,5%", "1 234,5", "-".

Rules, in the order `parse_number` applies them:

1. Unknown values give None: an empty cell, a dash ("-", "–", "—"), a placeholder ("x", "...")
   or words ("Đang cập nhật", "chưa có"). Anything that is not a number once its unit is taken
   off is unknown: a cell such as "Đã GPMB 157,2 ha" is a remark, not an area.
2. A trailing unit is dropped: "%", "ha", "(ha)", "m2"; so is a leading "~" or "khoảng".
3. Spaces, non-breaking and thin spaces between groups of three digits are thousands separators:
   "1 234,5" is 1234.5. Any other space between digits and marks is where a narrow column of a
   PDF wrapped the number: "1.075 ,8" is 1075.8, "699,2 7" is 699.27.
4. With both "." and ",", the one written last is the decimal mark: "1.234,5" (Vietnamese) and
   "1,234.5" (English) are both 1234.5.
5. A single "," is the decimal mark (Vietnamese): "316,30" is 316.3, "1,234" is 1.234. Several
   commas are thousands separators ("1,234,567").
6. A single "." followed by exactly three digits, after one to three digits that do not start with
   0, is a thousands separator (Vietnamese): "1.234" is 1234. Any other single "." is a decimal
   mark, as spreadsheets and English-language tools write it: "53.68" is 53.68, "0.125" is 0.125.
   Several dots are thousands separators ("1.234.567").
"""
from __future__ import annotations

import re

from ..text import collapse

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Unit words that may follow a number in a cell; compared folded (no diacritics, lower case).
_UNIT_SUFFIX = re.compile(r"\s*(?:%|\(?\s*ha\s*\)?|\(?\s*m2\s*\)?|\(?\s*m²\s*\)?)\s*$", re.IGNORECASE)
_APPROX_PREFIX = re.compile(r"^\s*(?:~|≈|khoảng|khoang)\s*", re.IGNORECASE)
_SPACES = "\u0020\u00a0\u2009\u202f\u2007"
_SPACE_GROUPED = re.compile(rf"^\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?$")
_WRAPPED = re.compile(rf"^\d[\d.,]*(?:[{_SPACES}][\d.,]+){{1,2}}$")
_NUMBER = re.compile(r"^\d[\d.,]*$")
_NUMBER_AS_PRINTED = re.compile(r"^[-+]?\d[\d.,]*\s*%?$")


def is_number_text(text: str) -> bool:
    """Whether a cell's text is a number alone ("1.234,5", "92,5%"), as a layout sees it."""
    return bool(_NUMBER_AS_PRINTED.match(text))


def parse_number(text) -> float | None:
    """The value of a number cell, or None when the cell holds no number (see the module rules)."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    body = _APPROX_PREFIX.sub("", collapse(str(text)))
    previous = None
    while previous != body:
        previous = body
        body = _UNIT_SUFFIX.sub("", body).strip()
    sign = 1.0
    if body[:1] and body[0] in _DASHES + "+":
        sign = -1.0 if body[0] != "+" else 1.0
        body = body[1:].strip()
    if _SPACE_GROUPED.match(body) or _WRAPPED.match(body):
        body = re.sub(f"[{_SPACES}]", "", body)
    if not _NUMBER.match(body) or body.endswith((".", ",")):
        return None
    value = _plain_value(body)
    return None if value is None else sign * value


def _plain_value(body: str) -> float | None:
    """A digit string with "." and "," marks -> its value (rules 4-6), None if malformed."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        if body.count(decimal) > 1:
            return None
        whole, fraction = body.split(decimal)
        if not _grouped(whole, thousands):
            return None
        return float(whole.replace(thousands, "") + "." + fraction)
    if commas:
        if commas == 1:
            return float(body.replace(",", "."))
        return float(body.replace(",", "")) if _grouped(body, ",") else None
    if dots:
        if dots == 1:
            whole, fraction = body.split(".")
            if len(fraction) == 3 and 1 <= len(whole) <= 3 and not whole.startswith("0"):
                return float(whole + fraction)
            return float(body)
        return float(body.replace(".", "")) if _grouped(body, ".") else None
    return float(body)


def _grouped(whole: str, separator: str) -> bool:
    """Whether `whole` is digits in groups of three after the first: "1.234.567"."""
    groups = whole.split(separator)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])

