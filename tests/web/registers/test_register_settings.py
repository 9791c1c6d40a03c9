"""Customer register settings through HTTP: field rules, custom fields, columns, tabs, rights."""
import re

from sqlalchemy import select

from models import AuditLog, Customer, User, db
from services.registers import register_config as rc
from tests.factories import CUSTOMER_NEW as NEW
from tests.factories import csrf_from, make_user
from tests.factories import post_customer as create
from tests.card_tabs import opened_card

SETTINGS = "/admin/register-settings/"


def post_settings(client, auth, path, data, section="fields"):
    token = auth.token(f"{SETTINGS}?section={section}")
    return client.post(SETTINGS + path, data={"csrf_token": token, **data})


def all_active(kinds=("company", "private"), **changes):
    """Form data with every customer field active, then ``changes`` as key -> (active, required)."""
    data = {}
    for kind in kinds:
        for key in rc.CUSTOMER_FIELDS:
            active, required = changes.get(key, (True, False))
            if active:
                data[f"active-{kind}-{key}"] = "on"
            if required:
                data[f"required-{kind}-{key}"] = "on"
    return data


def test_inactive_field_vanishes_and_cannot_be_posted(app, client, auth, admin_user):
    auth.login()
    response = post_settings(client, auth, "fields", {"entity": "customer", **all_active(email=(False, False))})
    assert response.status_code == 302
    form = client.get(NEW).get_data(as_text=True)
    assert 'id="email"' not in form and 'id="phone"' in form
    assert create(client, auth, email="posted@anyway.example").status_code == 302
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.email is None
        cid = customer.id
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    assert ">E-post</dt>" not in card and ">Telefon</dt>" in card
    listing = client.get("/admin/customer/").get_data(as_text=True)
    assert "posted@anyway" not in listing and "Telefon" in listing


def test_field_inactive_for_one_kind_is_kept_unchanged_for_that_kind(app, client, auth, admin_user):
    auth.login()
    data = all_active(kinds=("company",))
    data.update({k: v for k, v in all_active(kinds=("private",), district=(False, False)).items()})
    post_settings(client, auth, "fields", {"entity": "customer", **data})
    form = client.get(NEW).get_data(as_text=True)
    assert 'id="district"' in form and '"district": ["company"]' in form  # hidden for private by the page
    with app.app_context():
        from models import District
        district = District(name="Norr")
        db.session.add(district)
        db.session.commit()
        did = district.id
    # issue 9 item 11: a value typed into a field the kind does not use never vanishes silently
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson", district=str(did))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="district".*?text-danger[^>]*>\s*<li>Fältet används inte för privatpersoner', html, re.S)
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson", district="__None", form_nonce="n-cleared")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.scalar(select(Customer)).district_id is None


def test_required_field_cannot_be_left_blank(app, client, auth, admin_user):
    auth.login()
    data = all_active(kinds=("company",))
    data.update(all_active(kinds=("private",), phone=(True, True), visiting_address=(True, True)))
    assert post_settings(client, auth, "fields", {"entity": "customer", **data}).status_code == 302
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson", phone="")
    assert response.status_code == 200
    assert 'is-invalid" id="phone"' in response.get_data(as_text=True)
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson", visiting_street="", form_nonce="n2")
    assert response.status_code == 200 and 'is-invalid" id="visiting_street"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Customer)) is None
    # a company has no such rule
    assert create(client, auth, phone="", form_nonce="n3").status_code == 302


def test_invalid_configuration_refused_with_message(app, client, auth, admin_user):
    auth.login()
    data = all_active()
    data.pop("active-private-email")
    data["required-private-email"] = "on"
    response = post_settings(client, auth, "fields", {"entity": "customer", **data})
    assert response.status_code == 400
    assert 'id="fields-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert rc.load(db.session).active("customer", "private", "email")
    response = post_settings(client, auth, "custom", {"entity": "customer", "key": "name", "field_type": "text",
                                                      "label_sv": "Namn"}, "custom")
    assert response.status_code == 400 and 'id="error-key"' in response.get_data(as_text=True)
    response = post_settings(client, auth, "custom", {"entity": "customer", "key": "fleet", "field_type": "choice",
                                                      "label_sv": "Flotta", "choices": ""}, "custom")
    assert response.status_code == 400 and 'id="error-choices"' in response.get_data(as_text=True)
    response = post_settings(client, auth, "tabs", {"order": "overview,ghost", "enabled-overview": "on"}, "tabs")
    assert response.status_code == 400 and 'id="tabs-error"' in response.get_data(as_text=True)


def test_custom_field_form_card_list_filter_search_and_history(app, client, auth, admin_user):
    auth.login()
    for key, ftype, extra in (("fleet_size", "number", {}), ("segment", "choice", {"choices": "Taxi\nBud"}),
                              ("nickname", "text", {})):
        r = post_settings(client, auth, "custom", {"entity": "customer", "key": key, "field_type": ftype,
                                                   "label_sv": key.title(), **extra}, "custom")
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
    form = client.get(NEW).get_data(as_text=True)
    assert 'id="cf_fleet_size"' in form and 'id="cf_segment"' in form
    bad = create(client, auth, cf_fleet_size="många")
    assert bad.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Customer)) is None
    assert create(client, auth, cf_fleet_size="12", cf_segment="Taxi", cf_nickname="Blixten",
                  form_nonce="n2").status_code == 302
    assert create(client, auth, name="Annat AB", org_number="", cf_fleet_size="3", cf_segment="Bud",
                  form_nonce="n3").status_code == 302
    with app.app_context():
        first = db.session.scalar(select(Customer).where(Customer.name == "Bilia Verkstad AB"))
        cid = first.id
        history = db.session.scalars(select(AuditLog).where(AuditLog.field == "cf_fleet_size")).all()
        assert [h.new_value for h in history if h.record_id == str(cid)] == ["12"]
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    assert 'id="cf-fleet_size">12<' in card and 'id="cf-segment">Taxi<' in card

    token = auth.token(f"{SETTINGS}?section=columns")
    order = "customer_number,name,cf_fleet_size,cf_segment"
    r = client.post(SETTINGS + "columns", data={"csrf_token": token, "order": order, **{
        f"show-{c}": "on" for c in order.split(",")}})
    assert r.status_code == 302
    listing = client.get("/admin/customer/").get_data(as_text=True)
    assert "Fleet_Size" in listing and ">12<" in listing.replace(" ", "").replace("\n", "")
    view = app.extensions["verkstad_admin"]._views
    customer_view = next(v for v in view if v.endpoint == "customer")
    flt = next(i for i, f in enumerate(customer_view._filters)
               if str(f.name) == "Segment" and f.operation() == "equals")
    filtered = client.get(f"/admin/customer/?flt0_{flt}=Bud").get_data(as_text=True)
    assert "Annat AB" in filtered and "Bilia Verkstad AB" not in filtered
    gt = next(i for i, f in enumerate(customer_view._filters)
              if str(f.name) == "Fleet_Size" and f.op == "gt")
    filtered = client.get(f"/admin/customer/?flt0_{gt}=5").get_data(as_text=True)
    assert "Bilia Verkstad AB" in filtered and "Annat AB" not in filtered
    sorted_desc = client.get("/admin/customer/?sort=2&desc=1").get_data(as_text=True)
    assert sorted_desc.index("Bilia Verkstad AB") < sorted_desc.index("Annat AB")
    found = client.get("/admin/customer/?search=blixten").get_data(as_text=True)
    assert "Bilia Verkstad AB" in found and "Annat AB" not in found


def test_user_hides_columns_for_themself(app, client, auth, admin_user):
    auth.login()
    create(client, auth)
    token = csrf_from(client.get("/admin/customer/").get_data(as_text=True), last=False)
    assert client.post("/admin/my-columns/", data={"csrf_token": token, "hide": ["email", "phone"]}).status_code == 302
    listing = client.get("/admin/customer/").get_data(as_text=True)
    assert "info@bilia.example" not in listing and "Bilia Verkstad AB" in listing
    with app.app_context():
        assert db.session.get(User, admin_user).hidden_columns == {"customer": ["email", "phone"]}
    other = make_user(app, "olle", {"customer.view"})
    auth.logout()
    auth.login("olle")
    assert "info@bilia.example" in client.get("/admin/customer/").get_data(as_text=True)
    assert client.get(SETTINGS).status_code == 403
    with app.app_context():  # olle's own choice is untouched by the administrator's
        assert db.session.get(User, other).hidden_columns is None


def test_settings_change_reaches_a_second_worker(app, client, auth, admin_user):
    """Two app objects stand for two worker processes: each caches, both follow the token."""
    auth.login()
    client.get(NEW)
    from app import create_app
    second = create_app(dict(app.config))
    second_client = second.test_client()
    from tests.factories import AuthActions
    AuthActions(second_client).login()
    assert 'id="vat_number"' in second_client.get(NEW).get_data(as_text=True)
    post_settings(client, auth, "fields", {"entity": "customer", **all_active(vat_number=(False, False))})
    assert 'id="vat_number"' not in second_client.get(NEW).get_data(as_text=True)
    with second.app_context():
        db.session.remove()


def test_import_preview_errors_then_valid_rows_only(app, client, auth, admin_user):
    import io

    from tests.factories import run_jobs, xlsx
    auth.login()
    data = xlsx([{"customer_number": "2001", "kind": "company", "name": "Bra AB", "org_number": "556036-0793"},
                 {"customer_number": "2002", "kind": "company", "name": "Fel AB", "org_number": "556036-0794"}])
    token = csrf_from(client.get("/admin/customer-import/").get_data(as_text=True))
    response = client.post("/admin/customer-import/upload", data={
        "csrf_token": token, "kind": "company", "file": (io.BytesIO(data), "kunder.xlsx")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="row-company-3"' in html and "556036-0794" in html
    assert 'id="import-all"' not in html  # with errors only "valid rows" or nothing
    run_token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    r = client.post("/admin/customer-import/run", data={"csrf_token": token, "token": run_token, "suffix": ".xlsx",
                                                         "kind": "company", "update": "0", "mode": "all"})
    assert r.status_code == 202 and r.get_json()["status"] == "queued"  # the import is a job
    run_jobs(app)
    state = client.get(r.get_json()["status_url"]).get_json()
    assert state["status"] == "failed" and "ingenting importerades" in state["error"]
    r = client.post("/admin/customer-import/run", data={"csrf_token": token, "token": run_token, "suffix": ".xlsx",
                                                         "kind": "company", "update": "0", "mode": "valid"})
    assert r.status_code == 202
    run_jobs(app)
    state = client.get(r.get_json()["status_url"]).get_json()
    assert state["status"] == "done" and state["summary"] == "Skapade: 1, uppdaterade: 0, oförändrade: 0, överhoppade: 1"
    with app.app_context():
        assert [c.name for c in db.session.scalars(select(Customer))] == ["Bra AB"]
    export = client.get("/admin/customer-import/export/company")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_import_refuses_other_files_and_needs_rights(app, client, auth, admin_user):
    import io
    auth.login()
    token = csrf_from(client.get("/admin/customer-import/").get_data(as_text=True))
    r = client.post("/admin/customer-import/upload", data={"csrf_token": token, "file": (io.BytesIO(b"x"), "a.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and 'id="import-error"' in r.get_data(as_text=True)
    # over 10 MB: refused by the upload limit (413) before the view, by read_file otherwise (unit test)
    # the body is built here (the test client would spool a large form to a temporary file it leaves open)
    body = (f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncompany\r\n'
            '--b\r\nContent-Disposition: form-data; name="file"; filename="kunder.xlsx"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n').encode() + b"x" * (10 * 1024 * 1024) + b"\r\n--b--\r\n"
    r = client.post("/admin/customer-import/upload", data=body, content_type="multipart/form-data; boundary=b")
    assert r.status_code == 413
    make_user(app, "viewer", {"customer.view"})
    auth.logout()
    auth.login("viewer")
    assert client.get("/admin/customer-import/").status_code == 403
    assert client.get("/admin/customer-import/template/company").status_code == 403


def test_tabs_order_more_menu_events_setting_and_values_follow_deletes(app, client, auth, admin_user):
    auth.login()
    post_settings(client, auth, "custom", {"entity": "customer", "key": "fleet_size", "field_type": "number",
                                           "label_sv": "Flotta", "tab": "Flotta"}, "custom")
    create(client, auth, cf_fleet_size="4")
    with app.app_context():
        cid = db.session.scalar(select(Customer.id))
    card = opened_card(client, cid)
    assert 'id="tab-events"' not in card  # off until the setting enables it
    assert 'id="tab-Flotta"' in card and 'id="cf-fleet_size">4<' in card  # custom tab, in "More"
    r = post_settings(client, auth, "tabs", {"order": "history,overview,vehicles,Flotta,events", "enabled-history": "on",
                                             "main-history": "on", "enabled-overview": "on", "enabled-Flotta": "on",
                                             "main-Flotta": "on", "enabled-events": "on"}, "tabs")
    assert r.status_code == 302
    card = opened_card(client, cid)
    assert card.index('id="tab-link-history"') < card.index('id="tab-link-overview"')
    assert 'id="tab-link-vehicles"' not in card and 'id="tab-events"' in card
    assert 'class="tab-pane active" id="tab-history"' in card
    more = card[card.index('id="tab-more"'):]
    assert 'id="tab-link-overview"' in more and 'id="tab-link-Flotta"' not in more
    with app.app_context():
        from models import CustomFieldValue
        assert db.session.scalar(select(CustomFieldValue.record_id)) == cid
        db.session.delete(db.session.get(Customer, cid))
        db.session.commit()
        assert db.session.scalar(select(CustomFieldValue)) is None


def test_contact_custom_field_on_form_and_card(app, client, auth, admin_user):
    auth.login()
    post_settings(client, auth, "custom", {"entity": "contact", "key": "shoe_size", "field_type": "number",
                                           "label_sv": "Skostorlek"}, "custom")
    bad = create(client, auth, **{"contacts-0-cf_shoe_size": "stor"})
    assert bad.status_code == 200
    assert create(client, auth, form_nonce="n2", **{"contacts-0-cf_shoe_size": "43"}).status_code == 302
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        cid, contact_id = customer.id, customer.contacts[0].id
        cfg = rc.current(db.session)
        assert rc.values_of(db.session, cfg, "contact", [contact_id])[contact_id] == {"cf_shoe_size": 43}
    card = opened_card(client, cid)
    assert 'class="contact-cf-shoe_size">43<' in card
    edit = client.get(f"/admin/customer/edit/?id={cid}").get_data(as_text=True)
    assert re.search(r'id="contacts-0-cf_shoe_size"[^>]*value="43"', edit)


def test_list_export_has_custom_columns(app, client, auth, admin_user):
    auth.login()
    post_settings(client, auth, "custom", {"entity": "customer", "key": "fleet_size", "field_type": "number",
                                           "label_sv": "Flotta"}, "custom")
    create(client, auth, cf_fleet_size="9")
    csv = client.get("/admin/customer/export/csv/").get_data(as_text=True)
    assert "Flotta" in csv.splitlines()[0] and csv.splitlines()[1].rstrip().endswith("9")
