"""Rules of the vehicle bookings (services.bookings.bookings), with fixed clocks."""
import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import force_locale

from models import Booking, BookingBilling
from services import DomainError
from services.bookings import bookings as b
from tests.booking_helpers import NOW, SETTINGS, add_user, rights_for, world

H = dt.timedelta(hours=1)


def T(hour, minute=0, day=24):
    return dt.datetime(2026, 11, day, hour, minute)


@pytest.fixture
def w(session):
    # messages are asserted in English (the UI default is Swedish)
    with force_locale("en"):
        yield world(session)


def new(session, w, kind="loaner", start=None, end=None, vehicle="v1", user=None, **values):
    values.setdefault("start_at", start or T(12))
    values.setdefault("end_at", end or T(16))
    if vehicle:
        values.setdefault("vehicle", w[vehicle])
    return b.create_booking(session, kind, values.pop("customer", w["customer"]), values, user or w["advisor"],
                            SETTINGS, NOW)


# --- pure interval logic -----------------------------------------------------------------

def test_overlaps_is_half_open_and_open_ended():
    assert b.overlaps(T(10), T(12), T(11), T(13))
    assert not b.overlaps(T(10), T(12), T(12), T(13))
    assert b.overlaps(T(10), None, T(20), T(21))
    assert not b.overlaps(T(10), T(11), T(12), None)


def test_issue_deadline_next_quarter_hour_or_days_ahead():
    assert b.issue_deadline(T(10, 7), 0) == T(10, 15)
    assert b.issue_deadline(T(10, 0), 0) == T(10, 15)
    assert b.issue_deadline(T(10, 59), -1) == T(11, 0)
    assert b.issue_deadline(T(10, 7), 1) == dt.datetime(2026, 11, 25, 23, 59)
    assert b.issue_deadline(T(10, 7), 3) == dt.datetime(2026, 11, 27, 23, 59)


def test_display_interval_by_status():
    start, end = T(8), T(12)
    assert b.display_interval(start, end, None, None, T(10)) == (start, end)
    assert b.display_interval(start, end, T(9), None, T(10)) == (T(9), end)
    assert b.display_interval(start, end, T(9), None, T(14)) == (T(9), T(14))  # overdue: up to now
    assert b.display_interval(start, end, T(9), T(11), T(14)) == (T(9), T(11))
    assert b.status_of(T(9), None, end, False, T(14)) == "overdue"
    assert b.status_of(T(9), T(11), end, True, T(14)) == "billed"


def test_days_of_use():
    assert b.days_of_use(T(10), T(11)) == 1
    assert b.days_of_use(T(10), T(10, day=25)) == 1
    assert b.days_of_use(T(10), T(10, 1, day=25)) == 2


# --- planning ----------------------------------------------------------------------------

def test_create_numbers_snapshot_and_default_advisor(session, w):
    booking = new(session, w)
    second = new(session, w, start=T(13))
    assert int(second.number) == int(booking.number) + 1
    assert booking.customer_name == "Anna Kund" and booking.customer_city == "Stockholm"
    assert booking.driver_type == "customer" and booking.driver_name == "Anna Kund"
    assert booking.advisor_id == w["advisor"].id
    assert booking.created_by_id == w["advisor"].id


def test_rental_and_test_drive_take_sales_advisor(session, w):
    sales = add_user(session, "sales")
    w["customer"].sales_advisor = sales
    rental = new(session, w, kind="rental", vehicle="rental")
    test_drive = new(session, w, kind="test_drive", vehicle="demo")
    loaner = new(session, w)
    assert rental.advisor_id == sales.id and test_drive.advisor_id == sales.id
    assert loaner.advisor_id == w["advisor"].id


@pytest.mark.parametrize("change, field", [
    (dict(end_at=T(11)), "end_at"),
    (dict(start_at=T(8, day=22), end_at=T(9, day=22)), "start_at"),
    (dict(vehicle="other"), "vehicle"),
    (dict(vehicle="rental"), "vehicle"),
    (dict(customer="inactive"), "customer"),
    (dict(trade_plate="plate"), "trade_plate"),
])
def test_bad_planning_is_refused(session, w, change, field):
    values = dict(change)
    for key in ("customer", "trade_plate"):
        if key in values:
            values[key] = w[values[key]]
    with pytest.raises(DomainError) as err:
        new(session, w, **values)
    assert err.value.field == field
    assert session.query(Booking).count() == 0


def test_trade_plate_only_booking_for_test_drive(session, w):
    booking = new(session, w, kind="test_drive", vehicle=None, trade_plate=w["plate"])
    assert booking.trade_plate_id == w["plate"].id and booking.vehicle_id is None


def test_planned_bookings_may_overlap_with_warning(session, w):
    first = new(session, w)
    second = new(session, w, start=T(14), end=T(18))
    assert b.planned_conflicts(session, second) == [first]
    warnings = b.move_booking(session, second, T(17), T(19), w["v1"], None, w["advisor"], SETTINGS, NOW)
    assert warnings == []


def test_move_to_other_vehicle_and_stale_version(session, w):
    booking = new(session, w)
    b.move_booking(session, booking, T(13), T(15), w["v2"], None, w["advisor"], SETTINGS, NOW,
                   version=booking.version)
    assert booking.vehicle_id == w["v2"].id and booking.start_at == T(13)
    with pytest.raises(DomainError, match="Someone else"):
        b.move_booking(session, booking, T(14), T(15), w["v2"], None, w["advisor"], SETTINGS, NOW, version=0)


def test_confirmed_booking_cannot_move_or_change_but_can_issue(session, w):
    booking = new(session, w, start=T(10), end=T(16))
    b.set_confirmed(session, booking, True, w["advisor"], NOW)
    with pytest.raises(DomainError, match="confirmed"):
        b.move_booking(session, booking, T(11), T(16), w["v1"], None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match="confirmed"):
        b.update_booking(session, booking, None, {"remark": "x"}, w["advisor"], SETTINGS, NOW)
    b.issue_vehicle(session, booking, T(10, 5), None, w["advisor"], SETTINGS, NOW)
    assert booking.issued_at == T(10, 5)
    b.set_confirmed(session, booking, False, w["advisor"], NOW)
    b.update_booking(session, booking, None, {"remark": "x"}, w["advisor"], SETTINGS, NOW)
    assert booking.remark == "x"


# --- issue -------------------------------------------------------------------------------

def test_issue_copies_odometer_notes_comment_and_reserves(session, w):
    booking = new(session, w, start=T(10), comment="Kunden hämtar själv")
    b.issue_vehicle(session, booking, T(10), 1200, w["advisor"], SETTINGS, NOW)
    vehicle = w["v1"]
    assert booking.issue_odometer == 1200 and vehicle.odometer_km == 1200
    assert booking.issue_notes == "Repa på dörren"
    assert booking.issue_comment == "Kunden hämtar själv"
    assert vehicle.reserved and vehicle.reserved_by_id == w["advisor"].id
    assert vehicle.reserved_until == booking.end_at and vehicle.reserved_for == "5001"


def test_issue_without_reservation_setting_leaves_vehicle(session, w):
    booking = new(session, w, start=T(10))
    b.issue_vehicle(session, booking, T(10), None, w["advisor"], dict(SETTINGS, **{"booking.update_vehicle_reservation": False}), NOW)
    assert not w["v1"].reserved and booking.issue_odometer == 1000


def test_issue_odometer_only_upward(session, w):
    booking = new(session, w, start=T(10))
    with pytest.raises(DomainError) as err:
        b.issue_vehicle(session, booking, T(10), 999, w["advisor"], SETTINGS, NOW)
    assert err.value.field == "issue_odometer" and booking.issued_at is None


def test_issue_window(session, w):
    booking = new(session, w, start=T(10), end=T(18))
    with pytest.raises(DomainError, match="at most until 2026-11-24 10:15"):
        b.issue_vehicle(session, booking, T(10, 30), None, w["advisor"], SETTINGS, NOW)
    b.issue_vehicle(session, booking, T(10, 15), None, w["advisor"], SETTINGS, NOW)
    later = new(session, w, vehicle="v2", start=T(9, day=25), end=T(12, day=25))
    ahead = dict(SETTINGS, **{"booking.issue_days_before_pickup": 1})
    b.issue_vehicle(session, later, T(9, day=25), None, w["advisor"], ahead, NOW)
    assert later.issued_at == T(9, day=25)


def test_issue_refused_after_planned_end(session, w):
    booking = new(session, w, start=T(8), end=T(9))
    with pytest.raises(DomainError, match="planned end"):
        b.issue_vehicle(session, booking, T(10), None, w["advisor"], SETTINGS, NOW)


def test_vehicle_issued_only_once(session, w):
    first = new(session, w, start=T(9), end=T(12))
    second = new(session, w, start=T(10), end=T(14))
    b.issue_vehicle(session, first, T(9), None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match=f"already issued on booking {first.number}"):
        b.issue_vehicle(session, second, T(10), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, first, T(10), 1050, "8/8", [], None, None, w["advisor"], SETTINGS, NOW)
    b.issue_vehicle(session, second, T(10, 5), None, w["advisor"], SETTINGS, NOW)
    assert second.issue_odometer == 1050


def test_trade_plate_issued_only_once(session, w):
    first = new(session, w, kind="test_drive", vehicle="demo", trade_plate=w["plate"], start=T(9), end=T(12))
    second = new(session, w, kind="test_drive", vehicle=None, trade_plate=w["plate"], start=T(9), end=T(12))
    b.issue_vehicle(session, first, T(9), None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError):
        b.issue_vehicle(session, second, T(9), None, w["advisor"], SETTINGS, NOW)


def test_after_issue_vehicle_locked_times_free(session, w):
    booking = new(session, w, start=T(10))
    b.issue_vehicle(session, booking, T(10), None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match="cannot change after the issue"):
        b.move_booking(session, booking, T(10), T(16), w["v2"], None, w["advisor"], SETTINGS, NOW)
    b.move_booking(session, booking, T(10), T(20), w["v1"], None, w["advisor"], SETTINGS, NOW)
    assert booking.end_at == T(20)


def test_immediate_issue_starts_now(session, w):
    booking = new(session, w, start=T(13), end=T(16))
    b.immediate_issue(session, booking, None, w["advisor"], SETTINGS, NOW)
    assert booking.issued_at == NOW and booking.start_at == NOW


def test_cancel_issue_keeps_odometer_and_clears_reservation(session, w):
    booking = new(session, w, start=T(10))
    b.issue_vehicle(session, booking, T(10), 1500, w["advisor"], SETTINGS, NOW)
    b.cancel_issue(session, booking, w["advisor"], SETTINGS, NOW)
    assert booking.issued_at is None and booking.issue_odometer is None
    assert w["v1"].odometer_km == 1500 and not w["v1"].reserved


def test_cancel_issue_refused_after_return(session, w):
    booking = new(session, w, start=T(9))
    b.issue_vehicle(session, booking, T(9), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, booking, T(10), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match="returned"):
        b.cancel_issue(session, booking, w["advisor"], SETTINGS, NOW)


def test_edit_issue_refuses_overlap(session, w):
    first = new(session, w, start=T(6), end=T(9))
    b.issue_vehicle(session, first, T(6), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, first, T(8), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW)
    second = new(session, w, start=T(9), end=T(12))
    b.issue_vehicle(session, second, T(9), None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match=first.number):
        b.edit_issue(session, second, T(7), 1100, w["advisor"], SETTINGS, NOW)
    b.edit_issue(session, second, T(8, 30), 1120, w["advisor"], SETTINGS, NOW)
    assert second.issued_at == T(8, 30) and w["v1"].odometer_km == 1120


# --- return ------------------------------------------------------------------------------

def test_return_records_damages_as_open_notes_and_unreserves(session, w):
    booking = new(session, w, start=T(9))
    b.issue_vehicle(session, booking, T(9), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, booking, T(10), 1234, "6/8", ["Buckla bak", " "], "Smutsig", b"\x89PNG",
                     w["advisor"], SETTINGS, NOW)
    v = w["v1"]
    assert booking.return_odometer == 1234 and v.odometer_km == 1234 and not v.reserved
    assert [n.text for n in v.notes if n.open and booking.number in n.text] == [f"Buckla bak ({booking.number})"]
    assert booking.return_remark == "Smutsig" and booking.return_signature == b"\x89PNG"


def test_return_odometer_not_below_issue(session, w):
    booking = new(session, w, start=T(9))
    b.issue_vehicle(session, booking, T(9), 1100, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError) as err:
        b.return_vehicle(session, booking, T(10), 1099, None, [], None, None, w["advisor"], SETTINGS, NOW)
    assert err.value.field == "return_odometer" and booking.returned_at is None


def test_signed_return_locked_except_edit_handover(session, w):
    returner = add_user(session, "returner", rights_for("loaner", "return", "issue", "new"))
    booking = new(session, w, start=T(9))
    b.issue_vehicle(session, booking, T(9), None, returner, SETTINGS, NOW)
    b.return_vehicle(session, booking, T(10), 1100, None, [], None, b"sig", returner, SETTINGS, NOW)
    with pytest.raises(b.Forbidden):
        b.return_vehicle(session, booking, T(10), 1200, None, [], None, None, returner, SETTINGS, NOW)
    b.return_vehicle(session, booking, T(10), 1200, None, [], None, None, w["advisor"], SETTINGS, NOW)
    assert booking.return_odometer == 1200


# --- template -----------------------------------------------------------------------------

def test_template_values_fill_a_new_booking_without_saving(session, w):
    booking = new(session, w, start=T(12), end=T(15), licence_checked=True, driver_licence_number="123",
                  remark="Barnstol", customer_phone="070-999")
    w["v1"].odometer_km = 4242
    before = session.query(Booking).count()
    values = b.template_values(session, booking, SETTINGS, NOW)
    assert session.query(Booking).count() == before  # 003: the form opens; the user saves
    assert values["start_at"] == T(15) and values["end_at"] == T(15, 30)
    assert values["licence_checked"] is False and values["driver_licence_number"] == "123"
    assert values["remark"] == "Barnstol" and values["customer_phone"] == "070-999"
    assert values["vehicle"].odometer_km == 4242
    # the values go through the same create as the form: what the user saves is the copy
    copy = b.create_booking(session, "loaner", booking.customer, values, w["advisor"], SETTINGS, NOW)
    assert copy.number != booking.number and copy.remark == "Barnstol" and copy.customer_phone == "070-999"
    assert copy.issued_at is None and not copy.confirmed and copy.licence_checked is False


def test_template_that_ended_long_ago_starts_at_the_next_quarter_hour(session, w):
    old = new(session, w, start=T(9), end=T(11))
    later = NOW + dt.timedelta(hours=SETTINGS["booking.max_hours_in_past"] + 5)
    values = b.template_values(session, old, SETTINGS, later)
    assert values["start_at"] == b.next_quarter_hour(later)
    assert values["end_at"] - values["start_at"] == dt.timedelta(minutes=30)
    # still within the limit: the template's end, as 003 says
    assert b.template_values(session, old, SETTINGS, NOW)["start_at"] == T(11)


# --- billing ------------------------------------------------------------------------------

def _returned(session, w, km=1450):
    booking = new(session, w, kind="rental", vehicle="rental", start=T(12), end=T(16))
    # issued two days ago (written directly: the planning window does not allow it now)
    booking.start_at, booking.end_at = T(9, day=22), T(9, day=24)
    booking.issued_at, booking.issue_odometer = T(9, day=22), 3000
    session.flush()
    b.return_vehicle(session, booking, T(10, day=24), 3000 + km, None, [], "Repa", None, w["advisor"], SETTINGS, NOW)
    return booking


def test_billing_arithmetic(session, w):
    booking = _returned(session, w)
    days = b.days_of_use(booking.issued_at, booking.returned_at)
    assert days == 3
    lines = b.calculate_billing(booking, w["tariff"], w["casco"], days, 1450, Decimal("99.50"),
                                [("Tvätt", Decimal("150")), ("Rabatt", Decimal("-100.005"))])
    amounts = [line["amount"] for line in lines]
    # rent 3 × 450; extra km (1450 - 300) × 2.50; casco 3 × 89.90; insurance; surcharge; discount
    assert amounts == [Decimal("1350.00"), Decimal("2875.00"), Decimal("269.70"), Decimal("99.50"),
                       Decimal("150.00"), Decimal("-100.01")]
    assert all(isinstance(a, Decimal) for a in amounts)
    assert "Repa" in lines[0]["text"] and booking.number in lines[0]["text"]
    no_remark = b.calculate_billing(booking, w["tariff"], None, days, 100, include_return_remark=False)
    assert "Repa" not in no_remark[0]["text"] and len(no_remark) == 1


def test_bill_once_only_and_not_test_drive(session, w):
    booking = _returned(session, w)
    lines = b.calculate_billing(booking, w["tariff"], None, 3, 1450)
    billing = b.bill_booking(session, booking, lines, w["advisor"], NOW, 3, 1450, 300)
    assert billing.total == Decimal("4225.00") and len(billing.lines) == 2
    assert booking.status(NOW) == "billed"
    with pytest.raises(DomainError, match="already billed"):
        b.bill_booking(session, booking, lines, w["advisor"], NOW, 3, 1450)
    assert session.query(BookingBilling).count() == 1
    drive = new(session, w, kind="test_drive", vehicle="demo", start=T(9), end=T(11))
    with pytest.raises(DomainError, match="not billed"):
        b.bill_booking(session, drive, lines, w["advisor"], NOW, 1, 0)


def test_billing_refused_before_return(session, w):
    booking = new(session, w, kind="rental", vehicle="rental", start=T(10))
    with pytest.raises(DomainError, match="returned"):
        b.bill_booking(session, booking, [{"amount": Decimal(1)}], w["advisor"], NOW, 1, 0)


# --- rights -------------------------------------------------------------------------------

def test_rights_per_kind_and_own_only(session, w):
    loaner_only = add_user(session, "lo", rights_for("loaner"))
    booking = new(session, w)
    with pytest.raises(b.Forbidden):
        new(session, w, kind="rental", vehicle="rental", user=loaner_only)
    assert b.may(loaner_only, booking, "edit")
    own = add_user(session, "own", rights_for("loaner") | {"booking_loaner.own_only"})
    assert not b.may(own, booking, "edit") and not b.may(own, booking, "delete")
    with pytest.raises(b.Forbidden, match="own"):
        b.move_booking(session, booking, T(13), T(15), w["v1"], None, own, SETTINGS, NOW)
    mine = new(session, w, start=T(17), end=T(18), user=own)
    assert b.may(own, mine, "edit")
    admin = add_user(session, "boss", admin=True)
    assert b.may(admin, booking, "edit") and not b.has(admin, "test_drive", "billing")


def test_delete_rules(session, w):
    booking = new(session, w, start=T(10))
    b.issue_vehicle(session, booking, T(10), None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match="cancel the issue"):
        b.delete_booking(session, booking, w["advisor"])
    b.cancel_issue(session, booking, w["advisor"], SETTINGS, NOW)
    b.delete_booking(session, booking, w["advisor"])
    assert session.get(Booking, booking.id) is None


# --- feed ---------------------------------------------------------------------------------

def test_window_rows_draws_by_status(session, w):
    planned = new(session, w, start=T(12), end=T(14))
    late = Booking(kind="loaner", number="X1", customer=w["customer"], customer_name="Anna Kund",
                   vehicle=w["v2"], start_at=T(6, day=10), end_at=T(8, day=10), issued_at=T(6, day=10),
                   issue_odometer=2000)
    session.add(late)
    session.flush()
    rows = {r["id"]: r for r in b.window_rows(session, "loaner", T(0, day=23), T(0, day=30), NOW)}
    assert rows[planned.id]["status"] == "planned"
    assert rows[late.id]["status"] == "overdue" and rows[late.id]["shown_end"] == NOW
    assert b.window_rows(session, "rental", T(0, day=23), T(0, day=30), NOW) == []


def test_copy_to_registers(session, w):
    from models import Contact

    contact = Contact(name="Kalle Kontakt", phone="08-1", email="k@example.se")
    w["customer"].contacts.append(contact)
    w["v1"].owner = w["customer"]
    session.flush()
    booking = new(session, w, customer_phone="070-555", driver_type="contact", driver_contact=contact,
                  driver_name="Kalle Kontakt", driver_phone="070-777")
    b.copy_customer_to_register(booking)
    b.copy_driver_to_vehicle(booking)
    session.flush()
    assert w["customer"].phone == "070-555" and contact.phone == "070-777" and w["v1"].driver_id == contact.id
    free = new(session, w, start=T(17), end=T(18), driver_type="free", driver_name="Någon")
    with pytest.raises(DomainError):
        b.copy_driver_to_vehicle(free)


def test_signature_is_kept_out_of_the_history(session, w):
    from models import AuditLog

    booking = new(session, w, start=T(9))
    b.issue_vehicle(session, booking, T(9), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, booking, T(10), 1100, None, [], None, b"\x89PNG-signature", w["advisor"], SETTINGS, NOW)
    session.flush()
    assert booking.signature.png == b"\x89PNG-signature"
    logged = session.query(AuditLog).filter(AuditLog.table_name == "booking").all()
    assert logged and not any("PNG" in (row.new_value or "") for row in logged)


# --- issue 9 item 8: handover changes, second issues, rights, back-dating, messages ----------

def _issued_then_next(session, w):
    """ABC123 out on ``first`` 06:00-08:00 (returned), then out on ``second`` from 08:30 (open)."""
    first = new(session, w, start=T(6), end=T(9))
    b.issue_vehicle(session, first, T(6), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, first, T(8), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW)
    second = new(session, w, start=T(9), end=T(12))
    b.issue_vehicle(session, second, T(8, 30), None, w["advisor"], SETTINGS, NOW)
    return first, second


def test_reediting_a_return_runs_the_overlap_check(session, w):
    """Issue 9 item 8a: moving a saved return into a later issue of the same vehicle is
    refused (it used to be saved, so the vehicle was out twice and the later booking could
    not be returned); so is the same change through "edit issue"."""
    first, second = _issued_then_next(session, w)
    with pytest.raises(DomainError, match=f"already issued on booking {second.number}") as err:
        b.return_vehicle(session, first, T(9), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW, edit=True)
    assert err.value.field == "returned_at" and first.returned_at == T(8)
    with pytest.raises(DomainError, match=second.number):
        b.edit_issue(session, first, T(6), 1000, w["advisor"], SETTINGS, NOW, returned_at=T(9))
    assert first.returned_at == T(8)
    # a change that keeps the periods apart is saved, and the later booking can be returned
    b.return_vehicle(session, first, T(8, 15), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW, edit=True)
    b.return_vehicle(session, second, T(10), 1200, None, [], None, None, w["advisor"], SETTINGS, NOW)
    assert first.returned_at == T(8, 15) and second.returned_at == T(10)


def test_second_issue_of_an_issued_booking_is_refused(app, session, w):
    """Issue 9 item 8b: a second issue of a booking that another user (another tab, an old
    open form) has issued meanwhile is refused with a message naming the first issue; the
    first issue's time and odometer stay (the check runs on the booking as stored, under the
    lock, in the same transaction)."""
    from sqlalchemy.orm import Session

    from models import User, db

    booking = new(session, w, start=T(10))
    session.commit()
    booking_id, user_id = booking.id, w["advisor"].id
    other = Session(db.engine)
    try:
        # the second user opened the booking before the first one issued it
        stale = other.get(Booking, booking_id)
        assert stale.issued_at is None
        first = session.get(Booking, booking_id)
        b.issue_vehicle(session, first, T(10), 1200, session.get(User, user_id), SETTINGS, NOW)
        session.commit()
        with pytest.raises(DomainError, match=r"already issued on this booking \(2026-11-24 10:00 by Advisor\)"):
            b.issue_vehicle(other, stale, T(10, 5), 1300, other.get(User, user_id), SETTINGS, NOW)
        other.rollback()
    finally:
        other.close()
    session.expire_all()
    stored = session.get(Booking, booking_id)
    assert stored.issued_at == T(10) and stored.issue_odometer == 1200 and w["v1"].odometer_km == 1200


def test_handover_forms_opened_on_an_old_version_are_refused(session, w):
    """Issue 9 item 8b: the version the form was opened on is checked in the transaction of
    the save: an issue, an edit of it and a return sent from a form older than the stored
    booking are refused, and a return form sent after the return is not saved over it."""
    booking = new(session, w, start=T(9))
    opened = booking.version
    b.update_booking(session, booking, None, {"remark": "Barnstol"}, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match="Someone else saved this booking"):
        b.issue_vehicle(session, booking, T(9), None, w["advisor"], SETTINGS, NOW, version=opened)
    b.issue_vehicle(session, booking, T(9), None, w["advisor"], SETTINGS, NOW, version=booking.version)
    opened = booking.version
    b.edit_issue(session, booking, T(9, 15), 1000, w["advisor"], SETTINGS, NOW, version=opened)
    with pytest.raises(DomainError, match="Someone else saved this booking"):
        b.edit_issue(session, booking, T(9, 30), 1000, w["advisor"], SETTINGS, NOW, version=opened)
    b.return_vehicle(session, booking, T(10), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW,
                     edit=False, version=booking.version)
    with pytest.raises(DomainError, match=r"already returned on this booking \(2026-11-24 10:00 by Advisor\)"):
        b.return_vehicle(session, booking, T(10, 5), 1150, None, [], None, None, w["advisor"], SETTINGS, NOW,
                         edit=False)
    assert booking.issued_at == T(9, 15) and booking.return_odometer == 1100


def test_editing_an_unsigned_return_needs_edit_handover(session, w):
    """Issue 9 item 8c: a saved return is changed afterwards only with "edit handover", signed
    or not (it used to need only "return" when unsigned)."""
    returner = add_user(session, "returner", rights_for("loaner", "return", "issue", "new"))
    booking = new(session, w, start=T(9))
    b.issue_vehicle(session, booking, T(9), None, returner, SETTINGS, NOW)
    b.return_vehicle(session, booking, T(10), 1100, None, [], None, None, returner, SETTINGS, NOW)
    with pytest.raises(b.Forbidden, match="edit handover"):
        b.return_vehicle(session, booking, T(10), 1200, None, [], None, None, returner, SETTINGS, NOW)
    with pytest.raises(b.Forbidden):
        b.return_vehicle(session, booking, T(10), 1200, None, [], None, None, returner, SETTINGS, NOW, edit=True)
    assert booking.return_odometer == 1100
    b.return_vehicle(session, booking, T(10), 1200, None, [], None, None, w["advisor"], SETTINGS, NOW, edit=True)
    assert booking.return_odometer == 1200


def test_issue_cannot_be_back_dated_without_limit(session, w):
    """Issue 9 item 8d: an issue (and a later edit of it) is dated at most
    "booking.issue_hours_before_start" hours (default 2) before the booking's start, or before
    now when the booking starts later; it used to take any date in the past."""
    from config.defaults import SETTINGS_DEFAULTS

    assert SETTINGS_DEFAULTS["booking.issue_hours_before_start"] == 2
    booking = new(session, w, start=T(9), end=T(16))
    with pytest.raises(DomainError, match="cannot be earlier than 2026-11-24 07:00") as err:
        b.issue_vehicle(session, booking, T(6, 59), None, w["advisor"], SETTINGS, NOW)
    assert err.value.field == "issued_at" and booking.issued_at is None
    with pytest.raises(DomainError, match="cannot be earlier"):
        b.issue_vehicle(session, booking, dt.datetime(2020, 1, 1, 8, 0), None, w["advisor"], SETTINGS, NOW)
    b.issue_vehicle(session, booking, T(7), None, w["advisor"], SETTINGS, NOW)
    with pytest.raises(DomainError, match="cannot be earlier") as err:
        b.edit_issue(session, booking, T(6), 1000, w["advisor"], SETTINGS, NOW)
    assert err.value.field == "issued_at" and booking.issued_at == T(7)
    # a booking of tomorrow issued to a customer who is here today: from now minus the hours
    tomorrow = new(session, w, vehicle="v2", start=T(9, day=25), end=T(12, day=25))
    with pytest.raises(DomainError, match="cannot be earlier than 2026-11-24 08:07"):
        b.issue_vehicle(session, tomorrow, T(8), None, w["advisor"], SETTINGS, NOW)
    b.issue_vehicle(session, tomorrow, NOW, None, w["advisor"], SETTINGS, NOW)
    # with the setting 0, not before the start
    strict = dict(SETTINGS, **{"booking.issue_hours_before_start": 0})
    rental = new(session, w, kind="rental", vehicle="rental", start=T(9), end=T(12))
    with pytest.raises(DomainError, match="cannot be earlier than 2026-11-24 09:00"):
        b.issue_vehicle(session, rental, T(8, 59), None, w["advisor"], strict, NOW)
    b.issue_vehicle(session, rental, T(9), None, w["advisor"], strict, NOW)


def test_conflict_message_follows_the_state_of_the_other_booking(session, w):
    """Issue 9 item 8e: a conflict with a booking that was returned says when it was out, not
    "not returned"; a conflict with one still out says so."""
    first = new(session, w, start=T(6), end=T(9))
    b.issue_vehicle(session, first, T(6), None, w["advisor"], SETTINGS, NOW)
    b.return_vehicle(session, first, T(8), 1100, None, [], None, None, w["advisor"], SETTINGS, NOW)
    second = new(session, w, start=T(7), end=T(12))
    with pytest.raises(DomainError) as err:
        b.issue_vehicle(session, second, T(7, 30), None, w["advisor"], SETTINGS, NOW)
    message = err.value.message
    assert first.number in message and "not returned" not in message
    assert "2026-11-24 06:00" in message and "2026-11-24 08:00" in message
    b.issue_vehicle(session, second, T(8), None, w["advisor"], SETTINGS, NOW)
    third = new(session, w, start=T(9), end=T(12))
    with pytest.raises(DomainError, match=f"already issued on booking {second.number} .* and not returned"):
        b.issue_vehicle(session, third, T(9), None, w["advisor"], SETTINGS, NOW)


# --- the logbook (services.bookings.bookings.logbook_query) ------------------------------------------

def test_logbook_query_filters_what_the_user_may_see(session, w):
    """The logbook's one query: kinds, the free text with Swedish letters and plates, the dates
    (a whole day to), open only, the grouping's order; a user limited to assigned customers sees only theirs."""
    from models import Customer

    aberg = Customer(customer_number="5003", name="Svenssons Åkeri", kind="company", org_number="5560360793")
    session.add(aberg)
    session.flush()
    first = new(session, w, start=T(9, day=24), end=T(12, day=24))
    second = new(session, w, start=T(9, day=26), end=T(12, day=26), vehicle="v2", customer=aberg)
    second.issued_at = T(9, day=26)
    session.flush()
    f = dict(kinds=["loaner"], q="", date_from="", date_to="", issued_by="", returned_by="",
             open_only=False, group="vehicle")

    def found(user=None, **changes):
        query, key = b.logbook_query(session, user or w["advisor"], {**f, **changes})
        return [r.id for r in session.scalars(query).unique()], key

    rows, key = found()
    assert rows == [first.id, second.id] and key(second) == str(w["v2"])
    assert found(q="svenssons åkeri")[0] == [second.id]
    assert found(q="def456")[0] == [second.id]
    assert found(date_to="2026-11-24")[0] == [first.id]
    assert found(date_from="2026-11-25")[0] == [second.id]
    assert found(open_only=True)[0] == [second.id]
    assert found(kinds=["rental"])[0] == []
    with pytest.raises(DomainError) as refused:
        found(date_from="24/11")
    assert refused.value.field == "from"
    # a technician limited to assigned customers sees the bookings of those only
    limited = add_user(session, "limited", rights_for("loaner") | {"customer.view_assigned"})
    aberg.technicians = [limited]
    session.flush()
    assert found(user=limited)[0] == [second.id]
