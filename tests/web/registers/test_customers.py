"""The customer register through HTTP: create, search, rights, history, export, assignment."""
import re

from sqlalchemy import select

from models import AuditLog, Customer, District, Notification, Tag, User, Vehicle, db
from tests.factories import CUSTOMER_NEW as NEW
from tests.factories import csrf_from, customer_form, make_user
from tests.factories import post_customer as create


def test_create_company_with_contact_and_billing_address(app, client, auth, admin_user):
    auth.login()
    response = create(client, auth)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.org_number == "5560360793"
        assert customer.identity_number_display == "556036-0793"
        assert customer.customer_number == "1000"
        assert customer.prices_exclude_vat
        assert [c.name for c in customer.contacts] == ["Karin Larsson"]
        assert customer.address("billing").street == "Box 55"
        assert customer.address("postal") is None
        history = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "customer")).all()
        assert {h.field for h in history} >= {"name", "org_number"}
        assert all(h.user_id == admin_user for h in history)


def test_bad_contact_e_mail_is_shown_next_to_that_contacts_field(app, client, auth, admin_user):
    auth.login()
    response = create(client, auth, **{"contacts-1-name": "Olle Ek", "contacts-1-email": "olle@@ek"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="contacts-1-email"[^>]*>\s*<div class="invalid-feedback">\s*<ul[^>]*>\s*<li>[^<]*olle@@ek', html)
    assert not re.search(r'alert[^"]*"[^>]*>[^<]*olle@@ek', html)  # not as a message at the top
    response = create(client, auth, **{"contacts-1-name": "  ", "contacts-1-email": "olle@ek.se", "form_nonce": "n9"})
    assert re.search(r'id="contacts-1-name"[^>]*>\s*<div class="invalid-feedback">', response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(Customer)) is None


def test_bad_org_number_is_shown_next_to_field_and_nothing_written(app, client, auth, admin_user):
    auth.login()
    response = create(client, auth, org_number="556036-0794")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Failed to create" not in html
    assert re.search(r'text-danger[^>]*>\s*<li>[^<]*556036-0794', html)
    with app.app_context():
        assert db.session.scalar(select(Customer)) is None


def test_double_submit_creates_one_customer(app, client, auth, admin_user):
    auth.login()
    token = auth.token(NEW)
    data = customer_form(token, form_nonce="same-nonce")
    assert client.post(NEW, data=data).status_code == 302
    client.post(NEW, data=data)
    with app.app_context():
        assert len(db.session.scalars(select(Customer)).all()) == 1


def test_duplicate_and_too_short_customer_numbers_refused(app, client, auth, admin_user):
    auth.login()
    assert create(client, auth, customer_number="5001").status_code == 302
    dup = create(client, auth, customer_number="5001", form_nonce="n2", name="Other AB", org_number="")
    assert dup.status_code == 200 and "5001" in dup.get_data(as_text=True)
    short = create(client, auth, customer_number="12", form_nonce="n3", name="Short AB", org_number="")
    assert short.status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(Customer)).all()) == 1


def _edit_url(client, app):
    with app.app_context():
        cid = db.session.scalar(select(Customer.id))
    return cid, f"/admin/customer/edit/?id={cid}"


def edit_form(client, auth, url, **changes):
    page = client.get(url).get_data(as_text=True)
    token = csrf_from(page)
    version = re.search(r'name="edit_version" type="hidden" value="([^"]*)"', page).group(1)
    number = re.search(r'id="customer_number"[^>]*value="([^"]*)"', page).group(1)
    data = customer_form(token, form_nonce="", edit_version=version, customer_number=number)
    data.update(changes)
    return data


def test_stale_form_is_refused(app, client, auth, admin_user):
    auth.login()
    create(client, auth)
    cid, url = _edit_url(client, app)
    first = edit_form(client, auth, url, name="First AB")
    second = edit_form(client, auth, url, name="Second AB")
    assert client.post(url, data=first).status_code == 302
    response = client.post(url, data=second)
    assert response.status_code == 200
    assert "Någon annan sparade posten medan du redigerade den." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, cid).name == "First AB"


def test_only_admin_changes_customer_number(app, client, auth, admin_user):
    make_user(app, "advisor", {"customer.view", "customer.edit", "customer.create"})
    auth.login()
    create(client, auth)
    auth.logout()
    auth.login("advisor")
    cid, url = _edit_url(client, app)
    response = client.post(url, data=edit_form(client, auth, url, customer_number="9999"))
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Customer, cid).customer_number == "1000"


def test_search_finds_by_contact_email_phone_and_number(app, client, auth, admin_user):
    auth.login()
    create(client, auth)
    create(client, auth, name="Annan Firma AB", org_number="", email="x@annan.example", phone="",
           **{"contacts-0-name": "Olle", "contacts-0-email": "olle@annan.example", "contacts-0-phone": ""},
           form_nonce="n2")
    for query, expected, absent in (
        ("karin@bilia", "Bilia Verkstad AB", "Annan Firma AB"),
        ("0701112233", "Bilia Verkstad AB", "Annan Firma AB"),
        ("556036-0793", "Bilia Verkstad AB", "Annan Firma AB"),
        ("olle@annan", "Annan Firma AB", "Bilia Verkstad AB"),
        ("annan firma", "Annan Firma AB", "Bilia Verkstad AB"),
    ):
        html = client.get("/admin/customer/", query_string={"search": query}).get_data(as_text=True)
        assert expected in html, query
        assert absent not in html, query


def test_export_honours_search_and_needs_right(app, client, auth, admin_user):
    make_user(app, "viewer", {"customer.view"})
    auth.login()
    create(client, auth)
    create(client, auth, name="Annan Firma AB", org_number="", form_nonce="n2",
           **{"contacts-0-name": "Olle", "contacts-0-email": "olle@annan.example"})
    csv = client.get("/admin/customer/export/csv/", query_string={"search": "annan"}).get_data(as_text=True)
    assert "Annan Firma AB" in csv and "Bilia" not in csv
    xlsx = client.get("/admin/customer/export/xlsx/")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    auth.logout()
    auth.login("viewer")
    assert client.get("/admin/customer/export/csv/").status_code == 403


def test_rights_each_on_and_off(app, client, auth, admin_user):
    auth.login()
    create(client, auth)
    cid, url = _edit_url(client, app)
    auth.logout()
    make_user(app, "nobody", set())
    make_user(app, "reader", {"customer.view"})
    make_user(app, "editor", {"customer.view", "customer.edit"})
    make_user(app, "creator", {"customer.view", "customer.create"})
    make_user(app, "deleter", {"customer.view", "customer.delete"})
    cases = {
        "nobody": {"list": 403, "edit": 403, "new": 403},
        "reader": {"list": 200, "edit": 403, "new": 403},
        "editor": {"list": 200, "edit": 200, "new": 403},
        "creator": {"list": 200, "edit": 403, "new": 200},
    }
    for user, expected in cases.items():
        auth.login(user)
        assert client.get("/admin/customer/").status_code == expected["list"], user
        assert client.get(url).status_code == expected["edit"], user
        assert client.get(NEW).status_code == expected["new"], user
        auth.logout()
    auth.login("reader")
    token = auth.token(f"/admin/customer/details/?id={cid}")
    client.post("/admin/customer/delete/", data={"id": cid, "csrf_token": token})
    with app.app_context():
        assert db.session.get(Customer, cid) is not None
    auth.logout()
    auth.login("deleter")
    token = auth.token(f"/admin/customer/details/?id={cid}")
    client.post("/admin/customer/delete/", data={"id": cid, "csrf_token": token})
    with app.app_context():
        assert db.session.get(Customer, cid) is None


def test_view_and_edit_assigned_only(app, client, auth, admin_user):
    tech = make_user(app, "tech", {"customer.view_assigned", "customer.edit_assigned"})
    auth.login()
    create(client, auth)
    create(client, auth, name="Annan Firma AB", org_number="", form_nonce="n2")
    with app.app_context():
        mine = db.session.scalar(select(Customer).where(Customer.name == "Bilia Verkstad AB"))
        mine.technicians = [db.session.get(User, tech)]
        db.session.commit()
        mine_id = mine.id
        other_id = db.session.scalar(select(Customer.id).where(Customer.name == "Annan Firma AB"))
    auth.logout()
    auth.login("tech")
    html = client.get("/admin/customer/").get_data(as_text=True)
    assert "Bilia Verkstad AB" in html and "Annan Firma AB" not in html
    assert client.get(f"/admin/customer/details/?id={other_id}").status_code == 403
    assert client.get(f"/admin/customer/edit/?id={other_id}").status_code == 403
    assert client.get(f"/admin/customer/edit/?id={mine_id}").status_code == 200


def test_delete_refused_when_a_vehicle_refers(app, client, auth, admin_user):
    auth.login()
    create(client, auth)
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        db.session.add(Vehicle(registration_number="ABC123", owner=customer))
        db.session.commit()
        cid = customer.id
    token = auth.token(f"/admin/customer/details/?id={cid}")
    response = client.post("/admin/customer/delete/", data={"id": cid, "csrf_token": token}, follow_redirects=True)
    assert "1 × fordon" in response.get_data(as_text=True)  # what refers to it, in the user's words
    with app.app_context():
        assert db.session.get(Customer, cid) is not None


def test_assigning_technician_notifies_and_unassigning_too(app, client, auth, admin_user):
    tech = make_user(app, "tech", {"customer.view_assigned"})
    auth.login()
    create(client, auth)
    cid, url = _edit_url(client, app)
    client.post(url, data=edit_form(client, auth, url, assigned_technicians=str(tech)))
    cid, url = _edit_url(client, app)
    client.post(url, data=edit_form(client, auth, url))
    with app.app_context():
        messages = [n.message for n in db.session.scalars(select(Notification).where(Notification.user_id == tech)
                                                          .order_by(Notification.id))]
    assert len(messages) == 2 and "Bilia Verkstad AB" in messages[0]
    auth.logout()
    auth.login("tech")
    data = client.get("/notifications/").get_json()
    assert data["unread"] == 2
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/notifications/read", data={"id": "abc", "csrf_token": token}).status_code == 400
    response = client.post("/notifications/read", data={"id": str(data["items"][0]["id"]), "csrf_token": token},
                           headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 302 and "evil.example" not in response.location
    assert client.get("/notifications/").get_json()["unread"] == 1
    response = client.post("/notifications/read", data={"id": "all", "csrf_token": token},
                           headers={"Referer": "http://localhost/admin/customer/"})
    assert response.location.endswith("/admin/customer/")
    assert client.get("/notifications/").get_json()["unread"] == 0


def test_filters_on_district_and_tag(app, client, auth, admin_user):
    auth.login()
    with app.app_context():
        db.session.add_all([District(name="Norr"), Tag(name="A-kund")])
        db.session.commit()
        district_id = db.session.scalar(select(District.id))
        tag_id = db.session.scalar(select(Tag.id))
    create(client, auth, district=str(district_id), tags=str(tag_id))
    create(client, auth, name="Annan Firma AB", org_number="", form_nonce="n2")
    view = app.extensions["verkstad_admin"]._views
    customer_view = next(v for v in view if getattr(v, "endpoint", "") == "customer")
    args = {}
    for arg, (idx, flt) in customer_view._filter_args.items():
        if str(flt.name) in ("District", "Distrikt"):
            args[f"flt0_{arg}"] = str(district_id)
    assert args
    html = client.get("/admin/customer/", query_string=args).get_data(as_text=True)
    assert "Bilia Verkstad AB" in html and "Annan Firma AB" not in html


def test_rights_hold_on_posts_not_only_on_pages(app, client, auth, admin_user):
    """assign, edit (all / assigned only), inactivate and export, each on and off, sent as the
    request a forged page would send."""
    tech = make_user(app, "tech", {"customer.view", "customer.edit"})
    make_user(app, "assigner", {"customer.view", "customer.edit", "customer.assign"})
    own = make_user(app, "own", {"customer.view_assigned", "customer.edit_assigned"})
    make_user(app, "reader", {"customer.view", "customer.export"})
    auth.login()
    create(client, auth)
    create(client, auth, name="Annan Firma AB", org_number="", form_nonce="n2")
    with app.app_context():
        bilia = db.session.scalar(select(Customer.id).where(Customer.name == "Bilia Verkstad AB"))
        other = db.session.scalar(select(Customer.id).where(Customer.name == "Annan Firma AB"))
        db.session.get(Customer, bilia).technicians = [db.session.get(User, own)]
        db.session.commit()
    auth.logout()

    def technicians(cid):
        with app.app_context():
            return [u.id for u in db.session.get(Customer, cid).technicians]

    url = f"/admin/customer/edit/?id={bilia}"
    auth.login("tech")  # may edit, may not assign: the technicians stay as they are
    client.post(url, data=edit_form(client, auth, url, assigned_technicians=str(tech), email="ny@bilia.example"))
    with app.app_context():
        assert db.session.get(Customer, bilia).email == "ny@bilia.example"
    assert technicians(bilia) == [own]
    token = csrf_from(client.get("/admin/customer/").get_data(as_text=True))
    assert client.get("/admin/customer/export/csv/").status_code == 403
    auth.logout()

    auth.login("assigner")
    client.post(url, data=edit_form(client, auth, url, assigned_technicians=[str(own), str(tech)]))
    assert sorted(technicians(bilia)) == sorted([own, tech])
    auth.logout()

    auth.login("own")  # edit assigned only: the other customer's form is refused on POST too
    other_url = f"/admin/customer/edit/?id={other}"
    token = csrf_from(client.get("/admin/customer/").get_data(as_text=True))  # own's session, a valid token
    assert client.post(other_url, data={"csrf_token": token, "name": "Kapad AB", "kind": "company"}).status_code == 403
    with app.app_context():
        assert db.session.get(Customer, other).name == "Annan Firma AB"
    auth.logout()

    auth.login("reader")  # no edit right: the inactivate action does nothing
    token = csrf_from(client.get("/admin/customer/").get_data(as_text=True))
    client.post("/admin/customer/action/", data={"csrf_token": token, "action": "inactivate", "rowid": str(other)})
    with app.app_context():
        assert db.session.get(Customer, other).active
    export = client.get("/admin/customer/export/csv/")
    assert export.status_code == 200 and "Annan Firma AB" in export.get_data(as_text=True)
    auth.logout()

    auth.login("tech")
    token = csrf_from(client.get("/admin/customer/").get_data(as_text=True))
    client.post("/admin/customer/action/", data={"csrf_token": token, "action": "inactivate", "rowid": str(other)})
    with app.app_context():
        assert not db.session.get(Customer, other).active


def test_notification_is_in_the_technicians_language(app, client, auth, admin_user):
    hans = make_user(app, "hans", {"customer.view_assigned"}, language="de")
    auth.login()  # the administrator works in Swedish
    create(client, auth)
    cid, url = _edit_url(client, app)
    client.post(url, data=edit_form(client, auth, url, assigned_technicians=str(hans)))
    with app.app_context():
        message = db.session.scalar(select(Notification.message).where(Notification.user_id == hans))
    assert message.startswith("Ihnen wurde der Kunde") and message.endswith("Bilia Verkstad AB zugewiesen"), message
