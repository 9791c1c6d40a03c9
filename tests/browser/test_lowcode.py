"""An administrator configures the customer register in Chromium: custom fields of every type,
list columns by drag and drop, an import with one bad row."""
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from models import Customer, db
from services.registers import register_config as rc
from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser

FIELDS = [  # key, type, label, choices
    ("f_text", "text", "Smeknamn", ""), ("f_long", "long_text", "Beskrivning", ""),
    ("f_number", "number", "Antal bilar", ""), ("f_decimal", "decimal", "Rabatt", ""),
    ("f_date", "date", "Kund sedan", ""), ("f_bool", "bool", "Nyhetsbrev", ""),
    ("f_choice", "choice", "Segment", "Taxi\nBud"), ("f_multi", "multi_choice", "Intressen", "Däck\nService\nLack"),
]


def test_admin_adds_custom_field_of_each_type_fills_and_filters(page, live_app):
    login(page)
    for key, ftype, label, choices in FIELDS:
        page.goto("/admin/register-settings/?section=custom")
        page.fill("#cf-key", key)
        page.select_option("#cf-type", ftype)
        page.fill("#cf-label-sv", label)
        if choices:
            page.fill("#cf-choices", choices)
        page.click("#add-custom-field")
        page.wait_for_selector(f"#custom-customer-{key}")
    shot(page, "lowcode-custom-fields")

    page.goto("/admin/register-settings/?section=columns")
    for key, *_rest in FIELDS:
        page.check(f"#show-cf_{key}")
    page.click("#save-columns")
    page.wait_for_selector(".alert-success")

    page.goto("/admin/customer/new/")
    page.select_option("#kind", "company", force=True)
    page.fill("#name", "Taxi Norr AB")
    page.fill("#cf_f_text", "Norrtaxi")
    page.fill("#cf_f_long", "Kör dygnet runt")
    page.fill("#cf_f_number", "12")
    page.fill("#cf_f_decimal", "2.5")
    page.fill("#cf_f_date", "2024-05-01")
    page.check("#cf_f_bool")
    page.select_option("#cf_f_choice", "Taxi", force=True)
    page.select_option("#cf_f_multi", ["Däck", "Lack"], force=True)
    shot(page, "lowcode-customer-form")
    page.locator("input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/admin/customer/(\?.*)?$"))

    page.goto("/admin/customer/new/")
    page.fill("#name", "Bud Syd AB")
    page.fill("#cf_f_number", "3")
    page.select_option("#cf_f_choice", "Bud", force=True)
    page.locator("input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/admin/customer/(\?.*)?$"))

    page.goto("/admin/customer/")
    table = page.locator("table.model-list").inner_text()
    assert "Norrtaxi" in table and "Däck, Lack" in table and "2024-05-01" in table
    shot(page, "lowcode-customer-list")
    with live_app.app_context():
        view = next(v for v in live_app.extensions["verkstad_admin"]._views if v.endpoint == "customer")
        flt = next(i for i, f in enumerate(view._filters) if str(f.name) == "Segment")
        gt = next(i for i, f in enumerate(view._filters) if str(f.name) == "Antal bilar" and f.op == "gt")
    page.goto(f"/admin/customer/?flt0_{flt}=Bud")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and "Bud Syd AB" in rows.first.inner_text()
    page.goto(f"/admin/customer/?flt0_{gt}=10")
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and "Taxi Norr AB" in rows.first.inner_text()

    with live_app.app_context():
        cid = db.session.scalar(select(Customer.id).where(Customer.name == "Taxi Norr AB"))
    page.goto(f"/admin/customer/details/?id={cid}")
    assert page.inner_text("#cf-f_number") == "12" and page.inner_text("#cf-f_bool") == "Ja"
    shot(page, "lowcode-customer-card")


def test_admin_reorders_list_columns_by_drag_and_drop(page, live_app):
    with live_app.app_context():
        db.session.add(Customer(customer_number="1001", name="Ordning AB", email="ordning@example.se"))
        db.session.commit()
    login(page)
    page.goto("/admin/register-settings/?section=columns")
    name_item = page.locator("#column-name .drag-handle")
    number_item = page.locator("#column-customer_number")
    name_item.drag_to(number_item, target_position={"x": 20, "y": 2})
    expect(page.locator("#column-order")).to_have_value(re.compile(r"^name,customer_number,"))
    shot(page, "lowcode-columns")
    page.click("#save-columns")
    page.wait_for_selector(".alert-success")
    with live_app.app_context():
        assert rc.load(db.session).customer_list_columns()[:2] == ["name", "customer_number"]
    page.goto("/admin/customer/")
    headers = [h.strip() for h in page.locator("table.model-list thead th").all_inner_texts() if h.strip()]
    assert headers.index("Namn") < headers.index("Kundnummer")


def test_import_with_one_bad_row_shows_the_error_on_that_row(page, live_app, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "company"
    sheet.append(["customer_number", "kind", "name", "org_number"])
    sheet.append(["2001", "company", "Bra AB", "556036-0793"])
    sheet.append(["2002", "company", "Fel AB", "556036-0794"])
    sheet.append(["2003", "company", "Också bra AB", ""])
    path = tmp_path / "kunder.xlsx"
    book.save(path)
    login(page)
    page.goto("/admin/customer-import/")
    page.set_input_files("#file", str(path))
    page.click("#upload")
    row = page.locator("#row-company-3")
    assert "556036-0794" in row.inner_text() and "Organisationsnummer:" in row.inner_text()
    assert row.locator("td.table-danger").inner_text() == "556036-0794"  # the bad cell is marked
    assert page.locator("#error-rows tbody tr").count() == 1
    shot(page, "lowcode-import-preview")
    page.wait_for_load_state("load")  # the screen's script follows the import
    page.click("#import-valid")
    page.wait_for_selector("#import-result.alert-success")
    expect(page.locator("#import-result")).to_have_text("Skapade: 2, uppdaterade: 0, oförändrade: 0, överhoppade: 1")
    shot(page, "lowcode-import-done")
    with live_app.app_context():
        assert sorted(c.name for c in db.session.scalars(select(Customer))) == ["Bra AB", "Också bra AB"]


def test_gdpr_erase_from_the_card_menu(page, live_app):
    with live_app.app_context():
        db.session.add(Customer(customer_number="1001", kind="private", name="Greta Gustafsson",
                                personal_number="199001011239", email="greta@example.se"))
        db.session.commit()
        cid = db.session.scalar(select(Customer.id))
    login(page)
    page.goto(f"/admin/customer/details/?id={cid}")
    expect(page.locator("#erase-form")).to_be_hidden()
    page.click("#customer-tools")
    expect(page.locator("#merge-link")).to_be_visible()
    expect(page.locator("#erase-form")).to_be_visible()
    page.fill("#erase-confirm", "1001")
    shot(page, "lowcode-gdpr-menu")
    page.click("#erase-button")
    # the erasure is a job (the live server's consumer runs it): the tool's page follows it to its end
    expect(page.locator("#erase-result")).to_have_text("Personuppgifterna raderades.", timeout=60_000)
    expect(page.locator("#erase-job")).to_have_attribute("data-status", "done")
    page.click("#erase-back")
    assert "Greta" not in page.inner_text("#customer-title")
    with live_app.app_context():
        assert db.session.get(Customer, cid).email is None
