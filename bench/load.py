"""Load test (issue 11): `make run`'s stack (gunicorn with 3 workers and a job consumer with 2)
on a database of N (1,000,000) customers, driven by Locust (bench/locustfile.py: 20 office users
searching, opening cards, editing customers and creating orders, and one user importing
customers) for a bounded time on the loopback only.

`flask --app app bench load --customers 1000000 --seconds 60` runs it three times on each
database: the office users alone (the control: what this machine gives them with no import),
with the import as a job (today's way) and, as the baseline, with the import inside the web
request (VERKSTAD_JOBS_URL=immediate:, the way before the job queue). Printed per run: requests
per second, p50/p95/p99 per request type and the error count (target: no errors and p95 under
200 ms for the pages while the import runs). The database is the card benchmark's
(bench/cards.py), filled once and reused."""
from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from bench import cards, database
from cli import bench_group

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# the key under which run_once keeps the failures Locust reports, one line per kind
FAILURES = "_failures"
PAGES = ("customer list search", "customer card", "global search (as typed)", "customer edit form",
         "order form", "import page")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"the server stopped at its start (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # the server is still starting: poll again
    raise click.ClickException(f"{url} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_once(url: str, n: int, seconds: int, users: int, import_rows: int, jobs_url: str, echo=click.echo) -> dict:
    """One bounded Locust run against a fresh gunicorn (and consumer unless ``jobs_url`` is
    immediate:); the stats per request type."""
    work = Path(tempfile.mkdtemp(prefix="verkstad-load-"))
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-load", VERKSTAD_FILES_DIR=str(work / "files"),
               VERKSTAD_JOBS_URL=jobs_url.replace("{work}", str(work)), LOAD_PASSWORD=_password(),
               LOAD_CUSTOMERS=str(n), LOAD_IMPORT_ROWS=str(import_rows))
    processes = []
    try:
        processes.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "3", "--threads", "4", "--keep-alive", "10", "--bind", f"127.0.0.1:{port}", "--timeout", "120",
             "app:create_app()"], cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(work / "gunicorn.log", "w")))
        if not jobs_url.startswith("immediate:"):
            processes.append(subprocess.Popen(
                [str(BIN / "flask"), "--app", "app", "jobs-worker", "--workers", "2"], cwd=ROOT, env=env,
                start_new_session=True, stdout=subprocess.DEVNULL, stderr=open(work / "worker.log", "w")))
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, processes[0])
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
             "-u", str(users + 1), "-r", str(users + 1), "-t", f"{seconds}s", "--stop-timeout", "10",
             "--host", base, "--csv", str(work / "stats"), "--loglevel", "WARNING"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
        stats_file = work / "stats_stats.csv"
        if not stats_file.exists():
            raise click.ClickException(f"Locust wrote no statistics:\n{locust.stderr[-2000:]}")
        with stats_file.open() as fh:
            stats = {row["Name"]: row for row in csv.DictReader(fh)}
        failures = work / "stats_failures.csv"
        if failures.exists():
            with failures.open() as fh:
                stats[FAILURES] = [f"{row['Name']}: {row['Error']} ({row['Occurrences']}x)" for row in csv.DictReader(fh)]
        return stats
    finally:
        for process in processes:
            _stop(process)


def _password() -> str:
    from bench.registers import ADMIN_PASSWORD

    return ADMIN_PASSWORD


def show(label: str, stats: dict, echo=click.echo) -> None:
    total = stats.get("Aggregated", {})
    echo(f"{label}: {float(total.get('Requests/s', 0)):.1f} requests/s, {total.get('Request Count', 0)} requests, "
         f"{total.get('Failure Count', 0)} errors")
    echo(f"  {'request':<28} {'count':>6} {'errors':>6} {'p50':>7} {'p95':>7} {'p99':>7}")
    for name, row in sorted(stats.items()):
        if name in ("Aggregated", FAILURES) or row["Request Count"] == "0":
            continue  # the log-ins and the warm-up, before the statistics were reset
        echo(f"  {name:<28} {row['Request Count']:>6} {row['Failure Count']:>6} {row['50%']:>5}ms "
             f"{row['95%']:>5}ms {row['99%']:>5}ms")
    pages = [int(stats[p]["95%"]) for p in PAGES if p in stats and stats[p]["95%"] not in ("N/A", "")]
    if pages:
        echo(f"  pages: worst p95 {max(pages)} ms (target under 200 ms)")
    for failure in stats.get(FAILURES, []):
        echo(f"  failed: {failure}")


@bench_group.command("load")
@click.option("--customers", "n", default=1_000_000, show_default=True, type=click.IntRange(min=1000))
@click.option("--seconds", default=60, show_default=True, type=click.IntRange(min=5, max=600))
@click.option("--users", default=20, show_default=True, type=click.IntRange(min=1, max=200))
@click.option("--import-rows", default=10_000, show_default=True, type=click.IntRange(min=10))
@click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None, help="One database only.")
@click.option("--pg-url", default=None, help="PostgreSQL database (default: the card benchmark's).")
def load_bench(n: int, seconds: int, users: int, import_rows: int, only: str | None, pg_url: str | None):
    """Locust against gunicorn and a consumer at N customers, with the import as a job and inside the request."""
    targets = []
    if only in (None, "sqlite"):
        targets.append(("SQLite", f"sqlite:///{database.sqlite_file(f'bench-card-v{cards.FILL_VERSION}-{n}.sqlite')}",
                        "sqlite:///{work}/jobs.sqlite"))
    pg_url = pg_url or os.environ.get("VERKSTAD_BENCH_CARD_URL")
    if pg_url is None and os.environ.get("TEST_DATABASE_URL"):
        pg_url = make_url(os.environ["TEST_DATABASE_URL"]).set(database=cards.DEFAULT_PG_DATABASE).render_as_string(
            hide_password=False)
    if only in (None, "postgresql") and pg_url:
        plain = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
        targets.append(("PostgreSQL", pg_url, plain))
    for name, url, jobs_url in targets:
        url, _card = cards.prepare(url, n, refill=False)
        click.echo(f"{name}: {n:,} customers, {users} office users and one importing {import_rows:,} rows, "
                   f"{seconds} s per run")
        control = run_once(url, n, seconds, users, 0, jobs_url)
        as_job = run_once(url, n, seconds, users, import_rows, jobs_url)
        baseline = run_once(url, n, seconds, users, import_rows, "immediate:")
        show("  control, no import (what this machine gives the office users)", control)
        show("  import as a job", as_job)
        show("  baseline, import inside the request", baseline)
        ratio = _p95(as_job) / max(_p95(baseline), 1)
        click.echo(f"  pages' worst p95, job / inside the request: {ratio:.2f}x\n")


def _p95(stats: dict) -> float:
    values = [int(stats[p]["95%"]) for p in PAGES if p in stats and stats[p]["95%"] not in ("N/A", "")]
    return max(values, default=0)
