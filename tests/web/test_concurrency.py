"""Simultaneous requests on one record (issue 9 item 7): real concurrent HTTP requests, one
thread and one test client (one login) each, on SQLite and PostgreSQL."""
import datetime as dt

from flask import request
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from models import Invoice, NumberSeries, Order, PaymentTerm, db
from services.sales import invoicing
from services.platform.settings import load_settings
from tests import sales_helpers as h
from tests.factories import AuthActions, csrf_from, make_user
from tests.races import race

USERS = 5


def _ready_order(app) -> int:
    with app.app_context():
        customer = h.customer(db.session)
        order = Order(kind="order", status="ready", customer=customer, order_date=dt.date(2026, 11, 24), lines=[])
        db.session.add(order)
        db.session.flush()
        from services.sales import orders

        orders.add_line(db.session, order, "article", article=h.article(db.session), quantity="2")
        invoicing.ensure_sales_series(db.session, load_settings(db.session))
        db.session.commit()
        return order.id


def _logged_in_clients(app, order_id):
    clients = []
    for n in range(USERS):
        make_user(app, f"seller{n}", admin=True)
        client = app.test_client()
        AuthActions(client).login(f"seller{n}")
        page = client.get(f"/admin/order/details/?id={order_id}")
        assert page.status_code == 200
        clients.append((client, csrf_from(page.get_data(as_text=True))))
    return clients


def test_five_simultaneous_finalisations_one_invoice_no_500(app):
    """Issue 9 item 7: five users press "finalise" on one order at the same moment: one invoice,
    and the four others are told "Order N är redan fakturerad" (was: HTTP 500 StaleDataError).

    On PostgreSQL the invoice series is held by another transaction until all five requests are
    waiting inside the database, so that they really overlap; on SQLite they start together."""
    order_id = _ready_order(app)
    clients = _logged_in_clients(app, order_id)

    def finalise(n):
        client, token = clients[n]
        return client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id})

    def hold(blocker):  # the series row: every finalisation must queue behind it
        blocker.execute(update(NumberSeries).where(NumberSeries.name == invoicing.INVOICE_SERIES)
                        .values(next_number=NumberSeries.next_number))

    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        results = race(db.engine, USERS, finalise, hold=hold if postgres else None)
    assert all(r is not None for r in results)
    assert sorted(r.status_code for r in results) == [302] * USERS, [r.status_code for r in results]
    winners = [n for n, r in enumerate(results) if "/admin/invoice/details/" in r.headers["Location"]]
    assert len(winners) == 1, [r.headers["Location"] for r in results]
    for n, r in enumerate(results):
        if n in winners:
            continue
        client, _token = clients[n]
        page = client.get(r.headers["Location"]).get_data(as_text=True)
        assert f"Order {order_id} är redan fakturerad." in page
        assert "Någon annan sparade posten" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
        assert db.session.get(Order, order_id).status == "invoiced"


def test_a_lost_race_on_any_version_counter_is_the_stale_form_message(app):
    """Issue 9 item 7: a save that loses the race on a version counter (the row changed between
    reading and writing, here a payment term edited while a request saves it) is answered with
    the stale-form message and a redirect back, never a 500; nothing of it is saved."""
    with app.app_context():
        term = db.session.scalar(select(PaymentTerm).where(PaymentTerm.days == 30))
        term_id, name = term.id, term.name

    # a request that reads the row, then finds it changed underneath when it writes: the
    # endpoint is registered for this test only (the race itself is timing, not logic)
    def save_term():
        row = db.session.get(PaymentTerm, term_id)
        row.name = "Tredje namnet"
        with Session(db.engine) as other:
            other.get(PaymentTerm, term_id).name = request.form["other"]
            other.commit()
        db.session.commit()
        return "saved"

    app.add_url_rule("/test-stale-save", "test_stale_save", save_term, methods=["POST"])
    make_user(app, "admin", admin=True)
    client = app.test_client()
    AuthActions(client).login()
    page = client.get("/admin/paymentterm/")
    r = client.post("/test-stale-save", headers={"Referer": "http://localhost/admin/paymentterm/"},
                    data={"csrf_token": csrf_from(page.get_data(as_text=True)), "other": "Någon annans namn"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/paymentterm/")
    html = client.get("/admin/paymentterm/").get_data(as_text=True)
    assert "Någon annan sparade posten medan du redigerade den." in html
    r = client.post("/test-stale-save", headers={"Accept": "application/json"},
                    data={"csrf_token": csrf_from(page.get_data(as_text=True)), "other": "Någon annans namn 2"})
    assert r.status_code == 409 and r.get_json()["ok"] is False
    with app.app_context():
        assert db.session.get(PaymentTerm, term_id).name == "Någon annans namn 2" != name


def test_on_sqlite_a_reader_is_not_blocked_by_a_long_write(app, backend):
    """Issue 11's load target: an import writing for seconds must not stop the office users'
    searches. In SQLite's rollback journal a big write spills to the file under an exclusive
    lock and every reader gets "database is locked"; with WAL they read the last commit."""
    if backend != "sqlite":
        return  # PostgreSQL readers never wait for writers (MVCC)
    with app.app_context():
        engine = db.engine
        with engine.connect() as writer, engine.connect() as reader:
            reader.exec_driver_sql("PRAGMA busy_timeout=0")  # fail at once instead of waiting
            before = reader.execute(select(func.count()).select_from(text("audit_log"))).scalar_one()
            reader.commit()
            writer.exec_driver_sql("PRAGMA cache_size=5")  # a few pages: the write spills to the file
            writer.exec_driver_sql(
                "INSERT INTO audit_log (at, action, table_name, record_id, field, new_value) "
                "SELECT CURRENT_TIMESTAMP, 'create', 'customer', i, 'name', printf('%0100d', i) FROM "
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n)")
            during = reader.execute(select(func.count()).select_from(text("audit_log"))).scalar_one()
            writer.rollback()
            assert during == before
