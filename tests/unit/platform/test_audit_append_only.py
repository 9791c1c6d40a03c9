"""The audit log is append-only (issue 9 item 1) and never holds a secret's value (item 2)."""
import pytest
from sqlalchemy import delete, select, update

from models import AuditLog, District, Role, User, db, is_secret
from services import DomainError
from services.platform import audit
from services.platform.auth import hash_password


def _logged(session) -> list[AuditLog]:
    session.add(District(name="Söder"))
    session.commit()
    rows = list(session.scalars(select(AuditLog).where(AuditLog.table_name == "district")))
    assert rows
    return rows


def test_no_code_path_changes_or_deletes_an_audit_row(session):
    """Issue 9 item 1: the ORM (delete, change), a bulk update or delete and a Core statement
    are all refused; the rows stay as they were."""
    rows = _logged(session)
    before = [(r.id, r.field, r.new_value) for r in rows]
    attempts = [
        lambda: (session.delete(rows[0]), session.flush()),
        lambda: (setattr(rows[0], "new_value", "forged"), session.flush()),
        lambda: session.execute(delete(AuditLog)),
        lambda: session.execute(update(AuditLog).values(new_value="forged")),
        lambda: session.query(AuditLog).filter(AuditLog.id == rows[0].id).delete(),
        lambda: session.connection().execute(AuditLog.__table__.delete()),
        lambda: session.connection().execute(AuditLog.__table__.update().values(field="x")),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError):
            attempt()
        session.rollback()
    session.expire_all()
    assert [(r.id, r.field, r.new_value) for r in session.scalars(
        select(AuditLog).where(AuditLog.table_name == "district").order_by(AuditLog.id))] == sorted(before)
    # inserting stays possible: the log grows
    session.add(District(name="Norr"))
    session.commit()
    assert session.scalar(select(AuditLog).where(AuditLog.new_value == "Norr")) is not None


def test_scrub_history_is_the_one_sanctioned_change(session):
    """Issue 9 item 1: scrub_history (for the GDPR erasure) overwrites old and new values,
    by value or by record and its parts, and nothing else; the rows stay."""
    session.add(District(name="Anders Gustafsson"))
    session.add(District(name="Övre"))
    session.commit()
    anders = session.scalar(select(District).where(District.name == "Anders Gustafsson"))
    anders.name = "Anders G"
    session.commit()
    count = session.scalar(select(db.func.count()).select_from(AuditLog))
    mine = (AuditLog.table_name == "district") & (AuditLog.record_id == str(anders.id))
    assert audit.scrub_history(session, mine & (AuditLog.field == "name"), ("new_value",)) == 2
    session.commit()
    rows = list(session.scalars(select(AuditLog).where(mine, AuditLog.field == "name").order_by(AuditLog.id)))
    assert [(r.old_value, r.new_value) for r in rows] == [(None, "[raderad]"), ("Anders Gustafsson", "[raderad]")]
    audit.scrub_history(session, mine)
    session.commit()
    rows = list(session.scalars(select(AuditLog).where(mine)))
    assert {r.new_value for r in rows if r.new_value is not None} == {"[raderad]"}
    assert "Anders" not in " ".join(str(r.old_value) + str(r.new_value) for r in rows)
    with pytest.raises(ValueError):
        audit.scrub_history(session, mine, ("field",))
    assert session.scalar(select(AuditLog).where(AuditLog.new_value == "Övre")) is not None  # others untouched
    assert session.scalar(select(db.func.count()).select_from(AuditLog)) == count  # nothing deleted
    # the scrub's marker does not open other changes
    statement = update(AuditLog).values(field="forged").execution_options(verkstad_audit_scrub=True)
    with pytest.raises(DomainError):
        session.execute(statement)
    session.rollback()


def test_history_never_records_a_secret_value(session):
    """Issue 9 item 2: every column marked secret is written as *** (or not at all) when a
    user is created and changed; no secret value is anywhere in the log."""
    secrets = {c.key for c in User.__table__.columns if is_secret(c)}
    assert {"password_hash", "totp_secret", "totp_last_step", "locked_until"} <= secrets
    role = session.scalar(select(Role).where(Role.is_admin.is_(True)))
    import datetime as dt
    user = User(username="karin", password_hash=hash_password("first-password-1"), role=role,
                totp_secret="JBSWY3DPEHPK3PXP", totp_last_step=123456, failed_logins=3,
                locked_until=dt.datetime(2030, 1, 2, 3, 4))
    session.add(user)
    session.commit()
    user.password_hash = hash_password("second-password-2")
    user.totp_secret = "KRSXG5CTMVRXEZLU"
    user.totp_last_step = 654321
    user.locked_until = dt.datetime(2031, 5, 6, 7, 8)
    user.failed_logins = 4
    session.commit()
    rows = list(session.scalars(select(AuditLog).where(AuditLog.table_name == "user",
                                                       AuditLog.record_id == str(user.id))))
    written = " ".join(f"{r.old_value} {r.new_value}" for r in rows)
    for secret in ("JBSWY3DP", "KRSXG5CT", "scrypt", "argon", "123456", "654321", "2030", "2031", "$"):
        assert secret not in written, secret
    for r in rows:
        if r.field in secrets:
            assert {r.old_value, r.new_value} <= {None, audit.SECRET_VALUE}, r.field
    assert any(r.field == "password_hash" for r in rows)  # that it changed is recorded


def test_no_project_code_writes_raw_sql_against_the_audit_log():
    """Issue 9 item 1 (documented limit): a hand-written SQL text is not parsed by the guard;
    no code of the project writes one against audit_log (checked here)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    offenders = [str(p) for d in ("services", "views", "reports", "cli.py", "app.py")
                 for p in ([root / d] if d.endswith(".py") else (root / d).rglob("*.py"))
                 if any(w in p.read_text().upper() for w in ("DELETE FROM AUDIT_LOG", "UPDATE AUDIT_LOG"))]
    assert offenders == []
