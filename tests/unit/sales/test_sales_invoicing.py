"""Orders, finalisation, credit notes, collective invoicing and immutability (services, no HTTP)."""
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Country, CostCenter, DiscountLetter, Invoice, NumberSeries, Order, PaymentTerm, db
from services import DomainError
from services.sales import invoicing, orders
from services.sales.pricing import ocr_valid
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 11, 24)


def _order(session, cust=None, **fields):
    cust = cust or h.customer(session)
    order = orders.create_order(session, cust, None, today=TODAY, **fields)
    return order


def test_order_with_article_labour_package_and_discount_letter(session):
    letter = DiscountLetter(name="B", article_percent=D("10"), labour_percent=D("5"))
    cust = h.customer(session, discount_letter=letter)
    order = _order(session, cust)
    orders.add_line(session, order, "article", article=h.article(session), quantity=2)
    orders.add_line(session, order, "labour", labour=h.labour(session))
    orders.add_package(session, order, h.package(session))
    orders.add_line(session, order, "fixed_price", text="Fastpris däckbyte", unit_price=D("500"), discount_percent=0)
    kinds = [(l.kind, l.quantity, l.unit_price, l.discount_percent) for l in order.lines]
    assert kinds == [
        ("article", D(2), D("200.00"), D("10")), ("labour", D("1.5"), D("800.00"), D("5")),
        ("article", D("4.5"), D("120.00"), D("10")), ("labour", D("0.5"), D("900.00"), D("5")),
        ("fixed_price", D(1), D("500"), D(0)),
    ]
    settings = h.settings(session)
    t = orders.order_totals(order, settings)
    # 360 + 1140 + 486 + 427.50 + 500 = 2913.50; env fee 5 % of labour 1567.50 = 78.38
    assert t.net == D("2991.88")
    assert t.vat == D("747.97")


@pytest.mark.parametrize("kwargs, field", [
    ({"quantity": -1}, "quantity"),
    ({"discount_percent": 101}, "discount_percent"),
    ({"discount_percent": -1}, "discount_percent"),
    ({"unit_price": -5}, "unit_price"),
    ({"quantity": "abc"}, "quantity"),
])
def test_bad_lines_refused(session, kwargs, field):
    kwargs = dict(kwargs)
    order = _order(session)
    with pytest.raises(DomainError) as exc:
        orders.add_line(session, order, "fixed_price", text="X", unit_price=kwargs.pop("unit_price", 10), **kwargs)
    assert exc.value.field == field
    assert order.lines == []


def test_inactive_customer_refused(session):
    cust = h.customer(session, active=False)
    with pytest.raises(DomainError, match="inactive"):
        orders.create_order(session, cust)


def test_finalise_invoice_numbers_ocr_snapshot_fee_rounding(session):
    term = PaymentTerm(name="20 dagar med avgift", days=20, invoice_fee=D("29.00"))
    cust = h.customer(session, payment_term=term)
    order = _order(session, cust, customer_order_number="PO-77")
    orders.add_line(session, order, "free_text", text="Arbete", quantity=1, unit_price=D("99.30"), vat_percent=25)
    session.commit()
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session, sales__env_fee_percent="0"))
    session.commit()
    assert invoice.number == "10001" and invoice.ocr == "1000173" and ocr_valid(invoice.ocr)
    assert invoice.due_date == TODAY + dt.timedelta(days=20)
    assert [l.kind for l in invoice.lines] == ["free_text", "invoice_fee"]
    # (99.30 + 29.00) × 1.25 = 160.375 -> VAT 32.08 (per rate), gross 160.38, rounded to 160
    assert (invoice.net_total, invoice.vat_total, invoice.rounding, invoice.total) == (
        D("128.30"), D("32.08"), D("-0.38"), D("160.00"))
    assert invoice.customer_order_number == "PO-77"
    assert order.status == "invoiced" and order.invoice_id == invoice.id
    # snapshot: later register changes never change the invoice
    cust.name = "Nytt Namn AB"
    cust.addresses[0].street = "Annan väg 9"
    session.commit()
    session.expire_all()
    again = session.get(Invoice, invoice.id)
    assert again.customer_name == "Bygg AB" and again.billing_address[0] == "Storgatan 1"
    # next invoice gets the next number
    order2 = _order(session, cust)
    orders.add_line(session, order2, "free_text", text="Mer", unit_price=D(10))
    assert invoicing.finalise_invoice(session, order2, None, TODAY, h.settings(session)).number == "10002"


def test_finalise_refusals(session):
    settings = h.settings(session)
    empty = _order(session)
    with pytest.raises(DomainError, match="no lines"):
        invoicing.finalise_invoice(session, empty, None, TODAY, settings)
    cust = h.customer(session, "2002", "Krav AB", vehicle_required=True, cost_center_required=True,
                      order_number_required=True)
    order = _order(session, cust)
    orders.add_line(session, order, "free_text", text="X", unit_price=D(10))
    for field, fix in (("vehicle", lambda: setattr(order, "vehicle", h.vehicle(session, cust))),
                       ("cost_center", lambda: setattr(order, "cost_center", CostCenter(code="10", name="Verkstad"))),
                       ("customer_order_number", lambda: setattr(order, "customer_order_number", "PO1"))):
        with pytest.raises(DomainError) as exc:
            invoicing.finalise_invoice(session, order, None, TODAY, settings)
        assert exc.value.field == field
        fix()
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    session.commit()
    with pytest.raises(DomainError, match="already invoiced"):  # double click
        invoicing.finalise_invoice(session, order, None, TODAY, settings)
    assert invoice.number == "10001"
    cust.active = False
    order3 = Order(customer=cust, kind="order", status="in_progress")
    orders.add_line(session, order3, "free_text", text="X", unit_price=D(10))
    with pytest.raises(DomainError, match="inactive"):
        invoicing.finalise_invoice(session, order3, None, TODAY, settings)


def test_setting_requires_order_number(session):
    order = _order(session)
    orders.add_line(session, order, "free_text", text="X", unit_price=D(10))
    with pytest.raises(DomainError) as exc:
        invoicing.finalise_invoice(session, order, None, TODAY,
                                   h.settings(session, customer__require_order_number=True))
    assert exc.value.field == "customer_order_number"


def test_finalised_invoice_is_immutable(session):
    order = _order(session)
    orders.add_line(session, order, "free_text", text="X", unit_price=D(10))
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session))
    session.commit()
    invoice.total = D("1.00")
    with pytest.raises(DomainError, match="cannot be changed"):
        session.flush()
    session.rollback()
    invoice.lines[0].unit_price = D(0)
    with pytest.raises(DomainError, match="cannot be changed"):
        session.flush()
    session.rollback()
    session.delete(invoice)
    with pytest.raises(DomainError, match="cannot be deleted"):
        session.flush()
    session.rollback()
    invoice.print_count += 1  # printing a copy is the one change allowed
    session.commit()


def test_reverse_charge_and_export(session):
    session.get(Country, "DE").eu_member = True
    de = h.customer(session, "3003", "Werkstatt GmbH", None, country_code="DE", vat_number="DE136695976")
    us = h.customer(session, "3004", "Garage Inc", None, country_code="US")
    assert invoicing.vat_treatment(de) == "reverse_charge"
    assert invoicing.vat_treatment(us) == "export"
    de_no_vat = h.customer(session, "3005", "Privat DE", None, country_code="DE")
    assert invoicing.vat_treatment(de_no_vat) == "domestic"
    order = _order(session, de)
    orders.add_line(session, order, "article", article=h.article(session))
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session))
    assert invoice.vat_treatment == "reverse_charge" and invoice.vat_total == 0
    assert all(l.vat_percent == 0 for l in invoice.lines)


def test_warranty_line_goes_to_warranty_payer(session):
    cust = h.customer(session)
    maker = h.customer(session, "9000", "Volvo Garanti AB", "5560125790")
    order = _order(session, cust)
    orders.add_line(session, order, "free_text", text="Kundens del", unit_price=D(100))
    orders.add_line(session, order, "free_text", text="Garanti", unit_price=D(400), charge_to="warranty",
                    warranty_payer=maker)
    with pytest.raises(DomainError):
        orders.add_line(session, order, "free_text", text="Goodwill", unit_price=D(1), charge_to="goodwill")
    invoices = invoicing.finalise_orders(session, [order], None, TODAY, h.settings(session, sales__env_fee_percent="0"))
    assert [(i.customer_name, i.net_total) for i in invoices] == [("Bygg AB", D(100)), ("Volvo Garanti AB", D(400))]


def test_payer_pays(session):
    cust = h.customer(session)
    payer = h.customer(session, "4004", "Leasing AB", "5560125790")
    order = _order(session, cust, vehicle=h.vehicle(session, cust))
    orders.change_payer(order, payer)
    orders.add_line(session, order, "free_text", text="X", unit_price=D(10))
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session))
    assert invoice.customer_name == "Leasing AB" and invoice.vehicle_registration == "ABC123"
    assert order.customer == cust


def test_credit_notes_never_exceed_invoice(session):
    order = _order(session)
    orders.add_line(session, order, "free_text", text="A", quantity=3, unit_price=D(100))
    orders.add_line(session, order, "free_text", text="B", quantity=1, unit_price=D(50))
    settings = h.settings(session, sales__env_fee_percent="0")
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    session.commit()
    a, b = invoice.lines
    note = invoicing.create_credit_note(session, invoice, None, TODAY, settings, {a.id: D(2)})
    session.commit()
    assert note.number == "K50001" and note.credited_invoice_id == invoice.id and note.net_total == D(200)
    with pytest.raises(DomainError, match="at most 1"):
        invoicing.create_credit_note(session, invoice, None, TODAY, settings, {a.id: D(2)})
    session.rollback()
    rest = invoicing.create_credit_note(session, invoice, None, TODAY, settings)  # all that is left
    session.commit()
    assert [(l.text, l.quantity) for l in rest.lines] == [("A", D(1)), ("B", D(1))]
    with pytest.raises(DomainError, match="Nothing is left"):
        invoicing.create_credit_note(session, invoice, None, TODAY, settings)
    session.rollback()
    assert session.scalar(select(NumberSeries.next_number).where(NumberSeries.name == "credit_note")) == 50003


def test_credit_note_in_invoice_series_by_setting(session):
    order = _order(session)
    orders.add_line(session, order, "free_text", text="A", unit_price=D(100))
    settings = h.settings(session, sales__credit_note_own_series=False)
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    note = invoicing.create_credit_note(session, invoice, None, TODAY, settings)
    assert (invoice.number, note.number) == ("10001", "10002")


def test_manual_credit_note(session):
    cust = h.customer(session)
    settings = h.settings(session)
    with pytest.raises(DomainError) as exc:
        invoicing.create_manual_credit_note(session, cust, "100", "25", "30", "Prisjustering", None, TODAY, settings)
    assert exc.value.field == "account"
    note = invoicing.create_manual_credit_note(session, cust, "100,00", "25", "3010", "Prisjustering", None,
                                               TODAY, settings)
    assert note.kind == "credit_note" and note.total == D(125) and note.lines[0].account == "3010"


def test_collective_invoicing_is_all_or_nothing(session):
    settings = h.settings(session)
    a = h.customer(session, "5001", "Alfa AB")
    b = h.customer(session, "5002", "Beta AB", order_number_required=True)
    cc1, cc2 = CostCenter(code="1", name="Ett"), CostCenter(code="2", name="Två")
    made = []
    for cust, cc in ((a, cc1), (a, cc1), (a, cc2), (b, None)):
        order = _order(session, cust, cost_center=cc)
        orders.add_line(session, order, "free_text", text="X", unit_price=D(100))
        order.status = "ready"
        made.append(order)
    session.commit()
    ready = list(session.scalars(invoicing.ready_orders_query()))
    assert len(ready) == 4
    assert len(invoicing.plan_collective(session, ready, False, settings)) == 2
    groups = invoicing.plan_collective(session, ready, True, settings)
    assert [(g.payer_name, len(g.order_ids)) for g in groups] == [
        ("5001 Alfa AB", 2), ("5001 Alfa AB", 1), ("5002 Beta AB", 1)]
    series = select(NumberSeries.next_number).where(NumberSeries.name == "invoice")
    before = session.scalar(series)
    seen = []
    # the last group fails: the run raises with its payer, the caller rolls back, nothing is kept
    with pytest.raises(DomainError, match="^5002 Beta AB: .*order number"):
        invoicing.run_collective(session, groups, None, TODAY, settings, progress=lambda d, t: seen.append(d))
    session.rollback()
    assert seen == [1, 2]
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert session.scalar(select(func.count()).select_from(Order).where(Order.status == "invoiced")) == 0
    assert session.scalar(series) == before  # no invoice number consumed

    seen.clear()
    result = invoicing.run_collective(session, groups[:2], None, TODAY, settings, progress=lambda d, t: seen.append(d))
    session.commit()
    assert result.invoices == ["10001", "10002"] and seen == [1, 2]
    # one collective-invoice number (samlingsfakturanummer, 20.24) per run, on each of its invoices;
    # the failed run above took none (its number was rolled back with it)
    assert result.collective_number == "SFA1"
    assert set(session.scalars(select(Invoice.collective_number))) == {"SFA1"}
    assert invoicing.collective_term(" sfa 1 ") == "SFA1"
    statuses = dict(session.execute(select(Order.customer_id, func.count()).where(Order.status == "invoiced")
                                    .group_by(Order.customer_id)).all())
    assert statuses == {a.id: 3}
    assert session.scalar(select(NumberSeries.next_number).where(NumberSeries.name == "invoice")) == 10003
    with pytest.raises(DomainError, match="not ready for invoicing"):  # a second run finds them invoiced
        invoicing.run_collective(session, groups[:1], None, TODAY, settings)
    session.rollback()


def test_delete_old_documents_never_touches_invoices(session):
    cust = h.customer(session)
    old = dt.date(2024, 1, 1)
    quote = orders.create_order(session, cust, kind="quote", today=old)
    orders.add_line(session, quote, "free_text", text="X", unit_price=D(1))
    invoiced = orders.create_order(session, cust, today=old)
    orders.add_line(session, invoiced, "free_text", text="X", unit_price=D(1))
    invoicing.finalise_invoice(session, invoiced, None, old, h.settings(session))
    recent = orders.create_order(session, cust, kind="quote", today=TODAY)
    session.commit()
    with pytest.raises(DomainError):
        orders.preview_old_documents(session, 0, TODAY)
    assert [o.id for o in orders.preview_old_documents(session, 12, TODAY)] == [quote.id]
    assert orders.delete_old_documents(session, 12, TODAY) == 1
    session.commit()
    assert {o.id for o in session.scalars(select(Order))} == {invoiced.id, recent.id}
    assert session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_copy_quote_to_order_and_billing_lines(session):
    cust = h.customer(session)
    quote = orders.create_order(session, cust, kind="quote", today=TODAY)
    orders.add_line(session, quote, "article", article=h.article(session))
    order = orders.copy_to_order(session, quote)
    assert quote.status == "accepted" and order.kind == "order" and len(order.lines) == 1
    same = orders.add_billing_lines(session, cust, [{"text": "Hyrbil 3 dygn", "quantity": D(3),
                                                     "unit_price": D("450.00"), "vat_percent": D(25)}], None, order)
    assert same is order and order.lines[-1].text == "Hyrbil 3 dygn"
    new = orders.add_billing_lines(session, cust, [{"text": "Lånebil", "quantity": D(1),
                                                    "unit_price": D("0"), "vat_percent": D(25)}], None)
    assert new is not order and new.customer == cust and new.status == "in_progress"


@pytest.mark.pg
def test_concurrent_finalisation_gives_consecutive_numbers(app):
    with app.app_context():
        settings = h.settings(db.session)
        cust = h.customer(db.session)
        ids = []
        for i in range(12):
            order = orders.create_order(db.session, cust, today=TODAY)
            orders.add_line(db.session, order, "free_text", text=f"X{i}", unit_price=D(10))
            ids.append(order)
        # one order whose finalisation fails after taking a number (its total would be negative,
        # found once the invoice is numbered and summed): its number must come back
        bad = orders.create_order(db.session, cust, today=TODAY)
        orders.add_line(db.session, bad, "free_text", text="Rabatt", unit_price=D(-100))
        db.session.commit()
        ids = [o.id for o in ids] + [bad.id]
    errors, refused, barrier = [], [], threading.Barrier(len(ids))

    def worker(order_id):
        with app.app_context():
            try:
                order = db.session.get(Order, order_id)
                barrier.wait()
                invoicing.finalise_invoice(db.session, order, None, TODAY, settings)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                refused.append((order_id, exc.field))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert refused == [(ids[-1], "lines")]  # the negative total, refused after the number was taken
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Invoice.sequence)))
        assert numbers == list(range(10001, 10001 + 12))


def test_the_nightly_clean_up_deletes_by_the_screens_rule_only_when_the_setting_asks(session):
    """10.35 every night (services.platform.tasks.delete_old_documents): off by default; on, the
    months of the setting and the rule of the manual screen (invoiced orders never)."""
    cust = h.customer(session)
    old, older = orders.create_order(session, cust, kind="quote", today=dt.date(2025, 6, 1)), \
        orders.create_order(session, cust, kind="quote", today=dt.date(2024, 1, 1))
    invoiced = orders.create_order(session, cust, today=dt.date(2024, 1, 1))
    orders.add_line(session, invoiced, "free_text", text="X", unit_price=D(1))
    invoicing.finalise_invoice(session, invoiced, None, dt.date(2024, 1, 1), h.settings(session))
    session.commit()
    assert orders.delete_old_documents_nightly(session, TODAY, h.settings(session)) == 0
    assert session.scalar(select(func.count()).select_from(Order)) == 3
    on = h.settings(session, sales__delete_old_automatically=True, sales__delete_after_months=24)
    assert orders.delete_old_documents_nightly(session, dt.date(2026, 12, 3), on) == 1
    session.expire_all()
    assert {o.id for o in session.scalars(select(Order))} == {old.id, invoiced.id}
    on["sales.delete_after_months"] = 12
    assert orders.delete_old_documents_nightly(session, dt.date(2026, 12, 3), on) == 1
    assert orders.delete_old_documents_nightly(session, dt.date(2026, 12, 3), on) == 0  # a second run: nothing left
    session.expire_all()
    assert [o.id for o in session.scalars(select(Order))] == [invoiced.id]
