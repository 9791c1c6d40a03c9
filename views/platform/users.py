"""Users, roles and their rights, and the administrator's audit log."""
from flask import current_app, flash, request, url_for
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import func, or_, select
from wtforms import PasswordField, SelectMultipleField, widgets

from models import AuditLog, RoleRight, User, db, utcnow
from services import DomainError
from services.platform.audit import history_of
from services.platform.auth import check_new_password, hash_password
from services.registers.references import LANGUAGE_NAMES
from services.platform.rights import RIGHTS, right_label, role_label
from services.platform.history import ACTION_LABELS, readable, record_label, search_clause
from views.platform.base import LazyOptions, LookupFilter, SecureModelView
from views.platform.cards import CardTab, card_views
from views.platform.history import registers, user_language


class UserView(SecureModelView):
    right_area = "users"
    view_rights = ("manage",)
    edit_rights = ("manage",)
    can_delete = False  # users are deactivated, never deleted: history refers to them
    # "locked": whether the user is locked out now; the lockout time itself is a secret column
    column_list = ("username", "full_name", "email", "role", "active", "language", "two_factor", "locked")
    column_searchable_list = ("username", "full_name", "email")
    column_filters = ("active",)
    column_labels = {"username": _l("User name"), "full_name": _l("Name"), "email": _l("E-mail"),
                     "role": _l("Role"), "active": _l("Active"), "language": _l("Language"),
                     "locked": _l("Locked"), "new_password": _l("New password"),
                     "two_factor": _l("Two-factor"), "email_notifications": _l("Notifications by e-mail"),
                     "created_at": _l("Created")}
    card_number = "username"
    card_title = "full_name"
    card_groups = [(_l("User"), ("username", "full_name", "email", "language", "created_at")),
                   (_l("Access"), ("role", "active", "two_factor", "locked", "email_notifications"))]
    column_formatters = {"locked": lambda v, c, m, n: _("Yes") if m.locked_until and m.locked_until > utcnow() else "",
                         "role": lambda v, c, m, n: role_label(m.role.name) if m.role else ""}
    column_formatters_export = column_formatters
    column_choices = {"language": list(LANGUAGE_NAMES.items())}
    form_columns = ("username", "full_name", "email", "role", "active", "language", "email_notifications",
                    "new_password")
    form_choices = {"language": list(LANGUAGE_NAMES.items())}
    form_extra_fields = {"new_password": PasswordField(_l("New password"))}
    # a shipped role by its name in the user's language (services.platform.rights.ROLE_LABELS)
    form_args = {"role": {"get_label": lambda role: role_label(role.name)}}

    @property
    def can_create(self):
        return self.has("manage")

    @property
    def can_export(self):
        return self.has("manage")

    def on_model_change(self, form, model, is_created):
        model.username = (model.username or "").strip()
        if not model.username:
            raise DomainError(_("A user name is required."), "username")
        password = form.new_password.data
        if is_created and not password:
            raise DomainError(_("Give the new user a password."), "new_password")
        if password:
            try:
                check_new_password(password)
            except DomainError as exc:
                raise DomainError(exc.message, "new_password")
            model.password_hash = hash_password(password)
            model.failed_logins = 0
            model.locked_until = None
            # a password an administrator gave: the user chooses his own at the next log-in
            model.must_change_password = is_created or model.id != current_user.id
        if model.id == current_user.id and not model.active:
            raise DomainError(_("You cannot deactivate yourself."), "active")

    @action("turn_off_two_factor", _l("Turn off two-factor authentication"),
            _l("Turn off two-factor authentication for the selected users (a lost phone)? They log in with "
               "their password alone until they turn it on again."))
    def action_turn_off_two_factor(self, ids):
        users = db.session.scalars(select(User).where(User.id.in_([int(i) for i in ids]))).all()
        for user in users:
            user.totp_secret = None
            user.totp_last_step = None
        db.session.commit()
        flash(_("Two-factor authentication is off for %(n)s users.", n=len(users)), "success")


class RightsField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _right_choices():
    return [(f"{area}.{action}", right_label(f"{area}.{action}"))
            for area, actions in RIGHTS.items() for action, _label in actions]


def _rights(view, context, model, name):
    """The role's rights as its form names them ("Kunder: Visa"), in the form's order."""
    if model.is_admin:
        return _("all")
    order = {key: i for i, (key, _label) in enumerate(_right_choices())}
    return ", ".join(right_label(r) for r in sorted(model.right_names, key=lambda r: (order.get(r, len(order)), r)))


class RoleView(SecureModelView):
    right_area = "users"
    view_rights = ("manage",)
    edit_rights = ("manage",)
    column_list = ("name", "is_admin", "rights")
    column_labels = {"name": _l("Name"), "is_admin": _l("Administrator (all rights)"), "rights": _l("Rights"),
                     "granted_rights": _l("Rights")}
    column_formatters = {"name": lambda v, c, m, n: role_label(m.name), "rights": _rights,
                         # a row of the card's Rights tab: the right by its label
                         "right": lambda v, c, m, n: right_label(m.right)}
    column_formatters_export = column_formatters
    card_groups = [(None, ("name", "is_admin"))]
    card_tabs = [CardTab("rights", _l("Rights"), relation="rights", columns=("right",), labels={"right": _l("Right")},
                         limit=500)]
    form_columns = ("name", "is_admin", "granted_rights")
    form_extra_fields = {"granted_rights": RightsField(_l("Rights"), choices=[])}

    def record_label(self, record) -> str:
        return role_label(record.name)

    @property
    def can_create(self):
        return self.has("manage")

    @property
    def can_delete(self):
        return self.has("manage")

    def _with_choices(self, form):
        form.granted_rights.choices = _right_choices()
        return form

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._with_choices(super().edit_form(obj))
        if obj is not None and request.method == "GET":
            form.granted_rights.data = sorted(obj.right_names)
        return form

    def on_model_change(self, form, model, is_created):
        valid = {c[0] for c in _right_choices()}
        wanted = set(form.granted_rights.data or []) & valid
        model.rights = [r for r in model.rights if r.right in wanted] + [
            RoleRight(right=r) for r in sorted(wanted - model.right_names)]
        if not is_created and current_user.role_id == model.id and not model.is_admin and current_user.is_admin:
            raise DomainError(_("You cannot take the administrator flag from your own role."), "is_admin")

    def delete_model(self, model):
        if db.session.query(User).filter(User.role_id == model.id).count():
            flash(_("The role %(r)s is given to users and cannot be deleted.", r=model.name), "error")
            return False
        return super().delete_model(model)


def _readable(attribute):
    """A column of the audit log as services.platform.history words it (the History tab's words)."""
    def formatter(view, context, model, name):
        change = getattr(model, "_change", None)
        return getattr(change, attribute) if change is not None else getattr(model, name)
    formatter.__name__ = f"readable_{attribute}"
    return formatter


def _record_link(view, context, model, name):
    """The changed record, linked to its card when the user may open it (a deleted one is not)."""
    register = next((v for m, v in card_views(view.admin).items() if m.__tablename__ == model.table_name), None)
    if register is None or not register.can_view_details or not register.is_accessible() or model.action == "delete":
        return model.record_id
    return Markup('<a href="%s">%s</a>') % (url_for(f"{register.endpoint}.details_view", id=model.record_id),
                                            model.record_id)


def _audited_tables() -> list[tuple[str, str]]:
    from models import Audited, Base

    tables = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, Audited)}
    known = registers(current_app.extensions["verkstad_admin"])
    return sorted(((t, record_label(t, known)) for t in tables), key=lambda pair: pair[1].lower())


class AuditLogView(SecureModelView):
    """The audit log is append-only: no create, edit or delete here (nor the bulk delete), and
    services.platform.audit refuses any change or deletion of its rows on every code path."""

    right_area = "audit"
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("at", "user", "action", "table_name", "record_id", "field", "old_value", "new_value")
    column_default_sort = ("at", True)
    column_searchable_list = ("table_name", "record_id", "field", "old_value", "new_value")
    # the user as one select of names (a filter on the relation would offer every column of
    # the user, secrets too, with English labels); the action as a select of its labels
    column_filters = (
        "at",
        LookupFilter(AuditLog.user_id, _l("User"), User,
                     label=func.coalesce(func.nullif(User.full_name, ""), User.username)),
        FilterEqual(AuditLog.action, _l("Action"),
                    options=LazyOptions(lambda: [(k, str(v)) for k, v in ACTION_LABELS.items()])),
        # the table as a select of the names its screens give it ("Kund"), not a typed "customer"
        FilterEqual(AuditLog.table_name, _l("Table"), options=LazyOptions(_audited_tables)),
        "record_id", "field",
    )
    # the same words and local time as every card's History tab (services.platform.history): the
    # register's name, the field's label ("Distrikt"), linked rows by name, Ja/Nej, amounts
    column_formatters = {"at": _readable("when"), "action": _readable("action_label"),
                         "table_name": _readable("record"), "field": _readable("field_label"),
                         "old_value": _readable("old"), "new_value": _readable("new")}
    column_formatters_export = column_formatters
    column_formatters_detail = {**column_formatters, "record_id": _record_link}
    column_labels = {"at": _l("Time"), "user": _l("User"), "action": _l("Action"), "table_name": _l("Table"),
                     "record_id": _l("Record"), "field": _l("Field"), "old_value": _l("Old value"),
                     "new_value": _l("New value")}
    page_size = 50
    # the card of one history row; its History tab is the whole history of the changed record
    card_number = "id"
    card_groups = [(_l("When and who"), ("at", "user", "action")),
                   (_l("Record"), ("table_name", "record_id", "field")),
                   (_l("Values"), ("old_value", "new_value"))]

    def card_context(self, record):
        # the row worded as on every History tab (services.platform.history), as prepare_rows does for the list
        self.prepare_rows([record])
        return super().card_context(record)

    def card_header(self, record):
        header = super().card_header(record)
        header["title"] = f"{record._change.record} {record.record_id}"
        return header

    def card_history(self, record):
        return history_of(db.session, record.table_name, record.record_id)

    @property
    def can_export(self):
        return self.has("view")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Flask-Admin's search of the stored text, widened per word to what the log shows for
        it (services.platform.history.search_clause): the rows are searched as they read."""
        words = [w for w in search.split(" ") if w]
        query, count_query, joins, count_joins = super()._apply_search(query, count_query, joins, count_joins, "")
        for word in words:
            stored = [c.icontains(word, autoescape=True) for c in (
                AuditLog.table_name, AuditLog.record_id, AuditLog.field, AuditLog.old_value, AuditLog.new_value)]
            shown = search_clause(db.session, word, registers(self.admin), user_language())
            clause = or_(*stored, *([shown] if shown is not None else []))
            query = query.filter(clause)
            if count_query is not None:
                count_query = count_query.filter(clause)
        return query, count_query, joins, count_joins

    def prepare_rows(self, rows: list) -> None:
        # one pass per page (and export chunk): linked names are read once for all rows
        for row, change in zip(rows, readable(db.session, rows, registers(self.admin), user_language())):
            row._change = change
