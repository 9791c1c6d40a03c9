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


def test_turn_on_two_factor_then_log_in_with_the_code(page):
    import time

    import pyotp

    from tests.factories import PASSWORD

    login(page)
    page.goto("/profile/")
    expect(page.locator("#totp-qr svg")).to_be_visible()
    secret = page.inner_text("#totp-secret")
    shot(page, "profile-two-factor")
    page.fill("#totp-code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("#totp-on")
    expect(page.locator("#totp-status")).to_be_visible()
    page.click("#user-menu")
    page.click("#logout")
    page.wait_for_url("**/login")

    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/login/code*")
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the current code is spent
    page.click("#code-submit")
    page.wait_for_url("**/admin/**")
    expect(page.locator("#user-menu")).to_be_visible()
