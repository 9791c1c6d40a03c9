"""Arithmetic of sales documents: line amounts, VAT per rate, fees and öre rounding.

Pure functions over Decimal (no session): a line's net amount is rounded half-up to öre; VAT is
computed per rate on the sum of the document's lines of that rate (mervärdesskattelagen lets
the seller round per document); the total may be rounded to whole kronor with a rounding line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ORE = Decimal("0.01")
KRONA = Decimal("1")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def q(value) -> Decimal:
    """Half-up to öre."""
    return Decimal(value).quantize(ORE, rounding=ROUND_HALF_UP)


def line_net(quantity, unit_price, discount_percent=ZERO) -> Decimal:
    """Net amount of a line (excl. VAT): quantity × unit price less the discount, to öre."""
    discount = Decimal(discount_percent or 0)
    return q(Decimal(quantity) * Decimal(unit_price) * (HUNDRED - discount) / HUNDRED)


def gross_unit_price(unit_price, vat_percent) -> Decimal:
    """The unit price as shown to a private customer (including VAT)."""
    return q(Decimal(unit_price) * (HUNDRED + Decimal(vat_percent)) / HUNDRED)


def net_from_gross(gross_price, vat_percent) -> Decimal:
    """A price typed including VAT, stored excluding VAT (rounded to öre)."""
    return q(Decimal(gross_price) * HUNDRED / (HUNDRED + Decimal(vat_percent)))


@dataclass
class PricedLine:
    quantity: Decimal
    unit_price: Decimal
    vat_percent: Decimal
    discount_percent: Decimal = ZERO
    kind: str = "article"

    @property
    def net(self) -> Decimal:
        return line_net(self.quantity, self.unit_price, self.discount_percent)


@dataclass
class Totals:
    net_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)
    vat_by_rate: dict[Decimal, Decimal] = field(default_factory=dict)
    net: Decimal = ZERO
    vat: Decimal = ZERO
    rounding: Decimal = ZERO
    total: Decimal = ZERO

    @property
    def rates(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, net, vat) sorted by rate, highest first."""
        return [(r, self.net_by_rate[r], self.vat_by_rate[r]) for r in sorted(self.net_by_rate, reverse=True)]


def effective_vat(vat_percent, treatment: str) -> Decimal:
    """Reverse charge and export invoices carry 0 % on every line."""
    return ZERO if treatment in ("reverse_charge", "export") else Decimal(vat_percent)


def totals(lines: list[PricedLine], round_to_krona: bool = False) -> Totals:
    result = Totals()
    for line in lines:
        rate = Decimal(line.vat_percent).normalize()
        rate = rate.quantize(Decimal("0.01")) if rate != rate.to_integral() else rate.quantize(KRONA)
        result.net_by_rate[rate] = result.net_by_rate.get(rate, ZERO) + line.net
    for rate, net in result.net_by_rate.items():
        result.vat_by_rate[rate] = q(net * rate / HUNDRED)
    result.net = sum(result.net_by_rate.values(), ZERO)
    result.vat = sum(result.vat_by_rate.values(), ZERO)
    gross = result.net + result.vat
    if round_to_krona:
        result.rounding = gross.quantize(KRONA, rounding=ROUND_HALF_UP) - gross
    result.total = gross + result.rounding
    return result


def environmental_fee(labour_net: Decimal, percent, cap) -> Decimal:
    """Miljöavgift / förbrukningsmaterial: a percentage of labour, at most ``cap`` (0 = no cap)."""
    fee = q(Decimal(labour_net) * Decimal(percent or 0) / HUNDRED)
    cap = Decimal(cap or 0)
    if cap > 0 and fee > cap:
        fee = q(cap)
    return max(fee, ZERO)


def ocr_reference(number: str | int) -> str:
    """OCR reference as Swedish banks check it (Bankgirot "hård kontroll"): the invoice number,
    a length digit (length of the whole reference incl. both digits, mod 10) and a Luhn check
    digit over everything before it."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if not digits:
        raise ValueError("an OCR reference needs digits")
    with_length = digits + str((len(digits) + 2) % 10)
    return with_length + luhn_digit(with_length)


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # the rightmost digit of the payload is doubled
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def ocr_valid(reference: str) -> bool:
    """Luhn check and length digit."""
    if not reference.isdigit() or len(reference) < 3:
        return False
    if luhn_digit(reference[:-1]) != reference[-1]:
        return False
    return int(reference[-2]) == len(reference) % 10
