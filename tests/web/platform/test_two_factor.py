"""The TOTP second factor through HTTP: turned on in the profile, asked for at log-in,
turned off by the user (with the password) or by an administrator (a lost phone)."""
import re

import pyotp
import pytest
from sqlalchemy import select

from models import User, db
from tests.factories import PASSWORD, csrf_from, make_user


# the middle of a 30-second TOTP step: the app's clock stands still here, so no test meets the
# moment a code rolls over (the time of day is the views' CLOCK, set by the fixture below)
T0 = 1_800_000_015


@pytest.fixture(autouse=True)
def clock(app):
    """The app's clock, set to T0; a test moves it with ``clock.now = ...``."""

    class Clock:
        now = T0

        def __call__(self):
            return self.now

    app.config["CLOCK"] = fixed = Clock()
    return fixed


def code(secret: str, at: float = T0) -> str:
    return pyotp.TOTP(secret).at(at)


def turn_on(client) -> str:
    page = client.get("/profile/").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page  # the QR code for the app
    response = client.post("/profile/", data={"csrf_token": csrf_from(page), "which": "totp_on",
                                              "totp-code": code(secret)})
    assert response.status_code == 302
    return secret


def log_in_with_password(client, username="admin"):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page)})


def give_code(client, code: str):
    page = client.get("/login/code").get_data(as_text=True)
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_from(page)})


def test_turned_on_the_log_in_asks_for_the_code(app, client, auth, admin_user):
    auth.login()
    secret = turn_on(client)
    with app.app_context():
        assert db.session.get(User, admin_user).totp_secret == secret
    auth.logout()

    response = log_in_with_password(client)
    assert response.status_code == 302 and "/login/code" in response.location
    assert client.get("/admin/customer/").status_code == 302  # not logged in between the steps
    assert give_code(client, "000000").status_code == 401
    # the current code turned it on and is spent; the phone's next one is taken
    response = give_code(client, code(secret, T0 + 30))
    assert response.status_code == 302 and "/admin/" in response.location
    assert client.get("/admin/customer/").status_code == 200


def test_a_code_is_not_taken_twice_and_wrong_codes_lock(app, client, auth, admin_user):
    auth.login()
    secret = turn_on(client)
    auth.logout()
    log_in_with_password(client)
    # the code that turned it on was taken already
    html = give_code(client, code(secret)).get_data(as_text=True)
    assert 'id="login-error"' in html and client.get("/admin/customer/").status_code == 302
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"] - 1):
        give_code(client, "000000")
    with app.app_context():
        assert db.session.get(User, admin_user).locked_until is not None
    assert client.get("/login/code").status_code == 302  # locked: back to the password
    assert 'id="login-error"' in log_in_with_password(client).get_data(as_text=True)


def test_the_code_step_without_the_password_step_goes_back_to_the_login(client, admin_user):
    response = client.get("/login/code")
    assert response.status_code == 302 and re.search(r"/login(\?|$)", response.location)


def test_user_turns_it_off_with_the_password(app, client, auth, admin_user):
    auth.login()
    turn_on(client)
    page = client.get("/profile/").get_data(as_text=True)
    assert 'id="totp-status"' in page
    client.post("/profile/", data={"csrf_token": csrf_from(page), "which": "totp_off", "off-password": "wrong"})
    with app.app_context():
        assert db.session.get(User, admin_user).totp_secret is not None
    client.post("/profile/", data={"csrf_token": csrf_from(page), "which": "totp_off", "off-password": PASSWORD})
    with app.app_context():
        assert db.session.get(User, admin_user).totp_secret is None


def test_administrator_turns_it_off_for_a_user_who_lost_the_phone(app, client, auth, admin_user):
    sara = make_user(app, "sara", {"customer.view"}, totp_secret=pyotp.random_base32())
    auth.login()
    page = client.get("/admin/user/").get_data(as_text=True)
    response = client.post("/admin/user/action/", data={"csrf_token": csrf_from(page), "action": "turn_off_two_factor",
                                                        "rowid": str(sara)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret).where(User.id == sara)) is None
    auth.logout()
    response = log_in_with_password(client, "sara")
    assert response.status_code == 302 and "/login/code" not in response.location


def test_the_code_is_checked_against_the_apps_clock(app, client, auth, admin_user, clock):
    """The step of the code is the app's time (a step either side counts for a phone a little
    off), and the password step lapses after five minutes of that time."""
    auth.login()
    secret = turn_on(client)
    auth.logout()
    clock.now = T0 + 300
    log_in_with_password(client)
    assert 'id="login-error"' in give_code(client, code(secret, T0 + 240)).get_data(as_text=True)  # two steps off
    response = give_code(client, code(secret, T0 + 270))  # the step before: a slow phone
    assert response.status_code == 302 and "/admin/" in response.location
    auth.logout()
    log_in_with_password(client)
    clock.now = T0 + 300 + 301
    response = client.get("/login/code")
    assert response.status_code == 302 and "/login/code" not in response.location
