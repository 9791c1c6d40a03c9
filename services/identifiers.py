"""Validation and normalisation of identifiers: organisation and personal identity numbers,
registration numbers, VINs, EANs, e-mail addresses. Each ``normalise_*`` returns the stored
form or raises DomainError with a user-readable message."""
import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from stdnum import ean as stdnum_ean
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr, personnummer

from services import DomainError


def _blank(value: str | None) -> bool:
    return value is None or not str(value).strip()


def normalise_org_number(value: str | None, field: str = "org_number") -> str | None:
    """Organisationsnummer with or without dash -> 10 digits."""
    if _blank(value):
        return None
    try:
        return orgnr.validate(str(value).strip())
    except StdnumError:
        raise DomainError(str(_l("Invalid organisation number: %(v)s", v=value)), field)


def format_org_number(value: str) -> str:
    return orgnr.format(value) if value else ""


def normalise_personal_number(value: str | None, field: str = "personal_number") -> str | None:
    """Personnummer in any usual form (YYMMDD-NNNN, YYYYMMDDNNNN, ...) -> 12 digits."""
    if _blank(value):
        return None
    try:
        number = personnummer.validate(str(value).strip())
        birth = personnummer.get_birth_date(number)
    except StdnumError:
        raise DomainError(str(_l("Invalid personal identity number: %(v)s", v=value)), field)
    return birth.strftime("%Y%m%d") + re.sub(r"\D", "", number)[-4:]


def format_personal_number(value: str) -> str:
    return f"{value[:8]}-{value[8:]}" if value and len(value) == 12 else (value or "")


# Transportstyrelsen: letters I, Q and V are not used; O not as the last character
SWEDISH_REGISTRATION = re.compile(r"^[A-HJ-PR-UW-Z]{3}[0-9]{2}[0-9A-HJ-NPR-UW-Z]$")
FOREIGN_REGISTRATION = re.compile(r"^[A-Z0-9-]{1,15}$")


def normalise_registration_number(
    value: str | None, country_code: str | None = "SE", field: str = "registration_number"
) -> str:
    """Upper case without spaces; Swedish ABC123 / ABC12D checked, others loosely."""
    if _blank(value):
        raise DomainError(str(_l("Registration number is required.")), field)
    reg = re.sub(r"[\s-]", "", str(value)).upper() if (country_code or "SE") == "SE" else re.sub(
        r"\s", "", str(value)
    ).upper()
    if (country_code or "SE") == "SE":
        if not SWEDISH_REGISTRATION.match(reg):
            raise DomainError(
                str(_l("%(v)s is not a Swedish registration number (ABC123 or ABC12D).", v=value)),
                field,
            )
    elif not FOREIGN_REGISTRATION.match(reg):
        raise DomainError(str(_l("Invalid registration number: %(v)s", v=value)), field)
    return reg


VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def normalise_vin(value: str | None, field: str = "vin") -> str | None:
    """Vehicle identification number: 17 characters, never I, O or Q."""
    if _blank(value):
        return None
    vin = re.sub(r"\s", "", str(value)).upper()
    if len(vin) != 17:
        raise DomainError(str(_l("A VIN has 17 characters, this has %(n)s.", n=len(vin))), field)
    if not VIN.match(vin):
        raise DomainError(str(_l("A VIN never contains I, O or Q.")), field)
    return vin


def normalise_ean(value: str | None, field: str = "ean") -> str | None:
    if _blank(value):
        return None
    try:
        return stdnum_ean.validate(str(value).strip())
    except StdnumError:
        raise DomainError(str(_l("Invalid EAN code: %(v)s", v=value)), field)


def normalise_email(value: str | None, field: str = "email") -> str | None:
    if _blank(value):
        return None
    try:
        return validate_email(str(value).strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise DomainError(str(_l("Invalid e-mail address: %(v)s", v=value)), field, str(value))


def normalise_phone(value: str | None) -> str | None:
    if _blank(value):
        return None
    return re.sub(r"\s+", " ", str(value).strip())
