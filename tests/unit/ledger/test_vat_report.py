"""VAT report (momsrapport, 20.10), VAT settlement and the daily sales report (dagsrapport,
20.21) from the ledger (services.ledger.vat, services.ledger.daily_sales, reports.ledger): the
boxes of a small set of invoices computed by hand, the settlement voucher and the period lock,
a booking into the settled period refused, the PDF read back with pypdf and the XLSX with
openpyxl."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from models import Country, Invoice, Voucher
from reports.ledger import ledger_reports
from services.ledger import LedgerError, daily_sales, vat
from services.ledger.payments import register_payment
from services.ledger.vouchers import book_voucher, ensure_year, locked_through
from services.sales import invoicing, orders
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

NOV = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def _settings(session):
    return h.settings(session, sales__env_fee_percent="0", sales__round_to_krona=False)


def _invoice(session, customer, day, lines):
    order = orders.create_order(session, customer, None, today=day)
    for kind, kw in lines:
        orders.add_line(session, order, kind, **kw)
    return invoicing.finalise_invoice(session, order, None, day, _settings(session))


def _month(session):
    """November 2026, by hand (no environmental fee, no rounding, no invoice fee):

    invoice 1, 3 Nov: goods 2 x 200 at 25 % (3001), labour 1.5 h x 800 at 25 % (3041), 100 at
      12 % (3002), 50 at 6 % (3003): net 1750, VAT 400 + 12 + 3, gross 2165
    invoice 2, 10 Nov: labour 1200 at 25 %: net 1200, VAT 300, gross 1500; credited in full the
      same day (credit note: -1200, -300)
    invoice 3, 12 Nov, a German company with a VAT number (reverse charge): goods 200 (3108,
      box 35), labour 1200 (3308, box 39), no VAT
    invoice 4, 12 Nov, a US company (export): goods 200 (3105, box 36), labour 1200 (3305, box 40)
    a purchase, 20 Nov: 800 + input VAT 200 (2641, box 48)
    an invoice of 15 October (labour 1200, VAT 300): outside the period

    boxes: 05 = 1750 + 1200 - 1200 = 1750; 10 = 400 + 300 - 300 = 400; 11 = 12; 12 = 3;
    35 = 200; 36 = 200; 39 = 1200; 40 = 1200; 42 = 0; 48 = 200; 49 = 400 + 12 + 3 - 200 = 215"""
    ensure_year(session, NOV[0])
    session.get(Country, "DE").eu_member = True
    se = h.customer(session)
    de = h.customer(session, "3003", "Werkstatt GmbH", None, country_code="DE", vat_number="DE136695976")
    us = h.customer(session, "3004", "Garage Inc", None, country_code="US")
    _invoice(session, se, dt.date(2026, 10, 15), [("labour", {"labour": h.labour(session, code="OKT")})])
    first = _invoice(session, se, dt.date(2026, 11, 3), [
        ("article", {"article": h.article(session, number="A-1"), "quantity": 2}),
        ("labour", {"labour": h.labour(session, code="L-1")}),
        ("free_text", {"text": "Vindrutetorkare", "unit_price": D("100"), "vat_percent": 12}),
        ("free_text", {"text": "Handbok", "unit_price": D("50"), "vat_percent": 6})])
    second = _invoice(session, se, dt.date(2026, 11, 10), [("labour", {"labour": h.labour(session, code="L-2")})])
    invoicing.create_credit_note(session, second, None, dt.date(2026, 11, 10), _settings(session))
    for n, cust in ((3, de), (4, us)):
        _invoice(session, cust, dt.date(2026, 11, 12), [
            ("article", {"article": h.article(session, number=f"A-{n}")}),
            ("labour", {"labour": h.labour(session, code=f"L-{n}"), "quantity": 1})])
    book_voucher(session, "M", dt.date(2026, 11, 20), [("4010", "800.00"), ("2641", "200.00"), ("2440", "-1000.00")],
                 "Inköp reservdelar", None)
    session.commit()
    return first, second


EXPECTED = {"05": "1750.00", "10": "400.00", "11": "12.00", "12": "3.00", "35": "200.00", "36": "200.00",
            "39": "1200.00", "40": "1200.00", "42": "0.00", "48": "200.00", "49": "215.00"}


def test_the_boxes_of_a_hand_computed_month(session):
    first, _second = _month(session)
    assert (first.net_total, first.vat_total, first.total) == (D("1750.00"), D("415.00"), D("2165.00"))
    report = vat.vat_report(session, *NOV)
    assert report.boxes == {box: D(v) for box, v in EXPECTED.items()}
    assert report.to_pay == D("215.00") and report.settlement is None
    by_account = {line.number: (line.box, line.amount) for line in report.accounts}
    assert by_account["2611"] == ("10", D("-400.00")) and by_account["2641"] == ("48", D("200.00"))
    assert by_account["3041"] == ("05", D("-1200.00"))  # 1200 invoiced and credited, 1200 of invoice 1
    # October alone: one invoice, 1200 + 300
    october = vat.vat_report(session, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (october.boxes["05"], october.boxes["10"], october.boxes["49"]) == (D("1200.00"), D("300.00"), D("300.00"))
    # the quarter is the sum of its months
    quarter = vat.vat_report(session, *vat.parse_period("2026-Q4")[1:])
    assert quarter.boxes["05"] == D("2950.00") and quarter.boxes["49"] == D("515.00")
    assert vat.vat_report(session, dt.date(2026, 2, 1), dt.date(2026, 2, 28)).empty


def test_input_vat_above_output_vat_is_to_get_back(session):
    ensure_year(session, NOV[0])
    book_voucher(session, "M", dt.date(2026, 11, 5), [("5410", "4000.00"), ("2641", "1000.00"), ("2440", "-5000.00")],
                 "Verktyg", None)
    book_voucher(session, "M", dt.date(2026, 11, 6), [("1910", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                 "Kontant", None)
    report = vat.vat_report(session, *NOV)
    assert (report.boxes["05"], report.boxes["10"], report.boxes["48"], report.boxes["49"]) == (
        D("100.00"), D("25.00"), D("1000.00"), D("-975.00"))


def test_the_settlement_moves_the_vat_to_2650_and_locks_the_period(session):
    _month(session)
    voucher = vat.settle(session, *NOV, None, _settings(session))
    session.commit()
    rows = {r.account_number: r.amount for r in voucher.rows}
    assert rows == {"2611": D("400.00"), "2621": D("12.00"), "2631": D("3.00"), "2641": D("-200.00"),
                    "2650": D("-215.00")}
    assert (voucher.date, voucher.source_kind, voucher.series) == (NOV[1], "vat_settlement", "M")
    assert voucher.text == "VAT settlement 2026-11"
    assert locked_through(session) == NOV[1]
    # the report is unchanged by its own settlement, and says it is settled
    report = vat.vat_report(session, *NOV)
    assert report.boxes["49"] == D("215.00") and report.settlement.id == voucher.id
    # settling twice is refused; so is a quarter holding the settled month
    with pytest.raises(LedgerError, match="settled already") as exc:
        vat.settle(session, *NOV, None)
    assert exc.value.field == "period"
    with pytest.raises(LedgerError, match="settled already"):
        vat.settle(session, *vat.parse_period("2026-Q4")[1:], None)
    # a booking into the settled period is refused (the service and the database)
    with pytest.raises(LedgerError, match="locked through 2026-11-30"):
        book_voucher(session, "M", dt.date(2026, 11, 25), [("1910", "10.00"), ("1930", "-10.00")], "Sent", None)
    session.rollback()
    customer = h.customer(session, "3005", "Sen Kund AB")
    with pytest.raises(LedgerError, match="locked"):
        _invoice(session, customer, dt.date(2026, 11, 28), [("labour", {"labour": h.labour(session, code="SEN")})])
    session.rollback()
    # December is open and settles on its own
    book_voucher(session, "M", dt.date(2026, 12, 2), [("1910", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                 "Kontant", None)
    december = vat.settle(session, dt.date(2026, 12, 1), dt.date(2026, 12, 31), None, today=dt.date(2027, 1, 12))
    session.commit()
    assert {r.account_number: r.amount for r in december.rows} == {"2611": D("25.00"), "2650": D("-25.00")}
    assert locked_through(session) == dt.date(2026, 12, 31)


def test_a_settlement_is_refused_without_vat_and_in_a_locked_period(session):
    ensure_year(session, NOV[0])
    with pytest.raises(LedgerError, match="No VAT was booked in 2026-11"):
        vat.settle(session, *NOV, None)
    book_voucher(session, "M", dt.date(2026, 11, 6), [("1910", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                 "Kontant", None)
    from services.ledger.vouchers import lock_through

    lock_through(session, dt.date(2026, 11, 1), None)
    session.commit()
    with pytest.raises(LedgerError, match="locked through 2026-11-30"):
        vat.settle(session, *NOV, None)
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.source_kind == "vat_settlement")) == 0


def test_a_period_that_has_not_ended_is_never_settled(session):
    """Settling locks the books through the period's last day: the running month (or its last day
    itself) is refused, nothing booked, nothing locked; the day after it settles."""
    ensure_year(session, dt.date(2026, 12, 1))
    book_voucher(session, "M", dt.date(2026, 12, 2), [("1910", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                 "Kontant", None)
    session.commit()
    december = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    for today in (dt.date(2026, 12, 4), dt.date(2026, 12, 31)):
        with pytest.raises(LedgerError, match="has not ended yet: its VAT can be settled from 2027-01-01") as exc:
            vat.settle(session, *december, None, today=today)
        assert exc.value.field == "settle"
        session.rollback()
    # a quarter holding the running month too
    with pytest.raises(LedgerError, match="has not ended yet"):
        vat.settle(session, *vat.parse_period("2026-Q4")[1:], None, today=dt.date(2026, 12, 4))
    session.rollback()
    assert locked_through(session) is None
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.source_kind == "vat_settlement")) == 0
    assert vat.settle(session, *december, None, today=dt.date(2027, 1, 1)).date == december[1]
    assert locked_through(session) == december[1]


def test_a_customer_loss_lowers_box_05_and_box_10_in_its_month(session):
    """By hand: an invoice of 21 May, 5 x 200 goods at 25 % = 1 000 + 250 VAT, written off in full
    on 30 September (konstaterad kundförlust): September's box 05 is -1 000, box 10 -250, box 49
    -250; May keeps its sale (05 1 000, 10 250); the settlement moves only the VAT (2611 250)."""
    from services.ledger.write_off import write_off
    from tests.unit.ledger import dunning_helpers as dh

    inv = dh.invoice(session, quantity=5)
    assert (inv.net_total, inv.vat_total) == (D("1000.00"), D("250.00"))
    write_off(session, inv, None, dt.date(2026, 9, 30), "Konkurs")
    session.commit()
    september = vat.vat_report(session, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert (september.boxes["05"], september.boxes["10"], september.boxes["49"]) == (
        D("-1000.00"), D("-250.00"), D("-250.00"))
    assert {(l.number, l.box, l.amount) for l in september.accounts} == {
        ("2611", "10", D("250.00")), ("6351", "05", D("1000.00"))}
    may = vat.vat_report(session, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert (may.boxes["05"], may.boxes["10"]) == (D("1000.00"), D("250.00"))
    assert vat.vat_report(session, dt.date(2026, 1, 1), dt.date(2026, 12, 31)).boxes["05"] == D("0.00")
    settled = vat.settle(session, dt.date(2026, 9, 1), dt.date(2026, 9, 30), None, today=dt.date(2026, 10, 5))
    assert {r.account_number: r.amount for r in settled.rows} == {"2611": D("-250.00"), "2650": D("250.00")}


def test_a_customer_loss_of_an_invoice_partly_without_vat_lowers_box_05_by_its_taxed_part(session):
    """400 goods at 25 % (VAT 100) and 100 at 0 %: 600 written off: VAT 100, 6351 500 of which
    400 taxed: box 05 -400, box 10 -100."""
    from services.ledger.write_off import write_off
    from tests.unit.ledger import dunning_helpers as dh

    inv = dh.invoice(session, extra=("100.00", "0"))
    write_off(session, inv, None, dt.date(2026, 9, 30), "Konkurs")
    september = vat.vat_report(session, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert (september.boxes["05"], september.boxes["10"]) == (D("-400.00"), D("-100.00"))


@pytest.mark.parametrize("text, kind, start, end", [
    ("2026-11", "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ("2024-02", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2026-q1", "quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (" 2026 ", "year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
])
def test_periods(text, kind, start, end):
    assert vat.parse_period(text) == (kind, start, end)
    assert vat.period_name(start, end) == text.strip().upper()


@pytest.mark.parametrize("text, message", [
    ("2026-13", "A month is 1 to 12"), ("2026-Q5", "A quarter is 1 to 4"), ("november", "is not a period"),
    ("", "is not a period"), ("0099", "between 1900 and 9999")])
def test_bad_periods_are_refused(text, message):
    with pytest.raises(LedgerError, match=message) as exc:
        vat.parse_period(text)
    assert exc.value.field == "period"


def test_the_daily_sales_report(session):
    first, second = _month(session)
    customer = first.customer
    register_payment(session, customer, dt.date(2026, 11, 10), "2165.00", "bankgiro", first.ocr, [(first, None)],
                     settings=_settings(session))
    third = _invoice(session, customer, dt.date(2026, 11, 10), [
        ("free_text", {"text": "Tvätt", "unit_price": D("400"), "vat_percent": 25})])
    register_payment(session, customer, dt.date(2026, 11, 10), "200.00", "swish", None, [(third, None)],
                     settings=_settings(session))
    session.commit()
    report = daily_sales.daily_sales(session, *NOV, _settings(session))
    days = {d.day: d for d in report.days}
    assert sorted(days) == [dt.date(2026, 11, 3), dt.date(2026, 11, 10), dt.date(2026, 11, 12)]
    d3 = days[dt.date(2026, 11, 3)]
    assert (d3.invoiced_net, d3.vat, d3.invoiced_gross, d3.credited_gross) == (
        D("1750.00"), {"25": D("400.00"), "12": D("12.00"), "6": D("3.00")}, D("2165.00"), D("0.00"))
    d10 = days[dt.date(2026, 11, 10)]
    # invoice 2 (1200 + 300) and the car wash (400 + 100); invoice 2 credited in full
    assert (d10.invoiced_net, d10.vat["25"], d10.invoiced_gross) == (D("1600.00"), D("400.00"), D("2000.00"))
    assert (d10.credited_net, d10.credited_gross) == (D("-1200.00"), D("-1500.00"))
    assert d10.payments == {"Bankgiro": D("2165.00"), "Swish": D("200.00")} and d10.payments_total == D("2365.00")
    d12 = days[dt.date(2026, 11, 12)]
    assert (d12.invoiced_net, d12.vat_total, d12.invoiced_gross) == (D("2800.00"), D("0.00"), D("2800.00"))
    assert report.methods == ["Bankgiro", "Swish"]
    total = report.totals
    assert (total.invoiced_net, total.invoiced_gross, total.credited_gross, total.payments_total) == (
        D("6150.00"), D("6965.00"), D("-1500.00"), D("2365.00"))
    with pytest.raises(LedgerError, match="before it starts"):
        daily_sales.daily_sales(session, NOV[1], NOV[0])


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdfs_and_workbooks(app, session):
    _month(session)
    report = vat.vat_report(session, *NOV)
    with app.test_request_context():
        pdf = ledger_reports.vat_pdf(report, _settings(session))
        text = _pdf_text(pdf)
        assert "VAT report 2026-11" in text and "Verkstad AB" in text
        assert "Input VAT to deduct" in text and "1,750.00" in text and "215.00" in text
        book = load_workbook(io.BytesIO(ledger_reports.vat_xlsx(report)), read_only=True)
        try:
            rows = list(book.active.iter_rows(values_only=True))
        finally:
            book.close()
        assert rows[0] == ("Box", "Description", "Amount")
        boxes = {r[0]: r[2] for r in rows[1:12]}
        assert {k: D(str(v)).quantize(D("0.01")) for k, v in boxes.items()} == {b: D(v) for b, v in EXPECTED.items()}
        sales = daily_sales.daily_sales(session, *NOV, _settings(session))
        text = _pdf_text(ledger_reports.daily_pdf(sales, _settings(session)))
        assert "Daily sales report" in text and "2026-11-03" in text and "2,165.00" in text
        book = load_workbook(io.BytesIO(ledger_reports.daily_xlsx(sales)), read_only=True)
        try:
            rows = list(book.active.iter_rows(values_only=True))
        finally:
            book.close()
        assert rows[0][:6] == ("Date", "Invoiced net", "VAT 25 %", "VAT 12 %", "VAT 6 %", "Invoiced gross")
        assert rows[1][0] == "2026-11-03" and D(str(rows[1][1])) == D("1750.00") and D(str(rows[1][5])) == D("2165.00")
        assert rows[-1][0] == "Total"
