"""Import and export of company and private customers (reference 002, "Importera/exportera
företagskunder / privatkunder").

The layout (the columns of the XLSX template, of an export and of an import) follows the
configuration: the fields active for the kind, then the custom fields. The template and the
export carry the column labels in the user's language (the technical key in each header's
comment), drop-down lists for the choice columns and a sheet that explains each column; the
reader accepts the labels of every UI language and the keys alike, and choice values as
labels or codes, so an export comes back in unchanged.

A file is first read and checked row by row (every error with its row and column), then
imported in one transaction: nothing, the valid rows only, or with ``update`` existing
customers matched by customer number. On update only the columns in the file are touched,
and a row that changes nothing writes nothing (no history). Identifier rules are those of
services.registers.customers and services.registers.identifiers."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session, selectinload

from models import (
    AuditLog,
    CompanyType,
    Country,
    Customer,
    CustomerLevel,
    CustomFieldValue,
    DiscountLetter,
    District,
    PaymentTerm,
    Source,
    Tag,
    utcnow,
)
from services import DomainError
from services.registers import register_config as rc
from services.registers.customers import next_customer_number, validate_customer_number
from services.registers.identifiers import (
    format_org_number,
    format_personal_number,
    normalise_email,
    normalise_org_number,
    normalise_personal_number,
    normalise_phone,
    normalise_vat_number,
)
from services.registers.references import CUSTOMER_KIND_LABELS, CUSTOMER_LABELS, LANGUAGE_NAMES

MAX_BYTES = 10 * 1024 * 1024
LANGUAGES = tuple(LANGUAGE_NAMES)
SHEET_LABELS = {"company": _l("Company customers"), "private": _l("Private customers")}
HELP_SHEET = _l("Columns")
LISTS_SHEET = _l("Lists")  # hidden: the values of the drop-down lists

# column -> the configured field it belongs to (None: always in the layout)
BASE_COLUMNS: list[tuple[str, str | None]] = [
    ("customer_number", None), ("kind", None), ("name", None), ("org_number", "org_number"),
    ("personal_number", "personal_number"), ("customer_type", "customer_type"), ("vat_number", "vat_number"),
    ("email", "email"), ("phone", "phone"), ("language", "language"), ("country", "country"),
    ("visiting_street", "visiting_address"), ("visiting_postal_code", "visiting_address"),
    ("visiting_city", "visiting_address"), ("billing_street", "billing_address"),
    ("billing_postal_code", "billing_address"), ("billing_city", "billing_address"),
    ("postal_street", "postal_address"), ("postal_postal_code", "postal_address"), ("postal_city", "postal_address"),
    ("district", "district"), ("customer_level", "customer_level"), ("source", "source"),
    ("company_type", "company_type"), ("payment_term", "payment_term"), ("discount_letter", "discount_letter"),
    ("tags", "tags"), ("internal_comment", "internal_comment"), ("active", None),
]
LOOKUPS = {"district": District, "customer_level": CustomerLevel, "source": Source, "company_type": CompanyType,
           "payment_term": PaymentTerm, "discount_letter": DiscountLetter}
ADDRESS_KINDS = ("visiting", "billing", "postal")
ADDRESS_PARTS = ("street", "postal_code", "city")

# the form's labels say "Street" three times; a column header must say which address
COLUMN_LABELS = {
    "visiting_street": _l("Visiting address: street"), "visiting_postal_code": _l("Visiting address: postal code"),
    "visiting_city": _l("Visiting address: city"), "billing_street": _l("Billing address: street"),
    "billing_postal_code": _l("Billing address: postal code"), "billing_city": _l("Billing address: city"),
    "postal_street": _l("Postal address: street"), "postal_postal_code": _l("Postal address: postal code"),
    "postal_city": _l("Postal address: city"), "internal_comment": _l("Internal comment"),
}
# what the help sheet says about a column (custom fields: by their type)
COLUMN_HINTS = {
    "customer_number": _l("Leave blank to get the next free number. With \"update\" the number finds the customer "
                          "to change."),
    "kind": _l("Company or private person; may be left blank on the sheet of one kind."),
    "name": _l("The company's or the person's name."),
    "org_number": _l("Organisation number of the customer's country, e.g. 556036-0793; it is checked."),
    "personal_number": _l("Personal identity number, e.g. 19811218-9876; it is checked."),
    "customer_type": _l("Blank: regular customer."),
    "vat_number": _l("VAT number with the country prefix, e.g. SE556036079301."),
    "email": _l("One e-mail address."),
    "phone": _l("Phone number as it should be shown."),
    "language": _l("Language of the customer's documents and messages. Blank: Svenska."),
    "country": _l("Country name or ISO code (SE). Blank: Sweden."),
    "district": _l("A name from the list (the register's settings)."),
    "customer_level": _l("A name from the list (the register's settings)."),
    "source": _l("A name from the list (the register's settings)."),
    "company_type": _l("A name from the list (the register's settings)."),
    "payment_term": _l("A name from the list (the register's settings)."),
    "discount_letter": _l("A name from the list (the register's settings)."),
    "tags": _l("Names of existing tags, separated by commas."),
    "internal_comment": _l("Never shown to the customer."),
    "active": _l("Yes or No. Blank: yes for a new customer, unchanged on update."),
}
ADDRESS_HINTS = {"street": _l("Street and number."), "postal_code": _l("Postal code, e.g. 123 45."),
                 "city": _l("City.")}
TYPE_HINTS = {
    "text": _l("Text, at most 500 characters."), "long_text": _l("Text."), "number": _l("A whole number."),
    "decimal": _l("A number; comma or point before the decimals."), "date": _l("A date, YYYY-MM-DD."),
    "bool": _l("Yes or No. A blank cell stays blank."), "choice": _l("One value from the list."),
    "multi_choice": _l("Values from the list, separated by commas."),
}
# the example row of the template; a row still equal to it in these columns is not imported
EXAMPLE = {
    "company": {"name": "Exempelbolaget AB", "org_number": "556036-0793", "vat_number": "SE556036079301",
                "email": "info@exempelbolaget.se", "phone": "08-123 456 78", "visiting_street": "Storgatan 1",
                "visiting_postal_code": "111 22", "visiting_city": "Stockholm"},
    "private": {"name": "Eva Exempel", "personal_number": "19811218-9876", "email": "eva.exempel@exempel.se",
                "phone": "070-123 45 67", "visiting_street": "Lillgatan 2", "visiting_postal_code": "903 25",
                "visiting_city": "Umeå"},
}


def layout(config: rc.RegisterConfig, kind: str) -> list[str]:
    """The columns of the template and export of one customer kind."""
    cols = [c for c, key in BASE_COLUMNS if key is None or config.active("customer", kind, key)]
    return cols + [f.name for f in config.fields_for("customer", kind)]


def _language() -> str:
    try:
        lang = str(get_locale() or "sv")[:2]
    except Exception:
        lang = "sv"
    return lang if lang in LANGUAGES else "sv"


def column_label(config: rc.RegisterConfig, key: str, language: str | None = None) -> str:
    """The header of a column in the current (or the given) UI language."""
    if key.startswith("cf_"):
        f = config.field_by_name("customer", key)
        return f.label(language or _language()) if f else key
    return str(COLUMN_LABELS.get(key) or rc.field_label(key))


def column_labels(config: rc.RegisterConfig) -> dict[str, str]:
    """{key: header} of every column (built-in and custom) in the current language."""
    keys = [c for c, _k in BASE_COLUMNS] + [f.name for f in config.fields_of("customer")]
    return {k: column_label(config, k) for k in keys}


def sheet_names() -> dict[str, str]:
    """{kind: the title of its sheet} in the current language."""
    return {k: str(v) for k, v in SHEET_LABELS.items()}


def _fold(value) -> str:
    return re.sub(r"\s+", " ", str(value if value is not None else "")).strip().casefold()


def _in_every_language(func) -> list:
    out = []
    for lang in LANGUAGES:
        with force_locale(lang):
            out.append(func(lang))
    return out


def _headers(config: rc.RegisterConfig | None) -> dict[str, str]:
    """folded header text -> column key: the keys, then the labels of every UI language; the
    customer list's export names two columns of its own (identity, city)."""
    custom = config.fields_of("customer") if config else []
    keys = [c for c, _k in BASE_COLUMNS]
    out = {k: k for k in keys} | {f.name: f.name for f in custom}
    for lang_map in _in_every_language(lambda lang: [
            *((column_label(config or rc.RegisterConfig(), k, lang), k) for k in keys),
            *((CUSTOMER_LABELS[k], k) for k in keys if k in CUSTOMER_LABELS and k not in COLUMN_LABELS),
            *((CUSTOMER_LABELS[k], k) for k in ("internal_comment",)),
            (CUSTOMER_LABELS["identity"], "identity"), (CUSTOMER_LABELS["city"], "visiting_city"),
            *((f.label(lang), f.name) for f in custom)]):
        for label, key in lang_map:
            out.setdefault(_fold(label), key)
    return out


def _sheet_kinds() -> dict[str, str]:
    out = {k: k for k in rc.KINDS}
    for pairs in _in_every_language(lambda lang: [(str(v), k) for k, v in SHEET_LABELS.items()]):
        out.update({_fold(label): key for label, key in pairs})
    return out


def _words(*pairs) -> dict[str, str]:
    """folded label or code -> code, for labels in every UI language."""
    out: dict[str, str] = {}
    for code, label in pairs:
        out[_fold(code)] = code
        for text in _in_every_language(lambda lang, label=label: str(label)):
            out.setdefault(_fold(text), code)
    return out


def yes_no(value) -> bool | None:
    """True or False of a yes/no cell (Ja/Nej/Yes/No/1/0/true/false, a real boolean); None
    when the cell says something else."""
    if isinstance(value, bool):
        return value
    word = _fold(value)
    if word in rc.TRUE_WORDS:
        return True
    if word and word in rc.FALSE_WORDS:  # a blank cell stays blank
        return False
    return None


# --- reading ----------------------------------------------------------------------------------

@dataclass
class Row:
    sheet: str
    number: int  # the row number in the file (1 is the header)
    values: dict
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    kind: str = ""
    existing_id: int | None = None
    prepared: dict = field(default_factory=dict)
    changed: bool = True  # set by apply(): False when the row changed nothing

    @property
    def ok(self) -> bool:
        return not self.errors


class FileRows(list):
    """The (sheet, row number, {column: value}) of a file, with what the reader noticed:
    ``unknown`` the headers it did not recognise (sheet, header), ``examples`` the template's
    example rows it left out."""

    def __init__(self, rows=(), unknown=(), examples=0):
        super().__init__(rows)
        self.unknown: list[tuple[str, str]] = list(unknown)
        self.examples = examples


def _cell(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _header_key(value, known: dict[str, str], loose: bool) -> str | None:
    """The column key of a header ('' for a blank header, None for an unknown one)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    match = re.search(r"\[([a-z0-9_]+)\]\s*$", text)  # "Label [key]" works as well as the key
    if match:
        text = match.group(1)
    folded = _fold(text)
    if folded in known:
        return known[folded]
    if loose and rc.KEY.match(folded):  # without the configuration: a key is taken as it is
        return folded
    return None


def _is_example(row: dict) -> bool:
    """The template's example row, still as written (its name and e-mail)."""
    return any(_fold(row.get("name")) == _fold(ex["name"]) and _fold(row.get("email")) == _fold(ex["email"])
               for ex in EXAMPLE.values())


def read_file(filename: str, data: bytes, default_kind: str | None = None,
              config: rc.RegisterConfig | None = None) -> FileRows:
    """(sheet, row number, {column: value}) of every non-empty row; refuses other formats,
    files over 10 MB and files without rows. With ``config`` the custom fields' labels are
    recognised and unknown headers reported; without it any key-like header is taken."""
    if len(data) > MAX_BYTES:
        raise DomainError(_("The file is larger than 10 MB."), "file")
    name = (filename or "").lower()
    known = _headers(config)
    loose = config is None
    out = FileRows()
    headers_seen = False

    def take(title: str, header, values_iter):
        nonlocal headers_seen
        keys = []
        for h in header:
            key = _header_key(h, known, loose)
            if key is None:
                if (title, str(h).strip()) not in out.unknown:
                    out.unknown.append((title, str(h).strip()))
                key = ""
            elif key and key in keys:
                key = ""  # a column twice: the first one counts
            keys.append(key)
        if any(keys) or out.unknown:
            headers_seen = True
        for number, values in enumerate(values_iter, start=2):
            values = list(values) + [None] * (len(keys) - len(values))
            row = {k: _cell(v) for k, v in zip(keys, values) if k}
            if not any(v is not None for v in row.values()):
                continue
            if name.endswith(".xlsx") and _is_example(row):
                out.examples += 1
                continue
            out.append((title, number, row))

    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise DomainError(_("The file is not a valid XLSX workbook."), "file")
        kinds = _sheet_kinds()
        skipped = {_fold(t) for t in _in_every_language(lambda lang: str(HELP_SHEET))} | \
                  {_fold(t) for t in _in_every_language(lambda lang: str(LISTS_SHEET))}
        try:
            for sheet in book.worksheets:
                if sheet.sheet_state != "visible" or _fold(sheet.title) in skipped:
                    continue  # the template's explanation and lists
                it = sheet.iter_rows(values_only=True)
                header = next(it, None)
                if not header or not any(h not in (None, "") for h in header):
                    continue
                take(kinds.get(_fold(sheet.title), default_kind or ""), header, it)
        finally:
            book.close()
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = next(reader, None) or []
        if any(h.strip() for h in header):
            take(default_kind or "", header, reader)
    else:
        raise DomainError(_("Choose an XLSX or CSV file."), "file")
    if not headers_seen:
        raise DomainError(_("The file is empty: it has no header row and no customers."), "file")
    if not out:
        raise DomainError(_("The file has a header row but no customers to import."), "file")
    return out


# --- checking ---------------------------------------------------------------------------------

class _Lookups:
    def __init__(self, session: Session):
        self.by_name = {}
        for key, model in LOOKUPS.items():
            self.by_name[key] = {_fold(r.name): r.id for r in session.scalars(select(model))}
        self.tags = {_fold(t.name): t.id for t in session.scalars(select(Tag))}
        countries = list(session.scalars(select(Country)))
        self.countries = {c.code.upper(): c.code for c in countries}
        self.countries.update({_fold(c.name): c.code for c in countries})
        self.eu_members = {c.code for c in countries if c.eu_member}
        self.kinds = _words(*CUSTOMER_KIND_LABELS.items()) | {
            "företag": "company", "foretag": "company", "privat": "private", "firma": "company", "person": "private"}
        self.types = _words(*rc.CUSTOMER_TYPE_LABELS.items())
        self.languages = {**{k: k for k in LANGUAGE_NAMES}, **{_fold(v): k for k, v in LANGUAGE_NAMES.items()}}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_custom(f: rc.FieldDef, raw):
    """A custom field's value from a cell: yes/no in any language (blank stays blank, it is not
    "No"), choices by any case; the rest as the form parses it."""
    if f.field_type == "bool":
        if _blank(raw):
            return rc.parse_value(f, None) if f.required else None
        answer = yes_no(raw)
        return rc.parse_value(f, raw if answer is None else answer)
    if f.field_type in ("choice", "multi_choice") and not _blank(raw):
        by_fold = {_fold(c): c for c in f.choices}
        parts = [str(raw)] if f.field_type == "choice" else re.split(r"[,;|]", str(raw))
        raw = ", ".join(by_fold.get(_fold(p), p.strip()) for p in parts if p.strip())
    return rc.parse_value(f, raw)


def check_rows(session: Session, config: rc.RegisterConfig, settings: dict, rows: list[tuple[str, int, dict]],
               update: bool = False, default_kind: str | None = None) -> list[Row]:
    """Check every row; each error names its row and column. Nothing is written. A row that
    updates a customer prepares only the columns the file has."""
    lookups = _Lookups(session)
    min_len = int(settings["customer.number_min_length"])
    max_len = int(settings["customer.number_max_length"])
    numbers_in_file: dict[str, int] = {}
    results = [Row(sheet, number, values) for sheet, number, values in rows]
    typed_numbers = [str(r.values.get("customer_number")).strip() for r in results
                     if r.values.get("customer_number") not in (None, "")]
    existing: dict[str, tuple[int, str, str | None]] = {}
    for start in range(0, len(typed_numbers), 900):
        chunk = typed_numbers[start:start + 900]
        for cid, number, kind, country in session.execute(
                select(Customer.id, Customer.customer_number, Customer.kind, Customer.country_code)
                .where(Customer.customer_number.in_(chunk))):
            existing[number] = (cid, kind, country)
    custom = config.fields_of("customer")
    for row in results:
        v = dict(row.values)
        p, err = row.prepared, row.errors
        raw_kind = v.get("kind") or row.sheet or default_kind or ""
        kind = lookups.kinds.get(_fold(raw_kind), _fold(raw_kind))
        if kind not in rc.KINDS:
            err.append(("kind", _("Kind must be one of: %(kinds)s.",
                                  kinds=", ".join(str(CUSTOMER_KIND_LABELS[k]) for k in rc.KINDS))))
            continue
        row.kind = kind
        if "identity" in v:  # the customer list's export: one column for both numbers
            v.setdefault("org_number" if kind == "company" else "personal_number", v.pop("identity"))
        number = str(v.get("customer_number") or "").strip()
        home_country = None
        if number:
            try:
                number = validate_customer_number(number, min_len, max_len)
            except DomainError as exc:
                err.append(("customer_number", exc.message))
            if number in numbers_in_file:
                err.append(("customer_number", _("Customer number %(n)s appears twice in the file (row %(r)s).",
                                                 n=number, r=numbers_in_file[number])))
            numbers_in_file.setdefault(number, row.number)
            if number in existing:
                if update:
                    row.existing_id, other_kind, home_country = existing[number]
                    if other_kind != kind:
                        err.append(("kind", _("Customer %(n)s is of the other kind.", n=number)))
                else:
                    err.append(("customer_number", _("Customer number %(n)s is already in use.", n=number)))
        elif not settings["customer.generate_number"]:
            err.append(("customer_number", _("A customer number is required.")))
        p["customer_number"] = number
        updating = row.existing_id is not None

        def active(key):
            return config.active("customer", kind, key)

        def given(*columns):
            """A new customer takes every column (blank ones as blank); an update only those in the file."""
            return not updating or any(c in v for c in columns)

        def attempt(column, func):
            try:
                return func()
            except DomainError as exc:
                err.append((column, exc.message))
                return None

        def choice(column, words, default, message):
            raw = v.get(column)
            if _blank(raw):
                if not updating:  # an update keeps what the customer has
                    p[column] = default
                return
            code = words.get(_fold(raw))
            if code is None:
                err.append((column, message(raw)))
            p[column] = code

        if given("name"):
            name = str(v.get("name") or "").strip()
            if not name:
                err.append(("name", _("A name is required.")))
            p["name"] = name[:200]
        if active("country") and given("country"):
            country = v.get("country")
            if _blank(country):
                if not updating:
                    p["country_code"] = "SE"
            else:
                code = lookups.countries.get(str(country).strip().upper()) or lookups.countries.get(_fold(country))
                if code is None:
                    err.append(("country", _("Unknown country: %(c)s", c=country)))
                p["country_code"] = code
        # identifiers are checked by the customer's country
        home = p.get("country_code") or home_country or "SE"
        if kind == "company" and active("org_number") and given("org_number"):
            p["org_number"] = attempt("org_number", lambda: normalise_org_number(v.get("org_number"), home))
        if kind == "private" and active("personal_number") and given("personal_number"):
            p["personal_number"] = attempt("personal_number",
                                           lambda: normalise_personal_number(v.get("personal_number")))
        if active("vat_number") and given("vat_number"):
            eu = home in lookups.eu_members or home == "SE"
            p["vat_number"] = attempt("vat_number", lambda: normalise_vat_number(str(v["vat_number"]), home, eu)) \
                if v.get("vat_number") else None
        if active("email") and given("email"):
            p["email"] = attempt("email", lambda: normalise_email(v.get("email") and str(v["email"])))
        if active("phone") and given("phone"):
            p["phone"] = normalise_phone(v.get("phone") and str(v["phone"]))
        if active("customer_type") and given("customer_type"):
            choice("customer_type", lookups.types, "regular",
                   lambda raw: _("Unknown customer type: %(t)s", t=raw))
        if active("language") and given("language"):
            choice("language", lookups.languages, "sv", lambda raw: _("Language must be sv, de or en."))
        for key in LOOKUPS:
            if not active(key) or not given(key):
                continue
            value = v.get(key)
            if _blank(value):
                p[f"{key}_id"] = None
                continue
            found = lookups.by_name[key].get(_fold(value))
            if found is None:
                err.append((key, _("Unknown %(what)s: %(v)s", what=str(rc.field_label(key)).lower(), v=value)))
            p[f"{key}_id"] = found
        if active("tags") and given("tags"):
            names = [t.strip() for t in str(v.get("tags") or "").split(",") if t.strip()]
            unknown = [t for t in names if _fold(t) not in lookups.tags]
            if unknown:
                err.append(("tags", _("Unknown tag: %(t)s", t=", ".join(unknown))))
            p["tag_ids"] = sorted({lookups.tags[_fold(t)] for t in names if _fold(t) in lookups.tags})
        if active("internal_comment") and given("internal_comment"):
            p["internal_comment"] = v.get("internal_comment") and str(v["internal_comment"])
        if given("active"):
            raw = v.get("active")
            if _blank(raw):
                if not updating:
                    p["active"] = True
            elif (answer := yes_no(raw)) is None:
                err.append(("active", _("Write yes or no (or 1 or 0).")))
            else:
                p["active"] = answer
        for kind_ in ADDRESS_KINDS:
            columns = [f"{kind_}_{part}" for part in ADDRESS_PARTS]
            if active(f"{kind_}_address") and given(*columns):
                # None: the part is not in the file and stays as it is
                p[f"{kind_}_address"] = tuple(str(v.get(c) or "").strip() if c in v or not updating else None
                                              for c in columns)
        # required fields of the configuration
        for key, names in rc.CUSTOMER_FIELDS.items():
            if not config.required("customer", kind, key) or not given(*names):
                continue
            if key.endswith("_address"):
                blank = [n for n in names if (n in v or not updating) and not str(v.get(n) or "").strip()]
                if blank:
                    err.append((blank[0], _("%(f)s is required.", f=rc.field_label(key))))
            elif key in ("contacts", "assigned_technicians"):
                continue  # not part of the import layout
            elif _blank(v.get(key)):
                err.append((key, _("%(f)s is required.", f=rc.field_label(key))))
        typed = {}
        for f in custom:
            if not given(f.name) or not f.applies_to(kind):
                continue  # not in the file, or a field for the other customer kind (FieldDef.kinds)
            try:
                typed[f.name] = parse_custom(f, v.get(f.name))
            except DomainError as exc:
                err.append((f.name, exc.message))
        p["custom"] = typed
    return results


def error_summary(config: rc.RegisterConfig, results: list[Row]) -> list[dict]:
    """Per column: its header, how many rows have an error in it, the first message and the
    first rows (sheet, row number); the column with the most errors first."""
    labels = column_labels(config)
    summary: dict[str, dict] = {}
    for row in results:
        for column in dict.fromkeys(c for c, _m in row.errors):
            message = next(m for c, m in row.errors if c == column)
            entry = summary.setdefault(column, {"column": column, "label": labels.get(column, column),
                                                "count": 0, "message": message, "rows": []})
            entry["count"] += 1
            if len(entry["rows"]) < 10:
                entry["rows"].append((row.sheet, row.number))
    return sorted(summary.values(), key=lambda e: (-e["count"], e["label"]))


# --- writing ----------------------------------------------------------------------------------

def _same(a, b) -> bool:
    """A blank text and no value are the same (an export writes both as an empty cell)."""
    return (None if a == "" else a) == (None if b == "" else b)


def _same_custom(f: rc.FieldDef, old, new) -> bool:
    if f.field_type == "decimal" and old is not None and new is not None:
        return Decimal(old) == Decimal(new)  # 1,50 is 1,5
    return rc.display(f, old) == rc.display(f, new)


def apply(session: Session, config: rc.RegisterConfig, settings: dict, results: list[Row], valid_only: bool = False,
          update: bool = False, progress=None) -> dict:
    """Write the checked rows in the caller's transaction. With errors and not ``valid_only``,
    nothing is written (DomainError). A row that changes nothing is counted as unchanged and
    writes nothing. Returns counts."""
    bad = [r for r in results if not r.ok]
    if bad and not valid_only:
        raise DomainError(_("%(n)s rows have errors; nothing was imported.", n=len(bad)))
    good = [r for r in results if r.ok]
    min_len = int(settings["customer.number_min_length"])
    max_len = int(settings["customer.number_max_length"])
    created = updated = unchanged = 0
    existing_ids = [r.existing_id for r in good if r.existing_id]
    existing = {}
    for start in range(0, len(existing_ids), 900):
        for c in session.scalars(select(Customer).where(Customer.id.in_(existing_ids[start:start + 900]))
                                 .options(selectinload(Customer.addresses), selectinload(Customer.tags))):
            existing[c.id] = c
    before = rc.values_of(session, config, "customer", existing_ids)
    defs = {f.name: f for f in config.fields_of("customer")}
    tags = {t.id: t for t in session.scalars(select(Tag))}
    batch: list[tuple[Customer, Row, dict]] = []  # written by one flush at the end
    value_rows, log_rows = [], []
    user_id = session.info.get("user_id")

    def flush_batch():
        session.flush()
        for customer, row, custom in batch:
            if row.existing_id:
                if custom:
                    rc.set_values(session, config, "customer", customer.id, custom)
                continue
            for f in config.fields_of("customer"):
                value = custom.get(f.name)
                cols = rc._columns(f, value)
                if all(x is None for x in cols.values()):
                    continue
                value_rows.append(dict(field_id=f.id, entity="customer", record_id=customer.id, **cols))
                log_rows.append(dict(at=utcnow(), user_id=user_id, action="create", table_name="customer",
                                     record_id=str(customer.id), field=f.name, old_value=None,
                                     new_value=rc.display(f, value)))
        batch.clear()

    from services.registers.customers import set_address

    for i, row in enumerate(good, start=1):
        p = row.prepared
        changed = False
        custom = p["custom"]
        if row.existing_id:
            customer = existing[row.existing_id]
            old = before.get(customer.id, {})
            custom = {name: value for name, value in custom.items()
                      if not _same_custom(defs[name], old.get(name), value)}
            changed = bool(custom)
        else:
            customer = Customer(kind=row.kind)
            session.add(customer)
            number = p["customer_number"] or next_customer_number(session, min_len, max_len)
            customer.customer_number = number
            changed = True
        for key in ("name", "org_number", "personal_number", "vat_number", "email", "phone", "customer_type",
                    "language", "country_code", "internal_comment", "active", *(f"{k}_id" for k in LOOKUPS)):
            if key in p and not _same(getattr(customer, key), p[key]):
                setattr(customer, key, p[key])
                changed = True
        if "tag_ids" in p and sorted(t.id for t in customer.tags) != p["tag_ids"]:
            customer.tags = [tags[t] for t in p["tag_ids"]]
            changed = True
        for kind_ in ADDRESS_KINDS:
            if f"{kind_}_address" in p:
                current = customer.address(kind_)
                now = tuple((getattr(current, part) or "") if current else "" for part in ADDRESS_PARTS)
                wanted = tuple(now[i] if new is None else new for i, new in enumerate(p[f"{kind_}_address"]))
                if wanted != now:
                    set_address(customer, kind_, *wanted, street2=current.street2 if current else None,
                                country_code=current.country_code if current else None)
                    changed = True
        row.changed = changed
        if row.existing_id:
            updated += changed
            unchanged += not changed
        else:
            created += 1
        batch.append((customer, row, custom))
        if progress and i % 500 == 0:
            progress(i, len(good))
    # one flush after every row is built: the first INSERT takes SQLite's write lock until the
    # commit, so building rows between flushes made every other writer wait that much longer
    flush_batch()
    if value_rows:
        session.execute(insert(CustomFieldValue), value_rows)
    if log_rows:
        session.execute(insert(AuditLog), log_rows)
    if progress:
        progress(len(good), len(good))
    return {"created": created, "updated": updated, "unchanged": unchanged, "skipped": len(bad)}


def import_file(session: Session, config: rc.RegisterConfig, settings: dict, filename: str, data: bytes,
                update: bool = False, valid_only: bool = False, default_kind: str | None = None,
                progress=None) -> tuple[dict, list[Row]]:
    rows = read_file(filename, data, default_kind, config)
    results = check_rows(session, config, settings, rows, update, default_kind)
    counts = apply(session, config, settings, results, valid_only, update, progress)
    return counts, results


# --- the import as a job (services.platform.jobs): the check stays on the screen, the writing is a job ----

def start_import_job(session: Session, enqueue, user, upload_path: str, filename: str, update: bool,
                     valid_only: bool, default_kind: str | None, total: int | None = None):
    """Queue the import of a checked upload (``upload_path``: under FILES_DIR) as a job of ``user``."""
    from services.platform import jobs

    return jobs.submit(session, enqueue, "customer_import", user,
                       {"file": upload_path, "filename": filename, "update": bool(update),
                        "valid_only": bool(valid_only), "kind": default_kind}, total=total)


def _outcome_word(row: Row) -> str:
    if not row.ok:
        return _("skipped")
    if not row.existing_id:
        return _("created")
    return _("updated") if row.changed else _("unchanged")


def _import_job(session: Session, job):
    """The work of a customer import job: read, check and write the upload in the job's one
    transaction (all or nothing: a failure, a cancel or a killed consumer writes nothing); the
    result file lists every row with what became of it."""
    from services.platform import jobs
    from services.platform.settings import load_settings

    params = job.params
    path = jobs.files_dir() / params["file"]
    if not path.is_file():
        raise DomainError(_("The uploaded file is gone; upload it again."))
    config, settings = rc.current(session), load_settings(session)
    rows = read_file(params["filename"], path.read_bytes(), params.get("kind"), config)
    results = check_rows(session, config, settings, rows, params["update"], params.get("kind"))
    good = sum(r.ok for r in results)
    jobs.report_progress(job, 0, good)
    counts = apply(session, config, settings, results, params["valid_only"], params["update"],
                   progress=lambda done, total: jobs.report_progress(job, done, total))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Sheet"), _("Row"), _("Result"), _("Errors")])
    for row in results:
        writer.writerow([SHEET_LABELS[row.sheet] if row.sheet in SHEET_LABELS else row.sheet or "", row.number,
                         _outcome_word(row), "; ".join(f"{column_label(config, c)}: {m}" for c, m in row.errors)])
    result = jobs.job_dir(job.id, create=True) / "result.csv"
    result.write_text(out.getvalue(), encoding="utf-8-sig")  # Excel reads the BOM as UTF-8
    summary = _("Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, skipped: %(skipped)s",
                **counts)
    return jobs.Outcome(summary, result, f"customer-import-{job.id}.csv", remove=(path,))


def _declare_job() -> None:
    from services.platform import jobs

    jobs.handler("customer_import", label=lambda: _("Customer import"),
                 rights=lambda params: ["customer.create"] + (["customer.edit"] if params.get("update") else []))(
        _import_job)


_declare_job()


# --- template and export ------------------------------------------------------------------------

def _choice_lists(session: Session, config: rc.RegisterConfig) -> dict[str, list[str]]:
    """The values of each drop-down list (labels in the user's language, active entries)."""
    yes_no_words = [_("Yes"), _("No")]
    lists = {
        "kind": [str(label) for label in CUSTOMER_KIND_LABELS.values()],
        "customer_type": [str(label) for label in rc.CUSTOMER_TYPE_LABELS.values()],
        "language": list(LANGUAGE_NAMES.values()),
        "country": list(session.scalars(select(Country.name).where(Country.active.is_(True)).order_by(Country.name))),
        "active": yes_no_words,
    }
    for key, model in LOOKUPS.items():
        lists[key] = list(session.scalars(select(model.name).where(model.active.is_(True)).order_by(model.name)))
    for f in config.fields_of("customer"):
        if f.field_type == "bool":
            lists[f.name] = yes_no_words
        elif f.field_type == "choice":
            lists[f.name] = list(f.choices)
    return {k: v for k, v in lists.items() if v}


def _hint(config: rc.RegisterConfig, column: str) -> str:
    if column.startswith("cf_"):
        f = config.field_by_name("customer", column)
        return str(TYPE_HINTS.get(f.field_type, "")) if f else ""
    for kind in ADDRESS_KINDS:
        if column.startswith(kind + "_"):
            return str(ADDRESS_HINTS[column[len(kind) + 1:]])
    return str(COLUMN_HINTS.get(column, ""))


def _example(config: rc.RegisterConfig, kind: str, lists: dict[str, list[str]]) -> dict:
    values = dict(EXAMPLE[kind], kind=str(CUSTOMER_KIND_LABELS[kind]),
                  customer_type=str(rc.CUSTOMER_TYPE_LABELS["regular"]), language=LANGUAGE_NAMES["sv"],
                  active=_("Yes"))
    if "Sverige" in lists.get("country", []):
        values["country"] = "Sverige"
    samples = {"text": "Text", "long_text": "Text", "number": 3, "decimal": 1.5, "date": "2026-01-15",
               "bool": _("Yes")}
    for f in config.fields_of("customer"):
        values[f.name] = f.choices[0] if f.field_type in ("choice", "multi_choice") and f.choices \
            else samples.get(f.field_type)
    return values


def _export_value(customer: Customer, column: str, custom: dict, defs: dict, countries: dict):
    if column.startswith("cf_"):
        value = custom.get(column)
        f = defs.get(column)
        if f is not None and f.field_type == "bool":
            return None if value is None else (_("Yes") if value else _("No"))
        if isinstance(value, list):
            return ", ".join(value) or None
        if isinstance(value, Decimal):
            return float(value) if value == value.normalize() else str(value)
        return value
    if column == "kind":
        return str(CUSTOMER_KIND_LABELS.get(customer.kind, customer.kind))
    if column == "customer_type":
        ctype = customer.customer_type
        return str(rc.CUSTOMER_TYPE_LABELS.get(ctype, ctype)) if ctype else None
    if column == "language":
        return LANGUAGE_NAMES.get(customer.language, customer.language)
    if column == "org_number":
        return format_org_number(customer.org_number) if customer.org_number else None
    if column == "personal_number":
        return format_personal_number(customer.personal_number) if customer.personal_number else None
    if column == "country":
        return countries.get(customer.country_code, customer.country_code)
    if column in LOOKUPS:
        value = getattr(customer, column)
        return value.name if value is not None else None
    if column == "tags":
        return ", ".join(t.name for t in customer.tags) or None
    if column == "active":
        return _("Yes") if customer.active else _("No")
    for kind in ADDRESS_KINDS:
        if column.startswith(kind + "_"):
            address = customer.address(kind)
            return getattr(address, column[len(kind) + 1:]) if address else None
    return getattr(customer, column)


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
EXAMPLE_FONT = Font(italic=True, color="595959")


def write_workbook(session: Session, config: rc.RegisterConfig, kinds=rc.KINDS, with_data: bool = True,
                   where=None) -> bytes:
    """The XLSX template (one example row) or export: one sheet per kind with the column
    labels (the key in each header's comment) and drop-down lists for the choice columns, a
    sheet explaining each column and a hidden sheet with the lists' values. ``where`` narrows
    the customers exported (services.platform.visibility)."""
    book = Workbook(write_only=True)
    lists = _choice_lists(session, config)
    lists_title = str(LISTS_SHEET)
    list_columns = {key: get_column_letter(i) for i, key in enumerate(lists, start=1)}
    defs = {f.name: f for f in config.fields_of("customer")}
    countries = dict(session.execute(select(Country.code, Country.name)).all())
    labels = column_labels(config)
    # a custom field named like a built-in column gets its key in the header ("Label [cf_key]")
    taken = {_fold(labels[c]) for c, _k in BASE_COLUMNS}
    headers = {k: (f"{label} [{k}]" if k.startswith("cf_") and _fold(label) in taken else label)
               for k, label in labels.items()}
    for kind in kinds:
        sheet = book.create_sheet(str(SHEET_LABELS[kind]))
        columns = layout(config, kind)
        for i, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(headers[column]) + 4))
            if column in lists:
                letter, source = get_column_letter(i), list_columns[column]
                check = DataValidation(type="list", allow_blank=True,
                                       formula1=f"'{lists_title}'!${source}$2:${source}${len(lists[column]) + 1}")
                check.error = _("Choose a value from the list.")
                check.errorTitle = headers[column]
                check.add(f"{letter}2:{letter}1048576")
                sheet.data_validations.append(check)
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=headers[column])
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.comment = Comment(column, "Verkstad", width=200, height=40)
            header.append(cell)
        sheet.append(header)
        if not with_data:
            example = _example(config, kind, lists)
            row = []
            for column in columns:
                cell = WriteOnlyCell(sheet, value=example.get(column))
                cell.font = EXAMPLE_FONT
                row.append(cell)
            sheet.append(row)
            continue
        last_id = 0
        while True:
            customers = session.scalars(
                select(Customer).where(Customer.kind == kind, Customer.id > last_id, true() if where is None else where)
                .order_by(Customer.id).limit(1000)
                .options(selectinload(Customer.addresses), selectinload(Customer.tags))).all()
            if not customers:
                break
            values = rc.values_of(session, config, "customer", [c.id for c in customers])
            for c in customers:
                sheet.append([_export_value(c, col, values.get(c.id, {}), defs, countries) for col in columns])
            last_id = customers[-1].id
            for c in customers:  # keep memory flat on a big register
                session.expunge(c)
    from services.platform.settings import load_settings

    _help_sheet(book, config, kinds, headers, lists, bool(load_settings(session)["customer.generate_number"]))
    values_sheet = book.create_sheet(lists_title)
    values_sheet.sheet_state = "hidden"
    values_sheet.append([headers.get(k, k) for k in lists])
    for i in range(max((len(v) for v in lists.values()), default=0)):
        values_sheet.append([v[i] if i < len(v) else None for v in lists.values()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _help_sheet(book: Workbook, config: rc.RegisterConfig, kinds, headers: dict, lists: dict,
                numbers_generated: bool) -> None:
    sheet = book.create_sheet(str(HELP_SHEET))
    for letter, width in zip("ABCDEF", (34, 24, 22, 14, 60, 40)):
        sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    intro = WriteOnlyCell(sheet, value=_(
        "One customer per row, on the sheet of its kind. The first row names the columns; the key in a "
        "header's comment may be used instead. Columns may be left out or put in another order; with "
        "\"update\" only the columns in the file are changed. The example row in italics is not imported."))
    intro.alignment = wrap
    sheet.append([intro])
    sheet.append([])
    titles = [_("Column"), _("Key"), _("Used for"), _("Required"), _("What to write"), _("Allowed values")]
    row = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        row.append(cell)
    sheet.append(row)
    layouts = {k: layout(config, k) for k in kinds}
    columns = list(dict.fromkeys(c for k in kinds for c in layouts[k]))
    kind_names = {k: str(CUSTOMER_KIND_LABELS[k]) for k in rc.KINDS}
    for column in columns:
        used = [k for k in kinds if column in layouts[k]]
        required = [k for k in used if _required(config, k, column)
                    or column == "customer_number" and not numbers_generated]
        allowed = ", ".join(lists[column]) if column in lists else ""
        f = config.field_by_name("customer", column) if column.startswith("cf_") else None
        if f is not None and f.field_type == "multi_choice":
            allowed = ", ".join(f.choices)
        hint = _hint(config, column) if column != "customer_number" or numbers_generated else \
            _("Required: customer numbers are not given automatically.")
        cells = [headers[column], column, ", ".join(kind_names[k] for k in used),
                 ", ".join(kind_names[k] for k in required) if required else _("No"), hint,
                 allowed[:500]]
        out = []
        for value in cells:
            cell = WriteOnlyCell(sheet, value=value)
            cell.alignment = wrap
            out.append(cell)
        sheet.append(out)


def _required(config: rc.RegisterConfig, kind: str, column: str) -> bool:
    if column == "name":
        return True
    if column.startswith("cf_"):
        f = config.field_by_name("customer", column)
        return bool(f and f.required)
    for key, names in rc.CUSTOMER_FIELDS.items():
        if column in names:
            return config.required("customer", kind, key)
    return False
