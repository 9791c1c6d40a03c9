"""GDPR for private customers (reference 004, article 17): erase personal data, export it.

Erasing replaces name, personal identity number, e-mail, phone, addresses, contacts, custom
fields and files of the customer with an anonymous marker or removes them; deletes the
comments on the customer and on the vehicles it owns; cancels the e-mails not yet sent to it;
erases every history value of the customer and its parts (services.platform.audit.scrub_history); and
removes its names, e-mail addresses and phone numbers (however written) from the texts it keeps
(orders, bookings, notes, notifications, other history). It keeps what bookkeeping law
requires: finalised invoices keep the snapshot taken when they were issued (their tables are
never touched here). Who erased and when is recorded, never what.

The export (articles 15 and 20) is a document in the person's language, one section per kind
of data, and the same as JSON."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    Booking,
    Comment,
    Customer,
    DocumentRecipient,
    Invoice,
    Job,
    Notification,
    Order,
    OrderLine,
    OutboxMessage,
    PersonalDataErasure,
    User,
    VehicleNote,
    db,
)
from services import DomainError
from services.registers import customer_files
from services.platform.history import readable
from services.platform.audit import ERASED, scrub_history
from services.bookings.bookings import KIND_LABELS as BOOKING_KIND_LABELS
from services.sales.outbox import cancel_unsent
from services.registers import register_config as rc
from services.registers.identifiers import format_org_number, format_personal_number
from services.registers.references import (ADDRESS_LABELS, CUSTOMER_KIND_LABELS, INVOICE_KIND_LABELS, LANGUAGE_NAMES,
                                 MAIL_DOCUMENT_LABELS, MESSAGE_STATUS_LABELS, ORDER_KIND_LABELS,
                                 ORDER_STATUS_LABELS)
from services.platform.search import customer_search_text, vehicle_search_text

MARKER = ERASED
# finalised invoices keep their snapshot for the 7 years of the bookkeeping law
SNAPSHOT_TABLES = {"invoice", "invoice_line"}
_SEP = r"[\s\-./()]*"
# a booking's copy of the customer, and of the driver when the driver is the customer or its contact
BOOKING_CUSTOMER_FIELDS = ("customer_street", "customer_postal_code", "customer_city", "customer_phone",
                           "customer_email")
BOOKING_DRIVER_FIELDS = ("driver_name", "driver_phone", "driver_email", "driver_birth_date",
                         "driver_licence_number", "driver_licence_classes", "driver_licence_issued",
                         "driver_licence_authority")


def personal_values(customer: Customer, with_streets: bool = True) -> list[str]:
    """The distinctive strings that identify the person (not a city or a postal code); without
    the streets, the ones that name nobody else (what may be searched for in other records)."""
    values = [customer.name, customer.personal_number, customer.email, customer.phone, customer.vat_number]
    if customer.personal_number:
        values += [format_personal_number(customer.personal_number), customer.personal_number[2:],
                   format_personal_number(customer.personal_number)[2:]]
    if with_streets:
        for address in customer.addresses:
            values += [address.street, address.street2]
    for contact in customer.contacts:
        values += [contact.name, contact.email, contact.phone]
    return sorted({v.strip() for v in values if v and len(v.strip()) >= 4}, key=len, reverse=True)


def phone_pattern(phone: str | None) -> str | None:
    """A regular expression matching the phone number however it is written: spaces, dashes,
    dots or brackets between the digits, a national 0 or the country code (+46, 0046)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return None
    written = (phone or "").strip()
    if written.startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        if not digits.startswith("46"):
            return r"(?<!\d)(?:\+|00)" + _SEP + _SEP.join(digits) + r"(?!\d)"
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    prefix = r"(?:(?:\+|00)" + _SEP + "46" + _SEP + r"(?:\(0\)" + _SEP + ")?|0)"
    return r"(?<![\d+])" + prefix + _SEP + _SEP.join(digits) + r"(?!\d)"


def personal_pattern(customer: Customer, extra_phones=(), with_streets: bool = True) -> re.Pattern | None:
    """One case-insensitive pattern for every personal value of the customer and its contacts:
    the literal values and the phone numbers in any formatting."""
    parts = [re.escape(v) for v in personal_values(customer, with_streets)]
    phones = [customer.phone, *(c.phone for c in customer.contacts), *extra_phones]
    parts += [p for p in (phone_pattern(x) for x in phones) if p]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def scrub_text(text: str | None, pattern: re.Pattern | None) -> str | None:
    if not text or pattern is None:
        return text
    return pattern.sub(MARKER, text)


def _scrub_rows(session: Session, table, columns, where, pattern) -> None:
    """Replace the personal values in ``columns`` of the rows of ``table`` matching ``where``."""
    pk = list(table.primary_key.columns)
    if pattern is None or len(pk) != 1 or not columns:
        return
    for row in session.execute(select(pk[0], *columns).where(where)).all():
        changed = {}
        for col, value in zip(columns, row[1:]):
            cleaned = scrub_text(value, pattern)
            if cleaned != value:
                changed[col.name] = cleaned[:col.type.length] if getattr(col.type, "length", None) else cleaned
        if changed:
            session.execute(update(table).where(pk[0] == row[0]).values(changed))


def _text_columns(table):
    return [c for c in table.columns if isinstance(c.type, (String, Text)) and not c.foreign_keys
            and not c.primary_key and c.name != "search_text"]


def _any_value(column, values: list[str]):
    return or_(*(column.icontains(v, autoescape=True) for v in values)) if values else false()


def _customer_relations():
    """(table name, attribute) of every audited many-to-one pointing at a customer: its history
    values are the customer's str() ("7001 Greta Gustafsson")."""
    for mapper in db.Model.registry.mappers:
        if not hasattr(mapper.class_, "__tablename__"):
            continue
        for rel in mapper.relationships:
            if rel.mapper.class_ is Customer and rel.direction.name == "MANYTOONE":
                yield mapper.class_.__tablename__, rel.key


def _scrub_history(session: Session, customer: Customer, contact_ids: list[int], linked: dict[str, list[int]],
                   values: list[str], pattern) -> None:
    """Item 12: the history of the customer and its parts loses every old and new value; the
    history of linked records (its vehicles, orders, bookings, invoices: the invoice itself keeps
    its snapshot) and any other row loses the
    values naming the person, and the references to the customer (a vehicle's owner)."""
    cid = str(customer.id)
    log = AuditLog
    scrub_history(session, or_(
        (log.table_name == "customer") & (log.record_id == cid),
        (log.parent_table == "customer") & (log.parent_id == cid),
        (log.table_name == "contact") & log.record_id.in_([str(i) for i in contact_ids] or ["-"]),
        (log.parent_table == "contact") & log.parent_id.in_([str(i) for i in contact_ids] or ["-"]),
    ))
    label = f"{customer.customer_number} "
    for table_name, key in _customer_relations():
        for column in ("old_value", "new_value"):
            scrub_history(session, (log.table_name == table_name) & (log.field == key)
                          & getattr(log, column).startswith(label, autoescape=True), (column,))
    # any other history naming the person (not by a street: someone else may live there)
    for column in ("old_value", "new_value"):
        scrub_history(session, _any_value(getattr(log, column), values), (column,))
    # the booking's copy of the person (and of the driver when the driver is the customer)
    bookings = [str(i) for i in linked.get("booking", [])]
    driver_bookings = [str(i) for i in linked.get("booking_driver", [])]
    if bookings:
        scrub_history(session, (log.table_name == "booking") & log.record_id.in_(bookings)
                      & log.field.in_(("customer_name", *BOOKING_CUSTOMER_FIELDS)))
    if driver_bookings:
        scrub_history(session, (log.table_name == "booking") & log.record_id.in_(driver_bookings)
                      & log.field.in_(BOOKING_DRIVER_FIELDS))
    # phone numbers written another way in the history of the linked records
    conditions = [((log.table_name == t) & log.record_id.in_([str(i) for i in ids]))
                  | ((log.parent_table == t) & log.parent_id.in_([str(i) for i in ids]))
                  for t, ids in linked.items() if ids and t in db.metadata.tables]
    if pattern is None or not conditions:
        return
    hits: dict[str, list[int]] = {"old_value": [], "new_value": []}
    for row_id, old, new in session.execute(select(log.id, log.old_value, log.new_value).where(or_(*conditions))):
        for column, value in (("old_value", old), ("new_value", new)):
            if value and value != MARKER and pattern.search(value):
                hits[column].append(row_id)
    for column, ids in hits.items():
        for start in range(0, len(ids), 500):
            scrub_history(session, log.id.in_(ids[start:start + 500]), (column,))


ERASE_STEPS = 6  # the parts of an erasure reported as progress (a customer with much history takes long)


def erase(session: Session, customer: Customer, user: User, files_dir: str | None = None,
          progress=None) -> PersonalDataErasure:
    """Erase the personal data of a private customer in the caller's transaction.
    ``progress(done, ERASE_STEPS)`` is called after each part. The stored files are removed
    here only when ``files_dir`` is given (the job removes them once its transaction is committed).

    Besides the customer's own fields, addresses, contacts, custom fields and files, the
    erasure deletes the comments on the customer and on the vehicles it owns (they are notes
    about the person's car, "Karins bil"; the vehicle's history of work stays in its orders
    and invoices), cancels the e-mails not yet sent to it (item 13), and removes its e-mail
    addresses and phone numbers, however written, from every text it keeps (item 14)."""
    if customer.kind != "private":
        raise DomainError(_("Only a private person's data can be erased; %(c)s is a company.", c=str(customer)))
    steps = iter(range(1, ERASE_STEPS + 1))

    def step():
        if progress:
            progress(next(steps), ERASE_STEPS)

    cid = customer.id
    recipients = list(session.scalars(select(DocumentRecipient).where(DocumentRecipient.customer_id == cid)))
    bookings = session.execute(select(Booking.id, Booking.customer_phone, Booking.customer_email,
                                      Booking.driver_type).where(Booking.customer_id == cid)).all()
    pattern = personal_pattern(customer, [b.customer_phone for b in bookings])
    naming = personal_values(customer, with_streets=False)
    naming_pattern = personal_pattern(customer, with_streets=False)  # for records of others
    emails = {e.strip().lower() for e in [customer.email, *(c.email for c in customer.contacts),
                                          *(r.email for r in recipients), *(b.customer_email for b in bookings)]
              if e and e.strip()}
    contact_ids = [c.id for c in customer.contacts]
    vehicles = list(customer.vehicles)
    vehicle_ids = [v.id for v in vehicles]
    order_ids = list(session.scalars(select(Order.id).where(or_(Order.customer_id == cid, Order.payer_id == cid))))
    linked = {"vehicle": vehicle_ids, "sales_order": order_ids, "booking": [b.id for b in bookings],
              "invoice": list(session.scalars(select(Invoice.id).where(Invoice.customer_id == cid))),
              "booking_driver": [b.id for b in bookings if b.driver_type in ("customer", "contact")]}
    step()
    # item 13: what was not sent yet is not sent any more
    outbox = OutboxMessage
    invoice_ids = select(Invoice.id).where(Invoice.customer_id == cid)
    cancel_unsent(session, or_(outbox.invoice_id.in_(invoice_ids), outbox.order_id.in_(order_ids or [-1]),
                               func.lower(outbox.recipient).in_(sorted(emails) or ["-"])),
                  lambda text: scrub_text(text, pattern))
    # history is written by hand below: the audit event would store the erased values again
    session.info["audit_disabled"] = True
    try:
        customer.name = f"{MARKER} {customer.customer_number}"
        customer.personal_number = customer.email = customer.phone = customer.vat_number = None
        customer.internal_comment = None
        customer.addresses.clear()
        customer.contacts.clear()
        files = list(customer.files)
        customer.files.clear()  # the stored files go below
        customer.technicians = []
        for recipient in recipients:
            session.delete(recipient)
        session.flush()
        step()
        rc.delete_values(session, "customer", [cid])
        rc.delete_values(session, "contact", contact_ids)
        comments = Comment.__table__
        session.execute(delete(Comment).where(or_(
            (Comment.entity == "customer") & (Comment.record_id == cid),
            (Comment.entity == "vehicle") & Comment.record_id.in_(vehicle_ids or [-1]))))
        # comments kept on the customer's orders and bookings, and anything else naming the person
        for entity, ids in (("order", order_ids), ("booking", linked["booking"])):
            if ids:
                _scrub_rows(session, comments, [comments.c.body], (comments.c.entity == entity)
                            & comments.c.record_id.in_(ids), pattern)
        _scrub_rows(session, comments, [comments.c.body], _any_value(comments.c.body, naming), naming_pattern)
        notes = VehicleNote.__table__
        if vehicle_ids:
            _scrub_rows(session, notes, [notes.c.text], notes.c.vehicle_id.in_(vehicle_ids), pattern)
        step()
        _scrub_history(session, customer, contact_ids, linked, naming, pattern)
        step()
        notices = Notification.__table__
        _scrub_rows(session, notices, [notices.c.message], _any_value(notices.c.message, naming), naming_pattern)
        box = outbox.__table__
        _scrub_rows(session, box, [box.c.recipient, box.c.subject, box.c.body],
                    box.c.invoice_id.is_(None) & or_(*(_any_value(c, naming) for c in
                                                       (box.c.recipient, box.c.subject, box.c.body))), naming_pattern)
        # rows of other modules that point at the customer and copied its data (bookings, orders)
        for table in db.metadata.sorted_tables:
            if table.name in SNAPSHOT_TABLES or table.name in ("customer", "audit_log"):
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name == "customer":
                    _scrub_rows(session, table, _text_columns(table), fk.parent == cid, pattern)
        # the bookings' copy of the person: gone (the booking keeps its vehicle, times and odometer)
        if bookings:
            session.execute(update(Booking).where(Booking.id.in_(linked["booking"])).values(
                customer_name=MARKER, **{f: None for f in BOOKING_CUSTOMER_FIELDS})
                .execution_options(synchronize_session=False))
        if linked["booking_driver"]:
            session.execute(update(Booking).where(Booking.id.in_(linked["booking_driver"])).values(
                **{f: None for f in BOOKING_DRIVER_FIELDS})
                .execution_options(synchronize_session=False))
        order_lines = OrderLine.__table__
        if order_ids:
            _scrub_rows(session, order_lines, [order_lines.c.text], order_lines.c.order_id.in_(order_ids), pattern)
        customer.search_text = customer_search_text(customer)
        for vehicle in vehicles:
            vehicle.search_text = vehicle_search_text(vehicle)
        session.flush()
        step()
    finally:
        session.info.pop("audit_disabled", None)
    customer_files.discard_all(files_dir, files)
    session.expire_all()  # the bulk updates above changed rows the session may hold
    record = PersonalDataErasure(customer_id=cid, erased_by_id=user.id)
    session.add(record)
    session.add(AuditLog(user_id=user.id, action="update", table_name="customer", record_id=str(cid),
                         field="gdpr", old_value=None, new_value=MARKER))
    session.flush()
    step()
    return record


# --- the erasure as a job (services.platform.jobs): the confirmation stays in the request -----------

ERASE_KIND = "customer_erase"
ERASE_RIGHT = "customer.gdpr"


def erase_jobs(session: Session, customer_id: int) -> list[Job]:
    """The erase jobs of a customer, the newest first."""
    found = session.scalars(select(Job).where(Job.kind == ERASE_KIND).order_by(Job.id.desc()).limit(500))
    return [j for j in found if (j.params or {}).get("customer_id") == customer_id]


def start_erase_job(session: Session, enqueue, user: User, customer: Customer) -> Job:
    """Queue the erasure of ``customer`` (confirmed by the user) as a job of ``user``; an erasure of
    it already queued or running is returned instead of a second one. PermissionError without the
    right; DomainError for a company (told at once, nothing queued)."""
    from services.platform import jobs

    if not user.has_right(ERASE_RIGHT):
        raise PermissionError(ERASE_RIGHT)
    if customer.kind != "private":
        raise DomainError(_("Only a private person's data can be erased; %(c)s is a company.", c=str(customer)))
    pending = [j for j in erase_jobs(session, customer.id) if not j.ended]
    if pending:
        return pending[0]
    # the params name the customer by id and number only: a job row must not keep what is erased
    return jobs.submit(session, enqueue, ERASE_KIND, user,
                       {"customer_id": customer.id, "customer_number": customer.customer_number},
                       total=ERASE_STEPS)


def _erase_job(session: Session, job: Job):
    """The work of an erase job: the whole erasure in the job's one transaction (a failure, or a
    killed consumer, erases nothing); the stored files go once it is committed."""
    from services.platform import jobs, visibility

    user = job.user
    # checked again: the right may have been taken away while the job was queued
    if user is None or not user.active or not user.has_right(ERASE_RIGHT):
        raise DomainError(_("You no longer have the right to erase personal data; nothing was erased."))
    customer = visibility.get(session, user, Customer, job.params["customer_id"])
    if customer is None:
        raise DomainError(_("The customer no longer exists."))
    files = [customer_files.file_path(jobs.files_dir(), f) for f in customer.files]
    jobs.report_progress(job, 0, ERASE_STEPS)
    erase(session, customer, user, None, progress=lambda done, total: jobs.report_progress(job, done, total))
    return jobs.Outcome(_("The personal data of customer %(n)s was erased.", n=job.params["customer_number"]),
                        remove=tuple(files))


def _declare_job() -> None:
    from services.platform import jobs

    jobs.handler(ERASE_KIND, label=lambda: _("Erase personal data"), rights=lambda params: [ERASE_RIGHT])(_erase_job)


_declare_job()


# --- the personal-data export (article 15 and 20) ------------------------------------------

# the customer's fields as the customer form names them (field name -> label), also for History
FIELD_LABELS = {
    "customer_number": _l("Customer number"), "kind": _l("Kind"), "customer_type": _l("Customer type"),
    "name": _l("Name"), "personal_number": _l("Personal identity number"),
    "org_number": _l("Organisation number"), "vat_number": _l("VAT number"), "email": _l("E-mail"),
    "phone": _l("Phone"), "language": _l("Language for messages"), "country": _l("Country"),
    "country_code": _l("Country"), "payment_term": _l("Payment terms"), "discount_letter": _l("Discount letter"),
    "district": _l("District"), "customer_level": _l("Customer level"), "source": _l("Source"),
    "company_type": _l("Company type"), "tags": _l("Tags"), "account_manager": _l("Account manager"),
    "service_advisor": _l("Service advisor"), "sales_advisor": _l("Sales advisor"),
    "technicians": _l("Assigned technicians"), "cost_center": _l("Cost center"),
    "internal_comment": _l("Internal comment (never shown to the customer)"), "active": _l("Active"),
    "created_at": _l("Created"), "street": _l("Street"), "street2": _l("Street, line 2"),
    "postal_code": _l("Postal code"), "city": _l("City"), "title": _l("Title"),
    "send_service_protocol": _l("Receives the service protocol"),
}


def export_language(customer: Customer, language: str | None = None) -> str:
    """The language of the export: the one asked for, else the customer's, else Swedish."""
    for candidate in (language, customer.language, "sv"):
        if candidate in LANGUAGE_NAMES:
            return candidate
    return "sv"


class _Values:
    """Values as a person reads them, in the export's language."""

    def __init__(self, language: str):
        self.language = language
        self.locale = Locale.parse(language)

    def __call__(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(_l("Yes") if value else _l("No"))
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format_decimal(value, format="#,##0.00", locale=self.locale)
        if isinstance(value, (list, tuple)):
            return ", ".join(x for x in (self(v) for v in value) if x)
        return str(value).strip()

    def money(self, amount, currency) -> str:
        return format_currency(amount, currency or "SEK", locale=self.locale)

    def country(self, code) -> str:
        return self.locale.territories.get(code or "", code or "")

    def language_name(self, code) -> str:
        try:
            return Locale.parse(code).get_display_name(self.locale) or code
        except (ValueError, TypeError):
            return code or ""


def _record(value, pairs) -> dict[str, str]:
    """label -> readable value, leaving out what is empty (nothing is stored there)."""
    out = {}
    for label, raw in pairs:
        text = raw if isinstance(raw, str) else value(raw)
        if text:
            out[str(label)] = text
    return out


def personal_data(session: Session, customer: Customer, language: str | None = None) -> dict:
    """Everything stored about the customer, for a person to read (article 15) and as data to
    take along (article 20): one section per kind of data, each record a mapping of labels in
    the export's language to readable values (names of linked values, not their ids). The
    same structure is the JSON file and the PDF."""
    lang = export_language(customer, language)
    with force_locale(lang):
        return _personal_data(session, customer, lang)


def _personal_data(session: Session, customer: Customer, lang: str) -> dict:
    value = _Values(lang)
    cid = customer.id
    config = rc.current(session)
    custom = rc.values_of(session, config, "customer", [cid], include_removed=True).get(cid, {})
    custom_pairs = [(f.label(lang), rc.display(f, custom[f.name]))
                    for f in config.fields_of("customer", include_removed=True) if f.name in custom]
    c = customer
    sections = []

    def section(key, title, records, note=None):
        sections.append({"id": key, "title": str(title), "note": str(note) if note else None,
                         "records": [r for r in records if r]})

    section("customer", _l("Customer"), [_record(value, [
        (FIELD_LABELS["customer_number"], c.customer_number), (FIELD_LABELS["kind"], CUSTOMER_KIND_LABELS.get(c.kind, c.kind)),
        (FIELD_LABELS["customer_type"], rc.CUSTOMER_TYPE_LABELS.get(c.customer_type, c.customer_type)),
        (FIELD_LABELS["name"], c.name),
        (FIELD_LABELS["personal_number"], format_personal_number(c.personal_number) if c.personal_number else None),
        (FIELD_LABELS["org_number"], format_org_number(c.org_number) if c.org_number else None),
        (FIELD_LABELS["vat_number"], c.vat_number), (FIELD_LABELS["email"], c.email), (FIELD_LABELS["phone"], c.phone),
        (FIELD_LABELS["language"], value.language_name(c.language)),
        (FIELD_LABELS["country"], value.country(c.country_code)),
        (FIELD_LABELS["payment_term"], c.payment_term), (FIELD_LABELS["discount_letter"], c.discount_letter),
        (FIELD_LABELS["district"], c.district), (FIELD_LABELS["customer_level"], c.customer_level),
        (FIELD_LABELS["source"], c.source), (FIELD_LABELS["company_type"], c.company_type),
        (FIELD_LABELS["tags"], [t.name for t in c.tags]), (FIELD_LABELS["account_manager"], c.account_manager),
        (FIELD_LABELS["service_advisor"], c.service_advisor), (FIELD_LABELS["sales_advisor"], c.sales_advisor),
        (FIELD_LABELS["technicians"], [str(t) for t in c.technicians]), (FIELD_LABELS["cost_center"], c.cost_center),
        (FIELD_LABELS["internal_comment"], c.internal_comment), (FIELD_LABELS["active"], c.active),
        (FIELD_LABELS["created_at"], c.created_at), *custom_pairs])])
    section("contacts", _l("Contacts"), [_record(value, [
        (FIELD_LABELS["name"], k.name), (FIELD_LABELS["title"], k.title), (FIELD_LABELS["email"], k.email),
        (FIELD_LABELS["phone"], k.phone), (FIELD_LABELS["send_service_protocol"], k.send_service_protocol or None)])
        for k in c.contacts])
    section("addresses", _l("Addresses"), [_record(value, [
        (FIELD_LABELS["kind"], ADDRESS_LABELS.get(a.kind, a.kind)), (FIELD_LABELS["street"], a.street),
        (FIELD_LABELS["street2"], a.street2), (FIELD_LABELS["postal_code"], a.postal_code),
        (FIELD_LABELS["city"], a.city), (FIELD_LABELS["country"], value.country(a.country_code) if a.country_code
                                         else None)]) for a in c.addresses])
    vehicles = list(c.vehicles)
    section("vehicles", _l("Vehicles"), [_record(value, [
        (_l("Registration number"), v.registration_number), (_l("VIN"), v.vin), (_l("Make"), v.make),
        (_l("Model"), v.model), (_l("Model group"), v.model_group), (_l("Category"), v.category),
        (_l("Body type"), v.body_type), (_l("Fuel"), v.fuel), (_l("Colour"), v.colour),
        (_l("First registration"), v.first_registration_date),
        (_l("Odometer (km)"), str(v.odometer_km) if v.odometer_km else None), (_l("Driver"), v.driver),
        (FIELD_LABELS["country"], value.country(v.country_code))]) for v in vehicles])
    bookings = session.scalars(select(Booking).where(Booking.customer_id == cid).order_by(Booking.start_at)).all()
    section("bookings", _l("Bookings"), [_record(value, [
        (_l("Booking"), b.number), (FIELD_LABELS["kind"], BOOKING_KIND_LABELS.get(b.kind, b.kind)),
        (_l("From"), b.start_at), (_l("To"), b.end_at), (_l("Vehicle"), b.vehicle or b.trade_plate),
        (FIELD_LABELS["name"], b.customer_name),
        (FIELD_LABELS["street"], b.customer_street), (FIELD_LABELS["postal_code"], b.customer_postal_code),
        (FIELD_LABELS["city"], b.customer_city), (FIELD_LABELS["phone"], b.customer_phone),
        (FIELD_LABELS["email"], b.customer_email), (_l("Driver"), b.driver_name or b.driver_contact),
        (_l("Driver's phone"), b.driver_phone), (_l("Driver's e-mail"), b.driver_email),
        (_l("Driver's date of birth"), b.driver_birth_date), (_l("Driving licence number"), b.driver_licence_number),
        (_l("Licence classes"), b.driver_licence_classes), (_l("Licence issued"), b.driver_licence_issued),
        (_l("Issuing authority"), b.driver_licence_authority), (_l("Destination"), b.destination),
        (_l("Purpose"), b.purpose), (_l("Remark"), b.remark), (_l("Agreements"), b.comment),
        (_l("Issued"), b.issued_at), (_l("Odometer at issue (km)"), b.issue_odometer and str(b.issue_odometer)),
        (_l("Returned"), b.returned_at), (_l("Odometer at return (km)"), b.return_odometer and str(b.return_odometer)),
        (_l("Remark at return"), b.return_remark), (_l("Damages"), b.return_damages)]) for b in bookings])
    orders = session.scalars(select(Order).where(or_(Order.customer_id == cid, Order.payer_id == cid))
                             .order_by(Order.order_date, Order.id)).all()
    section("orders", _l("Orders and quotes"), [_record(value, [
        (ORDER_KIND_LABELS.get(o.kind, o.kind), str(o.id)), (_l("Status"), ORDER_STATUS_LABELS.get(o.status, o.status)),
        (_l("Date"), o.order_date), (_l("Vehicle"), o.vehicle), (_l("Your reference"), o.customer_reference),
        (_l("Your order number"), o.customer_order_number), (_l("Text"), o.text),
        (_l("Lines"), "; ".join(f"{value(line.quantity)} × {line.text}" for line in o.lines))]) for o in orders])
    invoices = session.scalars(select(Invoice).where(Invoice.customer_id == cid)
                               .order_by(Invoice.invoice_date, Invoice.id)).all()
    section("invoices", _l("Invoices and credit notes"), [_record(value, [
        (INVOICE_KIND_LABELS.get(i.kind, i.kind), i.number), (_l("Invoice date"), i.invoice_date),
        (_l("Due date"), i.due_date), (FIELD_LABELS["name"], i.customer_name),
        (_l("Billing address"), ", ".join(i.billing_address or [])), (_l("Vehicle"), i.vehicle_registration),
        (_l("Total"), value.money(i.total, i.currency))]) for i in invoices],
        _l("Invoices are kept for seven years as the bookkeeping law requires, also after an erasure."))
    section("files", _l("Files"), [_record(value, [
        (_l("File name"), f.filename), (_l("Type"), f.content_type),
        (_l("Size"), f"{f.size_bytes} B" if f.size_bytes < 1024 else
         format_decimal(Decimal(f.size_bytes) / 1024, format="#,##0", locale=value.locale) + " kB"),
        (_l("Uploaded"), f.uploaded_at), (_l("Uploaded by"), f.uploaded_by)]) for f in c.files])
    labels = {v.id: str(v) for v in vehicles}
    comments = session.scalars(select(Comment).where(or_(
        (Comment.entity == "customer") & (Comment.record_id == cid),
        (Comment.entity == "vehicle") & Comment.record_id.in_(list(labels) or [-1])))
        .order_by(Comment.created_at, Comment.id)).all()
    section("comments", _l("Comments"), [_record(value, [
        (_l("Time"), k.created_at), (_l("By"), k.created_by),
        (_l("About"), str(customer) if k.entity == "customer" else labels.get(k.record_id)),
        (_l("Text"), k.body)]) for k in comments])
    emails = {e.lower() for e in [c.email, *(k.email for k in c.contacts)] if e}
    order_ids = [o.id for o in orders]
    messages = session.scalars(select(OutboxMessage).where(or_(
        OutboxMessage.invoice_id.in_([i.id for i in invoices] or [-1]),
        OutboxMessage.order_id.in_(order_ids or [-1]),
        func.lower(OutboxMessage.recipient).in_(sorted(emails) or ["-"]))).order_by(OutboxMessage.created_at)).all()
    section("emails", _l("E-mails"), [_record(value, [
        (_l("Time"), m.created_at), (_l("Recipient"), m.recipient), (_l("Subject"), m.subject),
        (_l("Status"), MESSAGE_STATUS_LABELS.get(m.status, m.status)), (_l("Sent"), m.sent_at)]) for m in messages])
    recipients = session.scalars(select(DocumentRecipient).where(DocumentRecipient.customer_id == cid)
                                 .order_by(DocumentRecipient.id)).all()
    section("consents", _l("Consents and choices"), [
        _record(value, [(FIELD_LABELS["language"], value.language_name(c.language))]),
        *(_record(value, [(_l("Document"), MAIL_DOCUMENT_LABELS.get(r.document_type, r.document_type)),
                          (_l("Sent by e-mail to"), r.email)]) for r in recipients),
        *(_record(value, [(FIELD_LABELS["send_service_protocol"], k.name)]) for k in c.contacts
          if k.send_service_protocol)],
        _l("No consent to marketing is recorded; these are the choices of how documents reach the customer."))
    history = session.scalars(select(AuditLog).where(or_(
        (AuditLog.table_name == "customer") & (AuditLog.record_id == str(cid)),
        (AuditLog.parent_table == "customer") & (AuditLog.parent_id == str(cid))))
        .order_by(AuditLog.at, AuditLog.id)).all()
    # worded as the History tab and the audit log word it (services.platform.history): labels, linked
    # names, Ja/Nej, amounts, the local time
    actions = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}
    section("history", _l("History"), [_record(value, [
        (_l("Time"), h.when), (_l("Action"), actions.get(h.action, h.action)), (_l("Record"), h.record),
        (_l("Field"), h.field_label), (_l("Old value"), h.old), (_l("New value"), h.new)])
        for h in readable(session, history, language=lang)])
    return {"title": str(_l("Personal data")), "language": lang,
            "customer": f"{c.customer_number} {c.name}",
            "created": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "sections": sections}


def personal_data_json(session: Session, customer: Customer, language: str | None = None) -> str:
    return json.dumps(personal_data(session, customer, language), ensure_ascii=False, indent=2)
