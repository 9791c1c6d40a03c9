"""The pure working-time arithmetic (issue 13 item 2; 90.07, 90.18, 90.21, 90.23) on its own:
no database, no app (services.workshop.time_arithmetic)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from services.workshop.time_arithmetic import (
    BadTime,
    DayException,
    DayHours,
    Opening,
    available_by_day,
    available_hours,
    day_hours,
    deduct_breaks,
    format_time,
    hours,
    intersect,
    merge,
    overlap,
    overlaps,
    parse_time,
    subtract,
    total,
    working_intervals,
)

MONDAY = dt.date(2026, 11, 30)  # a Monday
T = dt.time


def at(hhmm: str, date: dt.date = MONDAY) -> dt.datetime:
    h, m = hhmm.split(":")
    return dt.datetime.combine(date, T(int(h), int(m)))


def iv(a: str, b: str, date: dt.date = MONDAY):
    return (at(a, date), at(b, date))


# the usual week: Monday-Friday 7:00-16:00, lunch 12:00-12:30 and coffee 9:00-9:15
DAY = DayHours(T(7), T(16), ((T(12), T(12, 30)), (T(9), T(9, 15))))
WEEK = {d: DAY for d in range(5)}
OPEN = Opening({d: DayHours(T(7), T(17)) for d in range(5)})


# ---- times as typed ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("7:30", T(7, 30)), ("07.30", T(7, 30)), ("0730", T(7, 30)), ("730", T(7, 30)), ("7", T(7)),
    ("16", T(16)), ("23:59", T(23, 59)), ("00:00", T(0)), (" 12.05 ", T(12, 5)), ("1200", T(12)),
])
def test_a_time_is_read_as_swedes_type_it(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "24:00", "7:60", "7:5", "abc", "7-30", "12345", "7:30:00", "-7", "7,30",
                                  "٧:٣٠"])
def test_a_time_that_is_none_is_refused(text):
    with pytest.raises(BadTime) as err:
        parse_time(text)
    assert err.value.code == "time"


@pytest.mark.parametrize("text", ["", "  ", None])
def test_an_empty_time_is_none(text):
    assert parse_time(text) is None


def test_a_time_is_written_with_two_digit_hours():
    assert format_time(T(7, 5)) == "07:05" and format_time(None) == ""


# ---- intervals -----------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, minutes", [
    (("8:00", "10:00"), ("9:00", "11:00"), 60),
    (("8:00", "10:00"), ("10:00", "11:00"), 0),  # touching is no overlap
    (("8:00", "10:00"), ("11:00", "12:00"), 0),
    (("8:00", "12:00"), ("9:00", "10:00"), 60),  # one inside the other
    (("9:00", "10:00"), ("8:00", "12:00"), 60),
    (("8:00", "10:00"), ("8:00", "10:00"), 120),
])
def test_overlap(a, b, minutes):
    assert overlap(iv(*a), iv(*b)) == overlap(iv(*b), iv(*a)) == dt.timedelta(minutes=minutes)
    assert overlaps(iv(*a), iv(*b)) is (minutes > 0)


def test_merge_joins_overlapping_and_touching_and_drops_empty():
    assert merge([iv("10:00", "11:00"), iv("8:00", "9:00"), iv("9:00", "9:30"), iv("10:30", "12:00"),
                  iv("13:00", "13:00")]) == [iv("8:00", "9:30"), iv("10:00", "12:00")]
    assert merge([]) == []


def test_subtract_cuts_holes_of_every_shape():
    day = [iv("7:00", "16:00")]
    assert subtract(day, [iv("12:00", "12:30")]) == [iv("7:00", "12:00"), iv("12:30", "16:00")]
    assert subtract(day, [iv("6:00", "8:00")]) == [iv("8:00", "16:00")]  # over the start
    assert subtract(day, [iv("15:00", "17:00")]) == [iv("7:00", "15:00")]  # over the end
    assert subtract(day, [iv("6:00", "17:00")]) == []  # all of it
    assert subtract(day, [iv("17:00", "18:00")]) == day  # apart
    assert subtract(day, [iv("9:00", "9:15"), iv("12:00", "12:30"), iv("9:10", "9:20")]) == \
        [iv("7:00", "9:00"), iv("9:20", "12:00"), iv("12:30", "16:00")]
    assert subtract([iv("7:00", "9:00"), iv("10:00", "12:00")], [iv("8:00", "11:00")]) == \
        [iv("7:00", "8:00"), iv("11:00", "12:00")]


def test_intersect_keeps_the_parts_inside_the_bounds():
    assert intersect([iv("6:00", "10:00"), iv("15:00", "19:00")], [iv("7:00", "17:00")]) == \
        [iv("7:00", "10:00"), iv("15:00", "17:00")]
    assert intersect([iv("6:00", "7:00")], [iv("7:00", "17:00")]) == []
    assert intersect([iv("8:00", "9:00")], []) == []


def test_total_counts_an_overlap_once_and_hours_round_to_hundredths():
    assert total([iv("8:00", "10:00"), iv("9:00", "11:00")]) == dt.timedelta(hours=3)
    assert hours(dt.timedelta(hours=7, minutes=20)) == D("7.33")
    assert hours(dt.timedelta(minutes=1)) == D("0.02")  # 0.0167 rounds half up
    assert hours(dt.timedelta(0)) == D("0.00")


# ---- breaks deducted from a stamp (90.21) -----------------------------------------------------

@pytest.mark.parametrize("stamp, minutes", [
    (("7:00", "16:00"), 9 * 60 - 45),  # spans both breaks
    (("11:00", "13:00"), 90),  # spans lunch
    (("12:10", "12:20"), 0),  # inside lunch
    (("12:15", "13:00"), 30),  # begins in lunch
    (("10:00", "11:00"), 60),  # no break
    (("9:00", "9:15"), 0),
    (("8:00", "8:00"), 0),
])
def test_breaks_are_deducted_from_a_stamp_that_spans_them(stamp, minutes):
    assert deduct_breaks(*iv(*stamp), DAY.break_intervals(MONDAY)) == dt.timedelta(minutes=minutes)


def test_a_stamp_ending_before_it_starts_is_refused():
    with pytest.raises(BadTime) as err:
        deduct_breaks(at("10:00"), at("9:00"), [])
    assert (err.value.code, err.value.field) == ("order", "end")


def test_a_stamp_over_midnight_deducts_the_breaks_of_both_days():
    night = [(at("23:00"), at("23:30")), (at("1:00", MONDAY + dt.timedelta(days=1)),
                                          at("1:30", MONDAY + dt.timedelta(days=1)))]
    assert deduct_breaks(at("22:00"), at("2:00", MONDAY + dt.timedelta(days=1)), night) == dt.timedelta(hours=3)


# ---- a day's schedule checked ----------------------------------------------------------------

@pytest.mark.parametrize("start, end, breaks, code, field", [
    ("16:00", "7:00", [], "order", "end"),
    ("7:00", "7:00", [], "order", "end"),
    ("25:00", "16:00", [], "time", "start"),
    ("7:00", "", [], "time", "end"),
    ("", "16:00", [], "time", "start"),
    ("7:00", "16:00", [("12:30", "12:00")], "order", "breaks-0-end"),
    ("7:00", "16:00", [("12:00", "12:30"), ("12:15", "13:00")], "overlap", "breaks-1-start"),
    ("7:00", "16:00", [("6:30", "7:15")], "outside", "breaks-0-start"),
    ("7:00", "16:00", [("15:45", "16:15")], "outside", "breaks-0-start"),
    ("7:00", "16:00", [("12:00", "")], "time", "breaks-0-end"),
    ("7:00", "16:00", [("", "12:30")], "time", "breaks-0-start"),
    ("7:00", "16:00", [("9", "9.15"), ("12x", "13")], "time", "breaks-1-start"),
])
def test_a_day_that_cannot_be_is_refused_naming_its_input(start, end, breaks, code, field):
    with pytest.raises(BadTime) as err:
        day_hours(start, end, breaks)
    assert (err.value.code, err.value.field) == (code, field)


def test_a_day_as_typed_and_touching_breaks():
    day = day_hours("0700", "16.00", [("9", "9:15"), ("9.15", "9.30"), ("", "")])
    assert day == DayHours(T(7), T(16), ((T(9), T(9, 15)), (T(9, 15), T(9, 30))))
    assert total(day.on(MONDAY)) == dt.timedelta(hours=8, minutes=30)


# ---- working intervals and available hours ---------------------------------------------------

def test_a_plain_weekday_is_the_schedule_less_breaks():
    assert working_intervals(MONDAY, WEEK, None, OPEN) == [iv("7:00", "9:00"), iv("9:15", "12:00"),
                                                             iv("12:30", "16:00")]
    assert available_hours(MONDAY, WEEK, None, OPEN) == D("8.25")


def test_a_weekday_without_a_schedule_has_no_hours():
    saturday = MONDAY + dt.timedelta(days=5)
    assert working_intervals(saturday, WEEK, None, None) == []
    assert available_hours(saturday, WEEK, None, None) == D("0.00")


def test_changed_hours_replace_the_schedule():
    late = DayException(MONDAY, hours=DayHours(T(10), T(19), ((T(14), T(14, 30)),))).check()
    assert working_intervals(MONDAY, WEEK, late, None) == [iv("10:00", "14:00"), iv("14:30", "19:00")]
    # clipped to opening hours (open until 17)
    assert working_intervals(MONDAY, WEEK, late, OPEN) == [iv("10:00", "14:00"), iv("14:30", "17:00")]
    assert available_hours(MONDAY, WEEK, late, OPEN) == D("6.50")
    # changed hours on a day without a schedule (an extra Saturday) count, if the company is open
    saturday = MONDAY + dt.timedelta(days=5)
    extra = DayException(saturday, hours=DayHours(T(8), T(12)))
    assert available_hours(saturday, WEEK, extra, None) == D("4.00")
    assert available_hours(saturday, WEEK, extra, OPEN) == D("0.00")  # closed on Saturdays


@pytest.mark.parametrize("kind", ["holiday", "sick", "course", "other"])
def test_a_whole_day_absence_leaves_nothing(kind):
    absent = DayException(MONDAY, absence=kind, note="Semester v. 49").check()
    assert absent.whole_day
    assert working_intervals(MONDAY, WEEK, absent, OPEN) == []
    assert available_hours(MONDAY, WEEK, absent, OPEN) == D("0.00")


def test_a_partial_absence_is_cut_out():
    dentist = DayException(MONDAY, absence="other", absent_from=T(8), absent_to=T(10)).check()
    assert working_intervals(MONDAY, WEEK, dentist, OPEN) == [iv("7:00", "8:00"), iv("10:00", "12:00"),
                                                                iv("12:30", "16:00")]
    assert available_hours(MONDAY, WEEK, dentist, OPEN) == D("6.50")


def test_changed_hours_and_an_absence_together():
    both = DayException(MONDAY, hours=DayHours(T(6), T(14)), absence="course", absent_from=T(12),
                        absent_to=T(15)).check()
    assert working_intervals(MONDAY, WEEK, both, None) == [iv("6:00", "12:00")]
    assert working_intervals(MONDAY, WEEK, both, OPEN) == [iv("7:00", "12:00")]  # opens at 7


def test_opening_hours_clip_and_a_closed_day_leaves_nothing():
    short = Opening({0: DayHours(T(8), T(15))})
    assert working_intervals(MONDAY, WEEK, None, short) == [iv("8:00", "9:00"), iv("9:15", "12:00"),
                                                              iv("12:30", "15:00")]
    closed = Opening(OPEN.weekdays, frozenset({MONDAY}))
    assert working_intervals(MONDAY, WEEK, None, closed) == []
    assert working_intervals(MONDAY + dt.timedelta(days=1), WEEK, None, closed) != []
    assert working_intervals(MONDAY, WEEK, None, Opening()) == []  # no opening hours: closed


@pytest.mark.parametrize("exception, code, field", [
    (DayException(MONDAY), "empty", "absence"),
    (DayException(MONDAY, absence="party"), "absence", "absence"),
    (DayException(MONDAY, absence="sick", absent_from=T(8)), "time", "absent_to"),
    (DayException(MONDAY, absence="sick", absent_to=T(8)), "time", "absent_from"),
    (DayException(MONDAY, absence="sick", absent_from=T(10), absent_to=T(9)), "order", "absent_to"),
    (DayException(MONDAY, hours=DayHours(T(16), T(7))), "order", "end"),
])
def test_an_exception_that_cannot_be_is_refused(exception, code, field):
    with pytest.raises(BadTime) as err:
        exception.check()
    assert (err.value.code, err.value.field) == (code, field)


def test_available_hours_over_a_week():
    friday = MONDAY + dt.timedelta(days=4)
    exceptions = {MONDAY + dt.timedelta(days=1): DayException(MONDAY + dt.timedelta(days=1), absence="sick"),
                  friday: DayException(friday, absence="other", absent_from=T(13), absent_to=T(16))}
    week = available_by_day(MONDAY, MONDAY + dt.timedelta(days=6), WEEK, exceptions, OPEN)
    assert list(week.values()) == [D("8.25"), D("0.00"), D("8.25"), D("8.25"), D("5.25"), D("0.00"), D("0.00")]
    assert sum(week.values()) == D("30.00")
