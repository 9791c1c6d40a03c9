"""The pure interval rules of services.bookings.bookings that `make mutation` found unguarded: the edges
of overlaps, the minute a booking is drawn at least, statuses at the planned end (no database)."""
import datetime as dt

import pytest

from services.bookings import bookings as b


def T(hour: int, minute: int = 0, day: int = 24, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second)


def test_a_booking_starting_when_the_other_ends_does_not_overlap_either_way():
    assert not b.overlaps(T(12), T(13), T(10), T(12))
    assert not b.overlaps(T(10), T(12), T(12), T(13))
    assert b.overlaps(T(11, 59), T(13), T(10), T(12))
    assert not b.overlaps(T(12), None, T(10), T(12))  # an unreturned issue from 12:00 on


def test_the_next_quarter_hour_is_a_whole_minute():
    assert b.next_quarter_hour(dt.datetime(2026, 11, 24, 10, 7, 30, 500)) == T(10, 15)
    assert b.issue_deadline(dt.datetime(2026, 11, 24, 10, 59, 59), 0) == T(11, 0)


def test_zero_days_before_pickup_from_the_settings_text_means_the_next_quarter_hour():
    assert b.issue_deadline(T(10, 7), "0") == T(10, 15)
    assert b.issue_deadline(T(10, 7), "2") == dt.datetime(2026, 11, 26, 23, 59)


def test_a_handover_within_one_minute_is_drawn_one_minute_long():
    start, end = T(8), T(12)
    assert b.display_interval(start, end, T(9), T(9), T(14)) == (T(9), T(9, 1))  # returned at once
    assert b.display_interval(start, end, T(12), None, T(12)) == (T(12), T(12, 1))  # issued at the end
    assert b.display_interval(start, T(8, 30), T(9), None, T(9)) == (T(9), T(9, 1))  # late and overdue


@pytest.mark.parametrize("issued, returned, billed, now, status", [
    (None, None, False, T(14), "planned"),
    (T(9), None, False, T(11), "issued"),
    (T(9), None, False, T(12), "issued"),  # at the planned end it is not yet overdue
    (T(9), None, False, T(12, 1), "overdue"),
    (T(9), T(11), False, T(14), "returned"),
    (T(9), T(11), True, T(14), "billed"),
])
def test_status_of_a_booking(issued, returned, billed, now, status):
    assert b.status_of(issued, returned, T(12), billed, now) == status


def test_days_of_use_are_started_24_hour_periods_also_for_long_rentals():
    assert b.days_of_use(T(10), T(10, day=24) + dt.timedelta(days=60)) == 60
    assert b.days_of_use(T(10), T(10, 1) + dt.timedelta(days=60)) == 61
