"""Every POST of the console needs the session's CSRF token: register forms, deletes, actions,
custom screens and JSON endpoints alike (one mechanism: the global CSRFProtect)."""
import io

import pytest
from sqlalchemy import select

from models import Customer, CustomerFile, Vehicle, db
from tests.factories import csrf_from


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_register_posts_without_a_valid_token_are_refused(app, client, auth, admin_user, token):
    auth.login()
    with app.app_context():
        db.session.add(Customer(customer_number="1000", name="Kund AB"))
        db.session.commit()
        cid = db.session.scalar(select(Customer.id))
    extra = {} if token is None else {"csrf_token": token}
    posts = [
        ("/admin/customer/new/", {"name": "Forged AB", "kind": "company", "customer_type": "regular"}),
        (f"/admin/customer/edit/?id={cid}", {"name": "Forged AB", "kind": "company", "customer_type": "regular"}),
        ("/admin/customer/delete/", {"id": cid}),
        ("/admin/customer/action/", {"action": "inactivate", "rowid": cid}),
        ("/admin/vehicle/new/", {"registration_number": "ABC123", "fleet": "none"}),
        ("/admin/module-settings/", {"company.name": "Forged"}),
        ("/profile/", {"which": "profile", "p-language": "de"}),
        ("/admin/customer/files/upload/", {"customer_id": cid, "file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")}),
    ]
    for url, data in posts:
        assert client.post(url, data={**data, **extra}).status_code == 400, url
    with app.app_context():
        customer = db.session.get(Customer, cid)
        assert customer.name == "Kund AB" and customer.active
        assert db.session.scalar(select(Vehicle)) is None
        assert db.session.scalar(select(CustomerFile)) is None


def test_a_browser_form_with_the_page_token_saves(app, client, auth, admin_user):
    auth.login()
    page = client.get("/admin/vehicle/new/").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 1
    response = client.post("/admin/vehicle/new/", data={
        "csrf_token": csrf_from(page), "registration_number": "ABC123", "country": "SE", "fleet": "none",
        "odometer_km": "0", "form_nonce": "x"})
    assert response.status_code == 302
