"""Benchmark of sales documents (issue 5, "Performance").

`flask --app app bench sales` works in a separate SQLite database under instance/ and prints:
- the median time to render a one-page invoice PDF (target < 150 ms), against a baseline of
  xhtml2pdf rendering a one-line page in the same run;
- collective invoicing of N ready orders (default 1,000; target < 90 s) with the peak RSS,
  and the RSS growth between the first and the last quarter of the run (memory must not grow
  with the count);
- the order list page and searches on invoice number and registration number with M orders
  (default 1,000,000; target < 40 ms), against the dashboard page as a baseline.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import random
import resource
import statistics
import time
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import func, insert, select

from bench.measure import rss_mb
from cli import bench_group
from config.settings import BASE_DIR

TODAY = dt.date(2026, 11, 24)
PASSWORD = "bench-sales-password-1"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _app(path: Path, fresh: bool):
    from app import create_app
    from models import db
    from services.platform.setup import seed_defaults

    if fresh and path.exists():
        path.unlink()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": False,
                      "TESTING": True})
    with app.app_context():
        db.create_all()
        seed_defaults(db.session)
    return app


def _base_data(session, customers: int, rng: random.Random):
    from models import Address, Article, Customer, LabourOperation, PaymentTerm, VatRate, Vehicle

    vat25 = session.scalar(select(VatRate).where(VatRate.percent == 25))
    term = session.scalar(select(PaymentTerm).where(PaymentTerm.days == 30))
    art = Article(number="B-OLJA", name="Motorolja 5W-30", price=Decimal("129.00"), vat_rate=vat25)
    op = LabourOperation(code="B-SERV", name="Service", standard_hours=Decimal("1.5"),
                         hourly_rate=Decimal("950.00"), vat_rate=vat25)
    session.add_all([art, op])
    made = []
    for i in range(customers):
        c = Customer(customer_number=str(900000 + i), name=f"Benchkund {i} AB", org_number="5560360793",
                     payment_term=term, active=True)
        c.addresses.append(Address(kind="billing", street=f"Storgatan {i % 90 + 1}", postal_code="11122",
                                   city="Stockholm"))
        c.vehicles.append(Vehicle(registration_number=f"BN{i:05d}", odometer_km=rng.randrange(200000)))
        made.append(c)
    session.add_all(made)
    session.commit()
    return made, art, op


def bench_pdf(app, runs: int, echo) -> dict:
    from models import db
    from reports.sales import sales as pdf
    from services.sales import invoicing, orders
    from services.platform.settings import load_settings
    from xhtml2pdf import pisa

    with app.app_context(), app.test_request_context():
        customers, art, op = _base_data(db.session, 1, random.Random(1))
        order = orders.create_order(db.session, customers[0], None, vehicle=customers[0].vehicles[0], today=TODAY)
        for _ in range(3):
            orders.add_line(db.session, order, "article", article=art, quantity=2)
            orders.add_line(db.session, order, "labour", labour=op)
        settings = load_settings(db.session)
        invoice = invoicing.finalise_invoice(db.session, order, None, TODAY, settings)
        db.session.commit()
        data = pdf.invoice_data(invoice)
        pdf.render_pdf(data, settings)  # warm-up: fonts, templates

        def baseline():
            pisa.CreatePDF("<html><body><p>Verkstad</p></body></html>", dest=io.BytesIO())

        base = _median_ms(baseline, runs)
        full = _median_ms(lambda: pdf.render_pdf(data, settings), runs)
    echo(f"invoice PDF: median {full:.1f} ms (target < 150 ms); baseline one-line page {base:.1f} ms; "
         f"ratio {full / base:.2f}")
    return {"pdf_ms": full, "pdf_baseline_ms": base}


def bench_collective(app, n_orders: int, echo) -> dict:
    from models import Order, OrderLine, db
    from services.sales import invoicing
    from services.platform.settings import load_settings

    rng = random.Random(5)
    with app.app_context():
        customers, art, op = _base_data(db.session, max(1, n_orders // 4), rng)
        ids = [(c.id, c.vehicles[0].id) for c in customers]
        art_id, op_id = art.id, op.id
        # ready orders through Core (the run itself goes through the services)
        rows = []
        for i in range(n_orders):
            cid, vid = ids[i % len(ids)]
            rows.append({"kind": "order", "status": "ready", "customer_id": cid, "vehicle_id": vid,
                         "order_date": TODAY, "currency": "SEK", "version": 1, "created_at": dt.datetime(2026, 11, 1)})
        db.session.execute(insert(Order), rows)
        order_ids = list(db.session.scalars(select(Order.id).where(Order.status == "ready").order_by(Order.id)))
        lines = []
        for oid in order_ids:
            lines.append({"order_id": oid, "position": 1, "kind": "article", "article_id": art_id, "text": "Motorolja",
                          "unit": "l", "quantity": Decimal("4.5"), "unit_price": Decimal("129.00"),
                          "discount_percent": Decimal(0), "vat_percent": Decimal(25), "charge_to": "customer"})
            lines.append({"order_id": oid, "position": 2, "kind": "labour", "labour_operation_id": op_id,
                          "text": "Service", "unit": "h", "quantity": Decimal("1.5"), "unit_price": Decimal("950.00"),
                          "discount_percent": Decimal(0), "vat_percent": Decimal(25), "charge_to": "customer"})
        db.session.execute(insert(OrderLine), lines)
        db.session.commit()
        db.session.expunge_all()
        settings = load_settings(db.session)
        start = time.perf_counter()
        ready = list(db.session.scalars(invoicing.ready_orders_query()))
        groups = invoicing.plan_collective(db.session, ready, False, settings)
        del ready
        db.session.expunge_all()
        samples = []

        def progress(done, total):
            if done in (max(1, total // 4), total):
                samples.append(rss_mb())

        result = invoicing.run_collective(db.session, groups, None, TODAY, settings, progress)
        db.session.commit()  # all or nothing: one transaction, as the job runs it
        seconds = time.perf_counter() - start
        invoiced = db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "invoiced"))
    growth = samples[-1] - samples[0] if len(samples) == 2 else 0.0
    echo(f"collective invoicing: {n_orders} orders -> {len(result.invoices)} invoices ({invoiced} orders invoiced) in {seconds:.1f} s (target < 90 s); "
         f"{seconds / max(1, n_orders) * 1000:.1f} ms per order; peak RSS {_peak_mb():.0f} MB; "
         f"RSS growth from 1/4 to the end {growth:+.1f} MB")
    return {"collective_s": seconds, "peak_rss_mb": _peak_mb(), "rss_growth_mb": growth}


def _fill_orders(app, n: int, echo) -> None:
    """M orders over 10,000 customers; every tenth one invoiced (Core inserts, in chunks)."""
    from models import Invoice, Order, db

    with app.app_context():
        if (db.session.scalar(select(func.count()).select_from(Order)) or 0) >= n:
            return
        echo(f"filling {n} orders ...")
        rng = random.Random(7)
        customers, _art, _op = _base_data(db.session, 2000, rng)
        cust = [(c.id, c.vehicles[0].id, c.customer_number, c.name) for c in customers]
        chunk = 50_000
        number = 100_000
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            invoices, orders_rows = [], []
            for i in range(size):
                cid, vid, cno, cname = cust[(start + i) % len(cust)]
                day = TODAY - dt.timedelta(days=(start + i) % 365)
                orders_rows.append({"kind": "order", "status": "in_progress", "customer_id": cid, "vehicle_id": vid,
                                    "order_date": day, "currency": "SEK", "version": 1,
                                    "customer_order_number": f"PO{start + i}", "created_at": dt.datetime(2026, 1, 1)})
                if (start + i) % 10 == 0:
                    number += 1
                    invoices.append({"kind": "invoice", "series": "bench", "sequence": number, "number": str(number),
                                     "invoice_date": day, "due_date": day, "customer_id": cid, "customer_number": cno,
                                     "customer_name": cname, "billing_address": [], "delivery_address": [],
                                     "country_code": "SE", "language": "sv", "prices_include_vat": False,
                                     "vat_treatment": "domestic", "payment_term_days": 30, "currency": "SEK",
                                     "net_total": Decimal(100), "vat_total": Decimal(25), "rounding": Decimal(0),
                                     "total": Decimal(125), "print_count": 0, "finalised_at": dt.datetime(2026, 1, 1)})
            first_invoice = db.session.scalar(select(func.max(Invoice.id))) or 0
            if invoices:
                db.session.execute(insert(Invoice), invoices)
            k = 0
            for i, row in enumerate(orders_rows):
                if (start + i) % 10 == 0:
                    k += 1
                    row["invoice_id"] = first_invoice + k
                    row["status"] = "invoiced"
            db.session.execute(insert(Order), orders_rows)
            db.session.commit()
            echo(f"  {start + size} orders")


def bench_order_list(app, n: int, runs: int, echo) -> dict:
    from models import Invoice, Role, User, Vehicle, db
    from services.platform.auth import hash_password

    _fill_orders(app, n, echo)
    with app.app_context():
        if db.session.scalar(select(User).where(User.username == "bench")) is None:
            role = db.session.scalar(select(Role).where(Role.is_admin.is_(True)))
            db.session.add(User(username="bench", full_name="Bench", password_hash=hash_password(PASSWORD), role=role))
            db.session.commit()
        number = db.session.scalar(select(Invoice.number).order_by(Invoice.id.desc()).limit(1))
        reg = db.session.scalar(select(Vehicle.registration_number).order_by(Vehicle.id.desc()).limit(1))
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    probes = [("dashboard (baseline)", "/admin/"), ("order list page", "/admin/order/"),
              ("order list page 50", "/admin/order/?page=50"),
              ("search invoice number", f"/admin/order/?search={number}"),
              ("search registration number", f"/admin/order/?search={reg}"),
              ("invoice list page", "/admin/invoice/")]
    results = {}
    for name, url in probes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        results[name] = _median_ms(lambda: client.get(url), runs)
    base = results["dashboard (baseline)"]
    for name, ms in results.items():
        echo(f"{name:28s} median {ms:7.1f} ms  ratio {ms / base:5.2f}" + ("" if "baseline" in name else
                                                                           "  (target < 40 ms)"))
    return results


@bench_group.command("sales")
@click.option("--orders", "n_orders", default=1000, show_default=True, type=click.IntRange(min=10),
              help="Ready orders for collective invoicing.")
@click.option("--list-orders", "n_list", default=1_000_000, show_default=True, type=click.IntRange(min=1000),
              help="Orders in the database for the list and search timings.")
@click.option("--runs", default=20, show_default=True, type=click.IntRange(min=3))
def sales(n_orders: int, n_list: int, runs: int):
    """Invoice PDF, collective invoicing and the order list (see bench/sales.py)."""
    instance = Path(os.environ.get("VERKSTAD_INSTANCE_DIR", BASE_DIR / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    echo = click.echo
    bench_pdf(_app(instance / "bench_sales_pdf.sqlite", fresh=True), runs, echo)
    bench_collective(_app(instance / "bench_sales_collective.sqlite", fresh=True), n_orders, echo)
    bench_order_list(_app(instance / f"bench_sales_list_{n_list}.sqlite", fresh=False), n_list, runs, echo)
