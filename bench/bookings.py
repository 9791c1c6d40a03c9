"""Benchmark of the booking calendar (issue 4, "Performance").

`flask --app app bench calendar` fills a separate database (a SQLite file under instance/, and the
PostgreSQL database named by --pg-url, VERKSTAD_BENCH_DATABASE_URL or TEST_DATABASE_URL: created
when missing, used only when empty or marked as the benchmark's own, see bench/database.py) with 300 fleet vehicles and 50,000
bookings over two years through bulk Core inserts, then times with the Flask test client:

- the week JSON feed of the loaner calendar (``/admin/bookings/loaner/events``),
- a move round trip (``POST .../move``: rights, checks, save, commit),

next to a naive baseline measured in the same run: the ORM loading every booking of the kind
with its relations and filtering in Python, and a move that checks overlaps that way.
Targets: feed < 50 ms median, move < 30 ms median.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from pathlib import Path

import click
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bench.measure import p95
from cli import bench_group
from config.settings import BASE_DIR

VEHICLES = 300
BOOKINGS = 50_000
FILL_VERSION = 1
PASSWORD = "bench-calendar-password-1"
_today = dt.date.today()
# next week's Monday, in the middle of the data (the cached database is named after it)
WEEK = dt.datetime.combine(_today + dt.timedelta(days=7 - _today.weekday()), dt.time())


def fill(engine, seed: int = 4, echo=click.echo) -> None:
    from models import Booking, Customer, Vehicle

    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(insert(Customer), [dict(customer_number=str(900000 + i), name=f"Bench kund {i}", kind="private",
                                             customer_type="regular", language="sv", country_code="SE", active=True,
                                             version=1, search_text="") for i in range(200)])
        customer_ids = list(conn.scalars(select(Customer.id)))
        conn.execute(insert(Vehicle), [dict(registration_number=f"BEN{i:03d}", fleet="loaner", model="Bench",
                                            odometer_km=1000, country_code="SE", version=1, reserved=False,
                                            search_text="") for i in range(VEHICLES)])
        vehicle_ids = list(conn.scalars(select(Vehicle.id).where(Vehicle.fleet == "loaner")))
        rows = []
        per_vehicle = BOOKINGS // len(vehicle_ids)
        extra = BOOKINGS - per_vehicle * len(vehicle_ids)  # the first vehicles take one more
        start0 = WEEK - dt.timedelta(days=per_vehicle)  # about two days per booking: half before WEEK
        number = 1
        for vid in vehicle_ids:
            t = start0 + dt.timedelta(hours=rng.randrange(48))
            for _ in range(per_vehicle + (1 if vid in vehicle_ids[:extra] else 0)):
                start = t.replace(minute=0, second=0)
                end = start + dt.timedelta(hours=rng.choice([4, 8, 24, 48, 72]))
                row = dict(kind="loaner", number=f"B{number}", version=1, customer_id=rng.choice(customer_ids),
                           customer_name="Bench kund", driver_type="customer", driver_name="Bench kund",
                           start_at=start, end_at=end, vehicle_id=vid, confirmed=False, licence_checked=False,
                           created_at=start, updated_at=start, issued_at=None, returned_at=None,
                           issue_odometer=None, return_odometer=None)
                if end < WEEK:
                    row.update(issued_at=start, returned_at=end, issue_odometer=1000, return_odometer=1100)
                rows.append(row)
                number += 1
                t = end + dt.timedelta(hours=rng.choice([2, 12, 24, 30]))
        for i in range(0, len(rows), 10_000):
            conn.execute(insert(Booking), rows[i:i + 10_000])
    echo(f"filled: {len(vehicle_ids)} vehicles, {len(rows):,} bookings")


def bench_app(uri: str):
    from app import create_app
    from models import Role, User, db
    from services.platform.auth import hash_password
    from services.platform.setup import seed_defaults

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                      "LOGIN_MAX_ATTEMPTS": 1000})
    with app.app_context():
        seed_defaults(db.session)
        if db.session.scalar(select(User).where(User.username == "bench")) is None:
            role = db.session.scalar(select(Role).where(Role.is_admin.is_(True)))
            db.session.add(User(username="bench", full_name="Bench", password_hash=hash_password(PASSWORD), role=role))
            db.session.commit()
    return app


def prepare_sqlite(path: Path, refill: bool) -> str:
    from models import db

    if path.exists() and not refill:
        click.echo(f"SQLite: reusing {path}")
        return f"sqlite:///{path}"
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    bench_app(f"sqlite:///{path}")  # countries, roles and the user first
    fill(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return f"sqlite:///{path}"


def prepare_postgresql(url: str, refill: bool) -> str:
    """The PostgreSQL database named in ``url``, filled unless it holds this fill already
    (bench.database: created and marked when missing, never another's dropped)."""
    from bench import database
    from models import db

    url = make_url(url).render_as_string(hide_password=False)
    if database.claim(url, f"calendar v{FILL_VERSION} {WEEK:%Y%m%d}", refill):
        return url
    engine = create_engine(url)
    db.metadata.create_all(engine)
    bench_app(url)  # countries, roles and the user first
    fill(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    database.mark_done(url)
    return url


def _ms(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def naive_week(session, kind: str, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[dict]:
    """Baseline: every booking of the kind through the ORM with its relations, filtered in Python."""
    from sqlalchemy.orm import selectinload

    from models import Booking
    from services.bookings.bookings import display_interval, overlaps

    out = []
    for b in session.scalars(select(Booking).where(Booking.kind == kind)
                             .options(selectinload(Booking.vehicle), selectinload(Booking.billing))):
        shown = display_interval(b.start_at, b.end_at, b.issued_at, b.returned_at, now)
        if overlaps(shown[0], shown[1], start, end):
            out.append({"id": b.id, "resource": b.vehicle.registration_number, "start": shown[0].isoformat(),
                        "end": shown[1].isoformat(), "status": b.status(now)})
    return out


def naive_move(session, booking_id: int, start: dt.datetime, end: dt.datetime) -> None:
    """Baseline move: overlap check over every booking of the kind in Python, then save."""
    from models import Booking
    from services.bookings.bookings import overlaps

    booking = session.get(Booking, booking_id)
    others = session.scalars(select(Booking).where(Booking.kind == booking.kind)).all()
    [o for o in others if o.vehicle_id == booking.vehicle_id and o.id != booking.id
     and overlaps(o.start_at, o.end_at, start, end)]
    booking.start_at, booking.end_at = start, end
    session.commit()


def measure(uri: str, runs: int) -> None:
    from models import Booking, db
    from services.bookings import bookings as rules

    app = bench_app(uri)
    client = app.test_client()
    if client.post("/login", data={"username": "bench", "password": PASSWORD}).status_code != 302:
        raise click.ClickException("the benchmark user could not log in")
    week_end = WEEK + dt.timedelta(days=7)
    feed = f"/admin/bookings/loaner/events?start={WEEK:%Y-%m-%dT%H:%M}&end={week_end:%Y-%m-%dT%H:%M}"
    with app.app_context():
        probe = db.session.scalar(select(Booking).where(Booking.kind == "loaner", Booking.start_at >= WEEK + dt.timedelta(days=2),
                                                       Booking.issued_at.is_(None)).order_by(Booking.start_at).limit(1))
        booking_id, start, end = probe.id, probe.start_at, probe.end_at
        events = len(rules.window_rows(db.session, "loaner", WEEK, week_end, WEEK))
    response = client.get(feed)
    assert response.status_code == 200, response.status_code
    click.echo(f"week feed: {len(response.get_json())} events of {VEHICLES} vehicles ({events} rows)")

    ours_feed = _ms(lambda: client.get(feed), runs)
    ours_resources = _ms(lambda: client.get("/admin/bookings/loaner/resources"), runs)
    shift = {"i": 0}

    def move_only():
        shift["i"] += 1
        delta = dt.timedelta(minutes=15 * (shift["i"] % 2))
        r = client.post(f"/admin/bookings/loaner/{booking_id}/move",
                        json={"start": f"{start + delta:%Y-%m-%dT%H:%M}", "end": f"{end + delta:%Y-%m-%dT%H:%M}"})
        assert r.status_code == 200, r.get_data(as_text=True)

    ours_move = _ms(move_only, runs)
    with app.app_context():
        naive_runs = max(3, runs // 4)
        base_feed = _ms(lambda: (naive_week(db.session, "loaner", WEEK, week_end, WEEK), db.session.expunge_all()), naive_runs)
        base_move = _ms(lambda: (naive_move(db.session, booking_id, start, end), db.session.expunge_all()), naive_runs)
        db.session.remove()
        db.engine.dispose()
    click.echo(f"{'operation':<34} {'median':>8} {'p95':>8} {'naive med':>10} {'naive p95':>10} {'ratio':>7} target")
    for label, ours, base, target in (("week JSON feed (GET events)", ours_feed, base_feed, 50),
                                      ("move round trip (POST move)", ours_move, base_move, 30),
                                      ("resources (GET resources)", ours_resources, None, None)):
        med = statistics.median(ours)
        line = f"{label:<34} {med:>6.1f}ms {p95(ours):>6.1f}ms"
        if base:
            line += f" {statistics.median(base):>8.1f}ms {p95(base):>8.1f}ms {statistics.median(base) / med:>6.1f}x"
        else:
            line += " " * 37
        if target:
            line += f" < {target} ms {'OK' if med < target else 'MISSED'}"
        click.echo(line)


@bench_group.command("calendar")
@click.option("--runs", default=40, show_default=True, type=click.IntRange(min=3))
@click.option("--refill", is_flag=True, help="Fill the database again even when a filled one exists.")
@click.option("--only", type=click.Choice(["sqlite", "postgresql"]), default=None)
@click.option("--pg-url", default=None,
              help="PostgreSQL database to use (default VERKSTAD_BENCH_DATABASE_URL, else TEST_DATABASE_URL); "
                   "created when missing, refused when it holds tables the benchmark did not create.")
def calendar(runs: int, refill: bool, only: str | None, pg_url: str | None):
    """Booking calendar: week feed and move round trip with 300 vehicles and 50,000 bookings."""
    targets = []
    if only in (None, "sqlite"):
        folder = Path(os.environ.get("VERKSTAD_BENCH_DIR", BASE_DIR / "instance"))
        folder.mkdir(parents=True, exist_ok=True)
        targets.append(("SQLite", lambda: prepare_sqlite(folder / f"bench-calendar-v{FILL_VERSION}-{WEEK:%Y%m%d}.sqlite", refill)))
    pg_url = pg_url or os.environ.get("VERKSTAD_BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if only in (None, "postgresql") and pg_url:
        targets.append(("PostgreSQL", lambda: prepare_postgresql(pg_url, refill)))
    for name, prepare in targets:
        started = time.perf_counter()
        uri = prepare()
        click.echo(f"{name}: database ready in {time.perf_counter() - started:.0f} s; median of {runs} runs")
        measure(uri, runs)
        click.echo("")
