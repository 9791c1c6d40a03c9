"""Customer types per module through HTTP: the server refuses an order for a prospect when
prospects are off for orders (it used to save it), the look-ups offer only customers that can
be chosen, and the settings page lists only modules that exist."""
import json
import re

import pytest
from sqlalchemy import func, select

from models import Customer, Order, db
from services.sales import orders
from tests.factories import csrf_from
from tests.factories import customer as make_customer

SETTINGS = "/admin/register-settings/"


@pytest.fixture
def people(app):
    with app.app_context():
        ids = {
            "regular": make_customer(db.session, "1001", "Vanlig AB").id,
            "prospect": make_customer(db.session, "1002", "Prospekt AB", org="5566778899",
                                      customer_type="prospect").id,
            "inactive": make_customer(db.session, "1003", "Vilande AB", org="5560000002", active=False).id,
        }
        db.session.commit()
        return ids


def _post_order(client, people, kind="order", who="prospect", **extra):
    token = csrf_from(client.get("/admin/order/new/").get_data(as_text=True))
    return client.post("/admin/order/new/", data={"csrf_token": token, "kind": kind,
                                                  "customer": str(people[who]), "order_date": "2026-11-24",
                                                  **extra})


def _orders(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def test_an_order_for_a_prospect_is_refused_with_a_message(app, client, auth, admin_user, people):
    auth.login()
    response = _post_order(client, people)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1002 Prospekt AB kan inte väljas för order: kundtypen Prospekt är avstängd" in html
    assert _orders(app) == 0
    # a quote for the prospect is allowed (prospects are on for quotes by default)
    assert _post_order(client, people, kind="quote").status_code == 302
    assert _post_order(client, people, kind="order", who="regular").status_code == 302
    assert _orders(app) == 2


def test_a_prospect_cannot_be_the_payer_of_an_order(app, client, auth, admin_user, people):
    auth.login()
    response = _post_order(client, people, who="regular", payer=str(people["prospect"]))
    assert response.status_code == 200 and "kundtypen Prospekt" in response.get_data(as_text=True)
    assert _orders(app) == 0


def test_a_settings_change_applies_to_the_server_at_once(app, client, auth, admin_user, people):
    auth.login()
    token = auth.token(f"{SETTINGS}?section=types")
    data = {"csrf_token": token, "quotes-regular": "on", "orders-regular": "on", "orders-prospect": "on",
            "bookings-regular": "on"}
    assert client.post(SETTINGS + "types", data=data).status_code == 302
    assert _post_order(client, people).status_code == 302
    response = _post_order(client, people, kind="quote")
    assert response.status_code == 200 and "kundtypen Prospekt" in response.get_data(as_text=True)


def _lookup(client, view, name, query="AB", **args):
    extra = "".join(f"&{k}={v}" for k, v in args.items())
    response = client.get(f"/admin/{view}/ajax/lookup/?name={name}&query={query}{extra}")
    assert response.status_code == 200
    return {text for _id, text in json.loads(response.get_data(as_text=True))}


def test_look_ups_offer_only_customers_that_can_be_chosen(app, client, auth, admin_user, people):
    auth.login()
    # the order form's look-up follows the kind it sends (static/js/lowcode.js)
    assert _lookup(client, "order", "customer", kind="order") == {"1001 Vanlig AB"}
    assert _lookup(client, "order", "customer", kind="quote") == {"1001 Vanlig AB", "1002 Prospekt AB"}
    assert _lookup(client, "order", "payer", kind="order") == {"1001 Vanlig AB"}
    # without a kind: either kind's customers; never an inactive one
    assert _lookup(client, "order", "customer") == {"1001 Vanlig AB", "1002 Prospekt AB"}
    # other customer pickers: active customers only
    assert "1003 Vilande AB" not in _lookup(client, "vehicle", "owner")
    assert _lookup(client, "vehicle", "owner") == {"1001 Vanlig AB", "1002 Prospekt AB"}
    # the booking form's customer look-up: bookings allow regular and temporary customers
    response = client.get("/admin/bookings/loaner/customers?q=AB")
    assert response.status_code == 200
    assert {c["label"] for c in response.get_json()} == {"1001 Vanlig AB"}


def test_an_existing_order_keeps_its_customer(app, client, auth, admin_user, people):
    """A settings change does not lock existing orders: only a new choice is checked."""
    auth.login()
    with app.app_context():
        quote = orders.create_order(db.session, db.session.get(Customer, people["prospect"]), kind="quote")
        db.session.commit()
        qid = quote.id
    url = f"/admin/order/edit/?id={qid}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "kind": "quote", "customer": str(people["prospect"]),
                                      "order_date": "2026-11-25"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    # turning the prospect's quote into an order through the form is refused
    token = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "kind": "order", "customer": str(people["prospect"]),
                                      "order_date": "2026-11-25"})
    assert response.status_code == 200 and "kundtypen Prospekt" in response.get_data(as_text=True)


def test_the_settings_page_lists_only_modules_that_exist(client, auth, admin_user):
    auth.login()
    html = client.get(f"{SETTINGS}?section=types").get_data(as_text=True)
    rows = re.findall(r'name="(\w+)-regular"', html)
    assert rows == ["quotes", "orders", "bookings"]
    assert "Försäljningsmöjligheter" not in html and "sales_opportunities" not in html
