"""The tasks of the job queue: thin wrappers, each calls one service function
(services.platform.job_queue registers them on the app's Huey under their names, in the app's context).

A periodic task (``schedule=``) is put on the queue by every consumer that runs the scheduler;
job_queue.build wraps it in Huey's lock under its name, so with several consumers one run does
the work and the others find the lock taken and skip (the work itself is idempotent as well: a
second run after the first one finished finds nothing left to do)."""
import datetime as dt

from huey import crontab

from models import db
from services.registers import customer_import  # noqa: F401  (declares the customer import's job handler)
from services.ledger import sie_export  # noqa: F401  (declares the SIE export's job handler)
from services.ledger import reminders  # noqa: F401  (declares the reminder run's job handler)
from services.ledger import interest  # noqa: F401  (declares the interest invoices' job handler)
from services.ledger import bgmax_import  # noqa: F401  (declares the BgMax import's job handler)
from services.platform import jobs
from services.platform.job_queue import enqueue, task
from services.sales import orders, outbox


@task("run_job", retries=3, retry_delay=10)
def run_job(job_id: int) -> None:
    """A job a user started (services.platform.jobs.run); retried when the database was busy before it
    started (a started job is not started twice)."""
    jobs.run(db.session, job_id)


@task(outbox.SEND_TASK, retries=outbox.RETRIES, retry_delay=outbox.RETRY_DELAY,
      retry_backoff=outbox.RETRY_BACKOFF, context=True)
def send_outbox_message(message_id: int, task=None) -> None:
    """One e-mail of the outbox (services.sales.outbox.deliver). Refused or not reached, it raises
    SendingFailed and Huey retries it after a growing delay; the last retry leaves it failed."""
    retry_in = task.retry_delay if task is not None and task.retries else None
    outbox.deliver(db.session, message_id, retry_in)


# ---- scheduled work -----------------------------------------------------------------------
# Periodic tasks: each calls one service function that commits its own work. Times are UTC
# (the Huey is made with utc=True). Later issues add theirs at the end of this section
# (overdue invoices, reminder proposals, recurring agreements, ...), with a test of the service
# function and one in tests/unit/platform/test_periodic_tasks.py that it is scheduled.

@task("fail_abandoned_jobs", schedule=crontab(minute="*"))
def fail_abandoned_jobs() -> None:
    """Every minute: jobs whose consumer was killed are failed (services.platform.jobs.fail_abandoned)."""
    jobs.fail_abandoned(db.session)


@task("outbox_retry", schedule=crontab(minute="*/5"))
def outbox_retry() -> None:
    """Every five minutes: queued e-mails whose job was lost get a new one (services.sales.outbox.requeue_lost)."""
    outbox.requeue_lost(db.session, enqueue)


@task("delete_old_documents", schedule=crontab(minute="30", hour="2"))
def delete_old_documents() -> None:
    """Every night at 02:30 UTC: old quotes and orders, when the setting for 10.35 asks for it
    (services.sales.orders.delete_old_documents_nightly, the rule of the manual screen)."""
    orders.delete_old_documents_nightly(db.session, dt.date.today())
