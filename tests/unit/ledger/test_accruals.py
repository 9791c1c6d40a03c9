"""Accrual templates (issue 12 item 12, 20.14): the split sums exactly to the total, one voucher a
month in open periods, a locked month books nothing, generated once (services.ledger.accruals)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import AccrualTemplate, Voucher, VoucherRow
from services import DomainError
from services.ledger import LedgerError
from services.ledger.accruals import ACCRUAL_SERIES, create_template, generate, split, template_lines
from services.ledger.vouchers import ensure_year, lock_through

pytestmark = pytest.mark.usefixtures("english")

FORM = {"name": "Försäkring 2026", "kind": "cost", "accrual_account": "1930", "result_account": "6990",
        "total": "1 000,00", "start_month": "2026-11", "months": "3"}


@pytest.mark.parametrize("total, months, parts", [
    ("1000.00", 3, ["333.33", "333.33", "333.34"]),
    ("100.00", 4, ["25.00"] * 4),
    ("0.05", 3, ["0.01", "0.01", "0.03"]),
    ("12000.00", 12, ["1000.00"] * 12),
    ("10.00", 1, ["10.00"]),
])
def test_the_split_sums_exactly_and_the_last_month_takes_the_rest(total, months, parts):
    result = split(D(total), months)
    assert result == [D(p) for p in parts] and sum(result) == D(total)


def _vouchers(session):
    return list(session.scalars(select(Voucher).where(Voucher.source_kind == "accrual").order_by(Voucher.id)))


def test_generate_books_one_voucher_a_month_across_the_year_end(session):
    ensure_year(session, dt.date(2026, 1, 1))
    ensure_year(session, dt.date(2027, 1, 1))
    template = create_template(session, FORM, None)
    session.commit()
    assert (template.total, template.months, template.start_month) == (D("1000.00"), 3, dt.date(2026, 11, 1))
    booked = generate(session, template, None)
    session.commit()
    assert len(booked) == 3
    vouchers = _vouchers(session)
    assert [v.date for v in vouchers] == [dt.date(2026, 11, 30), dt.date(2026, 12, 31), dt.date(2027, 1, 31)]
    assert {v.series for v in vouchers} == {ACCRUAL_SERIES}
    assert [sorted((r.account_number, r.amount) for r in v.rows) for v in vouchers] == [
        [("1930", D("-333.33")), ("6990", D("333.33"))], [("1930", D("-333.33")), ("6990", D("333.33"))],
        [("1930", D("-333.34")), ("6990", D("333.34"))]]
    assert vouchers[0].text == "Accrual Försäkring 2026, month 1 of 3"
    total = session.scalar(select(func.sum(VoucherRow.amount)).where(VoucherRow.account_number == "6990"))
    assert D(total).quantize(D("0.01")) == D("1000.00")
    line = template_lines(session)[0]
    assert (line.vouchers, line.booked) == (3, D("1000.00"))
    assert line.ranges == "P1 – P2 (2026), P1 (2027)"  # numbered again in the new year
    # a second generation (a double click) is refused and books nothing more
    with pytest.raises(LedgerError, match="booked already"):
        generate(session, session.get(AccrualTemplate, template.id), None)
    session.rollback()
    assert len(_vouchers(session)) == 3


def test_a_month_in_no_financial_year_refuses_and_creates_no_year(session):
    """2026-12 over 3 months with only 2026 set up: refused naming 2027-01, nothing booked, no
    year 2027 made (payments would refuse its dates); once the year exists it books."""
    from models import FinancialYear

    ensure_year(session, dt.date(2026, 1, 1))
    template = create_template(session, {**FORM, "start_month": "2026-12"}, None)
    session.commit()
    with pytest.raises(LedgerError, match=r"No financial year covers 2027-01 \(month 2 of Försäkring 2026\): create "
                                          r"the financial year first; nothing was booked"):
        generate(session, template, None)
    session.rollback()
    assert _vouchers(session) == []
    assert session.scalar(select(func.count()).select_from(FinancialYear)) == 1
    assert session.get(AccrualTemplate, template.id).generated_at is None
    ensure_year(session, dt.date(2027, 1, 1))
    session.commit()
    assert [b.label for b in generate(session, session.get(AccrualTemplate, template.id), None)] == ["P1", "P1", "P2"]
    session.commit()
    assert template_lines(session)[0].ranges == "P1 (2026), P1 – P2 (2027)"


def test_a_revenue_template_credits_the_revenue_account(session):
    ensure_year(session, dt.date(2026, 1, 1))
    template = create_template(session, {**FORM, "kind": "revenue", "accrual_account": "2420",
                                         "result_account": "3001", "months": "2", "total": "500"}, None)
    generate(session, template, None)
    assert [sorted((r.account_number, r.amount) for r in v.rows) for v in _vouchers(session)] == [
        [("2420", D("250.00")), ("3001", D("-250.00"))]] * 2


def test_a_locked_month_refuses_and_books_nothing(session):
    ensure_year(session, dt.date(2026, 1, 1))
    lock_through(session, dt.date(2026, 11, 1), None)
    template = create_template(session, FORM, None)
    session.commit()
    with pytest.raises(LedgerError, match="locked through 2026-11-30"):
        generate(session, template, None)
    session.rollback()
    assert _vouchers(session) == []
    assert session.get(AccrualTemplate, template.id).generated_at is None  # may be generated once opened


@pytest.mark.parametrize("change, field, message", [
    ({"total": ""}, "total", "The total is required"),
    ({"total": "Infinity"}, "total", "must be a number"),
    ({"total": "-100"}, "total", "negative|at least|must be"),
    ({"total": "0"}, "total", "less than one öre a month"),
    ({"total": "10,005"}, "total", "decimals"),
    ({"months": "0"}, "months", "at least 1"),
    ({"months": "2,5"}, "months", "whole number"),
    ({"months": ""}, "months", "required"),
    ({"result_account": "9998"}, "result_account", "Account 9998 does not exist"),
    ({"accrual_account": ""}, "accrual_account", "Give an account"),
    ({"result_account": "1930"}, "result_account", "must differ"),
    ({"name": " "}, "name", "A name is required"),
    ({"start_month": "soon"}, "start_month", "Choose the first month"),
    ({"kind": "gift"}, "kind", "cost or revenue"),
])
def test_bad_templates_are_refused_naming_the_field(session, change, field, message):
    with pytest.raises(DomainError, match=message) as caught:
        create_template(session, {**FORM, **change}, None)
    assert caught.value.field == field
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AccrualTemplate)) == 0
