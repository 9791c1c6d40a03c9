"""The booking calculation (Kalkulation) as a plain function: no database, English texts."""
from decimal import Decimal as D

import pytest

from models import Booking, CascoModel, TariffModel
from services import DomainError
from services.bookings import bookings as b


def tariff(**kw):
    values = dict(name="Standard", price_per_day=D("450"), free_km_per_day=100, price_per_km=D("2.50"),
                  vat_percent=D("25"))
    return TariffModel(**{**values, **kw})


CASCO = CascoModel(name="Casco", price_per_day=D("89.90"), deductible=D("5000"), vat_percent=D("12"))


def booking(remark=None):
    return Booking(number="10042", return_remark=remark)


def rows(lines):
    return [(line["text"], line["quantity"], line["unit_price"], line["vat_percent"], line["amount"]) for line in lines]


def test_rent_extra_km_casco_insurance_and_adjustments():
    lines = b.calculate_billing(booking(), tariff(), CASCO, 3, 1450, D("99.50"),
                                [("Washing", D("150")), ("", D("-100.005")), ("", D("20")), ("Nothing", D("0"))])
    assert rows(lines) == [
        ("10042: Rent Standard, 3 days", D("3"), D("450.00"), D("25"), D("1350.00")),
        ("10042: Extra km (1450 km driven, 300 km free)", D("1150"), D("2.50"), D("25"), D("2875.00")),
        ("10042: Casco Casco, deductible 5\xa0000,00 kr", D("3"), D("89.90"), D("12"), D("269.70")),
        ("10042: Insurance", D("1"), D("99.50"), D("25"), D("99.50")),
        ("10042: Washing", D("1"), D("150.00"), D("25"), D("150.00")),
        ("10042: Discount", D("1"), D("-100.01"), D("25"), D("-100.01")),  # half-up, away from zero
        ("10042: Surcharge", D("1"), D("20.00"), D("25"), D("20.00")),
    ]


@pytest.mark.parametrize("km, price_per_km, extra", [(300, D("2.50"), None), (301, D("2.50"), D("1")),
                                                      (5000, D("0"), None), (5000, None, None)])
def test_extra_km_only_beyond_the_free_km_and_when_priced(km, price_per_km, extra):
    lines = b.calculate_billing(booking(), tariff(price_per_km=price_per_km), None, 3, km)
    assert [line["quantity"] for line in lines[1:]] == ([extra] if extra else [])


def test_without_a_tariff_the_extras_carry_25_percent():
    lines = b.calculate_billing(booking(), None, None, 2, 0, D("10"), [("Fee", D("5.555")), ("", D("0.50"))])
    assert rows(lines) == [("10042: Insurance", D("1"), D("10.00"), D("25"), D("10.00")),
                           ("10042: Fee", D("1"), D("5.56"), D("25"), D("5.56")),
                           ("10042: Surcharge", D("1"), D("0.50"), D("25"), D("0.50"))]
    assert b.calculate_billing(booking(), None, None, 1, 0) == []


def test_the_return_remark_goes_on_the_first_line_unless_left_out():
    lines = b.calculate_billing(booking("Scratch"), tariff(), CASCO, 1, 0)
    assert [line["text"] for line in lines] == ["10042: Rent Standard, 1 days – Scratch",
                                                "10042: Casco Casco, deductible 5\xa0000,00 kr"]
    lines = b.calculate_billing(booking("Scratch"), tariff(), None, 1, 0, include_return_remark=False)
    assert [line["text"] for line in lines] == ["10042: Rent Standard, 1 days"]


def test_a_long_text_is_cut_to_the_column():
    lines = b.calculate_billing(booking("x" * 600), tariff(), None, 1, 0)
    assert len(lines[0]["text"]) == 500 and lines[0]["text"].startswith("10042: Rent")


@pytest.mark.parametrize("days, km, field, message", [(0, 10, "days", "Days of use must be at least 1."),
                                                      (1, -1, "km_driven", "Km driven cannot be negative.")])
def test_days_below_one_and_negative_km_are_refused(days, km, field, message):
    with pytest.raises(DomainError) as refused:
        b.calculate_billing(booking(), tariff(), None, days, km)
    assert (refused.value.field, refused.value.message) == (field, message)
