"""Rules of services/ over a real session (SQLite and PostgreSQL)."""
import datetime as dt
import threading

import pytest
from sqlalchemy import select

from config.defaults import SETTINGS_DEFAULTS
from models import AuditLog, Contact, Customer, db
from services import DomainError
from services.platform.auth import authenticate
from services.registers.customers import (
    assign_technicians,
    delete_customer,
    next_customer_number,
    prepare_customer,
    require_active,
    set_address,
    validate_customer_number,
)
from services.platform.numbering import ensure_series, take_number
from services.platform.search import search_condition, search_terms
from views.platform.settings import parse_module_settings
from tests import factories as f

SETTINGS = dict(SETTINGS_DEFAULTS)


@pytest.mark.parametrize("number, ok", [("1000", True), ("12", False), ("12345678901", False), ("10-A", True),
                                        ("10 00", False), ("", False)])
def test_customer_number_rules(number, ok):
    if ok:
        assert validate_customer_number(number, 4, 10) == number
    else:
        with pytest.raises(DomainError):
            validate_customer_number(number, 4, 10)


def test_next_customer_number_skips_numbers_taken_by_hand(session):
    session.add(Customer(customer_number="1000", name="Hand AB"))
    session.commit()
    assert next_customer_number(session, 4, 10) == "1001"
    assert next_customer_number(session, 4, 10) == "1002"


def test_prepare_customer_normalises_and_refuses(session):
    admin = f.user(session, "boss", admin=True)
    customer = Customer(name="  Firma AB ", kind="company", org_number="556036-0793", email=" a@b.se ")
    prepare_customer(session, customer, SETTINGS, admin, None)
    assert (customer.name, customer.org_number, customer.email) == ("Firma AB", "5560360793", "a@b.se")
    assert customer.customer_number == "1000"
    private = Customer(name="Per", kind="private", personal_number="811218-9876", org_number="556036-0793")
    prepare_customer(session, private, SETTINGS, admin, None)
    assert private.org_number is None and private.personal_number == "198112189876"
    assert not private.prices_exclude_vat and customer.prices_exclude_vat
    with pytest.raises(DomainError) as err:
        prepare_customer(session, Customer(name="", kind="company"), SETTINGS, admin, None)
    assert err.value.field == "name"


def test_only_admin_changes_number(session):
    clerk = f.user(session, "clerk")
    customer = Customer(name="X", kind="company", customer_number="2000")
    with pytest.raises(DomainError) as err:
        prepare_customer(session, customer, SETTINGS, clerk, "1999")
    assert err.value.field == "customer_number"


def test_set_address_adds_changes_and_removes():
    customer = Customer(name="X")
    set_address(customer, "billing", "Box 1", "111 22", "Stockholm")
    assert customer.address("billing").city == "Stockholm"
    set_address(customer, "billing", " ", "", None)
    assert customer.address("billing") is None


def test_assign_notifies_added_and_removed(session):
    a, b = f.user(session, "a"), f.user(session, "b")
    customer = Customer(name="Kund AB", customer_number="3000")
    session.add(customer)
    session.flush()
    assign_technicians(session, customer, [a], None)
    assign_technicians(session, customer, [b], None)
    session.commit()
    from models import Notification

    from flask_babel import gettext

    removed = gettext("You are no longer assigned customer %(c)s", c=str(customer))
    notes = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.message == removed) for n in notes] == [(a.id, False), (b.id, False), (a.id, True)]


def test_inactive_customer_cannot_be_chosen():
    with pytest.raises(DomainError):
        require_active(Customer(name="X", active=False))
    assert require_active(Customer(name="Y", active=True)).name == "Y"


def test_delete_refused_with_reason(session):
    from models import Vehicle

    customer = Customer(name="Kund AB", customer_number="3000")
    session.add_all([customer, Vehicle(registration_number="ABC123", owner=customer)])
    session.commit()
    with pytest.raises(DomainError) as err:
        delete_customer(session, customer)
    assert "1 × fordon" in err.value.message


def test_audit_records_create_update_delete_with_user(session):
    user = f.user(session, "auditor")
    session.info["user_id"] = user.id
    customer = Customer(name="Före AB", customer_number="4000")
    customer.contacts.append(Contact(name="Kalle"))
    session.add(customer)
    session.commit()
    customer.name = "Efter AB"
    session.commit()
    contact = customer.contacts[0]
    session.delete(contact)
    session.commit()
    rows = session.scalars(select(AuditLog).where(AuditLog.table_name.in_(("customer", "contact")))
                           .order_by(AuditLog.id)).all()
    change = [r for r in rows if r.action == "update" and r.field == "name"]
    assert change and (change[0].old_value, change[0].new_value) == ("Före AB", "Efter AB")
    assert all(r.user_id == user.id for r in rows)
    deleted = [r for r in rows if r.action == "delete"]
    assert deleted[0].table_name == "contact" and deleted[0].parent_id == str(customer.id)


def test_audit_records_a_contact_taken_off_and_tags_given_at_creation(session):
    from models import Tag

    customer = Customer(name="Kund AB", customer_number="4100", tags=[Tag(name="A-kund")],
                        contacts=[Contact(name="Kalle"), Contact(name="Lisa")])
    session.add(customer)
    session.commit()
    tags = session.scalar(select(AuditLog).where(AuditLog.table_name == "customer", AuditLog.field == "tags"))
    assert tags.action == "create" and tags.new_value == "A-kund"
    customer.contacts = [c for c in customer.contacts if c.name == "Kalle"]  # an orphan, not session.delete
    session.commit()
    deleted = session.scalars(select(AuditLog).where(AuditLog.action == "delete")).all()
    assert [(r.table_name, r.old_value, r.parent_id) for r in deleted] == [("contact", "Lisa", str(customer.id))]


def test_search_terms():
    assert search_terms("070-123 45 67") == ["0701234567"]
    assert search_terms("  Bilia  Verkstad ") == ["bilia", "verkstad"]
    assert search_terms("") == []
    assert search_condition("sqlite", Customer, "") is None


def test_indexed_search_finds_fragments(session):
    c = Customer(name="Bergström Åkeri AB", customer_number="5000", email="info@akeri.se", phone="070-555 66 77")
    c.contacts.append(Contact(name="Lotta Ek", email="lotta@akeri.se"))
    session.add_all([c, Customer(name="Annan", customer_number="5001")])
    session.commit()
    dialect = session.get_bind().dialect.name
    for query in ("bergström", "åkeri", "lotta@ak", "0705556677", "5000", "ström åker"):
        found = session.scalars(select(Customer.name).where(search_condition(dialect, Customer, query))).all()
        assert found == ["Bergström Åkeri AB"], query


def test_lock_after_five_failures_survives_restart(session):
    user = f.user(session, "locked")
    now = dt.datetime(2026, 11, 24, 12, 0)
    for _ in range(5):
        with pytest.raises(DomainError):
            authenticate(session, "locked", "wrong", 5, 15, now=now)
    session.expire_all()  # a new process sees only what is stored
    with pytest.raises(DomainError) as err:
        authenticate(session, "locked", f.PASSWORD, 5, 15, now=now + dt.timedelta(minutes=5))
    # shown in the installation's time zone (Europe/Stockholm, UTC+1 in November), as every time is
    assert err.value.message == "Kontot är låst efter för många misslyckade försök. Försök igen efter 13:15."
    assert authenticate(session, "LOCKED", f.PASSWORD, 5, 15, now=now + dt.timedelta(minutes=16)).id == user.id


def test_module_settings_parse():
    values, errors = parse_module_settings({"customer.number_min_length": "6", "customer.number_max_length": "4",
                                            "company.name": "X"})
    assert "customer.number_max_length" in errors
    values, errors = parse_module_settings({"customer.number_min_length": "x", "company.name": ""})
    assert {"customer.number_min_length", "company.name"} <= set(errors)


def test_number_series_has_no_duplicates_under_concurrency(app):
    with app.app_context():
        ensure_series(db.session, "test", 1)
        db.session.commit()
    taken, errors = [], []

    def worker():
        with app.app_context():
            try:
                for _ in range(10):
                    taken.append(take_number(db.session, "test"))
                    db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(taken) == list(range(1, 41))


def test_stamp_shows_a_utc_moment_in_swedish_time(app):
    import datetime as dt

    from services.platform.formatting import stamp

    with app.test_request_context():
        assert stamp(dt.datetime(2026, 11, 30, 13, 2)) == "2026-11-30 14:02"  # winter: UTC+1
        assert stamp(dt.datetime(2026, 7, 1, 22, 30)) == "2026-07-02 00:30"  # summer: UTC+2
        assert stamp(dt.date(2026, 7, 1)) == "2026-07-01" and stamp(None) == ""
