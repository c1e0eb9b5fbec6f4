"""Dates and numbers the way Vietnamese administrative text writes them."""
from __future__ import annotations

import datetime as dt
import re

from .text import fold


def vn_date(value: dt.date | dt.datetime) -> str:
    """2024-05-10 -> "ngày 10 tháng 5 năm 2024" (no leading zeros, as in the plan's own text)."""
    return f"ngày {value.day} tháng {value.month} năm {value.year}"


def vn_short_date(value: dt.date | dt.datetime) -> str:
    """2024-05-10 -> "10/5/2024"."""
    return f"{value.day}/{value.month}/{value.year}"


def vn_datetime(value: dt.datetime) -> str:
    """-> "09 giờ 15, ngày 8 tháng 5 năm 2024"."""
    return f"{value.hour:02d} giờ {value.minute:02d}, {vn_date(value)}"


def vn_number(value: float | int | None, decimals: int = 2) -> str:
    """1234.5 -> "1.234,5": dot for thousands, comma for decimals, trailing zeros dropped;
    None -> "-"."""
    if value is None:
        return "-"
    text = f"{abs(value):,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{abs(value):,.0f}"
    whole, _, frac = text.partition(".")
    whole = whole.replace(",", ".")
    sign = "-" if value < 0 and text.strip("0.,") else ""
    return f"{sign}{whole},{frac}" if frac else f"{sign}{whole}"


_DATE_IN_WORDS = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_DATE_IN_FIGURES = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")


def parse_vn_date(text: str | None) -> dt.date | None:
    """The first date written "ngày 10 tháng 5 năm 2024", "10/5/2024", "10-5-2024" or "10.5.2024"
    in `text` (diacritics and case aside); None when there is none or it is not a real day."""
    for pattern, haystack in ((_DATE_IN_WORDS, fold(text or "")), (_DATE_IN_FIGURES, text or "")):
        for match in pattern.finditer(haystack):
            day, month, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
    return None
