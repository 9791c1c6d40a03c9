"""Arithmetic of sales documents (no database): table-driven, Decimal only."""
from decimal import Decimal as D
from pathlib import Path

import pytest

from services.sales.pricing import (
    PricedLine,
    environmental_fee,
    gross_unit_price,
    line_net,
    net_from_gross,
    ocr_reference,
    ocr_valid,
    totals,
)

BGMAX = Path("/work/shared/formats/bgmax")


@pytest.mark.parametrize("qty, price, discount, expected", [
    ("1", "100.00", "0", "100.00"),
    ("3", "33.33", "0", "99.99"),
    ("1.5", "800.00", "0", "1200.00"),
    ("1", "0.005", "0", "0.01"),  # half-up, not banker's rounding
    ("1", "0.015", "0", "0.02"),
    ("2", "99.99", "10", "179.98"),  # 199.98 × 0.9 = 179.982
    ("1", "100.00", "100", "0.00"),
    ("4.5", "120.00", "12.5", "472.50"),
    ("0.33", "10.00", "0", "3.30"),
])
def test_line_net(qty, price, discount, expected):
    assert line_net(D(qty), D(price), D(discount)) == D(expected)


@pytest.mark.parametrize("lines, net_by_rate, vat_by_rate, rounding, total", [
    # one rate
    ([("1", "100.00", "25")], {"25": "100.00"}, {"25": "25.00"}, "0.00", "125.00"),
    # VAT on the sum of the rate, not per line: 3 × 0.10 at 25 % = 0.075 -> 0.08 (per line 0.03 each = 0.09)
    ([("1", "0.10", "25")] * 3, {"25": "0.30"}, {"25": "0.08"}, "-0.38", "0.00"),
    # several rates
    ([("2", "50.00", "25"), ("1", "100.00", "12"), ("1", "10.00", "6"), ("1", "5.00", "0")],
     {"25": "100.00", "12": "100.00", "6": "10.00", "0": "5.00"},
     {"25": "25.00", "12": "12.00", "6": "0.60", "0": "0.00"}, "0.40", "253.00"),
    # rounding down
    ([("1", "99.20", "25")], {"25": "99.20"}, {"25": "24.80"}, "0.00", "124.00"),
    ([("1", "99.00", "25")], {"25": "99.00"}, {"25": "24.75"}, "0.25", "124.00"),
    ([("1", "99.30", "25")], {"25": "99.30"}, {"25": "24.83"}, "-0.13", "124.00"),
    # exactly 50 öre rounds up
    ([("1", "99.60", "25")], {"25": "99.60"}, {"25": "24.90"}, "0.50", "125.00"),
    # half-up at 50 öre
    ([("1", "100.40", "25")], {"25": "100.40"}, {"25": "25.10"}, "0.50", "126.00"),
])
def test_totals_per_rate_with_rounding(lines, net_by_rate, vat_by_rate, rounding, total):
    result = totals([PricedLine(D(q), D(p), D(v)) for q, p, v in lines], round_to_krona=True)
    assert {str(k): v for k, v in result.net_by_rate.items()} == {k: D(v) for k, v in net_by_rate.items()}
    assert {str(k): v for k, v in result.vat_by_rate.items()} == {k: D(v) for k, v in vat_by_rate.items()}
    assert result.rounding == D(rounding)
    assert result.total == D(total)
    assert result.total == result.net + result.vat + result.rounding


def test_totals_without_rounding_keep_ore():
    result = totals([PricedLine(D("1"), D("99.60"), D("25"))], round_to_krona=False)
    assert result.rounding == 0 and result.total == D("124.50")


def test_discounted_line_in_totals():
    result = totals([PricedLine(D("2"), D("99.99"), D("25"), D("10"))])
    assert result.net == D("179.98") and result.vat == D("45.00") and result.total == D("224.98")


@pytest.mark.parametrize("labour, percent, cap, expected", [
    ("1000.00", "5", "250", "50.00"),
    ("10000.00", "5", "250", "250.00"),  # capped
    ("10000.00", "5", "0", "500.00"),  # no cap
    ("1000.00", "0", "250", "0.00"),  # switched off
    ("333.33", "3", "0", "10.00"),
])
def test_environmental_fee(labour, percent, cap, expected):
    assert environmental_fee(D(labour), D(percent), D(cap)) == D(expected)


@pytest.mark.parametrize("net, rate, gross", [("100.00", "25", "125.00"), ("80.00", "12", "89.60"),
                                              ("99.99", "6", "105.99"), ("10.00", "0", "10.00")])
def test_price_shown_including_vat_and_back(net, rate, gross):
    assert gross_unit_price(D(net), D(rate)) == D(gross)
    assert net_from_gross(D(gross), D(rate)) == D(net)


def _bgmax_references() -> list[str]:
    """References with reference code 2 (OCR checked by Bankgirot) from the example files."""
    refs = []
    for path in sorted(BGMAX.glob("*.txt")):
        for record in path.read_text(encoding="latin-1").splitlines():
            if record.startswith("20") and len(record) > 55 and record[55:56] == "2":
                refs.append(record[12:37].strip())
    return refs


def test_bgmax_example_references_are_valid_ocr():
    refs = _bgmax_references()
    assert len(refs) >= 5
    for ref in refs:
        assert ocr_valid(ref), ref
        # our generator gives the same check and length digits for the same invoice number
        assert ocr_reference(ref[:-2]) == ref


def test_known_invalid_reference_fails():
    assert not ocr_valid("89853")  # reference code 3 in Bankgirot's example: fails Luhn


@pytest.mark.parametrize("number, expected", [(10001, "1000173"), (1, "133"), (12345678, "1234567806")])
def test_ocr_reference_has_length_and_luhn_digit(number, expected):
    ref = ocr_reference(number)
    assert ref == expected
    assert ocr_valid(ref)
    assert int(ref[-2]) == len(ref) % 10
