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
    "customer_technician": _l("assigned technicians"),
}


def describe(refs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{count} × {TABLE_LABELS.get(name, name.replace('_', ' '))}" for name, count in refs)
