"""Custom fields and comments on the vehicle card in Chromium."""
import pytest

from tests.browser.conftest import login, shot
from tests.factories import define_fields, make_user

pytestmark = pytest.mark.browser


def test_vehicle_custom_fields_and_comment(page, live_app):
    define_fields(live_app)
    make_user(live_app, "lotta", {"vehicle.view"}, full_name="Lotta Lind")
    login(page)
    page.goto("/admin/vehicle/new/")
    page.fill("#registration_number", "ABC 123")
    page.fill("#model", "V60")
    page.fill("#cf_tyre_hotel", "Hylla 12B")
    page.fill("#cf_axles", "2")
    page.fill("#cf_inspected", "2026-03-01")
    page.check("#cf_towbar")
    page.select_option("#cf_segment", "Taxi")
    shot(page, "vehicle-custom-form")
    page.click("input[type=submit].btn-primary >> nth=0")
    page.wait_for_url("**/admin/vehicle/")  # saved: back on the list
    assert page.locator("text=Hylla 12B").count() == 1
    shot(page, "vehicle-custom-list")
    page.click("a[href*='/admin/vehicle/details/'] >> nth=0")
    page.wait_for_selector("#cf-segment")
    assert page.inner_text("#cf-segment") == "Taxi"
    page.click("#tab-link-comments")  # the card's comments are in their own tab
    page.fill("#comment-body", "@lot")
    page.type("#comment-body", "t")
    page.click(".mention-option")
    assert page.input_value("#comment-body").startswith("@lotta ")
    page.click("#add-comment")
    page.wait_for_selector("#comment-list li:has-text('@lotta')")
    shot(page, "vehicle-card-comments")
