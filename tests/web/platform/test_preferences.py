"""A user's own preferences (services.platform.preferences): the form groups folded away per form and the
booking calendar's zoom, kept per user, refused when unknown, and neither history nor a new
version of the user (an administrator's open form of the user does not go stale)."""
from sqlalchemy import func, select

from models import AuditLog, User, db
from tests.factories import CUSTOMER_NEW, csrf_from, make_user


def post(client, url, body):
    token = csrf_from(client.get("/admin/").get_data(as_text=True), last=False)
    return client.post(url, json=body, headers={"X-CSRFToken": token})


def test_folded_groups_are_kept_per_user_and_form(app, client, auth, admin_user):
    other = make_user(app, "other", admin=True)
    auth.login()
    with app.app_context():
        version = db.session.get(User, admin_user).version
        history = db.session.scalar(select(func.count()).select_from(AuditLog))
    answer = post(client, "/preferences/folded", {"form": "customer", "groups": ["contacts", "settings"]})
    assert answer.get_json() == {"ok": True, "value": ["contacts", "settings"]}
    post(client, "/preferences/folded", {"form": "vehicle", "groups": ["fields"]})

    html = client.get(CUSTOMER_NEW).get_data(as_text=True)
    assert '<section class="vk-group vk-group-closed" id="group-contacts"' in html
    assert 'id="group-contacts-body" hidden>' in html
    assert 'aria-controls="group-settings-body">' in html and '<section class="vk-group" id="group-identity"' in html
    assert 'data-form="customer" data-folded-url="/preferences/folded"' in html
    with app.app_context():
        user = db.session.get(User, admin_user)
        assert user.preferences == {"folded": {"customer": ["contacts", "settings"], "vehicle": ["fields"]}}
        assert user.version == version  # no new version ...
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == history  # ... and no history

    # unfolding all of a form's groups forgets the form; the other user's forms are their own
    post(client, "/preferences/folded", {"form": "customer", "groups": []})
    auth.logout()
    auth.login("other")
    assert '<section class="vk-group" id="group-contacts"' in client.get(CUSTOMER_NEW).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin_user).preferences == {"folded": {"vehicle": ["fields"]}}
        assert db.session.get(User, other).preferences is None


def test_unknown_preferences_are_refused(app, client, auth, admin_user):
    auth.login()
    for url, body in (("/preferences/folded", {"form": "customer", "groups": "contacts"}),
                      ("/preferences/folded", {"form": "<script>", "groups": []}),
                      ("/preferences/folded", {"form": "customer", "groups": [1]}),
                      ("/preferences/calendar-zoom", {"hours": 2}),
                      ("/preferences/calendar-zoom", {"hours": True}),
                      ("/preferences/calendar-zoom", {})):
        answer = post(client, url, body)
        assert answer.status_code == 400 and answer.get_json()["ok"] is False, body
    with app.app_context():
        assert db.session.get(User, admin_user).preferences is None


def test_calendar_zoom_is_kept_for_the_user(app, client, auth, admin_user):
    auth.login()
    assert post(client, "/preferences/calendar-zoom", {"hours": 6}).get_json() == {"ok": True, "value": 6}
    html = client.get("/admin/bookings/loaner/").get_data(as_text=True)
    assert "zoom: 6," in html


def test_preferences_need_login_and_csrf(app, client, auth, admin_user):
    assert client.post("/preferences/calendar-zoom", json={"hours": 6}).status_code in (302, 400, 401)
    auth.login()
    assert client.post("/preferences/calendar-zoom", json={"hours": 6}).status_code == 400
    with app.app_context():
        assert db.session.get(User, admin_user).preferences is None
