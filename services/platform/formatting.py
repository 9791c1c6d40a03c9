"""Presentation of money and dates in the user's locale (Babel): 1 250,00 kr, 2026-11-22."""
import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from flask_babel import get_locale, to_user_timezone

LOCALES = {"sv": "sv_SE", "de": "de_DE", "en": "en_GB"}


def _locale() -> str:
    try:
        return LOCALES.get(str(get_locale()), "sv_SE")
    except Exception:
        return "sv_SE"


def money(value, currency: str = "SEK", locale: str | None = None) -> str:
    """1 250,00 kr (sv_SE), with non-breaking spaces as Babel writes them."""
    if value is None or value == "":
        return ""
    loc = locale or _locale()
    if currency == "SEK":
        # kronor are written "kr" after the amount in every language of the UI
        return format_decimal(Decimal(value), format="#,##0.00", locale=loc) + "\xa0kr"
    return format_currency(Decimal(value), currency, locale=loc)


def number(value, places: int = 2, locale: str | None = None) -> str:
    if value is None:
        return ""
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(Decimal(value), format=pattern, locale=locale or _locale())


def date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def list_money(view, context, model, name):
    return money(getattr(model, name))


def list_date(view, context, model, name):
    return date(getattr(model, name))


def stamp(value) -> str:
    """A moment stored in UTC (created_at, history, uploads) in the installation's time zone
    (BABEL_DEFAULT_TIMEZONE, Europe/Stockholm): 2026-11-30 14:02. Booking times are stored as
    the wall-clock time they were planned for and use ``date``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_user_timezone(value).replace(tzinfo=None)
    return date(value)


def clock(value) -> str:
    """The local hour and minute of a moment stored in UTC (a lockout's end): 13:15."""
    if value is None:
        return ""
    return to_user_timezone(value).strftime("%H:%M")
