"""Automatic vouchers of invoices (series F) and credit notes (series K), booked when they are
finalised (issue 12 item 6), and `flask book-history` for documents finalised before the ledger."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text

from models import Country, Customer, Invoice, Order, PaymentTerm, Voucher, VoucherRow
from services import DomainError
from services.ledger import LedgerError
from services.ledger.documents import book_history, voucher_of
from services.ledger.vouchers import lock_through
from services.sales import invoicing, orders
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 11, 24)


def _rows(voucher) -> dict[str, D]:
    return {r.account_number: r.amount for r in voucher.rows}


def _fee_customer(session):
    found = session.scalar(select(Customer).where(Customer.customer_number == "1001"))
    if found is None:
        term = PaymentTerm(name="30 dagar, avgift", days=30, invoice_fee=D("29.00"))
        found = h.customer(session, payment_term=term)
    return found


def _invoice(session):
    """2 × 200 goods and 1.5 h × 800 labour at 25 %, 100 at 12 %, 50 at 6 %; 29 invoice fee."""
    n = session.scalar(select(func.count()).select_from(Order))
    order = orders.create_order(session, _fee_customer(session), None, today=TODAY)
    orders.add_line(session, order, "article", article=h.article(session, number=f"OF-{n}"), quantity=2)
    orders.add_line(session, order, "labour", labour=h.labour(session, code=f"SERV-{n}"))
    orders.add_line(session, order, "free_text", text="Vindrutetorkare", unit_price=D("100"), vat_percent=12)
    orders.add_line(session, order, "free_text", text="Handbok", unit_price=D("50"), vat_percent=6)
    return invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session))


def test_an_invoice_is_booked_at_finalisation_by_line_kind_and_vat_rate(session):
    invoice = _invoice(session)
    session.commit()
    voucher = voucher_of(session, invoice)
    assert (voucher.series, voucher.number, voucher.date) == ("F", 1, TODAY)
    assert (voucher.source_kind, voucher.source_id) == ("invoice", invoice.id)
    assert voucher.text == f"Faktura {invoice.number}, Bygg AB"
    # env fee 5 % of labour (60) with the goods; VAT per rate on the document; rounded to krona
    assert _rows(voucher) == {
        "1510": D("2276.00"), "3001": D("-460.00"), "3041": D("-1200.00"), "3002": D("-100.00"),
        "3003": D("-50.00"), "3540": D("-29.00"), "2611": D("-422.25"), "2621": D("-12.00"),
        "2631": D("-3.00"), "3740": D("0.25")}
    assert invoice.total == D("2276.00") and invoice.vat_total == D("437.25")
    assert sum(_rows(voucher).values()) == 0


def test_a_credit_note_is_the_mirror_image_in_series_k(session):
    invoice = _invoice(session)
    note = invoicing.create_credit_note(session, invoice, None, TODAY, h.settings(session))
    session.commit()
    voucher = voucher_of(session, note)
    assert (voucher.series, voucher.number, voucher.source_kind) == ("K", 1, "credit_note")
    assert voucher.text == f"Kreditnota {note.number}, Bygg AB"
    assert _rows(voucher) == {k: -v for k, v in _rows(voucher_of(session, invoice)).items()}
    # a partial credit: one labour line's quantity
    second = _invoice(session)
    labour = next(l for l in second.lines if l.kind == "labour")
    part = invoicing.create_credit_note(session, second, None, TODAY, h.settings(session), quantities={labour.id: D("0.5")})
    rows = _rows(voucher_of(session, part))
    assert rows["3041"] == D("400.00") and rows["2611"] == D("100.00") and rows["1510"] == -part.total
    assert sum(rows.values()) == 0 and voucher_of(session, part).number == 2


def test_reverse_charge_and_export_go_to_the_eu_and_export_accounts_without_vat(session):
    session.get(Country, "DE").eu_member = True
    de = h.customer(session, "3003", "Werkstatt GmbH", None, country_code="DE", vat_number="DE136695976")
    us = h.customer(session, "3004", "Garage Inc", None, country_code="US")
    got = {}
    for cust in (de, us):
        order = orders.create_order(session, cust, None, today=TODAY)
        orders.add_line(session, order, "article", article=h.article(session, number=f"A-{cust.id}"))
        orders.add_line(session, order, "labour", labour=h.labour(session, code=f"L-{cust.id}"), quantity=1)
        invoice = invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session, sales__round_to_krona=False))
        got[cust.customer_number] = _rows(voucher_of(session, invoice))
    # env fee 5 % of 1200 = 60 with the goods
    assert got["3003"] == {"1510": D("1460.00"), "3108": D("-260.00"), "3308": D("-1200.00")}
    assert got["3004"] == {"1510": D("1460.00"), "3105": D("-260.00"), "3305": D("-1200.00")}


def test_a_manual_credit_note_is_booked_on_its_account(session):
    cust = h.customer(session)
    note = invoicing.create_manual_credit_note(session, cust, "100,00", "25", "3010", "Prisjustering", None, TODAY,
                                               h.settings(session, sales__round_to_krona=False))
    assert _rows(voucher_of(session, note)) == {"1510": D("-125.00"), "3010": D("100.00"), "2611": D("25.00")}
    with pytest.raises(DomainError, match="3998 is not an active account") as exc:
        invoicing.create_manual_credit_note(session, cust, "100", "25", "3998", "Fel konto", None, TODAY,
                                            h.settings(session))
    assert exc.value.field == "account"


def test_an_account_mapping_is_overridden_by_a_setting(session):
    cust = h.customer(session)
    order = orders.create_order(session, cust, None, today=TODAY)
    orders.add_line(session, order, "labour", labour=h.labour(session), quantity=1)
    settings = h.settings(session, sales__env_fee_percent="0", **{"ledger__account__labour__25": "3000"})
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    assert _rows(voucher_of(session, invoice)) == {"1510": D("1500.00"), "3000": D("-1200.00"), "2611": D("-300.00")}


def test_finalising_in_a_locked_period_is_refused_and_consumes_no_number(session):
    lock_through(session, dt.date(2026, 11, 1), None)
    session.commit()
    with pytest.raises(LedgerError, match="locked through 2026-11-30"):
        _invoice(session)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_book_history_books_what_has_no_voucher_once(session, runner):
    first = _invoice(session)
    note = invoicing.create_credit_note(session, first, None, TODAY, h.settings(session))
    second = _invoice(session)
    session.commit()
    ids = {first.id: "invoice", note.id: "credit_note", second.id: "invoice"}
    # documents finalised before the ledger existed: no vouchers (raw SQL, past the guard)
    session.execute(text("DELETE FROM voucher_row"))
    session.execute(text("DELETE FROM voucher"))
    session.execute(text("DELETE FROM number_series WHERE name LIKE 'voucher:%'"))
    session.commit()
    result = runner.invoke(args=["book-history"])
    assert result.exit_code == 0, result.output
    assert "Booked 2 invoices (series F) and 1 credit notes (series K); 0 had their vouchers already." in result.output
    vouchers = list(session.scalars(select(Voucher).order_by(Voucher.id)))
    assert sorted((v.source_id, v.source_kind) for v in vouchers) == sorted(ids.items())
    assert [(v.series, v.number) for v in vouchers] == [("F", 1), ("K", 1), ("F", 2)]
    for voucher in vouchers:
        assert sum(r.amount for r in voucher.rows) == 0
    again = runner.invoke(args=["book-history"])
    assert again.exit_code == 0
    assert "Nothing to book: 3 invoices and credit notes have their vouchers already." in again.output
    assert session.scalar(select(func.count()).select_from(Voucher)) == 3
    # the service itself says the same
    result = book_history(session)
    assert (result.booked_invoices, result.booked_credit_notes, result.already) == (0, 0, 3)


def test_book_history_is_all_or_nothing(session, runner):
    _invoice(session)
    session.commit()
    session.execute(text("DELETE FROM voucher_row"))
    session.execute(text("DELETE FROM voucher"))
    session.commit()
    _invoice(session)  # booked at finalisation
    session.commit()
    lock_through(session, dt.date(2026, 11, 30), None)
    session.commit()
    result = runner.invoke(args=["book-history"])
    assert result.exit_code == 1
    assert "is locked" in result.output
    # the first invoice still has no voucher; the second keeps its own (ten rows)
    assert session.scalar(select(func.count()).select_from(Voucher)) == 1
    assert session.scalar(select(func.count()).select_from(VoucherRow)) == 10
