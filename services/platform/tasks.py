"""The tasks of the job queue: thin wrappers, each calls one service function
(services.platform.job_queue registers them on the app's Huey under their names, in the app's context)."""
from huey import crontab

from models import db
from services.registers import customer_import  # noqa: F401  (declares the customer import's job handler)
from services.platform import jobs
from services.platform.job_queue import task


@task("run_job", retries=3, retry_delay=10)
def run_job(job_id: int) -> None:
    """A job a user started (services.platform.jobs.run); retried when the database was busy before it
    started (a started job is not started twice)."""
    jobs.run(db.session, job_id)


@task("fail_abandoned_jobs", schedule=crontab(minute="*"))
def fail_abandoned_jobs() -> None:
    """Every minute: jobs whose consumer was killed are failed (services.platform.jobs.fail_abandoned)."""
    jobs.fail_abandoned(db.session)
