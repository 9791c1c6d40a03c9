"""Collective invoicing as a job (reports.sales.collective): the handler run directly
(services.platform.jobs.run, no consumer), all or nothing, the right checked at submit and in the job."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Invoice, Job, Notification, NumberSeries, Order, OutboxMessage
from reports.sales import collective
from services.platform import jobs
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.factories import user

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def clerk(session):
    u = user(session, "ulla", {"sales.finalise", "sales.view", "customer.view"}, language="en")
    session.commit()
    return u


def _ready(session, *customers):
    for cust in customers:
        order = orders.create_order(session, cust, None, today=TODAY)
        orders.add_line(session, order, "free_text", text="Service", unit_price=D(100))
        order.status = "ready"
    session.commit()


def _groups(session):
    found = list(session.scalars(invoicing.ready_orders_query()))
    return invoicing.plan_collective(session, found, False, h.settings(session))


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _next_number(session):
    return session.scalar(select(NumberSeries.next_number).where(NumberSeries.name == "invoice"))


def test_a_collective_run_is_a_job_that_reports_progress_and_names_its_invoices(app, session, clerk, monkeypatch):
    a, b = h.customer(session, "5001", "Alfa AB"), h.customer(session, "5002", "Beta AB")
    _ready(session, a, a, b)
    groups = _groups(session)
    job = collective.start_collective_job(session, app.extensions["jobs"].enqueue, clerk, groups, TODAY)
    assert job.status == "queued" and job.progress_total == 2 and job.kind == "collective_invoicing"
    assert app.extensions["jobs"].huey.pending_count() == 1  # the task is on the real queue
    assert _count(session, Invoice) == 0  # nothing is invoiced inside the request

    reports = []
    original = jobs.report_progress  # watched, not replaced: the progress file is still written
    monkeypatch.setattr(jobs, "report_progress",
                        lambda j, done, total: (reports.append((done, total)), original(j, done, total)))
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "done", job.error
    assert reports == [(0, 2), (1, 2), (2, 2)]  # once per group
    assert (job.progress_done, job.progress_total) == (2, 2)
    numbers = sorted(session.scalars(select(Invoice.number)))
    assert len(numbers) == 2 and job.summary.startswith(f"2 invoices created: {numbers[0]}, {numbers[1]}")
    assert "Collective invoice number SFA1" in job.summary  # the run's number finds its invoices (20.24)
    assert _count(session, Order, Order.status == "invoiced") == 3
    note = session.scalar(select(Notification).where(Notification.user_id == clerk.id))
    assert note.message == "Collective invoicing is done: " + job.summary


def test_a_failure_in_the_middle_writes_no_invoice_and_consumes_no_number(app, session, clerk):
    a = h.customer(session, "5001", "Alfa AB", email="alfa@example.com")
    b = h.customer(session, "5002", "Beta AB", order_number_required=True)  # fails: no order number
    c = h.customer(session, "5003", "Gamma AB", email="gamma@example.com")
    _ready(session, a, b, c)
    groups = _groups(session)
    assert [g.payer_name for g in groups] == ["5001 Alfa AB", "5002 Beta AB", "5003 Gamma AB"]
    before, outbox_before = _next_number(session), _count(session, OutboxMessage)
    job = collective.start_collective_job(session, app.extensions["jobs"].enqueue, clerk, groups, TODAY)
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed"
    assert job.error.startswith("5002 Beta AB: ") and "order number" in job.error
    assert (job.progress_done, job.progress_total) == (1, 3)  # the first group was done, then rolled back
    assert _count(session, Invoice) == 0
    assert _count(session, Order, Order.status == "ready") == 3
    assert _next_number(session) == before
    assert _count(session, OutboxMessage) == outbox_before  # the first group's e-mail went with it
    note = session.scalar(select(Notification).where(Notification.user_id == clerk.id))
    assert note.message.startswith("Collective invoicing failed: 5002 Beta AB")


def test_the_right_is_checked_when_submitting_and_again_in_the_job(app, session, clerk):
    a = h.customer(session, "5001", "Alfa AB")
    _ready(session, a)
    groups = _groups(session)
    nobody = user(session, "nils", {"sales.view"}, language="en")
    session.commit()
    with pytest.raises(PermissionError):
        collective.start_collective_job(session, app.extensions["jobs"].enqueue, nobody, groups, TODAY)
    assert _count(session, Job) == 0

    job = collective.start_collective_job(session, app.extensions["jobs"].enqueue, clerk, groups, TODAY)
    for right in list(clerk.role.rights):  # the right is taken away while the job waits
        if right.right == "sales.finalise":
            session.delete(right)
    session.commit()
    session.expire_all()
    assert not session.get(type(clerk), clerk.id).has_right("sales.finalise")
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and "no longer have the right" in job.error
    assert _count(session, Invoice) == 0 and _count(session, Order, Order.status == "ready") == 1
    assert not jobs.may_start(session.get(type(clerk), clerk.id), job.kind, job.params)


def test_many_invoices_are_named_by_their_first_and_last_number():
    assert collective.invoice_names(["10001", "10002"]) == "10001, 10002"
    many = [str(10001 + i) for i in range(50)]
    assert collective.invoice_names(many) == "10001–10050"
