"""The budget grid and the report "budget vs outcome" (issue 12 item 12, 20.15): amounts typed as
Swedes type them, a bad cell shown beside itself with nothing saved, a year that does not exist,
XLSX out and in, the report as a page and XLSX; ledger.view reads, ledger.book saves."""
import datetime as dt
import io
import re
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import func, select

from models import Budget, db
from services.ledger.vouchers import Row, book_voucher, ensure_year
from services.platform.rights import DEFAULT_ROLES
from tests.factories import csrf_from, make_user

URL = "/admin/ledger/budget/"
REPORT = "/admin/ledger/budget-report/"


def _year(app) -> int:
    with app.app_context():
        year = ensure_year(db.session, dt.date(2026, 1, 1))
        db.session.commit()
        return year.id


def _budgets(app):
    with app.app_context():
        return {(b.account_number, b.month.month): b.amount for b in db.session.scalars(select(Budget))}


def test_type_the_grid_in_swedish_and_see_it_again(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    year_id = _year(app)
    auth.login("ebba")
    page = client.get(f"{URL}?year={year_id}").get_data(as_text=True)
    assert 'id="b-3001-0"' in page and "2026-12" in page
    token = csrf_from(page)
    answer = client.post(f"{URL}save", data={"csrf_token": token, "year_id": year_id, "b-3001-0": "1 250,50",
                                             "b-3001-1": "Infinity", "b-6990-2": ""})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert 'id="b-3001-1-error"' in text and "måste vara ett tal" in text
    assert 'value="1 250,50"' in text and 'value="Infinity"' in text  # what was typed stays
    assert _budgets(app) == {}
    assert client.post(f"{URL}save", data={"csrf_token": token, "year_id": year_id, "b-3001-0": "1 250,50",
                                           "b-6990-2": "300"}).status_code == 302
    assert _budgets(app) == {("3001", 1): D("1250.50"), ("6990", 3): D("300.00")}
    page = client.get(f"{URL}?year={year_id}").get_data(as_text=True)
    assert re.search(r'id="b-3001-0" value="1\s250,50"', page)
    # a year that does not exist
    missing = client.post(f"{URL}save", data={"csrf_token": token, "year_id": "999", "b-3001-0": "1"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Räkenskapsåret finns inte." in missing
    assert "Räkenskapsåret finns inte." in client.get(f"{URL}?year=999").get_data(as_text=True)
    assert len(_budgets(app)) == 2


def test_xlsx_out_and_in(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    year_id = _year(app)
    auth.login("ebba")
    token = csrf_from(client.get(URL).get_data(as_text=True))
    client.post(f"{URL}save", data={"csrf_token": token, "year_id": year_id, "b-3001-0": "100"})
    out = client.get(f"{URL}export?year={year_id}")
    assert out.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(out.get_data()))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "Konto" and sheet["C1"].value == "2026-01"
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "3001")
    sheet.cell(row, 3).value = 150.25
    sheet.cell(row, 4).value = "2 000"
    data = io.BytesIO()
    book.save(data)
    answer = client.post(f"{URL}import", data={"csrf_token": token, "year_id": year_id,
                                               "file": (io.BytesIO(data.getvalue()), "budget.xlsx")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "sparad" in answer.get_data(as_text=True)
    assert _budgets(app) == {("3001", 1): D("150.25"), ("3001", 2): D("2000.00")}
    sheet.cell(row, 4).value = "Infinity"
    data = io.BytesIO()
    book.save(data)
    answer = client.post(f"{URL}import", data={"csrf_token": token, "year_id": year_id,
                                               "file": (io.BytesIO(data.getvalue()), "budget.xlsx")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert f"D{row}" in answer.get_data(as_text=True) and "Inget importerades" in answer.get_data(as_text=True)
    assert _budgets(app)[("3001", 2)] == D("2000.00")
    not_xlsx = client.post(f"{URL}import", data={"csrf_token": token, "year_id": year_id,
                                                 "file": (io.BytesIO(b"hej"), "budget.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "inte en Excel-arbetsbok" in not_xlsx.get_data(as_text=True)


def test_the_report_as_a_page_and_xlsx(app, client, auth):
    make_user(app, "vera", {"ledger.view"})
    year_id = _year(app)
    with app.app_context():
        db.session.add(Budget(financial_year_id=year_id, account_number="3001", month=dt.date(2026, 3, 1),
                              amount=D("1000")))
        book_voucher(db.session, "M", dt.date(2026, 3, 9), [Row("1930", D("1500")), Row("3001", D("-1200")),
                                                            Row("2611", D("-300"))], "Försäljning", None)
        db.session.commit()
    auth.login("vera")
    page = client.get(f"{REPORT}?year={year_id}").get_data(as_text=True)
    assert "Budget mot utfall" in page
    block = re.search(r'<tbody id="report-3001">(.*?)</tbody>', page, re.S).group(1)
    assert re.search(r"1\s000,00", block) and re.search(r"1\s200,00", block) and "200,00" in block
    assert "-0,00" not in block  # a month without budget or outcome is 0,00, not minus zero
    xlsx = client.get(f"{REPORT}?year={year_id}&format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.get_data())).worksheets[0].iter_rows(values_only=True))
    march = next(r for r in rows if r[0] == "3001" and r[2] == "2026-03")
    assert [D(str(v)) for v in march[3:]] == [D("1000"), D("1200"), D("200")]
    # view only: the grid is read-only and saving is refused
    assert "readonly" in client.get(URL).get_data(as_text=True)
    token = csrf_from(client.get(URL).get_data(as_text=True))
    assert client.post(f"{URL}save", data={"csrf_token": token, "year_id": year_id, "b-3001-0": "5"}).status_code == 403
    assert client.post(f"{URL}import", data={"csrf_token": token, "year_id": year_id}).status_code == 403
    auth.logout()
    make_user(app, "olle", {"customer.view"})
    auth.login("olle")
    for url in (URL, REPORT, f"{URL}export?year={year_id}"):
        assert client.get(url).status_code == 403, url
