"""Jobs over every row a register's list shows (issue 11 items 3 and 7): the export of a whole
register, or of a searched and filtered list, to XLSX, and bulk actions on "all N matching the
filter" (add a tag, inactivate, assign technicians, a processing list, ...).

The rows are those the list itself shows: its search, filters and the user's visibility are the
list view's own (Flask-Admin's filters), re-applied in the job from the list's query string as the
user who started it; never ids sent by the browser. The job finds the view by its endpoint in the
app's admin (services do not import views: the view is the ``ListSource`` below). Rows are read a
chunk at a time (the export through a streaming cursor, the actions by keyset on the id), and the
XLSX is written by openpyxl's write-only workbook, so memory does not grow with the row count.
Rows the user may see but not change are skipped and counted in the summary."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from models import Job, User
from services import DomainError
from services.platform import jobs, spreadsheets

EXPORT_KIND = "list_export"
ACTION_KIND = "list_action"
CHUNK = 500  # rows changed (and flushed) per step of an action; progress is reported per step


class ListSource(Protocol):
    """What a register's list view gives a job (views.platform.base.SecureModelView)."""

    endpoint: str
    right_area: str

    def as_user(self, user: User, query: str) -> AbstractContextManager: ...
    def bulk_allowed(self, need: str) -> bool: ...
    def count_matching(self) -> int: ...
    def matching_rows(self) -> Iterator[Any]: ...
    def matching_chunks(self, size: int) -> Iterator[list]: ...
    def may_change_row(self, row) -> bool: ...
    def export_columns(self) -> list[tuple[str, str]]: ...
    def get_export_value(self, row, name: str) -> Any: ...
    def record_url(self, row) -> str: ...


@dataclass
class BulkAction:
    """One action on every matching row. ``need`` is the right it takes, as the list view checks
    it ("edit": edit or edit assigned, then per row; "view"; "export"; or a right of the area such as
    "assign"). ``prepare(session, user, params)`` checks the params and gives the state,
    ``apply(session, rows, state, source)`` changes the rows the user may change and returns how many
    changed, ``finish(session, user, params, state)`` ends it (e.g. saves a processing list)."""

    label: Callable[[], str]
    need: str
    apply: Callable[[Session, list, Any, ListSource], int] | None = None
    prepare: Callable[[Session, User, dict], Any] = lambda session, user, params: None
    finish: Callable[[Session, User, dict, Any], None] = lambda session, user, params, state: None
    per_row: bool = True  # rows the user may not change are skipped (and counted)
    fields: tuple[str, ...] = ()  # the form fields it takes (the list's bulk form shows them)
    summary: Callable[[dict, "ActionCounts"], str] | None = None  # the job's summary, when not the counts


# endpoint of a list view -> its bulk actions by name (declared by the register's service module)
ACTIONS: dict[str, dict[str, BulkAction]] = {}
EXPORT = BulkAction(label=lambda: _("Export (XLSX)"), need="export", per_row=False)


def declare(endpoint: str, actions: dict[str, BulkAction]) -> None:
    ACTIONS[endpoint] = {"export": EXPORT, **actions}


def actions_of(endpoint: str) -> dict[str, BulkAction]:
    return ACTIONS.get(endpoint, {"export": EXPORT})


def source(endpoint: str) -> ListSource:
    """The list view of ``endpoint`` in this app's admin."""
    admin = current_app.extensions["verkstad_admin"]
    for view in admin._views:
        if getattr(view, "endpoint", None) == endpoint and hasattr(view, "as_user"):
            return view
    raise DomainError(_("The register of this job is not there any more."))


# ---- starting ------------------------------------------------------------------------------

def start(session: Session, enqueue, endpoint: str, user: User, action: str, query: str,
          params: dict | None = None, total: int | None = None) -> Job:
    """Queue ``action`` (``"export"`` or one of the list's bulk actions) over every row the list of
    ``endpoint`` shows for ``query`` (its URL query string) as a job of ``user``."""
    if action not in actions_of(endpoint):
        raise DomainError(_("Unknown action."))
    job_params = {"endpoint": endpoint, "area": source(endpoint).right_area, "query": (query or "")[:4000],
                  "action": action, **(params or {})}
    kind = EXPORT_KIND if action == "export" else ACTION_KIND
    return jobs.submit(session, enqueue, kind, user, job_params, total=total)


def _rights(params: dict) -> list[str]:
    """The rights that may_start (run again, download) asks for: the area's named right when the
    action needs one; edit and view have alternatives (edit assigned) checked by the list view."""
    need = actions_of(params.get("endpoint", "")).get(params.get("action", "export"), EXPORT).need
    return [] if need in ("edit", "view") else [f"{params.get('area')}.{need}"]


# ---- the export ----------------------------------------------------------------------------

def write_xlsx(path: Path, titles: list[str], rows: Iterable[list], sheet_title: str = "Export") -> int:
    """``titles`` and every one of ``rows`` to an .xlsx file at ``path``; the number of rows written."""
    workbook, written = spreadsheets.workbook_of(titles, rows, sheet_title)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    workbook.save(tmp)
    tmp.replace(path)
    return written


def export_matching(view: ListSource, path: Path, progress: Callable[[int, int], None] | None = None,
                    sheet_title: str = "Export") -> int:
    """Every row ``view`` shows (inside ``view.as_user``) with the columns of its export to ``path``."""
    columns = view.export_columns()
    total = view.count_matching()
    if progress:
        progress(0, total)

    def rows():
        done = 0
        for row in view.matching_rows():
            yield [view.get_export_value(row, name) for name, _title in columns]
            done += 1
            if progress and done % CHUNK == 0:
                progress(done, total)

    return write_xlsx(path, [str(title) for _name, title in columns], rows(), sheet_title)


def _export_job(session: Session, job: Job) -> jobs.Outcome:
    params = job.params
    view = source(params["endpoint"])
    with view.as_user(job.user, params.get("query", "")):
        if not view.bulk_allowed("export"):
            raise DomainError(_("You do not have the right to export this register."))
        path = jobs.job_dir(job.id, create=True) / "export.xlsx"
        count = export_matching(view, path, lambda done, total: jobs.report_progress(job, done, total),
                                str(getattr(view, "name", "") or "Export"))
    return jobs.Outcome(_("%(n)s rows exported.", n=count), path, f"{params['endpoint']}-export-{job.id}.xlsx")


# ---- bulk actions --------------------------------------------------------------------------

@dataclass
class ActionCounts:
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    seen: list = field(default_factory=list)


def run_action(session: Session, view: ListSource, user: User, name: str, params: dict,
               progress: Callable[[int, int], None] | None = None) -> ActionCounts:
    """Bulk action ``name`` over every row ``view`` shows (inside ``view.as_user``), in chunks; the
    caller commits. Rows the user may not change are skipped."""
    action = actions_of(view.endpoint)[name]
    if not view.bulk_allowed(action.need):
        raise PermissionError(name)
    state = action.prepare(session, user, params)
    total = view.count_matching()
    if progress:
        progress(0, total)
    counts, done = ActionCounts(), 0
    for rows in view.matching_chunks(CHUNK):
        allowed = [r for r in rows if view.may_change_row(r)] if action.per_row else rows
        counts.skipped += len(rows) - len(allowed)
        changed = action.apply(session, allowed, state, view) if allowed else 0
        counts.changed += changed
        counts.unchanged += len(allowed) - changed
        session.flush()
        done += len(rows)
        if progress:
            progress(done, total)
    action.finish(session, user, params, state)
    return counts


def _action_job(session: Session, job: Job) -> jobs.Outcome:
    params = job.params
    if params.get("action") == "export":
        return _export_job(session, job)
    view = source(params["endpoint"])
    with view.as_user(job.user, params.get("query", "")):
        try:
            counts = run_action(session, view, job.user, params["action"], params,
                                lambda done, total: jobs.report_progress(job, done, total))
        except PermissionError:
            raise DomainError(_("You do not have the right to do this.")) from None
    action = actions_of(params["endpoint"])[params["action"]]
    if action.summary is not None:
        return jobs.Outcome(action.summary(params, counts))
    label = action.label()
    return jobs.Outcome(_("%(action)s: changed %(changed)s, unchanged %(unchanged)s, skipped (no right to change) "
                          "%(skipped)s", action=label, changed=counts.changed, unchanged=counts.unchanged,
                          skipped=counts.skipped))


jobs.handler(EXPORT_KIND, label=lambda: _("Register export"), rights=_rights)(_export_job)
jobs.handler(ACTION_KIND, label=lambda: _("Bulk action"), rights=_rights)(_action_job)
