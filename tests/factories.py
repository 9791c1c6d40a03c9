"""The one set of builders of the test suite: users, customers and the forms and files the
tests send. Plain functions with sensible defaults; fixtures live in tests/conftest.py.

Test modules import builders from here, never from one another (tests/unit/test_suite_structure.py
checks it)."""
import io
import re
import struct
import zlib

from openpyxl import Workbook
from sqlalchemy import insert, select

from config.settings import TestConfig
from models import Address, Customer, PaymentTerm, Role, RoleRight, User, db
from services.registers import register_config
from services.platform.auth import hash_password

PASSWORD = "test-password-123"
HASH = hash_password(PASSWORD, method=TestConfig.PASSWORD_HASH_METHOD)


# ---- users ---------------------------------------------------------------------------

def user(session, username: str, rights: set[str] | None = None, admin: bool = False,
         password: str | None = None, **fields) -> User:
    """A user (flushed) with a role of its own holding exactly ``rights``, or the Administrator
    role; password PASSWORD (hashed once, cheaply) unless given, full name from the username
    unless given."""
    if admin:
        role = session.scalar(select(Role).where(Role.is_admin.is_(True)))
    else:
        role = Role(name=f"role-{username}", rights=[RoleRight(right=r) for r in sorted(rights or ())])
        session.add(role)
    u = User(username=username, full_name=fields.pop("full_name", username.title()),
             password_hash=HASH if password is None else hash_password(password), role=role, **fields)
    session.add(u)
    session.flush()
    return u


def make_user(app, username: str, rights: set[str] | None = None, admin: bool = False, **fields) -> int:
    """``user`` in the app's own session, committed; its id."""
    with app.app_context():
        u = user(db.session, username, rights, admin, **fields)
        db.session.commit()
        return u.id


CSRF = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"|name="[\w-]*csrf_token" value="([^"]+)"')


def csrf_from(html: str, last: bool = True) -> str:
    """The CSRF token of the page's form (the last one on the page; the top bar's log-out
    form comes first). All are Flask-WTF tokens of the session."""
    matches = list(CSRF.finditer(html))
    assert matches, "no CSRF token on the page"
    match = matches[-1] if last else matches[0]
    return next(g for g in match.groups() if g)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str = "admin", password: str = PASSWORD):
        page = self.client.get("/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})

    def logout(self):
        page = self.client.get("/admin/")
        return self.client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True), last=False)})

    def token(self, url: str) -> str:
        """The CSRF token of the form at ``url``."""
        page = self.client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        return csrf_from(page.get_data(as_text=True))


# ---- customers -----------------------------------------------------------------------

def customer(session, number="1001", name="Bygg AB", org="5560360793", **fields) -> Customer:
    """A customer (flushed): a company with a billing address and 30 days' payment term; a
    private person when ``org`` is empty."""
    term = fields.pop("payment_term", None) or session.scalar(select(PaymentTerm).where(PaymentTerm.days == 30))
    c = Customer(customer_number=number, name=name, org_number=org, kind="company" if org else "private",
                 payment_term=term, **fields)
    c.addresses.append(Address(kind="billing", street="Storgatan 1", postal_code="11122", city="Stockholm"))
    session.add(c)
    session.flush()
    return c


CUSTOMER_NEW = "/admin/customer/new/"


def customer_form(token: str, **overrides) -> dict:
    """The customer create form, filled in for a company; ``None`` leaves a field out."""
    data = {
        "csrf_token": token, "customer_number": "", "kind": "company", "customer_type": "regular",
        "name": "Bilia Verkstad AB", "org_number": "556036-0793", "personal_number": "",
        "vat_number": "", "email": "info@bilia.example", "phone": "08-123 45 67", "language": "sv",
        "country": "SE", "visiting_street": "Storgatan 1", "visiting_postal_code": "111 22",
        "visiting_city": "Stockholm", "billing_street": "Box 55", "billing_postal_code": "111 99",
        "billing_city": "Stockholm", "postal_street": "", "postal_postal_code": "", "postal_city": "",
        "contacts-0-name": "Karin Larsson", "contacts-0-email": "karin@bilia.example",
        "contacts-0-phone": "070-111 22 33", "contacts-0-send_service_protocol": "y",
        "active": "y", "form_nonce": "nonce-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_customer(client, auth, **overrides):
    """Create a customer through the form at CUSTOMER_NEW (``customer_form`` with overrides)."""
    token = auth.token(CUSTOMER_NEW)
    return client.post(CUSTOMER_NEW, data=customer_form(token, **overrides))


# ---- files -------------------------------------------------------------------------

def xlsx(rows: list[dict], title="company") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    keys = list(dict.fromkeys(k for r in rows for k in r))
    sheet.append(keys)
    for r in rows:
        sheet.append([r.get(k) for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post_new(client, auth, url, data):
    """POST ``data`` to the create form at ``url`` with its CSRF token."""
    token = auth.token(url)
    return client.post(url, data={"csrf_token": token, **data})


def vehicle_form(**overrides):
    """The vehicle create form, filled in."""
    data = {"registration_number": "abc 123", "country": "SE", "vin": "yv1dz8256c2271234", "model": "V60",
            "odometer_km": "12000", "fleet": "none", "form_nonce": "v1"}
    data.update(overrides)
    return data


def fill_customers(session, n: int) -> None:
    session.execute(insert(Customer), [
        {"customer_number": f"{5000 + i}", "name": f"Kund {i:03d}", "kind": "company", "search_text": f"kund {i:03d}"}
        for i in range(n)])
    session.commit()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def define_fields(app, required_key=None):
    """One vehicle custom field of every type."""
    with app.app_context():
        for pos, (key, ftype, label, choices) in enumerate((
                ("tyre_hotel", "text", "Däckhotell", None), ("axles", "number", "Antal axlar", None),
                ("inspected", "date", "Besiktigad", None), ("towbar", "bool", "Dragkrok", None),
                ("segment", "choice", "Segment", ["Taxi", "Bud"]))):
            register_config.save_custom_field(db.session, "vehicle", key, ftype, label, label_de=label + " DE",
                                              choices=choices, required=key == required_key, position=pos)
        db.session.commit()


# ---- the job queue -------------------------------------------------------------------------

def run_jobs(app, limit: int = 50) -> int:
    """Run what is on the app's job queue now, in this process, as a consumer's worker does
    (Huey's own dequeue and execute on the real storage); the number of tasks run. For web
    tests; the consumer itself is tested as a process (tests/unit/test_jobs_consumer.py)."""
    app.extensions["jobs"].ready()  # a queue nothing was put on yet has no tables
    huey = app.extensions["jobs"].huey
    count = 0
    while count < limit:
        task = huey.dequeue()
        if task is None:
            return count
        huey.execute(task)
        count += 1
    return count


def customers_csv(count: int, start: int = 30000, bad_rows: tuple[int, ...] = ()) -> bytes:
    """An import file (the template's columns, semicolons) of ``count`` company customers numbered
    from ``start``; the rows at the indexes ``bad_rows`` get an organisation number with a wrong
    check digit."""
    lines = ["customer_number;kind;name;org_number"]
    for i in range(count):
        org = "556036-0794" if i in bad_rows else "556036-0793"
        lines.append(f"{start + i};company;Importkund {start + i} AB;{org}")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def upload_for_import(app, data: bytes, name: str = "import.csv") -> str:
    """``data`` saved where the import screen keeps a checked upload; its path under FILES_DIR."""
    import pathlib

    folder = pathlib.Path(app.config["FILES_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return f"imports/{name}"
