"""Customer losses (issue 12 item 5, 20.19): the remaining amount written off with the VAT
correction per rate in one balanced voucher; the invoice's status follows (written_off) in
Python and in SQL; refusals."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models import Invoice, WriteOff
from services.ledger import LedgerError
from services.ledger import payments as pay
from services.ledger.vouchers import lock_through
from services.ledger.write_off import write_off
from services.sales import invoicing
from tests import sales_helpers as h
from tests.unit.ledger import dunning_helpers as dh

pytestmark = pytest.mark.usefixtures("english")
DAY = dt.date(2026, 9, 30)


def _status_in_sql(session, invoice, today=DAY):
    return session.scalar(select(pay.status_sql(today)).where(Invoice.id == invoice.id))


def test_a_part_paid_invoice_is_written_off_with_the_vat_correction(session):
    inv = dh.invoice(session)  # 400 net + 100 VAT 25 % = 500
    pay.register_payment(session, inv.customer, dt.date(2026, 7, 1), "200", "bankgiro", None, [(inv, None)])
    record = write_off(session, inv, None, DAY, "  Konkurs,   ingen utdelning ")
    # 300 remaining: VAT 300 × 100/500 = 60,00, net 240,00
    assert (record.amount, record.vat_amount, record.reason) == (D("300.00"), D("60.00"), "Konkurs, ingen utdelning")
    assert dh.rows(record.voucher) == [("1510", D("-300.00")), ("2611", D("60.00")), ("6351", D("240.00"))]
    assert (record.voucher.series, record.voucher.source_kind, record.voucher.source_id) == ("B", "write_off",
                                                                                            record.id)
    state = pay.balance(session, inv, DAY)
    assert (state.remaining, state.written_off, state.status) == (D("0.00"), D("300.00"), "written_off")
    assert _status_in_sql(session, inv) == "written_off"
    assert dh.all_balanced(session)


def test_several_vat_rates_are_corrected_each_in_proportion(session):
    inv = dh.invoice(session, extra=("100.00", "12"))  # 400 + 100 VAT 25 %, 100 + 12 VAT 12 %: 612
    assert inv.total == D("612.00")
    pay.register_payment(session, inv.customer, dt.date(2026, 7, 1), "306", "bankgiro", None, [(inv, None)])
    record = write_off(session, inv, None, DAY, "Kunden saknar tillgångar")
    # 306 remaining: 25 % part 306 × 100/612 = 50,00; 12 % part 306 × 12/612 = 6,00; net 250,00
    assert dh.rows(record.voucher) == [("1510", D("-306.00")), ("2611", D("50.00")), ("2621", D("6.00")),
                                       ("6351", D("250.00"))]
    assert dh.all_balanced(session)


def test_the_net_part_takes_the_rounding_so_the_voucher_balances(session):
    inv = dh.invoice(session, quantity=3)  # 600 + 150 = 750
    pay.register_payment(session, inv.customer, dt.date(2026, 7, 1), "0.01", "bankgiro", None, [(inv, None)])
    record = write_off(session, inv, None, DAY, "Okänd adress")
    # 749,99 × 150/750 = 149,998 -> 150,00; net 599,99
    assert dh.rows(record.voucher) == [("1510", D("-749.99")), ("2611", D("150.00")), ("6351", D("599.99"))]
    assert sum(r.amount for r in record.voucher.rows) == 0


def test_refusals(session):
    inv = dh.invoice(session)
    with pytest.raises(LedgerError, match="Give the reason") as info:
        write_off(session, inv, None, DAY, "   ")
    assert info.value.field == "reason"
    with pytest.raises(LedgerError) as info:
        write_off(session, inv, None, "2026-09-30", "x")
    assert info.value.field == "date"
    note = invoicing.create_credit_note(session, inv, None, dt.date(2026, 6, 1), h.settings(session))
    with pytest.raises(LedgerError, match="Only an invoice"):
        write_off(session, note, None, DAY, "x")
    with pytest.raises(LedgerError, match="nothing left to write off"):
        write_off(session, inv, None, DAY, "x")  # credited
    paid = dh.invoice(session)
    pay.register_payment(session, paid.customer, DAY, "500", "bankgiro", None, [(paid, None)])
    with pytest.raises(LedgerError, match="nothing left to write off"):
        write_off(session, paid, None, DAY, "x")
    other = dh.invoice(session)
    write_off(session, other, None, DAY, "Konkurs")
    with pytest.raises(LedgerError, match="written off already"):
        write_off(session, other, None, DAY, "Konkurs")
    lock_through(session, dt.date(2026, 9, 30), None)
    locked = dh.invoice(session, date=dt.date(2026, 10, 1))
    with pytest.raises(LedgerError, match="locked"):
        write_off(session, locked, None, DAY, "Konkurs")
    assert session.scalar(select(WriteOff.id).where(WriteOff.invoice_id == locked.id)) is None
