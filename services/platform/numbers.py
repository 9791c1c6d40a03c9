"""The one parser for every number a user types (quantities, prices, percentages, discounts,
amounts, odometer readings, hourly rates, settings, custom fields).

Accepted: plain digits with a Swedish decimal comma or a point ("199,50", "199.50", ",5"),
spaces, non-breaking spaces (U+00A0) or narrow non-breaking spaces (U+202F) as thousands
separators in groups of three ("1 250,50", as Babel writes it), a leading sign only where the
field allows one ("-", "+" or the minus sign U+2212). Refused, with a message naming the field:
exponents ("1e3"), "Infinity", "NaN", letters and units, two separators ("1.250,50"), badly
grouped digits ("12 50"), and more decimals than the field holds ("0,333" for a field of two
decimals is refused, never rounded to 0,33). A blank is None unless the field is required.
"""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

from services import DomainError

# the spaces a user (or a number copied from a page Babel formatted) puts between thousands
SPACES = " \u00a0\u202f\u2009"
MINUS = "-\u2212"
_NUMBER = re.compile(r"(?P<int>[0-9]{1,3}(?: [0-9]{3})+|[0-9]*)(?:[.,](?P<frac>[0-9]*))?")


def parse_decimal(text, places: int = 2, *, label, field: str | None = None, required: bool = False,
                  signed: bool = False, precision: int | None = None, minimum: Decimal | int | None = None,
                  maximum: Decimal | int | None = None, example: str | None = None) -> Decimal | None:
    """The Decimal the user typed in ``text``, or DomainError(message, ``field``).

    ``places``: the decimals the field holds (more are refused); ``precision``: the digits it
    holds in all (a NUMERIC(12, 2) column: 12), so that no value overflows the column;
    ``signed``: a sign is allowed (else a negative number is refused); ``label``: the field as
    it starts a sentence ("The quantity"); ``example``: a value the refusal shows when 12 000 or
    1 250,50 would be odd ("30" days). A blank gives None, or a refusal when ``required``."""
    def not_a_number():
        if places == 0 and example:
            return DomainError(_("%(l)s must be a whole number, e.g. %(e)s.", l=label, e=example), field)
        if places == 0:
            return DomainError(_("%(l)s must be a whole number, e.g. 12 000.", l=label), field)
        return DomainError(_("%(l)s must be a number, e.g. 1 250,50.", l=label), field)

    if text is None or (isinstance(text, str) and not text.strip(SPACES + "\t\r\n")):
        if required:
            raise DomainError(_("%(l)s is required.", l=label), field)
        return None
    if isinstance(text, bool) or isinstance(text, float):
        # a float is never a user's input here: it would bring binary rounding with it
        raise not_a_number()
    if isinstance(text, (int, Decimal)):
        value = Decimal(text)
        if not value.is_finite():
            raise not_a_number()
        typed_places = max(0, -value.normalize().as_tuple().exponent)
        negative = value < 0
    else:
        raw = str(text).strip(SPACES + "\t\r\n")
        negative = False
        if raw[:1] in MINUS or raw[:1] == "+":
            negative = raw[:1] in MINUS
            raw = raw[1:].lstrip(SPACES)
            if negative and not signed:
                raise DomainError(_("%(l)s cannot be negative.", l=label), field)
        grouped = re.sub(f"[{SPACES}]", " ", raw)
        match = _NUMBER.fullmatch(grouped)
        if match is None or not (match["int"] or match["frac"]):
            if re.fullmatch(r"[0-9 ]+(?:[.,][0-9]*)?", grouped):
                raise DomainError(_("%(l)s: put spaces only between groups of three digits, e.g. 1 250,50.",
                                    l=label), field)
            raise not_a_number()
        digits = (match["int"] or "0").replace(" ", "")
        fraction = match["frac"] or ""
        typed_places = len(fraction)
        value = Decimal(f"{'-' if negative else ''}{digits}.{fraction or '0'}")
    if typed_places > places:
        if places == 0:
            raise not_a_number()
        raise DomainError(_("%(l)s takes at most %(n)s decimals; nothing was rounded.", l=label, n=places), field)
    if negative and not signed and value != 0:
        raise DomainError(_("%(l)s cannot be negative.", l=label), field)
    value = value.quantize(Decimal(1).scaleb(-places))
    if precision is not None and abs(value) >= Decimal(10) ** (precision - places):
        raise DomainError(_("%(l)s is too large.", l=label), field)
    if minimum is not None and value < minimum:
        raise DomainError(_("%(l)s must be at least %(m)s.", l=label, m=minimum), field)
    if maximum is not None and value > maximum:
        raise DomainError(_("%(l)s must be at most %(m)s.", l=label, m=maximum), field)
    return value


def parse_int(text, *, label, field: str | None = None, required: bool = False, signed: bool = False,
              minimum: int | None = None, maximum: int | None = None, digits: int = 12,
              example: str | None = None) -> int | None:
    """A whole number typed by the user (odometer readings, days, kilometres, positions): the
    rules of parse_decimal with no decimals ("12 000" is 12000; "12,5" and "1e3" are refused)."""
    value = parse_decimal(text, 0, label=label, field=field, required=required, signed=signed,
                          precision=digits, minimum=minimum, maximum=maximum, example=example)
    return None if value is None else int(value)
