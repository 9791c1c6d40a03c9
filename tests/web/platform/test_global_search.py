"""The global search of the top bar and the Swedish letters of every look-up (issue 10 items 4,
5 and 8), through the test client: login and rights on the JSON endpoint, grouped results with
their links, a technician limited to his assigned customers, escaped output."""
import datetime as dt

import pytest
from sqlalchemy import select

from models import Article, Booking, Customer, Invoice, Order, Tag, VatRate, Vehicle, db
from tests import factories as f

JSON = {"Accept": "application/json"}


def _invoice(customer, number: str, ocr: str) -> Invoice:
    return Invoice(kind="invoice", series="s", sequence=int(number), number=number, ocr=ocr,
                   invoice_date=dt.date(2026, 1, 5), due_date=dt.date(2026, 2, 4), customer=customer,
                   customer_number=customer.customer_number, customer_name=customer.name, billing_address=[],
                   delivery_address=[], country_code="SE", language="sv", prices_include_vat=False,
                   vat_treatment="domestic", payment_term_days=30, currency="SEK", net_total=100, vat_total=25,
                   rounding=0, total=125, print_count=0, finalised_at=dt.datetime(2026, 1, 5))


@pytest.fixture
def world(app):
    with app.app_context():
        s = db.session
        tech = f.user(s, "tech", {"customer.view_assigned", "vehicle.view", "sales.view", "article.view"})
        f.user(s, "boss", admin=True)
        mine = f.customer(s, "3001", "Åbergs Åkeri AB", technicians=[tech])
        other = f.customer(s, "3002", "Svenssons Åkeri AB", org="5566778899")
        tag = Tag(name="Däckhotell")
        s.add(tag)
        mine.tags.append(tag)
        other.tags.append(tag)
        s.add_all([Vehicle(registration_number="ABC123", owner=mine), Vehicle(registration_number="XYZ789", owner=other),
                   _invoice(mine, "800001", "80000182"), _invoice(other, "800002", "80000282")])
        for invoice in s.new:  # two invoices of one collective-invoicing run (20.24), one of each customer
            if isinstance(invoice, Invoice):
                invoice.collective_number = "SFA17"
        s.add(Article(number="D-100", name="DÄCKSKIFTE", vat_rate=s.scalar(select(VatRate).limit(1))))
        s.add(Order(id=4711, kind="quote", customer=mine, order_date=dt.date(2026, 3, 2)))
        s.flush()
        s.add(Booking(kind="loaner", number="9101", customer=mine, customer_name=mine.name,
                      vehicle=s.scalar(select(Vehicle).where(Vehicle.registration_number == "ABC123")),
                      start_at=dt.datetime(2026, 3, 1, 8), end_at=dt.datetime(2026, 3, 1, 17)))
        s.commit()
        return {"mine": mine.id, "other": other.id}


def _search(client, q: str) -> dict[str, list[dict]]:
    response = client.get("/admin/search/json", query_string={"q": q}, headers=JSON)
    assert response.status_code == 200
    return {g["kind"]: g for g in response.get_json()["groups"]}


def test_the_search_answers_only_after_log_in(client, world):
    assert client.get("/admin/search/json?q=abc", headers=JSON).status_code == 401
    assert client.get("/admin/search/?q=abc").status_code == 302


def test_administrator_finds_by_name_tag_plate_and_ocr_grouped_with_links(client, auth, world):
    auth.login("boss")
    found = _search(client, "åKERI")
    assert found["customer"]["label"] == "Kunder"
    assert {i["title"] for i in found["customer"]["items"]} == {"Åbergs Åkeri AB", "Svenssons Åkeri AB"}
    assert {i["title"] for i in _search(client, "DÄCKHOTELL")["customer"]["items"]} == {"Åbergs Åkeri AB",
                                                                                          "Svenssons Åkeri AB"}
    by_plate = _search(client, "xyz 789")
    assert [i["title"] for i in by_plate["vehicle"]["items"]] == ["XYZ789"]
    assert by_plate["vehicle"]["label"] == "Fordon"
    assert [i["title"] for i in by_plate["customer"]["items"]] == ["Svenssons Åkeri AB"]
    assert by_plate["customer"]["items"][0]["url"] == f"/admin/customer/details/?id={world['other']}"
    by_ocr = _search(client, "80000282")
    assert [i["title"] for i in by_ocr["invoice"]["items"]] == ["Faktura 800002"]
    assert by_ocr["invoice"]["items"][0]["exact"] is True
    assert client.get(by_ocr["invoice"]["items"][0]["url"]).status_code == 200
    assert [i["title"] for i in _search(client, "däckskifte")["article"]["items"]] == ["D-100 DÄCKSKIFTE"]
    assert [i["title"] for i in _search(client, "tech")["user"]["items"]] == ["Tech"]
    quote = _search(client, "4711")["quote"]  # a quote or an order by its number, as in the load test
    assert quote["label"] == "Offerter"
    assert quote["items"][0]["title"] == "Offert 4711" and "Åbergs Åkeri AB" in quote["items"][0]["detail"]
    assert client.get(quote["items"][0]["url"]).status_code == 200
    booking = _search(client, "9101")["booking"]
    assert booking["label"] == "Bokningar" and booking["items"][0]["title"].endswith(" 9101")
    assert client.get(booking["items"][0]["url"]).status_code == 200


def test_invoices_are_found_by_their_collective_invoice_number(client, auth, world):
    """Samlingsfakturanummer (20.24) as typed: lower case, blanks; the run's every invoice; a
    user limited to assigned customers sees only his customer's."""
    auth.login("boss")
    for typed in ("SFA17", "sfa17", " sfa 17 "):
        found = _search(client, typed)
        assert sorted(i["title"] for i in found["invoice"]["items"]) == ["Faktura 800001", "Faktura 800002"], typed
    assert "invoice" not in _search(client, "SFA1")  # a whole number, not a prefix
    assert "invoice" not in _search(client, "SFA")
    auth.logout()
    auth.login("tech")
    assert [i["title"] for i in _search(client, "sfa17")["invoice"]["items"]] == ["Faktura 800001"]


def test_the_invoice_list_searches_and_filters_by_collective_invoice_number(client, auth, world, app):
    auth.login("boss")
    listed = client.get("/admin/invoice/", query_string={"search": "SFA17"}).get_data(as_text=True)
    assert "800001" in listed and "800002" in listed
    page = client.get("/admin/invoice/").get_data(as_text=True)
    index = _filter_index(page, "Samlingsfakturanummer")
    for typed, expected in (("sfa 17", True), ("SFA17", True), ("SFA18", False), ("  ", None)):
        html = client.get("/admin/invoice/", query_string={f"flt0_{index}": typed}).get_data(as_text=True)
        if expected is None:  # blank: no filter worth the name, the list answers
            continue
        assert ("800002" in html) is expected, typed
    with app.app_context():
        ident = db.session.scalar(select(Invoice.id).where(Invoice.number == "800001"))
    card = client.get(f"/admin/invoice/details/?id={ident}").get_data(as_text=True)
    assert 'id="invoice-collective-number"' in card and "SFA17" in card


def _filter_index(page: str, label: str) -> str:
    import json
    import re

    data = json.loads(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page, re.S).group(1))
    for group, filters in data.items():
        if group == label:
            return str(filters[0]["index"])
    raise AssertionError(f"no filter {label}: {list(data)}")


def test_technician_finds_only_his_assigned_customers(client, auth, world):
    auth.login("tech")
    found = _search(client, "åkeri")
    assert [i["title"] for i in found["customer"]["items"]] == ["Åbergs Åkeri AB"]
    assert [i["title"] for i in _search(client, "däckhotell")["customer"]["items"]] == ["Åbergs Åkeri AB"]
    assert _search(client, "XYZ789") == {}  # the other customer's vehicle, nor the owner by plate
    assert _search(client, "80000282") == {}
    assert "user" not in _search(client, "tech")
    page = client.get("/admin/search/?q=åkeri").get_data(as_text=True)
    assert "Åbergs Åkeri AB" in page and "Svenssons" not in page


def test_results_page_lists_the_groups_and_escapes_names(client, auth, app):
    with app.app_context():
        f.customer(db.session, "4001", "<b>Fet</b> Åkeri")
        db.session.commit()
    f.make_user(app, "boss", admin=True)
    auth.login("boss")
    page = client.get("/admin/search/?q=Fet").get_data(as_text=True)
    assert "&lt;b&gt;Fet&lt;/b&gt; Åkeri" in page and "<b>Fet</b>" not in page
    assert 'id="global-search-input"' in page  # the top bar's field on every page
    assert "Inget hittades" in client.get("/admin/search/?q=zzzqqq").get_data(as_text=True)


# --- the look-ups that found nothing for "Åberg" or "Svenssons Åkeri" ---------------------


def test_booking_customer_lookup_and_logbook_fold_swedish_letters(client, auth, app):
    with app.app_context():
        s = db.session
        f.user(s, "advisor", {f"booking_loaner.{a}" for a in ("new", "edit", "manager", "logbook")})
        aberg = f.customer(s, "5001", "Åberg Bil AB")
        svensson = f.customer(s, "5002", "Svenssons Åkeri AB", org="5566778899")
        car = Vehicle(registration_number="LAN001", fleet="loaner")
        s.add(car)
        s.flush()
        s.add(Booking(kind="loaner", number="9001", customer=svensson, customer_name=svensson.name, vehicle=car,
                      start_at=dt.datetime(2026, 3, 1, 8), end_at=dt.datetime(2026, 3, 1, 17)))
        s.add(Booking(kind="loaner", number="9002", customer=aberg, customer_name=aberg.name, vehicle=car,
                      start_at=dt.datetime(2026, 3, 2, 8), end_at=dt.datetime(2026, 3, 2, 17)))
        s.commit()
    auth.login("advisor")
    for q in ("Åberg", "åberg", "ÅBERG"):
        names = [c["name"] for c in client.get("/admin/bookings/loaner/customers", query_string={"q": q}).get_json()]
        assert names == ["Åberg Bil AB"], q
    names = [c["name"] for c in client.get("/admin/bookings/loaner/customers?q=svenssons åkeri").get_json()]
    assert names == ["Svenssons Åkeri AB"]
    page = client.get("/admin/bookings/logbook/", query_string={"q": "SVENSSONS ÅKERI"}).get_data(as_text=True)
    assert 'data-number="9001"' in page and 'data-number="9002"' not in page
    page = client.get("/admin/bookings/logbook/", query_string={"q": "lan001"}).get_data(as_text=True)
    assert 'data-number="9001"' in page and 'data-number="9002"' in page


def test_register_lists_fold_and_find_a_customer_by_plate_and_tag(client, auth, world):
    auth.login("boss")
    page = client.get("/admin/customer/", query_string={"search": "abc123"}).get_data(as_text=True)
    assert "Åbergs Åkeri AB" in page and "Svenssons Åkeri AB" not in page
    page = client.get("/admin/customer/", query_string={"search": "DÄCKHOTELL"}).get_data(as_text=True)
    assert "Åbergs Åkeri AB" in page and "Svenssons Åkeri AB" in page
    page = client.get("/admin/article/", query_string={"search": "däckskifte"}).get_data(as_text=True)
    assert "DÄCKSKIFTE" in page
    results = client.get("/admin/order/lookup", query_string={"kind": "customer", "q": "ÅBERGS"}).get_json()["results"]
    assert [r["text"] for r in results] == ["3001 Åbergs Åkeri AB"]


def test_form_pickers_search_customers_and_vehicles_through_the_one_search(client, auth, world):
    """The customer and vehicle pickers of the forms (form_ajax_refs): case-folded, a customer also
    by his tag or his vehicle's plate, through the indexed search text."""
    auth.login("boss")

    def picked(name, query):
        response = client.get("/admin/order/ajax/lookup/", query_string={"name": name, "query": query})
        assert response.status_code == 200
        return sorted(text for _id, text in response.get_json())

    assert picked("customer", "ÅBERGS") == ["3001 Åbergs Åkeri AB"]
    assert picked("customer", "däckhotell") == ["3001 Åbergs Åkeri AB", "3002 Svenssons Åkeri AB"]
    assert picked("customer", "xyz789") == ["3002 Svenssons Åkeri AB"]
    assert picked("vehicle", "abc 123") == ["ABC123"]
