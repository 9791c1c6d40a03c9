"""The ajax look-ups of the forms (form_ajax_refs) follow the rights of the register they list."""
import pytest

from models import Contact, Customer, User, db
from tests.factories import make_user


@pytest.fixture
def customers(app):
    with app.app_context():
        mine = Customer(customer_number="1", name="Åkeri Mitt AB", contacts=[Contact(name="Mia Mitt")])
        other = Customer(customer_number="2", name="Åkeri Annat AB", contacts=[Contact(name="Olle Annan")])
        db.session.add_all([mine, other])
        db.session.commit()
        return mine.id


def lookup(client, name: str, query: str = "") -> tuple[int, list[str]]:
    response = client.get(f"/admin/vehicle/ajax/lookup/?name={name}&query={query}")
    return response.status_code, [label for _pk, label in (response.get_json() or [])] if response.is_json else []


def test_lookup_lists_what_the_user_may_see_of_the_looked_up_register(app, client, auth, customers):
    make_user(app, "advisor", {"customer.view", "vehicle.view", "vehicle.edit"})
    tech = make_user(app, "tech", {"customer.view_assigned", "vehicle.view", "vehicle.edit"})
    make_user(app, "fleet", {"vehicle.view", "vehicle.edit"})
    make_user(app, "reader", {"customer.view", "vehicle.view"})
    with app.app_context():
        db.session.get(Customer, customers).technicians = [db.session.get(User, tech)]
        db.session.commit()

    auth.login("advisor")
    status, labels = lookup(client, "owner", "Åkeri")
    assert status == 200 and len(labels) == 2
    assert len(lookup(client, "driver")[1]) == 2
    auth.logout()

    auth.login("tech")
    status, labels = lookup(client, "owner", "Åkeri")
    assert status == 200 and len(labels) == 1 and "Mitt" in labels[0]
    assert lookup(client, "driver")[1] == ["Mia Mitt"]
    auth.logout()

    auth.login("fleet")
    assert lookup(client, "owner", "Åkeri") == (200, [])
    auth.logout()

    auth.login("reader")  # may not create or edit vehicles: the form's look-up is not for them
    assert lookup(client, "owner", "Åkeri")[0] == 403
