"""Foreign identifiers on the customer form are checked by the customer's country."""
import re

from sqlalchemy import select

from models import Customer, db
from tests.factories import post_customer as create


def test_norwegian_org_and_vat_number_accepted_by_country(app, client, auth, admin_user):
    """Issue 9 (Peppol rules, item 17): a valid Norwegian organisation number and MVA number
    were refused on the customer form; they are checked by the customer's country now, and a
    number of another country is refused next to its field."""
    auth.login()
    response = create(client, auth, name="Fjord AS", country="NO", org_number="995 525 828",
                      vat_number="NO 995 525 828 MVA", billing_postal_code="0150", billing_city="Oslo")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert (customer.country_code, customer.org_number, customer.vat_number) == \
            ("NO", "995525828", "NO995525828MVA")
    # a Swedish organisation number is not a Norwegian one; a German VAT number not a Swedish one
    response = create(client, auth, name="Fel AS", country="NO", org_number="556036-0793", form_nonce="n2")
    assert response.status_code == 200
    assert re.search(r'text-danger[^>]*>\s*<li>[^<]*556036-0793', response.get_data(as_text=True))
    response = create(client, auth, name="Fel AB", vat_number="DE136695976", form_nonce="n3")
    assert response.status_code == 200
    assert re.search(r'text-danger[^>]*>\s*<li>[^<]*SE', response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(Customer.name).where(Customer.name.like("Fel%"))) is None
