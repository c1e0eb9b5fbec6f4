"""The campaign's working days: the 2024 Reunification/Labour Day swap and the file's overrides."""
import dataclasses
import datetime as dt

import pytest

from intake_bot.workdays import WorkCalendar

D = dt.date


@pytest.fixture(scope="module")
def calendar(campaign):
    return WorkCalendar(campaign)


@pytest.mark.parametrize("day, working", [
    (D(2024, 4, 26), True),    # Friday before the break
    (D(2024, 4, 27), False),   # Saturday
    (D(2024, 4, 28), False),   # Sunday
    (D(2024, 4, 29), False),   # Monday, swapped off
    (D(2024, 4, 30), False),   # Reunification Day
    (D(2024, 5, 1), False),    # Labour Day
    (D(2024, 5, 2), True),
    (D(2024, 5, 4), True),     # Saturday worked in exchange for 29/4
    (D(2024, 5, 5), False),    # Sunday
    (D(2024, 5, 10), True),    # the deadline, a Friday
    (D(2024, 5, 11), False),
])
def test_2024_calendar(calendar, day, working):
    assert calendar.is_working_day(day) is working


def test_the_swapped_day_has_its_name(calendar):
    assert "05/04/2024" in calendar.holiday_name(D(2024, 4, 29))
    assert calendar.holiday_name(D(2024, 5, 6)) is None


def test_counting_back_from_the_deadline(calendar):
    deadline = D(2024, 5, 10)
    assert calendar.add_working_days(deadline, -1) == D(2024, 5, 9)
    assert calendar.add_working_days(deadline, -3) == D(2024, 5, 7)
    # The worked Saturday counts, the Sunday and the break do not.
    assert calendar.add_working_days(deadline, -5) == D(2024, 5, 4)
    assert calendar.add_working_days(deadline, -7) == D(2024, 5, 2)
    assert calendar.add_working_days(deadline, -8) == D(2024, 4, 26)


def test_counting_forward_over_days_off(calendar):
    assert calendar.add_working_days(D(2024, 5, 10), 2) == D(2024, 5, 14)
    assert calendar.add_working_days(D(2024, 4, 26), 1) == D(2024, 5, 2)
    assert calendar.add_working_days(D(2024, 5, 3), 1) == D(2024, 5, 4)
    assert calendar.add_working_days(D(2024, 5, 4), 1) == D(2024, 5, 6)
    # From a day off, the first working day is one step.
    assert calendar.add_working_days(D(2024, 5, 5), 1) == D(2024, 5, 6)
    assert calendar.add_working_days(D(2024, 5, 5), -1) == D(2024, 5, 4)


def test_next_and_on_or_after(calendar):
    assert calendar.next_working_day(D(2024, 4, 26)) == D(2024, 5, 2)
    assert calendar.next_working_day(D(2024, 5, 2)) == D(2024, 5, 3)
    assert calendar.on_or_after(D(2024, 5, 2)) == D(2024, 5, 2)
    assert calendar.on_or_after(D(2024, 4, 27)) == D(2024, 5, 2)
    assert calendar.add_working_days(D(2024, 4, 27), 0) == D(2024, 5, 2)


def test_working_days_between(calendar):
    assert calendar.working_days_between(D(2024, 5, 10), D(2024, 5, 10)) == 0
    assert calendar.working_days_between(D(2024, 5, 10), D(2024, 5, 9)) == 0
    assert calendar.working_days_between(D(2024, 5, 10), D(2024, 5, 13)) == 1
    assert calendar.working_days_between(D(2024, 4, 26), D(2024, 5, 6)) == 4  # 2, 3, 4, 6 May


def test_campaign_file_overrides_the_package(campaign):
    # A newer announcement: Monday 13/5 off, paid back by working Saturday 18/5.
    amended = dataclasses.replace(campaign, extra_days_off=(D(2024, 5, 13),),
                                  extra_working_days=(D(2024, 5, 18),))
    calendar = WorkCalendar(amended)
    assert not calendar.is_working_day(D(2024, 5, 13))
    assert calendar.is_working_day(D(2024, 5, 18))
    assert calendar.next_working_day(D(2024, 5, 10)) == D(2024, 5, 14)
    assert calendar.add_working_days(D(2024, 5, 17), 1) == D(2024, 5, 18)
    # A day listed both off and worked: worked.
    both = WorkCalendar(dataclasses.replace(campaign, extra_days_off=(D(2024, 5, 20),),
                                            extra_working_days=(D(2024, 5, 20),)))
    assert both.is_working_day(D(2024, 5, 20))


def test_a_calendar_with_no_working_day_fails_loudly(campaign):
    every_day = tuple(D(2024, 5, 11) + dt.timedelta(days=n) for n in range(400))
    calendar = WorkCalendar(dataclasses.replace(campaign, extra_days_off=every_day))
    with pytest.raises(ValueError, match="calendar"):
        calendar.next_working_day(D(2024, 5, 10))


def test_years_beyond_the_campaign_still_known(calendar):
    assert not calendar.is_working_day(D(2026, 1, 1))
    assert calendar.is_working_day(D(2026, 1, 5))
