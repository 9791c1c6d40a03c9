"""Small builders for sales-document tests (customers, articles, labour, packages)."""
from decimal import Decimal

from sqlalchemy import select

from models import (
    Article,
    LabourOperation,
    Package,
    PackageItem,
    VatRate,
    Vehicle,
)
from services.platform.settings import load_settings
from tests.factories import customer  # noqa: F401  (the one customer builder, as h.customer)

D = Decimal


def vat(session, percent="25") -> VatRate:
    return session.scalar(select(VatRate).where(VatRate.percent == D(percent)))


def article(session, number="OF-1", name="Oljefilter", price="200.00", percent="25") -> Article:
    a = Article(number=number, name=name, price=D(price), vat_rate=vat(session, percent))
    session.add(a)
    return a


def labour(session, code="SERV", name="Service", hours="1.5", rate="800.00") -> LabourOperation:
    op = LabourOperation(code=code, name=name, standard_hours=D(hours), hourly_rate=D(rate), vat_rate=vat(session))
    session.add(op)
    return op


def package(session, name="Oljebyte") -> Package:
    p = Package(name=name, items=[
        PackageItem(article=article(session, "OLJA-5W30", "Motorolja 5W-30", "120.00"), quantity=D("4.5")),
        PackageItem(labour_operation=labour(session, "OLJEBYTE", "Oljebyte", "0.5", "900.00"), quantity=D(1)),
    ])
    session.add(p)
    return p


def vehicle(session, owner, reg="ABC123") -> Vehicle:
    v = Vehicle(registration_number=reg, owner=owner, odometer_km=12345)
    session.add(v)
    return v


def settings(session, **overrides) -> dict:
    values = load_settings(session)
    values.update({k.replace("__", "."): v for k, v in overrides.items()})
    return values

