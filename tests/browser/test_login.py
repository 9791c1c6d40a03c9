"""Log in and out in the browser."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_login_shows_console_and_logout_returns_to_login(page):
    page.goto("/admin/customer/")
    assert "/login" in page.url
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_be_visible()
    login(page)
    page.goto("/admin/")
    expect(page.locator("#user-menu")).to_be_visible()
    shot(page, "dashboard")
    page.click("#user-menu")
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto("/admin/customer/")
    assert "/login" in page.url
