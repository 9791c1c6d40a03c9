"""Benchmark of the BgMax import (issue 12, Performance: 10,000 payments under 10 s).

`flask --app app bench bgmax-import` fills a database of its own (a SQLite file under
VERKSTAD_BENCH_DIR, default instance/, made again each run; the PostgreSQL database named by
--pg-url, VERKSTAD_BENCH_BGMAX_URL, or TEST_DATABASE_URL with the database name
verkstad_bench_bgmax: created when missing, used only when empty or marked as the benchmark's own,
see bench/database.py) with 2,000 customers and 11,000 open invoices, writes a BgMax file of
PAYMENTS payments (nine in ten pay an invoice by its OCR reference: in full, in part, or with
a rest kept as customer credit; one in ten has an unknown reference) and times
services.ledger.bgmax_import.import_bgmax: parse, match (500 references per query), book
(register_payments and book_vouchers: a few statements per 500 payments) and flush, in one
transaction that is rolled back after each run, median of RUNS.

Beside it, in the same run, a naive baseline: one invoice query per payment and
register_payment for each (a dozen statements per payment), over the first BASELINE payments
of the same file (default 1,000; its rate is given per payment and scaled to PAYMENTS) and
rolled back too. Fails when the import takes longer than 10 s."""
from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import time
from decimal import Decimal

import click
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import make_url

from bench import database
from bench.ledger_data import GenPayment, write_bgmax
from cli import bench_group

LIMIT_S = 10.0
DEFAULT_PG_DATABASE = "verkstad_bench_bgmax"
CUSTOMERS = 2_000
DATE = dt.date(2026, 11, 30)
INVOICE_TOTAL = Decimal("1250.00")


def _ocr(sequence: int) -> str:
    from services.sales.pricing import ocr_reference

    return ocr_reference(sequence)


def fill(engine, invoices: int) -> None:
    """Customers and open invoices of 1 250.00 (net 1 000, VAT 250), invoice i has OCR of 100000 + i."""
    from models import Customer, Invoice

    with engine.begin() as conn:
        conn.execute(insert(Customer), [
            {"customer_number": str(10_000 + c), "name": f"Kund {c} AB", "kind": "company",
             "org_number": f"55600{c:05d}", "customer_type": "regular", "language": "sv", "country_code": "SE"}
            for c in range(CUSTOMERS)])
        first = conn.scalar(select(Customer.id).order_by(Customer.id).limit(1))
        rows = []
        for i in range(invoices):
            sequence = 100_000 + i
            rows.append({"kind": "invoice", "series": "invoice", "sequence": sequence, "number": str(sequence),
                         "invoice_date": DATE - dt.timedelta(days=20), "due_date": DATE + dt.timedelta(days=10),
                         "ocr": _ocr(sequence), "customer_id": first + i % CUSTOMERS,
                         "customer_number": str(10_000 + i % CUSTOMERS), "customer_name": f"Kund {i % CUSTOMERS} AB",
                         "billing_address": [], "delivery_address": [], "country_code": "SE", "language": "sv",
                         "prices_include_vat": False, "vat_treatment": "domestic", "payment_term_days": 30,
                         "currency": "SEK", "net_total": Decimal("1000.00"), "vat_total": Decimal("250.00"),
                         "rounding": Decimal("0"), "total": INVOICE_TOTAL, "print_count": 0})
            if len(rows) == 2000:
                conn.execute(insert(Invoice), rows)
                rows = []
        if rows:
            conn.execute(insert(Invoice), rows)


def bgmax_file(payments: int) -> bytes:
    """Nine in ten pay invoice i (in full; every 7th in part, every 11th 100 kr too much), one in
    ten names an unknown reference; 1,000 payments per deposit."""
    sections, current = [], []
    for i in range(payments):
        if i % 10 == 9:
            p = GenPayment(Decimal("499.00"), "99" + str(i).zfill(8), name=f"Okänd {i}")
        else:
            amount = INVOICE_TOTAL - 250 if i % 7 == 0 else INVOICE_TOTAL + 100 if i % 11 == 0 else INVOICE_TOTAL
            p = GenPayment(amount, _ocr(100_000 + i), name=f"Kund {i % CUSTOMERS} AB",
                           organisation_number=f"55600{i % CUSTOMERS:05d}")
        current.append(p)
        if len(current) == 1000:
            sections.append(current)
            current = []
    if current:
        sections.append(current)
    out = io.BytesIO()
    write_bgmax(out, sections, date=DATE)
    return out.getvalue()


def prepare(url: str, invoices: int, echo=click.echo):
    """A fresh database with the customers and invoices; returns the app on it."""
    from bench.registers import bench_app
    from models import db

    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        path = target.database
        if os.path.exists(path):
            os.unlink(path)
        engine = create_engine(url)
        db.metadata.create_all(engine)
    else:
        database.claim(url, f"bgmax-import invoices={invoices}", refill=True, echo=echo)
        engine = create_engine(url)
        db.metadata.create_all(engine)
    app = bench_app(url)
    fill(engine, invoices)
    engine.dispose()
    if target.get_backend_name() != "sqlite":
        database.mark_done(url)
    return app


def naive(session, data: bytes, count: int) -> int:
    """The baseline: each payment looked up by its own query and booked by register_payment."""
    from models import Invoice
    from services.ledger import payments as pay
    from services.ledger.bgmax import parse_bgmax

    parsed = parse_bgmax(data)
    settings = None
    booked = 0
    for section in parsed.sections:
        for p in section.payments:
            if booked >= count:
                return booked
            invoice = session.scalar(select(Invoice).where(Invoice.ocr == p.reference, Invoice.kind == "invoice"))
            if invoice is None:
                booked += 1
                continue
            pay.register_payment(session, invoice.customer, section.deposit_date, p.amount, "bankgiro", p.reference,
                                 [(invoice, None)], rest="credit", bank_reference=p.bank_reference,
                                 settings=settings)
            booked += 1
    return booked


def measure(app, data: bytes, payments: int, runs: int, baseline: int, echo=click.echo) -> float:
    from models import db
    from services.ledger.bgmax_import import import_bgmax
    from services.ledger.vouchers import ensure_year
    from services.platform.settings import load_settings

    with app.app_context():
        ensure_year(db.session, DATE)
        db.session.commit()
        settings = load_settings(db.session)
        times, counts = [], None
        for _ in range(runs):
            started = time.perf_counter()
            result = import_bgmax(db.session, data, "bench.txt", None, settings)
            times.append(time.perf_counter() - started)
            counts = (len(result.booked), len(result.unmatched))
            db.session.rollback()
        started = time.perf_counter()
        done = naive(db.session, data, baseline)
        naive_s = time.perf_counter() - started
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    seconds = statistics.median(times)
    per = naive_s / done
    echo(f"  import_bgmax: {payments:,} payments ({counts[0]:,} booked, {counts[1]:,} unmatched) median "
         f"{seconds:6.2f} s of {runs} ({payments / seconds:,.0f} payments/s; runs {', '.join(f'{t:.2f}' for t in times)})")
    echo(f"  naive baseline (a query and register_payment per payment): {done:,} payments in {naive_s:6.2f} s, "
         f"{per * 1000:.1f} ms each, {per * payments:,.0f} s for {payments:,}; "
         f"ratio {per * payments / seconds:.0f}x (limit {LIMIT_S:.0f} s for the import)")
    return seconds


@bench_group.command("bgmax-import")
@click.option("--payments", default=10_000, show_default=True, type=click.IntRange(min=10))
@click.option("--runs", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--baseline", default=1_000, show_default=True, type=click.IntRange(min=1),
              help="Payments the naive baseline books (its time is scaled to PAYMENTS).")
@click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None, help="Measure one database only.")
@click.option("--pg-url", default=None,
              help=f"PostgreSQL database to use (default VERKSTAD_BENCH_BGMAX_URL, else TEST_DATABASE_URL with the "
                   f"database {DEFAULT_PG_DATABASE}); created when missing, refused when it holds tables the "
                   "benchmark did not create.")
def bgmax_import_bench(payments: int, runs: int, baseline: int, only: str | None, pg_url: str | None):
    """Import a generated BgMax file of PAYMENTS payments into a database of open invoices."""
    targets = []
    if only in (None, "sqlite"):
        targets.append(("SQLite", f"sqlite:///{database.sqlite_file('bench-bgmax-import.sqlite')}"))
    pg_url = pg_url or os.environ.get("VERKSTAD_BENCH_BGMAX_URL")
    if pg_url is None and os.environ.get("TEST_DATABASE_URL"):
        pg_url = make_url(os.environ["TEST_DATABASE_URL"]).set(database=DEFAULT_PG_DATABASE).render_as_string(
            hide_password=False)
    if only in (None, "postgresql") and pg_url:
        targets.append(("PostgreSQL", pg_url))
    data = bgmax_file(payments)
    slow = False
    for name, url in targets:
        started = time.perf_counter()
        app = prepare(url, payments + 1_000)
        click.echo(f"{name}: {CUSTOMERS:,} customers, {payments + 1_000:,} open invoices ready in "
                   f"{time.perf_counter() - started:.0f} s; file {len(data) / 1e6:.1f} MB")
        slow |= measure(app, data, payments, runs, baseline) > LIMIT_S
    if slow:
        raise SystemExit(1)
