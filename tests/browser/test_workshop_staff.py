"""A service advisor adds a technician in Chromium (issue 13 item 1): Verkstad > Personal och
resurser, a new staff card with staff number, rates and a stamping PIN; a PIN of three digits is
refused beside its field; the card shows the PIN only as "Angiven"; list, form and card pass axe."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Resource, db
from services.platform.rights import DEFAULT_ROLES
from services.workshop import resources
from tests.browser.conftest import axe, login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_an_advisor_creates_a_technician_with_a_pin(page, live_app):
    make_user(live_app, "sara", DEFAULT_ROLES["Service advisor"])
    login(page, "sara")
    page.goto("/admin/")
    page.click("a.dropdown-toggle:has-text('Verkstad')")
    page.click("a:has-text('Personal och resurser')")
    page.wait_for_url("**/admin/resource/**")
    assert axe(page) == []
    page.goto("/admin/resource/new/")
    expect(page.locator("#kind")).to_have_value("staff")  # a new resource is staff unless chosen
    page.fill("#name", "Nils Mekaniker")
    page.fill("#staff_number", "101")
    page.click("#s2id_floor_role a.select2-choice")
    page.locator("#select2-drop .select2-result-label", has_text="Tekniker").click()
    page.fill("#hourly_cost", "310,50")
    page.fill("#hourly_rate", "1 095")
    page.fill("#pin", "123")
    page.click("#form-save")
    expect(page.locator("body")).to_contain_text("Stämpel-PIN ska vara 4 till 6 siffror.")
    assert axe(page) == []
    with live_app.app_context():
        assert db.session.scalar(select(Resource)) is None
    page.fill("#pin", "4711")
    page.click("#form-save")
    page.wait_for_url("**/admin/resource/**")
    expect(page.locator("body")).to_contain_text("Nils Mekaniker")
    with live_app.app_context():
        r = db.session.scalar(select(Resource))
        assert (r.kind, r.staff_number, r.floor_role) == ("staff", "101", "technician")
        assert resources.pin_matches(r, "4711")
        rid = r.id
    page.goto(f"/admin/resource/details/?id={rid}")
    expect(page.locator("body")).to_contain_text("Angiven")
    expect(page.locator("body")).to_contain_text("Debiteringspris")
    assert "4711" not in page.content()
    assert axe(page) == []
    shot(page, "workshop-staff-card")
