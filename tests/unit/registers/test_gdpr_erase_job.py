"""GDPR erase as a job (services.registers.gdpr): the handler run directly (services.platform.jobs.run,
no consumer): all or nothing, progress, the stored files removed only once it is committed, the
right checked when submitting and again in the job."""
import pytest
from sqlalchemy import delete, func, select

from models import Comment, Contact, Customer, CustomerFile, Job, Notification, PersonalDataErasure
from services import DomainError
from services.platform import jobs
from services.registers import customer_files, gdpr
from services.registers.comments import add_comment
from services.registers.customers import set_address
from tests import factories as f


@pytest.fixture
def officer(session):
    u = f.user(session, "gun", {"customer.view", "customer.gdpr"}, language="en")
    session.commit()
    return u


@pytest.fixture
def greta(app, session, officer):
    c = Customer(customer_number="7001", kind="private", name="Greta Gustafsson", personal_number="199001011239",
                 email="greta@example.se", phone="070-555 12 34")
    set_address(c, "visiting", "Hemliga vägen 7", "123 45", "Stockholm")
    c.contacts.append(Contact(name="Kalle Kontakt", email="kalle@example.se"))
    session.add(c)
    session.flush()
    add_comment(session, "customer", c.id, "Greta Gustafsson vill ha offert", officer, str(c), None)
    customer_files.add_file(session, c, "körkort.pdf", b"%PDF-1.4 x", officer, jobs.files_dir())
    session.commit()
    return c


def _stored(session, customer_id):
    return [customer_files.file_path(jobs.files_dir(), x)
            for x in session.scalars(select(CustomerFile).where(CustomerFile.customer_id == customer_id))]


def _start(app, session, user, customer):
    return gdpr.start_erase_job(session, app.extensions["jobs"].enqueue, user, customer)


def _untouched(session, cid):
    session.expire_all()
    c = session.get(Customer, cid)
    assert c.name == "Greta Gustafsson" and c.email == "greta@example.se" and len(c.contacts) == 1
    assert session.scalar(select(func.count()).select_from(Comment)) == 1
    assert session.scalar(select(func.count()).select_from(CustomerFile)) == 1
    assert session.scalar(select(func.count()).select_from(PersonalDataErasure)) == 0


def test_an_erase_job_erases_everything_reports_progress_and_removes_the_files_after(app, session, officer, greta,
                                                                                     monkeypatch):
    files = _stored(session, greta.id)
    assert len(files) == 1 and files[0].exists()
    job = _start(app, session, officer, greta)
    assert job.status == "queued" and job.kind == "customer_erase" and job.progress_total == gdpr.ERASE_STEPS
    assert job.params == {"customer_id": greta.id, "customer_number": "7001"}  # nothing of what is erased
    assert app.extensions["jobs"].huey.pending_count() == 1
    assert _start(app, session, officer, greta).id == job.id  # confirmed twice: still one erasure
    _untouched(session, greta.id)

    seen = []
    original = jobs.report_progress  # watched, not replaced

    def watch(j, done, total):
        seen.append((done, total, files[0].exists()))
        original(j, done, total)

    monkeypatch.setattr(jobs, "report_progress", watch)
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "done", job.error
    assert [(d, t) for d, t, _e in seen] == [(i, gdpr.ERASE_STEPS) for i in range(gdpr.ERASE_STEPS + 1)]
    assert all(exists for _d, _t, exists in seen)  # the file stays while the erasure may still roll back
    assert not files[0].exists()
    assert job.summary == "The personal data of customer 7001 was erased."
    c = session.get(Customer, greta.id)
    assert "Greta" not in c.name and c.email is None and c.contacts == [] and c.addresses == []
    assert session.scalar(select(func.count()).select_from(Comment)) == 0
    assert session.scalar(select(PersonalDataErasure.erased_by_id)) == officer.id
    note = session.scalar(select(Notification).where(Notification.user_id == officer.id))
    assert note.message == "Erase personal data is done: " + job.summary


def test_a_failure_in_the_middle_erases_nothing(app, session, officer, greta, monkeypatch):
    files = _stored(session, greta.id)
    job = _start(app, session, officer, greta)

    def broken(*args, **kwargs):  # a fault after the customer's own fields were cleared and flushed
        raise RuntimeError("disk full")

    monkeypatch.setattr(gdpr, "_scrub_history", broken)
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.error.startswith("The job stopped on an unexpected error; nothing was written")
    assert job.progress_done == 3  # it stopped in the middle
    _untouched(session, greta.id)
    assert files[0].exists()

    monkeypatch.undo()  # started again, it erases
    again = jobs.run_again(session, app.extensions["jobs"].enqueue, officer, job.id)
    jobs.run(session, again.id)
    session.expire_all()
    assert session.get(Job, again.id).status == "done" and session.get(Customer, greta.id).email is None
    assert not files[0].exists()


def test_a_cancelled_erasure_erases_nothing(app, session, officer, greta):
    job = jobs.start_job(session, _start(app, session, officer, greta).id)
    jobs.cancel(session, officer, job.id)  # running: stops at its next progress report
    jobs.execute(session, job)
    session.expire_all()
    assert session.get(Job, job.id).status == "cancelled"
    _untouched(session, greta.id)


def test_the_right_is_checked_when_submitting_and_again_in_the_job(app, session, officer, greta):
    nobody = f.user(session, "nils", {"customer.view"}, language="en")
    session.commit()
    with pytest.raises(PermissionError):
        _start(app, session, nobody, greta)
    assert session.scalar(select(func.count()).select_from(Job)) == 0

    job = _start(app, session, officer, greta)
    for right in list(officer.role.rights):  # taken away while the job waits
        if right.right == "customer.gdpr":
            session.delete(right)
    session.commit()
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.error == (
        "You no longer have the right to erase personal data; nothing was erased.")
    _untouched(session, greta.id)


def test_a_company_is_refused_at_once_and_a_deleted_customer_fails_the_job(app, session, officer, greta):
    firma = Customer(customer_number="7002", kind="company", name="Firma AB")
    session.add(firma)
    session.commit()
    with pytest.raises(DomainError, match="är ett företag"):
        _start(app, session, officer, firma)
    assert session.scalar(select(func.count()).select_from(Job)) == 0

    job = _start(app, session, officer, greta)
    session.execute(delete(CustomerFile))
    session.execute(delete(Contact))
    session.execute(delete(Comment))
    session.delete(session.get(Customer, greta.id))
    session.commit()
    jobs.run(session, job.id)
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.error == "The customer no longer exists."
