"""The e-invoice download: a valid file, or a clear refusal for a buyer without a Peppol address."""
import datetime as dt
from decimal import Decimal as D

from lxml import etree
from sqlalchemy import select

from models import User, db
from reports.sales import peppol
from services.sales import invoicing, orders
from tests import sales_helpers as h

TODAY = dt.date(2026, 11, 24)


def _invoice(app, **customer):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        cust = h.customer(db.session, **customer)
        order = orders.create_order(db.session, cust, None, today=TODAY)
        orders.add_line(db.session, order, "free_text", text="Service", unit_price=D("100"))
        invoice = invoicing.finalise_invoice(db.session, order, None, TODAY, h.settings(db.session))
        db.session.commit()
        return invoice.id


def test_private_person_gets_a_refusal_not_a_file(app, client, auth, admin_user):
    """Issue 9 item 17: a private person cannot receive Peppol; the download answers with the
    reason on the invoice page (the old one gave a file with endpoint scheme "EM", which fails
    PEPPOL-EN16931-CL008)."""
    private = _invoice(app, number="7007", name="Karin Privat", org=None, personal_number="198112189876",
                       email="karin@example.com")
    company = _invoice(app, number="1001")
    auth.login()
    # the invoice page offers no e-invoice to a buyer who cannot receive one
    assert 'id="invoice-peppol"' not in client.get(f"/admin/invoice/details/?id={private}").get_data(as_text=True)
    assert 'id="invoice-peppol"' in client.get(f"/admin/invoice/details/?id={company}").get_data(as_text=True)
    response = client.get(f"/admin/invoice/peppol?id={private}")
    assert response.status_code == 302 and f"/admin/invoice/details/?id={private}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Karin Privat is a private person and cannot receive a Peppol e-invoice" in page
    response = client.get(f"/admin/invoice/peppol?id={company}")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    endpoint = etree.fromstring(response.data).find(
        "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", {"cac": peppol.CAC, "cbc": peppol.CBC})
    assert (endpoint.get("schemeID"), endpoint.text) == ("0007", "5560360793")
