"""A service advisor's order clicked through in Chromium: an order with an article, a labour
line and a package, finalised, its PDF opened, one line credited, both seen on the customer card."""
import io
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from models import Invoice, Order, db
from tests import sales_helpers as h
from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def _pick_ajax(page, field: str, text: str) -> None:
    """Choose in a Flask-Admin ajax select (select2 3.5)."""
    page.click(f"#s2id_{field} a.select2-choice")
    page.fill("#select2-drop input.select2-input", text)
    page.locator("#select2-drop .select2-result-label", has_text=text).first.click()


def _add_line(page, kind: str, search: str, quantity: str = "1") -> None:
    page.select_option("#line-kind", kind)
    page.fill("#item-search", search)
    page.wait_for_function(
        "s => Array.from(document.querySelectorAll('#item-select option')).some(o => o.textContent.includes(s))",
        arg=search)
    page.fill("#line-quantity", quantity)
    with page.expect_navigation():
        page.click("#add-line")


def test_order_to_invoice_to_credit_note(page, live_app):
    with live_app.app_context():
        cust = h.customer(db.session, "4711", "Solna Bygg AB", email="ekonomi@solnabygg.example")
        h.vehicle(db.session, cust, "ABC123")
        h.article(db.session, "OF-1", "Oljefilter", "200.00")
        h.labour(db.session, "DIAG", "Felsökning", "1", "900.00")
        h.package(db.session, "Oljebyte paket")
        db.session.commit()
        customer_id = cust.id

    login(page)
    page.goto("/admin/order/new/")
    page.select_option("#kind", "order", force=True)
    _pick_ajax(page, "customer", "Solna Bygg")
    _pick_ajax(page, "vehicle", "ABC123")
    page.fill("#customer_order_number", "PO-2026-11")
    shot(page, "sales-order-form")
    page.locator("input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/admin/order/details/.*"))

    _add_line(page, "article", "Oljefilter", "2")
    _add_line(page, "labour", "Felsökning")
    _add_line(page, "package", "Oljebyte")
    rows = page.locator("#order-lines tr.order-line")
    assert rows.count() == 4  # article, labour and the package's two lines

    # a refused line: the reason under the quantity, what was typed still there, nothing added
    page.select_option("#line-kind", "free_text")
    page.fill("#line-text", "Spolarvätska")
    page.fill("#line-quantity", "-2")
    with page.expect_navigation():
        page.click("#add-line")
    expect(page.locator("#line-error")).to_contain_text("Antalet kan inte vara negativt")
    expect(page.locator("#line-quantity")).to_have_value("-2")
    expect(page.locator("#line-text")).to_have_value("Spolarvätska")
    shot(page, "sales-line-error")
    assert page.locator("#order-lines tr.order-line").count() == 4
    texts = page.locator("#order-lines input[name=text]").evaluate_all("els => els.map(e => e.value)")
    assert texts == ["Oljefilter", "Felsökning", "Motorolja 5W-30", "Oljebyte"]
    # 400 + 900 + 540 + 450 = 2290 net; environmental fee 5 % of labour 1350 = 67.50
    assert page.inner_text("#total-net").replace("\xa0", " ") == "2 357,50 kr"
    shot(page, "sales-order-lines")

    with page.expect_navigation():
        page.click("#finalise")
    page.wait_for_url(re.compile(r".*/admin/invoice/details/.*"))
    title = page.inner_text("#invoice-title")
    with live_app.app_context():
        invoice = db.session.scalar(select(Invoice))
        number, invoice_id = invoice.number, invoice.id
        assert db.session.scalar(select(Order.status)) == "invoiced"
    assert number in title
    shot(page, "sales-invoice")

    # the PDF opens in a new tab; its text holds the number, OCR and the lines
    with page.context.expect_page() as new_tab:
        page.click("#invoice-pdf")
    pdf_page = new_tab.value
    pdf_page.wait_for_load_state()
    body = pdf_page.request.get(pdf_page.url).body()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert number in text and "Oljefilter" in text and "FAKTURA" in text
    pdf_page.close()

    with page.expect_navigation():
        page.click("#credit-invoice")
    page.fill("#qty-1", "1")
    expect(page.locator("#qty-1")).to_have_value("1")
    shot(page, "sales-credit-note")
    with page.expect_navigation():
        page.click("#credit-chosen")
    page.wait_for_url(re.compile(r".*/admin/invoice/details/.*"))
    with live_app.app_context():
        note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        assert note.credited_invoice_id == invoice_id and note.net_total == D("200.00")
        note_number = note.number
    expect(page.locator("#invoice-title")).to_have_text(f"Kreditnota {note_number}")
    assert number in page.inner_text("#credited-invoice")

    page.goto(f"/admin/customer/details/?id={customer_id}")
    page.click("#tab-link-invoices")
    invoices = page.inner_text("#customer-invoices")
    assert number in invoices and note_number in invoices
    page.click("#tab-link-orders")
    assert number in page.inner_text("#customer-orders")
    shot(page, "sales-customer-card")
    page.goto("/admin/order/?search=ABC123")
    assert "ABC123" in page.inner_text("table.model-list")
    shot(page, "sales-order-list")


def test_collective_invoicing_with_progress(page, live_app):
    from services.sales import orders

    with live_app.app_context():
        good = h.customer(db.session, "5001", "Alfa Åkeri AB")
        bad = h.customer(db.session, "5002", "Beta Bygg AB", order_number_required=True)
        for cust in (good, good, bad):
            order = orders.create_order(db.session, cust)
            orders.add_line(db.session, order, "free_text", text="Service", unit_price=D("1000"))
            order.status = "ready"
        db.session.commit()
        bad_id = bad.id
    login(page)
    page.goto("/admin/collective-invoicing/")
    page.click("#collective-preview")
    page.wait_for_selector("#collective-groups")
    assert page.locator("#collective-groups tbody tr").count() == 2
    # the button is enabled only once its handler is bound (an early click used to be lost)
    page.click("#collective-run")
    # a job (the live server's consumer runs it), all or nothing: Beta's missing order number fails it
    summary = page.locator("#collective-summary")
    expect(summary).to_have_text("5002 Beta Bygg AB: Kunden kräver kundens ordernummer på ordern.", timeout=60_000)
    expect(summary).to_have_class(re.compile("alert-danger"))
    expect(page.locator("#collective-job-link")).to_be_visible()
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
        db.session.get(Order, db.session.scalar(select(Order.id).where(Order.customer_id == bad_id))) \
            .customer_order_number = "PO-1"
        db.session.commit()
    page.click("#collective-run")
    expect(summary).to_have_text(re.compile(r"^2 fakturor skapade: 10001, 10002"), timeout=60_000)
    assert page.inner_text("#collective-progress") == "2 / 2"
    shot(page, "sales-collective")
    with live_app.app_context():
        assert [n for n, in db.session.execute(select(Invoice.number).order_by(Invoice.number))] == ["10001", "10002"]
        assert db.session.scalar(select(Order.status).where(Order.customer_id == bad_id)) == "invoiced"
