"""History (historik): every create, change and delete of an Audited model is written to
AuditLog from one place, a session event, so no view can forget it.

The acting user is ``session.info["user_id"]``, set per request by the app (or by a CLI
command); a bulk insert through Core bypasses this on purpose (benchmarks, imports that
write their own summary).

The audit log is append-only: rows are inserted, never changed or deleted. A session guard
(before_flush) and a statement guard (before_execute on every engine) refuse any UPDATE or
DELETE of audit_log, whether through the ORM, a bulk statement or Core. The one sanctioned
exception is ``scrub_history``: the GDPR erasure (Art. 17) overwrites personal values in the
old and new values of history rows, and nothing else.

A secret column (``models.SECRET``) is recorded as "***", never with its value."""
import datetime as dt
import functools
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, event, inspect, insert, select, union, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, configure_mappers, joinedload, object_session
from sqlalchemy.orm.interfaces import MANYTOONE
from sqlalchemy.sql.dml import Delete, Update

from models import AuditLog, Audited, is_secret, utcnow
from services import DomainError

# counters and caches: changes nobody needs in the history (the TOTP replay counter moves on
# every login)
SKIPPED_FIELDS = {"version", "search_text", "updated_at", "created_at", "totp_last_step",
                  "reset_requests", "reset_requested_at", "preferences"}  # the "forgot password" limit: its own history row
SECRET_VALUE = "***"
# what an erased personal value reads as (GDPR erasure, services.registers.gdpr)
ERASED = "[raderad]"


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


@functools.cache
def _plan(mapper) -> tuple[tuple, tuple, tuple]:
    """What _changes looks at on a mapper's objects, worked out once per mapper: its many-to-one
    relationships (with their foreign-key columns), its many-to-many ones, and its columns
    (key, secret) but the id and the skipped ones."""
    many_to_one, many_to_many = [], []
    for rel in mapper.relationships:
        if rel.key in SKIPPED_FIELDS or rel.viewonly:
            continue
        if rel.direction is MANYTOONE:
            many_to_one.append((rel.key, frozenset(c.key for c in rel.local_columns)))
        elif rel.secondary is not None:
            many_to_many.append(rel.key)
    columns = tuple((attr.key, any(is_secret(c) for c in attr.columns)) for attr in mapper.column_attrs
                    if attr.key not in SKIPPED_FIELDS and attr.key != "id")
    return tuple(many_to_one), tuple(many_to_many), columns


def _changes(obj, action: str) -> list[tuple[str, str | None, str | None]]:
    """(field, old, new) for the changed attributes of obj."""
    state = inspect(obj)
    many_to_one, many_to_many, columns = _plan(state.mapper)
    attrs = state.attrs
    out: list[tuple[str, str | None, str | None]] = []
    fk_done: set[str] = set()
    if action == "update":
        for key, fk_columns in many_to_one:
            hist = attrs[key].history
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                out.append((key, _text(old), _text(new)))
                fk_done.update(fk_columns)
    if action in ("create", "update"):
        for key in many_to_many:
            # tags, assigned technicians: the whole set before and after
            hist = attrs[key].history
            if hist.has_changes():
                old = list(hist.unchanged) + list(hist.deleted) if action == "update" else None
                new = list(hist.unchanged) + list(hist.added)
                out.append((key, _text(old), _text(new)))
    if action == "create":
        values = state.dict
        for key, secret in columns:
            value = values.get(key)
            if value is not None and value != "":
                out.append((key, None, SECRET_VALUE if secret else _text(value)))
        return out
    for key, secret in columns:
        if key in fk_done:
            continue
        hist = attrs[key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if _text(old) == _text(new):
                continue
            if secret:
                # that it changed, never what it was or became (not even whether it was empty)
                out.append((key, SECRET_VALUE, SECRET_VALUE))
            else:
                out.append((key, _text(old), _text(new)))
    return out


def _record_id(obj) -> str:
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(x) for x in identity if x is not None)


def _rows(session: Session) -> list[dict]:
    user_id = session.info.get("user_id")
    now = utcnow()
    rows = []
    # rows deleted as orphans (a contact taken off its customer, a right off its role) are not
    # in session.deleted: the mapper event below collects every deleted row of the flush
    deleted = list(dict.fromkeys([*session.deleted, *session.info.pop("audit_deleted", [])]))
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", deleted)):
        for obj in objs:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            parent_table = parent_id = None
            if obj.__audit_parent__:
                parent_table, fk = obj.__audit_parent__
                parent_id = _text(getattr(obj, fk))
            base = dict(
                at=now, user_id=user_id, action=action, table_name=obj.__tablename__,
                record_id=_record_id(obj), parent_table=parent_table, parent_id=parent_id,
            )
            if action == "delete":
                rows.append(dict(base, field=None, old_value=str(obj)[:2000], new_value=None))
                continue
            for field, old, new in _changes(obj, action):
                rows.append(dict(base, field=field, old_value=old, new_value=new))
    return rows


def _after_delete(mapper, connection, target) -> None:
    session = object_session(target)
    if session is not None:
        session.info.setdefault("audit_deleted", []).append(target)


def _after_flush(session: Session, flush_context) -> None:
    if session.info.get("audit_disabled"):
        session.info.pop("audit_deleted", None)
        return
    rows = _rows(session)
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def _load_old_values(base) -> None:
    """Make a change of an expired attribute load the old value first, so History always
    knows what was there before (a service may change a record right after a commit)."""
    configure_mappers()
    for mapper in base.registry.mappers:
        if issubclass(mapper.class_, Audited):
            for attr in mapper.column_attrs:
                impl = getattr(mapper.class_, attr.key).impl
                impl.active_history = True


# ---- append-only ---------------------------------------------------------------------

# the execution option that marks scrub_history's statement; an object, not a flag a caller
# could set by accident
_SCRUB = object()
_SCRUB_OPTION = "verkstad_audit_scrub"
_SCRUBBABLE = {"old_value", "new_value"}


def _refusal() -> DomainError:
    return DomainError(_("The audit log cannot be changed or deleted."))


def _guard_session(session: Session, flush_context, instances) -> None:
    """No ORM path may change or delete an audit row."""
    for obj in session.deleted:
        if isinstance(obj, AuditLog):
            raise _refusal()
    for obj in session.dirty:
        if isinstance(obj, AuditLog) and session.is_modified(obj):
            raise _refusal()


def _guard_statement(conn, clauseelement, multiparams, params, execution_options) -> None:
    """No statement may update or delete audit rows (ORM flush, bulk update/delete, Core),
    except scrub_history's, which sets only the old and new values."""
    if not isinstance(clauseelement, (Update, Delete)):
        return
    if getattr(clauseelement.table, "name", None) != AuditLog.__tablename__:
        return
    if isinstance(clauseelement, Update) and execution_options.get(_SCRUB_OPTION) is _SCRUB:
        columns = {getattr(k, "key", k) for k in (clauseelement._values or {})}
        if columns and columns <= _SCRUBBABLE:
            return
    raise _refusal()


def install(session_class=Session) -> None:
    """Listen on every session of the given class (all ORM sessions by default)."""
    from models import Base

    _load_old_values(Base)
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
    if not event.contains(Audited, "after_delete", _after_delete):
        event.listen(Audited, "after_delete", _after_delete, propagate=True)
    if not event.contains(session_class, "before_flush", _guard_session):
        event.listen(session_class, "before_flush", _guard_session)
    if not event.contains(Engine, "before_execute", _guard_statement):
        event.listen(Engine, "before_execute", _guard_statement)


def history_statement(table: str, record_id, limit: int = 500):
    """The select of ``history_of``: one indexed look-up for each way a row belongs to the record
    (its own; its parts'), the newest ``limit`` of both. As one OR, SQLite walked the whole log
    backwards along ix_audit_log_at to honour ORDER BY ... LIMIT (2 s for a card at a million
    history rows; tests/unit/platform/test_history_query.py guards the plan)."""
    rid = str(record_id)
    own = select(AuditLog.id, AuditLog.at).where(AuditLog.table_name == table, AuditLog.record_id == rid)
    parts = select(AuditLog.id, AuditLog.at).where(AuditLog.parent_table == table, AuditLog.parent_id == rid)
    both = union(own, parts).subquery()
    latest = select(both.c.id, both.c.at).order_by(both.c.at.desc(), both.c.id.desc()).limit(limit).subquery()
    return (select(AuditLog).join(latest, AuditLog.id == latest.c.id)
            .options(joinedload(AuditLog.user))  # one statement, not one per user shown
            .order_by(latest.c.at.desc(), latest.c.id.desc()))


def history_of(session: Session, table: str, record_id, limit: int = 500) -> list[AuditLog]:
    """The History tab of a record: its own changes and those of its parts (a customer's
    contacts, a role's rights), newest first."""
    return list(session.scalars(history_statement(table, record_id, limit)))


def scrub_history(session: Session, where, columns: tuple[str, ...] = ("old_value", "new_value")) -> int:
    """The one sanctioned change of audit rows, for the GDPR erasure (services.registers.gdpr): one bulk
    UPDATE setting ``columns`` (old and new value by default) of the AuditLog rows matching
    ``where`` (a SQL condition on AuditLog) to ERASED; an empty value stays empty. The rows
    (who changed which field of which record, and when) stay. Returns the rows changed."""
    unknown = set(columns) - _SCRUBBABLE
    if unknown:
        raise ValueError(f"scrub_history writes only {sorted(_SCRUBBABLE)}, not {sorted(unknown)}")
    values = {name: case((getattr(AuditLog, name).is_(None), None), else_=ERASED) for name in columns}
    statement = (update(AuditLog).where(where).values(values)
                 .execution_options(synchronize_session=False, **{_SCRUB_OPTION: _SCRUB}))
    return session.execute(statement).rowcount or 0
