"""services.platform.auth: the TOTP second factor (codes, their window, replay, failures that lock)."""
import datetime as dt

import pyotp
import pytest
from sqlalchemy import select

from models import User
from services import DomainError
from services.platform.auth import (
    authenticate,
    disable_totp,
    enable_totp,
    totp_step,
    totp_uri,
    verify_second_factor,
)
from tests import factories as f

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = 1_800_000_000.0  # a fixed moment: step 60,000,000


def code_at(at: float, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(at)


def test_code_of_now_and_of_the_neighbouring_steps_is_taken():
    assert totp_step(SECRET, code_at(T0), None, T0) == 60_000_000
    assert totp_step(SECRET, code_at(T0 - 30), None, T0) == 59_999_999  # the phone is a little slow
    assert totp_step(SECRET, " " + code_at(T0)[:3] + " " + code_at(T0)[3:], None, T0) == 60_000_000


@pytest.mark.parametrize("code, message", [
    (lambda: code_at(T0 - 90), "wrong"), (lambda: "12345", "six-digit"), (lambda: "abcdef", "six-digit"),
    (lambda: "", "six-digit"),
])
def test_old_or_malformed_codes_are_refused(code, message):
    with pytest.raises(DomainError) as refused:
        totp_step(SECRET, code(), None, T0)
    assert message in refused.value.message and refused.value.field == "code"


def test_a_code_is_taken_once():
    step = totp_step(SECRET, code_at(T0), None, T0)
    with pytest.raises(DomainError, match="used already"):
        totp_step(SECRET, code_at(T0), step, T0)
    with pytest.raises(DomainError, match="used already"):
        totp_step(SECRET, code_at(T0 - 30), step, T0)
    assert totp_step(SECRET, code_at(T0 + 30), step, T0 + 30) == step + 1


def test_uri_names_the_user_and_the_issuer():
    uri = totp_uri(SECRET, "sara")
    assert uri.startswith("otpauth://totp/Verkstad:sara?") and f"secret={SECRET}" in uri and "issuer=Verkstad" in uri


def _user(session, **fields) -> User:
    user = f.user(session, "sara", password="rätt-lösenord-1", **fields)
    session.commit()
    return user


def test_enable_needs_a_code_of_the_new_secret_and_disable_the_password(session):
    user = _user(session)
    with pytest.raises(DomainError):
        enable_totp(session, user, SECRET, "000000", T0)
    assert user.totp_secret is None
    enable_totp(session, user, SECRET, code_at(T0), T0)
    assert user.totp_secret == SECRET and user.totp_last_step == 60_000_000
    with pytest.raises(DomainError) as refused:
        disable_totp(session, user, "fel")
    assert refused.value.field == "password" and user.totp_secret == SECRET
    disable_totp(session, user, "rätt-lösenord-1")
    assert user.totp_secret is None and user.totp_last_step is None


def test_wrong_codes_lock_the_account_and_a_right_password_does_not_reset_the_count(session):
    user = _user(session, totp_secret=SECRET)
    now = dt.datetime(2027, 1, 15, 8, 0)
    for _ in range(2):
        with pytest.raises(DomainError):
            verify_second_factor(session, user, code_at(T0 - 300), 3, 15, now, T0)
        assert authenticate(session, "sara", "rätt-lösenord-1", 3, 15, now) is user
    assert user.failed_logins == 2  # the password alone does not wipe out failed codes
    with pytest.raises(DomainError):
        verify_second_factor(session, user, code_at(T0 - 300), 3, 15, now, T0)
    assert user.locked_until == now + dt.timedelta(minutes=15)
    with pytest.raises(DomainError):
        verify_second_factor(session, user, code_at(T0), 3, 15, now, T0)  # locked: even the right code
    assert user.totp_last_step is None
    later = now + dt.timedelta(minutes=16)
    verify_second_factor(session, user, code_at(T0), 3, 15, later, T0)
    assert user.failed_logins == 0 and user.locked_until is None
    assert session.scalar(select(User.totp_last_step)) == 60_000_000
