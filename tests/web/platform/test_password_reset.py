"""A forgotten password through HTTP (issue 11 item 5): the link on the log-in page, the same
answer for a known and an unknown name, the link from the outbox, CSRF on every POST, a link
refused when used, changed or expired; the outbox never shows a reset link to the office; the
first log-in after an administrator's password; the SMTP password's state on the settings page
(item 6)."""
import re

import pytest
from sqlalchemy import select

from models import OutboxMessage, Setting, User, db
from services.platform import secrets
from tests.factories import PASSWORD, csrf_from, make_user, run_jobs

T0 = 1_800_000_000


@pytest.fixture(autouse=True)
def clock(app):
    class Clock:
        now = T0

        def __call__(self):
            return self.now

    app.config["CLOCK"] = fixed = Clock()
    return fixed


@pytest.fixture
def anna(app):
    return make_user(app, "anna", {"customer.view", "sales.view"}, email="anna@verkstad.test")


def ask(client, login: str):
    page = client.get("/login/forgot").get_data(as_text=True)
    return client.post("/login/forgot", data={"login": login, "csrf_token": csrf_from(page)})


def reset_path(app) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://localhost(/login/reset/\S+)", body).group(1)


def set_new(client, path: str, password: str):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"new_password": password, "repeat_password": password,
                                   "csrf_token": csrf_from(page)})


def test_the_log_in_page_links_to_the_forgotten_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/forgot"' in page and "Glömt lösenordet?" in page
    assert client.get("/login/forgot").status_code == 200  # without logging in


def test_a_known_and_an_unknown_name_get_the_same_answer(app, client, anna):
    known, unknown = ask(client, "anna"), ask(client, "nobody-here")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert "Om namnet hör till ett aktivt konto" in known.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.recipient)).all() == ["anna@verkstad.test"]


def test_the_reset_mail_gets_its_send_job_at_once(app, client, anna):
    """The mail does not wait for the outbox's periodic retry: its send job is on the queue when
    the page answers (one job, for the known name only); without SMTP settings it stays queued."""
    ask(client, "nobody-here")
    assert run_jobs(app) == 0
    ask(client, "anna")
    assert run_jobs(app) == 1
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.status)).all() == ["queued"]


def test_every_post_needs_the_csrf_token(app, client, auth, anna):
    assert client.post("/login/forgot", data={"login": "anna"}).status_code == 400
    ask(client, "anna")
    path = reset_path(app)
    assert client.post(path, data={"new_password": "a-new-password-1",
                                   "repeat_password": "a-new-password-1"}).status_code == 400
    assert client.get(path).status_code == 200  # refused without a change: the link is not spent
    make_user(app, "nisse", {"customer.view"}, must_change_password=True)
    auth.login("nisse")
    assert client.post("/password/new", data={"new_password": "x" * 12, "repeat_password": "x" * 12}).status_code \
        == 400
    with app.app_context():
        assert db.session.scalar(select(User.must_change_password).where(User.username == "nisse")) is True


def test_the_link_sets_a_new_password_once(app, client, auth, anna):
    ask(client, "anna")
    path = reset_path(app)
    page = client.get(path)
    assert page.status_code == 200 and "anna" in page.get_data(as_text=True)
    short = set_new(client, path, "short")
    assert short.status_code == 200 and "minst 10 tecken" in short.get_data(as_text=True)
    done = set_new(client, path, "annas-new-password")
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert auth.login("anna", PASSWORD).status_code == 401
    assert auth.login("anna", "annas-new-password").status_code == 302
    auth.logout()
    again = client.get(path)
    assert again.status_code == 400 and "Länken har redan använts" in again.get_data(as_text=True)


def test_a_changed_or_expired_link_is_refused(app, client, clock, anna):
    ask(client, "anna")
    path = reset_path(app)
    changed = client.get(path[:-3] + ("xyz" if not path.endswith("xyz") else "abc"))
    assert changed.status_code == 400 and "Länken är inte giltig" in changed.get_data(as_text=True)
    page = client.get(path).get_data(as_text=True)  # the form was opened in time...
    clock.now = T0 + 3601  # ...and sent after the hour
    late = client.post(path, data={"new_password": "annas-new-password", "repeat_password": "annas-new-password",
                                   "csrf_token": csrf_from(page)})
    assert late.status_code == 400 and "Länken har gått ut" in late.get_data(as_text=True)


def test_the_office_never_reads_a_reset_link_in_the_outbox(app, client, auth, anna, admin_user):
    ask(client, "anna")
    with app.app_context():
        message_id = db.session.scalar(select(OutboxMessage.id))
    auth.login("anna")  # sales.view: the outbox, but not this message
    listing = client.get("/admin/outboxmessage/").get_data(as_text=True)
    assert "Välj ett nytt lösenord" not in listing
    assert client.get(f"/admin/outboxmessage/details/?id={message_id}").status_code in (302, 404)
    auth.logout()
    auth.login()  # an administrator sees that it exists (and whether it was sent), not the link
    assert "Välj ett nytt lösenord till Verkstad" in client.get("/admin/outboxmessage/").get_data(as_text=True)
    details = client.get(f"/admin/outboxmessage/details/?id={message_id}").get_data(as_text=True)
    assert "/login/reset/" not in details and "visas inte" in details


def test_a_password_from_an_administrator_is_replaced_at_the_first_log_in(app, client, auth):
    make_user(app, "nisse", {"customer.view"}, must_change_password=True)
    assert auth.login("nisse").headers["Location"] == "/admin/"
    moved = client.get("/admin/customer/")
    assert moved.status_code == 302 and moved.headers["Location"].startswith("/password/new")
    assert client.get("/admin/customer/", headers={"Accept": "application/json"}).status_code == 403
    page = client.get("/password/new").get_data(as_text=True)
    assert "En administratör har satt ditt lösenord" in page
    same = client.post("/password/new", data={"new_password": PASSWORD, "repeat_password": PASSWORD,
                                              "csrf_token": csrf_from(page)})
    assert same.status_code == 200 and "Välj ett annat lösenord" in same.get_data(as_text=True)
    done = client.post("/password/new?next=/admin/customer/", data={
        "new_password": "nisses-own-pw-1", "repeat_password": "nisses-own-pw-1", "csrf_token": csrf_from(page)})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/customer/"
    assert client.get("/admin/customer/").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.must_change_password).where(User.username == "nisse")) is False


def test_the_settings_page_says_where_the_smtp_password_comes_from(app, client, auth, admin_user, monkeypatch):
    from services.platform.settings import set_setting

    monkeypatch.delenv("VERKSTAD_SMTP_PASSWORD", raising=False)
    with app.app_context():
        set_setting(db.session, "sales.smtp_password", "hunter2-smtp")
        db.session.commit()
        raw = db.session.scalar(select(Setting.value).where(Setting.key == "sales.smtp_password"))
        assert secrets.is_encrypted(raw) and "hunter2" not in str(raw)
    auth.login()
    page = client.get("/admin/sales-settings/").get_data(as_text=True)
    assert "hunter2-smtp" not in page and "Sparat krypterat" in page
    monkeypatch.setenv("VERKSTAD_SMTP_PASSWORD", "from-env-secret")
    page = client.get("/admin/sales-settings/").get_data(as_text=True)
    assert "from-env-secret" not in page and "VERKSTAD_SMTP_PASSWORD" in page
    app.config["SECRET_KEY"] = "a-new-key"  # the old value cannot be read any more
    monkeypatch.delenv("VERKSTAD_SMTP_PASSWORD")
    auth.login()  # the session was signed with the old key
    page = client.get("/admin/sales-settings/").get_data(as_text=True)
    assert "kan inte läsas" in page
