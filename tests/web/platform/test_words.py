"""Issue 10 item 7: the console's words in the user's language -- page size, look-up
placeholders, select2's own messages, role names and rights."""
import io
import re
from decimal import Decimal

import pytest

from models import db
from tests.factories import make_user

# what is checked is rendered HTML: SQLite only (tests/conftest.py)
pytestmark = pytest.mark.any_db


@pytest.mark.parametrize(("lang", "per_page", "locale_file", "absent"), [
    ("sv", "20 per sida", "select2_locale_sv.js", ["föremål", "20 items", "Lägg till Filter"]),
    ("de", "20 pro Seite", "select2_locale_de.js", ["Elemente", "20 items"]),
    ("en", "20 items", None, ["select2_locale_"]),
])
def test_page_size_and_select2_messages_follow_the_language(app, client, auth, lang, per_page, locale_file, absent):
    make_user(app, f"u-{lang}", {"customer.view"}, language=lang)
    auth.login(f"u-{lang}")
    html = client.get("/admin/customer/").get_data(as_text=True)
    assert per_page in html
    for word in absent:
        assert word not in html, word
    if locale_file:
        assert f'src="/npm/select2/{locale_file}"' in html
        with client.get(f"/npm/select2/{locale_file}") as script:  # installed by npm ci
            assert script.status_code == 200 and b"$.fn.select2.locales" in script.data


def test_look_ups_say_what_they_choose(app, client, auth, admin_user):
    auth.login()
    order = client.get("/admin/order/new/").get_data(as_text=True)
    for field, placeholder in (("customer", "Välj kund"), ("payer", "Välj betalare"), ("vehicle", "Välj fordon")):
        tag = re.search(r'<input[^>]*\bname="' + field + r'"[^>]*>', order).group(0)
        assert f'data-placeholder="{placeholder}"' in tag, (field, tag)
    vehicle = client.get("/admin/vehicle/new/").get_data(as_text=True)
    assert 'data-placeholder="Välj ägare"' in vehicle and 'data-placeholder="Välj förare"' in vehicle
    for html in (order, vehicle):
        assert "Välj modell" not in html and "Please select model" not in html


def test_roles_and_rights_by_their_labels(app, client, auth, admin_user):
    make_user(app, "clerk", {"customer.view", "vehicle.edit"})
    auth.login()
    roles = client.get("/admin/role/").get_data(as_text=True)
    assert "Administratör" in roles and "Kunder: Visa" in roles and "Fordon: Redigera" in roles
    assert "customer.view" not in roles and "vehicle.edit" not in roles
    users = client.get("/admin/user/").get_data(as_text=True)
    assert "Administratör" in users and ">Administrator<" not in users
    form = client.get("/admin/user/new/").get_data(as_text=True)
    assert ">Administratör</option>" in form and ">Tekniker</option>" in form
    make_user(app, "hans", admin=True, language="de")
    auth.logout()
    auth.login("hans")
    roles = client.get("/admin/role/").get_data(as_text=True)
    assert "Kunden: Anzeigen" in roles


def test_order_line_look_up_writes_prices_with_a_decimal_comma(app, client, auth, admin_user):
    from tests import sales_helpers as s

    with app.app_context():
        s.article(db.session, "OF-9", "Oljefilter", price="249.00")
        db.session.commit()
    auth.login()
    found = client.get("/admin/order/lookup", query_string={"kind": "article", "q": "OF-9"},
                       headers={"Accept": "application/json"}).get_json()
    assert [r["price"] for r in found["results"]] == ["249,00\xa0kr"]


def test_casco_line_writes_the_deductible_with_a_decimal_comma(app):
    from models import Booking, CascoModel
    from services.bookings.bookings import calculate_billing

    with app.test_request_context():
        casco = CascoModel(name="Bas", deductible=Decimal("5000"), price_per_day=Decimal("99"), vat_percent=Decimal("25"))
        lines = calculate_billing(Booking(number="B-1"), None, casco, days=2, km_driven=0)
    assert lines[0]["text"] == "B-1: Kasko Bas, självrisk 5\xa0000,00 kr"


def test_xlsx_exports_write_labels_yes_no_and_numbers(app, client, auth, admin_user):
    from openpyxl import load_workbook

    from tests import factories as f

    with app.app_context():
        f.customer(db.session, "5001", "Åkeri AB", active=True)
        f.customer(db.session, "5002", "Anna Svensson", org="", active=False)
        db.session.commit()
    auth.login()
    data = client.get("/admin/customer/export/xlsx/").data
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    header, body = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert body["5001"]["Typ"] == "Företag" and body["5002"]["Typ"] == "Privatperson"
    assert body["5001"]["Kundtyp"] == "Stamkund"
    assert (body["5001"]["Aktiv"], body["5002"]["Aktiv"]) == ("Ja", "Nej")
    assert not {"company", "private", "regular", "1", "0", True, False} & {v for r in body.values() for v in r.values()}
    # and the customer import reads its Ja/Nej back
    from services.registers.customer_import import yes_no

    assert (yes_no("Ja"), yes_no("Nej")) == (True, False)


def test_our_flask_admin_wording_holds_when_its_first_message_is_outside_a_view(app, client, auth):
    """Flask-Babel keeps one catalogue per process and language for Flask-Admin's messages; the
    first one asked for outside an admin view (an error page, the log-in) left ours out of it,
    and every list said "20 föremål" until the server restarted."""
    from flask_admin import babel as admin_babel
    from flask_babel import force_locale

    make_user(app, "u-first", {"customer.view"}, language="sv")
    admin_babel.domain.cache.clear()
    with app.test_request_context("/login"), force_locale("sv"):
        assert admin_babel.gettext("items") == "per sida"
    auth.login("u-first")
    html = client.get("/admin/customer/").get_data(as_text=True)
    assert "20 per sida" in html and "föremål" not in html


def test_a_roles_breadcrumb_and_form_header_name_it_in_the_users_language(app, client, auth, admin_user):
    from sqlalchemy import select

    from models import Role
    from services.platform.rights import role_label

    with app.app_context():
        role = next(r for r in db.session.scalars(select(Role)) if str(role_label(r.name)) != r.name)
        role_id, name, label = role.id, role.name, str(role_label(role.name))
    auth.login()
    for url in (f"/admin/role/details/?id={role_id}", f"/admin/role/edit/?id={role_id}"):
        html = client.get(url).get_data(as_text=True)
        crumbs = html[html.index('id="breadcrumbs"'):html.index("</nav>", html.index('id="breadcrumbs"'))]
        assert label in crumbs and name not in crumbs, url
    assert label in html[html.index('id="form-title"'):html.index("</h1>", html.index('id="form-title"'))]


def test_csv_exports_open_in_a_swedish_spreadsheet(app, client, auth, admin_user):
    """Issue 10 rest: the CSV export wrote "2.50" with commas between fields, which a Swedish
    or German spreadsheet reads as text in one column. Now semicolons and a decimal comma in sv
    and de (a comma and a point in English), a byte-order mark for å, ä, ö, and text that a
    spreadsheet would run as a formula made harmless; read back with the csv module."""
    import csv

    from sqlalchemy import select

    from models import Article, User, VatRate

    with app.app_context():
        vat = db.session.scalar(select(VatRate))
        db.session.add_all([Article(number="A-1", name="Åkerifilter; stor", price=Decimal("1250.50"), unit="st",
                                    vat_rate=vat, stock_quantity=Decimal("2.5")),
                            Article(number="A-2", name="=HYPERLINK(\"x\")", price=Decimal("3"), unit="st",
                                    vat_rate=vat)])
        db.session.commit()
    auth.login()
    body = client.get("/admin/article/export/csv/").get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    header, by_number = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_number["A-1"]["I lager"] == "2,50" and by_number["A-1"]["Namn"] == "Åkerifilter; stor"
    assert by_number["A-2"]["I lager"] == "0,00" and by_number["A-2"]["Namn"] == "'=HYPERLINK(\"x\")"
    with app.app_context():
        db.session.get(User, admin_user).language = "en"
        db.session.commit()
    english = client.get("/admin/article/export/csv/").get_data(as_text=True)
    assert "2.50" in english and list(csv.reader(io.StringIO(english[1:])))[1][0] == "A-1"
