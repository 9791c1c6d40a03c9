"""Issue 10 (performance): the customer card comes with its header, the tab bar with its counts
(COUNT queries) and its first tab; the other tabs are fetched when opened, from
/admin/customer/tab/?id=N&tab=KEY, with the card's rights."""
import re

from sqlalchemy import select

from models import Contact, Customer, User, Vehicle, db
from services.sales import orders
from tests import sales_helpers as sh
from tests.card_tabs import tab
from tests.factories import make_user


def _customer(app, number="6001", name="Flikar AB") -> int:
    """A customer with 2 contacts, a vehicle, 2 orders and a quote, and a change in its history."""
    with app.app_context():
        c = sh.customer(db.session, number=number, name=name, org=None)
        c.contacts += [Contact(name="Kontakt Ett"), Contact(name="Kontakt Två")]
        car = Vehicle(registration_number=f"FLK{number[-3:]}", owner=c, model="V70")
        db.session.add(car)
        db.session.flush()
        for kind in ("order", "order", "quote"):
            orders.create_order(db.session, c, kind=kind, vehicle=car)
        db.session.commit()
        c.phone = "08-123 45 67"  # a row on the History tab
        db.session.commit()
        return c.id


def _badge(card: str, key: str) -> str | None:
    m = re.search(rf'id="tab-link-{key}">[^<]*(?:<span class="badge badge-light">(\d+)</span>)?', card)
    return m.group(1) if m else None


def test_card_comes_with_its_first_tab_and_the_others_when_opened(app, client, auth, admin_user):
    auth.login()
    cid = _customer(app)
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    # the first tab (Overview) is there; History, Contacts and Orders are empty panes to fetch
    assert 'class="tab-pane active" id="tab-overview"' in card and "customer-card" in card
    assert "history-table" not in card and 'data-field="phone"' not in card
    assert "Kontakt Ett" not in card and 'id="customer-orders"' not in card
    assert re.search(r'<div class="tab-pane" id="tab-history" data-tab-url="/admin/customer/tab/\?id=%d&amp;tab=history">'
                     r'</div>' % cid, card)
    # the labels count without the rows
    assert (_badge(card, "contacts"), _badge(card, "vehicles"), _badge(card, "orders"), _badge(card, "quotes"),
            _badge(card, "invoices")) == ("2", "1", "2", "1", "0")
    history = tab(client, cid, "history")
    assert history.status_code == 200 and history.headers["Cache-Control"] == "no-store"
    text = history.get_data(as_text=True)
    assert "history-table" in text and 'data-field="phone"' in text and "<html" not in text
    assert "Kontakt Två" in tab(client, cid, "contacts").get_data(as_text=True)
    assert len(re.findall(r"<tr class=\"\">", tab(client, cid, "orders").get_data(as_text=True))) == 2
    files = tab(client, cid, "files").get_data(as_text=True)
    assert 'id="upload-form"' in files and 'name="form_nonce"' in files
    assert tab(client, cid, "nonsense").status_code == 404
    assert tab(client, cid + 1000, "history").status_code == 404


def test_a_tab_has_the_cards_rights(app, client, auth, admin_user):
    """The user limited to assigned customers gets no tab of another customer (403, as the card);
    a user without the sales module gets no quotes, orders or invoices tab (404), as the card
    shows none; and nobody unauthenticated."""
    mine, other = _customer(app, "6001", "Min Kund AB"), _customer(app, "6002", "Annan Kund AB")
    tech = make_user(app, "tech", {"customer.view_assigned", "sales.view"})
    make_user(app, "seller_less", {"customer.view"})
    with app.app_context():
        db.session.get(Customer, mine).technicians = [db.session.get(User, tech)]
        db.session.commit()
    assert tab(client, mine, "history").status_code == 302  # to the login
    auth.login("tech")
    for key in ("overview", "history", "contacts", "orders", "files"):
        assert tab(client, mine, key).status_code == 200, key
        refused = tab(client, other, key)
        assert refused.status_code == 403 and "Annan Kund" not in refused.get_data(as_text=True), key
    auth.logout()
    auth.login("seller_less")
    card = client.get(f"/admin/customer/details/?id={other}").get_data(as_text=True)
    assert 'id="tab-link-orders"' not in card and 'id="tab-orders"' not in card
    for key in ("quotes", "orders", "invoices"):
        assert tab(client, other, key).status_code == 404, key
    assert 'data-field="phone"' in tab(client, other, "history").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Customer.name).where(Customer.id == other)) == "Annan Kund AB"
