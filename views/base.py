"""The secured ModelView every register uses: rights on the server, CSRF, field-level
errors from services, protection against double submits and stale forms."""
import datetime as dt
import uuid
from decimal import Decimal

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.form import rules
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.fields import FieldList

from models import SubmittedForm, db
from services import DomainError, listing
from services.settings import load_settings
from views.formatting import date as format_date
from views.formatting import number


def module_settings() -> dict:
    """The module settings, read once per request."""
    if "_verkstad_settings" not in g:
        g._verkstad_settings = load_settings(db.session)
    return g._verkstad_settings


def has_right(right: str) -> bool:
    return current_user.is_authenticated and current_user.has_right(right)


class RightsMixin:
    """Access to a view needs ``right_area.view`` (or one of ``view_rights``)."""

    right_area: str = ""
    view_rights: tuple[str, ...] = ("view",)

    def has(self, action: str) -> bool:
        return has_right(f"{self.right_area}.{action}")

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and any(self.has(a) for a in self.view_rights)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureBaseView(RightsMixin, BaseView):
    """A custom screen; its POST forms carry Flask-WTF's CSRF token (global CSRFProtect)."""


def _decimal_formatter(view, value, name=None):
    return number(value)


class SecureModelView(RightsMixin, ModelView):
    can_set_page_size = True
    page_size = 20
    can_view_details = True
    details_modal = False
    export_types = ["csv", "xlsx"]
    export_max_rows = 100_000
    column_display_pk = False
    # rights of the area that stand for create / edit / delete / export
    edit_rights: tuple[str, ...] = ("edit",)

    column_type_formatters = dict(ModelView.column_type_formatters)
    column_type_formatters.update({
        dt.date: lambda view, value, name=None: format_date(value),
        dt.datetime: lambda view, value, name=None: format_date(value),
        Decimal: _decimal_formatter,
    })
    column_type_formatters_export = {
        dt.date: lambda view, value, name=None: format_date(value),
        dt.datetime: lambda view, value, name=None: format_date(value),
        bool: lambda view, value, name=None: "1" if value else "0",
        type(None): lambda view, value, name=None: "",
        list: lambda view, value, name=None: ", ".join(str(v) for v in value),
    }

    @property
    def can_create(self):
        return self.has("create")

    @property
    def can_edit(self):
        return any(self.has(a) for a in self.edit_rights)

    @property
    def can_delete(self):
        return self.has("delete")

    @property
    def can_export(self):
        return self.has("export")

    def is_action_allowed(self, name):
        return self.has("delete") if name == "delete" else super().is_action_allowed(name)

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        # Flask-Admin only hides buttons; refuse the request itself as well
        needed = {
            "create_view": self.can_create, "edit_view": self.can_edit,
            "delete_view": self.can_delete, "export": self.can_export,
            "ajax_update": self.can_edit,
        }
        if name in needed and not needed[name]:
            abort(403)
        return None

    # --- forms: nonce against double submit, version against stale edits -------------

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if not form.form_nonce.data:
            form.form_nonce.data = uuid.uuid4().hex
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None and hasattr(obj, "version"):
            form.edit_version.data = str(obj.version)
        return form

    def scaffold_form(self):
        form_class = super().scaffold_form()
        form_class.form_nonce = HiddenField()
        form_class.edit_version = HiddenField()
        return form_class

    def _field_error(self, form, exc: DomainError) -> None:
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None and not isinstance(field, FieldList):
            field.errors = list(field.errors) + [exc.message]
        else:
            flash(exc.message, "error")

    def create_model(self, form):
        nonce = (form.form_nonce.data or "").strip()
        if nonce:
            seen = db.session.get(SubmittedForm, nonce)
            if seen is not None:
                flash(_("This form was already saved; nothing was saved twice."), "warning")
                existing = db.session.get(self.model, int(seen.record_id)) if seen.record_id else None
                return existing or False
        try:
            # no autoflush while the rules normalise the typed values: half-prepared rows
            # must not reach the database (PostgreSQL checks lengths at once)
            with db.session.no_autoflush:
                model = self.build_new_instance()
                form.populate_obj(model)
                db.session.add(model)
                if nonce:
                    db.session.add(SubmittedForm(nonce=nonce, table_name=self.model.__tablename__))
                self._on_model_change(form, model, True)
            db.session.flush()
            if nonce:
                db.session.get(SubmittedForm, nonce).record_id = str(model.id)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            self._field_error(form, exc)
            return False
        except IntegrityError:
            db.session.rollback()
            if nonce and db.session.get(SubmittedForm, nonce) is not None:
                flash(_("This form was already saved; nothing was saved twice."), "warning")
                return False
            flash(_("The record could not be saved: a value that must be unique is already in use."), "error")
            return False
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        try:
            submitted = (form.edit_version.data or "").strip()
            if submitted and hasattr(model, "version") and submitted != str(model.version):
                raise DomainError(
                    _("Someone else saved this record while you were editing it. "
                      "Reload the page to see their changes, then make yours again.")
                )
            with db.session.no_autoflush:
                form.populate_obj(model)
                self._on_model_change(form, model, False)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            self._field_error(form, exc)
            return False
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else saved this record while you were editing it. "
                    "Reload the page to see their changes, then make yours again."), "error")
            return False
        except IntegrityError:
            db.session.rollback()
            flash(_("The record could not be saved: a value that must be unique is already in use."), "error")
            return False
        self.after_model_change(form, model, False)
        return True

    # --- list: no COUNT(*) over the whole table, no OFFSET reading every skipped row -------

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's get_list with two changes for big tables (services.listing): the count
        is an estimate when unfiltered and capped when searched or filtered, and a page finds
        its primary keys first (through the sort index, or in one pass over the matches)
        before loading its rows."""
        joins, count_joins = {}, {}
        query = plain = self.get_query()
        count_query = self.get_count_query() if not self.simple_list_pager else None
        if self._search_supported and search:
            query, count_query, joins, count_joins = self._apply_search(
                query, count_query, joins, count_joins, search)
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(
                query, count_query, joins, count_joins, filters)
        for join in self._auto_joins:
            query, plain = query.options(joinedload(join)), plain.options(joinedload(join))
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        size = self.page_size if page_size is None else page_size
        offset = (page or 0) * size if size else 0
        pk = self.model.__mapper__.primary_key
        keyed = execute and size and len(pk) == 1
        if keyed and count_query is not None and count_query.whereclause is not None:
            # searched or filtered: one sorted pass over the matches (at most the cap) gives
            # both the count and the page, so the search index is read once, not twice
            keys = list(dict.fromkeys(listing.page_keys(query, pk[0], 0, listing.FILTERED_CAP)))
            count = len(keys)
            if offset + size <= count or count < listing.FILTERED_CAP:
                keys = keys[offset:offset + size]
            else:
                keys = listing.page_keys(query, pk[0], offset, size)
            return count, listing.rows_by_keys(plain, pk[0], keys)
        count = listing.list_count(count_query, self.model.__tablename__) if count_query is not None else None
        if keyed and offset >= listing.DEEP_OFFSET:
            return count, listing.rows_by_keys(plain, pk[0], listing.page_keys(query, pk[0], offset, size))
        query = self._apply_pagination(query, page, page_size)
        return count, (query.all() if execute else query)

    def handle_view_exception(self, exc):
        if isinstance(exc, DomainError):
            flash(exc.message, "error")
            return True
        return super().handle_view_exception(exc)


class HiddenRule(rules.BaseRule):
    """A hidden input in a form_rules layout, rendered without label or wrapper."""

    def __init__(self, field_name: str):
        super().__init__()
        self.field_name = field_name

    @property
    def visible_fields(self):
        # counted as shown, else Flask-Admin drops the field from a form with rules
        return [self.field_name]

    def __call__(self, form, form_opts=None, field_args=None):
        field = getattr(form, self.field_name, None)
        return Markup(field()) if field is not None else ""


class LazyOptions:
    """Filter options read from the database on each page, not once at start-up."""

    def __init__(self, load):
        self.load = load

    def __bool__(self):
        return True

    def __iter__(self):
        return iter(self.load())


class LookupFilter(BaseSQLAFilter):
    """Filter on a related settings register, offered as a select of its active entries.

    ``column`` is the foreign key, or a relationship collection (tags, technicians)."""

    def __init__(self, column, name, lookup_model, collection=None, label_attr=None):
        super().__init__(column, name, options=LazyOptions(self._options))
        self.lookup_model = lookup_model
        self.collection = collection
        self.label_attr = label_attr

    def _options(self):
        pk = self.lookup_model.__mapper__.primary_key[0].key
        rows = db.session.scalars(select(self.lookup_model)).all()
        return sorted(((str(getattr(r, pk)), str(r)) for r in rows), key=lambda x: x[1])

    def clean(self, value):
        pk = self.lookup_model.__mapper__.primary_key[0]
        try:
            return pk.type.python_type(value)
        except (TypeError, ValueError):
            return None

    def apply(self, query, value, alias=None):
        if self.collection is not None:
            pk = self.lookup_model.__mapper__.primary_key[0]
            return query.filter(self.collection.any(pk == value))
        return query.filter(self.get_column(alias) == value)

    def operation(self):
        return _l("equals")

