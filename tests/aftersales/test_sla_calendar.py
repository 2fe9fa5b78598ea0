"""Calendar arithmetic of the SLA engine: working hours, weekends, holidays,
make-up working days (调休) and 24x7, in Shanghai time."""

import random
from datetime import date, time, timedelta

import pytest

from aftersales.models import BusinessCalendar, CalendarDay
from aftersales.services.sla import calendar_add, calendar_seconds_between
from tests.aftersales.conftest import shanghai

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture
def office():
    """Monday to Friday, 09:00-18:00."""
    return BusinessCalendar.objects.create(
        code="OFFICE", name="办公时间", working_days=[1, 2, 3, 4, 5]
    )


@pytest.fixture
def always():
    return BusinessCalendar.objects.create(code="24X7", name="全天候", always_open=True)


def test_friday_afternoon_plus_two_hours_is_monday_ten(office):
    # 2026-11-27 is a Friday: one hour left that day, one more on Monday.
    assert calendar_add(office, shanghai(2026, 11, 27, 17, 0), 2 * HOUR) == shanghai(
        2026, 11, 30, 10, 0
    )


def test_the_last_working_hour_ends_at_closing_time_not_next_opening(office):
    assert calendar_add(office, shanghai(2026, 11, 27, 17, 0), HOUR) == shanghai(
        2026, 11, 27, 18, 0
    )


@pytest.mark.parametrize(
    "start",
    [
        shanghai(2026, 11, 27, 19, 30),  # Friday evening
        shanghai(2026, 11, 28, 12, 0),  # Saturday
        shanghai(2026, 11, 29, 23, 59),  # Sunday night
        shanghai(2026, 11, 30, 7, 0),  # Monday before opening
        shanghai(2026, 11, 30, 9, 0),  # Monday at opening
    ],
)
def test_a_start_outside_working_hours_counts_from_the_next_opening(office, start):
    assert calendar_add(office, start, HOUR) == shanghai(2026, 11, 30, 10, 0)


def test_zero_seconds_is_the_start_itself(office):
    start = shanghai(2026, 11, 28, 12, 0)
    assert calendar_add(office, start, 0) == start


def test_a_holiday_is_skipped(office):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 30), working=False, name="假日")
    assert calendar_add(office, shanghai(2026, 11, 27, 17, 0), 2 * HOUR) == shanghai(
        2026, 12, 1, 10, 0
    )


def test_a_make_up_saturday_is_counted(office):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 28), working=True, name="调休")
    assert calendar_add(office, shanghai(2026, 11, 27, 17, 0), 2 * HOUR) == shanghai(
        2026, 11, 28, 10, 0
    )


def test_golden_week_with_its_make_up_saturday(office):
    # National Day: 1-7 October closed; Saturday 10 October worked instead.
    for day in range(1, 8):
        CalendarDay.objects.create(calendar=office, date=date(2026, 10, day), name="国庆节")
    CalendarDay.objects.create(calendar=office, date=date(2026, 10, 10), working=True)
    start = shanghai(2026, 9, 30, 17, 0)
    # 1 h on 30 Sep, then 9 h each on Thu 8 and Fri 9 Oct, then Saturday 10 Oct.
    assert calendar_add(office, start, 3 * HOUR) == shanghai(2026, 10, 8, 11, 0)
    assert calendar_add(office, start, 20 * HOUR) == shanghai(2026, 10, 10, 10, 0)
    assert calendar_seconds_between(office, start, shanghai(2026, 10, 10, 10, 0)) == 20 * HOUR


def test_24x7_counts_every_second(always):
    start = shanghai(2026, 11, 27, 17, 0)
    assert calendar_add(always, start, 2 * HOUR) == shanghai(2026, 11, 27, 19, 0)
    assert calendar_seconds_between(always, start, shanghai(2026, 11, 29, 17, 0)) == 48 * HOUR


def test_custom_hours_and_a_six_day_week():
    calendar = BusinessCalendar.objects.create(
        code="SHOP",
        name="门店",
        working_days=[1, 2, 3, 4, 5, 6],
        day_start=time(8, 30),
        day_end=time(12, 0),
    )
    # Friday 11:00: 1 h left, Saturday 08:30-12:00 (3.5 h), Monday 08:30 + 0.5 h.
    assert calendar_add(calendar, shanghai(2026, 11, 27, 11, 0), 5 * HOUR) == shanghai(
        2026, 11, 30, 9, 0
    )


def test_seconds_between_counts_only_working_time(office):
    friday = shanghai(2026, 11, 27, 17, 0)
    assert calendar_seconds_between(office, friday, shanghai(2026, 11, 30, 10, 0)) == 2 * HOUR
    # All inside the weekend: nothing.
    assert (
        calendar_seconds_between(office, shanghai(2026, 11, 28, 9), shanghai(2026, 11, 29, 18)) == 0
    )
    # Inside one working day.
    assert (
        calendar_seconds_between(
            office, shanghai(2026, 11, 27, 10, 15), shanghai(2026, 11, 27, 10, 45)
        )
        == 30 * 60
    )
    # Backwards or empty: nothing.
    assert calendar_seconds_between(office, friday, friday) == 0
    assert calendar_seconds_between(office, friday, friday - timedelta(hours=5)) == 0


def test_seconds_between_honours_holidays_and_make_up_days(office):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 30), working=False)
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 28), working=True)
    # Fri 17-18 (1 h) + Sat 9-18 (9 h) + Mon closed + Tue 9-10 (1 h).
    assert (
        calendar_seconds_between(office, shanghai(2026, 11, 27, 17), shanghai(2026, 12, 1, 10))
        == 11 * HOUR
    )


def test_add_and_between_agree_over_random_spans(office):
    CalendarDay.objects.create(calendar=office, date=date(2026, 12, 31), working=False)
    CalendarDay.objects.create(calendar=office, date=date(2027, 1, 1), working=False)
    CalendarDay.objects.create(calendar=office, date=date(2027, 1, 2), working=True)
    rng = random.Random(20261127)
    for _ in range(200):
        start = shanghai(2026, 11, 27, 0, 0) + timedelta(minutes=rng.randrange(60 * 24 * 60))
        seconds = rng.randrange(1, 400 * HOUR)
        end = calendar_add(office, start, seconds)
        assert calendar_seconds_between(office, start, end) == seconds
        assert end.tzinfo is not None


def test_a_long_span_takes_one_query_and_no_minute_loop(office, django_assert_num_queries):
    for day in (date(2027, 1, 1), date(2027, 5, 1), date(2027, 10, 1)):
        CalendarDay.objects.create(calendar=office, date=day, working=False)
    start = shanghai(2026, 11, 27, 10, 0)
    with django_assert_num_queries(1):
        end = calendar_add(office, start, 2000 * HOUR)  # about a working year
    with django_assert_num_queries(1):
        assert calendar_seconds_between(office, start, end) == 2000 * HOUR


def test_a_prefetched_calendar_costs_no_query(office, django_assert_num_queries):
    CalendarDay.objects.create(calendar=office, date=date(2026, 11, 30), working=False)
    calendar = BusinessCalendar.objects.prefetch_related("days").get(pk=office.pk)
    with django_assert_num_queries(0):
        due = calendar_add(calendar, shanghai(2026, 11, 27, 17, 0), 2 * HOUR)
    assert due == shanghai(2026, 12, 1, 10, 0)
