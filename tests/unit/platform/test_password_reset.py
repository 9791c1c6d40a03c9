"""services.platform.password_reset (issue 11 item 5, reference 50.01): the signed link (expired, used
twice, a changed signature), the same answer for an unknown name, the hourly limit, a locked
or deactivated account left as it is, the history; and the new password after an
administrator's."""
import datetime as dt
import re

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from models import AuditLog, OutboxMessage, User, utcnow
from services import DomainError
from services.platform import password_reset as pr
from tests import factories as f

KEY = "test-secret"
T0 = 1_800_000_000.0


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def link(token: str) -> str:
    return f"http://verkstad.test/login/reset/{token}"


def token_of(message: OutboxMessage) -> str:
    return re.search(r"/login/reset/(\S+)", message.body).group(1)


def mails(session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def anna(session):
    user = f.user(session, "anna", {"customer.view"}, email="anna@verkstad.test", language="sv")
    session.commit()
    return user


def ask(session, login="anna", clock=None):
    return pr.request_reset(session, login, link, KEY, clock=clock or Clock())


def test_a_request_writes_one_mail_with_a_link_to_the_outbox(session, anna):
    assert ask(session) == 1
    [mail] = mails(session)
    assert (mail.recipient, mail.status, mail.purpose) == ("anna@verkstad.test", "queued", "password_reset")
    assert mail.subject == "Välj ett nytt lösenord till Verkstad"  # the user's language
    assert "60 minuter" in mail.body and "anna" in mail.body
    assert pr.user_for_token(session, token_of(mail), KEY, clock=Clock(T0 + 10)).id == anna.id
    # the e-mail address works as well as the user name, in any case
    assert ask(session, "ANNA@verkstad.test") == 1


def test_an_unknown_name_gets_the_same_answer_and_no_mail(session, anna):
    assert ask(session, "nobody") == 0
    assert ask(session, "nobody@verkstad.test") == 0
    assert ask(session, "") == 0
    assert mails(session) == []


def test_no_mail_for_a_deactivated_account_or_one_without_an_address(session, anna):
    f.user(session, "bengt", {"customer.view"}, email=None)
    anna.active = False
    session.commit()
    assert ask(session, "anna") == 0 and ask(session, "bengt") == 0
    assert mails(session) == []


def test_the_link_expires_after_60_minutes(session, anna):
    ask(session)
    token = token_of(mails(session)[0])
    assert pr.user_for_token(session, token, KEY, clock=Clock(T0 + 3600)).id == anna.id
    with pytest.raises(DomainError, match="gått ut"):
        pr.user_for_token(session, token, KEY, clock=Clock(T0 + 3601))
    with pytest.raises(DomainError, match="gått ut"):
        pr.reset_password(session, token, "a-new-password-1", "a-new-password-1", KEY, clock=Clock(T0 + 3700))
    assert check_password_hash(session.get(User, anna.id).password_hash, f.PASSWORD)


def test_the_link_works_once(session, anna):
    ask(session)
    ask(session)
    first, second = (token_of(m) for m in mails(session))
    pr.reset_password(session, first, "a-new-password-1", "a-new-password-1", KEY, clock=Clock(T0 + 60))
    assert check_password_hash(session.get(User, anna.id).password_hash, "a-new-password-1")
    for token in (first, second):  # the password changed: every earlier link is spent
        with pytest.raises(DomainError, match="redan använts"):
            pr.reset_password(session, token, "another-password-2", "another-password-2", KEY,
                              clock=Clock(T0 + 120))
    assert check_password_hash(session.get(User, anna.id).password_hash, "a-new-password-1")


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature changed
    lambda t: "x" + t,  # the payload changed
    lambda t: "",
    lambda t: "not-a-token",
])
def test_a_changed_link_is_refused(session, anna, tamper):
    ask(session)
    token = token_of(mails(session)[0])
    with pytest.raises(DomainError, match="inte giltig"):
        pr.user_for_token(session, tamper(token), KEY, clock=Clock(T0 + 10))


def test_a_link_signed_with_another_key_or_salt_is_refused(session, anna):
    other_key = pr.make_token(anna, "another-secret", Clock())
    with pytest.raises(DomainError, match="inte giltig"):
        pr.user_for_token(session, other_key, KEY, clock=Clock(T0 + 10))
    from itsdangerous import URLSafeTimedSerializer

    other_salt = URLSafeTimedSerializer(KEY, salt="something-else").dumps({"u": anna.id,
                                                                           "h": pr.fingerprint(anna.password_hash)})
    with pytest.raises(DomainError, match="inte giltig"):
        pr.user_for_token(session, other_salt, KEY)


def test_a_locked_account_stays_locked(session, anna):
    until = utcnow() + dt.timedelta(minutes=10)
    anna.locked_until, anna.failed_logins = until, 2
    session.commit()
    assert ask(session) == 1  # the owner may choose a new password...
    user = pr.reset_password(session, token_of(mails(session)[0]), "a-new-password-1", "a-new-password-1", KEY,
                             clock=Clock(T0 + 60))
    assert (user.locked_until, user.failed_logins) == (until, 2)  # ...but the lock stands until it ends
    assert "låst" in pr.locked_note(user)
    from services.platform.auth import authenticate

    with pytest.raises(DomainError, match="låst"):
        authenticate(session, "anna", "a-new-password-1", 5, 15)


def test_a_deactivated_account_is_not_reopened_by_an_earlier_link(session, anna):
    ask(session)
    token = token_of(mails(session)[0])
    anna.active = False
    session.commit()
    with pytest.raises(DomainError, match="inaktiverat"):
        pr.reset_password(session, token, "a-new-password-1", "a-new-password-1", KEY, clock=Clock(T0 + 60))
    assert session.get(User, anna.id).active is False


def test_at_most_three_mails_an_hour_per_account(session, anna):
    now = utcnow()
    assert [pr.request_reset(session, "anna", link, KEY, now=now + dt.timedelta(minutes=i)) for i in range(5)] \
        == [1, 1, 1, 0, 0]
    assert pr.request_reset(session, "anna", link, KEY, now=now + dt.timedelta(minutes=61)) == 1
    assert len(mails(session)) == 4


def test_the_reset_is_in_the_history(session, anna):
    ask(session)
    pr.reset_password(session, token_of(mails(session)[0]), "a-new-password-1", "a-new-password-1", KEY,
                      clock=Clock(T0 + 60))
    rows = session.scalars(select(AuditLog).where(AuditLog.table_name == "user",
                                                  AuditLog.record_id == str(anna.id)).order_by(AuditLog.id)).all()
    updates = [(r.field, r.new_value, r.user_id) for r in rows if r.action == "update"]
    assert updates[0] == ("password_reset", "requested", None)  # asked for by nobody logged in
    assert sorted(updates[1:]) == [("password_hash", "***", anna.id), ("password_reset", "e-mail", anna.id)]
    assert not any(r.field in ("reset_requests", "reset_requested_at") for r in rows)


def test_the_new_password_must_be_repeated_and_long_enough(session, anna):
    ask(session)
    token = token_of(mails(session)[0])
    with pytest.raises(DomainError, match="skiljer sig"):
        pr.reset_password(session, token, "a-new-password-1", "a-new-password-2", KEY, clock=Clock(T0 + 60))
    with pytest.raises(DomainError, match="minst 10"):
        pr.reset_password(session, token, "short", "short", KEY, clock=Clock(T0 + 60))
    # refused attempts do not spend the link
    assert pr.user_for_token(session, token, KEY, clock=Clock(T0 + 60)).id == anna.id


def test_a_password_given_by_an_administrator_is_replaced_by_the_users_own(session, anna):
    anna.must_change_password = True
    session.commit()
    with pytest.raises(DomainError, match="annat lösenord"):
        pr.choose_new_password(session, anna, f.PASSWORD, f.PASSWORD)
    pr.choose_new_password(session, anna, "annas-own-password", "annas-own-password")
    assert anna.must_change_password is False
    assert check_password_hash(anna.password_hash, "annas-own-password")
