"""Validation and normalisation of identifiers: organisation and personal identity numbers,
registration numbers, VINs, EANs, e-mail addresses. Each ``normalise_*`` returns the stored
form or raises DomainError with a user-readable message."""
import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from stdnum import ean as stdnum_ean
from stdnum.dk import cvr as dk_cvr
from stdnum.ee import registrikood as ee_registrikood
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.is_ import kennitala as is_kennitala
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr, personnummer
from stdnum.us import ein as us_ein
from stdnum.util import get_cc_module

from services import DomainError


def _blank(value: str | None) -> bool:
    return value is None or not str(value).strip()


HOME_COUNTRY = "SE"
# organisation numbers checked by the customer's country (python-stdnum); the stored form is
# the compact one and fits the 10 characters of the column
ORG_NUMBERS = {"SE": orgnr, "NO": no_orgnr, "DK": dk_cvr, "FI": fi_ytunnus, "EE": ee_registrikood,
               "IS": is_kennitala, "US": us_ein}
# any other country: letters and digits as the register gives them
FOREIGN_ORG_NUMBER = re.compile(r"^[0-9A-Z]{1,10}$")
EU_VAT_PREFIX = {"GR": "EL"}


def _country(country_code: str | None) -> str:
    return (country_code or HOME_COUNTRY).strip().upper()


def normalise_org_number(value: str | None, country_code: str | None = HOME_COUNTRY,
                         field: str = "org_number") -> str | None:
    """Organisation number of the customer's country (Swedish 556036-0793, Norwegian
    995 525 828, Danish CVR, ...) with or without dash and spaces -> the compact form."""
    if _blank(value):
        return None
    country = _country(country_code)
    module = ORG_NUMBERS.get(country)
    try:
        if module is not None:
            number = module.validate(str(value).strip())
            return re.sub(r"\W", "", number)
        number = re.sub(r"[\s./-]", "", str(value)).upper()
        if FOREIGN_ORG_NUMBER.match(number):
            return number
    except StdnumError:
        pass
    raise DomainError(str(_l("Invalid organisation number: %(v)s", v=value)), field)


def format_org_number(value: str, country_code: str | None = None) -> str:
    if not value:
        return ""
    module = ORG_NUMBERS.get(_country(country_code)) if country_code else None
    if module is not None and hasattr(module, "format"):
        try:
            return module.format(value)
        except Exception:  # a number stored before its country was checked
            return value
    return orgnr.format(value) if len(value) == 10 and value.isdigit() else value


def vat_prefix(country_code: str | None) -> str:
    country = _country(country_code)
    return EU_VAT_PREFIX.get(country, country)


def normalise_vat_number(value: str | None, country_code: str | None = HOME_COUNTRY, eu_member: bool = True,
                         field: str = "vat_number") -> str | None:
    """VAT number checked by the customer's country: an EU member's number with the
    country's prefix (EL for Greece), another country's by its own rules (Norwegian
    MVA, Swiss MWST, British VAT, ...). Stored compact, always with the country prefix
    (EN 16931 BR-CO-09)."""
    if _blank(value):
        return None
    country = _country(country_code)
    prefix = vat_prefix(country)
    raw = re.sub(r"[\s.-]", "", str(value)).upper()
    try:
        if eu_member:
            number = eu_vat.validate(raw if raw[:2].isalpha() else prefix + raw)
            if number[:2] != prefix:
                raise DomainError(str(_l("A VAT number of %(c)s begins with %(p)s.", c=country, p=prefix)), field)
            return number
        module = get_cc_module(country.lower(), "vat")
        if module is None:
            if re.match(r"^[0-9A-Z]{2,20}$", raw):
                return raw if raw.startswith(prefix) else (prefix + raw)[:20]
            raise StdnumError()
        body = raw[len(prefix):] if raw.startswith(prefix) and not module.is_valid(raw) else raw
        number = module.validate(body)
        return number if number.startswith(prefix) else prefix + number
    except StdnumError:
        raise DomainError(str(_l("Invalid VAT number: %(v)s", v=value)), field) from None


# Peppol electronic address schemes (EAS code list): by organisation number where the country
# has a scheme for it, else by VAT number
ORG_NUMBER_EAS = {"SE": "0007", "NO": "0192", "DK": "0184", "EE": "0191", "IS": "0196", "US": "9959"}
VAT_EAS = {"HU": "9910", "AT": "9914", "ES": "9920", "AD": "9922", "AL": "9923", "BA": "9924", "BE": "9925",
           "BG": "9926", "CH": "9927", "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "GB": "9932",
           "GR": "9933", "HR": "9934", "IE": "9935", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939",
           "MC": "9940", "ME": "9941", "MK": "9942", "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946",
           "RO": "9947", "RS": "9948", "SI": "9949", "SK": "9950", "SM": "9951", "TR": "9952", "VA": "9953",
           "FR": "9957", "IT": "0211", "FI": "0213", "DK": "0184"}


def peppol_endpoint(country_code: str | None, org_number: str | None, vat_number: str | None) -> tuple[str, str] | None:
    """(scheme, identifier) of a party's Peppol address, or None when it has none: a private
    person, or a company with neither an organisation number nor a VAT number of a scheme."""
    country = _country(country_code)
    org = re.sub(r"\W", "", org_number or "")
    vat = re.sub(r"\W", "", vat_number or "").upper()
    if not org and country == "SE" and re.fullmatch(r"SE\d{10}01", vat):
        org = vat[2:12]  # a Swedish VAT number holds the organisation number
    if org and country in ORG_NUMBER_EAS and ORG_NUMBERS[country].is_valid(org):
        return ORG_NUMBER_EAS[country], org
    if vat and country in VAT_EAS:
        if country == "IT":
            return VAT_EAS[country], vat[2:] if vat.startswith("IT") else vat
        return VAT_EAS[country], vat
    return None


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
