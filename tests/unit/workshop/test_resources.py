"""Staff and resources (issue 13 item 1; 11.13, 90.10): the rules of services.workshop.resources
without HTTP: names and staff numbers, the PIN hashed, bays/lifts without a person, deletion only
of an unused resource, inactive ones left out of pickers."""
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models import AuditLog, Resource, Skill
from services.workshop import WorkshopError, resources

pytestmark = pytest.mark.usefixtures("english")


def _staff(session, number="101", name="Nils Mekaniker", **fields):
    r = Resource(kind="staff", name=name, staff_number=number, **fields)
    resources.check_resource(session, r)
    session.add(r)
    session.flush()
    return r


@pytest.mark.parametrize("pin", ["1234", "12345", "123456", " 4321 "])
def test_a_pin_of_four_to_six_digits_is_stored_hashed_and_checks(session, pin):
    r = _staff(session)
    resources.set_pin(r, pin)
    session.commit()
    assert r.pin_hash and pin.strip() not in r.pin_hash and r.pin_hash.startswith("scrypt")
    assert resources.pin_matches(r, pin.strip())
    assert not resources.pin_matches(r, "9999")


@pytest.mark.parametrize("pin", ["", "123", "1234567", "12a4", "12 34", "١٢٣٤"])
def test_a_bad_pin_is_refused_beside_the_pin_field(session, pin):
    r = _staff(session)
    with pytest.raises(WorkshopError) as err:
        resources.set_pin(r, pin)
    assert err.value.field == "pin" and "4 to 6 digits" in err.value.message
    assert r.pin_hash is None


def test_no_pin_matches_a_resource_without_one(session):
    r = _staff(session)
    assert not resources.pin_matches(r, "")
    assert not resources.pin_matches(r, "1234")


def test_a_lift_has_no_person_costs_or_pin(session, app):
    from models import User
    from tests.factories import user

    u = user(session, "nisse")
    lift = Resource(kind="lift", name="Lyft 1", staff_number="7", user=u, floor_role="technician",
                    hourly_cost=D("300"), hourly_rate=D("900"), pin_hash="x")
    resources.check_resource(session, lift)
    assert (lift.staff_number, lift.user, lift.floor_role, lift.pin_hash, lift.hourly_cost) == (None,) * 5
    assert lift.hourly_rate == D("900")  # a lift may be charged per hour
    with pytest.raises(WorkshopError) as err:
        resources.set_pin(lift, "1234")
    assert err.value.field == "pin"
    assert isinstance(u, User)


def test_staff_need_a_name_and_a_unique_staff_number(session):
    _staff(session, "101")
    with pytest.raises(WorkshopError) as err:
        _staff(session, "101", name="Other")
    assert err.value.field == "staff_number" and "101" in err.value.message
    with pytest.raises(WorkshopError) as err:
        _staff(session, " ", name="Other")
    assert err.value.field == "staff_number"
    with pytest.raises(WorkshopError) as err:
        _staff(session, "102", name="  ")
    assert err.value.field == "name"
    with pytest.raises(WorkshopError) as err:
        _staff(session, "103", hourly_cost=D("-1"))
    assert err.value.field == "hourly_cost"
    same = session.scalar(select(Resource).where(Resource.staff_number == "101"))
    same.name = "Nils Nilsson"
    resources.check_resource(session, same)  # its own number is not "taken"
    assert same.floor_role == "technician"  # staff without a role are technicians


def test_the_staff_number_is_unique_in_the_database_too(session):
    from sqlalchemy.exc import IntegrityError

    _staff(session, "101")
    session.add(Resource(kind="staff", name="X", staff_number="101"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_kind_outside_staff_bay_lift_is_refused(session):
    with pytest.raises(WorkshopError) as err:
        resources.check_resource(session, Resource(kind="robot", name="R2"))
    assert err.value.field == "kind"


def test_an_unused_resource_can_be_deleted(session):
    r = _staff(session)
    assert resources.can_delete(session, r)
    resources.check_delete(session, r)
    session.delete(r)
    session.commit()
    assert session.scalar(select(Resource)) is None


def test_a_resource_with_dependents_is_refused_deletion(session, monkeypatch):
    """Later items register stamps and planned jobs in DEPENDENTS; any that counts rows refuses."""
    r = _staff(session)
    monkeypatch.setattr(resources, "DEPENDENTS", [("Stamps", lambda s, res: 3 if res.id == r.id else 0)])
    assert not resources.can_delete(session, r)
    with pytest.raises(WorkshopError) as err:
        resources.check_delete(session, r)
    assert "cannot be deleted, only inactivated" in err.value.message and "Stamps" in err.value.message
    other = _staff(session, "102", name="Olle")
    assert resources.can_delete(session, other)


def test_an_inactive_resource_is_left_out_of_pickers(session):
    a = _staff(session, "101", name="Anna")
    b = _staff(session, "102", name="Bertil")
    lift = Resource(kind="lift", name="Lyft 1")
    session.add(lift)
    session.flush()
    assert [r.name for r in resources.active_resources(session)] == ["Anna", "Bertil", "Lyft 1"]
    b.active = False
    session.flush()
    assert [r.name for r in resources.active_resources(session)] == ["Anna", "Lyft 1"]
    assert resources.active_resources(session, "staff") == [a]


def test_skills_are_seeded_once(session):
    session.query(Skill).delete()
    assert resources.seed_skills(session) == len(resources.DEFAULT_SKILLS)
    assert resources.seed_skills(session) == 0
    assert {"AC", "Däck", "Diagnos"} <= set(session.scalars(select(Skill.name)))


def test_the_history_of_a_pin_change_shows_no_pin(session):
    r = _staff(session)
    session.commit()
    resources.set_pin(r, "4711")
    session.commit()
    rows = session.scalars(select(AuditLog).where(AuditLog.table_name == "resource",
                                                  AuditLog.field == "pin_hash")).all()
    assert rows and all(v in (None, "***") for h in rows for v in (h.old_value, h.new_value))
    assert not any("4711" in (h.new_value or "") or "scrypt" in (h.new_value or "") for h in
                   session.scalars(select(AuditLog)))
