"""The register lists page deep through primary keys and count searches with a cap
(views.base.SecureModelView.get_list over services.listing)."""
import re

import pytest

from models import db
from services import listing
from tests.unit.test_listing import fill_customers


@pytest.fixture
def many_customers(app):
    with app.app_context():
        fill_customers(db.session, 45)


def _names(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return list(dict.fromkeys(re.findall(r"Kund \d{3}", response.get_data(as_text=True))))


def test_deep_page_shows_the_rows_of_offset_paging(app, client, auth, admin_user, many_customers, monkeypatch):
    auth.login()
    url = "/admin/customer/?page=2&page_size=20&sort=1&desc=1"  # by name, descending
    expected = ["Kund 004", "Kund 003", "Kund 002", "Kund 001", "Kund 000"]
    assert _names(client, url) == expected
    monkeypatch.setattr(listing, "DEEP_OFFSET", 20)
    assert _names(client, url) == expected
    assert _names(client, "/admin/customer/?page=1&page_size=20&sort=1") == [f"Kund {i:03d}" for i in range(20, 40)]
    assert _names(client, "/admin/customer/?page=5&page_size=20") == []


def test_search_count_is_capped(app, client, auth, admin_user, many_customers, monkeypatch):
    auth.login()
    html = client.get("/admin/customer/?search=kund").get_data(as_text=True)
    assert re.search(r"\(\s*45\s*\)", html)
    monkeypatch.setattr(listing, "FILTERED_CAP", 30)
    html = client.get("/admin/customer/?search=kund").get_data(as_text=True)
    assert re.search(r"\(\s*30\s*\)", html) and not re.search(r"\(\s*45\s*\)", html)


def test_searched_pages_beyond_the_cap_still_show_their_rows(app, client, auth, admin_user, many_customers,
                                                             monkeypatch):
    auth.login()
    monkeypatch.setattr(listing, "FILTERED_CAP", 30)
    assert _names(client, "/admin/customer/?search=kund&page=0&page_size=20") == [f"Kund {i:03d}" for i in range(20)]
    # offset 20 + 20 rows goes past the 30 keys read for the count: the page is read by offset
    assert _names(client, "/admin/customer/?search=kund&page=1&page_size=20") == [
        f"Kund {i:03d}" for i in range(20, 40)]
    assert _names(client, "/admin/customer/?search=kund+04&page=0") == ["Kund 004"] + [
        f"Kund {i:03d}" for i in range(40, 45)]
