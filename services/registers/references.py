"""Which rows in other tables refer to a record (found from the schema's foreign keys, so
registers added later are covered without code here)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from models import db


def references_to(session: Session, obj, skip: set[str] = frozenset()) -> list[tuple[str, int]]:
    """(table, count) of the rows that refer to ``obj``, leaving out tables in ``skip``."""
    table_name = obj.__tablename__
    pk_value = inspect(obj).mapper.primary_key_from_instance(obj)[0]
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != table_name or (table.name == table_name):
                continue
            count = session.scalar(select(func.count()).select_from(table).where(fk.parent == pk_value))
            if count:
                found.append((table.name, count))
    return found


# what a user calls the rows of a table that refer to something; others show the table's name
TABLE_LABELS = {
    "customer": _l("customers"), "vehicle": _l("vehicles"), "contact": _l("contacts"), "address": _l("addresses"),
    "sales_order": _l("orders"), "order_line": _l("order lines"), "invoice": _l("invoices"),
    "invoice_line": _l("invoice lines"), "booking": _l("bookings"), "booking_billing": _l("booking billings"),
    "article": _l("articles"), "labour_operation": _l("labour operations"), "package_item": _l("packages"),
    "customer_article": _l("customer articles"), "user": _l("users"), "comment": _l("comments"),
    "processing_list_item": _l("processing lists"), "document_recipient": _l("document recipients"),
    "outbox_message": _l("e-mails"), "customer_file": _l("files"), "insurance_case": _l("insurance cases"),
    "custom_field_value": _l("additional information values"), "customer_tag": _l("tags"),
    "customer_technician": _l("assigned technicians"), "payment": _l("payments"),
}


def describe(refs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{count} × {TABLE_LABELS.get(name, name.replace('_', ' '))}" for name, count in refs)


# the customer form's fields as the user sees them (form, list columns, history, settings)
CUSTOMER_LABELS = {
    "customer_number": _l("Customer number"), "kind": _l("Kind"), "customer_type": _l("Customer type"),
    "name": _l("Name"), "org_number": _l("Organisation number"),
    "personal_number": _l("Personal identity number"), "identity": _l("Org./personal number"),
    "vat_number": _l("VAT number"), "email": _l("E-mail"), "phone": _l("Phone"),
    "language": _l("Language for messages"), "country": _l("Country"),
    "discount_letter": _l("Discount letter"), "payment_term": _l("Payment terms"),
    "district": _l("District"), "customer_level": _l("Customer level"), "source": _l("Source"),
    "company_type": _l("Company type"), "tags": _l("Tags"), "account_manager": _l("Account manager"),
    "account_manager_title": _l("Account manager title"), "service_advisor": _l("Service advisor"),
    "sales_advisor": _l("Sales advisor"), "technicians": _l("Assigned technicians"),
    "assigned_technicians": _l("Assigned technicians"), "cost_center": _l("Cost center"),
    "internal_comment": _l("Internal comment (never shown to the customer)"),
    "vehicles_disabled": _l("Vehicles are disabled for this customer"),
    "vehicle_required": _l("A vehicle is required on orders"),
    "cost_center_required": _l("A cost center is required on orders"),
    "order_number_required": _l("The customer's order number is required on orders"),
    "always_invoice_to_accounting": _l("Always send as invoice to accounting"),
    "email_documents": _l("Send invoices by e-mail"),
    "is_insurer": _l("Insurance company (can be the insurer of insurance cases)"),
    "active": _l("Active"), "contacts": _l("Contacts"), "customer_articles": _l("Service and work-order articles"),
    "city": _l("City"), "visiting_street": _l("Street"), "visiting_postal_code": _l("Postal code"),
    "visiting_city": _l("City"), "billing_street": _l("Street"), "billing_postal_code": _l("Postal code"),
    "billing_city": _l("City"), "postal_street": _l("Street"), "postal_postal_code": _l("Postal code"),
    "postal_city": _l("City"), "created_at": _l("Created"), "updated_at": _l("Changed"),
}

# the customer kinds as the user sees them (form, card, exports, imports); the customer types'
# labels are register_config.CUSTOMER_TYPE_LABELS
CUSTOMER_KIND_LABELS = {"company": _l("Company"), "private": _l("Private person")}
# the customer card's tabs, as the card shows them and the register settings name them
CUSTOMER_TAB_LABELS = {"overview": _l("Overview"), "contacts": _l("Contacts"), "addresses": _l("Addresses"),
                       "vehicles": _l("Vehicles"), "quotes": _l("Quotes"), "orders": _l("Orders"),
                       "invoices": _l("Invoices"), "bookings": _l("Bookings"), "comments": _l("Comments"),
                       "files": _l("Files"), "events": _l("Events"), "history": _l("History")}
ADDRESS_LABELS = {"visiting": _l("Visiting address"), "billing": _l("Billing address"), "postal": _l("Postal address")}
# the languages a customer is written to and a user works in, by their own names
LANGUAGE_NAMES = {"sv": "Svenska", "de": "Deutsch", "en": "English"}

# sales (quotes, orders, invoices, e-mail): the codes stored, by their labels; for the sales
# screens (views/sales/sales.py) and the personal-data export (services/registers/gdpr.py)
ORDER_KIND_LABELS = {"quote": _l("Quote"), "order": _l("Order")}
ORDER_STATUS_LABELS = {"quote": _l("Quote"), "accepted": _l("Accepted"), "in_progress": _l("In progress"),
                       "ready": _l("Ready (fitted and done)"), "invoiced": _l("Invoiced"), "cancelled": _l("Cancelled")}
LINE_KIND_LABELS = {"article": _l("Article"), "labour": _l("Labour"), "free_text": _l("Free text"),
                    "fixed_price": _l("Fixed price"), "env_fee": _l("Environmental fee"),
                    "invoice_fee": _l("Invoice fee"), "manual": _l("Manual")}
CHARGE_LABELS = {"customer": _l("Customer"), "warranty": _l("Warranty"), "goodwill": _l("Goodwill")}
INVOICE_KIND_LABELS = {"invoice": _l("Invoice"), "credit_note": _l("Credit note")}
# the printed documents of a quote or an order
ORDER_DOCUMENT_LABELS = {"quote": _l("Quote"), "order_confirmation": _l("Order confirmation"),
                         "work_order": _l("Work order"), "delivery_note": _l("Delivery note")}
# the documents sent by e-mail (their texts, their recipients)
MAIL_DOCUMENT_LABELS = {"invoice": _l("Invoice"), "credit_note": _l("Credit note"), "quote": _l("Quote"),
                        "order_confirmation": _l("Order confirmation")}
MESSAGE_STATUS_LABELS = {"queued": _l("Queued"), "sending": _l("Sending"), "sent": _l("Sent"),
                         "failed": _l("Failed")}

# a contact's fields as the user sees them (the contact rows of the customer form, errors)
CONTACT_LABELS = {
    "name": _l("Name"), "title": _l("Title"), "email": _l("E-mail"), "phone": _l("Phone"),
    "send_service_protocol": _l("Send service protocol"),
}
