"""The bulk actions of the customer and vehicle lists on "all N matching the filter"
(services.platform.list_jobs runs them as a job). Each reuses the rule the list's own action or
screen uses: services.registers.customers (tags, active, assigned technicians) and
services.registers.processing_lists."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from models import Tag, User
from services import DomainError
from services.platform import list_jobs
from services.registers import customers as rules
from services.registers import processing_lists


def _tag(session: Session, user: User, params: dict) -> Tag:
    tag = session.get(Tag, int(params["tag_id"])) if str(params.get("tag_id", "")).isdigit() else None
    if tag is None:
        raise DomainError(_("Choose a tag."), "tag_id")
    return tag


def _technicians(session: Session, user: User, params: dict) -> list[User]:
    known = {u.id: u for _role, users in rules.technician_groups(session) for u in users}
    chosen = [known[int(i)] for i in params.get("user_ids") or () if str(i).isdigit() and int(i) in known]
    if not chosen:
        raise DomainError(_("Choose at least one technician."), "user_ids")
    return chosen


def _assign(remove: bool):
    def apply(session, customers, users, view):
        return rules.assign_in_bulk(session, customers, [] if remove else users, users if remove else [],
                                    view.record_url)
    return apply


def _list_name(session: Session, user: User, params: dict) -> list[int]:
    if not (params.get("list_name") or "").strip():
        raise DomainError(_("Give the list a name."), "list_name")
    return []  # the ids of the matching customers, gathered chunk by chunk


def _gather(session, customers, ids, view) -> int:
    ids.extend(c.id for c in customers)
    return len(customers)


def _save_list(session: Session, user: User, params: dict, ids: list[int]) -> None:
    processing_lists.create_list(session, params["list_name"], user, bool(params.get("shared")),
                                 params.get("query", ""), ids)


list_jobs.declare("customer", {
    "add_tag": list_jobs.BulkAction(lambda: _("Add tag"), "edit", prepare=_tag, fields=("tag_id",),
                                    apply=lambda session, rows, tag, view: rules.add_tag(rows, tag)),
    "remove_tag": list_jobs.BulkAction(lambda: _("Remove tag"), "edit", prepare=_tag, fields=("tag_id",),
                                       apply=lambda session, rows, tag, view: rules.remove_tag(rows, tag)),
    "inactivate": list_jobs.BulkAction(lambda: _("Inactivate"), "edit",
                                       apply=lambda session, rows, state, view: rules.set_active(rows, False)),
    "assign_add": list_jobs.BulkAction(lambda: _("Assign technicians"), "assign", prepare=_technicians,
                                       apply=_assign(False), fields=("user_ids",)),
    "assign_remove": list_jobs.BulkAction(lambda: _("Remove assigned technicians"), "assign",
                                          prepare=_technicians, apply=_assign(True), fields=("user_ids",)),
    # every customer the user sees goes on the list (a processing list changes no customer)
    "processing_list": list_jobs.BulkAction(lambda: _("Save as processing list"), "view", prepare=_list_name,
                                            apply=_gather, finish=_save_list, per_row=False,
                                            fields=("list_name", "shared"),
                                            summary=lambda params, counts: _(
                                                "%(n)s customers on the processing list %(name)s.",
                                                n=counts.changed, name=params["list_name"])),
})
list_jobs.declare("vehicle", {})
