"""Shared set-up of the booking tests: a fleet, a customer and users with booking rights."""
import datetime as dt
from decimal import Decimal

from models import (
    Address,
    CascoModel,
    Customer,
    TariffModel,
    TradePlate,
    User,
    Vehicle,
    VehicleNote,
)
from services.bookings.bookings import wall_clock_now
from tests.factories import user

NOW = dt.datetime(2026, 11, 24, 10, 7)
SETTINGS = {"booking.issue_days_before_pickup": 0, "booking.update_vehicle_reservation": True,
            "booking.max_hours_in_past": 24, "booking.issue_hours_before_start": 2}
ALL_ACTIONS = ("edit", "delete", "issue", "return", "edit_handover", "billing", "new", "manager", "logbook")


def rights_for(kind: str, *actions: str) -> set[str]:
    return {f"booking_{kind}.{a}" for a in (actions or ALL_ACTIONS)}


def add_user(session, username: str, rights: set[str] | None = None, admin: bool = False) -> User:
    """tests.factories.user, with English as the user's language."""
    return user(session, username, rights, admin, language="en")


def world(session) -> dict:
    """Two loaners, a rental, a test-drive car, a trade plate, a customer, tariff and casco."""
    advisor = add_user(session, "advisor", rights_for("loaner") | rights_for("rental") | rights_for("test_drive"))
    customer = Customer(customer_number="5001", name="Anna Kund", kind="private", phone="070-123 45 67",
                        email="anna@example.se", service_advisor=advisor, sales_advisor=advisor, language="sv")
    customer.addresses.append(Address(kind="visiting", street="Storgatan 1", postal_code="111 22", city="Stockholm"))
    inactive = Customer(customer_number="5002", name="Gammal Kund", kind="private", active=False)
    v1 = Vehicle(registration_number="ABC123", fleet="loaner", model="V60", odometer_km=1000)
    v2 = Vehicle(registration_number="DEF456", fleet="loaner", model="XC40", odometer_km=2000)
    rental = Vehicle(registration_number="GHI789", fleet="rental", model="Golf", odometer_km=3000)
    demo = Vehicle(registration_number="JKL012", fleet="test_drive", model="EX30", odometer_km=50)
    other = Vehicle(registration_number="MNO345", fleet="none", model="Corolla", odometer_km=90000)
    v1.notes.append(VehicleNote(text="Repa på dörren", open=True))
    v1.notes.append(VehicleNote(text="Gammal anmärkning", open=False))
    plate = TradePlate(number="PROV 1")
    tariff = TariffModel(name="Standard", price_per_day=Decimal("450.00"), price_per_km=Decimal("2.50"),
                         free_km_per_day=100)
    casco = CascoModel(name="Kasko bas", price_per_day=Decimal("89.90"), deductible=Decimal("5000.00"))
    session.add_all([customer, inactive, v1, v2, rental, demo, other, plate, tariff, casco])
    session.flush()
    return dict(advisor=advisor, customer=customer, inactive=inactive, v1=v1, v2=v2, rental=rental, demo=demo,
                other=other, plate=plate, tariff=tariff, casco=casco)


# --- the booking calendar in a browser (Playwright pages; nothing here imports Playwright) ---

def next_monday() -> dt.date:
    today = wall_clock_now().date()
    return today + dt.timedelta(days=7 - today.weekday())


def slot_x(page, day: dt.date, hour: int) -> float:
    """Left edge (+2 px) of the time slot that starts at ``hour`` on ``day``."""
    slot = page.locator(f'.ec-slot:has(time[datetime="{day.isoformat()}T{hour:02d}:00:00"])')
    slot.scroll_into_view_if_needed()
    box = slot.bounding_box()
    return box["x"] + 2


def row_y(page, registration: str) -> float:
    label = page.locator(".resource-label", has_text=registration)
    box = label.bounding_box()
    return box["y"] + box["height"] / 2


def drag(page, x1, y1, x2, y2, steps: int = 10):
    page.mouse.move(x1, y1)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps)
    page.mouse.up()
