"""Bokföring > Momsrapport and Dagsrapport: the rights (ledger.reports to see, ledger.vat_settle
to settle), the boxes on the page, PDF (read with pypdf) and XLSX (openpyxl) downloads, the
settlement from the page (voucher and lock, a second one refused), bad periods next to the field."""
import datetime as dt
import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from models import Voucher, db
from services.ledger.vouchers import book_voucher, ensure_year, locked_through
from tests.factories import make_user

VAT = "/admin/ledger/vat-report/"
DAILY = "/admin/ledger/daily-sales/"


def _books(app):
    with app.app_context():
        ensure_year(db.session, dt.date(2026, 3, 1))
        book_voucher(db.session, "M", dt.date(2026, 3, 2), [("1910", "1250.00"), ("3001", "-1000.00"),
                                                             ("2611", "-250.00")], "Kontantförsäljning", None)
        book_voucher(db.session, "M", dt.date(2026, 3, 9), [("4010", "400.00"), ("2641", "100.00"),
                                                             ("2440", "-500.00")], "Inköp", None)
        db.session.commit()


def test_the_vat_report_page_its_files_and_the_settlement(app, client, auth):
    _books(app)
    make_user(app, "revisor", {"ledger.reports"})
    make_user(app, "ekonom", {"ledger.reports", "ledger.vat_settle"})
    make_user(app, "saljare", {"sales.view"})
    auth.login("saljare")
    assert client.get(VAT + "?period=2026-03").status_code == 403
    assert client.get(DAILY).status_code == 403
    auth.logout()

    auth.login("revisor")
    page = client.get(VAT + "?period=2026-03").get_data(as_text=True)
    assert 'id="vat-boxes"' in page and "Momsrapport" in page
    assert "Momspliktig försäljning" in page
    assert re.search(r'id="box-05">.*?1\s000,00', page, re.S) and re.search(r'id="box-49"[^>]*>.*?150,00', page, re.S)
    assert 'id="vat-settle-form"' not in page  # no right to settle
    token = auth.token(VAT + "?period=2026-03")
    assert client.post(VAT + "settle", data={"period": "2026-03", "csrf_token": token}).status_code == 403
    with client.get(VAT + "?period=2026-03&format=pdf") as pdf:
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Momsrapport 2026-03" in text and "Ingående moms att dra av" in text and "150,00" in text
    with client.get(VAT + "?period=2026-Q1&format=xlsx") as xlsx:
        assert xlsx.status_code == 200 and "momsrapport-2026-Q1.xlsx" in xlsx.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        book.close()
    assert rows[0] == ("Ruta", "Benämning", "Belopp") and rows[1][0] == "05" and float(rows[1][2]) == 1000.0
    bad = client.get(VAT + "?period=2026-13").get_data(as_text=True)
    assert 'id="period-error"' in bad and "En månad är 1 till 12" in bad
    auth.logout()

    auth.login("ekonom")
    page = client.get(VAT + "?period=2026-03").get_data(as_text=True)
    assert 'id="vat-settle-form"' in page
    token = auth.token(VAT + "?period=2026-03")
    done = client.post(VAT + "settle", data={"period": "2026-03", "csrf_token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Momsen för 2026-03 är avräknad" in html and 'id="vat-settled"' in html
    with app.app_context():
        assert locked_through(db.session) == dt.date(2026, 3, 31)
        voucher = db.session.scalar(select(Voucher).where(Voucher.source_kind == "vat_settlement"))
        assert {r.account_number: str(r.amount) for r in voucher.rows} == {
            "2611": "250.00", "2641": "-100.00", "2650": "-150.00"}
    again = client.post(VAT + "settle", data={"period": "2026-Q1", "csrf_token": token}, follow_redirects=True)
    assert "redan avräknad" in again.get_data(as_text=True)


def test_the_daily_sales_page_and_its_files(app, client, auth):
    make_user(app, "revisor", {"ledger.reports"})
    auth.login("revisor")
    page = client.get(DAILY + "?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert "Dagsrapport" in page and 'id="daily-empty"' in page
    bad = client.get(DAILY + "?from=2026-03-31&to=2026-03-01").get_data(as_text=True)
    assert 'id="to-error"' in bad and "innan den börjar" in bad
    with client.get(DAILY + "?from=2026-03-01&to=2026-03-31&format=pdf") as pdf:
        assert pdf.status_code == 200
        assert "Dagsrapport" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    with client.get(DAILY + "?from=2026-03-01&to=2026-03-31&format=xlsx") as xlsx:
        book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        book.close()
    assert rows[0][:2] == ("Datum", "Fakturerat netto") and rows[-1][0] == "Totalt"


def test_the_running_month_is_not_settled_from_the_page(app, client, auth):
    """The button of a period not ended yet is disabled with the reason beside it; a post anyway is
    refused beside the button (400), nothing booked, nothing locked; an ended period's form asks
    for confirmation naming the period and the day the books get locked through."""
    _books(app)
    today = dt.date.today()
    period = f"{today.year}-{today.month:02d}"
    with app.app_context():
        ensure_year(db.session, today)
        book_voucher(db.session, "M", today, [("1910", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                     "Kontant", None)
        db.session.commit()
    make_user(app, "ekonom", {"ledger.reports", "ledger.vat_settle"})
    auth.login("ekonom")
    page = client.get(VAT + "?period=" + period).get_data(as_text=True)
    assert re.search(r'<button[^>]*id="vat-settle"[^>]*disabled', page)
    assert 'id="vat-settle-reason"' in page and "Perioden är inte slut än" in page
    token = auth.token(VAT + "?period=" + period)
    refused = client.post(VAT + "settle", data={"period": period, "csrf_token": token})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Perioden är inte slut än" in html and 'id="vat-settle"' in html
    with app.app_context():
        assert locked_through(db.session) is None
        assert db.session.scalar(select(Voucher).where(Voucher.source_kind == "vat_settlement")) is None
    ended = client.get(VAT + "?period=2026-03").get_data(as_text=True)
    assert not re.search(r'<button[^>]*id="vat-settle"[^>]*disabled', ended)
    assert re.search(r'data-confirm="Bokföra momsavräkningen för 2026-03\? Bokföringen låses till och med '
                     r'2026-03-31', ended) and "confirm(this.dataset.confirm)" in ended


def test_a_blank_period_asks_for_a_period(app, client, auth):
    """Issue 13 item 8: a blank period says "Välj en period.", not " är ingen period; …"."""
    make_user(app, "ekonom", {"ledger.reports", "ledger.vat_settle"})
    auth.login("ekonom")
    page = client.get(VAT + "?period=").get_data(as_text=True)
    assert "Välj en period." in page and "är ingen period" not in page
    token = auth.token(VAT + "?period=2026-03")
    settled = client.post(VAT + "settle", data={"csrf_token": token, "period": "  "}).get_data(as_text=True)
    assert "Välj en period." in settled and "är ingen period" not in settled
