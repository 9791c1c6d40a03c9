"""The History tab's query (services.platform.audit.history_of): a record's own rows and its parts' rows,
newest first, read through their indexes whatever the size of the log (issue 10, "Performance":
as one OR, SQLite walked the whole log along ix_audit_log_at, 2 s for a card at a million rows)."""
import datetime as dt

from sqlalchemy import insert, or_, select, text

from models import AuditLog, db
from services.platform.audit import history_of, history_statement

START = dt.datetime(2025, 1, 1)


def _log(session, background: int = 3000) -> None:
    """A log mostly of other records' own rows (no parent), as a real one is, and customer 7's
    rows: 5 of its own and 3 of its contacts', at known times."""
    rows = [dict(at=START + dt.timedelta(minutes=i), action="update", table_name="customer", record_id=str(100 + i),
                 parent_table=None, parent_id=None, field="phone", old_value="1", new_value="2")
            for i in range(background)]
    rows += [dict(at=START + dt.timedelta(days=k), action="update", table_name="customer", record_id="7",
                  parent_table=None, parent_id=None, field="email", old_value=f"a{k}", new_value=f"b{k}")
             for k in range(5)]
    rows += [dict(at=START + dt.timedelta(days=k, hours=12), action="update", table_name="contact",
                  record_id=str(50 + k), parent_table="customer", parent_id="7", field="phone",
                  old_value="070-1", new_value="070-2") for k in range(3)]
    session.execute(insert(AuditLog), rows)
    session.commit()


def test_history_holds_own_and_parts_rows_newest_first_up_to_the_limit(session):
    _log(session, background=50)
    rows = history_of(session, "customer", 7)
    assert [(r.table_name, r.at) for r in rows] == sorted(
        [("customer", START + dt.timedelta(days=k)) for k in range(5)]
        + [("contact", START + dt.timedelta(days=k, hours=12)) for k in range(3)], key=lambda x: x[1], reverse=True)
    assert len(history_of(session, "customer", 7, limit=4)) == 4
    assert history_of(session, "customer", 7, limit=4)[0].at == START + dt.timedelta(days=4)
    assert history_of(session, "customer", 999_999) == []


def _plan(session, statement) -> list[str]:
    sql = str(statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    return [row[3] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql))]


def test_history_is_read_through_its_indexes(session):
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's plans for a few thousand rows say nothing of a million
    _log(session)
    session.execute(text("ANALYZE"))
    plan = _plan(session, history_statement("customer", 7))
    assert not [step for step in plan if step.startswith("SCAN audit_log")], plan
    assert any("ix_audit_log_record" in step for step in plan) and any("ix_audit_log_parent" in step for step in plan)
    # the test can fail: the OR it replaces walks the log along its time index
    old = (select(AuditLog).where(or_((AuditLog.table_name == "customer") & (AuditLog.record_id == "7"),
                                      (AuditLog.parent_table == "customer") & (AuditLog.parent_id == "7")))
           .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(500))
    assert [step for step in _plan(session, old) if step.startswith("SCAN audit_log")], _plan(session, old)
