"""Rules of services.sales.pricing that `make mutation` found unguarded (no database)."""
from decimal import Decimal as D

import pytest

from services.sales.pricing import PricedLine, effective_vat, environmental_fee, ocr_reference, ocr_valid, totals


@pytest.mark.parametrize("rate, treatment, expected", [
    ("25", "domestic", D("25")), ("12", "", D("12")), ("25", "reverse_charge", D("0")), ("6", "export", D("0")),
])
def test_reverse_charge_and_export_carry_no_vat(rate, treatment, expected):
    assert effective_vat(rate, treatment) == expected


def test_a_fractional_vat_rate_keeps_its_decimals():
    # a foreign rate such as 5.5 % is its own row of the VAT summary, not rounded to 6 % (or 5 %)
    result = totals([PricedLine(D("1"), D("100.00"), D("5.5")), PricedLine(D("1"), D("200.00"), D("5.50")),
                     PricedLine(D("1"), D("100.00"), D("25.00"))])
    assert result.rates == [(D("25"), D("100.00"), D("25.00")), (D("5.50"), D("300.00"), D("16.50"))]
    assert [str(rate) for rate, _net, _vat in result.rates] == ["25", "5.50"]
    assert result.total == D("441.50")


def test_a_cap_below_one_krona_still_caps_the_fee():
    assert environmental_fee(D("1000.00"), D("5"), D("0.50")) == D("0.50")


@pytest.mark.parametrize("reference", ["abc", "12A45", "1000 173", "", "26", "1"])
def test_only_digit_references_of_three_or_more_digits_are_valid(reference):
    # "26" passes Luhn and its length digit (2) but is shorter than any reference we issue
    assert ocr_valid(reference) is False


def test_a_reference_with_a_wrong_length_digit_is_invalid():
    ref = ocr_reference(10001)  # 1000173
    assert ocr_valid(ref)
    # a correct Luhn digit over a wrong length digit (8 for 7 digits): Bankgirot refuses it
    assert not ocr_valid("1000181")


def test_an_invoice_number_without_digits_has_no_reference():
    with pytest.raises(ValueError):
        ocr_reference("F-")
