"""The export job's work (services.platform.list_jobs.export_matching) without Huey or HTTP: every
row the customer list shows for a query, in the columns of the list's export, streamed to an XLSX
file that openpyxl reads back; a user limited to assigned customers exports only those."""
from openpyxl import load_workbook
from sqlalchemy import select

from models import Customer, User, db
from services.platform import jobs, list_jobs
from tests.factories import user


def _rows(path) -> list[tuple]:
    """The rows of an .xlsx file, the file closed after (read-only mode keeps it open)."""
    book = load_workbook(path, read_only=True)
    try:
        return list(book.active.iter_rows(values_only=True))
    finally:
        book.close()


def _register(session, count: int, tech: User | None = None) -> None:
    rows = [Customer(customer_number=f"S{i:05d}", name=f"Strömkund {i} AB", kind="company",
                     email=f"k{i}@example.se") for i in range(count)]
    rows.append(Customer(customer_number="=1+1", name="=HYPERLINK(\"http://x\")", kind="private"))
    session.add_all(rows)
    session.flush()
    if tech is not None:
        for c in rows[:3]:
            c.technicians = [tech]
    session.commit()


def test_every_matching_row_is_streamed_to_the_file_in_the_lists_export_columns(app, tmp_path):
    with app.app_context():
        admin = user(db.session, "exporter", admin=True)
        _register(db.session, 1205)
        view = list_jobs.source("customer")
        seen = []
        with view.as_user(admin, "search=Strömkund&sort=0"):
            columns = view.export_columns()
            count = list_jobs.export_matching(view, tmp_path / "out.xlsx", lambda done, total: seen.append((done, total)))
        assert count == 1205 and seen[0] == (0, 1205) and (1000, 1205) in seen
        rows = _rows(tmp_path / "out.xlsx")
    assert rows[0] == tuple(title for _name, title in columns)
    assert rows[0][:3] == ("Kundnummer", "Namn", "Typ") and "Aktiv" in rows[0]
    assert len(rows) == 1206 and rows[1][:3] == ("S00000", "Strömkund 0 AB", "Företag")
    assert {r[0] for r in rows[1:]} == {f"S{i:05d}" for i in range(1205)}


def test_text_stays_text_and_the_user_limited_to_assigned_exports_only_those(app, tmp_path):
    with app.app_context():
        tech = user(db.session, "tech", {"customer.view_assigned", "customer.export"})
        _register(db.session, 20, tech)
        view = list_jobs.source("customer")
        with view.as_user(tech, ""):
            assert list_jobs.export_matching(view, tmp_path / "mine.xlsx") == 3
        with view.as_user(user(db.session, "admin2", admin=True), "search=HYPERLINK"):
            list_jobs.export_matching(view, tmp_path / "all.xlsx")
    mine = _rows(tmp_path / "mine.xlsx")
    assert sorted(r[0] for r in mine[1:]) == ["S00000", "S00001", "S00002"]
    sheet = load_workbook(tmp_path / "all.xlsx").active
    assert sheet["B2"].value == '=HYPERLINK("http://x")' and sheet["B2"].data_type == "s"  # no formula


def test_the_export_job_runs_without_huey_and_its_result_is_the_file(app):
    with app.app_context():
        admin = user(db.session, "exporter", admin=True)
        _register(db.session, 30)
        job = list_jobs.start(db.session, app.extensions["jobs"].enqueue, "customer", admin, "export", "")
        done = jobs.run(db.session, job.id)
        assert done.status == "done", done.error
        assert done.summary == "31 rader exporterades." and done.result_name == f"customer-export-{job.id}.xlsx"
        rows = _rows(jobs.result_file(done))
        assert len(rows) == 32
        # a user who lost the export right before the job ran gets a failed job, no file
        clerk = user(db.session, "clerk", {"customer.view", "customer.export"})
        job = list_jobs.start(db.session, app.extensions["jobs"].enqueue, "customer", clerk, "export", "")
        clerk.role.rights = [r for r in clerk.role.rights if r.right != "customer.export"]
        db.session.commit()
        failed = jobs.run(db.session, job.id)
        assert failed.status == "failed" and "exportera" in failed.error and failed.result_path is None
        assert db.session.scalar(select(Customer.id).where(Customer.customer_number == "S00000")) is not None
