import datetime as dt

from hypothesis import given, strategies as st

from intake_bot.vnformat import vn_date, vn_number


def test_dates_as_the_plan_writes_them():
    assert vn_date(dt.date(2024, 5, 10)) == "ngày 10 tháng 5 năm 2024"
    assert vn_date(dt.datetime(2024, 5, 8, 9, 0)) == "ngày 8 tháng 5 năm 2024"


def test_numbers_the_vietnamese_way():
    assert vn_number(1234.5) == "1.234,5"
    assert vn_number(53.68) == "53,68"
    assert vn_number(100.0) == "100"
    assert vn_number(1234567.891) == "1.234.567,89"
    assert vn_number(-2.5) == "-2,5"
    assert vn_number(None) == "-"


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_numbers_read_back(value):
    text = vn_number(float(value))
    assert float(text.replace(".", "").replace(",", ".")) == float(value)
