"""Customer register settings (issue 10 item 8): a refused change keeps the user's other
edits; the module tabs of the card are ordered and switched off like the others; one switch
for Events."""
import re

from sqlalchemy import select

from models import Customer, db
from services.registers import register_config as rc
from tests.factories import post_customer as create

SETTINGS = "/admin/register-settings/"


def post(client, auth, path, data, section):
    token = auth.token(f"{SETTINGS}?section={section}")
    return client.post(SETTINGS + path, data={"csrf_token": token, **data})


def checked(html: str, box: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{re.escape(box)}"[^>]*>', html)
    assert tag, box
    return " checked" in tag.group(0)


def test_a_refused_field_change_keeps_the_other_edits(client, auth, admin_user):
    auth.login()
    data = {}
    for kind in rc.KINDS:
        for key in rc.CUSTOMER_FIELDS:
            if key not in ("district", "phone"):  # district switched off: one edit of the user
                data[f"active-{kind}-{key}"] = "on"
    data["required-company-phone"] = "on"  # required but inactive: refused
    response = post(client, auth, "fields", {"entity": "customer", **data}, "fields")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="fields-error"' in html
    assert not checked(html, "active-company-district") and not checked(html, "active-private-district")
    assert checked(html, "required-company-phone") and checked(html, "active-company-email")
    # nothing was saved
    stored = client.get(f"{SETTINGS}?section=fields").get_data(as_text=True)
    assert checked(stored, "active-company-district") and not checked(stored, "required-company-phone")


def test_a_refused_tab_change_keeps_the_order_and_boxes(client, auth, admin_user):
    auth.login()
    response = post(client, auth, "tabs", {"order": "history,orders,overview", "main-history": "on"}, "tabs")
    assert response.status_code == 400  # no tab enabled
    html = response.get_data(as_text=True)
    assert 'id="tabs-error"' in html
    keys = re.findall(r'<li class="list-group-item[^"]*" data-key="([^"]+)"', html)
    assert keys[:3] == ["history", "orders", "overview"]
    assert checked(html, "main-history") and not checked(html, "enabled-overview")


def test_a_refused_types_change_keeps_the_other_boxes(client, auth, admin_user):
    auth.login()
    response = post(client, auth, "types", {"quotes-prospect": "on", "bookings-temporary": "on"}, "types")
    assert response.status_code == 400  # orders without any type
    html = response.get_data(as_text=True)
    assert 'id="types-error"' in html and 'class="table-danger"><td>Order<' in html
    assert checked(html, "quotes-prospect") and not checked(html, "quotes-regular")
    assert checked(html, "bookings-temporary") and not checked(html, "bookings-regular")


def test_a_refused_column_change_keeps_the_order(client, auth, admin_user):
    auth.login()
    response = post(client, auth, "columns", {"order": "email,name,customer_number"}, "columns")
    assert response.status_code == 400  # no column chosen
    html = response.get_data(as_text=True)
    keys = re.findall(r'<li class="list-group-item[^"]*" data-key="([^"]+)" id="column-', html)
    assert keys[:3] == ["email", "name", "customer_number"]


def test_module_tabs_are_ordered_and_switched_off_like_the_others(app, client, auth, admin_user):
    auth.login()
    assert create(client, auth).status_code == 302
    with app.app_context():
        cid = db.session.scalar(select(Customer.id))
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    for key in ("quotes", "orders", "invoices", "bookings"):
        assert f'id="tab-link-{key}"' in card and f'id="tab-{key}"' in card
    assert 'id="tab-link-events"' not in card
    page = client.get(f"{SETTINGS}?section=tabs").get_data(as_text=True)
    assert 'name="events_tab"' not in page  # one switch for Events: its tab's
    listed = re.findall(r'data-key="([^"]+)"', page)
    assert {"quotes", "orders", "invoices", "bookings", "events"} <= set(listed)
    response = post(client, auth, "tabs", {
        "order": "bookings,overview,invoices,orders,events,quotes",
        "enabled-bookings": "on", "main-bookings": "on", "enabled-overview": "on", "main-overview": "on",
        "enabled-invoices": "on", "enabled-events": "on", "main-events": "on", "enabled-quotes": "on",
        "main-quotes": "on"}, "tabs")
    assert response.status_code == 302
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    assert 'id="tab-link-orders"' not in card and 'id="tab-orders"' not in card
    links = re.findall(r'id="tab-link-([\w-]+)"', card)
    assert links[:4] == ["bookings", "overview", "events", "quotes"]
    assert 'class="tab-pane active" id="tab-bookings"' in card
    more = card[card.index('id="tab-more"'):]
    assert 'id="tab-link-invoices"' in more  # enabled, not in the main row


def test_a_custom_field_is_edited_and_limited_to_one_kind(app, client, auth, admin_user):
    auth.login()
    assert post(client, auth, "custom", {"entity": "customer", "key": "fleet_size", "field_type": "number",
                                         "label_sv": "Flotta", "kinds": ["company", "private"]},
                "custom").status_code == 302
    with app.app_context():
        from models import CustomField
        fid = db.session.scalar(select(CustomField.id))
    page = client.get(f"{SETTINGS}?section=custom&edit={fid}").get_data(as_text=True)
    assert 'id="custom-form-title">Ändra det egendefinierade fältet fleet_size<' in page
    assert re.search(r'id="cf-key"[^>]*readonly', page) and re.search(r'id="cf-label-sv"[^>]*value="Flotta"', page)
    # label, required, tab and kinds change; the key stays even when another is sent
    response = post(client, auth, "custom", {"field_id": str(fid), "entity": "customer", "key": "other",
                                             "field_type": "number", "label_sv": "Antal bilar", "required": "on",
                                             "tab": "Flotta", "position": "3", "kinds": ["company"],
                                             "kinds_shown": "1"}, "custom")
    assert response.status_code == 302
    with app.app_context():
        cf = db.session.get(CustomField, fid)
        assert (cf.key, cf.label_sv, cf.required, cf.tab, cf.kinds) == ("fleet_size", "Antal bilar", True,
                                                                         "Flotta", ["company"])
    response = post(client, auth, "custom", {"field_id": str(fid), "field_type": "number", "label_sv": "X",
                                             "kinds_shown": "1"}, "custom")
    assert response.status_code == 400 and 'id="error-kinds"' in response.get_data(as_text=True)
    form = client.get("/admin/customer/new/").get_data(as_text=True)
    assert '"cf_fleet_size": ["company"]' in form  # shown for companies only (customer_form_js.html)
    # required for companies only: a private person is saved without it ...
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    # ... a company is not, and a value typed for a private person is refused, not dropped
    response = create(client, auth, form_nonce="n2")
    assert response.status_code == 200 and "Antal bilar är obligatoriskt" in response.get_data(as_text=True)
    response = create(client, auth, form_nonce="n3", kind="private", org_number="", customer_number="",
                      personal_number="19790101-0012", name="Bo Berg", cf_fleet_size="4")
    assert response.status_code == 200
    assert "Fältet används inte för privatpersoner" in response.get_data(as_text=True)
    assert create(client, auth, form_nonce="n4", cf_fleet_size="4").status_code == 302


def test_the_form_layout_is_saved_from_the_dragged_groups(app, client, auth, admin_user):
    import json

    auth.login()
    for key in ("first", "second"):
        post(client, auth, "custom", {"entity": "customer", "key": key, "field_type": "text", "label_sv": key,
                                      "kinds": ["company", "private"]}, "custom")
    with app.app_context():
        from models import CustomField
        ids = {cf.key: cf.id for cf in db.session.scalars(select(CustomField))}
    page = client.get(f"{SETTINGS}?section=custom").get_data(as_text=True)
    assert 'id="layout-customer"' in page and 'id="layout-field-customer-first"' in page
    layout = [{"tab": None, "ids": [ids["second"]]}, {"tab": "Flotta", "ids": [ids["first"]]}]
    response = post(client, auth, "custom/layout", {"entity": "customer", "layout": json.dumps(layout)}, "custom")
    assert response.status_code == 302
    form = client.get("/admin/customer/new/").get_data(as_text=True)
    assert form.index('id="cf_second"') < re.search(r">\s*Flotta\s*<", form).start() < form.index('id="cf_first"')
    bad = post(client, auth, "custom/layout", {"entity": "customer", "layout": "not json"}, "custom")
    assert bad.status_code == 400 and 'id="layout-error"' in bad.get_data(as_text=True)
