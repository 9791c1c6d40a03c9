"""WTForms fields for typed numbers: text inputs read by services.platform.numbers (the one parser), never
<input type=number> (a browser set to English reads "199,50" its own way, or not at all)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale
from wtforms import StringField

from services import DomainError
from services.platform.numbers import parse_decimal


def _comma_locale() -> bool:
    try:
        locale = get_locale()
    except Exception:  # outside a request
        return True
    return locale is None or locale.language in ("sv", "de")


def shown(value: Decimal | int | None) -> str:
    """A stored number as it goes back into a text input: "1250,50" (Swedish, German) or
    "1250.50" (English), without grouping, so that the parser reads it back unchanged."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    return text.replace(".", ",") if _comma_locale() else text


class DecimalTextField(StringField):
    """A decimal typed into a text input: ``places`` decimals at most (more are refused, never
    rounded), ``precision`` digits in all, a sign only when ``signed``."""

    def __init__(self, label=None, validators=None, places: int = 2, precision: int | None = None,
                 signed: bool = False, **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        render_kw.setdefault("inputmode", "numeric" if places == 0 else "decimal")
        render_kw.setdefault("autocomplete", "off")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.places, self.precision, self.signed = places, precision, signed

    def _parse(self, text):
        return parse_decimal(text, self.places, label=self.label.text, field=self.name, signed=self.signed,
                             precision=self.precision)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = self._parse(valuelist[0])
        except DomainError as exc:
            self.data = None
            raise ValueError(exc.message) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal) and self.data.is_finite():
            # a money column shows its two decimals; a wider one (custom fields) what it holds
            exact = self.data.normalize() if self.places > 2 else self.data.quantize(Decimal(1).scaleb(-self.places))
            return shown(exact if exact == self.data else self.data)
        return shown(self.data)


class IntegerTextField(DecimalTextField):
    """A whole number typed into a text input ("12 000"; "12,5" and "1e3" are refused)."""

    def __init__(self, label=None, validators=None, precision: int | None = 12, signed: bool = False, **kwargs):
        kwargs.pop("places", None)
        super().__init__(label, validators, places=0, precision=precision, signed=signed, **kwargs)

    def _parse(self, text):
        value = super()._parse(text)
        return None if value is None else int(value)

    def _value(self):
        if not self.raw_data and isinstance(self.data, Decimal) and self.data == self.data.to_integral_value():
            return shown(int(self.data))
        return super()._value()
