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


def test_inline_lookups_check_the_rights_like_the_others(app, client, auth, customers):
    """The article look-up of the customer form's "articles added to new orders" rows and of a
    package's lines are built by Flask-Admin past the view's loader: they follow the article
    register's right too (a user without it finds nothing) and say what they choose."""
    from decimal import Decimal

    from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader

    from models import Article, LabourOperation, VatRate
    from sqlalchemy import select
    from views.platform.base import RightsAjaxLoader

    with app.app_context():
        vat = db.session.scalar(select(VatRate).where(VatRate.percent == 25))
        db.session.add_all([Article(number="A-1", name="Oljefilter", vat_rate=vat, price=Decimal("100")),
                            LabourOperation(code="L-1", name="Oljebyte", vat_rate=vat)])
        db.session.commit()
    make_user(app, "seller", {"customer.view", "customer.edit", "customer.create", "article.view"})
    make_user(app, "clerk", {"customer.view", "customer.edit", "customer.create"})
    make_user(app, "packer", {"article.view", "article.edit", "article.create"})

    def find(url, name, query):
        response = client.get(f"{url}/ajax/lookup/?name={name}&query={query}")
        return response.status_code, [label for _pk, label in (response.get_json() or [])] if response.is_json else []

    auth.login("seller")
    status, labels = find("/admin/customer", "customerarticle-article", "olje")
    assert status == 200 and len(labels) == 1 and "Oljefilter" in labels[0]
    html = client.get("/admin/customer/new/").get_data(as_text=True)
    assert "data-placeholder=&#34;Välj artikel&#34;" in html  # in the template of a new row
    auth.logout()

    auth.login("clerk")  # the customer form, but not the article register
    assert find("/admin/customer", "customerarticle-article", "olje") == (200, [])
    auth.logout()

    auth.login("packer")
    assert find("/admin/package", "packageitem-article", "olje")[1][0].startswith("A-1")
    assert find("/admin/package", "packageitem-labour_operation", "olje")[0] == 200
    auth.logout()

    # every look-up of every form is one that checks the rights
    loaders = {f"{v.endpoint}.{name}": type(loader) for v in app.extensions["admin"][0]._views
               for name, loader in (getattr(v, "_form_ajax_refs", None) or {}).items()}
    assert "customer.customerarticle-article" in loaders and "package.packageitem-article" in loaders
    assert {k: t for k, t in loaders.items() if not issubclass(t, RightsAjaxLoader)
            and issubclass(t, QueryAjaxModelLoader)} == {}
