"""The demo data fill the booking calendar with every status around today."""
from sqlalchemy import func, select

import demo
from models import Booking, BookingBilling, Vehicle
from services.bookings import bookings as rules


def test_demo_bookings_in_every_status(session):
    summary = demo.create_demo_data(session, customers=40, seed=11)
    now = rules.wall_clock_now()
    statuses = {b.status(now) for b in session.scalars(select(Booking))}
    assert statuses == {"planned", "issued", "overdue", "returned", "billed"}
    assert session.scalar(select(func.count()).select_from(Booking).where(Booking.confirmed.is_(True))) > 0
    assert summary["bookings billed"] == session.scalar(select(func.count()).select_from(BookingBilling))
    # no vehicle is issued twice at once, and every booking is in its kind's fleet
    open_issues = session.execute(select(Booking.vehicle_id, func.count()).where(
        Booking.issued_at.is_not(None), Booking.returned_at.is_(None)).group_by(Booking.vehicle_id)).all()
    assert all(n == 1 for _vid, n in open_issues)
    for booking in session.scalars(select(Booking).join(Vehicle, Booking.vehicle_id == Vehicle.id)):
        assert booking.vehicle.fleet == booking.kind
    # four weeks back and four ahead
    first, last = session.execute(select(func.min(Booking.start_at), func.max(Booking.start_at))).one()
    assert (now - first).days >= 25 and (last - now).days >= 25
    # issue periods of one vehicle never overlap (an open one runs until now)
    by_vehicle: dict[int, list] = {}
    for b in session.scalars(select(Booking).where(Booking.issued_at.is_not(None))):
        by_vehicle.setdefault(b.vehicle_id, []).append((b.issued_at, b.returned_at or now))
    for periods in by_vehicle.values():
        periods.sort()
        assert all(a[1] <= b[0] for a, b in zip(periods, periods[1:]))
