"""Vietnamese numbers as reports print them."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake_bot.reader.numbers import parse_number


@pytest.mark.parametrize("text, value", [
    ("1.234,5", 1234.5),
    ("53,68 ha", 53.68),
    ("92,5%", 92.5),
    ("85,3 %", 85.3),
    ("100%", 100.0),
    ("1 234,5", 1234.5),
    ("1\u00a0234,5", 1234.5),
    ("1\u202f234\u202f567", 1234567.0),
    ("1\u2009234,75", 1234.75),
    ("53.68", 53.68),
    ("0.125", 0.125),
    ("1.234", 1234.0),
    ("1.234.567", 1234567.0),
    ("1,234.5", 1234.5),
    ("1,234,567", 1234567.0),
    ("316,30", 316.3),
    ("1,234", 1.234),
    ("100", 100.0),
    ("0", 0.0),
    ("12,5 (ha)", 12.5),
    ("khoảng 30 ha", 30.0),
    ("-5,2", -5.2),
    ("  47,7  ", 47.7),
    (316.3, 316.3),
    (100, 100.0),
])
def test_numbers(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", [
    None, "", " ", "-", "–", "—", "x", "X", "...", "…", "Đang cập nhật", "chưa có", "Không có",
    "Đã GPMB 157,2 ha", "(ha)", "1.2.3", "1.234,5,6", "12,", "12.", "1.23.456", "abc 12", True,
])
def test_unknown_values(text):
    assert parse_number(text) is None


def vietnamese(value: float, decimals: int, thousands: str) -> str:
    """`value` written the Vietnamese way: thousands grouped by `thousands`, decimal comma."""
    text = f"{abs(value):,.{decimals}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    written = whole.replace(",", thousands) + ("," + fraction if fraction else "")
    return ("-" if value < 0 and float(text.replace(",", "")) else "") + written


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
       st.integers(min_value=0, max_value=3),
       st.sampled_from([".", " ", "\u00a0", "\u202f"]),
       st.sampled_from(["", "%", " %", " ha"]))
def test_vietnamese_round_trip(value, decimals, thousands, unit):
    text = vietnamese(value, decimals, thousands) + unit
    expected = round(value, decimals)
    parsed = parse_number(text)
    assert parsed is not None, text
    assert math.isclose(parsed, expected, rel_tol=1e-9, abs_tol=1e-9), text


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=99))
def test_plain_decimal_point_with_one_or_two_decimals(whole, fraction):
    text = f"{whole}.{fraction:02d}"
    assert parse_number(text) == pytest.approx(float(text))
