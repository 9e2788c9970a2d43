"""Recurrence of blackout and maintenance windows across daylight-saving changes in two hemispheres
(PRODUCT §2.5): occurrences keep their wall-clock hours in the window's timezone; UTC moves."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from cbcw.windows.checks import check, inside_any
from cbcw.windows.models import ScheduleWindow
from cbcw.windows.recurrence import describe, occurrences

UTC = timezone.utc


def window(**fields) -> ScheduleWindow:
    fields.setdefault("kind", "blackout")
    fields.setdefault("name", "Test window")
    return ScheduleWindow(**fields)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spans(w, start, end):
    return [(o.start, o.end) for o in occurrences(w, start, end)]


def test_weekly_london_window_keeps_its_hours_across_both_changes():
    """Saturday 22:00–02:00 London: 22:00 UTC in winter, 21:00 UTC in summer (BST)."""
    saturday_night = window(timezone="Europe/London", recurrence="weekly", weekdays="5",
                            start_time=time(22), end_time=time(2))
    winter = spans(saturday_night, utc(2026, 3, 20), utc(2026, 3, 23))  # Sat 21 March: still GMT
    summer = spans(saturday_night, utc(2026, 4, 3), utc(2026, 4, 6))    # Sat 4 April: BST
    assert winter == [(utc(2026, 3, 21, 22), utc(2026, 3, 22, 2))]
    assert summer == [(utc(2026, 4, 4, 21), utc(2026, 4, 5, 1))]


def test_a_window_spanning_the_london_spring_forward_night_is_an_hour_shorter():
    """Saturday 28 March 2026 22:00 → Sunday 02:00 (clocks go 01:00 → 02:00): 3 real hours, not 4."""
    w = window(timezone="Europe/London", recurrence="weekly", weekdays="5", start_time=time(22), end_time=time(2))
    [(start, end)] = spans(w, utc(2026, 3, 28), utc(2026, 3, 30))
    assert (start, end) == (utc(2026, 3, 28, 22), utc(2026, 3, 29, 1))
    assert end - start == timedelta(hours=3)


def test_a_window_spanning_the_london_autumn_night_is_an_hour_longer():
    """Saturday 24 October 2026 22:00 → Sunday 02:00 (01:00–02:00 happens twice): 5 real hours."""
    w = window(timezone="Europe/London", recurrence="weekly", weekdays="5", start_time=time(22), end_time=time(2))
    [(start, end)] = spans(w, utc(2026, 10, 24), utc(2026, 10, 26))
    assert (start, end) == (utc(2026, 10, 24, 21), utc(2026, 10, 25, 2))
    assert end - start == timedelta(hours=5)


def test_sydney_daily_window_moves_the_other_way():
    """Sydney 18:00–24:00 every day: AEDT (+11) until 5 April 2026 03:00, then AEST (+10);
    AEDT again from 4 October 2026 02:00. Southern summer is the northern winter."""
    evening = window(timezone="Australia/Sydney", recurrence="weekly", weekdays="0123456",
                     start_time=time(18), end_time=time(0))
    before = spans(evening, utc(2026, 4, 4, 6), utc(2026, 4, 4, 14))  # Saturday 4 April, AEDT
    after = spans(evening, utc(2026, 4, 6, 7), utc(2026, 4, 6, 15))   # Monday 6 April, AEST
    assert before == [(utc(2026, 4, 4, 7), utc(2026, 4, 4, 13))]
    assert after == [(utc(2026, 4, 6, 8), utc(2026, 4, 6, 14))]
    spring = spans(evening, utc(2026, 10, 4, 6), utc(2026, 10, 4, 14))  # Sunday 4 October 18:00 AEDT
    assert spring == [(utc(2026, 10, 4, 7), utc(2026, 10, 4, 13))]


def test_a_sydney_window_spanning_the_autumn_night_holds_the_repeated_hour():
    """Saturday 4 April 2026 22:00 → Sunday 04:00 Sydney: clocks fall back at 03:00, so 7 real hours."""
    w = window(timezone="Australia/Sydney", recurrence="weekly", weekdays="5", start_time=time(22), end_time=time(4))
    [(start, end)] = spans(w, utc(2026, 4, 4), utc(2026, 4, 5, 12))
    assert (start, end) == (utc(2026, 4, 4, 11), utc(2026, 4, 4, 18))
    assert end - start == timedelta(hours=7)


def test_a_time_skipped_by_spring_forward_reads_with_the_offset_before_it():
    """01:30 on the London spring-forward night does not exist: it is 01:30 GMT (02:30 BST)."""
    w = window(timezone="Europe/London", recurrence="weekly", weekdays="6", start_time=time(1, 30), end_time=time(3))
    [(start, end)] = spans(w, utc(2026, 3, 29), utc(2026, 3, 30))
    assert start == utc(2026, 3, 29, 1, 30) and end == utc(2026, 3, 29, 2)


def test_last_business_day_of_the_month_18_to_24_in_each_month():
    """Payroll: the last weekday of the month 18:00–24:00 London (31 Jan 2026 is a Saturday: Friday 30th)."""
    payroll = window(timezone="Europe/London", recurrence="monthly", monthly_rule="last_business_day",
                     start_time=time(18), end_time=time(0))
    found = spans(payroll, utc(2026, 1, 1), utc(2026, 8, 1))
    assert [s.date() for s, _ in found] == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 31),
                                            date(2026, 4, 30), date(2026, 5, 29), date(2026, 6, 30),
                                            date(2026, 7, 31)]
    assert found[0] == (utc(2026, 1, 30, 18), utc(2026, 1, 31, 0))     # GMT
    assert found[3] == (utc(2026, 4, 30, 17), utc(2026, 4, 30, 23))     # BST


def test_first_business_day_and_a_day_past_the_months_end():
    first = window(timezone="UTC", recurrence="monthly", monthly_rule="first_business_day",
                   start_time=time(8), end_time=time(9))
    assert [s.date() for s, _ in spans(first, utc(2026, 8, 1), utc(2026, 9, 1))] == [date(2026, 8, 3)]
    the_31st = window(timezone="UTC", recurrence="monthly", monthly_rule="day", month_day=31,
                      start_time=time(8), end_time=time(9))
    assert [s.date() for s, _ in spans(the_31st, utc(2026, 2, 1), utc(2026, 5, 1))] == [
        date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_one_off_christmas_freeze_in_its_own_timezone():
    freeze = window(timezone="Australia/Sydney", recurrence="once", starts_local=datetime(2026, 12, 24),
                    ends_local=datetime(2027, 1, 2), name="Christmas freeze")
    assert spans(freeze, utc(2026, 12, 1), utc(2027, 2, 1)) == [(utc(2026, 12, 23, 13), utc(2027, 1, 1, 13))]
    assert spans(freeze, utc(2027, 1, 1, 13), utc(2027, 2, 1)) == []  # touching the end is outside


@pytest.mark.parametrize("start,end", [(utc(1, 1, 1), datetime(9999, 12, 31, tzinfo=UTC)),
                                       (utc(9999, 12, 30), datetime(9999, 12, 31, 23, tzinfo=UTC))])
def test_absurd_ranges_are_bounded_and_never_raise(start, end):
    daily = window(timezone="Pacific/Kiritimati", recurrence="weekly", weekdays="0123456",
                   start_time=time(22), end_time=time(2))
    assert len(occurrences(daily, start, end)) <= 402


def test_an_unknown_timezone_reads_as_utc():
    w = window(timezone="Mars/Olympus", recurrence="weekly", weekdays="0", start_time=time(9), end_time=time(10))
    assert spans(w, utc(2026, 12, 7), utc(2026, 12, 8)) == [(utc(2026, 12, 7, 9), utc(2026, 12, 7, 10))]


def test_maintenance_windows_back_to_back_cover_a_longer_change_and_blackouts_are_named():
    """Two adjoining maintenance openings cover a window across both; outside them is a warning."""
    nights = window(kind="maintenance", company_id=1, name="Weeknights", timezone="UTC", recurrence="weekly",
                    weekdays="01234", start_time=time(20), end_time=time(0))
    early = window(kind="maintenance", company_id=1, name="Early", timezone="UTC", recurrence="weekly",
                   weekdays="12345", start_time=time(0), end_time=time(6))
    payroll = window(name="Payroll run", timezone="UTC", recurrence="weekly", weekdays="2",
                     start_time=time(2), end_time=time(3))
    monday_night = (utc(2026, 12, 7, 23), utc(2026, 12, 8, 1))
    assert inside_any([nights, early], *monday_night)
    found = check([nights, early, payroll], 1, *monday_night)
    assert found.blackouts == [] and found.outside_maintenance == []
    midday = check([nights, early, payroll], 1, utc(2026, 12, 8, 12), utc(2026, 12, 8, 13))
    assert midday.maintenance_names == "“Weeknights”, “Early”"
    wednesday = check([nights, early, payroll], 1, utc(2026, 12, 9, 2, 30), utc(2026, 12, 9, 4))
    assert wednesday.blackout_names == "“Payroll run”"


def test_describe_reads_as_set():
    payroll = window(timezone="Europe/London", recurrence="monthly", monthly_rule="last_business_day",
                     start_time=time(18), end_time=time(0))
    assert describe(payroll) == "Monthly on the last business day 18:00–24:00 (Europe/London)"
