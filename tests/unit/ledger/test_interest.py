"""Interest invoices (issue 12 item 4, 20.16): late interest at the reference rate + 8 points,
split at the half-year, days/365, rounded half-up to öre once (expected values computed by hand
in the comments), candidates from late payments, the minimum amount, one charge per invoice."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models import InterestCharge, ReferenceRate, Voucher
from services import DomainError
from services.ledger import LedgerError
from services.ledger import interest
from services.ledger import payments as pay
from tests import sales_helpers as h
from tests.unit.ledger import dunning_helpers as dh

pytestmark = pytest.mark.usefixtures("english")

# fixed reference rates for the tests (not Riksbank's): 2,00 % in the first half of 2026, 1,50 % in the second
RATES = {dt.date(2025, 7, 1): D("2.00"), dt.date(2026, 1, 1): D("2.00"), dt.date(2026, 7, 1): D("1.50")}


def test_interest_is_split_at_the_half_year_change():
    # due 20 June, paid 10 July: 21-30 June = 10 days at 2,00 + 8 = 10 %, 1-10 July = 10 days at 9,5 %
    # 10 000 × 0,10 × 10/365 = 27,397260...; 10 000 × 0,095 × 10/365 = 26,027397...; sum 53,424657... -> 53,42
    periods = interest.interest_periods(D("10000.00"), dt.date(2026, 6, 20), dt.date(2026, 7, 10), RATES)
    assert [(p.start, p.end, p.days, p.rate) for p in periods] == [
        (dt.date(2026, 6, 21), dt.date(2026, 6, 30), 10, D("10.00")),
        (dt.date(2026, 7, 1), dt.date(2026, 7, 10), 10, D("9.50"))]
    assert interest.late_interest(D("10000.00"), dt.date(2026, 6, 20), dt.date(2026, 7, 10), RATES) == D("53.42")


def test_interest_across_a_year_end():
    # due 30 Dec 2025, paid 2 Jan 2026: 1 day (31 Dec) + 2 days, all at 10 %: 1 000 × 0,10 × 3/365 = 0,8219... -> 0,82
    assert interest.late_interest(D("1000"), dt.date(2025, 12, 30), dt.date(2026, 1, 2), RATES) == D("0.82")


def test_rounding_is_half_up_to_ore_once():
    # 18,25 × 0,10 × 1/365 = 0,005 exactly: half-up gives 0,01 (banker's rounding would give 0,00)
    assert interest.late_interest(D("18.25"), dt.date(2026, 3, 1), dt.date(2026, 3, 2), RATES) == D("0.01")
    # 365 days at 10 % on 1 000: 100,00 exactly
    assert interest.late_interest(D("1000"), dt.date(2025, 12, 31), dt.date(2026, 12, 31),
                                  {**RATES, dt.date(2026, 7, 1): D("2.00")}) == D("100.00")


def test_no_interest_when_paid_on_the_due_date_and_one_day_late_is_one_day():
    assert interest.late_interest(D("5000"), dt.date(2026, 3, 1), dt.date(2026, 3, 1), RATES) == D("0.00")
    assert interest.late_interest(D("5000"), dt.date(2026, 3, 1), dt.date(2026, 2, 1), RATES) == D("0.00")
    # 5 000 × 0,10 / 365 = 1,369863 -> 1,37
    assert interest.late_interest(D("5000"), dt.date(2026, 3, 1), dt.date(2026, 3, 2), RATES) == D("1.37")


def test_a_half_year_without_a_reference_rate_is_refused():
    with pytest.raises(LedgerError, match="no reference rate for the half-year from 2027-01-01"):
        interest.late_interest(D("5000"), dt.date(2026, 12, 20), dt.date(2027, 1, 5), RATES)


def test_reference_rates_are_checked_and_seeded(session):
    assert interest.check_rate(dt.date(2026, 7, 1), "1,75") == (dt.date(2026, 7, 1), D("1.75"))
    with pytest.raises(LedgerError, match="1 January or 1 July") as info:
        interest.check_rate(dt.date(2026, 3, 1), "2")
    assert info.value.field == "valid_from"
    with pytest.raises(DomainError) as info:
        interest.check_rate(dt.date(2026, 1, 1), "2,5x")
    assert info.value.field == "rate"
    seeded = {r.valid_from: r.rate for r in session.scalars(select(ReferenceRate))}
    assert seeded[dt.date(2025, 1, 1)] == D("2.50") and seeded[dt.date(2026, 1, 1)] == D("2.00")
    assert interest.seed_reference_rates(session) == 0


def _use_rates(session):
    for r in session.scalars(select(ReferenceRate)):
        session.delete(r)
    session.flush()
    for day, rate in RATES.items():
        session.add(ReferenceRate(valid_from=day, rate=rate))
    session.flush()


def test_late_payments_become_interest_invoices_on_8313_without_vat(session):
    _use_rates(session)
    big = dh.invoice(session, quantity=40)  # 40 × 200 + 25 % = 10 000,00, due 2026-06-20
    on_time = dh.invoice(session, quantity=2)
    assert big.total == D("10000.00") and big.due_date == dt.date(2026, 6, 20)
    pay.register_payment(session, big.customer, dt.date(2026, 7, 10), "10000", "bankgiro", big.ocr, [(big, None)])
    pay.register_payment(session, on_time.customer, dt.date(2026, 6, 20), "500", "bankgiro", None,
                         [(on_time, None)])
    found = interest.candidates(session, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert [(c.number, c.days, c.late_amount, c.interest) for c in found] == [(big.number, 20, D("10000.00"),
                                                                              D("53.42"))]
    assert interest.candidates(session, dt.date(2026, 8, 1), dt.date(2026, 8, 31)) == []
    run = interest.create_interest_invoices(session, found, None, dt.date(2026, 8, 1), h.settings(session))
    [charge] = run.invoices
    assert (charge.total, charge.vat_total, charge.customer_id) == (D("53.42"), D("0.00"), big.customer_id)
    [line] = charge.lines
    assert (line.account, line.vat_percent, line.net_amount) == ("8313", D("0"), D("53.42"))
    assert line.text == f"Dröjsmålsränta på faktura {big.number}, förföll 2026-06-20, betald 2026-07-10 (20 dagar)"
    voucher = session.scalar(select(Voucher).where(Voucher.source_kind == "invoice", Voucher.source_id == charge.id))
    assert dh.rows(voucher) == [("1510", D("53.42")), ("8313", D("-53.42"))]
    assert session.scalar(select(InterestCharge.invoice_id)) == big.id
    # charged once: no longer a candidate, and asking again is refused
    assert interest.candidates(session, dt.date(2026, 7, 1), dt.date(2026, 7, 31)) == []
    with pytest.raises(LedgerError, match="not paid late, or its interest is invoiced already"):
        interest.create_interest_invoices(session, [big.id], None, dt.date(2026, 8, 1), h.settings(session))
    # the interest invoice itself paid late bears no interest
    pay.register_payment(session, charge.customer, dt.date(2026, 12, 1), "53.42", "bankgiro", None,
                         [(charge, None)])
    assert interest.candidates(session, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []
    assert dh.all_balanced(session)


@pytest.mark.parametrize("term_days, due_days", [(0, 30), (10, 10)])
def test_an_interest_invoice_gets_a_credit_term_even_for_a_cash_customer(session, term_days, due_days):
    """A customer on "Kontant" (0 days) gets his interest invoice due after the company's 30
    days, not on the day it is issued; a customer's own term of days > 0 is kept."""
    from models import PaymentTerm

    _use_rates(session)
    term = PaymentTerm(name=f"Villkor {term_days}", days=term_days)
    session.add(term)
    session.flush()
    who = dh.customer(session, "1002", "Kontant AB", payment_term=term)
    late = dh.invoice(session, who=who, quantity=40)
    pay.register_payment(session, who, dt.date(2026, 7, 10), "10000", "bankgiro", late.ocr, [(late, None)])
    found = interest.candidates(session, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    [charge] = interest.create_interest_invoices(session, found, None, dt.date(2026, 8, 1), h.settings(session)).invoices
    assert charge.due_date == dt.date(2026, 8, 1) + dt.timedelta(days=due_days)
    assert charge.payment_term_days == due_days


def test_part_payments_bear_interest_each_for_its_own_days_and_open_invoices_none(session):
    _use_rates(session)
    inv = dh.invoice(session, quantity=40)  # 10 000,00 due 2026-06-20
    open_one = dh.invoice(session, quantity=40)
    pay.register_payment(session, inv.customer, dt.date(2026, 6, 30), "4000", "bankgiro", None, [(inv, D("4000"))])
    pay.register_payment(session, inv.customer, dt.date(2026, 7, 10), "6000", "bankgiro", None, [(inv, None)])
    pay.register_payment(session, inv.customer, dt.date(2026, 7, 10), "100", "bankgiro", None,
                         [(open_one, None)])  # part paid late, not paid: not a candidate yet
    # 4 000 × 0,10 × 10/365 = 10,958904; 6 000: 10 days at 10 % = 16,438356 and 10 days at 9,5 % = 15,616438
    # sum 43,013698 -> 43,01
    [c] = interest.candidates(session, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert (c.invoice_id, c.interest, c.days) == (inv.id, D("43.01"), 20)


def test_interest_below_the_minimum_is_not_invoiced(session):
    _use_rates(session)
    small = dh.invoice(session, quantity=2)  # 500,00: 10 days at 10 % = 1,369863 -> 1,37
    pay.register_payment(session, small.customer, dt.date(2026, 6, 30), "500", "bankgiro", None, [(small, None)])
    found = interest.candidates(session, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert [c.interest for c in found] == [D("1.37")]
    run = interest.create_interest_invoices(session, found, None, dt.date(2026, 7, 1), h.settings(session))
    assert run.invoices == [] and [c.invoice_id for c in run.below_minimum] == [small.id]  # default minimum 50,00
    run = interest.create_interest_invoices(session, found, None, dt.date(2026, 7, 1), h.settings(session),
                                            minimum="1,00")
    assert [i.total for i in run.invoices] == [D("1.37")]
    assert interest.minimum_of(h.settings(session, ledger__interest_minimum="abc")) == D("50.00")
    with pytest.raises(LedgerError, match="Choose at least one invoice"):
        interest.create_interest_invoices(session, [], None, dt.date(2026, 7, 1), h.settings(session))
    with pytest.raises(LedgerError) as info:
        interest.candidates(session, dt.date(2026, 7, 1), dt.date(2026, 6, 1))
    assert info.value.field == "date_to"
