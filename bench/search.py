"""Benchmark of the global search in the top bar (issue 10 item 4, "Performance").

`flask --app app bench search --customers 1000000` fills a database of its own (the data of
`bench registers`: N customers with their contacts, 1.5 N vehicles, N orders, every tenth
invoiced; plus customer tags on about one customer in ten and an OCR reference on every
invoice), then times the global search's JSON answer (``/admin/search/json``) for a name
fragment, a registration number, an OCR number and a tag, as an administrator and as a
technician limited to his assigned customers, beside a naive baseline answering the same
question in the same run: the same kinds looked up with ``lower(column) LIKE '%term%'`` over
their columns, OR-ed, as a stock Flask-Admin search does (``/stock/naive-search``). Target:
median under 50 ms. The filled databases are kept (SQLite under VERKSTAD_BENCH_DIR, default
instance/; PostgreSQL in the database named by --pg-url, VERKSTAD_BENCH_DATABASE_URL
or TEST_DATABASE_URL with ``_search`` appended) and reused by the next run with the same N."""
from __future__ import annotations

import os
import random
import statistics
import time
from pathlib import Path
from urllib.parse import quote

import click
from flask import jsonify, request
from sqlalchemy import String, cast, create_engine, func, insert, or_, select, text
from sqlalchemy.engine import make_url

from bench import database, registers
from bench.measure import p95, timed_gets
from cli import bench_group

VERSION = 1
# (name, share of the customers holding it): one common tag, a few rare ones
TAGS = [("Flottkund", 0.04), ("Däckhotell", 0.03), ("Serviceavtal", 0.02), ("Återförsäljare", 0.005),
        ("Höstkampanj 2026", 0.01), ("Företagsleasing", 0.008), ("VIP", 0.002), ("Taxi Göteborg", 0.003),
        ("Miljöbil", 0.006), ("Kommun", 0.004), ("Bud & Åkeri", 0.002), ("Inaktiv kontakt", 0.001)]
TECHNICIAN = "bench-tech"
ASSIGNED = 500


def _add_extras(engine, n: int, echo=click.echo) -> None:
    """Tags on customers (their names also in the customer's search text, as
    services.platform.search.customer_search_text writes it), an OCR reference on every invoice and a
    technician limited to ``ASSIGNED`` customers."""
    from models import db
    from services.sales.pricing import ocr_reference

    t = db.metadata.tables
    rng = random.Random(10)
    started = time.perf_counter()
    with engine.begin() as conn:
        tag_ids = registers._lookup_ids(conn, t["tag"], [name for name, _share in TAGS])
        holders: dict[int, list[str]] = {}
        links = []
        for (name, share), tag_id in zip(TAGS, tag_ids, strict=True):
            for cid in rng.sample(range(1, n + 1), int(n * share)):
                holders.setdefault(cid, []).append(name.lower())
                links.append({"customer_id": cid, "tag_id": tag_id})
        for start in range(0, len(links), registers.CHUNK):
            conn.execute(insert(t["customer_tag"]), links[start:start + registers.CHUNK])
        echo(f"  {len(links):,} tags on {len(holders):,} customers ({time.perf_counter() - started:.0f} s)")
        rows = [{"i": cid, "s": " | " + " | ".join(sorted(names))} for cid, names in holders.items()]
        for start in range(0, len(rows), registers.CHUNK):
            conn.execute(text("UPDATE customer SET search_text = search_text || :s WHERE id = :i"),
                         rows[start:start + registers.CHUNK])
        echo(f"  search texts of tagged customers updated ({time.perf_counter() - started:.0f} s)")
        invoices = [{"i": i, "o": ocr_reference(number)}
                    for i, number in conn.execute(text("SELECT id, number FROM invoice"))]
        for start in range(0, len(invoices), registers.CHUNK):
            conn.execute(text("UPDATE invoice SET ocr = :o WHERE id = :i"), invoices[start:start + registers.CHUNK])
        echo(f"  OCR on {len(invoices):,} invoices ({time.perf_counter() - started:.0f} s)")
        conn.execute(text("ANALYZE"))


def _technician(app) -> None:
    from models import Customer, Role, User, customer_technician, db
    from services.platform.auth import hash_password

    with app.app_context():
        if db.session.scalar(select(User).where(User.username == TECHNICIAN)) is not None:
            return
        role = db.session.scalar(select(Role).where(Role.name == "Technician"))
        user = User(username=TECHNICIAN, full_name="Bench Tekniker", role=role,
                    password_hash=hash_password(registers.ADMIN_PASSWORD))
        db.session.add(user)
        db.session.flush()
        n = db.session.scalar(select(func.max(Customer.id)))
        ids = random.Random(11).sample(range(1, n + 1), ASSIGNED)
        db.session.execute(insert(customer_technician), [{"customer_id": i, "user_id": user.id} for i in ids])
        db.session.commit()


def prepare_sqlite(path: Path, n: int, refill: bool, echo=click.echo) -> str:
    from sqlalchemy import event

    from models import db

    if path.exists() and not refill:
        echo(f"SQLite: reusing {path}")
        return f"sqlite:///{path}"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{partial}")
    event.listen(engine, "connect", registers._sqlite_fast)
    db.metadata.create_all(engine)
    app = registers.bench_app(f"sqlite:///{partial}")
    echo(f"SQLite: filling {partial} with {n:,} customers")
    registers.fill(engine, n, echo=echo)
    _add_extras(engine, n, echo)
    engine.dispose()
    _technician(app)
    with app.app_context():
        db.engine.dispose()
    partial.replace(path)
    return f"sqlite:///{path}"


def prepare_postgresql(url: str, n: int, refill: bool, echo=click.echo) -> str:
    from models import db

    url = make_url(url).render_as_string(hide_password=False)
    if database.claim(url, f"search v{VERSION} registers v{registers.FILL_VERSION} n={n}", refill, echo=echo):
        return url
    engine = create_engine(url)
    db.metadata.create_all(engine)
    app = registers.bench_app(url)
    echo(f"PostgreSQL: filling database {make_url(url).database} with {n:,} customers")
    registers.fill(engine, n, echo=echo)
    _add_extras(engine, n, echo)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    _technician(app)
    with app.app_context():
        db.engine.dispose()
    database.mark_done(url)
    return url


# --- the naive baseline: what a search written with LIKE over the columns does --------------


def naive_search(session, query: str, limit: int = 5) -> dict[str, list[str]]:
    """The same kinds and columns as services.platform.search.global_search, each looked up with
    ``column LIKE '%term%'`` (ILIKE on PostgreSQL; SQLite's LIKE ignores ASCII case by itself)
    OR-ed over its columns, LIMIT as the drop-down shows: no search index, no rights."""
    from models import Article, Booking, Contact, Customer, Invoice, Order, Tag, User, Vehicle, customer_tag
    from services.platform.search import like_escape

    dialect = session.get_bind().dialect.name
    pattern = f"%{like_escape(query.strip())}%"

    def like(column):
        return column.ilike(pattern, escape="\\") if dialect == "postgresql" else column.like(pattern, escape="\\")

    def rows(model, *conditions):
        return [str(r) for r in session.scalars(select(model).where(or_(*conditions)).limit(limit + 1))]

    contacts = select(Contact.customer_id).where(or_(like(Contact.name), like(Contact.email), like(Contact.phone)))
    tagged = select(customer_tag.c.customer_id).join(Tag, Tag.id == customer_tag.c.tag_id).where(like(Tag.name))
    plates = select(Vehicle.owner_id).where(like(Vehicle.registration_number))
    return {
        "customer": rows(Customer, like(Customer.name), like(Customer.customer_number), like(Customer.email),
                         like(Customer.phone), like(Customer.org_number), like(Customer.personal_number),
                         Customer.id.in_(contacts), Customer.id.in_(tagged), Customer.id.in_(plates)),
        "vehicle": rows(Vehicle, like(Vehicle.registration_number), like(Vehicle.vin)),
        "order": rows(Order, like(cast(Order.id, String))),
        "invoice": rows(Invoice, like(Invoice.number), like(Invoice.ocr)),
        "booking": rows(Booking, like(Booking.number), like(Booking.customer_name)),
        "article": rows(Article, like(Article.number), like(Article.name), like(Article.ean)),
        "user": rows(User, like(User.username), like(User.full_name), like(User.email)),
    }


def search_app(uri: str):
    """bench.registers' app with the naive baseline at /stock/naive-search?q=."""
    from models import db

    app = registers.bench_app(uri)

    def naive():
        return jsonify(naive_search(db.session, request.args.get("q", "")))

    app.add_url_rule("/stock/naive-search", "naive_search", naive)
    _technician(app)
    return app


def probes(app) -> list[tuple[str, str]]:
    """(label, query) of the measured searches, picked from the data at random but repeatably."""
    from models import Customer, Invoice, Vehicle, db

    rng = random.Random(12)
    with app.app_context():
        n = db.session.scalar(select(func.max(Customer.id)))
        private = db.session.scalars(select(Customer).where(Customer.id >= rng.randrange(n // 2), Customer.kind == "private")
                                     .order_by(Customer.id).limit(1)).one()
        first, last = private.name.split(" ", 1)
        plate = db.session.scalars(select(Vehicle.registration_number).where(Vehicle.id >= rng.randrange(n))
                                   .order_by(Vehicle.id).limit(1)).one()
        ocr = db.session.scalars(select(Invoice.ocr).where(Invoice.id >= rng.randrange(max(1, n // 20)))
                                 .order_by(Invoice.id).limit(1)).one()
    return [
        (f"name fragment '{first[:4]} {last[:6]}'", f"{first[:4]} {last[:6]}".lower()),
        (f"registration number '{plate}'", plate),
        (f"OCR number '{ocr}'", ocr),
        ("tag 'Däckhotell' (3 % of customers)", "Däckhotell"),
        ("tag 'VIP' (0.2 % of customers)", "vip"),
        ("(extra) common surname 'andersson'", "andersson"),
    ]


def _login(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": registers.ADMIN_PASSWORD})
    if response.status_code != 302:
        raise click.ClickException(f"the benchmark user {username} could not log in")
    return client


def measure(uri: str, runs: int, echo=click.echo) -> list[dict]:
    from models import db

    app = search_app(uri)
    admin, tech = _login(app, "bench"), _login(app, TECHNICIAN)
    with app.app_context():
        clock = registers.SqlClock(db.engine)
    echo(f"{'global search':<44} {'median':>8} {'p95':>8} {'(cpu)':>8} {'(sql)':>8} {'hits':>5} {'naive med':>10} "
         f"{'naive p95':>10} {'ratio':>7}  {'technician med':>14} {'p95':>8}")
    results = []
    for label, query in probes(app):
        q = quote(query)
        ours_url, naive_url = f"/admin/search/json?q={q}", f"/stock/naive-search?q={q}"
        registers._time(admin, ours_url, 2)  # warm the caches
        hits = sum(len(g["items"]) for g in admin.get(ours_url).get_json()["groups"])
        ours, cpu, sql = timed_gets(admin, ours_url, runs, clock)
        registers._time(admin, naive_url, 1)
        naive, _cpu, _sql = timed_gets(admin, naive_url, max(3, runs // 4), clock)
        registers._time(tech, ours_url, 1)
        limited, _cpu, _sql = timed_gets(tech, ours_url, runs, clock)
        row = {"operation": label, "median": statistics.median(ours), "p95": p95(ours),
               "cpu_median": statistics.median(cpu), "sql_median": statistics.median(sql), "hits": hits,
               "naive_median": statistics.median(naive),
               "naive_p95": p95(naive), "technician_median": statistics.median(limited),
               "technician_p95": p95(limited)}
        row["ratio"] = row["naive_median"] / row["median"]
        results.append(row)
        echo(f"{label[:44]:<44} {row['median']:>6.1f}ms {row['p95']:>6.1f}ms {row['cpu_median']:>6.1f}ms "
             f"{row['sql_median']:>6.1f}ms "
             f"{hits:>5} {row['naive_median']:>8.1f}ms {row['naive_p95']:>8.1f}ms {row['ratio']:>6.1f}x  "
             f"{row['technician_median']:>12.1f}ms {row['technician_p95']:>6.1f}ms")
    with app.app_context():
        db.engine.dispose()
    return results


@bench_group.command("search")
@click.option("--customers", "n", default=1_000_000, show_default=True, type=click.IntRange(min=1000),
              help="Number of customers (vehicles: 1.5 times as many).")
@click.option("--runs", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--refill", is_flag=True, help="Fill the database again even when a filled one exists.")
@click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None, help="Measure one database only.")
@click.option("--pg-url", default=None,
              help="PostgreSQL database to use (default: the server of VERKSTAD_BENCH_DATABASE_URL or "
                   "TEST_DATABASE_URL, database verkstad_bench_search); created when missing.")
def search_command(n: int, runs: int, refill: bool, only: str | None, pg_url: str | None):
    """The global search at N customers: name fragment, plate, OCR, tag; naive LIKE beside it."""
    targets = []
    if only in (None, "sqlite"):
        targets.append(("SQLite", lambda: prepare_sqlite(database.sqlite_file(f"search-v{VERSION}-{n}.sqlite"), n, refill)))
    if pg_url is None:
        server = os.environ.get("VERKSTAD_BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        pg_url = make_url(server).set(database="verkstad_bench_search").render_as_string(hide_password=False) \
            if server else None
    if only in (None, "postgresql") and pg_url:
        targets.append(("PostgreSQL", lambda: prepare_postgresql(pg_url, n, refill)))
    for name, prepare in targets:
        started = time.perf_counter()
        uri = prepare()
        click.echo(f"{name}: database ready in {time.perf_counter() - started:.0f} s; {n:,} customers, "
                   f"{n * 3 // 2:,} vehicles; median of {runs} runs (naive: {max(3, runs // 4)}); "
                   f"technician: {ASSIGNED} assigned customers")
        measure(uri, runs)
        click.echo("")
