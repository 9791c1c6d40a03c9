"""History (historik): every create, change and delete of an Audited model is written to
AuditLog from one place, a session event, so no view can forget it.

The acting user is ``session.info["user_id"]``, set per request by the app (or by a CLI
command); a bulk insert through Core bypasses this on purpose (benchmarks, imports that
write their own summary)."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import event, inspect, insert, or_, select
from sqlalchemy.orm import Session, configure_mappers, joinedload, object_session
from sqlalchemy.orm.interfaces import MANYTOONE

from models import AuditLog, Audited, utcnow

SKIPPED_FIELDS = {"version", "search_text", "updated_at", "created_at", "totp_last_step"}
SECRET_FIELDS = {"password_hash", "totp_secret"}


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


def _changes(obj, action: str) -> list[tuple[str, str | None, str | None]]:
    """(field, old, new) for the changed attributes of obj."""
    state = inspect(obj)
    mapper = state.mapper
    out: list[tuple[str, str | None, str | None]] = []
    fk_done: set[str] = set()
    for rel in mapper.relationships:
        if rel.key in SKIPPED_FIELDS or rel.viewonly:
            continue
        if rel.direction is MANYTOONE:
            hist = state.attrs[rel.key].history
            if action == "update" and hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                out.append((rel.key, _text(old), _text(new)))
                fk_done.update(c.key for c in rel.local_columns)
        elif rel.secondary is not None and action in ("create", "update"):
            # tags, assigned technicians: the whole set before and after
            hist = state.attrs[rel.key].history
            if hist.has_changes():
                old = list(hist.unchanged) + list(hist.deleted) if action == "update" else None
                new = list(hist.unchanged) + list(hist.added)
                out.append((rel.key, _text(old), _text(new)))
    for attr in mapper.column_attrs:
        key = attr.key
        if key in SKIPPED_FIELDS or key in fk_done or key == "id":
            continue
        hist = state.attrs[key].history
        if action == "create":
            value = getattr(obj, key)
            if value is not None and value != "":
                out.append((key, None, "***" if key in SECRET_FIELDS else _text(value)))
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if _text(old) == _text(new):
                continue
            if key in SECRET_FIELDS:
                out.append((key, "***", "***"))
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


def install(session_class=Session) -> None:
    """Listen on every session of the given class (all ORM sessions by default)."""
    from models import Base

    _load_old_values(Base)
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
    if not event.contains(Audited, "after_delete", _after_delete):
        event.listen(Audited, "after_delete", _after_delete, propagate=True)


def history_of(session: Session, table: str, record_id, limit: int = 500) -> list[AuditLog]:
    """The History tab of a record: its own changes and those of its parts (a customer's
    contacts, a role's rights), newest first."""
    rid = str(record_id)
    return list(session.scalars(
        select(AuditLog)
        .where(or_((AuditLog.table_name == table) & (AuditLog.record_id == rid),
                   (AuditLog.parent_table == table) & (AuditLog.parent_id == rid)))
        .options(joinedload(AuditLog.user))  # one statement, not one per user shown
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    ))
