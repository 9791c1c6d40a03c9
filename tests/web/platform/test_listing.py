"""The register lists page deep through primary keys and count searches with a cap
(views.platform.base.SecureModelView.get_list over services.platform.listing)."""
import re

import pytest

from models import db
from services.platform import listing
from tests.factories import fill_customers


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
    assert re.search(r'id="list-count"[^>]*>\s*45\s*<', html)
    monkeypatch.setattr(listing, "FILTERED_CAP", 30)
    html = client.get("/admin/customer/?search=kund").get_data(as_text=True)
    # a count stopped at the cap says so (issue 9 item 22)
    assert re.search(r'id="list-count"[^>]*>\s*≥\s*30\s*<', html) and not re.search(r'id="list-count"[^>]*>\s*45\s*<', html)


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


@pytest.fixture
def walking(app, monkeypatch):
    """Every search is judged to match enough rows to be read along the sort index."""
    from views.platform import base

    monkeypatch.setitem(app.config, "SEARCH_WALK_MIN_ROWS", 0)
    monkeypatch.setitem(app.config, "SEARCH_WALK_MIN_MATCHES", 2)
    monkeypatch.setattr(base, "_search_samples", {})


def _analyze(app) -> None:
    """PostgreSQL's row estimate (reltuples) of tables filled in the test."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE customer, vehicle")


def _count(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'id="list-count"[^>]*>([^<]*)<', html).group(1).strip()


def test_search_read_along_the_sort_index_shows_the_same_pages(app, client, auth, admin_user, many_customers,
                                                              walking):
    _analyze(app)
    auth.login()
    assert _names(client, "/admin/customer/?search=kund&page=0&page_size=20") == [f"Kund {i:03d}" for i in range(20)]
    assert _names(client, "/admin/customer/?search=KUND&page=1&page_size=20") == [
        f"Kund {i:03d}" for i in range(20, 40)]
    assert _names(client, "/admin/customer/?search=kund&page=0&page_size=20&sort=1&desc=1") == [
        f"Kund {i:03d}" for i in range(44, 24, -1)]
    # a full page says the count is an estimate; the last page knows it
    assert _count(client, "/admin/customer/?search=kund&page=0&page_size=20") == "≈ 45"
    assert _count(client, "/admin/customer/?search=kund&page=2&page_size=20") == "45"
    assert _names(client, "/admin/customer/?search=kund+04") == ["Kund 004"] + [f"Kund {i:03d}" for i in range(40, 45)]


def test_search_the_sample_finds_rare_filtered_or_narrowed_goes_through_the_index(
        app, client, auth, admin_user, many_customers, walking):
    from models import Customer, District, User
    from tests.factories import make_user

    _analyze(app)
    auth.login()
    assert _count(client, "/admin/customer/?search=kund+007") == "1"  # one in the sample: not walked
    with app.app_context():
        district = District(name="Norr")
        db.session.add(district)
        db.session.flush()
        for customer in db.session.scalars(db.select(Customer).where(Customer.name.in_(["Kund 003", "Kund 030"]))):
            customer.district_id = district.id
        db.session.commit()
        district_id = district.id
    view = next(v for v in app.extensions["verkstad_admin"]._views if getattr(v, "endpoint", "") == "customer")
    arg = next(a for a, (_i, flt) in view._filter_args.items() if str(flt.name) in ("District", "Distrikt"))
    filtered = f"/admin/customer/?search=kund&flt0_{arg}={district_id}"
    assert _names(client, filtered) == ["Kund 003", "Kund 030"] and _count(client, filtered) == "2"
    auth.logout()
    tech = make_user(app, "tech", {"customer.view_assigned"})
    with app.app_context():
        customer = db.session.scalar(db.select(Customer).where(Customer.name == "Kund 012"))
        customer.technicians = [db.session.get(User, tech)]
        db.session.commit()
    auth.login("tech")
    assert _names(client, "/admin/customer/?search=kund") == ["Kund 012"]
    assert _count(client, "/admin/customer/?search=kund") == "1"


def test_vehicle_search_read_along_the_sort_index(app, client, auth, admin_user, walking):
    from sqlalchemy import insert

    from models import Vehicle

    with app.app_context():
        db.session.execute(insert(Vehicle), [
            {"registration_number": f"ABC{i:03d}", "model": "V70" if i % 2 else "XC60",
             "search_text": f"abc{i:03d} | {'v70' if i % 2 else 'xc60'}"} for i in range(60)])
        db.session.commit()
    _analyze(app)
    auth.login()
    html = client.get("/admin/vehicle/?search=v70&page_size=20").get_data(as_text=True)
    assert list(dict.fromkeys(re.findall(r"ABC\d{3}", html))) == [f"ABC{i:03d}" for i in range(1, 40, 2)]
    assert _count(client, "/admin/vehicle/?search=v70&page_size=20") == "≈ 30"


def test_filter_offers_a_district_added_after_the_list_was_shown(app, client, auth, admin_user):
    from models import District

    auth.login()
    assert "Norrlandsdistriktet" not in client.get("/admin/customer/").get_data(as_text=True)
    with app.app_context():
        db.session.add(District(name="Norrlandsdistriktet"))
        db.session.commit()
    assert "Norrlandsdistriktet" in client.get("/admin/customer/").get_data(as_text=True)


def test_rough_count_keeps_two_digits_and_says_it_is_rough(app):
    from views.platform.base import ApproxCount

    with app.test_request_context():
        assert ApproxCount(3945) == 3900 and ApproxCount(1_000_123) == 1_000_000 and ApproxCount(45) == 45
        assert str(ApproxCount(3945)).replace("\xa0", " ") == "≈ 3 900"
