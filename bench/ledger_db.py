"""The books from the database (issue 12, Performance): `flask --app app bench ledger` fills a
database per size (20,000 and 200,000 vouchers of 3 rows by default, a year of 2026; bulk Core
inserts) on SQLite and PostgreSQL and measures, each beside a naive baseline in the same run:

- the SIE 4 export of the year (services.ledger.sie_export.export_to_file: aggregates in SQL,
  vouchers streamed through one server-side cursor) against the ORM loading every voucher with
  its rows (selectinload) and the whole file built in memory; time and peak RSS (VmHWM) of a
  fresh process per (database, size, way), so the peaks are side by side. Target: 200,000 under
  15 s with a peak that does not grow with the count (at most 1.5 times the 20,000 one).
- the VAT report (services.ledger.vat.vat_report) and the balance summary (the per-account
  balances of services.ledger.sie_export.balances) of the year, aggregated in SQL, median of 5
  runs, against the ORM loading every row and summing in Python. Target: under 1 s at 600,000 rows.
- the general ledger of one account (1510, 180,000 rows at 200,000 vouchers): its first page and
  the page in the middle, keyset paging (services.ledger.balances.general_ledger), median of 5,
  against the ORM loading the account's rows and slicing the page. Target: under 50 ms.

The filled databases are kept (SQLite under VERKSTAD_BENCH_DIR, default instance/; PostgreSQL in
verkstad_bench_ledger_<n> on the server of VERKSTAD_BENCH_DATABASE_URL or TEST_DATABASE_URL)
and reused by the next run with the same fill.

    flask --app app bench ledger [--sizes 20000,200000] [--only sqlite|postgresql] [--refill]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILL_VERSION = 2  # 2: the covering index of voucher_row
YEAR = 2026
LIMIT_S = 15.0
MAX_PEAK_RATIO = 1.5
CHUNK = 5000

# name -> func(uri) -> dict of figures, run in a worker process; step 2 adds the VAT report
EXTRA_MEASURES: dict[str, Callable[[str], dict]] = {}


# ---- the fill --------------------------------------------------------------------------------


def voucher_rows(i: int) -> tuple[str, list[tuple[str, Decimal]]]:
    """The series and 3 rows of voucher ``i``: 70 % sales invoices (F) at 25/12/6 %, 20 %
    payments with a bank fee (B), 10 % purchases with input VAT (M)."""
    kind = i % 10
    net = Decimal(100 + (i * 37) % 9000)
    if kind < 7:
        rate, sales, vat = ((25, "3001", "2611"), (12, "3002", "2621"), (6, "3003", "2631"))[i % 3 if kind < 3 else 0]
        tax = (net * rate / 100).quantize(Decimal("0.01"))
        return "F", [("1510", net + tax), (sales, -net), (vat, -tax)]
    if kind < 9:
        return "B", [("1930", net - 5), ("6570", Decimal(5)), ("1510", -net)]
    tax = (net / 4).quantize(Decimal("0.01"))
    return "M", [("4010", net), ("2641", tax), ("2440", -net - tax)]


def fill(engine, n: int, echo=print) -> None:
    """``n`` vouchers (3 rows each) spread over the year, numbered per series, bulk Core inserts
    of CHUNK vouchers at a time."""
    from sqlalchemy import insert, select, text

    from models import FinancialYear, Voucher, VoucherRow

    with engine.begin() as conn:
        year_id = conn.scalar(select(FinancialYear.id).where(FinancialYear.start_date == dt.date(YEAR, 1, 1)))
        if year_id is None:
            year_id = conn.execute(insert(FinancialYear).values(start_date=dt.date(YEAR, 1, 1),
                                                                end_date=dt.date(YEAR, 12, 31), closed=False)
                                   .returning(FinancialYear.id)).scalar()
    numbers = {"F": 0, "B": 0, "M": 0}
    created = dt.datetime(YEAR, 12, 31, 12, 0)
    started = time.perf_counter()
    row_id = 0
    for start in range(0, n, CHUNK):
        vouchers, rows = [], []
        for i in range(start, min(n, start + CHUNK)):
            series, lines = voucher_rows(i)
            numbers[series] += 1
            day = dt.date(YEAR, 1, 1) + dt.timedelta(days=i * 365 // n)
            vouchers.append({"id": i + 1, "series": series, "financial_year_id": year_id, "number": numbers[series],
                             "date": day, "text": f"Verifikation {series}{numbers[series]} för kund {i % 997}",
                             "source_kind": "manual", "created_at": created})
            for account, amount in lines:
                row_id += 1
                rows.append({"id": row_id, "voucher_id": i + 1, "account_number": account, "amount": amount,
                             "text": None, "date": day})
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(insert(Voucher), vouchers)
            conn.execute(insert(VoucherRow), rows)
        if (start // CHUNK) % 10 == 9:
            echo(f"  {start + CHUNK:,} vouchers ({time.perf_counter() - started:.0f} s)")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT setval('voucher_id_seq', (SELECT max(id) FROM voucher))"))
            conn.execute(text("SELECT setval('voucher_row_id_seq', (SELECT max(id) FROM voucher_row))"))
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _prepare_app(uri: str) -> None:
    from bench.registers import bench_app

    bench_app(uri)  # the schema, settings data (accounts, the year) and the bench user


def prepare_sqlite(n: int, refill: bool, echo=print) -> str:
    from sqlalchemy import create_engine, event

    from bench import database, registers
    from models import db

    path = database.sqlite_file(f"ledger-v{FILL_VERSION}-{n}.sqlite")
    if path.exists() and not refill:
        echo(f"SQLite: reusing {path}")
        return f"sqlite:///{path}"
    partial = path.with_suffix(".part")
    partial.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{partial}")
    event.listen(engine, "connect", registers._sqlite_fast)
    db.metadata.create_all(engine)
    _prepare_app(f"sqlite:///{partial}")
    echo(f"SQLite: filling {partial} with {n:,} vouchers")
    fill(engine, n, echo)
    engine.dispose()
    partial.replace(path)
    return f"sqlite:///{path}"


def prepare_postgresql(server: str, n: int, refill: bool, echo=print) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from bench import database
    from models import db

    url = make_url(server).set(database=f"verkstad_bench_ledger_{n}").render_as_string(hide_password=False)
    if database.claim(url, f"ledger v{FILL_VERSION} n={n}", refill, echo=echo):
        return url
    engine = create_engine(url)
    db.metadata.create_all(engine)
    _prepare_app(url)
    echo(f"PostgreSQL: filling {make_url(url).database} with {n:,} vouchers")
    fill(engine, n, echo)
    engine.dispose()
    database.mark_done(url)
    return url


# ---- the measures (each in a worker process of its own) --------------------------------------


def peak_rss_mb() -> float:
    from bench.sie_export import peak_rss_mb as peak

    return peak()


def _app(uri: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench"})


def sie_work(uri: str, way: str, path: str) -> dict:
    from models import db
    from services.ledger import sie_export
    from services.platform.settings import load_settings

    app = _app(uri)
    start, end = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    with app.app_context():
        settings = load_settings(db.session)
        before = peak_rss_mb()
        started = time.perf_counter()
        if way == "stream":
            result = sie_export.export_to_file(db.session, path, start, end, settings, checksum=True)
            vouchers, rows = result.vouchers, result.rows
        else:
            vouchers, rows = naive_sie(db.session, path, start, end, settings)
        seconds = time.perf_counter() - started
        db.session.rollback()
    return {"way": way, "seconds": seconds, "peak_mb": peak_rss_mb(), "start_mb": before, "vouchers": vouchers,
            "rows": rows, "bytes": os.path.getsize(path)}


def naive_sie(session, path: str, start: dt.date, end: dt.date, settings: dict) -> tuple[int, int]:
    """The baseline: the ORM loads every voucher of the period with its rows (selectinload), the
    export is built from the objects and the whole file is made in memory before it is written."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from models import Voucher
    from services.ledger import sie_export
    from services.ledger.sie import SieRow, SieVoucher, write_sie

    loaded = session.scalars(select(Voucher).options(selectinload(Voucher.rows))
                             .where(Voucher.date >= start, Voucher.date <= end)
                             .order_by(Voucher.date, Voucher.series, Voucher.number)).all()
    export = sie_export.build_export(session, start, end, settings)
    export.vouchers = [SieVoucher(v.series, v.number, v.date, v.text, [SieRow(r.account_number, r.amount, r.text or "")
                                                                        for r in v.rows], v.created_at.date())
                       for v in loaded]
    buffer = io.BytesIO()
    stats = write_sie(buffer, export, checksum=True)
    with open(path, "wb") as out:
        out.write(buffer.getvalue())
    return stats.vouchers, stats.rows


def _worker(args) -> dict:
    if args.worker == "sie":
        return sie_work(args.uri, args.way, args.out)
    return EXTRA_MEASURES[args.worker](args.uri)


def run_worker(measure: str, uri: str, way: str = "", out: str = "") -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.ledger_db", "--worker", measure, "--uri", uri,
                           "--way", way or "stream", "--out", out or os.devnull],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"worker {measure} {way} on {uri} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def main(sizes: list[int], only: str | None = None, refill: bool = False, echo=print,
         measures: tuple[str, ...] = ("sie",)) -> int:
    server = os.environ.get("VERKSTAD_BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    targets = []
    if only in (None, "sqlite"):
        targets.append(("SQLite", lambda n: prepare_sqlite(n, refill, echo)))
    if only in (None, "postgresql"):
        if server:
            targets.append(("PostgreSQL", lambda n: prepare_postgresql(server, n, refill, echo)))
        else:
            echo("PostgreSQL: skipped (set VERKSTAD_BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    failed = 0
    for name, prepare in targets:
        uris = {}
        for n in sizes:
            started = time.perf_counter()
            uris[n] = prepare(n)
            echo(f"{name}: {n:,} vouchers ready in {time.perf_counter() - started:.0f} s")
        if "sie" in measures:
            failed |= report_sie(name, sizes, uris, echo)
        for measure in measures:
            if measure != "sie":
                failed |= EXTRA_REPORTS[measure](name, sizes, uris, echo)
    return failed


def report_sie(name: str, sizes: list[int], uris: dict[int, str], echo=print) -> int:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            for way in ("stream", "naive"):
                out = os.path.join(folder, f"{n}-{way}.se")
                results[n, way] = run_worker("sie", uris[n], way, out)
                os.unlink(out)
    echo(f"{name}: SIE 4 export of the year from the database (load average {_loadavg()})")
    echo(f"{'':>30}{'streamed (SQL cursor)':>34}{'naive (ORM, all in memory)':>34}")
    for n in sizes:
        s, v = results[n, "stream"], results[n, "naive"]
        echo(f"{n:>9,} vouchers {s['rows']:>9,} rows  {s['seconds']:7.1f} s {s['peak_mb']:8.1f} MB peak RSS"
             f"      {v['seconds']:7.1f} s {v['peak_mb']:8.1f} MB   ({s['bytes'] / 1e6:.0f} MB file)")
    small, large = results[sizes[0], "stream"], results[sizes[-1], "stream"]
    ratio = large["peak_mb"] / small["peak_mb"]
    naive_ratio = results[sizes[-1], "naive"]["peak_mb"] / results[sizes[0], "naive"]["peak_mb"]
    echo(f"{name}: peak RSS {sizes[-1]:,} / {sizes[0]:,} vouchers: streamed {ratio:.2f} (at most {MAX_PEAK_RATIO}), "
         f"naive {naive_ratio:.2f}; streamed {sizes[-1]:,} in {large['seconds']:.1f} s (at most {LIMIT_S:.0f} s), "
         f"naive {results[sizes[-1], 'naive']['seconds']:.1f} s")
    return 1 if ratio > MAX_PEAK_RATIO or large["seconds"] > LIMIT_S else 0


# name -> func(db name, sizes, uris, echo) -> failed; step 2 adds the VAT report's
EXTRA_REPORTS: dict[str, Callable] = {}


# ---- the VAT report and the balance summary (aggregated in SQL) beside Python aggregation -------

AGGREGATE_LIMIT_S = 1.0
AGGREGATE_RUNS = 5


def _median(func, runs: int) -> float:
    import statistics

    times = []
    for _n in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def naive_vat(session, start: dt.date, end: dt.date) -> dict:
    """The baseline: the ORM loads every row of the period and the boxes are summed in Python."""
    from sqlalchemy import select

    from models import Account, VoucherRow
    from services.ledger import vat

    codes = dict(session.execute(select(Account.number, Account.vat_code)).all())
    lines = {}
    for row in session.scalars(select(VoucherRow).where(VoucherRow.date >= start, VoucherRow.date <= end)):
        if codes.get(row.account_number):
            lines[row.account_number] = lines.get(row.account_number, Decimal(0)) + row.amount
    return vat.boxes_of([vat.VatAccountLine(n, "", codes[n], a) for n, a in lines.items()])


def naive_balances(session, start: dt.date, end: dt.date) -> dict:
    from sqlalchemy import select

    from models import VoucherRow

    sums: dict[str, Decimal] = {}
    for row in session.scalars(select(VoucherRow).where(VoucherRow.date <= end)):
        sums[row.account_number] = sums.get(row.account_number, Decimal(0)) + row.amount
    return sums


def aggregate_work(uri: str) -> dict:
    from models import db
    from services.ledger import sie_export, vat

    app = _app(uri)
    start, end = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    with app.app_context():
        session = db.session
        report = vat.vat_report(session, start, end)
        years = sie_export.years_of(session, start, end)
        vat_s = _median(lambda: vat.vat_report(session, start, end), AGGREGATE_RUNS)
        balance_s = _median(lambda: sie_export.balances(session, years, start, end), AGGREGATE_RUNS)
        started = time.perf_counter()
        naive = naive_vat(session, start, end)
        naive_vat_s = time.perf_counter() - started
        session.expunge_all()
        started = time.perf_counter()
        naive_balances(session, start, end)
        naive_balance_s = time.perf_counter() - started
        assert naive == report.boxes, (naive, report.boxes)
        rows = session.scalar(__import__("sqlalchemy").text("SELECT count(*) FROM voucher_row"))
        session.rollback()
    return {"vat_s": vat_s, "balance_s": balance_s, "naive_vat_s": naive_vat_s, "naive_balance_s": naive_balance_s,
            "rows": rows, "box49": str(report.boxes["49"])}


def report_aggregates(name: str, sizes: list[int], uris: dict[int, str], echo=print) -> int:
    results = {n: run_worker("vat", uris[n]) for n in sizes}
    echo(f"{name}: VAT report and balance summary of the year, SQL GROUP BY (median of {AGGREGATE_RUNS}) "
         f"beside the ORM loading every row and summing in Python (load average {_loadavg()})")
    for n in sizes:
        r = results[n]
        echo(f"{r['rows']:>9,} rows   VAT report {r['vat_s'] * 1000:7.0f} ms (naive {r['naive_vat_s']:6.1f} s)   "
             f"balance summary {r['balance_s'] * 1000:7.0f} ms (naive {r['naive_balance_s']:6.1f} s)   box 49 {r['box49']}")
    large = results[sizes[-1]]
    echo(f"{name}: {large['rows']:,} rows: VAT report {large['vat_s']:.2f} s, balance summary {large['balance_s']:.2f} s "
         f"(each at most {AGGREGATE_LIMIT_S:.0f} s)")
    return 1 if max(large["vat_s"], large["balance_s"]) > AGGREGATE_LIMIT_S else 0


EXTRA_MEASURES["vat"] = aggregate_work
EXTRA_REPORTS["vat"] = report_aggregates

GL_ACCOUNT = "1510"  # customer receivables: 9 of 10 vouchers touch it (180,000 rows at 200,000 vouchers)
GL_LIMIT_S = 0.05


def naive_general_ledger(session, account, start: dt.date, end: dt.date, page: int, limit: int = 100) -> list:
    """The baseline: the ORM loads every row of the account in the period, the running balance
    is summed in Python and the page is sliced out (OFFSET paging done by hand)."""
    from sqlalchemy import select

    from models import VoucherRow

    rows = session.scalars(select(VoucherRow).where(VoucherRow.account_number == account.number,
                                                    VoucherRow.date >= start, VoucherRow.date <= end)
                           .order_by(VoucherRow.date, VoucherRow.id)).all()
    running, shown = Decimal(0), []
    for i, row in enumerate(rows):
        running += row.amount
        if page * limit <= i < (page + 1) * limit:
            shown.append((row.id, running))
    return shown


def general_ledger_work(uri: str) -> dict:
    from sqlalchemy import func, select

    from models import Account, VoucherRow, db
    from services.ledger import balances

    app = _app(uri)
    start, end = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    with app.app_context():
        session = db.session
        account = session.scalar(select(Account).where(Account.number == GL_ACCOUNT))
        rows = session.scalar(select(func.count()).select_from(VoucherRow).where(VoucherRow.account_number == GL_ACCOUNT))
        # the cursor of the page in the middle of the account's rows (with the running balance
        # there), as the "Nästa sida" link carries it
        middle = session.execute(select(VoucherRow.date, VoucherRow.id).where(VoucherRow.account_number == GL_ACCOUNT)
                                 .order_by(VoucherRow.date, VoucherRow.id).offset(rows // 2).limit(1)).one()
        before = session.scalar(select(func.coalesce(func.sum(VoucherRow.amount), 0)).where(
            VoucherRow.account_number == GL_ACCOUNT, VoucherRow.date >= start,
            (VoucherRow.date < middle[0]) | ((VoucherRow.date == middle[0]) & (VoucherRow.id <= middle[1]))))
        cursor = balances.LedgerCursor(middle[0], middle[1], balances.opening_balance(session, account, start)
                                       + Decimal(before).quantize(Decimal("0.01")))
        first = balances.general_ledger(session, account, start, end)
        deep = balances.general_ledger(session, account, start, end, cursor)
        first_s = _median(lambda: balances.general_ledger(session, account, start, end), AGGREGATE_RUNS)
        deep_s = _median(lambda: balances.general_ledger(session, account, start, end, cursor), AGGREGATE_RUNS)
        started = time.perf_counter()
        naive = naive_general_ledger(session, account, start, end, rows // 2 // 100)
        naive_s = time.perf_counter() - started
        assert len(first.rows) == 100 and len(deep.rows) == 100 and naive, (len(first.rows), len(deep.rows))
        session.rollback()
    return {"rows": rows, "first_s": first_s, "deep_s": deep_s, "naive_s": naive_s,
            "balance": str(deep.rows[-1].balance)}


def report_general_ledger(name: str, sizes: list[int], uris: dict[int, str], echo=print) -> int:
    results = {n: run_worker("gl", uris[n]) for n in sizes}
    echo(f"{name}: general ledger of account {GL_ACCOUNT}, a page of 100 rows by keyset (median of {AGGREGATE_RUNS}) "
         f"beside the ORM loading the account's rows and slicing the page (load average {_loadavg()})")
    for n in sizes:
        r = results[n]
        echo(f"{r['rows']:>9,} rows   first page {r['first_s'] * 1000:6.1f} ms   middle page {r['deep_s'] * 1000:6.1f} ms"
             f"   (naive {r['naive_s']:6.2f} s, {r['naive_s'] / max(r['deep_s'], 1e-6):,.0f}x)   balance {r['balance']}")
    large = results[sizes[-1]]
    echo(f"{name}: {large['rows']:,} rows: the slower page {max(large['first_s'], large['deep_s']) * 1000:.1f} ms "
         f"(target under {GL_LIMIT_S * 1000:.0f} ms)")
    return 1 if max(large["first_s"], large["deep_s"]) > GL_LIMIT_S else 0


EXTRA_MEASURES["gl"] = general_ledger_work
EXTRA_REPORTS["gl"] = report_general_ledger


def _register_command() -> None:
    import click

    from cli import bench_group

    @bench_group.command("ledger")
    @click.option("--sizes", default="20000,200000", show_default=True, help="Voucher counts, comma-separated.")
    @click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None)
    @click.option("--refill", is_flag=True, help="Fill the databases again even when filled ones exist.")
    @click.option("--measure", "measures", multiple=True, help="sie, vat or gl (default: all)")
    def ledger_command(sizes: str, only: str | None, refill: bool, measures: tuple[str, ...]):
        """SIE export (and the VAT report) of a year of N vouchers on SQLite and PostgreSQL, naive beside."""
        counts = sorted(int(s) for s in sizes.split(","))
        chosen = measures or ("sie", *EXTRA_REPORTS)
        raise SystemExit(main(counts, only, refill, click.echo, tuple(chosen)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker")
    parser.add_argument("--uri")
    parser.add_argument("--way", default="stream")
    parser.add_argument("--out", default=os.devnull)
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--refill", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args)))
        sys.exit(0)
    sys.exit(main(sorted(int(s) for s in args.sizes.split(",")), args.only, args.refill))
else:
    _register_command()
