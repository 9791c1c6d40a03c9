"""The secured ModelView every register uses: rights on the server, CSRF, field-level
errors from services, protection against double submits and stale forms."""
import datetime as dt
import threading
import time
import uuid
from urllib.parse import urlsplit
from decimal import Decimal

from flask import abort, current_app, flash, g, has_request_context, jsonify, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView, tools
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_admin.form import rules
from flask_babel import format_number, get_locale, to_utc
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.fields import FieldList

from forms.numbers import DecimalTextField, IntegerTextField
from models import SEARCH_INDEXED, AuditLog, Customer, CustomFieldValue, SubmittedForm, db, is_secret
from services import DomainError
from services.platform import listing, search, visibility
from services.registers import register_config
from services.platform.settings import load_settings
from services.platform.formatting import date as format_date
from services.platform.formatting import number, stamp
from services.platform.history import WALL_CLOCK
from views.platform import form_layout
from views.platform.cards import CardMixin


STALE_MESSAGE = _l("Someone else saved this record while you were editing it. "
                   "Reload the page to see their changes, then make yours again.")


def answer_stale(exc: StaleDataError):
    """Any request whose save lost a race on a version counter (two users saving one record,
    two tabs, an old form) is answered with the stale-form message, never a 500: nothing of
    it was saved; the user goes back to the page the request came from."""
    db.session.rollback()
    message = str(STALE_MESSAGE)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, error=message), 409
    flash(message, "error")
    back = request.referrer or ""
    parts = urlsplit(back)
    if not back or parts.netloc != request.host or (request.method == "GET" and back == request.url):
        back = url_for("admin.index")
    return redirect(back, 303)


def install_stale_answer(app) -> None:
    app.register_error_handler(StaleDataError, answer_stale)


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


def _with_int_ids(handler):
    def run(ids):
        return handler([int(i) for i in ids if str(i).isdigit()])
    return run


def _decimal_formatter(view, value, name=None):
    return number(value)


# the register whose view right a looked-up row needs
LOOKUP_AREAS = {"customer": "customer", "contact": "customer", "vehicle": "vehicle", "article": "article",
                "labour_operation": "article"}


# what a look-up chooses, said in its empty box ("Välj kund"; Flask-Admin's own says "Please
# select model"): by the field where it is more than its register, else by the register
LOOKUP_PLACEHOLDERS = {"customer": _l("Choose customer"), "contact": _l("Choose contact"),
                       "vehicle": _l("Choose vehicle"), "article": _l("Choose article"),
                       "labour_operation": _l("Choose labour operation"), "user": _l("Choose user")}
FIELD_PLACEHOLDERS = {"payer": _l("Choose payer"), "owner": _l("Choose owner"), "driver": _l("Choose driver")}


def lookup_placeholder(name: str, model) -> object | None:
    return FIELD_PLACEHOLDERS.get(name) or LOOKUP_PLACEHOLDERS.get(model.__tablename__)


class RightsAjaxLoader(QueryAjaxModelLoader):
    """An ajax lookup of a form (form_ajax_refs) that lists only rows the user may see: the
    owner lookup of the vehicle form lists a technician's assigned customers, not all."""

    def __init__(self, name, session, model, **options):
        placeholder = lookup_placeholder(name, model)
        if placeholder is not None:
            options.setdefault("placeholder", placeholder)
        super().__init__(name, session, model, **options)

    def get_query(self):
        query = super().get_query()
        area = LOOKUP_AREAS.get(self.model.__tablename__)
        if area is None:
            return query
        if not (has_right(f"{area}.view") or (area == "customer" and has_right("customer.view_assigned"))):
            return query.filter(false())
        query = query.filter(visibility.clause(current_user, self.model))
        if self.model is Customer:
            # a picker offers only customers that can be chosen: active, and of a type the
            # form's module allows (option "customer_modules": a tuple, or a function of the request)
            modules = self.options.get("customer_modules", ())
            modules = modules() if callable(modules) else modules
            query = query.filter(register_config.choosable_customer_clause(db.session, *modules))
        return query

    def get_list(self, term, offset=0, limit=10):
        """What was typed, searched by the one search (services.platform.search): a customer or vehicle
        through its indexed search text (a LIKE over a million names was a full scan), every
        other register over its columns, case-folded either way."""
        if self.filters or (self.model not in search.SEARCH_COLUMNS
                            and self.model.__tablename__ not in SEARCH_INDEXED):
            return super().get_list(term, offset, limit)
        query = self.get_query()
        condition = search.search_condition(db.engine.dialect.name, self.model, term)
        if condition is not None:
            query = query.filter(condition)
        if self.order_by:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()

    def get_one(self, pk):
        # a posted id is checked like a typed search: no other customer's row by its number
        found = super().get_one(pk)
        return found if visibility.visible(db.session, current_user, found) else None


def inline_lookups(model, refs: dict) -> dict:
    """``form_ajax_refs`` of an InlineFormAdmin of ``model`` ({field: options}): Flask-Admin builds
    an inline form's look-ups itself, past SecureModelView._create_ajax_loader, so they are built
    here, as RightsAjaxLoader (the user's rights, visibility, the placeholder), under the name
    Flask-Admin gives them ("<model>-<field>")."""
    return {name: RightsAjaxLoader(f"{model.__name__.lower()}-{name}", db.session,
                                   getattr(model, name).property.mapper.class_, **options)
            for name, options in refs.items()}


def visible_or_404(model, raw_id):
    """``model`` number ``raw_id``: None when there is none, 404 when it belongs to a customer
    the user may not see (services.platform.visibility)."""
    found = db.session.get(model, int(raw_id)) if str(raw_id or "").isdigit() else None
    if not visibility.visible(db.session, current_user, found):
        abort(404)
    return found


def _error_field(form, exc: DomainError):
    """The input an error is about: a field, or ("contacts.email") the sub-field of the row of
    an inline list that holds the refused value."""
    if not exc.field:
        return None
    name, _dot, sub = exc.field.partition(".")
    field = getattr(form, name, None)
    if not sub or not isinstance(field, FieldList):
        return field
    for entry in field.entries:
        candidate = getattr(entry.form, sub, None) if hasattr(entry, "form") else None
        if candidate is not None and str(candidate.data or "").strip() == (exc.value or "").strip():
            return candidate
    return None


class ApproxCount(int):
    """A row count known only roughly: pages are reckoned with it, the list shows "≈ 3 900"."""

    def __new__(cls, value: int):
        digits = len(str(abs(int(value))))
        return super().__new__(cls, round(int(value), -(digits - 2)) if digits > 2 else int(value))

    def __str__(self) -> str:
        return "≈ " + format_number(int(self))


class AtLeastCount(int):
    """A count that stopped at the cap (services.platform.listing.FILTERED_CAP): the list shows "≥ 10 000"."""

    def __str__(self) -> str:
        return "≥ " + format_number(int(self))


def _capped(count: int):
    return AtLeastCount(count) if count >= listing.FILTERED_CAP else count


# a sample of each search-indexed table's search texts, per process, renewed now and then
SEARCH_SAMPLE_SIZE = 5_000
SEARCH_SAMPLE_SECONDS = 600
_search_samples: dict[tuple[str, str], tuple[float, search.SearchSample]] = {}
_search_samples_lock = threading.Lock()


def _search_sample(model) -> search.SearchSample:
    key = (str(db.engine.url), model.__tablename__)
    loaded = _search_samples.get(key)
    if loaded is None or time.monotonic() - loaded[0] > SEARCH_SAMPLE_SECONDS:
        with _search_samples_lock:
            loaded = _search_samples.get(key)
            if loaded is None or time.monotonic() - loaded[0] > SEARCH_SAMPLE_SECONDS:
                loaded = (time.monotonic(), search.sample_search_texts(db.session, model, SEARCH_SAMPLE_SIZE))
                _search_samples[key] = loaded
    return loaded[1]


class NumberModelConverter(AdminModelConverter):
    """Numeric and Integer columns become text inputs read by the one number parser
    (services.platform.numbers): decimals as the column holds them, never rounded, never "Infinity".
    ``form_args`` may allow a sign for a column: ``{"amount": {"signed": True}}``."""

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        return IntegerTextField(**field_args)

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        field_args.pop("places", None)
        scale = getattr(column.type, "scale", None)
        field_args.setdefault("precision", getattr(column.type, "precision", None))
        return DecimalTextField(places=2 if scale is None else scale, **field_args)


class _LocalTime:
    """A date-time filter whose values the user types in local time (Europe/Stockholm, as every
    list shows moments) on a column stored in UTC: 14:00 in November finds 13:00 UTC."""

    def clean(self, value):
        cleaned = super().clean(value)
        return [to_utc(v) for v in cleaned] if isinstance(cleaned, list) else to_utc(cleaned)


LOCAL_TIME_FILTERS = tuple(type(f.__name__, (_LocalTime, f), {}) for f in (
    sqla_filters.DateTimeEqualFilter, sqla_filters.DateTimeNotEqualFilter, sqla_filters.DateTimeGreaterFilter,
    sqla_filters.DateTimeSmallerFilter, sqla_filters.DateTimeBetweenFilter, sqla_filters.DateTimeNotBetweenFilter,
)) + (sqla_filters.FilterEmpty,)


class FilterConverter(sqla_filters.FilterConverter):
    """Flask-Admin's filters, with moments stored in UTC filtered in local time; the wall-clock
    times of bookings (services.platform.history.WALL_CLOCK) as typed."""

    @sqla_filters.filters.convert("datetime", "datetime2", "timestamp", "smalldatetime")
    def conv_datetime(self, column, name, **kwargs):
        if (getattr(column, "table", None) is not None and (column.table.name, column.name) in WALL_CLOCK):
            return super().conv_datetime(column, name, **kwargs)
        return [f(column, name, **kwargs) for f in LOCAL_TIME_FILTERS]


class SecureModelView(RightsMixin, CardMixin, ModelView):
    model_form_converter = NumberModelConverter
    filter_converter = FilterConverter()
    details_template = "admin/card.html"  # every register's card (views.platform.cards)
    list_template = "admin/list.html"  # one compact table and one-row toolbar for every register
    # the console's one form layout: groups in two columns, a sticky action bar (views/platform/form_layout.py)
    create_template = "admin/form_create.html"
    edit_template = "admin/form_edit.html"
    can_set_page_size = True
    page_size = 20
    can_view_details = True
    details_modal = False
    export_types = ["csv", "xlsx"]
    # an export holds every matching row, read in chunks of this many (issue 9 item 21)
    export_chunk = 1_000
    column_display_pk = False
    # rights of the area that stand for create / edit / delete / export
    edit_rights: tuple[str, ...] = ("edit",)

    # Flask-Admin takes the first type a value is an instance of: datetime before date, or
    # every moment is shown as stored, in UTC (the audit log was an hour behind the card)
    column_type_formatters = {
        dt.datetime: lambda view, value, name=None: stamp(value),  # every register's are UTC
        dt.date: lambda view, value, name=None: format_date(value),
        Decimal: _decimal_formatter,
        **ModelView.column_type_formatters,
    }
    column_type_formatters_export = {
        dt.datetime: lambda view, value, name=None: stamp(value),
        dt.date: lambda view, value, name=None: format_date(value),
        # Ja/Nej as the screens say it; the customer import reads Ja/Nej back (customer_import.yes_no)
        bool: lambda view, value, name=None: _("Yes") if value else _("No"),
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
        # the bulk "Delete" under "With selected" needs what the delete button needs: a view
        # that cannot delete (the audit log, users) offers no delete action either
        if name == "delete":
            return bool(self.can_delete)
        return super().is_action_allowed(name)

    # --- list columns: each user hides columns of a list for themself ---------------------
    # (User.hidden_columns[endpoint], saved by views.registers.register_settings.MyColumnsView)

    def hidden_list_columns(self) -> set[str]:
        if not (has_request_context() and current_user.is_authenticated):
            return set()
        return set((current_user.hidden_columns or {}).get(self.endpoint) or [])

    @property
    def _list_columns(self):
        """The view's list columns less those the user hid (never all of them)."""
        columns = self.__dict__.get("_all_list_columns", [])
        hidden = self.hidden_list_columns()
        kept = [c for c in columns if c[0] not in hidden]
        return kept or columns

    @_list_columns.setter
    def _list_columns(self, value):
        self.__dict__["_all_list_columns"] = value

    def column_choices_for_user(self) -> list[tuple[str, str, bool]]:
        """Every list column as (name, label, hidden by this user), for the list's Columns menu."""
        hidden = self.hidden_list_columns()
        return [(name, label, name in hidden) for name, label in self.__dict__.get("_all_list_columns", [])]

    # --- secrets (models.SECRET) are never listed, filtered, sorted, searched, exported,
    # --- shown on a card or in a form, in any view: enforced here, not per view ------------

    def is_secret_column(self, name) -> bool:
        """True when ``name`` (a column name, "relation.column", or an attribute) is, or
        leads to, a secret column."""
        if not isinstance(name, str):
            return is_secret(name)
        try:
            attr, _path = tools.get_field_with_path(self.model, name)
        except Exception:  # a virtual column shown through a formatter
            return False
        return attr is not None and is_secret(attr)

    def _secret_keys(self, model=None) -> set[str]:
        mapper = (model or self.model).__mapper__
        return {a.key for a in mapper.column_attrs if any(is_secret(c) for c in a.columns)}

    def get_column_names(self, only_columns, excluded_columns):
        # list, details and export columns all come through here
        only_columns = [c for c in only_columns if not self.is_secret_column(c)]
        return super().get_column_names(only_columns, excluded_columns)

    def get_sortable_columns(self):
        return {name: column for name, column in super().get_sortable_columns().items()
                if not self.is_secret_column(name) and not is_secret(column)}

    def get_filters(self):
        # a filter on a relation ("user") offers every column of the related model
        collection = [f for f in (super().get_filters() or []) if not is_secret(getattr(f, "column", None))]
        return collection or None

    def init_search(self):
        if self.column_searchable_list:
            self.column_searchable_list = [c for c in self.column_searchable_list if not self.is_secret_column(c)]
        return super().init_search()

    def _refresh_cache(self):
        if self.column_editable_list:
            self.column_editable_list = [c for c in self.column_editable_list if not self.is_secret_column(c)]
        super()._refresh_cache()

    def init_actions(self):
        super().init_actions()
        # the chosen rows come as strings, which SQLAlchemy 2.1 binds as VARCHAR: PostgreSQL
        # does not compare those with an integer key, so every bulk action answered 500 there
        pk = self.model.__mapper__.primary_key
        if len(pk) == 1 and pk[0].type.python_type is int:
            for name, (handler, text, desc) in list(self._actions_data.items()):
                self._actions_data[name] = (_with_int_ids(handler), text, desc)

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        # Flask-Admin only hides buttons; refuse the request itself as well
        needed = {
            "create_view": self.can_create, "edit_view": self.can_edit,
            "delete_view": self.can_delete, "export": self.can_export,
            "ajax_update": self.can_edit, "ajax_lookup": self.can_create or self.can_edit,
        }
        if name in needed and not needed[name]:
            abort(403)
        return None

    def record_label(self, record) -> str:
        """A record as the breadcrumbs and a form's header name it (a view may word it)."""
        return str(record)

    def render(self, template, **kwargs):
        # the record a page is about, for its breadcrumbs (partials/breadcrumbs.html): Flask-Admin
        # passes it as ``model``, the custom card screens under their own name (``order=``)
        if "breadcrumb_record" not in kwargs:
            kwargs["breadcrumb_record"] = next(
                (v for v in (kwargs.get("model"), *kwargs.values()) if isinstance(v, self.model)), None)
        if template == self.details_template and kwargs.get("model") is not None and not self.own_card:
            kwargs.update(self.card_context(kwargs["model"]))
        return super().render(template, **kwargs)

    # --- "view assigned only" (services.platform.visibility): lists, counts, exports, details, edits --

    def _scope(self, query):
        # only when narrowed: an unfiltered list keeps no WHERE (its count is then estimated)
        if visibility.scoped(current_user, self.model):
            return query.filter(visibility.clause(current_user, self.model))
        return query

    def get_query(self):
        return self._scope(super().get_query())

    def get_count_query(self):
        return self._scope(super().get_count_query())

    def get_one(self, id):
        """The record, None when it does not exist, 404 when it is another customer's."""
        found = super().get_one(id)
        if not visibility.visible(db.session, current_user, found):
            abort(404)
        return found

    def _create_ajax_loader(self, name, options):
        return RightsAjaxLoader(name, self.session, super()._create_ajax_loader(name, options).model, **options)

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
        # the version counter travels as the hidden edit_version (the stale-form guard in
        # update_model), never as an input of its own; secrets are never a field
        for name in {"version"} | self._secret_keys():
            if hasattr(form_class, name):
                delattr(form_class, name)
        form_class.form_nonce = HiddenField()
        form_class.edit_version = HiddenField()
        return form_class

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not valid:
            form_layout.label_required_errors(form)
        return valid

    def _field_error(self, form, exc: DomainError) -> None:
        field = _error_field(form, exc)
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
                existing = self.get_one(seen.record_id) if seen.record_id else None
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
                # the model's own primary key, whatever its name (a country's is its code)
                db.session.get(SubmittedForm, nonce).record_id = str(self.get_pk_value(model))
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

    # --- search through the register's search text (services.platform.search) ---------------------

    # "customer" / "vehicle": the model keeps a search_text with a search index, and its text
    # custom fields (self.config, services.registers.register_config) are searched too
    search_entity: str | None = None
    # sort columns (None: the default sort) led by an index, along which a search may be read
    walk_sorts: tuple[str | None, ...] = (None,)

    def search_clause(self, text: str, indexed: bool = True):
        condition = search.search_condition(db.engine.dialect.name, self.model, text, indexed=indexed)
        fields = [f.id for f in self.config.fields_of(self.search_entity) if f.field_type in ("text", "long_text")]
        if condition is not None and fields:
            term = search.like_escape(text.strip().lower())
            condition = or_(condition, self.model.id.in_(select(CustomFieldValue.record_id).where(
                CustomFieldValue.entity == self.search_entity, CustomFieldValue.field_id.in_(fields),
                CustomFieldValue.value_text.ilike(f"%{term}%", escape="\\"))))
        return condition

    def _apply_search(self, query, count_query, joins, count_joins, text):
        if self.search_entity is None:
            fields = getattr(self, "_search_fields", None) or []
            if not fields or any(path for _column, path in fields):
                return super()._apply_search(query, count_query, joins, count_joins, text)
            # the register's own columns: the one case-folded search (services.platform.search)
            condition = search.text_condition(db.engine.dialect.name, [c for c, _path in fields], text)
        else:
            condition = self.search_clause(text)
        if condition is not None:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def walk_allowed(self) -> bool:
        """False where the base query is narrowed (e.g. to the user's own records), so that a
        walk along the sort index could read the whole table before a page fills."""
        return not visibility.scoped(current_user, self.model)

    def _walk_estimate(self, text: str, sort_column, filters, offset: int, size: int) -> int | None:
        """The estimated number of matches when ``text`` finds so many rows that the page is
        best read along the sort index (services.platform.search), else None."""
        if (self.search_entity is None or filters or sort_column not in self.walk_sorts
                or offset + size > listing.DEEP_OFFSET or not self.walk_allowed()):
            return None
        rows = listing.estimated_rows(db.session, self.model.__tablename__)
        if rows is None or rows < current_app.config["SEARCH_WALK_MIN_ROWS"]:
            return None
        matches = search.estimate_matches(_search_sample(self.model), rows, text)
        return matches if matches >= current_app.config["SEARCH_WALK_MIN_MATCHES"] else None

    # --- list: no COUNT(*) over the whole table, no OFFSET reading every skipped row -------

    def _get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's get_list with changes for big tables (services.platform.listing): the count
        is an estimate when unfiltered and capped when searched or filtered, a page finds its
        primary keys first (through the sort index, or in one pass over the matches) before
        loading its rows, and a search matching thousands of rows is read along the sort index."""
        joins, count_joins = {}, {}
        query = plain = self.get_query()
        count_query = self.get_count_query() if not self.simple_list_pager else None
        size = self.page_size if page_size is None else page_size
        offset = (page or 0) * size if size else 0
        pk = self.model.__mapper__.primary_key
        keyed = execute and size and len(pk) == 1
        for join in self._auto_joins:
            plain = plain.options(joinedload(join))
        if keyed and search:
            estimate = self._walk_estimate(search, sort_column, filters, offset, size)
            if estimate is not None:
                walk, _joins = self._apply_sorting(self.get_query().filter(self.search_clause(search, indexed=False)),
                                                   {}, sort_column, sort_desc)
                keys = listing.page_keys(walk, pk[0], offset, size)
                count = offset + len(keys)
                if len(keys) == size:
                    count = ApproxCount(max(estimate, count + 1))
                return count, listing.rows_by_keys(plain, pk[0], keys)
        if self._search_supported and search:
            query, count_query, joins, count_joins = self._apply_search(
                query, count_query, joins, count_joins, search)
        if filters and self._filters:
            query, count_query, joins, count_joins = self._apply_filters(
                query, count_query, joins, count_joins, filters)
        for join in self._auto_joins:
            query = query.options(joinedload(join))
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        if keyed and search and count_query is not None and count_query.whereclause is not None:
            # searched: one sorted pass over the matches (at most the cap) gives both the
            # count and the page, so the search index is read once, not twice
            keys = list(dict.fromkeys(listing.page_keys(query, pk[0], 0, listing.FILTERED_CAP)))
            count = _capped(len(keys))
            if offset + size <= count or count < listing.FILTERED_CAP:
                keys = keys[offset:offset + size]
            else:
                keys = listing.page_keys(query, pk[0], offset, size)
            return count, listing.rows_by_keys(plain, pk[0], keys)
        # filtered only (issue 9 item 22): the count reads the matches through the filter's
        # index in no particular order, up to the cap (never the table along the sort index),
        # and the page reads only its own rows
        count = listing.list_count(count_query, self.model.__tablename__) if count_query is not None else None
        if count is not None and count_query.whereclause is None and count >= listing.EXACT_BELOW:
            count = ApproxCount(count)
        elif count is not None and count_query.whereclause is not None:
            count = _capped(count)
            if size and db.engine.dialect.name == "sqlite" and listing.walk_is_cheaper(
                    count, listing.estimated_rows(db.session, self.model.__tablename__), offset + size):
                query = listing.along_sort_order(query)
        if keyed and offset >= listing.DEEP_OFFSET:
            return count, listing.rows_by_keys(plain, pk[0], listing.page_keys(query, pk[0], offset, size))
        query = self._apply_pagination(query, page, page_size)
        return count, (query.all() if execute else query)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = self._get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if execute:
            self.prepare_rows(rows)
        return count, rows

    def prepare_rows(self, rows: list) -> None:
        """Called with each page of rows (and each chunk of an export) before it is shown:
        a view loads what its columns need for all of them at once (custom-field values)."""

    # --- export: every matching row, streamed (issue 9 item 21) ---------------------------

    def export_query(self, sort_column, sort_desc, search, filters):
        """The list's query for ``search`` and ``filters`` in its sort order, without a page."""
        joins: dict = {}
        query = self.get_query()
        if self._search_supported and search:
            query, _count, joins, _joins = self._apply_search(query, None, joins, {}, search)
        if filters and self._filters:
            query, _count, joins, _joins = self._apply_filters(query, None, joins, {}, filters)
        for join in self._auto_joins:
            query = query.options(joinedload(join))
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        return query

    def export_rows(self, sort_column, sort_desc, search, filters):
        """Every row the list shows, read from a server-side cursor (PostgreSQL) or the
        open SQLite cursor a chunk at a time: memory stays the same whatever the count."""
        query = self.export_query(sort_column, sort_desc, search, filters).yield_per(self.export_chunk)
        chunk: list = []
        for row in query:
            chunk.append(row)
            if len(chunk) == self.export_chunk:
                self.prepare_rows(chunk)
                yield from chunk
                chunk = []
        if chunk:
            self.prepare_rows(chunk)
            yield from chunk

    def _export_data(self):
        """Flask-Admin's export data, without its row cap (``export_max_rows`` silently cut
        the file): a generator of every matching row, consumed while the response is sent."""
        for column, formatter in (self.column_formatters_export or {}).items():
            if column in [c for c, _label in self._export_columns] and formatter.__name__ == "inner":
                raise NotImplementedError(f"Macros are not implemented in export. Column: {column}")
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        return None, self.export_rows(sort[0] if sort is not None else None, args.sort_desc, args.search,
                                      args.filters)

    def _export_csv(self, return_url):
        return self._export_tablib("csv", return_url)

    def _export_tablib(self, export_type, return_url):
        if export_type not in ("xlsx", "csv"):
            return super()._export_tablib(export_type, return_url)
        from flask import Response, stream_with_context
        from werkzeug.utils import secure_filename

        from reports.platform.xlsx import stream_csv, stream_workbook

        _count, data = self._export_data()
        titles = [str(label) for _name, label in self._export_columns]
        rows = ([self.get_export_value(row, name) for name, _label in self._export_columns] for row in data)
        filename = secure_filename(self.get_export_name(export_type))
        if export_type == "csv":
            body, mimetype = stream_csv(titles, rows, str(get_locale())), "text/csv; charset=utf-8"
        else:
            body, mimetype = stream_workbook(titles, rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(stream_with_context(body), mimetype=mimetype,
                        headers={"Content-Disposition": f"attachment;filename={filename}"})

    def handle_view_exception(self, exc):
        if isinstance(exc, DomainError):
            flash(exc.message, "error")
            return True
        if isinstance(exc, StaleDataError):  # a delete or inline edit that lost a race
            db.session.rollback()
            flash(str(STALE_MESSAGE), "error")
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
    """Filter on a related settings register, offered as a select of its entries.

    ``column`` is the foreign key, or a relationship collection (tags, technicians); ``label``
    is the column shown (default ``name``); ``where`` narrows the entries offered (the active
    countries of some 250)."""

    def __init__(self, column, name, lookup_model, collection=None, where=None, label=None):
        super().__init__(column, name, options=LazyOptions(self._options))
        self.lookup_model = lookup_model
        self.collection = collection
        self.where = where
        self.label = label if label is not None else lookup_model.name

    def _options(self):
        # kept per process and read again when anything was recorded in the history since
        # (settings registers are audited), and at least every minute: seven lookups on every
        # list page cost more than the rest of its queries together
        if "_verkstad_history_token" not in g:
            g._verkstad_history_token = (db.session.scalar(select(func.max(AuditLog.id))),
                                         int(time.monotonic() // 60))
        token = g._verkstad_history_token
        cached = self.__dict__.get("_cached")
        if cached is None or cached[0] != token:
            # two columns, not the entities: no relationship loads, no objects for 250 countries
            pk = self.lookup_model.__mapper__.primary_key[0]
            query = select(pk, self.label).order_by(self.label)
            rows = db.session.execute(query if self.where is None else query.where(self.where)).all()
            cached = self._cached = (token, [(str(key), str(label or "")) for key, label in rows])
        return cached[1]

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

