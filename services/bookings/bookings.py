"""Vehicle bookings: loaner (lånebil), rental (hyrbil) and test drive (provkörning), reference 003.

Plain functions over a session; the clock (``now``) and the module settings are arguments, so
every rule is testable with a fixed clock. Interval arithmetic is pure (``overlaps``,
``issue_deadline``, ``display_interval``); the queries that find conflicting bookings use it.

Issuing is the one place where two users can collide: ``lock_resources`` takes a row lock on
the vehicle (and trade plate) before the "is it out already?" check is repeated inside the
transaction, so of two simultaneous issues exactly one succeeds.
"""
from __future__ import annotations

import datetime as dt
import importlib
import math
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, object_session
from sqlalchemy.orm.exc import StaleDataError

from config.defaults import SETTINGS_DEFAULTS
from models import (
    BOOKING_KINDS,
    DRIVER_TYPES,
    FUEL_LEVELS,
    Booking,
    BookingBilling,
    BookingBillingLine,
    CascoModel,
    Customer,
    TariffModel,
    TradePlate,
    User,
    Vehicle,
    VehicleNote,
)
from services import DomainError
from services.registers import register_config
from services.platform.formatting import number
from services.registers.customers import require_active
from services.platform.numbering import ensure_series, take_number

QUARTER = dt.timedelta(minutes=15)
TIMEZONE = ZoneInfo("Europe/Stockholm")
TEMPLATE_DURATION = dt.timedelta(minutes=30)
CENT = Decimal("0.01")
STATUSES = ("planned", "issued", "overdue", "returned", "billed")
# the one place the kinds and statuses get their words (screens, prints, exports, GDPR file)
KIND_LABELS = {"loaner": _l("Loaner"), "rental": _l("Rental"), "test_drive": _l("Test drive")}
STATUS_LABELS = {"planned": _l("Planned"), "issued": _l("Issued"), "overdue": _l("Overdue"),
                 "returned": _l("Returned"), "billed": _l("Billed")}
# attributes a booking form may set (services validate them; views only parse)
PLANNING_FIELDS = ("start_at", "end_at", "vehicle", "trade_plate", "colour")
FORM_FIELDS = (
    "customer_name", "customer_street", "customer_postal_code", "customer_city", "customer_phone",
    "customer_email", "driver_type", "driver_contact", "driver_name", "driver_phone", "driver_email",
    "driver_birth_date", "driver_licence_number", "driver_licence_classes", "driver_licence_issued",
    "driver_licence_authority", "licence_checked", *PLANNING_FIELDS, "advisor", "tariff_model",
    "casco_model", "max_km", "cost_center", "destination", "purpose", "handover_location", "remark",
    "comment",
)
# copied by "new from template" (vehicle data come from the register through the relation)
TEMPLATE_FIELDS = tuple(f for f in FORM_FIELDS if f not in ("start_at", "end_at", "licence_checked"))


class Forbidden(DomainError):
    """The user lacks the right for this action; views answer 403 with the message."""


def wall_clock_now() -> dt.datetime:
    """Bookings are wall-clock times of the workshop (Europe/Stockholm), to the minute."""
    return dt.datetime.now(TIMEZONE).replace(tzinfo=None, second=0, microsecond=0)


# --- pure interval logic ----------------------------------------------------------------


def overlaps(a_start: dt.datetime, a_end: dt.datetime | None, b_start: dt.datetime, b_end: dt.datetime | None) -> bool:
    """Half-open intervals [start, end) overlap; ``None`` as end means open (not returned yet)."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def next_quarter_hour(now: dt.datetime) -> dt.datetime:
    """The next full quarter hour strictly after ``now`` (10:07 -> 10:15, 10:00 -> 10:15)."""
    floor = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return floor + QUARTER


def issue_deadline(now: dt.datetime, days_before_pickup: int) -> dt.datetime:
    """Latest moment an issue (or return) may be saved for: the next full quarter hour, or
    with the setting "issue before pickup in days" = N > 0, 23:59 N days ahead."""
    if days_before_pickup and int(days_before_pickup) > 0:
        day = now.date() + dt.timedelta(days=int(days_before_pickup))
        return dt.datetime.combine(day, dt.time(23, 59))
    return next_quarter_hour(now)


def display_interval(start_at, end_at, issued_at, returned_at, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """What the calendar draws: planned -> planned times; issued -> actual issue to planned end;
    overdue -> actual issue to now; returned -> actual issue to actual return."""
    if issued_at is None:
        return start_at, end_at
    if returned_at is not None:
        return issued_at, max(returned_at, issued_at + dt.timedelta(minutes=1))
    if now > end_at:
        return issued_at, max(now, issued_at + dt.timedelta(minutes=1))
    return issued_at, max(end_at, issued_at + dt.timedelta(minutes=1))


def status_of(issued_at, returned_at, end_at, billed: bool, now: dt.datetime) -> str:
    if returned_at is not None:
        return "billed" if billed else "returned"
    if issued_at is not None:
        return "overdue" if now > end_at else "issued"
    return "planned"


def days_of_use(issued_at: dt.datetime, returned_at: dt.datetime) -> int:
    """Started 24-hour periods between issue and return, at least one."""
    seconds = (returned_at - issued_at).total_seconds()
    return max(1, math.ceil(seconds / 86400))


# --- rights -----------------------------------------------------------------------------


def right(kind: str, action: str) -> str:
    return f"booking_{kind}.{action}"


def has(user: User, kind: str, action: str) -> bool:
    if action == "billing" and kind == "test_drive":
        return False
    return bool(user and user.has_right(right(kind, action)))


# the rights that open a booking (its form, its prints, a search hit)
OPEN_ACTIONS = ("edit", "manager", "logbook", "issue", "return")


def may_open(user: User, kind: str) -> bool:
    return any(has(user, kind, a) for a in OPEN_ACTIONS)


def require(user: User, kind: str, action: str) -> None:
    if not has(user, kind, action):
        raise Forbidden(_("You do not have the right to do this (%(r)s).", r=right(kind, action)))


def is_own(user: User, booking: Booking) -> bool:
    """Own entry: the advisor is the user, or the user created it (reference 003)."""
    return booking.advisor_id == user.id or booking.created_by_id == user.id


def may(user: User, booking: Booking, action: str) -> bool:
    """edit / delete honour "only own entries"; the administrator is never restricted."""
    if not has(user, booking.kind, action):
        return False
    if action in ("edit", "delete") and not user.is_admin and has(user, booking.kind, "own_only"):
        return is_own(user, booking)
    return True


def require_may(user: User, booking: Booking, action: str) -> None:
    if not may(user, booking, action):
        if has(user, booking.kind, action):
            raise Forbidden(_("You may only change your own bookings."))
        require(user, booking.kind, action)


# --- queries ----------------------------------------------------------------------------


def fleet_query(kind: str):
    return select(Vehicle).where(Vehicle.fleet == kind).order_by(Vehicle.registration_number)


def planned_conflicts(session: Session, booking: Booking) -> list[Booking]:
    """Other unreturned bookings of the same vehicle or plate whose planned times overlap:
    allowed while planned, shown as a warning."""
    resource = _same_resource(booking)
    if resource is None:
        return []
    rows = session.scalars(
        select(Booking).where(resource, Booking.id != (booking.id or 0), Booking.returned_at.is_(None),
                              Booking.start_at < booking.end_at, Booking.end_at > booking.start_at)
        .order_by(Booking.start_at)
    ).all()
    return [b for b in rows if overlaps(b.start_at, b.end_at, booking.start_at, booking.end_at)]


def issue_conflicts(session: Session, booking: Booking, issued_at: dt.datetime,
                    returned_at: dt.datetime | None) -> list[Booking]:
    """Other bookings of the same vehicle or plate whose issue period [issued, returned)
    overlaps the given one; an unreturned issue is open-ended."""
    resource = _same_resource(booking)
    if resource is None:
        return []
    rows = session.scalars(
        select(Booking).where(resource, Booking.id != (booking.id or 0), Booking.issued_at.is_not(None),
                              or_(Booking.returned_at.is_(None), Booking.returned_at > issued_at))
        .execution_options(populate_existing=True)
    ).all()
    return [b for b in rows if overlaps(b.issued_at, b.returned_at, issued_at, returned_at)]


def _same_resource(booking: Booking):
    conditions = []
    if booking.vehicle_id:
        conditions.append(Booking.vehicle_id == booking.vehicle_id)
    if booking.trade_plate_id:
        conditions.append(Booking.trade_plate_id == booking.trade_plate_id)
    return or_(*conditions) if conditions else None


def lock_resources(session: Session, booking: Booking) -> None:
    """Serialise issues of one vehicle/plate: PostgreSQL row lock (SELECT ... FOR UPDATE);
    SQLite takes its database write lock with a no-op UPDATE (it serialises writers)."""
    dialect = session.get_bind().dialect.name
    for model, key in ((Vehicle, booking.vehicle_id), (TradePlate, booking.trade_plate_id)):
        if not key:
            continue
        if dialect == "postgresql":
            session.execute(select(model.id).where(model.id == key).with_for_update())
        else:
            session.execute(update(model).where(model.id == key).values(id=model.id)
                            .execution_options(synchronize_session=False))
    if booking.vehicle_id:
        # the vehicle's odometer and reservation as of now, not as loaded before the lock
        session.execute(select(Vehicle).where(Vehicle.id == booking.vehicle_id)
                        .execution_options(populate_existing=True))


# --- booking data -----------------------------------------------------------------------


def default_advisor(kind: str, customer: Customer | None) -> User | None:
    """Rental and test drive: the customer's sales advisor; loaner: the service advisor."""
    if customer is None:
        return None
    return customer.service_advisor if kind == "loaner" else customer.sales_advisor


def copy_customer(booking: Booking, customer: Customer) -> None:
    """Load the customer's data into the booking (snapshot), and into the driver when the
    driver is the customer."""
    require_active(customer)
    register_config.check_customer_type(object_session(customer), customer, "bookings")
    booking.customer = customer
    booking.customer_id = customer.id
    address = customer.address("visiting") or customer.address("postal") or customer.address("billing")
    booking.customer_name = customer.name
    booking.customer_street = address.street if address else None
    booking.customer_postal_code = address.postal_code if address else None
    booking.customer_city = address.city if address else None
    booking.customer_phone = customer.phone
    booking.customer_email = customer.email
    if booking.driver_type in (None, "customer"):
        booking.driver_type = "customer"
        booking.driver_name = customer.name
        booking.driver_phone = customer.phone
        booking.driver_email = customer.email


def copy_customer_to_register(booking: Booking) -> None:
    """"Copy to customer register": the edited phone and e-mail go back to the customer, and a
    contact person driving gets the driver's phone and e-mail (free input is not copied)."""
    customer = require_active(booking.customer)
    customer.phone = booking.customer_phone or customer.phone
    customer.email = booking.customer_email or customer.email
    if booking.driver_type == "contact" and booking.driver_contact is not None:
        booking.driver_contact.phone = booking.driver_phone or booking.driver_contact.phone
        booking.driver_contact.email = booking.driver_email or booking.driver_contact.email


def copy_driver_to_vehicle(booking: Booking) -> None:
    """"Copy to vehicle as driver": only a contact of the vehicle's owner can be its driver."""
    if booking.driver_type != "contact" or booking.driver_contact is None:
        raise DomainError(_("Only a contact person can be copied to the vehicle as driver."), "driver_contact")
    vehicle = booking.vehicle
    if vehicle is None or vehicle.owner_id != booking.driver_contact.customer_id:
        raise DomainError(_("The contact's customer must own the vehicle."), "driver_contact")
    vehicle.driver = booking.driver_contact


def _validate(session: Session, booking: Booking, settings: dict, now: dt.datetime, *,
              times_changed: bool, check_past: bool = True) -> None:
    # no autoflush: a half-changed booking must be refused here, not by a database constraint
    with session.no_autoflush:
        _check(session, booking, settings, now, times_changed, check_past)


def earliest_start(settings, now: dt.datetime) -> dt.datetime:
    """How far in the past a new or moved booking may start (booking.max_hours_in_past)."""
    return now - dt.timedelta(hours=int(settings.get("booking.max_hours_in_past", 24)))


def _check(session: Session, booking: Booking, settings: dict, now: dt.datetime, times_changed: bool,
           check_past: bool) -> None:
    if booking.kind not in BOOKING_KINDS:
        raise DomainError(_("Unknown booking kind."), "kind")
    require_active(booking.customer if booking.customer is not None else
                   (session.get(Customer, booking.customer_id) if booking.customer_id else None))
    if booking.start_at is None or booking.end_at is None:
        raise DomainError(_("Enter start and end."), "start_at")
    if booking.end_at <= booking.start_at:
        raise DomainError(_("The end must be after the start."), "end_at")
    if booking.driver_type not in DRIVER_TYPES:
        raise DomainError(_("Choose the driver type."), "driver_type")
    vehicle = booking.vehicle if booking.vehicle is not None else (
        session.get(Vehicle, booking.vehicle_id) if booking.vehicle_id else None)
    plate = booking.trade_plate if booking.trade_plate is not None else (
        session.get(TradePlate, booking.trade_plate_id) if booking.trade_plate_id else None)
    if vehicle is None and plate is None:
        raise DomainError(_("Choose a vehicle."), "vehicle")
    if vehicle is not None and vehicle.fleet != booking.kind:
        raise DomainError(_("%(v)s is not in the fleet of this booking kind.", v=vehicle.registration_number), "vehicle")
    if plate is not None:
        if booking.kind != "test_drive":
            raise DomainError(_("Trade plates are for test drives only."), "trade_plate")
        if not plate.active:
            raise DomainError(_("Trade plate %(p)s is inactive.", p=plate.number), "trade_plate")
    if booking.max_km is not None and booking.max_km < 0:
        raise DomainError(_("Max km cannot be negative."), "max_km")
    if booking.colour and not (len(booking.colour) == 7 and booking.colour.startswith("#")):
        raise DomainError(_("Choose a colour."), "colour")
    if times_changed and check_past and booking.issued_at is None:
        if booking.start_at < earliest_start(settings, now):
            raise DomainError(_("A booking cannot start more than %(h)s hours in the past.",
                                h=settings.get("booking.max_hours_in_past", 24)), "start_at")


def _stamp(booking: Booking, user: User, now: dt.datetime) -> None:
    booking.updated_by_id = user.id
    booking.updated_at = now


def create_booking(session: Session, kind: str, customer: Customer | None, values: dict, user: User,
                   settings: dict, now: dt.datetime, *, check_past: bool = True) -> Booking:
    """A new planned booking; ``values`` holds FORM_FIELDS (typed)."""
    if kind not in BOOKING_KINDS:
        raise DomainError(_("Unknown booking kind."), "kind")
    require(user, kind, "new")
    if customer is None:
        raise DomainError(_("Choose a customer."), "customer")
    booking = Booking(kind=kind, driver_type=values.get("driver_type") or "customer", created_by_id=user.id,
                      created_at=now, updated_by_id=user.id, updated_at=now, confirmed=False)
    copy_customer(booking, customer)
    _apply(booking, values)
    if booking.advisor is None and "advisor" not in values:
        booking.advisor = default_advisor(kind, customer)
    _validate(session, booking, settings, now, times_changed=True, check_past=check_past)
    ensure_series(session, "booking", 10001)
    booking.number = str(take_number(session, "booking"))
    session.add(booking)
    session.flush()
    return booking


def _apply(booking: Booking, values: dict) -> None:
    for key in FORM_FIELDS:
        if key in values:
            setattr(booking, key, values[key])
    if "vehicle" in values:
        booking.vehicle_id = values["vehicle"].id if values["vehicle"] is not None else None
    if "trade_plate" in values:
        booking.trade_plate_id = values["trade_plate"].id if values["trade_plate"] is not None else None
    if booking.driver_type == "customer" and booking.customer is not None and "driver_name" not in values:
        booking.driver_name = booking.customer_name


def update_booking(session: Session, booking: Booking, customer: Customer | None, values: dict, user: User,
                   settings: dict, now: dt.datetime) -> Booking:
    """Save the booking form. A confirmed booking is locked; after issue the vehicle and
    trade plate stay, the times can still change."""
    require_may(user, booking, "edit")
    if booking.confirmed:
        raise DomainError(_("The booking is confirmed and cannot be changed; remove the confirmation first."))
    old = (booking.start_at, booking.end_at, booking.vehicle_id, booking.trade_plate_id)
    if customer is not None and customer.id != booking.customer_id:
        copy_customer(booking, customer)
    _apply(booking, values)
    if booking.issued_at is not None and (booking.vehicle_id, booking.trade_plate_id) != old[2:]:
        raise DomainError(_("The vehicle and trade plate cannot change after the issue."), "vehicle")
    _validate(session, booking, settings, now, times_changed=(booking.start_at, booking.end_at) != old[:2])
    _stamp(booking, user, now)
    session.flush()
    return booking


def move_booking(session: Session, booking: Booking, start_at: dt.datetime, end_at: dt.datetime,
                 vehicle: Vehicle | None, trade_plate: TradePlate | None, user: User, settings: dict,
                 now: dt.datetime, version: int | None = None) -> list[Booking]:
    """Drag and drop / resize in the calendar. Returns the planned overlaps (warnings)."""
    require_may(user, booking, "edit")
    if version is not None and int(version) != booking.version:
        raise DomainError(_("Someone else changed this booking; the calendar is reloaded."))
    if booking.confirmed:
        raise DomainError(_("The booking is confirmed and cannot be moved; remove the confirmation first."))
    if booking.returned_at is not None:
        raise DomainError(_("A returned booking cannot be moved."))
    new_vehicle_id = vehicle.id if vehicle is not None else None
    new_plate_id = trade_plate.id if trade_plate is not None else None
    if booking.issued_at is not None and (new_vehicle_id, new_plate_id) != (booking.vehicle_id, booking.trade_plate_id):
        raise DomainError(_("The vehicle and trade plate cannot change after the issue."), "vehicle")
    times_changed = (start_at, end_at) != (booking.start_at, booking.end_at)
    booking.start_at, booking.end_at = start_at, end_at
    booking.vehicle, booking.vehicle_id = vehicle, new_vehicle_id
    booking.trade_plate, booking.trade_plate_id = trade_plate, new_plate_id
    _validate(session, booking, settings, now, times_changed=times_changed)
    _stamp(booking, user, now)
    session.flush()
    return planned_conflicts(session, booking)


def set_confirmed(session: Session, booking: Booking, confirmed: bool, user: User, now: dt.datetime) -> None:
    require_may(user, booking, "edit")
    if booking.confirmed == confirmed:
        return
    booking.confirmed = confirmed
    _stamp(booking, user, now)
    session.flush()


def delete_booking(session: Session, booking: Booking, user: User) -> None:
    require_may(user, booking, "delete")
    if booking.issued_at is not None and booking.returned_at is None:
        raise DomainError(_("The vehicle is issued; cancel the issue before deleting the booking."))
    if booking.billing is not None:
        raise DomainError(_("A billed booking cannot be deleted."))
    if booking.confirmed:
        raise DomainError(_("The booking is confirmed and cannot be deleted; remove the confirmation first."))
    session.delete(booking)
    session.flush()


def template_values(session: Session, template: Booking, settings: dict, now: dt.datetime) -> dict:
    """The booking form's values for "new from template" (003): the template's data, the
    vehicle as the register has it now, "licence checked" cleared, from the template's end for
    half an hour. Nothing is saved: the user sees the form and saves it (or not).

    A template that ended longer ago than a new booking may start in the past would offer a
    time the form then refuses: such a copy starts at the next quarter hour instead."""
    values = {f: getattr(template, f) for f in TEMPLATE_FIELDS}
    values["licence_checked"] = False
    start = template.end_at
    if start < earliest_start(settings, now):
        start = next_quarter_hour(now)
    values["start_at"] = start
    values["end_at"] = start + TEMPLATE_DURATION
    if template.vehicle_id is not None:
        values["vehicle"] = session.get(Vehicle, template.vehicle_id, populate_existing=True)
    return values


def logbook_grouping(group: str):
    """The logbook's grouping (003: by vehicle, or by registration / trade plate): the SQL
    expression its rows are ordered by (the query joins Vehicle and TradePlate) and the
    function that names a row's group. Ordered in the database, so a page of the logbook is
    a slice of the whole and a group runs on over the page break."""
    if group == "plate":
        return (func.coalesce(TradePlate.number, Vehicle.registration_number, ""),
                lambda b: b.trade_plate.number if b.trade_plate else (b.vehicle.registration_number if b.vehicle else ""))
    return (func.coalesce(Vehicle.registration_number, TradePlate.number, ""),
            lambda b: str(b.vehicle) if b.vehicle else str(b.trade_plate or ""))


def logbook_query(session: Session, user: User, f: dict):
    """The logbook's bookings (003) under the filters ``f`` (kinds, q, date_from, date_to as
    YYYY-MM-DD, issued_by, returned_by as user ids, open_only, group) that ``user`` may see,
    ordered by group, newest first; with the function that names a row's group.

    A date that is not YYYY-MM-DD is refused (DomainError, field "from" or "to")."""
    from services.platform import visibility  # services.platform.search reads services.bookings.bookings
    from services.platform import search

    try:
        date_from = dt.date.fromisoformat(f["date_from"]) if f.get("date_from") else None
        date_to = dt.date.fromisoformat(f["date_to"]) if f.get("date_to") else None
    except ValueError:
        raise DomainError(_("Enter dates as YYYY-MM-DD."), "from") from None
    order, key = logbook_grouping(f.get("group", "vehicle"))
    query = (select(Booking).where(Booking.kind.in_(f["kinds"]), visibility.clause(user, Booking))
             .outerjoin(Vehicle, Booking.vehicle_id == Vehicle.id)
             .outerjoin(TradePlate, Booking.trade_plate_id == TradePlate.id)
             .options(contains_eager(Booking.vehicle), contains_eager(Booking.trade_plate),
                      joinedload(Booking.issued_by), joinedload(Booking.returned_by), joinedload(Booking.billing),
                      joinedload(Booking.advisor)))
    dialect = session.get_bind().dialect.name
    condition = search.search_condition(dialect, Booking, f.get("q", ""))
    if condition is not None:
        reg = search.fold(search.registration_term(f["q"]))
        query = query.where(or_(condition,
                                Booking.vehicle.has(search.contains(dialect, Vehicle.registration_number, reg)),
                                Booking.trade_plate.has(search.contains(dialect, TradePlate.number, reg))))
    if date_from:
        query = query.where(Booking.end_at >= dt.datetime.combine(date_from, dt.time()))
    if date_to:
        query = query.where(Booking.start_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
    if str(f.get("issued_by", "")).isdigit():
        query = query.where(Booking.issued_by_id == int(f["issued_by"]))
    if str(f.get("returned_by", "")).isdigit():
        query = query.where(Booking.returned_by_id == int(f["returned_by"]))
    if f.get("open_only"):
        query = query.where(Booking.issued_at.is_not(None), Booking.returned_at.is_(None))
    return query.order_by(order, Booking.start_at.desc(), Booking.id.desc()), key


# --- issue and return -------------------------------------------------------------------


def _reserve(vehicle: Vehicle, booking: Booking, user: User, settings: dict) -> None:
    if settings.get("booking.update_vehicle_reservation"):
        vehicle.reserved = True
        vehicle.reserved_by_id = user.id
        vehicle.reserved_until = booking.end_at
        vehicle.reserved_for = booking.customer.customer_number if booking.customer else None


def _unreserve(vehicle: Vehicle | None, settings: dict) -> None:
    if vehicle is not None and settings.get("booking.update_vehicle_reservation"):
        vehicle.reserved = False
        vehicle.reserved_by_id = None
        vehicle.reserved_until = None
        vehicle.reserved_for = None


def issue_limits(booking: Booking, settings: dict, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Earliest and latest moment an issue of this booking may be dated. Latest: the issue
    deadline (next quarter hour, or N days ahead). Earliest: the setting "issue at most hours
    before the start" before the planned start (a customer who comes early, recorded a little
    later), or before now when the booking starts later (a customer here a day early);
    never back-dated without limit."""
    hours = settings.get("booking.issue_hours_before_start")
    hours = max(0, int(SETTINGS_DEFAULTS["booking.issue_hours_before_start"] if hours in (None, "") else hours))
    earliest = min(booking.start_at, now) - dt.timedelta(hours=hours)
    return earliest, issue_deadline(now, int(settings.get("booking.issue_days_before_pickup") or 0))


def _check_issue_time(booking: Booking, when: dt.datetime, settings: dict, now: dt.datetime) -> None:
    earliest, deadline = issue_limits(booking, settings, now)
    if when > deadline:
        raise DomainError(_("The issue can be saved at most until %(d)s.", d=deadline.strftime("%Y-%m-%d %H:%M")),
                          "issued_at")
    if when < earliest:
        raise DomainError(_("The issue cannot be earlier than %(d)s (the booking starts %(s)s).",
                            d=earliest.strftime("%Y-%m-%d %H:%M"), s=booking.start_at.strftime("%Y-%m-%d %H:%M")),
                          "issued_at")
    if when >= booking.end_at:
        raise DomainError(_("The issue cannot be after the planned end of the booking."), "issued_at")


def _refuse_conflicts(conflicts: list[Booking], field: str = "issued_at") -> None:
    """The message says what the other booking really is: still out, or out in that period."""
    if conflicts:
        other = conflicts[0]
        if other.returned_at is None:
            raise DomainError(_("The vehicle is already issued on booking %(n)s (%(c)s) and not returned.",
                                n=other.number, c=other.customer_name), field)
        raise DomainError(_("The vehicle was issued on booking %(n)s (%(c)s) from %(f)s to %(t)s; the periods "
                            "cannot overlap.", n=other.number, c=other.customer_name,
                            f=other.issued_at.strftime("%Y-%m-%d %H:%M"),
                            t=other.returned_at.strftime("%Y-%m-%d %H:%M")), field)


def _stale() -> DomainError:
    return DomainError(_("Someone else saved this booking while you were editing it. Reload the page."))


def _locked_handover(session: Session, booking: Booking, version: int | None):
    """Lock the vehicle/plate and the booking row, then read the booking's handover state as
    committed now (not as loaded before the lock): every issue, return and change of them runs
    its checks on this, in the same transaction as the save. ``version`` is the booking version
    the user's form was opened on; a different stored version means someone saved meanwhile."""
    try:
        lock_resources(session, booking)  # flushes this action's own pending changes first
    except StaleDataError:
        raise _stale()
    query = select(Booking.issued_at, Booking.returned_at, Booking.version, Booking.issued_by_id,
                   Booking.returned_by_id).where(Booking.id == booking.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    with session.no_autoflush:
        state = session.execute(query).one()
    expected = booking.version if version in (None, "") else int(version)
    return state, state.version == expected and state.version == booking.version


def _who(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return str(user.full_name or user.username) if user is not None else "–"


def _refuse_if_issued(session: Session, state) -> None:
    if state.issued_at is not None:
        raise DomainError(_("The vehicle was already issued on this booking (%(t)s by %(u)s). Reload the page.",
                            t=state.issued_at.strftime("%Y-%m-%d %H:%M"), u=_who(session, state.issued_by_id)))


def issue_vehicle(session: Session, booking: Booking, when: dt.datetime, odometer: int | None, user: User,
                  settings: dict, now: dt.datetime, *, version: int | None = None,
                  driver: dict | None = None) -> Booking:
    """Issue (utlämning): copies odometer, open notes/campaigns and the booking comment; the
    odometer may be corrected upward and the vehicle follows. A booking is issued once: a
    second issue (another user, another tab, an old form) is refused, never written over the
    first. ``driver`` holds driver fields edited in the issue form (kept unless confirmed)."""
    require(user, booking.kind, "issue")
    _refuse_if_issued(session, booking)
    if booking.vehicle_id is None:
        raise DomainError(_("Choose a vehicle before the issue."), "vehicle")
    _check_issue_time(booking, when, settings, now)
    state, current = _locked_handover(session, booking, version)
    _refuse_if_issued(session, state)
    if not current:
        raise _stale()
    _refuse_conflicts(issue_conflicts(session, booking, when, None))
    vehicle = session.get(Vehicle, booking.vehicle_id)
    if odometer is None:
        odometer = vehicle.odometer_km
    if odometer < vehicle.odometer_km:
        raise DomainError(_("The odometer can only be corrected upward (register: %(km)s km).",
                            km=vehicle.odometer_km), "issue_odometer")
    if driver and not booking.confirmed:
        for key in ("driver_name", "driver_phone", "driver_licence_number"):
            if key in driver:
                setattr(booking, key, (driver[key] or "").strip() or None)
    booking.issued_at = when
    booking.issued_by_id = user.id
    booking.issue_odometer = odometer
    booking.issue_notes = "\n".join(n.text for n in vehicle.notes if n.open) or None
    booking.issue_comment = booking.comment
    vehicle.odometer_km = odometer
    _reserve(vehicle, booking, user, settings)
    _stamp(booking, user, now)
    session.flush()
    return booking


def immediate_issue(session: Session, booking: Booking, odometer: int | None, user: User, settings: dict,
                    now: dt.datetime) -> Booking:
    """"Sofortausgabe": issue now, from a new or planned booking."""
    when = now.replace(second=0, microsecond=0)
    if booking.start_at > when:
        # the customer is here early: the booking starts now
        booking.start_at = when
    return issue_vehicle(session, booking, when, odometer, user, settings, now)


def _check_return_time(booking: Booking, issued_at: dt.datetime, returned_at: dt.datetime,
                       now: dt.datetime) -> None:
    if returned_at < issued_at:
        raise DomainError(_("The return cannot be before the issue."), "returned_at")
    if returned_at > issue_deadline(now, 0):
        raise DomainError(_("A return cannot be saved in the future."), "returned_at")


def edit_issue(session: Session, booking: Booking, issued_at: dt.datetime, issue_odometer: int,
               user: User, settings: dict, now: dt.datetime, returned_at: dt.datetime | None = None,
               return_odometer: int | None = None, *, version: int | None = None) -> Booking:
    """Change issue (and return) data afterwards, right "edit handover"; no issue overlap may
    arise (reference 003), and the form must still show what is saved (``version``)."""
    require(user, booking.kind, "edit_handover")
    if booking.issued_at is None:
        raise DomainError(_("The vehicle has not been issued."))
    returned = booking.returned_at is not None
    # a returned booking keeps its return unless the form changes it
    returned_at = (returned_at or booking.returned_at) if returned else None
    return_odometer = (return_odometer if return_odometer is not None else booking.return_odometer) \
        if returned else None
    _check_issue_time(booking, issued_at, settings, now)
    if returned_at is not None:
        _check_return_time(booking, issued_at, returned_at, now)
    if issue_odometer is None or issue_odometer < 0:
        raise DomainError(_("Enter the odometer."), "issue_odometer")
    if return_odometer is not None and return_odometer < issue_odometer:
        raise DomainError(_("The return odometer cannot be below the issue odometer."), "return_odometer")
    state, current = _locked_handover(session, booking, version)
    if not current or state.issued_at is None or (state.returned_at is not None) != returned:
        raise _stale()
    _refuse_conflicts(issue_conflicts(session, booking, issued_at, returned_at))
    booking.issued_at = issued_at
    booking.issue_odometer = issue_odometer
    vehicle = session.get(Vehicle, booking.vehicle_id) if booking.vehicle_id else None
    if vehicle is not None and issue_odometer > vehicle.odometer_km:
        vehicle.odometer_km = issue_odometer
    if returned:
        booking.returned_at = returned_at
        booking.return_odometer = return_odometer
        if vehicle is not None and return_odometer is not None and return_odometer > vehicle.odometer_km:
            vehicle.odometer_km = return_odometer
    _stamp(booking, user, now)
    session.flush()
    return booking


def cancel_issue(session: Session, booking: Booking, user: User, settings: dict, now: dt.datetime, *,
                 version: int | None = None) -> Booking:
    """Undo the issue before the return; the vehicle's odometer is not reset."""
    require(user, booking.kind, "edit_handover")
    if booking.issued_at is None:
        raise DomainError(_("The vehicle has not been issued."))
    if booking.returned_at is not None:
        raise DomainError(_("The vehicle has been returned; the issue can no longer be cancelled."))
    state, current = _locked_handover(session, booking, version)
    if state.returned_at is not None:
        raise DomainError(_("The vehicle has been returned; the issue can no longer be cancelled."))
    if not current or state.issued_at is None:
        raise _stale()
    booking.issued_at = None
    booking.issue_odometer = None
    booking.issue_notes = None
    booking.issue_comment = None
    booking.issued_by_id = None
    _unreserve(session.get(Vehicle, booking.vehicle_id) if booking.vehicle_id else None, settings)
    _stamp(booking, user, now)
    session.flush()
    return booking


def require_edit_return(user: User, booking: Booking) -> None:
    """A saved return (signed or not) is changed afterwards only with "edit handover"
    (reference 003: "die Ausgabe bzw. Rückgabe im Nachhinein bearbeiten")."""
    if not has(user, booking.kind, "edit_handover"):
        if booking.return_signature is not None:
            raise Forbidden(_("The return is signed and locked; only \"edit handover\" may change it."))
        raise Forbidden(_("The return is saved; changing it needs the right \"edit handover\"."))


def return_vehicle(session: Session, booking: Booking, when: dt.datetime, odometer: int, fuel_level: str | None,
                   damages: list[str], remark: str | None, signature: bytes | None, user: User, settings: dict,
                   now: dt.datetime, *, edit: bool | None = None, version: int | None = None) -> Booking:
    """Return (återlämning), or with ``edit`` a change of a saved return ("edit handover").
    Each new damage becomes an open note on the vehicle. The issue period may not overlap
    another issue of the vehicle, on the first return and on every change of it. ``edit``
    says what the user's form was for (``None``: the booking's state); a return form sent
    for a booking that has been returned meanwhile is refused, not saved over it."""
    editing = booking.returned_at is not None if edit is None else bool(edit)
    if editing:
        require_edit_return(user, booking)
    else:
        require(user, booking.kind, "return")
    if booking.issued_at is None:
        raise DomainError(_("The vehicle has not been issued."))
    if editing and booking.returned_at is None:
        raise _stale()
    if not editing and booking.returned_at is not None:
        raise DomainError(_("The vehicle was already returned on this booking (%(t)s by %(u)s). Reload the page.",
                            t=booking.returned_at.strftime("%Y-%m-%d %H:%M"), u=_who(session, booking.returned_by_id)))
    _check_return_time(booking, booking.issued_at, when, now)
    if odometer is None:
        raise DomainError(_("Enter the odometer."), "return_odometer")
    if odometer < (booking.issue_odometer or 0):
        raise DomainError(_("The odometer cannot be below the issue odometer (%(km)s km).",
                            km=booking.issue_odometer), "return_odometer")
    if fuel_level and fuel_level not in FUEL_LEVELS:
        raise DomainError(_("Choose the fuel level."), "return_fuel_level")
    state, current = _locked_handover(session, booking, version)
    if not editing and state.returned_at is not None:
        raise DomainError(_("The vehicle was already returned on this booking (%(t)s by %(u)s). Reload the page.",
                            t=state.returned_at.strftime("%Y-%m-%d %H:%M"), u=_who(session, state.returned_by_id)))
    if not current or state.issued_at is None:
        raise _stale()
    _refuse_conflicts(issue_conflicts(session, booking, booking.issued_at, when), "returned_at")
    damages = [d.strip() for d in damages if d and d.strip()]
    vehicle = session.get(Vehicle, booking.vehicle_id) if booking.vehicle_id else None
    booking.returned_at = when
    booking.return_odometer = odometer
    booking.return_fuel_level = fuel_level or None
    booking.return_remark = (remark or "").strip() or None
    if damages:
        booking.return_damages = "\n".join(filter(None, [booking.return_damages, *damages]))
    if signature:
        booking.return_signature = signature
    booking.returned_by_id = user.id
    if vehicle is not None:
        vehicle.odometer_km = max(vehicle.odometer_km, odometer)
        for damage in damages:
            vehicle.notes.append(VehicleNote(text=f"{damage} ({booking.number})", open=True,
                                             created_by_id=user.id, created_at=now))
        _unreserve(vehicle, settings)
    _stamp(booking, user, now)
    session.flush()
    return booking


# --- billing ----------------------------------------------------------------------------


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def calculate_billing(booking: Booking, tariff: TariffModel | None, casco: CascoModel | None, days: int,
                      km_driven: int, insurance: Decimal = Decimal("0"),
                      adjustments: list[tuple[str, Decimal]] | None = None,
                      include_return_remark: bool = True) -> list[dict]:
    """The calculation (Kalkulation): one line per item, amounts excl. VAT rounded half-up to öre.

    Rent: days × price per day; extra km: km beyond free km per day × days, × price per km;
    casco: days × price per day (the deductible is printed on the line); insurance and each
    surcharge (+) or discount (-) as its own line."""
    if days < 1:
        raise DomainError(_("Days of use must be at least 1."), "days")
    if km_driven < 0:
        raise DomainError(_("Km driven cannot be negative."), "km_driven")
    lines: list[dict] = []
    vat = Decimal("25")
    if tariff is not None:
        vat = tariff.vat_percent
        lines.append(dict(text=_("Rent %(t)s, %(d)s days", t=tariff.name, d=days), quantity=Decimal(days),
                          unit_price=tariff.price_per_day, vat_percent=tariff.vat_percent))
        free = tariff.free_km_per_day * days
        extra = max(0, km_driven - free)
        if extra and tariff.price_per_km:
            lines.append(dict(text=_("Extra km (%(km)s km driven, %(free)s km free)", km=km_driven, free=free),
                              quantity=Decimal(extra), unit_price=tariff.price_per_km, vat_percent=tariff.vat_percent))
    if casco is not None:
        lines.append(dict(text=_("Casco %(c)s, deductible %(d)s kr", c=casco.name, d=number(casco.deductible)),
                          quantity=Decimal(days), unit_price=casco.price_per_day, vat_percent=casco.vat_percent))
    if insurance:
        lines.append(dict(text=_("Insurance"), quantity=Decimal(1), unit_price=Decimal(insurance), vat_percent=vat))
    for text, amount in adjustments or []:
        if amount:
            lines.append(dict(text=text or (_("Surcharge") if amount > 0 else _("Discount")), quantity=Decimal(1),
                              unit_price=Decimal(amount), vat_percent=vat))
    if include_return_remark and booking.return_remark and lines:
        lines[0]["text"] = f"{lines[0]['text']} – {booking.return_remark}"
    for line in lines:
        line["unit_price"] = _money(line["unit_price"])
        line["amount"] = _money(line["quantity"] * line["unit_price"])
        line["text"] = f"{booking.number}: {line['text']}"[:500]
    return lines


def _orders_api():
    """services.sales.orders.add_billing_lines when the sales documents module exists."""
    try:
        module = importlib.import_module("services.sales.orders")
    except ImportError:
        return None
    return getattr(module, "add_billing_lines", None)


def bill_booking(session: Session, booking: Booking, lines: list[dict], user: User, now: dt.datetime,
                 days: int, km_driven: int, free_km: int = 0, include_return_remark: bool = True,
                 order=None) -> BookingBilling:
    """Write the billing record and, when the orders module exists, the order lines."""
    if booking.kind == "test_drive":
        raise DomainError(_("Test drives are not billed."))
    require(user, booking.kind, "billing")
    if booking.returned_at is None:
        raise DomainError(_("Only a returned booking can be billed."))
    existing = session.scalar(select(BookingBilling.id).where(BookingBilling.booking_id == booking.id))
    if existing is not None or booking.billing is not None:
        raise DomainError(_("The booking is already billed."))
    if not lines:
        raise DomainError(_("The calculation has no lines."))
    billing = BookingBilling(booking=booking, days=days, km_driven=km_driven, free_km=free_km,
                             include_return_remark=include_return_remark, created_at=now, created_by_id=user.id,
                             total=sum((line["amount"] for line in lines), Decimal("0")))
    for position, line in enumerate(lines, start=1):
        billing.lines.append(BookingBillingLine(position=position, text=line["text"], quantity=line["quantity"],
                                                unit_price=line["unit_price"], vat_percent=line["vat_percent"],
                                                amount=line["amount"]))
    session.add(billing)
    add_lines = _orders_api()
    if add_lines is not None:
        result = add_lines(session, booking.customer,
                           [{k: line[k] for k in ("text", "quantity", "unit_price", "vat_percent")} for line in lines],
                           user, order=order)
        billing.order_id = getattr(result, "id", None)
    _stamp(booking, user, now)
    session.flush()
    return billing


# --- the calendar feed (fast path: Core rows, indexed ranges) ---------------------------


def window_rows(session: Session, kind: str, start: dt.datetime, end: dt.datetime, now: dt.datetime,
                vehicle_ids: list[int] | None = None) -> list[dict]:
    """Bookings of one kind drawn in [start, end): planned ones by planned time, issued ones from
    the actual issue; three indexed range queries instead of one OR over the whole table."""
    cols = (Booking.id, Booking.number, Booking.version, Booking.vehicle_id, Booking.trade_plate_id, Booking.start_at,
            Booking.end_at, Booking.issued_at, Booking.returned_at, Booking.confirmed, Booking.colour,
            Booking.customer_name, Booking.driver_name, Booking.advisor_id, Booking.created_by_id,
            BookingBilling.id.label("billing_id"))
    base = select(*cols).outerjoin(BookingBilling, BookingBilling.booking_id == Booking.id)
    queries = [
        # planned span overlaps the window
        base.where(Booking.kind == kind, Booking.end_at > start, Booking.start_at < end),
        # issued and not returned: drawn up to now when overdue
        base.where(Booking.kind == kind, Booking.returned_at.is_(None), Booking.issued_at.is_not(None),
                   Booking.issued_at < end),
        # returned: drawn from actual issue to actual return
        base.where(Booking.kind == kind, Booking.returned_at > start, Booking.issued_at < end),
    ]
    seen: dict[int, dict] = {}
    for query in queries:
        if vehicle_ids is not None:
            query = query.where(Booking.vehicle_id.in_(vehicle_ids))
        for row in session.execute(query):
            if row.id in seen:
                continue
            shown = display_interval(row.start_at, row.end_at, row.issued_at, row.returned_at, now)
            if overlaps(shown[0], shown[1], start, end):
                seen[row.id] = dict(row._mapping, shown_start=shown[0], shown_end=shown[1],
                                    status=status_of(row.issued_at, row.returned_at, row.end_at,
                                                     row.billing_id is not None, now))
    return sorted(seen.values(), key=lambda r: (r["shown_start"], r["id"]))
