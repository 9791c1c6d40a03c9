"""The global search of the top bar (issue 10 item 4, "Checks that must exist"): Ctrl+K or `/`
opens it, it finds a customer by plate, tag and OCR number, arrow keys and Enter open a result,
and a technician sees only his assigned customers."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from models import Invoice, Tag, Vehicle, db
from tests import factories as f
from tests.browser.conftest import axe, login, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        s = db.session
        tech = f.user(s, "tech", {"customer.view_assigned", "vehicle.view", "sales.view"})
        mine = f.customer(s, "6001", "Åbergs Åkeri AB", technicians=[tech])
        other = f.customer(s, "6002", "Åbergs Bygg AB", org="5566778899")
        tag = Tag(name="Däckhotell")
        s.add(tag)
        other.tags.append(tag)
        s.add(Vehicle(registration_number="KLM456", owner=other))
        s.add(Invoice(kind="invoice", series="s", sequence=700001, number="700001", ocr="70000182",
                      invoice_date=dt.date(2026, 1, 5), due_date=dt.date(2026, 2, 4), customer=other,
                      customer_number=other.customer_number, customer_name=other.name, billing_address=[],
                      delivery_address=[], country_code="SE", language="sv", prices_include_vat=False,
                      vat_treatment="domestic", payment_term_days=30, currency="SEK", net_total=100,
                      vat_total=25, rounding=0, total=125, print_count=0, finalised_at=dt.datetime(2026, 1, 5)))
        s.commit()
        return {"mine": mine.id, "other": other.id}


def _open_search(page, url: str, key: str):
    """Log in, open ``url`` and press ``key``: the top bar's search field has the focus."""
    login(page)
    page.goto(url)
    page.keyboard.press(key)
    field = page.locator("#global-search-input")
    expect(field).to_be_focused()
    return field


def _results(page):
    return page.locator("#global-search-results")


def test_ctrl_k_finds_a_customer_by_plate_and_arrow_keys_open_his_card(page, world):
    field = _open_search(page, "/admin/customer/", "Control+k")
    field.type("klm 456")
    results = _results(page)
    expect(results).to_be_visible()
    expect(results.locator('[data-kind="vehicle"] [role="option"]').first).to_contain_text("KLM456")
    expect(results.locator('[data-kind="customer"]')).to_contain_text("Åbergs Bygg AB")
    expect(results.locator("#global-search-group-customer")).to_have_text("Kunder")
    assert axe(page) == []
    shot(page, "global-search-plate")
    # the plate typed whole is chosen at once; the down arrow goes round to the owner in "Kunder"
    vehicle = results.locator('[data-kind="vehicle"] [role="option"]').first
    expect(vehicle).to_have_attribute("aria-selected", "true")
    options = results.locator('[role="option"]')
    ids = [options.nth(i).get_attribute("id") for i in range(options.count())]
    owner = results.locator('[data-kind="customer"] [role="option"]').first.get_attribute("id")
    for _ in range((ids.index(owner) - ids.index(vehicle.get_attribute("id"))) % len(ids)):
        page.keyboard.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", owner)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/admin/customer/details/?id={world['other']}")


def test_slash_finds_by_tag_and_enter_opens_an_invoice_by_its_ocr_number(page, world):
    field = _open_search(page, "/admin/", "/")
    field.type("DÄCKHOTELL")
    customers = _results(page).locator('[data-kind="customer"] [role="option"]')
    expect(customers).to_have_count(1)
    expect(customers.first).to_contain_text("Åbergs Bygg AB")
    page.keyboard.press("Escape")
    expect(_results(page)).to_be_hidden()
    field.fill("")
    field.type("70000182")
    invoice = _results(page).locator('[data-kind="invoice"] [role="option"]').first
    expect(invoice).to_contain_text("Faktura 700001")
    expect(invoice).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/admin/invoice/details/" in page.url


def test_technician_sees_only_his_assigned_customers(page, live_app, world):
    login(page, "tech")
    page.keyboard.press("Control+k")
    page.locator("#global-search-input").type("åbergs")
    customers = _results(page).locator('[data-kind="customer"] [role="option"]')
    expect(customers.first).to_contain_text("Åbergs Åkeri AB")
    expect(customers).to_have_count(1)
    expect(_results(page)).not_to_contain_text("Åbergs Bygg AB")
    page.locator("#global-search-input").fill("KLM456")
    expect(_results(page).locator("#global-search-empty")).to_have_text("Inga träffar")
    shot(page, "global-search-technician")


def test_on_a_tablet_the_search_sits_in_the_folded_menu_and_fits_the_screen(page, world):
    """Issue 10 item 12: at 768 px the top bar folds; the search is in it, full width, and its
    results stay inside the window (no sideways scrolling)."""
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page)
    page.goto("/admin/")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    field = page.locator("#global-search-input")
    expect(field).to_be_visible()
    field.click()
    field.type("åbergs")
    expect(_results(page).locator('[data-kind="customer"] [role="option"]')).to_have_count(2)
    box = _results(page).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 768
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    shot(page, "global-search-tablet")
