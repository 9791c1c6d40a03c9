"""The rules of the vehicle, article, user and notification services, without HTTP
(SQLite and PostgreSQL)."""
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from models import (
    Article,
    Contact,
    Customer,
    LabourOperation,
    Notification,
    Package,
    PackageItem,
    Role,
    User,
    VatRate,
    Vehicle,
)
from services import DomainError
from services.registers.articles import prepare_article, prepare_labour_operation, prepare_package
from services.platform.auth import change_password, check_new_password, create_user
from services.platform.notifications import mark_read, notify, unread
from services.registers.references import describe, references_to
from services.registers.vehicles import prepare_vehicle


def refused(call, field: str) -> str:
    with pytest.raises(DomainError) as error:
        call()
    assert error.value.field == field, error.value.message
    return error.value.message


# --- vehicles -------------------------------------------------------------------------


def test_vehicle_is_normalised_and_checked(session):
    owner = Customer(customer_number="1", name="Ägare AB", contacts=[Contact(name="Eva")])
    other = Customer(customer_number="2", name="Annan AB", contacts=[Contact(name="Olle")])
    session.add_all([owner, other])
    session.flush()
    vehicle = Vehicle(registration_number=" abc 123 ", vin="yv1dz8256c2271234", owner=owner,
                      driver=owner.contacts[0], fleet="none", odometer_km=None)
    session.add(vehicle)  # as the form does: the row is in the session while the rules run
    with session.no_autoflush:
        prepare_vehicle(session, vehicle)
    assert (vehicle.registration_number, vehicle.vin, vehicle.odometer_km) == ("ABC123", "YV1DZ8256C2271234", 0)
    session.commit()

    vehicle.driver = other.contacts[0]
    refused(lambda: prepare_vehicle(session, vehicle), "driver")
    vehicle.driver = None
    vehicle.odometer_km = -1
    refused(lambda: prepare_vehicle(session, vehicle), "odometer_km")
    vehicle.odometer_km = 10
    owner.vehicles_disabled = True
    refused(lambda: prepare_vehicle(session, vehicle), "owner")
    owner.vehicles_disabled = False
    prepare_vehicle(session, vehicle)
    session.commit()

    twin = Vehicle(registration_number="ABC 123", fleet="none")
    assert "ABC123" in refused(lambda: prepare_vehicle(session, twin), "registration_number")
    twin = Vehicle(registration_number="XYZ789", vin="YV1DZ8256C2271234", fleet="loaner")
    refused(lambda: prepare_vehicle(session, twin), "vin")
    refused(lambda: prepare_vehicle(session, Vehicle(registration_number="AB1234", fleet="none")),
            "registration_number")
    refused(lambda: prepare_vehicle(session, Vehicle(registration_number="XYZ789", fleet="boat")), "fleet")
    foreign = Vehicle(registration_number="b-ab 1234", country_code="DE", fleet="none")
    prepare_vehicle(session, foreign)  # a foreign plate is taken when its country is given
    assert foreign.registration_number == "B-AB1234"


# --- articles, labour operations, packages ---------------------------------------------


def test_article_needs_number_name_vat_and_no_negative_price():
    vat = VatRate(name="25 %", percent=Decimal("25"))
    article = Article(number=" 100 ", name=" Olja ", price=Decimal("89"), vat_rate=vat, ean="4006381333931")
    prepare_article(article)
    assert (article.number, article.name, article.ean) == ("100", "Olja", "4006381333931")
    refused(lambda: prepare_article(Article(number=" ", name="Olja", vat_rate=vat)), "number")
    refused(lambda: prepare_article(Article(number="1", name="", vat_rate=vat)), "name")
    refused(lambda: prepare_article(Article(number="1", name="Olja", price=Decimal("-1"), vat_rate=vat)), "price")
    refused(lambda: prepare_article(Article(number="1", name="Olja", purchase_price=Decimal("-0.01"),
                                            vat_rate=vat)), "purchase_price")
    refused(lambda: prepare_article(Article(number="1", name="Olja", ean="4006381333932", vat_rate=vat)), "ean")
    refused(lambda: prepare_article(Article(number="1", name="Olja")), "vat_rate")


def test_labour_operation_needs_a_rate_or_a_fixed_price():
    vat = VatRate(name="25 %", percent=Decimal("25"))
    op = LabourOperation(code=" S1 ", name="Service", hourly_rate=Decimal("950"), vat_rate=vat)
    prepare_labour_operation(op)
    assert op.code == "S1"
    prepare_labour_operation(LabourOperation(code="S2", name="Fast", fixed_price=Decimal("1500"), vat_rate=vat))
    refused(lambda: prepare_labour_operation(LabourOperation(code="S3", name="Inget pris", vat_rate=vat)),
            "hourly_rate")
    refused(lambda: prepare_labour_operation(LabourOperation(code="", name="X", fixed_price=1, vat_rate=vat)), "code")
    refused(lambda: prepare_labour_operation(LabourOperation(code="S4", name="X", standard_hours=Decimal("-1"),
                                                             fixed_price=1, vat_rate=vat)), "standard_hours")
    refused(lambda: prepare_labour_operation(LabourOperation(code="S5", name="X", fixed_price=1)), "vat_rate")


def test_package_line_has_either_an_article_or_an_operation_and_a_quantity():
    article, op = Article(number="1", name="Olja"), LabourOperation(code="S1", name="Service")
    package = Package(name=" Service A ", items=[PackageItem(article=article, quantity=Decimal("4")),
                                                 PackageItem(labour_operation=op, quantity=Decimal("1"))])
    prepare_package(package)
    assert package.name == "Service A"
    refused(lambda: prepare_package(Package(name="X", items=[PackageItem(quantity=Decimal("1"))])), "items")
    refused(lambda: prepare_package(Package(name="X", items=[
        PackageItem(article=article, labour_operation=op, quantity=Decimal("1"))])), "items")
    refused(lambda: prepare_package(Package(name="X", items=[PackageItem(article=article, quantity=0)])), "items")
    refused(lambda: prepare_package(Package(name=" ")), "name")


# --- users and passwords -----------------------------------------------------------------


def test_new_users_and_passwords(session):
    session.add(Role(name="Verkstad"))
    session.commit()
    user = create_user(session, " sara ", "tio-tecken!", "verkstad", "Sara Ek")
    assert (user.username, user.role.name) == ("sara", "Verkstad") and user.password_hash != "tio-tecken!"
    refused(lambda: create_user(session, "SARA", "tio-tecken!", "Verkstad"), "username")
    refused(lambda: create_user(session, " ", "tio-tecken!", "Verkstad"), "username")
    assert "Verkstad" in refused(lambda: create_user(session, "olle", "tio-tecken!", "Chef"), "role")
    refused(lambda: create_user(session, "olle", "kort", "Verkstad"), "new_password")
    refused(lambda: check_new_password("123456789"), "new_password")
    check_new_password("1234567890")

    refused(lambda: change_password(session, user, "fel", "nytt-lösenord", "nytt-lösenord"), "old_password")
    refused(lambda: change_password(session, user, "tio-tecken!", "nytt-lösenord", "annat-lösenord"),
            "repeat_password")
    refused(lambda: change_password(session, user, "tio-tecken!", "kort", "kort"), "new_password")
    change_password(session, user, "tio-tecken!", "nytt-lösenord", "nytt-lösenord")
    assert check_password_hash(user.password_hash, "nytt-lösenord")
    assert not check_password_hash(user.password_hash, "tio-tecken!")
    refused(lambda: change_password(session, user, "tio-tecken!", "x" * 10, "x" * 10), "old_password")


# --- notifications and references -----------------------------------------------------------


def test_mark_read_one_or_all_and_never_another_users(session):
    role = Role(name="R")
    anna = User(username="anna", password_hash="x", role=role)
    bo = User(username="bo", password_hash="x", role=role)
    session.add_all([anna, bo])
    session.flush()
    first, second = notify(session, anna, "Ett"), notify(session, anna, "Två")
    theirs = notify(session, bo, "Bos")
    session.commit()
    assert unread(session, anna.id)[0] == 2
    mark_read(session, anna.id, first.id)
    mark_read(session, anna.id, theirs.id)  # someone else's: untouched
    assert unread(session, anna.id)[0] == 1 and unread(session, bo.id)[0] == 1
    mark_read(session, anna.id)
    assert unread(session, anna.id)[0] == 0 and unread(session, bo.id)[0] == 1
    assert session.scalar(select(Notification.read_at).where(Notification.id == second.id)) is not None


def test_references_count_what_points_at_a_record(session):
    customer = Customer(customer_number="1", name="Kund AB")
    session.add_all([customer, Vehicle(registration_number="ABC123", owner=customer),
                     Vehicle(registration_number="ABC124", owner=customer)])
    customer.contacts.append(Contact(name="Eva"))
    session.commit()
    refs = dict(references_to(session, customer))
    assert refs["vehicle"] == 2 and refs["contact"] == 1
    assert "contact" not in dict(references_to(session, customer, skip={"contact"}))
    assert describe([("vehicle", 2), ("booking_signature", 1)]) == "2 × fordon, 1 × booking signature"
