"""Memory of the register export job (issue 11 item 3): `flask --app app bench list-export` fills two
SQLite databases (2,000 and 20,000 customers by default), runs the export job's work
(services.platform.list_jobs.export_matching: the customer list's rows through its cursor, written by
openpyxl's write-only workbook) under tracemalloc and prints the peak of each and their ratio. The
peak must not grow with the row count: the command fails when the larger export's peak is more than
3 times the smaller's (ten times the rows)."""
from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import click
from sqlalchemy import create_engine, insert

from bench.registers import bench_app
from cli import bench_group

MAX_RATIO = 3.0


def _fill(uri: str, n: int) -> None:
    from models import Customer, db

    engine = create_engine(uri)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(Customer), [
                {"customer_number": f"E{i:07d}", "name": f"Exportkund {i} AB", "kind": "company",
                 "org_number": "5560360793", "email": f"kund{i}@example.se", "phone": "08-123 45 67",
                 "search_text": f"exportkund {i} ab"} for i in range(start, min(n, start + 5000))])
    engine.dispose()


def measure(n: int, folder: Path) -> tuple[int, float, float]:
    """(rows exported, peak MiB, seconds) of one export of ``n`` customers."""
    from models import User, db
    from services.platform import list_jobs

    uri = f"sqlite:///{folder / f'export-{n}.sqlite'}"
    create_engine(uri).dispose()
    from models import db as models_db

    engine = create_engine(uri)
    models_db.metadata.create_all(engine)
    engine.dispose()
    app = bench_app(uri)  # settings data (countries) and the admin
    _fill(uri, n)
    with app.app_context():
        admin = db.session.query(User).filter(User.username == "bench").one()
        view = list_jobs.source("customer")
        tracemalloc.start()
        started = time.perf_counter()
        with view.as_user(admin, ""):
            rows = list_jobs.export_matching(view, folder / f"export-{n}.xlsx")
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        db.session.remove()
    return rows, peak / 2**20, seconds


@bench_group.command("list-export")
@click.option("--small", default=2_000, show_default=True, type=click.IntRange(min=100))
@click.option("--large", default=20_000, show_default=True, type=click.IntRange(min=1000))
def list_export(small: int, large: int):
    """Peak memory of the register export job for SMALL and LARGE customers, and their ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        results = {n: measure(n, Path(tmp)) for n in (small, large)}
    for n, (rows, peak, seconds) in results.items():
        click.echo(f"export of {n:>9,} customers: {rows:,} rows, peak {peak:7.2f} MiB (tracemalloc), "
                   f"{seconds:6.1f} s, {rows / seconds:,.0f} rows/s")
    ratio = results[large][1] / results[small][1]
    click.echo(f"peak ratio {large:,} / {small:,} rows: {ratio:.2f} (at most {MAX_RATIO:.1f})")
    if ratio > MAX_RATIO:
        raise SystemExit(1)
