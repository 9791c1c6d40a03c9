"""Benchmark of the customer card (issue 10, "Performance"): the card of a customer with 20
orders and 50 history rows among N (1,000,000) customers, beside a stock Flask-Admin details
page of the same customer in the same run, on SQLite and PostgreSQL (target: under 30 ms).

`flask --app app bench card --customers 1000000` fills a database of its own once (a SQLite
file under VERKSTAD_BENCH_DIR, default instance/; the PostgreSQL database named by --pg-url,
VERKSTAD_BENCH_CARD_URL, or TEST_DATABASE_URL with the database name verkstad_bench_card: created
when missing, used only when empty or marked as the benchmark's own, see bench/database.py) and
reuses it afterwards. The rows are made by the database itself (INSERT ... SELECT over a series
of numbers), which fills a million customers in a minute where row-by-row Python takes an hour on
a busy machine: N customers (companies with two contacts), one address each, 1.5 N vehicles,
N orders and N rows of history, and the measured customer with 20 orders (every fourth
invoiced), 3 vehicles, 3 contacts, 2 comments and 50 history rows (its own fields, a district
change, its contacts' changes).

Printed per backend: median and p95 of the card's server time (the Flask test client, wall
clock) and of the CPU time of this process for it, the part spent in SQL, the number of
statements, and the same for the stock page, and their ratio; and the same for the History tab,
fetched when it is opened (the card comes with its first tab only)."""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import click
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench import database
from bench.measure import p95, timed_gets
from cli import bench_group

FILL_VERSION = 1
FIRST_NUMBER = 1_000_000
CARD_ORDERS = 20
CARD_HISTORY = 50
DEFAULT_PG_DATABASE = "verkstad_bench_card"


def _series(dialect: str, n: int) -> str:
    """A FROM clause giving the numbers 1..n as column i."""
    if dialect == "postgresql":
        return f"generate_series(1, {int(n)}) AS g(i)"
    return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(n)}) SELECT i FROM s) AS g"


def _text(dialect: str, expr: str) -> str:
    return f"CAST({expr} AS TEXT)"


def fill(engine, n: int, echo=click.echo) -> int:
    """Fill an empty schema (with the settings data) with ``n`` customers and the rest; the id
    of the measured customer."""
    dialect = engine.dialect.name
    g = _series
    card = n // 2
    started = time.perf_counter()
    steps = [
        ("customers", f"""
            INSERT INTO customer (id, version, customer_number, kind, customer_type, name, org_number, personal_number,
                email, phone, language, country_code, district_id, vehicles_disabled, vehicle_required,
                cost_center_required, order_number_required, always_invoice_to_accounting, email_documents,
                is_insurer, active, created_at, updated_at, search_text)
            SELECT i, 1, {_text(dialect, f'{FIRST_NUMBER} + i')},
                CASE WHEN i % 5 < 3 THEN 'company' ELSE 'private' END, 'regular',
                CASE WHEN i % 5 < 3 THEN 'Kund ' || {_text(dialect, 'i')} || ' AB' ELSE 'Person ' || {_text(dialect, 'i')} END,
                CASE WHEN i % 5 < 3 THEN {_text(dialect, '5560000000 + i')} END,
                CASE WHEN i % 5 >= 3 THEN {_text(dialect, '198000000000 + i')} END,
                'kund' || {_text(dialect, 'i')} || '@example.se', '08-' || {_text(dialect, '1000000 + i')}, 'sv', 'SE',
                (SELECT min(id) FROM district), false, false, false, false, false, false, false, true,
                :now, :now, ''
            FROM {g(dialect, n)}"""),
        ("contacts", f"""
            INSERT INTO contact (id, customer_id, name, email, phone, send_service_protocol)
            SELECT i, (i + 1) / 2, 'Kontakt ' || {_text(dialect, 'i')}, 'kontakt' || {_text(dialect, 'i')} || '@example.se',
                '070-' || {_text(dialect, '1000000 + i')}, false
            FROM {g(dialect, 2 * n)} WHERE ((i + 1) / 2) % 5 < 3"""),
        ("addresses", f"""
            INSERT INTO address (id, customer_id, kind, street, postal_code, city)
            SELECT i, i, 'visiting', 'Storgatan ' || {_text(dialect, 'i % 120 + 1')}, '11122', 'Stockholm'
            FROM {g(dialect, n)}"""),
        ("vehicles", f"""
            INSERT INTO vehicle (id, version, registration_number, country_code, make_id, model, odometer_km, owner_id,
                fleet, reserved, created_at, search_text)
            SELECT i, 1, 'B' || {_text(dialect, '1000000 + i')}, 'SE', (SELECT min(id) FROM vehicle_make), 'V70',
                i % 300000, (CAST(i AS BIGINT) * 7919) % {int(n)} + 1, 'none', false, :now, ''
            FROM {g(dialect, n * 3 // 2)} WHERE (CAST(i AS BIGINT) * 7919) % {int(n)} + 1 <> {card}"""),
        ("orders", f"""
            INSERT INTO sales_order (id, version, kind, status, customer_id, vehicle_id, order_date, currency, created_at)
            SELECT i, 1, 'order', 'in_progress', (CAST(i AS BIGINT) * 7919) % {int(n)} + 1, i, :today, 'SEK', :now
            FROM {g(dialect, n)} WHERE (CAST(i AS BIGINT) * 7919) % {int(n)} + 1 <> {card}"""),
        ("history", f"""
            INSERT INTO audit_log (at, action, table_name, record_id, field, old_value, new_value)
            SELECT :now, 'update', 'customer', {_text(dialect, f'(CAST(i AS BIGINT) * 104729) % {int(n)} + 1')}, 'phone',
                '08-1', '08-2'
            FROM {g(dialect, n)} WHERE (CAST(i AS BIGINT) * 104729) % {int(n)} + 1 <> {card}"""),
    ]
    import datetime as dt

    params = {"now": dt.datetime(2026, 1, 1), "today": dt.date(2026, 1, 1)}
    from bench.registers import bulk_fill_mode

    with engine.begin() as conn:
        bulk_fill_mode(conn)  # the search index is not what this benchmark reads
        from models import db

        t = db.metadata.tables
        if not conn.scalar(select(func.count()).select_from(t["district"])):
            conn.execute(t["district"].insert(), [{"name": name, "active": True, "version": 1}
                                                  for name in ("Norr", "Söder")])
        if not conn.scalar(select(func.count()).select_from(t["vehicle_make"])):
            conn.execute(t["vehicle_make"].insert(), [{"name": "Volvo", "active": True, "version": 1}])
        for label, statement in steps:
            conn.execute(text(statement), params)
            echo(f"  {label:<10} ({time.perf_counter() - started:.0f} s)")
        card = add_card_customer(conn, n, dialect)
        if dialect == "postgresql":
            for table in ("customer", "contact", "address", "vehicle", "sales_order", "invoice", "audit_log", "comment"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if dialect == "sqlite" else "VACUUM ANALYZE"))
    echo(f"  filled in {time.perf_counter() - started:.0f} s; the card's customer is {card}")
    return card


def add_card_customer(conn, n: int, dialect: str) -> int:
    """The measured customer (the one in the middle): 20 orders, every fourth invoiced, 3
    vehicles, 3 contacts, 2 comments and 50 history rows; its id."""
    import datetime as dt
    from decimal import Decimal

    from models import db

    t = db.metadata.tables
    card = n // 2
    user_id = conn.scalar(select(func.min(t["user"].c.id)))
    districts = list(conn.scalars(select(t["district"].c.id).order_by(t["district"].c.id).limit(2)))
    day = dt.date(2025, 6, 1)
    vehicle_ids = [n * 3 // 2 + k for k in (1, 2, 3)]
    conn.execute(t["vehicle"].insert(), [
        {"id": vid, "version": 1, "registration_number": f"CRD{k:03d}", "country_code": "SE", "model": "XC60",
         "odometer_km": 10_000 * k, "owner_id": card, "fleet": "none", "reserved": False, "search_text": "",
         "created_at": dt.datetime(2026, 1, 1)} for k, vid in enumerate(vehicle_ids, 1)])
    base = int(conn.scalar(select(func.max(t["sales_order"].c.id))))
    invoices, orders = [], []
    for k in range(CARD_ORDERS):
        invoice_id = None
        if k % 4 == 0:
            invoice_id = k // 4 + 1
            invoices.append({"id": invoice_id, "kind": "invoice", "series": "card", "sequence": 900_000 + k,
                             "number": str(900_000 + k), "invoice_date": day, "due_date": day, "customer_id": card,
                             "customer_number": str(FIRST_NUMBER + card), "customer_name": f"Kund {card} AB",
                             "billing_address": [], "delivery_address": [], "country_code": "SE", "language": "sv",
                             "prices_include_vat": False, "vat_treatment": "domestic", "payment_term_days": 30,
                             "currency": "SEK", "net_total": Decimal(1000 + k), "vat_total": Decimal(250),
                             "rounding": Decimal(0), "total": Decimal(1250 + k), "print_count": 0,
                             "finalised_at": dt.datetime(2025, 6, 2)})
        quote = k % 5 == 3 and invoice_id is None  # some quotes among the orders
        orders.append({"id": base + k + 1, "version": 1, "kind": "quote" if quote else "order",
                       "status": "invoiced" if invoice_id else ("quote" if quote else "in_progress"),
                       "customer_id": card, "vehicle_id": vehicle_ids[k % 3], "order_date": day - dt.timedelta(days=k),
                       "currency": "SEK", "invoice_id": invoice_id, "created_at": dt.datetime(2025, 6, 1)})
    conn.execute(t["invoice"].insert(), invoices)
    conn.execute(t["sales_order"].insert(), orders)
    contact_base = int(conn.scalar(select(func.max(t["contact"].c.id))))
    contact_ids = [contact_base + k for k in (1, 2, 3)]
    conn.execute(t["contact"].insert(), [
        {"id": cid, "customer_id": card, "name": f"Kontakt {k}", "email": f"k{k}@kund.example", "phone": "070-1",
         "send_service_protocol": k == 1} for k, cid in enumerate(contact_ids, 1)])
    conn.execute(t["comment"].insert(), [
        {"entity": "customer", "record_id": card, "body": f"Ring före {k}", "created_at": dt.datetime(2025, 6, 1),
         "created_by_id": user_id} for k in (1, 2)])
    audit_base = int(conn.scalar(select(func.max(t["audit_log"].c.id))))
    fields = [("phone", "08-1", "08-2"), ("email", "a@kund.example", "b@kund.example"),
              ("district_id", str(districts[0]), str(districts[-1])), ("active", "1", "0"),
              ("name", f"Kund {card}", f"Kund {card} AB")]
    rows = []
    for k in range(CARD_HISTORY):
        at = dt.datetime(2025, 1, 1) + dt.timedelta(days=k, hours=k % 7)
        if k % 5 == 4:  # a change of one of its contacts shows on its card
            rows.append({"id": audit_base + k + 1, "at": at, "user_id": user_id, "action": "update",
                         "table_name": "contact", "record_id": str(contact_ids[k % 3]), "parent_table": "customer",
                         "parent_id": str(card), "field": "phone", "old_value": "070-1", "new_value": "070-2"})
            continue
        field, old, new = fields[k % len(fields)]
        rows.append({"id": audit_base + k + 1, "at": at, "user_id": user_id, "action": "update",
                     "table_name": "customer", "record_id": str(card), "parent_table": None, "parent_id": None,
                     "field": field, "old_value": old, "new_value": new})
    conn.execute(t["audit_log"].insert(), rows)  # every row with the same keys: one executemany
    return card


def prepare(url: str, n: int, refill: bool, echo=click.echo) -> tuple[str, int]:
    """The filled database for ``n`` customers at ``url`` (filled now unless done before) and
    the measured customer's id."""
    from bench.registers import bench_app
    from models import db

    fill_key = f"card v{FILL_VERSION} n={n}"
    card = n // 2
    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        path = Path(target.database)
        if path.exists() and not refill:
            echo(f"SQLite: reusing {path}")
            return url, card
        partial = path.with_suffix(".part")
        partial.unlink(missing_ok=True)
        from sqlalchemy import event

        from bench.registers import _sqlite_fast

        engine = create_engine(f"sqlite:///{partial}")
        event.listen(engine, "connect", _sqlite_fast)
        db.metadata.create_all(engine)
        bench_app(f"sqlite:///{partial}")  # settings data and the benchmark's user
        echo(f"SQLite: filling {partial} with {n:,} customers")
        fill(engine, n, echo)
        engine.dispose()
        partial.replace(path)
        return url, card
    url = target.render_as_string(hide_password=False)
    if database.claim(url, fill_key, refill, echo=echo):
        return url, card
    engine = create_engine(url)
    db.metadata.create_all(engine)
    bench_app(url)
    echo(f"PostgreSQL: filling database {target.database} with {n:,} customers")
    fill(engine, n, echo)
    engine.dispose()
    database.mark_done(url)
    return url, card


def _time(client, url: str, runs: int, clock) -> dict:
    wall, cpu, sql = timed_gets(client, url, runs, clock)
    return {"median": statistics.median(wall), "p95": p95(wall), "cpu_median": statistics.median(cpu),
            "cpu_p95": p95(cpu), "sql_median": statistics.median(sql), "statements": clock.statements}


def measure(url: str, card: int, runs: int, echo=click.echo) -> dict:
    from bench.registers import ADMIN_PASSWORD, SqlClock, bench_app
    from models import db

    app = bench_app(url)
    client = app.test_client()
    if client.post("/login", data={"username": "bench", "password": ADMIN_PASSWORD}).status_code != 302:
        raise click.ClickException("the benchmark user could not log in")
    with app.app_context():
        clock = SqlClock(db.engine)
    ours, stock = f"/admin/customer/details/?id={card}", f"/stock/stock_customer/details/?id={card}"
    # the card comes with its first tab; the others are fetched when opened (the History tab measured too)
    tab = f"/admin/customer/tab/?id={card}&tab=%s"
    page = client.get(ours).get_data(as_text=True)
    invoices = client.get(tab % "invoices").get_data(as_text=True)
    history = client.get(tab % "history").get_data(as_text=True)
    if ('id="tab-link-history"' not in page or f">{900_000 + CARD_ORDERS - 4}<" not in invoices
            or history.count("history-table") < 1):
        raise click.ClickException("the card does not show the customer's invoices and history")
    pages = (("card", ours), ("stock details", stock), ("history tab", tab % "history"))
    results = {}
    # interleaved, so that a busy moment of the machine falls on all alike
    for label, target in pages:
        _time(client, target, 3, clock)  # templates compiled, caches filled
    rounds = {label: [] for label, _target in pages}
    for _ in range(runs):
        for label, target in pages:
            rounds[label].append(_time(client, target, 1, clock))
    for label, rows in rounds.items():
        results[label] = {key: statistics.median(r[key] for r in rows) for key in ("median", "cpu_median",
                                                                                  "sql_median", "statements")}
        results[label]["p95"] = p95([r["median"] for r in rows])
        results[label]["cpu_p95"] = p95([r["cpu_median"] for r in rows])
    with app.app_context():
        db.engine.dispose()
    echo(f"{'page':<16} {'median':>8} {'p95':>8} {'cpu med':>8} {'cpu p95':>8} {'(sql)':>8} {'stmts':>5}")
    for label, row in results.items():
        echo(f"{label:<16} {row['median']:>6.1f}ms {row['p95']:>6.1f}ms {row['cpu_median']:>6.1f}ms "
             f"{row['cpu_p95']:>6.1f}ms {row['sql_median']:>6.1f}ms {row['statements']:>5.0f}")
    ratio = results["card"]["median"] / results["stock details"]["median"]
    echo(f"card / stock details: {ratio:.2f}x (target: the card under 30 ms)")
    return results


@bench_group.command("card")
@click.option("--customers", "n", default=1_000_000, show_default=True, type=click.IntRange(min=1000))
@click.option("--runs", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--refill", is_flag=True, help="Fill the database again even when a filled one exists.")
@click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None, help="Measure one database only.")
@click.option("--pg-url", default=None,
              help=f"PostgreSQL database to use (default VERKSTAD_BENCH_CARD_URL, else TEST_DATABASE_URL with the "
                   f"database {DEFAULT_PG_DATABASE}); created when missing, refused when it holds tables the "
                   "benchmark did not create.")
def card_bench(n: int, runs: int, refill: bool, only: str | None, pg_url: str | None):
    """The customer card at N customers (20 orders, 50 history rows) beside a stock details page."""
    targets = []
    if only in (None, "sqlite"):
        targets.append(("SQLite", f"sqlite:///{database.sqlite_file(f'bench-card-v{FILL_VERSION}-{n}.sqlite')}"))
    pg_url = pg_url or os.environ.get("VERKSTAD_BENCH_CARD_URL")
    if pg_url is None and os.environ.get("TEST_DATABASE_URL"):
        pg_url = make_url(os.environ["TEST_DATABASE_URL"]).set(database=DEFAULT_PG_DATABASE).render_as_string(
            hide_password=False)
    if only in (None, "postgresql") and pg_url:
        targets.append(("PostgreSQL", pg_url))
    for name, url in targets:
        started = time.perf_counter()
        url, card = prepare(url, n, refill)
        click.echo(f"{name}: database ready in {time.perf_counter() - started:.0f} s; {n:,} customers; "
                   f"median of {runs} runs of each page, interleaved")
        measure(url, card, runs)
        click.echo("")
