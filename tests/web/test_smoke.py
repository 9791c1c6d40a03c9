"""Every page of the console answers for an administrator; nothing but /login and /healthz
answers without login."""
import pytest


def test_healthz_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "jobs": "ok"}


def test_the_icon_without_login(client):
    """Asked for by the browser on a page that names none (a PDF): the console's icon, not a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.location.endswith("/static/img/favicon.svg")
    with client.get(response.location) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


@pytest.mark.parametrize("url", ["/", "/admin/", "/admin/customer/", "/admin/vehicle/", "/admin/user/",
                                 "/admin/module-settings/", "/profile/", "/notifications/",
                                 "/admin/ledger/sie-import/"])
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
        if response.status_code == 302:  # a page of one record, opened bare, sends to its list
            assert response.headers["Location"].startswith("/admin/"), url
            response = client.get(response.headers["Location"])
        assert response.status_code == 200, url
        opened += 1
    assert opened > 20


def test_the_login_page_gets_its_stylesheets_without_login(client):
    """The log-in page was unstyled: its Bootstrap (Flask-Admin's static files) redirected to the
    log-in itself. Every stylesheet and script it names answers 200 without a session."""
    import re

    page = client.get("/login").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|js)[^"]*)"', page)
    assert any("bootstrap.min.css" in a for a in assets)
    for url in assets:
        response = client.get(url)
        response.close()  # a file response holds its file open until closed
        assert response.status_code == 200, url


def test_the_sie_import_posts_answer_for_admin(client, auth, admin_user):
    """The SIE import's POST endpoints (issue 12 item 7) answer an empty or bare post with the
    page and its message (400), never an error page."""
    from tests.factories import csrf_from

    auth.login()
    token = csrf_from(client.get("/admin/ledger/sie-import/").get_data(as_text=True))
    for url, data in (("/admin/ledger/sie-import/preview", {}), ("/admin/ledger/sie-import/import", {}),
                      ("/admin/ledger/sie-import/import", {"token": "0" * 32, "checksum": "x"})):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 400, url
        assert 'id="file-error" role="alert">' in response.get_data(as_text=True)
