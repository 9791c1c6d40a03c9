"""Customer register settings (issue 10 item 8): a refused change keeps the user's other
edits; the module tabs of the card are ordered and switched off like the others; one switch
for Events."""
import re

from sqlalchemy import select

from models import Customer, db
from services import register_config as rc
from tests.factories import post_customer as create

SETTINGS = "/admin/register-settings/"


def post(client, auth, path, data, section):
    token = auth.token(f"{SETTINGS}?section={section}")
    return client.post(SETTINGS + path, data={"csrf_token": token, **data})


def checked(html: str, box: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{re.escape(box)}"[^>]*>', html)
    assert tag, box
    return " checked" in tag.group(0)


def test_a_refused_field_change_keeps_the_other_edits(client, auth, admin_user):
    auth.login()
    data = {}
    for kind in rc.KINDS:
        for key in rc.CUSTOMER_FIELDS:
            if key not in ("district", "phone"):  # district switched off: one edit of the user
                data[f"active-{kind}-{key}"] = "on"
    data["required-company-phone"] = "on"  # required but inactive: refused
    response = post(client, auth, "fields", {"entity": "customer", **data}, "fields")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="fields-error"' in html
    assert not checked(html, "active-company-district") and not checked(html, "active-private-district")
    assert checked(html, "required-company-phone") and checked(html, "active-company-email")
    # nothing was saved
    stored = client.get(f"{SETTINGS}?section=fields").get_data(as_text=True)
    assert checked(stored, "active-company-district") and not checked(stored, "required-company-phone")


def test_a_refused_tab_change_keeps_the_order_and_boxes(client, auth, admin_user):
    auth.login()
    response = post(client, auth, "tabs", {"order": "history,orders,overview", "main-history": "on"}, "tabs")
    assert response.status_code == 400  # no tab enabled
    html = response.get_data(as_text=True)
    assert 'id="tabs-error"' in html
    keys = re.findall(r'<li class="list-group-item[^"]*" data-key="([^"]+)"', html)
    assert keys[:3] == ["history", "orders", "overview"]
    assert checked(html, "main-history") and not checked(html, "enabled-overview")


def test_a_refused_types_change_keeps_the_other_boxes(client, auth, admin_user):
    auth.login()
    response = post(client, auth, "types", {"quotes-prospect": "on", "bookings-temporary": "on"}, "types")
    assert response.status_code == 400  # orders without any type
    html = response.get_data(as_text=True)
    assert 'id="types-error"' in html and 'class="table-danger"><td>Order<' in html
    assert checked(html, "quotes-prospect") and not checked(html, "quotes-regular")
    assert checked(html, "bookings-temporary") and not checked(html, "bookings-regular")


def test_a_refused_column_change_keeps_the_order(client, auth, admin_user):
    auth.login()
    response = post(client, auth, "columns", {"order": "email,name,customer_number"}, "columns")
    assert response.status_code == 400  # no column chosen
    html = response.get_data(as_text=True)
    keys = re.findall(r'<li class="list-group-item[^"]*" data-key="([^"]+)" id="column-', html)
    assert keys[:3] == ["email", "name", "customer_number"]


def test_module_tabs_are_ordered_and_switched_off_like_the_others(app, client, auth, admin_user):
    auth.login()
    assert create(client, auth).status_code == 302
    with app.app_context():
        cid = db.session.scalar(select(Customer.id))
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    for key in ("quotes", "orders", "invoices", "bookings"):
        assert f'id="tab-link-{key}"' in card and f'id="tab-{key}"' in card
    assert 'id="tab-link-events"' not in card
    page = client.get(f"{SETTINGS}?section=tabs").get_data(as_text=True)
    assert 'name="events_tab"' not in page  # one switch for Events: its tab's
    listed = re.findall(r'data-key="([^"]+)"', page)
    assert {"quotes", "orders", "invoices", "bookings", "events"} <= set(listed)
    response = post(client, auth, "tabs", {
        "order": "bookings,overview,invoices,orders,events,quotes",
        "enabled-bookings": "on", "main-bookings": "on", "enabled-overview": "on", "main-overview": "on",
        "enabled-invoices": "on", "enabled-events": "on", "main-events": "on", "enabled-quotes": "on",
        "main-quotes": "on"}, "tabs")
    assert response.status_code == 302
    card = client.get(f"/admin/customer/details/?id={cid}").get_data(as_text=True)
    assert 'id="tab-link-orders"' not in card and 'id="tab-orders"' not in card
    links = re.findall(r'id="tab-link-([\w-]+)"', card)
    assert links[:4] == ["bookings", "overview", "events", "quotes"]
    assert 'class="tab-pane active" id="tab-bookings"' in card
    more = card[card.index('id="tab-more"'):]
    assert 'id="tab-link-invoices"' in more  # enabled, not in the main row
