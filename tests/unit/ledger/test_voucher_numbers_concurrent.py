"""A voucher series stays gapless with 12 parallel bookers on PostgreSQL (issue 12,
Reliability): each thread books in its own session; a few roll back after taking their number,
which the next booker gets. The series row is held by another transaction until all twelve
wait inside the database, so they really overlap."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from models import NumberSeries, Voucher, db
from services.ledger.vouchers import Row, _series_name, book_voucher, ensure_year
from tests.races import race

pytestmark = pytest.mark.pg

BOOKERS = 12
DAY = dt.date(2026, 11, 24)
ROWS = [Row("1930", D("100.00")), Row("3001", D("-80.00")), Row("2611", D("-20.00"))]


def test_twelve_bookers_at_once_get_numbers_one_to_n_without_gaps(app):
    with app.app_context():
        year = ensure_year(db.session, DAY)
        book_voucher(db.session, "M", DAY, ROWS, "Första", None)  # the series exists: M1
        db.session.commit()
        series = _series_name("M", year)
        engine = db.engine
    rolled_back = {3, 7}

    def book(n):
        with app.app_context(), Session(engine) as session:
            voucher = book_voucher(session, "M", DAY, ROWS, f"Bokare {n}", None)
            if n in rolled_back:
                session.rollback()
            else:
                session.commit()
            return voucher.number

    # the series' row held: every booker must queue behind it
    results = race(engine, BOOKERS, book, hold=lambda blocker: blocker.execute(
        update(NumberSeries).where(NumberSeries.name == series).values(next_number=NumberSeries.next_number)))
    assert all(isinstance(r, int) for r in results), results
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Voucher.number).where(Voucher.series == "M")))
    committed = 1 + BOOKERS - len(rolled_back)
    assert numbers == list(range(1, committed + 1))
