"""Import and export of company and private customers (reference 002, "Importera/exportera
företagskunder / privatkunder").

The layout (the columns of the XLSX template, of an export and of an import) follows the
configuration: the fields active for the kind, then the custom fields. A file is first read
and checked row by row (every error with its row and column), then imported in one
transaction: nothing, the valid rows only, or with ``update`` existing customers matched by
customer number. Identifier rules are those of services.customers and services.identifiers."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
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
from services import register_config as rc
from services.customers import next_customer_number, validate_customer_number
from services.identifiers import (
    format_org_number,
    format_personal_number,
    normalise_email,
    normalise_org_number,
    normalise_vat_number,
    normalise_personal_number,
    normalise_phone,
)

MAX_BYTES = 10 * 1024 * 1024
SHEET_TITLES = {"company": "company", "private": "private"}

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


def layout(config: rc.RegisterConfig, kind: str) -> list[str]:
    """The columns of the template and export of one customer kind."""
    cols = [c for c, key in BASE_COLUMNS if key is None or config.active("customer", kind, key)]
    return cols + [f.name for f in config.fields_of("customer")]


def header_labels(config: rc.RegisterConfig) -> dict[str, str]:
    return {f.name: f.label() for f in config.fields_of("customer")}


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

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _header_key(value, known: set[str]) -> str:
    text = str(value or "").strip()
    match = re.search(r"\[([a-z0-9_]+)\]\s*$", text)  # "Label [key]" works as well as the key
    key = match.group(1) if match else text.lower()
    return key


def read_file(filename: str, data: bytes, default_kind: str | None = None) -> list[tuple[str, int, dict]]:
    """(sheet, row number, {column: value}) of every non-empty row; refuses other formats and
    files over 10 MB."""
    if len(data) > MAX_BYTES:
        raise DomainError(_("The file is larger than 10 MB."), "file")
    name = (filename or "").lower()
    rows: list[tuple[str, int, dict]] = []
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise DomainError(_("The file is not a valid XLSX workbook."), "file")
        for sheet in book.worksheets:
            it = sheet.iter_rows(values_only=True)
            header = next(it, None)
            if not header:
                continue
            keys = [_header_key(h, set()) for h in header]
            title = sheet.title if sheet.title in SHEET_TITLES else (default_kind or "")
            for number, values in enumerate(it, start=2):
                row = {k: _cell(v) for k, v in zip(keys, values) if k}
                if any(v is not None for v in row.values()):
                    rows.append((title, number, row))
        book.close()
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = next(reader, None) or []
        keys = [_header_key(h, set()) for h in header]
        for number, values in enumerate(reader, start=2):
            row = {k: _cell(v) for k, v in zip(keys, values) if k}
            if any(v is not None for v in row.values()):
                rows.append((default_kind or "", number, row))
    else:
        raise DomainError(_("Choose an XLSX or CSV file."), "file")
    return rows


# --- checking ---------------------------------------------------------------------------------

class _Lookups:
    def __init__(self, session: Session):
        self.by_name = {}
        for key, model in LOOKUPS.items():
            self.by_name[key] = {r.name.lower(): r.id for r in session.scalars(select(model))}
        self.tags = {t.name.lower(): t.id for t in session.scalars(select(Tag))}
        self.countries = {c.code.upper(): c.code for c in session.scalars(select(Country))}
        self.countries.update({c.name.lower(): c.code for c in session.scalars(select(Country))})
        self.eu_members = {c.code for c in session.scalars(select(Country).where(Country.eu_member.is_(True)))}


TRUE = {"1", "ja", "yes", "y", "true", "x", "sant"}
FALSE = {"0", "nej", "no", "n", "false", "falskt"}


def check_rows(session: Session, config: rc.RegisterConfig, settings: dict, rows: list[tuple[str, int, dict]],
               update: bool = False, default_kind: str | None = None) -> list[Row]:
    """Check every row; each error names its row and column. Nothing is written."""
    lookups = _Lookups(session)
    min_len = int(settings["customer.number_min_length"])
    max_len = int(settings["customer.number_max_length"])
    numbers_in_file: dict[str, int] = {}
    results = [Row(sheet, number, values) for sheet, number, values in rows]
    typed_numbers = [str(r.values.get("customer_number")).strip() for r in results
                     if r.values.get("customer_number") not in (None, "")]
    existing: dict[str, tuple[int, str]] = {}
    for start in range(0, len(typed_numbers), 900):
        chunk = typed_numbers[start:start + 900]
        for cid, number, kind in session.execute(select(Customer.id, Customer.customer_number, Customer.kind)
                                                 .where(Customer.customer_number.in_(chunk))):
            existing[number] = (cid, kind)
    custom = config.fields_of("customer")
    for row in results:
        v, p, err = row.values, row.prepared, row.errors
        kind = str(v.get("kind") or row.sheet or default_kind or "").strip().lower()
        kind = {"företag": "company", "privat": "private", "firma": "company", "person": "private"}.get(kind, kind)
        if kind not in rc.KINDS:
            err.append(("kind", _("Kind must be company or private.")))
            continue
        row.kind = kind
        number = str(v.get("customer_number") or "").strip()
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
                    row.existing_id = existing[number][0]
                    if existing[number][1] != kind:
                        err.append(("kind", _("Customer %(n)s is of the other kind.", n=number)))
                else:
                    err.append(("customer_number", _("Customer number %(n)s is already in use.", n=number)))
        elif not settings["customer.generate_number"]:
            err.append(("customer_number", _("A customer number is required.")))
        p["customer_number"] = number
        name = str(v.get("name") or "").strip()
        if not name:
            err.append(("name", _("A name is required.")))
        p["name"] = name[:200]

        def active(key):
            return config.active("customer", kind, key)

        def attempt(column, func):
            try:
                return func()
            except DomainError as exc:
                err.append((column, exc.message))
                return None

        if active("country"):
            country = str(v.get("country") or "SE").strip()
            code = lookups.countries.get(country.upper()) or lookups.countries.get(country.lower())
            if code is None:
                err.append(("country", _("Unknown country: %(c)s", c=country)))
            p["country_code"] = code
        # identifiers are checked by the customer's country
        home = p.get("country_code") or "SE"
        if kind == "company" and active("org_number"):
            p["org_number"] = attempt("org_number", lambda: normalise_org_number(v.get("org_number"), home))
        if kind == "private" and active("personal_number"):
            p["personal_number"] = attempt("personal_number",
                                           lambda: normalise_personal_number(v.get("personal_number")))
        if active("vat_number") and v.get("vat_number"):
            p["vat_number"] = attempt("vat_number", lambda: normalise_vat_number(
                str(v["vat_number"]), home, home in lookups.eu_members or home == "SE"))
        elif active("vat_number"):
            p["vat_number"] = None
        if active("email"):
            p["email"] = attempt("email", lambda: normalise_email(v.get("email") and str(v["email"])))
        if active("phone"):
            p["phone"] = normalise_phone(v.get("phone") and str(v["phone"]))
        if active("customer_type"):
            ctype = str(v.get("customer_type") or "regular").strip().lower()
            if ctype not in rc.CUSTOMER_TYPES:
                err.append(("customer_type", _("Unknown customer type: %(t)s", t=ctype)))
            p["customer_type"] = ctype
        if active("language"):
            lang = str(v.get("language") or "sv").strip().lower()
            if lang not in ("sv", "de", "en"):
                err.append(("language", _("Language must be sv, de or en.")))
            p["language"] = lang
        for key in LOOKUPS:
            if not active(key):
                continue
            value = v.get(key)
            if value in (None, ""):
                p[f"{key}_id"] = None
                continue
            found = lookups.by_name[key].get(str(value).strip().lower())
            if found is None:
                err.append((key, _("Unknown %(what)s: %(v)s", what=str(rc.field_label(key)).lower(), v=value)))
            p[f"{key}_id"] = found
        if active("tags"):
            names = [t.strip() for t in str(v.get("tags") or "").split(",") if t.strip()]
            unknown = [t for t in names if t.lower() not in lookups.tags]
            if unknown:
                err.append(("tags", _("Unknown tag: %(t)s", t=", ".join(unknown))))
            p["tag_ids"] = sorted({lookups.tags[t.lower()] for t in names if t.lower() in lookups.tags})
        if active("internal_comment"):
            p["internal_comment"] = v.get("internal_comment") and str(v["internal_comment"])
        active_value = v.get("active")
        if active_value in (None, ""):
            p["active"] = True
        elif str(active_value).strip().lower() in TRUE:
            p["active"] = True
        elif str(active_value).strip().lower() in FALSE:
            p["active"] = False
        else:
            err.append(("active", _("Write 1 or 0 (yes or no).")))
        for kind_ in ADDRESS_KINDS:
            if active(f"{kind_}_address"):
                p[f"{kind_}_address"] = tuple(str(v.get(f"{kind_}_{f}") or "").strip()
                                              for f in ("street", "postal_code", "city"))
        # required fields of the configuration
        for key, names in rc.CUSTOMER_FIELDS.items():
            if not config.required("customer", kind, key):
                continue
            if key.endswith("_address"):
                blank = [n for n in names if not str(v.get(n) or "").strip()]
                if blank:
                    err.append((blank[0], _("%(f)s is required.", f=rc.field_label(key))))
            elif key in ("contacts", "assigned_technicians"):
                continue  # not part of the import layout
            elif v.get(key) in (None, ""):
                err.append((key, _("%(f)s is required.", f=rc.field_label(key))))
        typed = {}
        for f in custom:
            try:
                typed[f.name] = rc.parse_value(f, v.get(f.name))
            except DomainError as exc:
                err.append((f.name, exc.message))
        p["custom"] = typed
    return results


# --- writing ----------------------------------------------------------------------------------

def apply(session: Session, config: rc.RegisterConfig, settings: dict, results: list[Row], valid_only: bool = False,
          update: bool = False, progress=None) -> dict:
    """Write the checked rows in the caller's transaction. With errors and not ``valid_only``,
    nothing is written (DomainError). Returns counts."""
    bad = [r for r in results if not r.ok]
    if bad and not valid_only:
        raise DomainError(_("%(n)s rows have errors; nothing was imported.", n=len(bad)))
    good = [r for r in results if r.ok]
    min_len = int(settings["customer.number_min_length"])
    max_len = int(settings["customer.number_max_length"])
    created = updated = 0
    existing_ids = [r.existing_id for r in good if r.existing_id]
    existing = {}
    for start in range(0, len(existing_ids), 900):
        for c in session.scalars(select(Customer).where(Customer.id.in_(existing_ids[start:start + 900]))
                                 .options(selectinload(Customer.addresses), selectinload(Customer.tags),
                                          selectinload(Customer.contacts))):
            existing[c.id] = c
    tags = {t.id: t for t in session.scalars(select(Tag))}
    batch: list[tuple[Customer, Row]] = []
    value_rows, log_rows = [], []
    user_id = session.info.get("user_id")

    def flush_batch():
        session.flush()
        for customer, row in batch:
            if row.existing_id:
                rc.set_values(session, config, "customer", customer.id, row.prepared["custom"])
            else:
                for f in config.fields_of("customer"):
                    value = row.prepared["custom"].get(f.name)
                    cols = rc._columns(f, value)
                    if all(x is None for x in cols.values()):
                        continue
                    value_rows.append(dict(field_id=f.id, entity="customer", record_id=customer.id, **cols))
                    log_rows.append(dict(at=utcnow(), user_id=user_id, action="create", table_name="customer",
                                         record_id=str(customer.id), field=f.name, old_value=None,
                                         new_value=rc.display(f, value)))
        batch.clear()

    from services.customers import set_address

    for i, row in enumerate(good, start=1):
        p = row.prepared
        if row.existing_id:
            customer = existing[row.existing_id]
            updated += 1
        else:
            customer = Customer(kind=row.kind)
            session.add(customer)
            created += 1
            number = p["customer_number"] or next_customer_number(session, min_len, max_len)
            customer.customer_number = number
        for key in ("name", "org_number", "personal_number", "vat_number", "email", "phone", "customer_type",
                    "language", "country_code", "internal_comment", "active", *(f"{k}_id" for k in LOOKUPS)):
            if key in p and getattr(customer, key) != p[key]:
                setattr(customer, key, p[key])
        if "tag_ids" in p and sorted(t.id for t in customer.tags) != p["tag_ids"]:
            customer.tags = [tags[t] for t in p["tag_ids"]]
        for kind_ in ADDRESS_KINDS:
            if f"{kind_}_address" in p:
                street, postal_code, city = p[f"{kind_}_address"]
                current = customer.address(kind_)
                before = (current.street, current.postal_code, current.city) if current else ("", "", "")
                if before != (street, postal_code, city):
                    set_address(customer, kind_, street, postal_code, city)
        batch.append((customer, row))
        if len(batch) >= 500:
            flush_batch()
            if progress:
                progress(i, len(good))
    flush_batch()
    if value_rows:
        session.execute(insert(CustomFieldValue), value_rows)
    if log_rows:
        session.execute(insert(AuditLog), log_rows)
    if progress:
        progress(len(good), len(good))
    return {"created": created, "updated": updated, "skipped": len(bad)}


def import_file(session: Session, config: rc.RegisterConfig, settings: dict, filename: str, data: bytes,
                update: bool = False, valid_only: bool = False, default_kind: str | None = None,
                progress=None) -> tuple[dict, list[Row]]:
    rows = read_file(filename, data, default_kind)
    results = check_rows(session, config, settings, rows, update, default_kind)
    counts = apply(session, config, settings, results, valid_only, update, progress)
    return counts, results


# --- template and export ------------------------------------------------------------------------

def _export_value(customer: Customer, column: str, custom: dict):
    if column.startswith("cf_"):
        value = custom.get(column)
        if isinstance(value, list):
            return ", ".join(value)
        if isinstance(value, Decimal):
            return float(value) if value == value.normalize() else str(value)
        return value
    if column == "org_number":
        return format_org_number(customer.org_number) if customer.org_number else None
    if column == "personal_number":
        return format_personal_number(customer.personal_number) if customer.personal_number else None
    if column == "country":
        return customer.country_code
    if column in LOOKUPS:
        value = getattr(customer, column)
        return value.name if value is not None else None
    if column == "tags":
        return ", ".join(t.name for t in customer.tags) or None
    if column == "active":
        return 1 if customer.active else 0
    for kind in ADDRESS_KINDS:
        if column.startswith(kind + "_"):
            address = customer.address(kind)
            return getattr(address, column[len(kind) + 1:]) if address else None
    return getattr(customer, column)


def write_workbook(session: Session, config: rc.RegisterConfig, kinds=rc.KINDS, with_data: bool = True,
                   where=None) -> bytes:
    """The XLSX template (no rows) or export: one sheet per kind, keys in the header row;
    ``where`` narrows the customers exported (services.visibility)."""
    book = Workbook(write_only=True)
    for kind in kinds:
        sheet = book.create_sheet(SHEET_TITLES[kind])
        columns = layout(config, kind)
        sheet.append(columns)
        if not with_data:
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
                sheet.append([_export_value(c, col, values.get(c.id, {})) for col in columns])
            last_id = customers[-1].id
            for c in customers:  # keep memory flat on a big register
                session.expunge(c)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
