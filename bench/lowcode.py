"""Benchmark of the low-code customer register (issue 3, "Performance").

`flask --app app bench lowcode --customers 1000000` copies the filled database of
`bench registers` (filling it first when missing), adds 10 custom fields with a value for every
customer, and times the customer list with the 10 custom fields as columns against the same
list without them (the plain list is the baseline). Then it imports 10,000 rows of company
customers with custom fields into an empty database and times it. Targets: list < 40 ms
median, import < 30 s."""
from __future__ import annotations

import io
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import click
from openpyxl import Workbook
from sqlalchemy import create_engine, func, select, text
from stdnum import luhn

from bench.registers import ADMIN_PASSWORD, FILL_VERSION, bench_app, prepare_sqlite
from cli import bench_group
from config.settings import BASE_DIR

FIELDS = [("seg", "choice"), ("fleet", "number"), ("since", "date"), ("nick", "text"), ("disc", "decimal"),
          ("news", "bool"), ("note", "long_text"), ("area", "text"), ("tags2", "multi_choice"), ("rank", "number")]
CHOICES = ["Taxi", "Bud", "Åkeri", "Privat", "Kommun"]
VERSION = 1


def _add_custom_fields(uri: str, echo) -> None:
    """10 custom fields and a value of each for every customer, in bulk SQL."""
    from models import CustomField, db
    from services.registers import register_config as rc

    app = bench_app(uri)
    with app.app_context():
        for key, ftype in FIELDS:
            rc.save_custom_field(db.session, "customer", key, ftype, key.title(),
                                 choices=CHOICES if "choice" in ftype else None)
        db.session.commit()
        ids = {f.key: f.id for f in db.session.scalars(select(CustomField))}
    engine = create_engine(uri)
    value = {
        "choice": "value_text", "text": "value_text", "long_text": "value_long", "number": "value_number",
        "decimal": "value_number", "date": "value_date", "bool": "value_bool", "multi_choice": "value_text"}
    expr = {
        "choice": "CASE id % 5 WHEN 0 THEN 'Taxi' WHEN 1 THEN 'Bud' WHEN 2 THEN 'Åkeri' WHEN 3 THEN 'Privat' "
                  "ELSE 'Kommun' END",
        "text": "'text ' || (id % 997)", "long_text": "'En längre text om kund ' || id", "number": "id % 50",
        "decimal": "(id % 300) / 10.0", "date": "date('2020-01-01', '+' || (id % 2000) || ' days')",
        "bool": "id % 2", "multi_choice": "CASE id % 3 WHEN 0 THEN '|Taxi|Bud|' WHEN 1 THEN '|Åkeri|' ELSE NULL END"}
    with engine.begin() as conn:
        for key, ftype in FIELDS:
            started = time.perf_counter()
            col = value[ftype]
            extra = ", value_text" if ftype == "long_text" else ""
            extra_expr = f", substr({expr[ftype]}, 1, 500)" if ftype == "long_text" else ""
            conn.execute(text(
                f"INSERT INTO custom_field_value (field_id, entity, record_id, {col}{extra}) "
                f"SELECT {ids[key]}, 'customer', id, {expr[ftype]}{extra_expr} FROM customer"))
            echo(f"  custom field {key:6} filled ({time.perf_counter() - started:.0f} s)")
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _median_ms(client, url: str, runs: int) -> float:
    times = []
    client.get(url)  # warm: configuration and caches
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise click.ClickException(f"GET {url} answered {response.status_code}")
    return statistics.median(times)


def _list_bench(uri: str, n: int, runs: int) -> tuple[float, float]:
    from models import db
    from services.registers import register_config as rc

    app = bench_app(uri)
    client = app.test_client()
    if client.post("/login", data={"username": "bench", "password": ADMIN_PASSWORD}).status_code != 302:
        raise click.ClickException("the benchmark user could not log in")
    results = []
    for columns in (list(rc.DEFAULT_LIST_COLUMNS), list(rc.DEFAULT_LIST_COLUMNS) + [f"cf_{k}" for k, _t in FIELDS]):
        with app.app_context():
            rc.save_list_columns(db.session, columns)
            db.session.commit()
        results.append(_median_ms(client, "/admin/customer/", runs))
        page = client.get("/admin/customer/").get_data(as_text=True)
        if len(columns) > 10 and "Rank" not in page:
            raise click.ClickException("the custom columns are not on the page")
    return results[0], results[1]


def _orgnr(i: int) -> str:
    body = f"55{i:07d}"
    return body + luhn.calc_check_digit(body)


def import_bench(rows: int, echo) -> float:
    from models import Customer, db
    from services.registers import customer_import as ci
    from services.registers import register_config as rc
    from services.platform.settings import load_settings

    folder = Path(tempfile.mkdtemp(prefix="verkstad-bench-import-"))
    try:
        app = bench_app(f"sqlite:///{folder / 'import.sqlite'}")
        with app.app_context():
            for key, ftype in FIELDS:
                rc.save_custom_field(db.session, "customer", key, ftype, key.title(),
                                     choices=CHOICES if "choice" in ftype else None)
            db.session.commit()
            book = Workbook(write_only=True)
            sheet = book.create_sheet("company")
            columns = ci.layout(rc.current(db.session), "company")
            sheet.append(columns)
            rng = random.Random(3)
            sample = {"seg": lambda: rng.choice(CHOICES), "fleet": lambda: rng.randrange(40),
                      "since": lambda: f"2021-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
                      "nick": lambda: f"Kund {rng.randrange(1000)}", "disc": lambda: rng.randrange(300) / 10,
                      "news": lambda: rng.choice(["ja", "nej"]), "note": lambda: "Långt omdöme " * 5,
                      "area": lambda: rng.choice(["Norr", "Syd"]), "tags2": lambda: "Taxi, Bud",
                      "rank": lambda: rng.randrange(5)}
            for i in range(rows):
                values = {"customer_number": str(500000 + i), "kind": "company", "name": f"Importbolag {i} AB",
                          "org_number": _orgnr(i), "email": f"info{i}@import{i % 97}.se",
                          "phone": f"08-{100000 + i}", "visiting_street": f"Storgatan {i % 90 + 1}",
                          "visiting_postal_code": "111 22", "visiting_city": "Stockholm", "active": 1}
                values.update({f"cf_{k}": sample[k]() for k, _t in FIELDS})
                sheet.append([values.get(c) for c in columns])
            out = io.BytesIO()
            book.save(out)
            data = out.getvalue()
            started = time.perf_counter()
            counts, _results = ci.import_file(db.session, rc.current(db.session), load_settings(db.session),
                                              "bench.xlsx", data)
            db.session.commit()
            elapsed = time.perf_counter() - started
            assert counts["created"] == rows, counts
            assert db.session.scalar(select(func.count()).select_from(Customer)) == rows
            db.session.remove()
            db.engine.dispose()
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@bench_group.command("lowcode")
@click.option("--customers", "n", default=1_000_000, show_default=True, type=click.IntRange(min=1000))
@click.option("--runs", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--import-rows", default=10_000, show_default=True, type=click.IntRange(min=1))
def lowcode(n: int, runs: int, import_rows: int):
    """Customer list with 10 custom fields as columns at N customers; a 10,000-row import."""
    bench_dir = Path(os.environ.get("VERKSTAD_BENCH_DIR", BASE_DIR / "instance"))
    path = bench_dir / f"bench-lowcode-v{VERSION}-{FILL_VERSION}-{n}.sqlite"
    started = time.perf_counter()
    if not path.exists():
        source = prepare_sqlite(bench_dir / f"bench-registers-v{FILL_VERSION}-{n}.sqlite", n, False)
        partial = path.with_suffix(".part")
        click.echo(f"SQLite: copying {source} and adding 10 custom fields")
        import sqlite3

        # the backup API gives a consistent copy even while another benchmark reads the source
        src, dst = sqlite3.connect(source.removeprefix("sqlite:///")), sqlite3.connect(partial)
        src.backup(dst)
        src.close()
        dst.close()
        _add_custom_fields(f"sqlite:///{partial}", click.echo)
        partial.replace(path)
    else:
        click.echo(f"SQLite: reusing {path}")
    click.echo(f"SQLite: database ready in {time.perf_counter() - started:.0f} s; {n:,} customers, "
               f"10 custom fields; median of {runs} runs")
    plain, custom = _list_bench(f"sqlite:///{path}", n, runs)
    click.echo(f"  {'customer list, plain columns (baseline)':52} {plain:8.1f} ms")
    click.echo(f"  {'customer list, + 10 custom-field columns':52} {custom:8.1f} ms  "
               f"x{custom / plain:.2f}  target < 40 ms: {'ok' if custom < 40 else 'MISSED'}")
    elapsed = import_bench(import_rows, click.echo)
    click.echo(f"  {f'import of {import_rows:,} rows (XLSX, 10 custom fields)':52} {elapsed:8.1f} s   "
               f"target < 30 s: {'ok' if elapsed < 30 else 'MISSED'}")
