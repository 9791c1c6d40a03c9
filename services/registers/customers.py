"""Rules of the customer register (reference 001)."""
import re

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from models import Address, Comment, Contact, Country, Customer, CustomerFile, User, Vehicle, customer_technician
from services import DomainError
from services.registers.identifiers import (
    normalise_email,
    normalise_org_number,
    normalise_personal_number,
    normalise_phone,
    normalise_vat_number,
)
from services.platform.notifications import in_language_of, notify
from services.registers.references import describe, references_to
from services.platform.numbering import ensure_series, take_number

CUSTOMER_NUMBER = re.compile(r"^[0-9A-Za-z-]+$")
# tables whose rows belong to the customer and go with it
OWNED_TABLES = {"address", "contact", "customer_article", "customer_file", "customer_tag", "customer_technician"}


def validate_customer_number(value: str | None, min_length: int, max_length: int) -> str:
    number = (value or "").strip()
    if not number:
        raise DomainError(_("A customer number is required."), "customer_number")
    if not CUSTOMER_NUMBER.match(number):
        raise DomainError(_("A customer number has only digits, letters and dashes."), "customer_number")
    if not (min_length <= len(number) <= max_length):
        raise DomainError(
            _("A customer number has %(min)s to %(max)s characters.", min=min_length, max=max_length),
            "customer_number",
        )
    return number


def next_customer_number(session: Session, min_length: int, max_length: int) -> str:
    """The next free number of the customer series, skipping numbers typed in by hand."""
    ensure_series(session, "customer", 10 ** (max(min_length, 1) - 1))
    for _attempt in range(1000):
        number = str(take_number(session, "customer")).zfill(min_length)
        if len(number) > max_length:
            raise DomainError(_("The customer number series is exhausted; raise the maximum length."),
                              "customer_number")
        if not session.scalar(select(Customer.id).where(Customer.customer_number == number)):
            return number
    raise DomainError(_("No free customer number found."), "customer_number")


def prepare_customer(session: Session, customer: Customer, settings: dict, user: User,
                     old_number: str | None) -> None:
    """Validate and normalise a customer before it is saved; raise DomainError on the first
    bad field. ``old_number`` is the stored number (None for a new customer)."""
    with session.no_autoflush:  # the half-normalised row must not be flushed by a lookup
        _prepare_customer(session, customer, settings, user, old_number)


def _prepare_customer(session: Session, customer: Customer, settings: dict, user: User,
                      old_number: str | None) -> None:
    customer.name = (customer.name or "").strip()
    if not customer.name:
        raise DomainError(_("A name is required."), "name")
    if customer.kind not in ("company", "private"):
        raise DomainError(_("Choose company or private."), "kind")
    # identifiers are checked by the customer's country (a Norwegian organisation number
    # and MVA number are valid for a customer in Norway)
    country = customer.country if customer.country is not None else (
        session.get(Country, customer.country_code) if customer.country_code else None)
    country_code = country.code if country is not None else (customer.country_code or "SE")
    eu_member = country.eu_member if country is not None else country_code == "SE"
    if customer.kind == "company":
        customer.org_number = normalise_org_number(customer.org_number, country_code)
        customer.personal_number = None
    else:
        customer.personal_number = normalise_personal_number(customer.personal_number)
        customer.org_number = None
    customer.vat_number = normalise_vat_number(customer.vat_number, country_code, eu_member)
    customer.email = normalise_email(customer.email)
    customer.phone = normalise_phone(customer.phone)
    for contact in customer.contacts:
        contact.name = (contact.name or "").strip()
        if not contact.name:
            raise DomainError(_("A contact needs a name."), "contacts.name", "")
        contact.email = normalise_email(contact.email, "contacts.email")
        contact.phone = normalise_phone(contact.phone)

    min_len = int(settings["customer.number_min_length"])
    max_len = int(settings["customer.number_max_length"])
    typed = (customer.customer_number or "").strip()
    if old_number is None:
        if not typed and settings["customer.generate_number"]:
            customer.customer_number = next_customer_number(session, min_len, max_len)
        else:
            customer.customer_number = validate_customer_number(typed, min_len, max_len)
    elif typed != old_number:
        if not user.is_admin:
            raise DomainError(_("Only an administrator can change a customer number."), "customer_number")
        customer.customer_number = validate_customer_number(typed, min_len, max_len)
    if customer.customer_number != old_number:
        taken = session.scalar(
            select(Customer.id).where(Customer.customer_number == customer.customer_number,
                                      Customer.id != (customer.id or 0))
        )
        if taken:
            raise DomainError(_("Customer number %(n)s is already in use.", n=customer.customer_number),
                              "customer_number")


def set_address(customer: Customer, kind: str, street: str | None, postal_code: str | None,
                city: str | None, street2: str | None = None, country_code: str | None = None) -> None:
    """Set, change or (when every field is blank) remove the customer's address of one kind."""
    values = [(v or "").strip() for v in (street, street2, postal_code, city)]
    existing = customer.address(kind)
    if not any(values):
        if existing is not None:
            customer.addresses.remove(existing)
        return
    if existing is None:
        existing = Address(kind=kind)
        customer.addresses.append(existing)
    existing.street, existing.street2, existing.postal_code, existing.city = values
    existing.street2 = existing.street2 or None
    existing.country_code = country_code or None


def assign_technicians(session: Session, customer: Customer, users: list[User], link: str | None) -> None:
    """Set the customer's assigned technicians; each added or removed user is notified."""
    before = {u.id: u for u in customer.technicians}
    after = {u.id: u for u in users}
    for uid, user in after.items():
        if uid not in before:
            with in_language_of(user):
                notify(session, user, _("You have been assigned customer %(c)s", c=str(customer)), link)
    for uid, user in before.items():
        if uid not in after:
            with in_language_of(user):
                notify(session, user, _("You are no longer assigned customer %(c)s", c=str(customer)), link)
    customer.technicians = list(after.values())


def assign_in_bulk(session: Session, customers: list[Customer], add: list[User], remove: list[User],
                   link_for) -> int:
    """"Tilldela" from the list (reference 001): ``add`` are assigned to every customer, ``remove``
    are no longer assigned to any; each user added or removed is notified (assign_technicians).
    ``link_for(customer)`` is the card's address in the notification. Returns the customers changed."""
    if set(u.id for u in add) & set(u.id for u in remove):
        raise DomainError(_("A user cannot be both assigned and removed."), "users")
    changed = 0
    removed = {u.id for u in remove}
    for customer in customers:
        before = list(customer.technicians)
        after = [u for u in before if u.id not in removed]
        after += [u for u in add if u.id not in {x.id for x in after}]
        if [u.id for u in after] != [u.id for u in before]:
            assign_technicians(session, customer, after, link_for(customer))
            changed += 1
    return changed


def technician_groups(session: Session) -> list[tuple[str, list[User]]]:
    """The users a customer can be assigned to, grouped by role (reference 001: "Klicka på
    Tilldela så listas alla tekniker i grupper"): active users; the roles whose users see their
    assigned customers (technicians) first, then the others by name."""
    users = session.scalars(select(User).where(User.active.is_(True))).all()
    groups: dict[str, list[User]] = {}
    technician_roles = set()
    for user in users:
        name = user.role.name if user.role else ""
        groups.setdefault(name, []).append(user)
        if user.role is not None and "customer.view_assigned" in user.role.right_names:
            technician_roles.add(name)
    return [(name, sorted(members, key=lambda u: str(u).lower()))
            for name, members in sorted(groups.items(), key=lambda g: (g[0] not in technician_roles, g[0].lower()))]


def customers_with_org_number(session: Session, customer: Customer, where=None) -> list[Customer]:
    """Other customers with the customer's (normalised) organisation number: the form warns
    and saves only after the user confirms (two customers may share one, e.g. departments).
    ``where``: the user's visibility (a customer the user may not see is not named)."""
    if not customer.org_number:
        return []
    query = select(Customer).where(Customer.org_number == customer.org_number, Customer.id != (customer.id or 0))
    if where is not None:
        query = query.where(where)
    return list(session.scalars(query.order_by(Customer.customer_number).limit(5)))


def confirmation_of(others: list[Customer]) -> str:
    """What the form's "Save anyway" box says it was ticked for: those customers' ids."""
    return ",".join(str(c.id) for c in others)


def duplicates_to_confirm(session: Session, customer: Customer, confirmed: str | None, where=None) -> list[Customer]:
    """The other customers with the organisation number the customer was just given, unless the
    user confirmed saving beside exactly them (``confirmed``: confirmation_of what was shown)."""
    if not customer.org_number or not inspect(customer).attrs.org_number.history.has_changes():
        return []
    others = customers_with_org_number(session, customer, where)
    return [] if confirmed == confirmation_of(others) else others


def delete_customer(session: Session, customer: Customer) -> None:
    refs = references_to(session, customer, skip=OWNED_TABLES)
    if refs:
        what = describe(refs)
        raise DomainError(
            _("%(c)s cannot be deleted because other records refer to it: %(what)s. "
              "Inactivate the customer instead.", c=str(customer), what=what)
        )
    session.delete(customer)


def require_active(customer: Customer | None) -> Customer:
    """Guard for new orders and bookings: an inactive customer cannot be chosen."""
    if customer is None:
        raise DomainError(_("Choose a customer."), "customer")
    if not customer.active:
        raise DomainError(_("%(c)s is inactive and cannot be chosen.", c=str(customer)), "customer")
    return customer


def is_assigned(customer: Customer, user: User) -> bool:
    return any(u.id == user.id for u in customer.technicians)


def set_active(customers: list[Customer], active: bool) -> int:
    """Activate or inactivate customers (the list's action); the number changed."""
    changed = 0
    for customer in customers:
        if customer.active != active:
            customer.active = active
            changed += 1
    return changed


def add_tag(customers: list[Customer], tag) -> int:
    """Tag customers (the list's bulk action); the number that did not have the tag."""
    changed = 0
    for customer in customers:
        if all(t.id != tag.id for t in customer.tags):
            customer.tags.append(tag)
            changed += 1
    return changed


def remove_tag(customers: list[Customer], tag) -> int:
    """Take a tag off customers; the number that had it."""
    changed = 0
    for customer in customers:
        kept = [t for t in customer.tags if t.id != tag.id]
        if len(kept) != len(customer.tags):
            customer.tags = kept
            changed += 1
    return changed


def card_counts(session: Session, customer_id: int) -> dict[str, int]:
    """What the customer card's tab labels count (contacts, vehicles, comments, files) and its
    assigned technicians: one statement of COUNTs over the indexed foreign keys, without
    loading the rows."""
    def count(entity, *where):
        return select(func.count()).select_from(entity).where(*where).scalar_subquery()

    row = session.execute(select(
        count(Contact, Contact.customer_id == customer_id).label("contacts"),
        count(Vehicle, Vehicle.owner_id == customer_id).label("vehicles"),
        count(CustomerFile, CustomerFile.customer_id == customer_id).label("files"),
        count(Comment, Comment.entity == "customer", Comment.record_id == customer_id).label("comments"),
        count(customer_technician, customer_technician.c.customer_id == customer_id).label("technicians"),
    )).one()
    return dict(row._mapping)
