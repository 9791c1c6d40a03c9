"""Benchmark of the customer and vehicle registers at scale (issue 2, "Performance").

`flask --app app bench registers --customers 1000000` fills a separate database (a SQLite file
under instance/, and the PostgreSQL database named by --pg-url, VERKSTAD_BENCH_DATABASE_URL or
TEST_DATABASE_URL: created when missing, used only when empty or marked as the benchmark's own,
see bench/database.py) with N customers (3 contacts on average: companies more, private persons
fewer; one visiting address), 1.5 N vehicles and N orders (every tenth invoiced) through bulk
Core inserts, builds the search indexes, then times list pages, searches, the customer card
(with its count of statements), a filtered list, the order list and its searches, and one CSV
export of the whole list (first byte, rows, memory) with the Flask test client, for the app's
views and for a stock Flask-Admin ModelView over the
same tables. "(sql)" is the part of the app's median spent executing statements (on SQLite only
up to each statement's first row: the rest of a result is read while fetching, counted as
Python); the rest is Python (Flask-Admin, the templates), which a busy machine slows down first.
A search the sample of search texts judges to match thousands of rows (the name fragment, the
common surname) is read along the list's sort index, so its count shows as an estimate. A
filled database is kept and reused by the next run with the same N.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal
from pathlib import Path

import click
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from stdnum import luhn

from bench import database
from bench.measure import p95, rss_mb
from cli import bench_group
from demo import BODY, COLOURS, COMPANY_WORDS, FUELS, MAKES, PLACES, STREETS
from services.platform.search import _digits, _parts

# more names than the demo data: the selectivity of a name search should look like Sweden's
FIRST = ("Anna Eva Maria Karin Sara Lena Emma Kristina Elin Ingrid Malin Sofia Linnea Ida Jenny Hanna "
         "Johanna Maja Ella Alice Wilma Ebba Astrid Elsa Frida Julia Klara Moa Agnes Vera Signe Tove "
         "Erik Lars Karl Anders Johan Per Nils Mikael Jan Hans Peter Olof Gustav Henrik Oskar Axel "
         "Fredrik Daniel Mattias Magnus Jonas Andreas Stefan Niklas Björn Sven Lennart Arvid Hugo "
         "Viktor Ludvig Filip Elias Theo Alexander Sebastian Rasmus Emil Albin Wilhelm Love Melvin").split()
LAST = ("Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
        "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Olofsson "
        "Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Lundqvist "
        "Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund "
        "Danielsson Lundin Håkansson Björk Bergman Gunnarsson Holm Wikström Samuelsson Isaksson "
        "Fransson Bergqvist Nyström Holmberg Arvidsson Löfgren Söderberg Nyberg Blomqvist Claesson "
        "Nordström Mårtensson Lundström Viklund Björklund Eliasson Pålsson Berggren Sandström Lund "
        "Nordin Ström Åberg Hermansson Ekström Holmgren Sundberg Hedlund Dahlberg Hellström Sjögren "
        "Abrahamsson Falk Öberg Martinsson Andreasson Blom Ek Månsson Strand Sundqvist Hedberg "
        "Lindholm Ali Mohammed Nguyen Kaya Yilmaz Hassan Ahmed Korhonen Virtanen Nieminen").split()
COMPANY_SUFFIX = ["AB", "AB", "AB", "HB", "& Son AB", "i Norr AB", "Sverige AB", "Service AB", "Group AB"]
MAIL_DOMAINS = ["gmail.com", "hotmail.com", "outlook.com", "telia.com", "icloud.com", "yahoo.se", "live.se"]
PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
CHUNK = 20_000
# part of the cached database's name: a changed generator fills a new one
FILL_VERSION = 3
FIRST_NUMBER = 1_000_000
ADMIN_PASSWORD = "bench-admin-password-1"


def _ascii(value: str) -> str:
    return value.lower().translate(str.maketrans("åäöé", "aaoe")).replace(" ", "").replace("&", "")


def _orgnr(rng: random.Random) -> str:
    body = f"55{rng.randrange(10_000_000):07d}"
    return body + luhn.calc_check_digit(body)


def _personnummer(rng: random.Random) -> str:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 62))
    short = birth.strftime("%y%m%d") + f"{rng.randrange(1000):03d}"
    return birth.strftime("%Y") + short[2:] + luhn.calc_check_digit(short)


def _mobile(rng: random.Random) -> str:
    return f"07{rng.choice('02369')}-{rng.randrange(1000):03d} {rng.randrange(100):02d} {rng.randrange(100):02d}"


def _landline(rng: random.Random) -> str:
    area = rng.choice(["08", "031", "040", "018", "021", "019", "013", "011", "036", "090"])
    return f"{area}-{rng.randrange(100, 1000)} {rng.randrange(100):02d} {rng.randrange(100):02d}"


def _plate(index: int) -> str:
    # a bijection of 0..23^3*1000-1 onto ABC123 (and every third one onto ABC12D): unique plates
    letters, digits = divmod(index, 1000)
    a, rest = divmod(letters, 23 * 23)
    b, c = divmod(rest, 23)
    head = PLATE_LETTERS[a % 23] + PLATE_LETTERS[b] + PLATE_LETTERS[c]
    if digits % 3 == 0:
        return f"{head}{digits // 10:02d}{PLATE_LETTERS[digits % 23]}"
    return f"{head}{digits:03d}"


def _vin(rng: random.Random, index: int) -> str:
    serial = ""
    for _ in range(8):
        index, r = divmod(index, 33)
        serial = VIN_CHARS[r] + serial
    return rng.choice(["YV1", "WVW", "JTD", "WBA", "WAU", "KNA", "TMB", "5YJ", "WF0", "WDD"]) + "".join(
        rng.choice(VIN_CHARS) for _ in range(6)) + serial


# --- filling ------------------------------------------------------------------------------


def _lookup_ids(conn, table, names: list[str]) -> list[int]:
    existing = dict(conn.execute(select(table.c.name, table.c.id)).all())
    missing = [n for n in names if n not in existing]
    if missing:
        conn.execute(insert(table), [{"name": n, "active": True} for n in missing])
        existing = dict(conn.execute(select(table.c.name, table.c.id)).all())
    return [existing[n] for n in names]


def fill(engine, n: int, seed: int = 2026, echo=click.echo) -> dict[str, int]:
    """Fill an empty schema with ``n`` customers and 1.5 ``n`` vehicles (bulk Core inserts)."""
    from models import db

    t = db.metadata.tables
    customer, contact, address, vehicle = t["customer"], t["contact"], t["address"], t["vehicle"]
    rng = random.Random(seed)
    dialect = engine.dialect.name
    now = dt.datetime(2026, 1, 1)
    counts = {"customers": 0, "contacts": 0, "addresses": 0, "vehicles": 0, "orders": 0}
    names: list[str] = []
    started = time.perf_counter()
    with engine.begin() as conn:
        bulk_fill_mode(conn)  # the FTS tables are built in one go at the end ('rebuild')
        if dialect != "sqlite":
            for table in ("customer", "vehicle"):
                conn.execute(text(f"DROP INDEX IF EXISTS ix_{table}_search_trgm"))
        district_ids = _lookup_ids(conn, t["district"], [p for p, _ in PLACES])
        make_ids = dict(zip(MAKES, _lookup_ids(conn, t["vehicle_make"], list(MAKES)), strict=True))

        contact_id = 0
        for start in range(0, n, CHUNK):
            customers, contacts, addresses = [], [], []
            for i in range(start, min(n, start + CHUNK)):
                cid = i + 1
                number = str(FIRST_NUMBER + i)
                first, last = rng.choice(FIRST), rng.choice(LAST)
                company = rng.random() < 0.6
                if company:
                    word = rng.choice(COMPANY_WORDS)
                    name = f"{last}s {word} {rng.choice(COMPANY_SUFFIX)}" if rng.random() < 0.5 else \
                        f"{rng.choice(LAST)} & {last} {word} AB"
                    domain = f"{_ascii(last)}{_ascii(word)}{rng.randrange(1000)}.se"
                    email, phone = f"info@{domain}", _landline(rng)
                    org, pnr = _orgnr(rng), None
                    vat = f"SE{org}01"
                    values = [name, number, email, phone, _digits(phone), org, None, vat,
                              f"{org[:6]}-{org[6:]}"]
                else:
                    name = f"{first} {last}"
                    domain = rng.choice(MAIL_DOMAINS)
                    email = f"{_ascii(first)}.{_ascii(last)}{rng.randrange(100)}@{domain}"
                    phone, org, pnr, vat = _mobile(rng), None, _personnummer(rng), None
                    values = [name, number, email, phone, _digits(phone), None, pnr, None,
                              f"{pnr[:8]}-{pnr[8:]}"]
                names.append(name)
                for _ in range(rng.choice((2, 3, 4, 4, 5, 5, 6, 6, 4, 4)) if company else rng.choice((0, 1, 2))):
                    c_first, c_last = rng.choice(FIRST), rng.choice(LAST)
                    c_mail = f"{_ascii(c_first)}.{_ascii(c_last)}@{domain}" if company else \
                        f"{_ascii(c_first)}{rng.randrange(100)}@{rng.choice(MAIL_DOMAINS)}"
                    c_phone = _mobile(rng)
                    contact_id += 1
                    contacts.append({"id": contact_id, "customer_id": cid, "name": f"{c_first} {c_last}",
                                     "email": c_mail, "phone": c_phone, "send_service_protocol": False})
                    values += [f"{c_first} {c_last}", c_mail, c_phone, _digits(c_phone)]
                place, postal = PLACES[rng.randrange(len(PLACES))]
                district = district_ids[PLACES.index((place, postal))]
                customers.append({
                    "id": cid, "version": 1, "customer_number": number, "kind": "company" if company else "private",
                    "customer_type": "regular", "name": name, "org_number": org, "personal_number": pnr,
                    "vat_number": vat, "email": email, "phone": phone, "language": "sv", "country_code": "SE",
                    "district_id": district, "vehicles_disabled": False, "vehicle_required": False,
                    "cost_center_required": False, "order_number_required": False,
                    "always_invoice_to_accounting": False, "active": rng.random() > 0.03,
                    "created_at": now, "updated_at": now, "search_text": _parts(*values),
                })
                addresses.append({"customer_id": cid, "kind": "visiting",
                                  "street": f"{rng.choice(STREETS)} {rng.randrange(1, 120)}",
                                  "postal_code": f"{postal}{rng.randrange(100, 1000)}", "city": place})
            conn.execute(insert(customer), customers)
            if contacts:
                conn.execute(insert(contact), contacts)
            conn.execute(insert(address), addresses)
            counts["customers"] += len(customers)
            counts["contacts"] += len(contacts)
            counts["addresses"] += len(addresses)
            if (start // CHUNK) % 10 == 0:
                echo(f"  customers {counts['customers']:>9,}  ({time.perf_counter() - started:.0f} s)")

        n_vehicles = n * 3 // 2
        plates = rng.sample(range(23 ** 3 * 1000), n_vehicles)
        make_names = list(MAKES)
        owners: list[int] = []
        for start in range(0, n_vehicles, CHUNK):
            rows = []
            for i in range(start, min(n_vehicles, start + CHUNK)):
                make = make_names[rng.randrange(len(make_names))]
                model = rng.choice(MAKES[make])
                owner = rng.randrange(n)
                reg, vin = _plate(plates[i]), _vin(rng, i)
                rows.append({
                    "id": i + 1, "version": 1, "registration_number": reg, "country_code": "SE", "vin": vin,
                    "make_id": make_ids[make], "model": model, "body_type": rng.choice(BODY),
                    "fuel": rng.choice(FUELS), "colour": rng.choice(COLOURS),
                    "first_registration_date": dt.date(2008 + rng.randrange(18), rng.randrange(1, 13),
                                                       rng.randrange(1, 29)),
                    "odometer_km": rng.randrange(300_000), "owner_id": owner + 1, "fleet": "none",
                    "reserved": False, "created_at": now,
                    "search_text": _parts(reg, vin, make, model, names[owner], str(FIRST_NUMBER + owner)),
                })
            conn.execute(insert(vehicle), rows)
            owners += [row["owner_id"] for row in rows]
            counts["vehicles"] += len(rows)
            if (start // CHUNK) % 10 == 0:
                echo(f"  vehicles  {counts['vehicles']:>9,}  ({time.perf_counter() - started:.0f} s)")
        fill_orders(conn, n, owners, names, rng, counts, echo, started)
        if dialect == "postgresql":
            for table in ("customer", "contact", "vehicle", "sales_order", "invoice"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))

    echo(f"  rows written in {time.perf_counter() - started:.0f} s; building search indexes")
    build_search_indexes(engine)
    echo(f"  search indexes built ({time.perf_counter() - started:.0f} s)")
    return counts


def fill_orders(conn, n: int, owners: list[int], names: list[str], rng, counts, echo, started) -> None:
    """``n`` orders, one for each of the first ``n`` vehicles and its owner; every tenth one
    invoiced (for the order list and its searches by invoice and registration number)."""
    from models import db

    t = db.metadata.tables
    day0 = dt.date(2026, 1, 1)
    for start in range(0, n, CHUNK):
        orders, invoices = [], []
        for i in range(start, min(n, start + CHUNK)):
            owner = owners[i]
            day = day0 - dt.timedelta(days=i % 700)
            row = {"id": i + 1, "version": 1, "kind": "order", "status": "in_progress", "customer_id": owner,
                   "vehicle_id": i + 1, "order_date": day, "currency": "SEK", "invoice_id": None,
                   "customer_order_number": f"PO{i}" if rng.random() < 0.3 else None,
                   "created_at": dt.datetime(2026, 1, 1)}
            if i % 10 == 0:
                number = 100_000 + i // 10
                invoices.append({"id": i // 10 + 1, "kind": "invoice", "series": "bench", "sequence": number,
                                 "number": str(number), "invoice_date": day, "due_date": day, "customer_id": owner,
                                 "customer_number": str(FIRST_NUMBER + owner - 1), "customer_name": names[owner - 1],
                                 "billing_address": [], "delivery_address": [], "country_code": "SE",
                                 "language": "sv", "prices_include_vat": False, "vat_treatment": "domestic",
                                 "payment_term_days": 30, "currency": "SEK", "net_total": Decimal(100),
                                 "vat_total": Decimal(25), "rounding": Decimal(0), "total": Decimal(125),
                                 "print_count": 0, "finalised_at": dt.datetime(2026, 1, 1)})
                row.update(invoice_id=i // 10 + 1, status="invoiced")
            orders.append(row)
        conn.execute(insert(t["invoice"]), invoices)
        conn.execute(insert(t["sales_order"]), orders)
        counts["orders"] += len(orders)
        if (start // CHUNK) % 10 == 0:
            echo(f"  orders    {counts['orders']:>9,}  ({time.perf_counter() - started:.0f} s)")


def build_search_indexes(engine) -> None:
    from models import search_index_ddl

    dialect = engine.dialect.name
    if dialect == "sqlite":
        with engine.begin() as conn:
            for table in ("customer", "vehicle"):
                conn.execute(text(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')"))
                for stmt in search_index_ddl("sqlite", table):
                    conn.execute(text(stmt))
            conn.execute(text("ANALYZE"))
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
            for table in ("customer", "vehicle"):
                for stmt in search_index_ddl("postgresql", table):
                    conn.execute(text(stmt))
            conn.execute(text("VACUUM ANALYZE"))


def _sqlite_fast(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1500000", "temp_store=MEMORY",
                   "foreign_keys=OFF"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def prepare_sqlite(path: Path, n: int, refill: bool, echo=click.echo) -> str:
    """The filled SQLite file for ``n`` customers, filled now unless a finished one exists."""
    from sqlalchemy import event

    from models import db

    if path.exists() and not refill:
        echo(f"SQLite: reusing {path}")
        return f"sqlite:///{path}"
    partial = path.with_suffix(".part")
    partial.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{partial}")
    event.listen(engine, "connect", _sqlite_fast)
    db.metadata.create_all(engine)
    bench_app(f"sqlite:///{partial}")  # settings data (countries, roles) and the user
    echo(f"SQLite: filling {partial} with {n:,} customers")
    fill(engine, n, echo=echo)
    engine.dispose()
    partial.replace(path)
    return f"sqlite:///{path}"


def prepare_postgresql(url: str, n: int, refill: bool, echo=click.echo) -> str:
    """The PostgreSQL database named in ``url``, filled with ``n`` customers unless it already
    holds that fill (bench.database: created and marked when missing, never another's dropped)."""
    from models import db

    url = make_url(url).render_as_string(hide_password=False)
    name = make_url(url).database
    if database.claim(url, f"registers v{FILL_VERSION} n={n}", refill, echo=echo):
        return url
    engine = create_engine(url)
    db.metadata.create_all(engine)
    bench_app(url)  # settings data (countries, roles) and the user
    echo(f"PostgreSQL: filling database {name} with {n:,} customers")
    fill(engine, n, echo=echo)
    engine.dispose()
    database.mark_done(url)
    return url


# --- measuring ----------------------------------------------------------------------------


class StockCustomerView(ModelView):
    """Flask-Admin as it comes: LIKE search over the columns, COUNT(*) on every page."""

    can_view_details = True
    column_searchable_list = ("name", "customer_number", "email", "phone", "org_number")
    column_default_sort = "customer_number"
    column_filters = ("district_id",)


class StockVehicleView(ModelView):
    column_searchable_list = ("registration_number", "vin", "model")
    column_default_sort = "registration_number"


def bench_app(uri: str):
    """The app on the benchmark database, with a stock Admin at /stock/ next to the console."""
    from app import create_app
    from models import Customer, Vehicle, db
    from services.platform.auth import hash_password
    from services.platform.setup import seed_defaults

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                      "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION": True, "LOGIN_MAX_ATTEMPTS": 1000})
    stock = Admin(app, name="Stock", url="/stock", endpoint="stock", theme=Bootstrap4Theme())
    stock.add_view(StockCustomerView(Customer, db, endpoint="stock_customer"))
    stock.add_view(StockVehicleView(Vehicle, db, endpoint="stock_vehicle"))
    with app.app_context():
        from models import Role, User

        db.create_all()  # tables added to the schema since the database was filled
        seed_defaults(db.session)
        if db.session.scalar(select(User).where(User.username == "bench")) is None:
            role = db.session.scalar(select(Role).where(Role.is_admin.is_(True)))
            db.session.add(User(username="bench", full_name="Bench", password_hash=hash_password(ADMIN_PASSWORD),
                                role=role))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()  # no connection left open: a filled file is then moved without its WAL
    return app


def bulk_fill_mode(conn) -> None:
    """A fill's transaction writes no search index row by row: SQLite's FTS triggers go (the
    caller rebuilds or does not read the index); PostgreSQL does not wait for each commit."""
    if conn.dialect.name == "sqlite":
        for table in ("customer", "vehicle"):
            for suffix in ("ai", "ad", "au"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}"))
    else:
        conn.execute(text("SET LOCAL synchronous_commit = off"))


class SqlClock:
    """Adds up the time the database spends on the statements of a request."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.total = 0.0
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()
        self.statements += 1

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.total += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())


def _time(client, url: str, runs: int, clock: SqlClock | None = None, sql: list | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        if clock is not None:
            clock.total = 0.0
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if sql is not None and clock is not None:
            sql.append(clock.total * 1000)
        if response.status_code != 200:
            raise click.ClickException(f"GET {url} answered {response.status_code}")
    return times


def _filter_key(app, endpoint: str, matches) -> str:
    """The URL key of the list filter of view ``endpoint`` that ``matches``."""
    for admin in app.extensions["admin"]:
        for view in admin._views:
            if getattr(view, "endpoint", None) == endpoint and view._filter_args:
                for key, (_idx, flt) in view._filter_args.items():
                    if matches(flt):
                        return key
    raise click.ClickException(f"no such filter on {endpoint}")


def probes(app) -> list[tuple[str, str | None, str | None]]:
    """(label, app url, stock url) of the measured operations."""
    from models import Contact, Customer, Vehicle, db

    with app.app_context():
        n = db.session.scalar(select(func.max(Customer.id)))
        rng = random.Random(7)
        private = db.session.scalars(select(Customer).where(Customer.id >= rng.randrange(n // 2))
                                     .where(Customer.kind == "private").order_by(Customer.id).limit(1)).one()
        first, last = private.name.split(" ", 1)
        fragment = f"{first[:4]} {last[:6]}".lower()
        contact = db.session.scalars(select(Contact).where(Contact.customer_id >= rng.randrange(n // 2))
                                     .order_by(Contact.id).limit(1)).one()
        phone = db.session.scalars(select(Customer.phone).where(Customer.id >= rng.randrange(n // 2))
                                   .order_by(Customer.id).limit(1)).one()
        reg = db.session.scalars(select(Vehicle.registration_number)
                                 .where(Vehicle.id >= rng.randrange(n)).order_by(Vehicle.id).limit(1)).one()
        card = db.session.scalars(select(Customer.id).where(Customer.id >= rng.randrange(n))
                                  .join(Vehicle, Vehicle.owner_id == Customer.id)
                                  .order_by(Customer.id).limit(1)).one()
        from models import Invoice, Order

        district = db.session.scalar(select(Customer.district_id).where(Customer.id == card))
        invoice = db.session.scalars(select(Invoice.number).where(Invoice.id >= rng.randrange(max(1, n // 20)))
                                     .order_by(Invoice.id).limit(1)).one()
        order_reg = db.session.scalars(select(Vehicle.registration_number).join(Order, Order.vehicle_id == Vehicle.id)
                                       .where(Order.id >= rng.randrange(n)).order_by(Order.id).limit(1)).one()
    ours = _filter_key(app, "customer", lambda f: getattr(getattr(f, "lookup_model", None), "__name__", "") == "District")
    theirs = _filter_key(app, "stock_customer", lambda f: type(f).__name__ == "IntEqualFilter")
    page = 2000 if n >= 40_100 else max(1, n // 20 - 1)
    return [
        ("list, first page", "/admin/customer/", "/stock/stock_customer/"),
        (f"list, page {page:,}", f"/admin/customer/?page={page - 1}", f"/stock/stock_customer/?page={page - 1}"),
        (f"search name '{fragment}'", f"/admin/customer/?search={fragment}",
         f"/stock/stock_customer/?search={fragment}"),
        (f"search e-mail '{contact.email}'", f"/admin/customer/?search={contact.email}",
         f"/stock/stock_customer/?search={contact.email}"),
        (f"search phone '{phone}'", f"/admin/customer/?search={phone}", f"/stock/stock_customer/?search={phone}"),
        (f"search reg. no. '{reg}'", f"/admin/vehicle/?search={reg}", f"/stock/stock_vehicle/?search={reg}"),
        ("customer card", f"/admin/customer/details/?id={card}", f"/stock/stock_customer/details/?id={card}"),
        (f"list filtered by district {district}", f"/admin/customer/?flt0_{ours}={district}",
         f"/stock/stock_customer/?flt0_{theirs}={district}"),
        ("order list, first page", "/admin/order/", None),
        (f"order search invoice number '{invoice}'", f"/admin/order/?search={invoice}", None),
        (f"order search reg. no. '{order_reg}'", f"/admin/order/?search={order_reg}", None),
        # not a target: a surname a few per cent of Sweden share (tens of thousands of matches)
        ("(extra) search common surname 'andersson'", "/admin/customer/?search=andersson",
         "/stock/stock_customer/?search=andersson"),
    ]


def measure(uri: str, runs: int, stock_runs: int, echo=click.echo) -> list[dict]:
    from urllib.parse import quote

    app = bench_app(uri)
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": ADMIN_PASSWORD})
    if response.status_code != 302:
        raise click.ClickException("the benchmark user could not log in")
    client.get("/admin/customer/")  # the customer view reads its configuration (and filters) first
    client.get("/stock/stock_customer/")
    from models import db

    with app.app_context():
        clock = SqlClock(db.engine)
    results = []
    echo(f"{'operation':<52} {'median':>8} {'p95':>8} {'(sql)':>8} {'stmts':>5} {'stock med':>10} "
         f"{'stock p95':>10} {'ratio':>7}")
    for label, url, stock_url in probes(app):
        url = url.replace(" ", "+").replace("@", quote("@"))
        _time(client, url, 2)  # warm the page cache and the templates
        clock.statements = 0
        _time(client, url, 1, clock)
        statements = clock.statements
        sql: list[float] = []
        ours = _time(client, url, runs, clock, sql)
        row = {"operation": label, "median": statistics.median(ours), "p95": p95(ours),
               "sql_median": statistics.median(sql), "statements": statements}
        if stock_url is not None:
            stock_url = stock_url.replace(" ", "+").replace("@", quote("@"))
            _time(client, stock_url, 1)
            theirs = _time(client, stock_url, stock_runs)
            row.update(stock_median=statistics.median(theirs), stock_p95=p95(theirs))
            row["ratio"] = row["stock_median"] / row["median"]
            stock = f"{row['stock_median']:>8.1f}ms {row['stock_p95']:>8.1f}ms {row['ratio']:>6.1f}x"
        else:
            stock = f"{'-':>10} {'-':>10} {'-':>7}"
        results.append(row)
        echo(f"{label[:52]:<52} {row['median']:>6.1f}ms {row['p95']:>6.1f}ms {row['sql_median']:>6.1f}ms "
             f"{statements:>5} {stock}")
    results.append(measure_export(client, echo))
    with app.app_context():
        db.engine.dispose()
    return results


def measure_export(client, echo=click.echo) -> dict:
    """One CSV export of the whole customer list: time to the first byte, to the last, the
    rows in the file and the growth of this process's resident memory while it ran."""
    import gc

    gc.collect()
    before = peak = rss_mb()
    started = time.perf_counter()
    response = client.get("/admin/customer/export/csv/", buffered=False)
    if response.status_code != 200:
        raise click.ClickException(f"the CSV export answered {response.status_code}")
    first = None
    lines = 0
    for i, chunk in enumerate(response.response):
        if first is None:
            first = time.perf_counter() - started
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        if i % 5000 == 0:
            peak = max(peak, rss_mb())
    response.close()
    total = time.perf_counter() - started
    peak = max(peak, rss_mb())
    row = {"operation": "export CSV, whole list", "first_byte_ms": (first or total) * 1000, "total_ms": total * 1000,
           "rows": max(0, lines - 1), "rss_growth_mb": peak - before}
    echo(f"export CSV, whole list: first byte {row['first_byte_ms']:.0f} ms, all {row['total_ms'] / 1000:.1f} s, "
         f"{row['rows']:,} rows, memory +{row['rss_growth_mb']:.0f} MB")
    return row


@bench_group.command("registers")
@click.option("--customers", "n", default=1_000_000, show_default=True, type=click.IntRange(min=1000),
              help="Number of customers (vehicles: 1.5 times as many).")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--stock-runs", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--refill", is_flag=True, help="Fill the database again even when a filled one exists.")
@click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None,
              help="Measure one database only.")
@click.option("--pg-url", default=None,
              help="PostgreSQL database to use (default VERKSTAD_BENCH_DATABASE_URL, else TEST_DATABASE_URL); "
                   "created when missing, refused when it holds tables the benchmark did not create.")
def registers(n: int, runs: int, stock_runs: int, refill: bool, only: str | None, pg_url: str | None):
    """Customer and vehicle registers at N customers: list pages, searches, the card."""
    targets = []
    if only in (None, "sqlite"):
        targets.append(("SQLite", lambda: prepare_sqlite(
            database.sqlite_file(f"bench-registers-v{FILL_VERSION}-{n}.sqlite"), n, refill)))
    pg_url = pg_url or os.environ.get("VERKSTAD_BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if only in (None, "postgresql") and pg_url:
        targets.append(("PostgreSQL", lambda: prepare_postgresql(pg_url, n, refill)))
    for name, prepare in targets:
        started = time.perf_counter()
        uri = prepare()
        click.echo(f"{name}: database ready in {time.perf_counter() - started:.0f} s; "
                   f"{n:,} customers, {n * 3 // 2:,} vehicles; median of {runs} runs (stock: {stock_runs})")
        measure(uri, runs, stock_runs)
        click.echo("")
