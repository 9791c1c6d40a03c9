"""Validators of identifiers: what a hurried user types, and what is stored."""
import pytest

from services import DomainError
from services.registers.identifiers import (
    format_org_number,
    format_personal_number,
    normalise_ean,
    normalise_email,
    normalise_org_number,
    normalise_personal_number,
    normalise_registration_number,
    normalise_vin,
)


@pytest.mark.parametrize("typed, stored", [
    ("556036-0793", "5560360793"), ("5560360793", "5560360793"), (" 556036 0793 ", "5560360793"),
    ("", None), ("   ", None), (None, None),
])
def test_org_number_accepted(typed, stored):
    assert normalise_org_number(typed) == stored


@pytest.mark.parametrize("typed", ["556036-0794", "12345", "abcdef-ghij", "5560360793x"])
def test_org_number_refused(typed):
    with pytest.raises(DomainError) as err:
        normalise_org_number(typed)
    assert err.value.field == "org_number"


def test_org_number_shown_with_dash():
    assert format_org_number("5560360793") == "556036-0793"


@pytest.mark.parametrize("typed", ["811218-9876", "19811218-9876", "198112189876", "8112189876"])
def test_personal_number_stored_as_twelve_digits(typed):
    assert normalise_personal_number(typed) == "198112189876"
    assert format_personal_number("198112189876") == "19811218-9876"


@pytest.mark.parametrize("typed", ["811218-9877", "811332-9876", "1234"])
def test_personal_number_refused(typed):
    with pytest.raises(DomainError):
        normalise_personal_number(typed)


@pytest.mark.parametrize("typed, stored", [
    ("abc123", "ABC123"), ("ABC 123", "ABC123"), ("abc12d", "ABC12D"), (" mlb 84a ", "MLB84A"),
])
def test_swedish_registration_numbers(typed, stored):
    assert normalise_registration_number(typed, "SE") == stored


@pytest.mark.parametrize("typed", ["AB123", "ABCD123", "ABC12O", "IQV123", "123ABC", ""])
def test_bad_swedish_registration_numbers(typed):
    with pytest.raises(DomainError):
        normalise_registration_number(typed, "SE")


def test_foreign_registration_allowed_with_country():
    assert normalise_registration_number("m-ab 1234", "DE") == "M-AB1234"


@pytest.mark.parametrize("typed, ok", [
    ("YV1DZ8256C2271234", True), ("yv1dz8256c2271234", True), ("YV1DZ8256C227123", False),
    ("YV1DZ8256C22712345", False), ("YV1DZ8256O2271234", False), ("YV1DZ8256I2271234", False),
    ("YV1DZ8256Q2271234", False),
])
def test_vin(typed, ok):
    if ok:
        assert normalise_vin(typed) == typed.upper()
    else:
        with pytest.raises(DomainError):
            normalise_vin(typed)


@pytest.mark.parametrize("typed, ok", [("7310865004703", True), ("7310865004704", False), ("73108", False)])
def test_ean(typed, ok):
    if ok:
        assert normalise_ean(typed) == typed
    else:
        with pytest.raises(DomainError):
            normalise_ean(typed)


def test_email():
    assert normalise_email(" Karin@Example.se ") == "Karin@example.se"
    with pytest.raises(DomainError):
        normalise_email("karin@")
