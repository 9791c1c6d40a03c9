"""A forgotten password in the browser (issue 11 item 5): the log-in's link, the mail in the
outbox, its link, a new password, and logging in with it; and the new password a user chooses
at the first log-in after an administrator set one."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import OutboxMessage, db
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_forgot_password_mail_link_new_password_log_in(page, live_app, live_server):
    make_user(live_app, "anna", {"customer.view"}, email="anna@verkstad.test", full_name="Anna Andersson")
    page.goto("/login")
    page.click("#forgot-password")
    page.wait_for_url("**/login/forgot")
    page.fill("#login", "anna@verkstad.test")
    page.click("#reset-request")
    expect(page.locator("#reset-sent")).to_contain_text("Länken gäller i 60 minuter")
    with live_app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert (mail.recipient, mail.status) == ("anna@verkstad.test", "queued")
        link = re.search(r"https?://\S+/login/reset/\S+", mail.body).group(0)
    assert link.startswith(live_server)
    page.goto(link)
    page.fill("#new_password", "annas-new-password")
    page.fill("#repeat_password", "annas-other-password")
    page.click("#reset-submit")
    expect(page.locator(".invalid-feedback")).to_contain_text("De två nya lösenorden skiljer sig åt")
    page.fill("#new_password", "annas-new-password")
    page.fill("#repeat_password", "annas-new-password")
    shot(page, "password-reset")
    page.click("#reset-submit")
    page.wait_for_url("**/login")
    expect(page.locator(".alert-success")).to_contain_text("Ditt lösenord är ändrat")
    page.fill("#username", "anna")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_be_visible()  # the old password is gone
    login(page, "anna", "annas-new-password")
    expect(page.locator("#user-menu")).to_be_visible()
    page.goto(link)  # the link is spent
    expect(page.locator("#reset-error")).to_contain_text("Länken har redan använts")


def test_first_log_in_with_an_administrators_password_asks_for_a_new_one(page, live_app):
    make_user(live_app, "nisse", {"customer.view"}, must_change_password=True)
    page.goto("/login")
    page.fill("#username", "nisse")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/password/new**")
    expect(page.locator("#must-change")).to_be_visible()
    page.goto("/admin/customer/")  # nothing else until the new password is chosen
    page.wait_for_url("**/password/new**")
    page.fill("#new_password", "nisses-own-password")
    page.fill("#repeat_password", "nisses-own-password")
    page.click("#new-password-submit")
    page.wait_for_url("**/admin/customer/**")
    expect(page.locator("#user-menu")).to_be_visible()
