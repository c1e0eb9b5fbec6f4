"""Working days of the campaign: the Vietnamese public calendar plus the campaign file's overrides.

`holidays.VN` knows the public holidays and the government's announced swaps (in 2024 Monday 29/4
was a day off, paid back by working Saturday 4/5); its `is_working_day` already counts such a
Saturday as worked. Announcements newer than the installed package go in the campaign file
(`[calendar] extra_days_off / extra_working_days`), which wins over the package.

Dates here are calendar dates in the campaign's time zone (Asia/Ho_Chi_Minh); callers convert an
aware datetime with `.astimezone(campaign.tz).date()` first.
"""
from __future__ import annotations

import datetime as dt

import holidays

from .config import Campaign

_DAY = dt.timedelta(days=1)
# Far more than any real run of days off (Tết is nine days); a bound so that a calendar edited
# into "every day off" fails loudly instead of looping forever.
_MAX_DAYS_OFF_IN_A_ROW = 60


class WorkCalendar:
    """Which days are working days for the campaign."""

    def __init__(self, campaign: Campaign):
        years = range(campaign.start.year, campaign.deadline.year + 2)
        # `holidays` expands to further years on demand, so a date outside `years` still works.
        self._public = holidays.VN(years=years)
        self._extra_off = frozenset(campaign.extra_days_off)
        self._extra_worked = frozenset(campaign.extra_working_days)

    def is_working_day(self, day: dt.date) -> bool:
        """True on a working day. The campaign file wins over the package; a date listed both
        as off and as worked is worked, so that a mistaken day off never silences a reminder."""
        if day in self._extra_worked:
            return True
        if day in self._extra_off:
            return False
        return self._public.is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        """The package's name for a public holiday or swapped day off, else None."""
        return self._public.get(day)

    def on_or_after(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the next working day: where a dated
        event that falls on a day off moves to."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        return self._step(day, _DAY)

    def previous_working_day(self, day: dt.date) -> dt.date:
        """The last working day strictly before `day`."""
        return self._step(day, -_DAY)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n > 0) or before it (n < 0); `day` itself is not
        counted, whether or not it is a working day, so "3 working days before Friday 10/5/2024"
        is Tuesday 7/5 and "1 working day after Sunday 5/5" is Monday 6/5. n = 0 gives
        `on_or_after(day)`."""
        if n == 0:
            return self.on_or_after(day)
        step = self.next_working_day if n > 0 else self.previous_working_day
        for _ in range(abs(n)):
            day = step(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after `start` up to and including `end` (0 when end <= start):
        the days late of a report due on `start` and still missing on `end`."""
        count, day = 0, start
        while day < end:
            day += _DAY
            count += self.is_working_day(day)
        return count

    def _step(self, day: dt.date, delta: dt.timedelta) -> dt.date:
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            day += delta
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {_MAX_DAYS_OFF_IN_A_ROW} days of {day}: "
                         "check [calendar] in the campaign file")
