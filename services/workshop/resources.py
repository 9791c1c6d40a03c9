"""Resources (resurser, 90.10) and the staff card (personalkort, 11.13).

One Resource model: a member of staff or a bay/lift with no person, so that the planner shows
one row per resource. A resource with stamps or planned jobs is never deleted, only inactivated
(90.10.2): ``can_delete`` is the one place that says so, and later items (stamps, planned jobs)
add their tables to ``DEPENDENTS``."""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from models import FLOOR_ROLES, RESOURCE_KINDS, Resource, Skill
from services.platform.auth import hash_password
from services.workshop import WorkshopError

KIND_LABELS = {"staff": _l("Staff"), "bay": _l("Bay"), "lift": _l("Lift")}
FLOOR_ROLE_LABELS = {"technician": _l("Technician"), "advisor": _l("Service advisor"), "other": _l("Other")}
assert set(KIND_LABELS) == set(RESOURCE_KINDS) and set(FLOOR_ROLE_LABELS) == set(FLOOR_ROLES)

# the skills a new installation starts with (kompetenser)
DEFAULT_SKILLS = ("AC", "Däck", "Diagnos", "Elektronik", "Plåt", "Service")

PIN = re.compile(r"[0-9]{4,6}")  # ASCII digits only (\d takes other scripts' too)

# what keeps a resource from being deleted: (label, count of its rows); stamps and planned jobs
# (issue 13 items 5-6) add themselves here
DEPENDENTS: list[tuple[object, Callable[[Session, Resource], int]]] = []


def seed_skills(session: Session) -> int:
    """Add the default skills that are missing (by name); returns how many."""
    existing = set(session.scalars(select(Skill.name)))
    added = [Skill(name=n) for n in DEFAULT_SKILLS if n not in existing]
    session.add_all(added)
    return len(added)


def dependents(session: Session, resource: Resource) -> list[str]:
    """What the resource is used by ("Stämplingar"), empty when nothing holds it."""
    if resource.id is None:
        return []
    return [str(label) for label, count in DEPENDENTS if count(session, resource)]


def can_delete(session: Session, resource: Resource) -> bool:
    """A resource may be deleted only while nothing (stamps, planned jobs) refers to it."""
    return not dependents(session, resource)


def check_delete(session: Session, resource: Resource) -> None:
    used = dependents(session, resource)
    if used:
        raise WorkshopError(_("%(name)s is used by %(what)s; it cannot be deleted, only inactivated.",
                              name=str(resource), what=", ".join(used)))


def check_pin(pin: str) -> str:
    """A stamping PIN as typed: 4 to 6 digits, nothing else."""
    pin = (pin or "").strip()
    if not PIN.fullmatch(pin):
        raise WorkshopError(_("The PIN is 4 to 6 digits."), "pin")
    return pin


def set_pin(resource: Resource, pin: str) -> None:
    """Store the PIN hashed like a user's password; a bay or lift has none."""
    if resource.kind != "staff":
        raise WorkshopError(_("Only staff have a stamping PIN."), "pin")
    resource.pin_hash = hash_password(check_pin(pin))


def pin_matches(resource: Resource, pin: str) -> bool:
    return bool(resource.pin_hash) and check_password_hash(resource.pin_hash, (pin or "").strip())


def check_resource(session: Session, resource: Resource) -> None:
    """What a saved resource must be: a name; staff with a unique staff number and a floor role;
    a bay or lift with no person, costs or PIN; costs not negative."""
    resource.name = (resource.name or "").strip()
    if not resource.name:
        raise WorkshopError(_("Give the resource a name."), "name")
    if resource.kind not in RESOURCE_KINDS:
        raise WorkshopError(_("Choose the kind of resource."), "kind")
    resource.staff_number = (resource.staff_number or "").strip() or None
    if resource.kind == "staff":
        if not resource.staff_number:
            raise WorkshopError(_("Give the staff number."), "staff_number")
        taken = session.scalar(select(Resource.id).where(Resource.staff_number == resource.staff_number,
                                                         Resource.id != (resource.id or 0)))
        if taken is not None:
            raise WorkshopError(_("Staff number %(n)s is taken.", n=resource.staff_number), "staff_number")
        if resource.floor_role not in FLOOR_ROLES:
            resource.floor_role = "technician"
    else:
        resource.staff_number = None
        resource.user = None
        resource.user_id = None
        resource.floor_role = None
        resource.pin_hash = None
        resource.hourly_cost = None
    for field in ("hourly_cost", "hourly_rate"):
        value = getattr(resource, field)
        if value is not None and Decimal(value) < 0:
            raise WorkshopError(_("An amount cannot be negative."), field)


def active_resources(session: Session, kind: str | None = None) -> list[Resource]:
    """The resources a picker offers (the planner's rows later): active ones only."""
    query = select(Resource).where(Resource.active.is_(True)).order_by(Resource.kind != "staff", Resource.name)
    if kind is not None:
        query = query.where(Resource.kind == kind)
    return list(session.scalars(query))
