"""Year-end and accrual generation at the same moment on PostgreSQL (issue 12 item 12): four
users closing the same year, or generating the same accrual template, at once (a double click, two
tabs): exactly one books, the others are refused with a message. The row they all need is held by
another transaction until all four wait inside the database, so they truly overlap."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import AccrualTemplate, FinancialYear, LedgerPeriodLock, Voucher, db
from services.ledger import LedgerError
from services.ledger.accruals import create_template, generate
from services.ledger.vouchers import Row, book_voucher, ensure_year
from services.ledger.year_end import close_year
from tests.races import race

pytestmark = pytest.mark.pg

USERS = 4


def _count(session, *where):
    return session.scalar(select(func.count()).select_from(Voucher).where(*where))


def test_four_closers_at_once_book_the_result_once(app):
    with app.app_context():
        year = ensure_year(db.session, dt.date(2026, 1, 1))
        book_voucher(db.session, "M", dt.date(2026, 5, 1), [Row("1930", D("125")), Row("3001", D("-100")),
                                                            Row("2611", D("-25"))], "Försäljning", None)
        db.session.commit()
        year_id, engine = year.id, db.engine

    def close(_n):
        with app.app_context(), Session(engine) as session:
            close_year(session, session.get(FinancialYear, year_id), None)
            session.commit()
            return "closed"

    results = race(engine, USERS, close, hold=lambda blocker: blocker.execute(
        select(FinancialYear.id).where(FinancialYear.id == year_id).with_for_update()))
    assert results.count("closed") == 1, results
    refused = [r for r in results if r != "closed"]
    assert all(isinstance(r, LedgerError) and "redan stängt" in r.message for r in refused), results
    with app.app_context():
        assert _count(db.session, Voucher.source_kind == "year_end") == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerPeriodLock)) == 1
        assert db.session.scalar(select(func.count()).select_from(FinancialYear)) == 2


def test_four_generators_at_once_book_the_months_once(app):
    with app.app_context():
        ensure_year(db.session, dt.date(2026, 1, 1))
        template = create_template(db.session, {"name": "Hyra", "kind": "cost", "accrual_account": "1930",
                                                "result_account": "6990", "total": "1 000", "start_month": "2026-01",
                                                "months": "3"}, None)
        db.session.commit()
        template_id, engine = template.id, db.engine

    def run(_n):
        with app.app_context(), Session(engine) as session:
            booked = generate(session, session.get(AccrualTemplate, template_id), None)
            session.commit()
            return len(booked)

    results = race(engine, USERS, run, hold=lambda blocker: blocker.execute(
        update(AccrualTemplate).where(AccrualTemplate.id == template_id).values(name=AccrualTemplate.name)))
    assert results.count(3) == 1, results
    assert all(isinstance(r, LedgerError) and "redan bokförda" in r.message for r in results if r != 3), results
    with app.app_context():
        assert _count(db.session, Voucher.source_kind == "accrual") == 3
