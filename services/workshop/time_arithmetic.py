"""Pure working-time arithmetic (90.07, 90.18, 90.21, 90.23): no database, no request, no clock.

As indico's room booking keeps its interval logic apart from the queries that load the rows,
everything here works on plain values; services.workshop.working_time loads schedules and
exceptions and calls these functions.

An interval is a pair (start, end) of datetimes with start < end (a half-open span [start, end)).
A resource's working intervals on a date are:

    its weekly schedule for the weekday (start-end) minus its breaks,
    replaced by the date's exception when it changes the hours,
    minus an absence (the whole day, or a span of it: holiday, sick, course, other),
    clipped to the company's opening hours for that weekday (nothing on a closed day).

Breaks are deducted automatically from a stamped span that covers them (90.21): the part of a
stamp that lies in a break is not working time."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

Interval = tuple[dt.datetime, dt.datetime]

ABSENCE_KINDS = ("holiday", "sick", "course", "other")  # semester, sjuk, kurs, övrigt


class BadTime(ValueError):
    """A time or a day's schedule that cannot be: ``code`` says why, ``field`` which input."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


# ---- times as typed ------------------------------------------------------------------------

_TIME = re.compile(r"^([0-9]{1,2})(?:[:.]([0-9]{2}))?$|^([0-9]{1,2})([0-9]{2})$")  # ASCII digits only


def parse_time(text: str | None) -> dt.time | None:
    """A time as a Swede types it: "7:30", "07.30", "0730", "730", "7", "16". Empty: None.
    "25:00", "7:60", "7:5", "abc" raise BadTime("time"); "24:00" is not a time of day."""
    text = (text or "").strip()
    if not text:
        return None
    match = _TIME.match(text)
    if not match:
        raise BadTime("time")
    hours, minutes = (match.group(1), match.group(2)) if match.group(1) is not None else (match.group(3),
                                                                                          match.group(4))
    h, m = int(hours), int(minutes or 0)
    if h > 23 or m > 59:
        raise BadTime("time")
    return dt.time(h, m)


def format_time(value: dt.time | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


# ---- intervals -----------------------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined; empty ones dropped."""
    out: list[list[dt.datetime]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def overlap(a: Interval, b: Interval) -> dt.timedelta:
    """How long two intervals share (zero when they only touch or are apart)."""
    return max(dt.timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def overlaps(a: Interval, b: Interval) -> bool:
    return overlap(a, b) > dt.timedelta(0)


def intersect(intervals: Iterable[Interval], bounds: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` that lie inside ``bounds``."""
    bounds = merge(bounds)
    out = []
    for start, end in merge(intervals):
        for b_start, b_end in bounds:
            s, e = max(start, b_start), min(end, b_end)
            if s < e:
                out.append((s, e))
    return merge(out)


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``intervals`` less every part that lies in ``holes``."""
    holes = merge(holes)
    out = []
    for start, end in merge(intervals):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                out.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


def total(intervals: Iterable[Interval]) -> dt.timedelta:
    return sum((e - s for s, e in merge(intervals)), dt.timedelta(0))


def hours(delta: dt.timedelta) -> Decimal:
    """A duration in hours, to two decimals (7 h 20 min: 7.33)."""
    return (Decimal(int(delta.total_seconds())) / Decimal(3600)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def deduct_breaks(start: dt.datetime, end: dt.datetime, breaks: Iterable[Interval]) -> dt.timedelta:
    """A stamped span's working time: its length less the breaks it spans (90.21). A stamp
    that ends before it starts is refused (BadTime("order"))."""
    if end < start:
        raise BadTime("order", "end")
    return total(subtract([(start, end)], breaks))


# ---- a day's schedule ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayHours:
    """A day's hours: start, end and the breaks between them (rast, 90.18)."""

    start: dt.time
    end: dt.time
    breaks: tuple[tuple[dt.time, dt.time], ...] = ()

    def check(self) -> DayHours:
        """End after start; each break inside the day, ending after it starts, apart from the
        others. Raises BadTime with the input concerned ("end", "breaks-0-start", ...)."""
        if self.end <= self.start:
            raise BadTime("order", "end")
        spans = []
        for i, (b_start, b_end) in enumerate(self.breaks):
            if b_end <= b_start:
                raise BadTime("order", f"breaks-{i}-end")
            if b_start < self.start or b_end > self.end:
                raise BadTime("outside", f"breaks-{i}-start")
            for j, (o_start, o_end) in enumerate(spans):
                if b_start < o_end and o_start < b_end:
                    raise BadTime("overlap", f"breaks-{i}-start")
            spans.append((b_start, b_end))
        return self

    def on(self, date: dt.date) -> list[Interval]:
        """The day's working intervals on a date: start-end less the breaks."""
        day = (_at(date, self.start), _at(date, self.end))
        return subtract([day], self.break_intervals(date))

    def break_intervals(self, date: dt.date) -> list[Interval]:
        return [(_at(date, s), _at(date, e)) for s, e in self.breaks]


@dataclass(frozen=True)
class DayException:
    """A date that differs from the weekly schedule: changed hours (``hours``), or an absence
    (``absence`` one of ABSENCE_KINDS) for the whole day (no ``absent_from``/``absent_to``) or a
    span of it; ``note`` is for people."""

    date: dt.date
    hours: DayHours | None = None
    absence: str | None = None
    absent_from: dt.time | None = None
    absent_to: dt.time | None = None
    note: str = ""

    def check(self) -> DayException:
        if self.hours is not None:
            self.hours.check()
        if self.absence is not None and self.absence not in ABSENCE_KINDS:
            raise BadTime("absence", "absence")
        if self.absence is None and self.hours is None:
            raise BadTime("empty", "absence")
        if (self.absent_from is None) != (self.absent_to is None):
            raise BadTime("time", "absent_to" if self.absent_to is None else "absent_from")
        if self.absent_from is not None and self.absent_to <= self.absent_from:
            raise BadTime("order", "absent_to")
        return self

    @property
    def whole_day(self) -> bool:
        return self.absence is not None and self.absent_from is None

    def absent_intervals(self) -> list[Interval]:
        if self.absence is None:
            return []
        if self.whole_day:
            start = dt.datetime.combine(self.date, dt.time(0))
            return [(start, start + dt.timedelta(days=1))]
        return [(_at(self.date, self.absent_from), _at(self.date, self.absent_to))]


@dataclass(frozen=True)
class Opening:
    """The company's opening hours per weekday (0 Monday .. 6 Sunday; a weekday missing: closed)
    and its closed dates (stängda dagar)."""

    weekdays: Mapping[int, DayHours] = field(default_factory=dict)
    closed: frozenset[dt.date] = frozenset()

    def on(self, date: dt.date) -> list[Interval]:
        if date in self.closed:
            return []
        day = self.weekdays.get(date.weekday())
        return [] if day is None else [(_at(date, day.start), _at(date, day.end))]


def _at(date: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(date, time)


def working_intervals(date: dt.date, week: Mapping[int, DayHours], exception: DayException | None,
                      opening: Opening | None) -> list[Interval]:
    """A resource's working intervals on a date: its schedule for the weekday less breaks,
    replaced by the date's changed hours, less an absence, clipped to opening hours (none given:
    not clipped; a closed day: nothing)."""
    hours_of_day = exception.hours if exception is not None and exception.hours is not None \
        else week.get(date.weekday())
    if hours_of_day is None:
        return []
    spans = hours_of_day.on(date)
    if exception is not None:
        spans = subtract(spans, exception.absent_intervals())
    if opening is not None:
        spans = intersect(spans, opening.on(date))
    return spans


def available_hours(date: dt.date, week: Mapping[int, DayHours], exception: DayException | None,
                    opening: Opening | None) -> Decimal:
    """The hours a resource can be planned on a date (to two decimals)."""
    return hours(total(working_intervals(date, week, exception, opening)))


def dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def available_by_day(first: dt.date, last: dt.date, week: Mapping[int, DayHours],
                     exceptions: Mapping[dt.date, DayException], opening: Opening | None) -> dict[dt.date, Decimal]:
    """available_hours for each date of a range (the planner's column of available hours)."""
    return {d: available_hours(d, week, exceptions.get(d), opening) for d in dates(first, last)}


def day_hours(start: str, end: str, breaks: Sequence[tuple[str, str]] = ()) -> DayHours:
    """A day's hours from typed times ("7:30", "16.00", [("12", "12.30")]), checked."""
    s, e = _parse(start, "start"), _parse(end, "end")
    if s is None:
        raise BadTime("time", "start")
    if e is None:
        raise BadTime("time", "end")
    parsed = []
    for i, (b_start, b_end) in enumerate(breaks):
        bs, be = _parse(b_start, f"breaks-{i}-start"), _parse(b_end, f"breaks-{i}-end")
        if bs is None and be is None:
            continue
        if bs is None or be is None:
            raise BadTime("time", f"breaks-{i}-{'start' if bs is None else 'end'}")
        parsed.append((bs, be))
    return DayHours(s, e, tuple(parsed)).check()


def _parse(text: str, field: str) -> dt.time | None:
    try:
        return parse_time(text)
    except BadTime:
        raise BadTime("time", field) from None
