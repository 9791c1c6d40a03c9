"""The one parser for typed numbers (services.platform.numbers): what a hurried user types, and what
becomes of it. No database: the parser is a plain function."""
from decimal import Decimal as D

import pytest

from services import DomainError
from services.platform.numbers import parse_decimal, parse_int

NBSP, NNBSP = "\u00a0", "\u202f"

# (typed, expected Decimal or the start of the refusal) for a quantity of two decimals that
# may not be negative, in a NUMERIC(10, 2) column
HURRIED = [
    ("1", D("1.00")),
    ("12", D("12.00")),
    ("0,5", D("0.50")),
    ("0.5", D("0.50")),
    (",5", D("0.50")),
    (".5", D("0.50")),
    ("5,", D("5.00")),
    ("199,50", D("199.50")),
    ("199.50", D("199.50")),
    ("  42 ", D("42.00")),
    ("1 250,50", D("1250.50")),
    (f"1{NBSP}250,50", D("1250.50")),
    (f"1{NNBSP}250,50", D("1250.50")),
    ("12 345 678", D("12345678.00")),
    ("+3", D("3.00")),
    ("0", D("0.00")),
    ("00,10", D("0.10")),
    ("0,30", D("0.30")),
    ("", None),
    ("   ", None),
    (NBSP, None),
    ("Infinity", "The quantity must be a number"),
    ("inf", "The quantity must be a number"),
    ("-Infinity", "The quantity cannot be negative"),
    ("NaN", "The quantity must be a number"),
    ("nan", "The quantity must be a number"),
    ("sNaN", "The quantity must be a number"),
    ("1e3", "The quantity must be a number"),
    ("1E3", "The quantity must be a number"),
    ("2,5e1", "The quantity must be a number"),
    ("0,333", "The quantity takes at most 2 decimals"),
    ("1.005", "The quantity takes at most 2 decimals"),
    ("12,000", "The quantity takes at most 2 decimals"),  # an English "twelve thousand": not 12
    ("1.250,50", "The quantity must be a number"),  # a German grouping point: ambiguous
    ("1,250.50", "The quantity must be a number"),
    ("1,2,3", "The quantity must be a number"),
    ("12 50", "The quantity: put spaces only between groups of three digits"),
    ("1 2", "The quantity: put spaces only between groups of three digits"),
    ("-1", "The quantity cannot be negative"),
    ("\u22121", "The quantity cannot be negative"),
    ("abc", "The quantity must be a number"),
    ("10 st", "The quantity must be a number"),
    ("199 kr", "The quantity must be a number"),
    ("1_000", "The quantity must be a number"),
    ("0x10", "The quantity must be a number"),
    ("\u0661\u0662", "The quantity must be a number"),  # Arabic-Indic digits, which Decimal() takes
    ("\u00b2", "The quantity must be a number"),  # a superscript two, which str.isdigit() takes
    (",", "The quantity must be a number"),
    ("+", "The quantity must be a number"),
    ("99999999", D("99999999.00")),
    ("100000000", "The quantity is too large"),
]


@pytest.mark.parametrize(("typed", "expected"), HURRIED, ids=[repr(t) for t, _e in HURRIED])
def test_hurried_user_inputs(typed, expected):
    """Issue 9 item 6: finite values only, comma or point, spaced thousands (also U+00A0 and
    U+202F), no exponents, no Infinity or NaN, more decimals refused with a message, never
    rounded silently."""
    if isinstance(expected, str):
        with pytest.raises(DomainError) as refused:
            parse_decimal(typed, 2, label="The quantity", field="quantity", precision=10)
        assert refused.value.message.startswith(expected), refused.value.message
        assert refused.value.field == "quantity"
    else:
        value = parse_decimal(typed, 2, label="The quantity", field="quantity", precision=10)
        assert value == expected and (value is None or value.is_finite())
        if value is not None:
            assert value.as_tuple().exponent == -2, value


def test_the_rules_hold_for_any_typed_number():
    """Issue 9 item 6, property-style: every number printed in any of the accepted ways reads back
    as itself, and one decimal more than the field holds is always refused."""
    for cents in list(range(0, 2000, 7)) + [123456789, 99999999999, 100000, 1000000]:
        value = D(cents).scaleb(-2)
        whole, frac = f"{value:.2f}".split(".")
        grouped = f"{int(whole):,}".replace(",", " ")
        for typed in (f"{whole},{frac}", f"{whole}.{frac}", f"{grouped},{frac}",
                      f"{grouped.replace(' ', NBSP)},{frac}", f"{grouped.replace(' ', NNBSP)}.{frac}"):
            assert parse_decimal(typed, 2, label="X", precision=12) == value, typed
        with pytest.raises(DomainError, match="at most 2 decimals"):
            parse_decimal(f"{whole},{frac}1", 2, label="X", precision=12)
        assert parse_decimal(f"-{whole},{frac}", 2, label="X", signed=True, precision=12) == -value


def test_signs_blanks_and_limits_per_field():
    """Issue 9 item 6: a sign where allowed, blank per field, decimals as the field holds."""
    assert parse_decimal("-250,00", 2, label="The surcharge", signed=True) == D("-250.00")
    assert parse_decimal("\u2212250", 2, label="The surcharge", signed=True) == D("-250.00")
    with pytest.raises(DomainError, match="The amount is required"):
        parse_decimal(" ", 2, label="The amount", required=True)
    assert parse_decimal("0,333", 3, label="Hours") == D("0.333")
    with pytest.raises(DomainError, match="at least 1"):
        parse_decimal("0", 0, label="Port", minimum=1)
    with pytest.raises(DomainError, match="at most 100"):
        parse_decimal("100,01", 2, label="The discount", maximum=100)
    # already parsed values (a form field's Decimal) obey the same rules
    assert parse_decimal(D("4.50"), 2, label="X") == D("4.50")
    for bad in (D("Infinity"), D("NaN"), 1.5):
        with pytest.raises(DomainError, match="must be a number"):
            parse_decimal(bad, 2, label="X")
    with pytest.raises(DomainError, match="at most 2 decimals"):
        parse_decimal(D("0.333"), 2, label="X")
    # whole numbers: odometer readings, days, kilometres
    assert parse_int("12 000", label="The odometer") == 12000
    assert parse_int(f"123{NBSP}456", label="The odometer") == 123456
    for bad in ("12,5", "1e3", "12.000", "Infinity", "-5"):
        with pytest.raises(DomainError):
            parse_int(bad, label="The odometer")
    with pytest.raises(DomainError, match="whole number"):
        parse_int("12,5", label="The odometer")
    with pytest.raises(DomainError, match="too large"):
        parse_int("1 000 000 000", label="The odometer", digits=9)
