"""Log in and out in the browser."""
import pytest

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_login_shows_console_and_logout_returns_to_login(page):
    page.goto("/admin/customer/")
    assert "/login" in page.url
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    assert page.locator("#login-error").is_visible()
    login(page)
    page.goto("/admin/")
    assert page.locator("#user-menu").is_visible()
    shot(page, "dashboard")
    page.click("#user-menu")
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto("/admin/customer/")
    assert "/login" in page.url
