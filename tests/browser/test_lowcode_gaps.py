"""The low-code gaps of issue 10 item 8 in Chromium: a custom field edited after creation and
dragged in the form layout, "Tilldela" in bulk from the list, a pasted spreadsheet row split into
the fields, the order form's customer look-up following the kind (customer types per module)."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Customer, CustomField, Role, RoleRight, User, db
from services.registers import register_config as rc
from tests.browser.conftest import axe, login, shot
from tests.factories import HASH
from tests.factories import customer as make_customer

pytestmark = pytest.mark.browser


def test_admin_edits_a_custom_field_and_drags_it_in_the_layout(page, live_app):
    with live_app.app_context():
        rc.save_custom_field(db.session, "customer", "fleet_size", "number", "Flotta", position=10)
        rc.save_custom_field(db.session, "customer", "segment", "choice", "Segment", choices=["Taxi", "Bud"],
                             position=20, tab="Bransch")
        db.session.commit()
    login(page)
    page.goto("/admin/register-settings/?section=custom")
    page.click("#edit-customer-fleet_size")
    expect(page.locator("#custom-form-title")).to_contain_text("fleet_size")
    expect(page.locator("#cf-key")).to_have_attribute("readonly", "")
    page.fill("#cf-label-sv", "Antal bilar")
    page.check("#cf-required")
    page.uncheck("#cf-kind-private")
    shot(page, "lowcode-edit-custom-field")
    assert axe(page) == []  # the edit form and the layout (no flash message on the page yet)
    page.click("#save-custom-field")
    page.wait_for_selector(".alert-success")
    expect(page.locator("#custom-customer-fleet_size")).to_contain_text("Antal bilar")
    expect(page.locator("#custom-customer-fleet_size")).to_contain_text("Företag")
    with live_app.app_context():
        cf = db.session.scalar(select(CustomField).where(CustomField.key == "fleet_size"))
        assert (cf.label_sv, cf.required, cf.kinds) == ("Antal bilar", True, ["company"])

    # drag "Antal bilar" from "Additional information" into the tab "Bransch", above Segment
    page.locator("#layout-field-customer-fleet_size .drag-handle").drag_to(
        page.locator("#layout-field-customer-segment"), target_position={"x": 30, "y": 2})
    group = page.locator('#layout-customer .layout-group[data-tab="Bransch"] li')
    expect(group).to_have_count(2)
    expect(group.first).to_have_id("layout-field-customer-fleet_size")
    shot(page, "lowcode-form-layout")
    page.click("#save-layout-customer")
    page.wait_for_selector(".alert-success")
    with live_app.app_context():
        fields = rc.load(db.session).fields_of("customer")
        assert [(f.key, f.tab) for f in fields] == [("fleet_size", "Bransch"), ("segment", "Bransch")]

    # the form follows: for a company the field is there (required), for a private person hidden
    page.goto("/admin/customer/new/")
    page.select_option("#kind", "company", force=True)
    expect(page.locator("#cf_fleet_size")).to_be_visible()
    form = page.content()
    assert form.index('id="cf_fleet_size"') < form.index('id="cf_segment"')
    page.select_option("#kind", "private", force=True)
    page.evaluate("() => window.jQuery('#kind').trigger('change')")
    expect(page.locator("#cf_fleet_size")).to_be_hidden()
    shot(page, "lowcode-form-private")


def _technicians(live_app):
    with live_app.app_context():
        role = Role(name="Tekniker", rights=[RoleRight(right="customer.view_assigned")])
        db.session.add(role)
        for name in ("erik", "fatima"):
            db.session.add(User(username=name, full_name=f"{name.title()} Tekniker", password_hash=HASH, role=role))
        ids = [make_customer(db.session, str(1001 + i), f"Kund {i}", org=org).id
               for i, org in enumerate(("5560360793", "5566778899", "5560000001"))]
        db.session.commit()
        return ids


def test_tilldela_in_bulk_from_the_list(page, live_app):
    ids = _technicians(live_app)
    login(page)
    page.goto("/admin/customer/")
    for cid in ids[:2]:
        page.check(f"input.action-checkbox[value='{cid}']")
    page.evaluate("() => modelActions.execute('assign')")
    page.wait_for_url(re.compile(r".*/admin/customer/assign/.*"))
    expect(page.locator("#assign-customers")).to_contain_text("2 kunder")
    groups = page.locator("#assign-groups legend").all_inner_texts()
    assert groups[0] == "Tekniker"  # technicians first, in groups by role
    page.fill("#assign-filter", "fat")
    expect(page.get_by_label("Erik Tekniker")).to_be_hidden()
    page.fill("#assign-filter", "")
    page.get_by_label("Erik Tekniker").check()
    shot(page, "lowcode-tilldela")
    assert axe(page) == []
    page.click("#assign-add")
    page.wait_for_selector(".alert-success")
    with live_app.app_context():
        assigned = {c.id: [u.username for u in c.technicians] for c in db.session.scalars(select(Customer))}
    assert assigned == {ids[0]: ["erik"], ids[1]: ["erik"], ids[2]: []}

    # from the card: the picker shows the customer's technicians ticked; "Klar" sets them
    page.goto(f"/admin/customer/details/?id={ids[0]}")
    page.click("#assign-technicians")
    expect(page.get_by_label("Erik Tekniker")).to_be_checked()
    page.get_by_label("Erik Tekniker").uncheck()
    page.get_by_label("Fatima Tekniker").check()
    page.click("#assign-done")
    page.wait_for_url(re.compile(rf".*/admin/customer/details/\?id={ids[0]}"))
    with live_app.app_context():
        assert [u.username for u in db.session.get(Customer, ids[0]).technicians] == ["fatima"]


def test_a_pasted_spreadsheet_row_is_split_into_the_fields(page, live_app):
    login(page)
    page.goto("/admin/customer/new/")
    page.select_option("#kind", "company", force=True)
    page.fill("#name", "Bygg AB\t556036-0793\tinfo@bygg.se\t08-123 45 67\tStorgatan 1\t111 22\tStockholm")
    box = page.locator("#paste-split")
    expect(box).to_be_visible()
    expect(box).to_contain_text("7 celler")
    preview = page.locator("#paste-split-preview").inner_text()
    assert "E-post: info@bygg.se" in preview and "Stockholm" in preview
    shot(page, "lowcode-paste-split")
    assert axe(page) == []
    page.click("#paste-split-apply")
    expect(box).to_be_hidden()
    assert page.input_value("#name") == "Bygg AB"
    assert page.input_value("#org_number") == "556036-0793"
    assert page.input_value("#email") == "info@bygg.se"
    assert page.input_value("#phone") == "08-123 45 67"
    assert page.input_value("#visiting_street") == "Storgatan 1"
    assert page.input_value("#visiting_postal_code") == "111 22"
    assert page.input_value("#visiting_city") == "Stockholm"
    # "Keep as typed" leaves the text alone
    page.fill("#name", "A\tB")
    page.click("#paste-split-keep")
    expect(box).to_be_hidden()
    assert page.input_value("#name") == "A\tB"


def test_the_order_forms_customer_look_up_follows_the_kind(page, live_app):
    with live_app.app_context():
        make_customer(db.session, "1001", "Vanlig AB")
        make_customer(db.session, "1002", "Prospekt AB", org="5566778899", customer_type="prospect")
        db.session.commit()
    login(page)
    page.goto("/admin/order/new/")

    def offered(kind):
        page.select_option("#kind", kind, force=True)
        page.click("#s2id_customer a")
        page.fill("#select2-drop input.select2-input", "AB")
        results = page.locator("#select2-drop .select2-results li.select2-result-selectable")
        expect(results.first).to_be_visible()
        texts = results.all_inner_texts()
        page.keyboard.press("Escape")
        return texts

    assert offered("order") == ["1001 Vanlig AB"]
    assert sorted(offered("quote")) == ["1001 Vanlig AB", "1002 Prospekt AB"]
