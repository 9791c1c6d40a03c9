"""The one form layout, server side (issue 10 items 3 and 8): every ModelView's create and edit
form in groups with the action bar; the customer form shows the chosen kind's fields and
asterisks from the first byte (no script needed), and names a missing field by its label."""
import re

from flask_admin.contrib.sqla import ModelView
from sqlalchemy import select

from models import Customer, db
from services.registers import register_config as rc
from tests.factories import CUSTOMER_NEW
from tests.factories import post_customer as create


def wrapper(html: str, field: str) -> str:
    """The opening tag of the layout's wrapper of ``field``."""
    found = re.search(r'<div class="form-group vk-field[^"]*" data-field="' + field + r'"[^>]*>', html)
    assert found, field
    return found.group(0)


def require_phone_for_private(app) -> None:
    with app.app_context():
        rules = {(kind, key): (True, False) for kind in rc.KINDS for key in rc.CUSTOMER_FIELDS}
        rules[("private", "phone")] = (True, True)
        rc.save_field_rules(db.session, "customer", rules)
        db.session.commit()


def test_every_register_form_uses_the_layout(app, client, auth, admin_user):
    auth.login()
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]
    checked = 0
    for view in views:
        url = f"{view.url}/new/"
        response = client.get(url)
        if response.status_code == 403:  # a register nobody creates in (the audit log)
            continue
        html = response.get_data(as_text=True)
        assert 'class="admin-form vk-form"' in html, url
        assert re.search(r'<section class="vk-group" id="group-\w+"', html), url
        assert re.search(r'class="vk-form-actions".*?id="form-save"', html, re.S), url
        checked += 1
    assert checked >= 15, checked


def test_customer_form_shows_the_kinds_fields_and_asterisks_from_the_server(app, client, auth, admin_user):
    require_phone_for_private(app)
    auth.login()
    html = client.get(CUSTOMER_NEW).get_data(as_text=True)
    assert "d-none" not in wrapper(html, "org_number")
    assert "d-none" in wrapper(html, "personal_number")
    assert 'data-required-kinds="private"' in wrapper(html, "phone")
    assert re.search(r'for="phone"[^>]*>Telefon<strong class="text-danger vk-required" aria-hidden="true" hidden>', html)
    for group in ("identity", "contact", "addresses", "contacts", "terms", "assignment", "settings"):
        assert f'id="group-{group}"' in html, group

    # refused as a private person: the form comes back as a private person's, the error by label
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson", phone="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "d-none" in wrapper(html, "org_number") and "d-none" not in wrapper(html, "personal_number")
    assert re.search(r'for="phone"[^>]*>Telefon<strong class="text-danger vk-required" aria-hidden="true">', html)
    assert re.search(r'id="phone-error">\s*<li>Telefon är obligatoriskt\.</li>', html)
    with app.app_context():
        assert db.session.scalar(select(Customer)) is None


def test_contact_field_required_by_the_configuration_is_named_next_to_it(app, client, auth, admin_user):
    with app.app_context():
        rc.save_field_rules(db.session, "contact", {("", "phone"): (True, True)})
        db.session.commit()
    auth.login()
    response = create(client, auth, **{"contacts-0-phone": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'for="contacts-0-phone"[^>]*>Telefon\s*<strong class="text-danger">', html)
    assert re.search(r'id="contacts-0-phone"[^>]*>\s*<div class="invalid-feedback">\s*<ul[^>]*>\s*<li>'
                     r'Telefon är obligatoriskt\.</li>', html), html[html.find('contacts-0-phone') - 200:html.find('contacts-0-phone') + 800]
    with app.app_context():
        assert db.session.scalar(select(Customer)) is None


def test_custom_field_for_one_kind_is_shown_and_marked_required_for_that_kind_only(app, client, auth, admin_user):
    with app.app_context():
        rc.save_custom_field(db.session, "customer", "pet", "text", "Husdjur", required=True, kinds=["private"],
                             tab="identity")
        db.session.commit()
    auth.login()
    html = client.get(CUSTOMER_NEW).get_data(as_text=True)
    tag = wrapper(html, "cf_pet")
    assert "d-none" in tag and 'data-kinds="private"' in tag and 'data-required-kinds="private"' in tag
    # placed in the group its tab names
    identity = html[html.index('id="group-identity"'):html.index('id="group-contact"')]
    assert 'data-field="cf_pet"' in identity
    response = create(client, auth, kind="private", org_number="", personal_number="19811218-9876",
                      name="Anna Andersson")
    html = response.get_data(as_text=True)
    assert "d-none" not in wrapper(html, "cf_pet")
    assert re.search(r'for="cf_pet"[^>]*>Husdjur<strong class="text-danger vk-required" aria-hidden="true">', html)


def test_forms_have_the_cards_header_not_flask_admins_tabs(app, client, auth, admin_user):
    """A form is headed like its card (the record's name, back to the list, "Visa kort"), not
    by Flask-Admin's List/Create/Edit/Details tabs and a second title."""
    auth.login()
    create(client, auth, name="Rubrik AB")
    with app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.name == "Rubrik AB"))
    html = client.get(f"/admin/customer/edit/?id={customer_id}").get_data(as_text=True)
    header = html[html.index('id="form-title"'):html.index("</header>", html.index('id="form-title"'))]
    assert "Rubrik AB" in header and 'id="show-card"' in header and "Visa kort" in header
    assert 'class="nav nav-tabs"' not in html and '<h4 class="mb-4">' not in html
    new = client.get("/admin/district/new/").get_data(as_text=True)
    assert "Distrikt: ny post" in new and 'id="show-card"' not in new and 'class="nav nav-tabs"' not in new


def test_flash_close_button_is_named_and_not_hidden(app, client, auth, admin_user):
    """Flask-Admin's close button was aria-hidden yet focusable (axe: aria-hidden-focus)."""
    auth.login()
    token = auth.token("/admin/district/new/")
    response = client.post("/admin/district/new/", data={"csrf_token": token, "name": "Flash", "active": "y"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    button = re.search(r'<div class="alert alert-success[^>]*>\s*<button[^>]*>', html)
    assert button, html[:2000]
    assert 'aria-label="Stäng"' in button.group(0) and "aria-hidden" not in button.group(0)


def fields_outside_groups(html: str) -> list[str]:
    """The fields of the page's form not inside a group (a ``<section class="vk-group">``)."""
    inside = {m for s in re.findall(r'<section class="vk-group".*?</section>', html, re.S)
              for m in re.findall(r'class="form-group vk-field[^"]*" data-field="([\w-]+)"', s)}
    every = re.findall(r'class="form-group vk-field[^"]*" data-field="([\w-]+)"', html)
    return [f for f in every if f not in inside]


def test_every_customer_field_is_in_a_group_the_technicians_in_assignment(app, client, auth, admin_user):
    """Issue 10 item 3: "Tilldelade tekniker" in the assignment group, for the administrator and
    for a user who may not assign (the field is shown disabled there), on both forms."""
    from tests.factories import customer, make_user

    make_user(app, "advisor", {"customer.view", "customer.edit", "customer.create"})
    with app.app_context():
        cid = customer(db.session).id
        db.session.commit()
    for user in ("admin", "advisor"):
        auth.login(user)
        for url in (CUSTOMER_NEW, f"/admin/customer/edit/?id={cid}"):
            html = client.get(url).get_data(as_text=True)
            assert 'data-field="assigned_technicians"' in html, (user, url)
            assert fields_outside_groups(html) == [], (user, url)
            group = re.search(r'<section class="vk-group" id="group-assignment".*?</section>', html, re.S).group(0)
            assert 'data-field="assigned_technicians"' in group, (user, url)
        auth.logout()
