"""Rules of the vehicle register."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Vehicle
from services import DomainError
from services.registers.identifiers import normalise_registration_number, normalise_vin


def prepare_vehicle(session: Session, vehicle: Vehicle) -> None:
    """Normalise and validate a vehicle before it is saved."""
    country = vehicle.country.code if vehicle.country is not None else (vehicle.country_code or "SE")
    vehicle.registration_number = normalise_registration_number(vehicle.registration_number, country)
    vehicle.vin = normalise_vin(vehicle.vin)
    if vehicle.odometer_km is None:
        vehicle.odometer_km = 0
    if vehicle.odometer_km < 0:
        raise DomainError(_("The odometer cannot be negative."), "odometer_km")
    if vehicle.fleet not in ("none", "loaner", "rental", "test_drive"):
        raise DomainError(_("Unknown fleet."), "fleet")
    if vehicle.owner is not None and vehicle.owner.vehicles_disabled:
        raise DomainError(_("Vehicles are disabled for %(c)s.", c=str(vehicle.owner)), "owner")
    if vehicle.driver is not None and vehicle.owner is not None and vehicle.driver.customer_id != vehicle.owner.id:
        raise DomainError(_("The driver must be a contact of the owner."), "driver")
    for field, value in (("registration_number", vehicle.registration_number), ("vin", vehicle.vin)):
        if value is None:
            continue
        taken = session.scalar(
            select(Vehicle.id).where(getattr(Vehicle, field) == value, Vehicle.id != (vehicle.id or 0))
        )
        if taken:
            raise DomainError(_("%(v)s is already registered on another vehicle.", v=value), field)
    for note in vehicle.notes:
        note.text = (note.text or "").strip()
        if not note.text:
            raise DomainError(_("A note needs a text."), "notes")
