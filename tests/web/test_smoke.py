"""Every page of the console answers for an administrator; nothing but /login and /healthz
answers without login."""
import pytest


def test_healthz_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["/", "/admin/", "/admin/customer/", "/admin/vehicle/", "/admin/user/",
                                 "/admin/module-settings/", "/profile/", "/notifications/"])
def test_pages_need_login(client, url):
    """A page sends the browser to the log-in and back; a JSON caller gets 401, not a page."""
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next={url}")
    answer = client.get(url, headers={"Accept": "application/json"})
    assert answer.status_code == 401 and "Location" not in answer.headers


def test_every_admin_page_opens_for_admin(app, client, auth, admin_user):
    auth.login()
    admin = app.extensions["verkstad_admin"]
    opened = 0
    with app.test_request_context():
        from flask import url_for

        urls = []
        for view in admin._views:
            urls.append(url_for(f"{view.endpoint}.index" if not hasattr(view, "model") else f"{view.endpoint}.index_view"))
            if hasattr(view, "model") and view.can_create:
                urls.append(url_for(f"{view.endpoint}.create_view"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        opened += 1
    assert opened > 20
