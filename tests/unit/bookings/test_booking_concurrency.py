"""Two users issue the same vehicle at the same moment: exactly one succeeds.

Runs on every backend of the ``app`` fixture: on PostgreSQL (TEST_DATABASE_URL) the vehicle row
lock (SELECT ... FOR UPDATE) makes the second transaction wait and then see the first issue;
on SQLite the write lock does the same. Two threads, two sessions, two real transactions."""
import datetime as dt
import threading

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import Booking, db
from services import DomainError
from services.bookings import bookings as rules
from tests.booking_helpers import SETTINGS, world


def test_double_issue_at_once_only_one_wins(app):
    with app.app_context():
        w = world(db.session)
        now = rules.wall_clock_now()
        ids = []
        for _ in range(2):
            booking = rules.create_booking(db.session, "loaner", w["customer"],
                                           {"start_at": now, "end_at": now + dt.timedelta(hours=3), "vehicle": w["v1"]}, w["advisor"], SETTINGS, now)
            ids.append(booking.id)
        user_id = w["advisor"].id
        db.session.commit()

    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def issue(booking_id: int, hold: float):
        with app.app_context(), force_locale("en"):
            session = Session(db.engine)
            try:
                from models import User

                booking = session.get(Booking, booking_id)
                user = session.get(User, user_id)
                barrier.wait(timeout=10)
                rules.issue_vehicle(session, booking, now, None, user, SETTINGS, now)
                threading.Event().wait(hold)  # keep the lock while the other one tries
                session.commit()
                outcomes[booking_id] = "issued"
            except DomainError as exc:
                session.rollback()
                outcomes[booking_id] = exc.message
            finally:
                session.close()

    threads = [threading.Thread(target=issue, args=(ids[0], 0.5)), threading.Thread(target=issue, args=(ids[1], 0.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == sorted(ids), outcomes
    winners = [i for i, o in outcomes.items() if o == "issued"]
    assert len(winners) == 1, outcomes
    loser = next(i for i in ids if i not in winners)
    assert "already issued" in outcomes[loser]
    with app.app_context():
        issued = db.session.query(Booking).filter(Booking.issued_at.is_not(None)).all()
        assert [b.id for b in issued] == winners


@pytest.mark.pg
def test_pg_lock_is_for_update(app):
    """On PostgreSQL the vehicle row is locked with FOR UPDATE (a second locker waits)."""
    with app.app_context():
        w = world(db.session)
        db.session.commit()
        vid = w["v1"].id
        booking = Booking(kind="loaner", vehicle_id=vid)
        first, second = Session(db.engine), Session(db.engine)
        try:
            rules.lock_resources(first, booking)
            from sqlalchemy import text

            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                rules.lock_resources(second, booking)
        finally:
            second.rollback()
            first.rollback()
            first.close()
            second.close()
