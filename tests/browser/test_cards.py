"""Issue 10 item 1 in the browser: the vehicle card and a settings register's card, clicked
through from their lists; tabs switch and keep their hash, values sit in two columns at 1400 px
and in one at 768 px, the actions work; axe-core finds nothing serious; screenshots at
1400 × 900 and 768 × 1024 to look at."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from models import District, Vehicle, VehicleMake, VehicleNote, db
from tests import factories as f
from tests.browser.conftest import SIZES, axe, login, shot

pytestmark = pytest.mark.browser

@pytest.fixture
def records(live_app):
    with live_app.app_context():
        owner = f.customer(db.session, "4711", "Åkeri Nord AB")
        car = Vehicle(registration_number="ABC123", make=VehicleMake(name="Volvo"), model="V60", owner=owner,
                      odometer_km=45120, first_registration_date=dt.date(2021, 3, 4))
        car.notes = [VehicleNote(text="Repa vänster dörr", open=True)]
        district = District(name="Norrort")
        db.session.add_all([car, district])
        db.session.commit()
        district.name = "Norrort City"  # a change for the History tab
        db.session.commit()
        return {"vehicle": car.id, "owner": owner.id, "district": district.id}


def _columns(page) -> int:
    """How many columns the overview's labelled values stand in (by their left edges), measured
    once the stylesheets are in (a click's navigation can show the title before they are)."""
    page.wait_for_load_state("load")
    return page.evaluate("""() => new Set(Array.from(document.querySelectorAll('#tab-overview .record-column'))
        .filter(c => c.children.length).map(c => Math.round(c.getBoundingClientRect().left))).size""")


def _sized_login(page, size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    login(page)


@pytest.mark.parametrize("size", SIZES)
def test_vehicle_card_clicked_through(page, records, size):
    _sized_login(page, size)
    page.goto("/admin/vehicle/")
    page.click(f"a[href*='/admin/vehicle/details/?id={records['vehicle']}'] >> nth=0")
    expect(page.locator("#card-title")).to_have_text("ABC123 V60")
    assert _columns(page) == (2 if size == "desktop" else 1)
    overview = page.locator("#tab-overview")
    expect(overview.locator("dt", has_text="Mätarställning (km)").locator("xpath=following-sibling::dd[1]")).to_have_text(
        "45\xa0120")
    expect(overview.locator("dt", has_text="Ägare").locator("xpath=following-sibling::dd[1]")).to_contain_text(
        "Åkeri Nord AB")
    shot(page, f"card-vehicle-{size}")
    if size == "desktop":
        assert axe(page) == []
    # the notes tab shows its count and its rows; the hash follows the tab
    notes = page.locator("#tab-link-notes")
    expect(notes).to_contain_text("1")
    notes.click()
    expect(page.locator("#tab-notes")).to_be_visible()
    expect(page.locator("#record-table-notes")).to_contain_text("Repa vänster dörr")
    page.wait_for_function("() => location.hash === '#tab-notes'")
    page.click("#tab-link-history")
    expect(page.locator("#tab-history .history-table")).to_be_visible()
    shot(page, f"card-vehicle-history-{size}")
    if size == "desktop":
        assert axe(page) == []
    # a linked record opens its own card
    page.click("#tab-link-overview")
    page.click(f"#tab-overview a[href*='/admin/customer/details/?id={records['owner']}']")
    expect(page.locator("#customer-title")).to_contain_text("Åkeri Nord AB")
    page.go_back()
    # Edit opens the form (the e shortcut names the same button)
    page.click("#edit-record")
    page.wait_for_url("**/admin/vehicle/edit/**")


@pytest.mark.parametrize("size", SIZES)
def test_settings_register_card_clicked_through(page, records, size):
    _sized_login(page, size)
    page.goto("/admin/district/")
    page.click(f"a[href*='/admin/district/details/?id={records['district']}'] >> nth=0")
    expect(page.locator("#card-title")).to_have_text("Norrort City")
    expect(page.locator("#tab-overview dd").first).to_have_text("Norrort City")
    history = page.locator("#tab-link-history")
    expect(history).to_contain_text("Historik")
    assert int(history.locator(".record-count").inner_text()) >= 2
    shot(page, f"card-district-{size}")
    if size == "desktop":
        assert axe(page) == []
    history.click()
    expect(page.locator("#tab-history")).to_contain_text("Norrort City")
    shot(page, f"card-district-history-{size}")
    width_now = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width_now[0] <= width_now[1], width_now
    # Delete asks first; dismissing keeps the record
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#delete-record")
    expect(page.locator("#card-title")).to_have_text("Norrort City")
