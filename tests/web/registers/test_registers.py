"""Vehicle, article and settings registers through HTTP: validation next to the field, rights."""
import re

from sqlalchemy import select

from models import Article, District, LabourOperation, VatRate, Vehicle, db
from tests.factories import csrf_from, make_user, post_new
from tests.factories import vehicle_form as vehicle


def field_error(html: str, text: str) -> bool:
    return bool(re.search(r"text-danger[^>]*>\s*<li>[^<]*" + re.escape(text), html))


def errors_next_to(html: str, field: str) -> list[str]:
    """The messages shown under the input ``field`` (Flask-Admin's invalid-feedback list)."""
    block = re.search(r'id="' + field + r'"[^>]*>\s*(?:</\w+>\s*)?<div class="invalid-feedback">(.*?)</div>', html, re.S)
    return re.findall(r"<li>([^<]*)</li>", block.group(1)) if block else []


def test_vehicle_normalised_and_bad_input_refused(app, client, auth, admin_user):
    auth.login()
    assert post_new(client, auth, "/admin/vehicle/new/", vehicle()).status_code == 302
    with app.app_context():
        v = db.session.scalar(select(Vehicle))
        assert (v.registration_number, v.vin) == ("ABC123", "YV1DZ8256C2271234")
    for overrides, field, message in (
        ({"registration_number": "AB1234"}, "registration_number", "AB1234"),
        ({"registration_number": "XYZ789", "vin": "YV1DZ8256O2271234"}, "vin",
         "Ett chassinummer innehåller aldrig I, O eller Q."),
        ({"registration_number": "XYZ789", "vin": "SHORT"}, "vin", "Ett chassinummer har 17 tecken, detta har 5."),
        ({"registration_number": "XYZ789", "vin": "", "odometer_km": "-5"}, "odometer_km",
         "Mätarställning (km) får inte vara negativt."),
        ({"registration_number": "abc123", "vin": ""}, "registration_number", "ABC123 är redan registrerat"),
    ):
        response = post_new(client, auth, "/admin/vehicle/new/", vehicle(form_nonce=str(overrides), **overrides))
        assert response.status_code == 200, overrides
        errors = errors_next_to(response.get_data(as_text=True), field)
        assert errors and message in errors[0], (overrides, errors)
    with app.app_context():
        assert len(db.session.scalars(select(Vehicle)).all()) == 1


def test_foreign_registration_with_country(app, client, auth, admin_user):
    auth.login()
    assert post_new(client, auth, "/admin/vehicle/new/",
                    vehicle(registration_number="m ab 1234", country="DE", vin="")).status_code == 302


def test_vehicle_open_note_flag_in_list(app, client, auth, admin_user):
    auth.login()
    post_new(client, auth, "/admin/vehicle/new/", vehicle(**{"notes-0-text": "Repa vänster dörr", "notes-0-open": "y"}))
    html = client.get("/admin/vehicle/").get_data(as_text=True)
    assert "Repa vänster dörr" in html and "&#9873;" in html
    html = client.get("/admin/vehicle/", query_string={"search": "abc1"}).get_data(as_text=True)
    assert "ABC123" in html
    with app.app_context():
        vid = db.session.scalar(select(Vehicle.id))
    card = client.get(f"/admin/vehicle/details/?id={vid}").get_data(as_text=True)
    assert "Repa vänster dörr" in card and "abc123 |" not in card  # no internal search text on the card


def test_vehicle_rights(app, client, auth, admin_user):
    make_user(app, "viewer", {"vehicle.view"})
    auth.login("viewer")
    assert client.get("/admin/vehicle/").status_code == 200
    assert client.get("/admin/vehicle/new/").status_code == 403
    token = csrf_from(client.get("/admin/vehicle/").get_data(as_text=True))
    response = client.post("/admin/vehicle/new/", data={"csrf_token": token, **vehicle()})
    assert response.status_code == 403
    assert client.get("/admin/vehicle/export/csv/").status_code == 403
    assert client.get("/admin/article/export/csv/").status_code == 403
    auth.logout()
    auth.login()
    assert post_new(client, auth, "/admin/vehicle/new/", vehicle()).status_code == 302
    auth.logout()
    make_user(app, "exporter", {"vehicle.view", "vehicle.export", "article.view", "article.export"})
    auth.login("exporter")
    export = client.get("/admin/vehicle/export/csv/")
    assert export.status_code == 200 and "ABC123" in export.get_data(as_text=True)
    assert client.get("/admin/article/export/xlsx/").status_code == 200


def article(**overrides):
    data = {"number": "A-1", "name": "Oljefilter", "ean": "7310865004703", "unit": "st", "price": "249.00",
            "purchase_price": "89", "stock_quantity": "5", "active": "y", "form_nonce": "a1"}
    data.update(overrides)
    return data


def test_article_ean_and_negative_price(app, client, auth, admin_user):
    auth.login()
    with app.app_context():
        vat = str(db.session.scalar(select(VatRate.id).where(VatRate.percent == 25)))
    assert post_new(client, auth, "/admin/article/new/", article(vat_rate=vat)).status_code == 302
    bad = post_new(client, auth, "/admin/article/new/", article(vat_rate=vat, number="A-2", ean="7310865004704",
                                                                 form_nonce="a2"))
    assert bad.status_code == 200 and field_error(bad.get_data(as_text=True), "7310865004704")
    negative = post_new(client, auth, "/admin/article/new/", article(vat_rate=vat, number="A-3", ean="",
                                                                      price="-1", form_nonce="a3"))
    assert negative.status_code == 200
    with app.app_context():
        assert [a.number for a in db.session.scalars(select(Article))] == ["A-1"]
        assert str(db.session.scalar(select(Article.price))) == "249.00"
    html = client.get("/admin/article/").get_data(as_text=True)
    assert "249,00\xa0kr" in html
    with app.app_context():
        aid = db.session.scalar(select(Article.id))
    card = client.get(f"/admin/article/details/?id={aid}").get_data(as_text=True)
    history = card[card.index('id="history-table"'):]
    assert "A-1" in history and "Admin" in history  # the card shows who created it, with what


def test_labour_operation_needs_rate_or_fixed_price(app, client, auth, admin_user):
    auth.login()
    with app.app_context():
        vat = str(db.session.scalar(select(VatRate.id).where(VatRate.percent == 25)))
    data = {"code": "A100", "name": "Service A", "standard_hours": "1.5", "vat_rate": vat, "active": "y", "form_nonce": "l1"}
    assert post_new(client, auth, "/admin/labouroperation/new/", data).status_code == 200
    assert post_new(client, auth, "/admin/labouroperation/new/", {**data, "hourly_rate": "1095", "form_nonce": "l2"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(LabourOperation)).price == 1642.50


def test_settings_register_refuses_a_blank_name_next_to_the_field(app, client, auth, admin_user):
    auth.login()
    for url, data in (("/admin/district/new/", {"name": "   ", "active": "y"}),
                      ("/admin/paymentterm/new/", {"name": " ", "days": "30", "invoice_fee": "0", "active": "y"})):
        response = post_new(client, auth, url, {**data, "form_nonce": url})
        assert response.status_code == 200, url
        assert re.search(r'id="name"[^>]*>\s*<div class="invalid-feedback">\s*<ul[^>]*>\s*<li>Namn är obligatoriskt',
                         response.get_data(as_text=True)), url
    empty = post_new(client, auth, "/admin/district/new/", {"name": "", "active": "y", "form_nonce": "e"})
    assert "Posten kunde inte skapas" in empty.get_data(as_text=True)  # Flask-Admin's message, in Swedish
    with app.app_context():
        assert db.session.scalar(select(District)) is None
    assert post_new(client, auth, "/admin/district/new/", {"name": "  Norr ", "active": "y", "form_nonce": "d"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(District.name)) == "Norr"


def test_new_vehicle_form_starts_in_sweden(app, client, auth, admin_user):
    auth.login()
    html = client.get("/admin/vehicle/new/").get_data(as_text=True)
    assert re.search(r'<option selected value="SE">|<option value="SE" selected', html)


def test_settings_register_needs_right_and_refuses_deleting_used_entry(app, client, auth, admin_user):
    make_user(app, "advisor", {"customer.view", "customer.edit"})
    auth.login("advisor")
    assert client.get("/admin/district/").status_code == 403
    auth.logout()
    auth.login()
    assert post_new(client, auth, "/admin/district/new/", {"name": "Norr", "active": "y", "form_nonce": "d1"}).status_code == 302
    with app.app_context():
        from models import Customer

        district = db.session.scalar(select(District))
        db.session.add(Customer(customer_number="1000", name="Kund AB", district=district))
        db.session.commit()
        did = district.id
    token = auth.token("/admin/district/")
    response = client.post("/admin/district/delete/", data={"id": did, "csrf_token": token}, follow_redirects=True)
    assert "1 × kunder" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(District, did) is not None


def test_only_active_countries_offered_on_customers(app, client, auth, admin_user):
    auth.login()
    html = client.get("/admin/customer/new/").get_data(as_text=True)
    country_select = re.search(r'<select[^>]*id="country".*?</select>', html, re.S).group(0)
    assert "Sverige" in country_select and "Tyskland" in country_select and "Frankrike" not in country_select
    assert re.search(r'<option[^>]*selected[^>]*value="SE"|<option[^>]*value="SE"[^>]*selected', country_select)


def test_module_settings_saved_and_validated(app, client, auth, admin_user):
    auth.login()
    assert 'id="cost_center"' in client.get("/admin/customer/new/").get_data(as_text=True)
    page = client.get("/admin/module-settings/").get_data(as_text=True)
    token = csrf_from(page)
    bad = client.post("/admin/module-settings/", data={"csrf_token": token, "customer.number_min_length": "6",
                                                       "customer.number_max_length": "3", "company.name": "Verkstad AB"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.get_data(as_text=True)
    ok = client.post("/admin/module-settings/", data={"csrf_token": token, "customer.number_min_length": "5",
                                                      "customer.number_max_length": "8", "company.name": "Verkstad AB",
                                                      "customer.generate_number": "on"})
    assert ok.status_code == 302
    with app.app_context():
        from services.platform.settings import load_settings

        settings = load_settings(db.session)
        assert settings["customer.number_min_length"] == 5 and settings["customer.show_language"] is False
    form = client.get("/admin/customer/new/").get_data(as_text=True)  # "show cost center" is off now
    assert 'id="cost_center"' not in form and 'id="language"' not in form and 'id="name"' in form


def test_cli_create_user_and_errors(app, runner):
    ok = runner.invoke(args=["create-user", "kalle", "--role", "service ADVISOR"], input="long-enough-pw\n")
    assert ok.exit_code == 0, ok.output
    bad_role = runner.invoke(args=["create-user", "olle", "--role", "Pilot"], input="long-enough-pw\n")
    assert bad_role.exit_code != 0 and "Pilot" in bad_role.output
    short = runner.invoke(args=["create-user", "olle", "--role", "Sales"], input="short\n")
    assert short.exit_code != 0
    taken = runner.invoke(args=["create-user", "kalle", "--role", "Sales"], input="long-enough-pw\n")
    assert taken.exit_code != 0
    with app.app_context():
        from models import User

        assert [u.username for u in db.session.scalars(select(User))] == ["kalle"]


def test_stale_settings_and_user_forms_are_refused_not_written_over(app, client, auth, admin_user):
    from models import User

    clerk = make_user(app, "clerk", {"customer.view"}, full_name="Kalle")
    with app.app_context():
        db.session.add(District(name="Norr"))
        db.session.commit()
        did = db.session.scalar(select(District.id))
        role = str(db.session.get(User, clerk).role_id)
    auth.login()
    for url, data, change, check in (
        (f"/admin/district/edit/?id={did}", {"name": "Norrland", "active": "y"},
         lambda: setattr(db.session.get(District, did), "name", "Övre Norrland"),
         lambda: db.session.get(District, did).name == "Övre Norrland"),
        (f"/admin/user/edit/?id={clerk}", {"username": "clerk", "full_name": "Karl", "active": "y", "language": "sv",
                                           "role": role, "new_password": ""},
         lambda: setattr(db.session.get(User, clerk), "full_name", "Kalle Anka"),
         lambda: db.session.get(User, clerk).full_name == "Kalle Anka"),
    ):
        page = client.get(url).get_data(as_text=True)
        version = re.search(r'name="edit_version" type="hidden" value="([^"]*)"', page).group(1)
        assert version
        with app.app_context():
            change()  # a colleague saves first
            db.session.commit()
        response = client.post(url, data={**data, "csrf_token": csrf_from(page), "edit_version": version})
        assert "Någon annan sparade posten" in response.get_data(as_text=True), url
        with app.app_context():
            assert check(), url
