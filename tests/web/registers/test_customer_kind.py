"""The customer form's kind and the fields each kind uses (issue 9 item 11), server side: a
value typed into a field the chosen kind does not use never vanishes without a message."""
import re

from sqlalchemy import func, select

from models import Customer, db
from tests.factories import post_customer as create


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Customer))


def test_personal_number_typed_as_organisation_number_is_moved_with_a_notice(app, client, auth, admin_user):
    """Issue 9 item 11: a private person whose personal identity number was typed into
    "Organisationsnummer" (the field the page left visible) keeps it as the personal identity
    number, and the user is told so (it was dropped silently)."""
    auth.login()
    response = create(client, auth, kind="private", name="Anna Andersson", org_number="811218-9876",
                      personal_number="")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert (customer.kind, customer.personal_number, customer.org_number) == ("private", "198112189876", None)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "811218-9876 skrevs som organisationsnummer för en privatperson; det sparades som personnummer." in page


def test_number_that_fits_no_field_of_the_kind_is_refused_next_to_it(app, client, auth, admin_user):
    """Issue 9 item 11: a company's organisation number on a private person, or a personal
    identity number beside the organisation number of a company, is refused next to the field
    with what was typed kept; nothing is saved."""
    auth.login()
    response = create(client, auth, kind="private", name="Anna Andersson", org_number="556036-0793",
                      personal_number="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="org_number"[^>]*value="556036-0793".*?text-danger[^>]*>\s*<li>'
                     r'En privatperson har inget organisationsnummer', html, re.S)
    response = create(client, auth, kind="company", name="Bilia AB", org_number="556036-0793",
                      personal_number="19811218-9876", form_nonce="n2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="personal_number"[^>]*value="19811218-9876".*?text-danger[^>]*>\s*<li>'
                     r'Ett företag har inget personnummer', html, re.S)
    assert _count(app) == 0
    # both numbers typed for a private person: the organisation number cannot be moved
    response = create(client, auth, kind="private", name="Anna Andersson", org_number="811218-9876",
                      personal_number="19811218-9876", form_nonce="n3")
    assert response.status_code == 200 and "En privatperson har inget organisationsnummer" in response.get_data(
        as_text=True)
    assert _count(app) == 0
