"""The card (kort) of a record: one design for the details page of every register (issue 10
item 1), in the customer card's style: a header with the record's number, name and actions,
tabs with counts, two columns of labelled values, and History.

A view says what its card shows with class attributes; whatever it leaves unsaid is derived
from the model and the view's ``column_labels``::

    card_number = "code"                 # header: the record's number (None: guessed)
    card_title = "name"                  # header: its name (None: guessed, else str(record))
    card_subtitle = ("email",)           # header: muted values after the name
    card_groups = [(_l("Terms"), ("days", "invoice_fee")), ...]   # default: the details columns
    card_tabs = [CardTab("items", _l("Contents"), relation="items", columns=("article", "quantity"))]
    card_money = ("price",)              # Numeric columns shown as money (default: models.Money)
    card_comments = "vehicle"            # a Comments tab (services.registers.comments) for this entity

Values are shown as the console writes them everywhere: dates 2026-11-22, moments 2026-11-22
14:05 in local time, money 1 250,00 kr, yes/no as words, a linked record by its name with a
link to its card, a choice by its label. The History tab (services.platform.audit.history_of,
templates/platform/_history.html) is on every card."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask import url_for
from flask_login import current_user
from flask_babel import format_number
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import Text, func, inspect, select
from sqlalchemy.orm import RelationshipProperty, with_parent

from models import Money, Percent, db, is_secret
from services.platform import visibility
from services.platform.audit import history_of
from services.platform.formatting import date as format_date
from services.platform.formatting import money, number, stamp

# tried in this order when a view names no header field
NUMBER_FIELDS = ("customer_number", "number", "registration_number", "code", "username")
TITLE_FIELDS = ("name", "full_name", "subject", "description", "title", "text")
# bookkeeping columns no card shows
HIDDEN_FIELDS = {"version", "search_text", "updated_at", "password_hash", "hidden_columns", "preferences"}
# a Text column or a value this long gets a row of its own under the two columns
WIDE_TEXT = 80


@dataclass(frozen=True)
class CardTab:
    """A tab of a card besides Overview and History.

    ``relation``: a one-to-many or many-to-many relationship of the model, listed as a table of
    ``columns`` (the first links to the row's card when it has one), at most ``limit`` rows; the
    tab's count comes from the same query unless there are more. ``query``: instead of a
    relation, a function of the record giving the select of the rows (the orders of a vehicle).
    The rows are those the user may see (services.platform.visibility); a tab of rows whose own register
    the user may not open is left out. ``groups``: labelled values,
    like the overview. ``template``: a partial included with the card's context, ``count`` a
    function of the record giving its badge."""

    key: str
    label: object
    relation: str | None = None
    query: object = None
    columns: tuple[str, ...] = ()
    labels: dict = field(default_factory=dict)
    groups: tuple = ()
    template: str | None = None
    count: object = None
    limit: int = 50


@dataclass
class CardField:
    name: str
    label: str
    value: object
    wide: bool = False
    dom_id: str | None = None


@dataclass
class CardGroup:
    label: object
    fields: list[CardField]


@dataclass
class Tab:
    key: str
    label: str
    count: int | None = None
    more: bool = False  # the count stopped at what was read
    kind: str = "fields"  # fields, table, template, comments, history
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    template: str | None = None


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _column(model_class, name: str):
    """The mapped column attribute ``name`` of ``model_class`` (None for a relation or a
    Python property)."""
    attr = inspect(model_class).attrs.get(name)
    if attr is None or isinstance(attr, RelationshipProperty):
        return None
    return attr.columns[0] if getattr(attr, "columns", None) else None


def _relation(model_class, name: str) -> RelationshipProperty | None:
    attr = inspect(model_class).attrs.get(name)
    return attr if isinstance(attr, RelationshipProperty) else None


def card_views(admin) -> dict:
    """model class -> the view whose card shows it (the first registered); worked out once per
    admin and number of views (every link on a card asks)."""
    views = getattr(admin, "_views", ())
    kept = getattr(admin, "_verkstad_card_views", None)
    if kept is not None and kept[0] == len(views):
        return kept[1]
    found: dict = {}
    for view in views:
        model = getattr(view, "model", None)
        if model is not None and getattr(view, "can_view_details", False) and model not in found:
            found[model] = view
    if admin is not None:
        admin._verkstad_card_views = (len(views), found)
    return found


class CardMixin:
    """The card of a ModelView (templates/admin/card.html). See the module's docstring."""

    # True for a view that builds its own card's context (the customer card)
    own_card = False
    card_number: str | None = None
    card_title: str | None = None
    card_subtitle: tuple[str, ...] = ()
    card_groups: list | None = None
    card_tabs: list[CardTab] = []
    card_money: tuple[str, ...] | None = None
    card_comments: str | None = None

    # --- labels and values -------------------------------------------------------------

    def card_label(self, name: str, labels: dict | None = None) -> str:
        for source in (labels or {}, self.column_labels or {}):
            if name in source:
                return str(source[name])
        return str(self.get_column_name(name))

    def _is_money(self, model_class, name: str, column) -> bool:
        if model_class is self.model and self.card_money is not None:
            return name in self.card_money
        return column is not None and column.type is Money

    def _link(self, record, text=None) -> Markup | str:
        """A related record by its name (or ``text``), linked to its card when the user may open it."""
        if record is None:
            return ""
        view = card_views(self.admin).get(type(record))
        text = str(record) if text is None else text
        if view is None or not view.is_accessible():
            return text
        pk = inspect(record).identity
        if not pk:
            return text
        return Markup('<a href="%s">%s</a>') % (
            url_for(f"{view.endpoint}.details_view", id=pk[0]), text)

    def card_value(self, record, name: str, view=None):
        """What the card shows for field ``name`` of ``record``: the view's formatter or choice
        label if it has one, else the value by its type (see the module's docstring)."""
        view = view or self
        formatters = view.column_formatters_detail or view.column_formatters or {}
        model_class = type(record)
        relation = _relation(model_class, name)
        if relation is not None and not relation.uselist:
            # a linked record: as the view's formatter names it (a role in the user's
            # language), linked to its card
            value = getattr(record, name)
            text = formatters[name](view, None, record, name) if name in formatters else None
            return self._link(value, text)
        if name in formatters:
            return formatters[name](view, None, record, name)
        if relation is not None:
            return Markup(", ").join(self._link(r) for r in getattr(record, name))
        value = getattr(record, name, None)
        choices = getattr(view, "_column_choices_map", {}).get(name) or dict(
            (view.form_choices or {}).get(name) or ())
        if choices and value is not None:
            return str(choices.get(value, value))
        return self.card_format(model_class, name, value)

    def card_format(self, model_class, name: str, value):
        """A plain value by its column type: the one place a card formats a value."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return _yes_no(value)
        if isinstance(value, dt.datetime):
            return stamp(value)  # every stored moment is UTC; shown in local time
        if isinstance(value, dt.date):
            return format_date(value)
        column = _column(model_class, name)
        if isinstance(value, Decimal) or column is not None and column.type is Percent:
            if self._is_money(model_class, name, column):
                return money(value)
            if column is not None and column.type is Percent:
                return f"{number(value)} %"
            scale = getattr(getattr(column, "type", None), "scale", None)
            return number(value, 2 if scale is None else scale)
        if isinstance(value, int):
            # a number or key is written as it is ("10272"); a quantity with spaces ("12 400")
            if column is None or column.primary_key or column.foreign_keys or name.endswith("id"):
                return str(value)
            return format_number(value)
        if isinstance(value, (list, tuple, set)):
            return ", ".join(str(v) for v in value)
        return str(value)

    def _wide(self, name: str, value) -> bool:
        column = _column(self.model, name)
        return (column is not None and isinstance(column.type, Text)) or len(str(value)) > WIDE_TEXT

    def _shown(self, name: str) -> bool:
        secret = getattr(self, "is_secret_column", None)
        return name not in HIDDEN_FIELDS and not (secret(name) if secret else is_secret(name))

    # --- header ------------------------------------------------------------------------

    def _first_field(self, chosen, candidates) -> str | None:
        if chosen is not None:
            return chosen
        names = inspect(self.model).attrs.keys()
        return next((n for n in candidates if n in names), None)

    def card_header(self, record) -> dict:
        number_field = self._first_field(self.card_number, NUMBER_FIELDS)
        title_field = self._first_field(self.card_title, TITLE_FIELDS)
        number_text = self.card_value(record, number_field) if number_field else ""
        title = self.card_value(record, title_field) if title_field else ""
        if not title or title == number_text:
            title = str(record)
            if number_text and title.startswith(str(number_text)):
                title = title[len(str(number_text)):].strip()
        badges = []
        if getattr(record, "active", True) is False:
            badges.append(_("Inactive"))
        subtitle = [v for v in (self.card_value(record, n) for n in self.card_subtitle) if v]
        return {"number": number_text, "title": title, "badges": badges, "subtitle": subtitle}

    # --- groups ------------------------------------------------------------------------

    def card_group_names(self) -> list:
        """(label, field names) of the overview. Default: one group of the details columns, in
        the order of the form (the order users know the record by), the others after them."""
        if self.card_groups is not None:
            return list(self.card_groups)
        details = [name for name, _label in self._details_columns]
        if self.column_details_list:
            return [(None, details)]
        attrs = inspect(self.model).attrs.keys()
        ordered = [n for n in (self.form_columns or ()) if isinstance(n, str) and n in attrs and n in details]
        return [(None, ordered + [n for n in details if n not in ordered])]

    def card_extra_groups(self, record) -> list[CardGroup]:
        """Groups a view computes for a record (custom fields); none by default."""
        return []

    def _groups(self, record, groups, view=None, labels=None) -> list[CardGroup]:
        out = []
        for label, names in groups:
            fields = []
            for name in names:
                if not self._shown(name):
                    continue
                value = self.card_value(record, name, view)
                fields.append(CardField(name, self.card_label(name, labels), value, self._wide(name, value)))
            if fields:
                out.append(CardGroup(label, fields))
        return out

    @staticmethod
    def card_columns(groups: list[CardGroup]) -> tuple[list, list, list]:
        """(left, right, wide): the groups spread over two columns of about the same height; a
        single group is split in two; long texts go under both columns."""
        wide = [CardField(**vars(f)) for g in groups for f in g.fields if f.wide]
        groups = [CardGroup(g.label, [f for f in g.fields if not f.wide]) for g in groups]
        groups = [g for g in groups if g.fields]
        if len(groups) == 1:
            only = groups[0]
            half = (len(only.fields) + 1) // 2
            return [CardGroup(only.label, only.fields[:half])], (
                [CardGroup(None, only.fields[half:])] if only.fields[half:] else []), wide
        left, right, heights = [], [], [0, 0]
        for group in groups:
            side = 0 if heights[0] <= heights[1] else 1
            (left, right)[side].append(group)
            heights[side] += len(group.fields) + 1
        return left, right, wide

    # --- tabs --------------------------------------------------------------------------

    def _relation_tab(self, record, tab: CardTab) -> Tab | None:
        if tab.relation:
            relation = _relation(self.model, tab.relation)
            target = relation.mapper.class_
            query = select(target).where(with_parent(record, getattr(self.model, tab.relation)))
            query = query.order_by(*(relation.order_by or list(relation.mapper.primary_key)))
        else:
            query = tab.query(record)
            target = query.column_descriptions[0]["entity"]
        target_view = card_views(self.admin).get(target)
        if target_view is not None and not target_view.is_accessible():
            return None
        if visibility.scoped(current_user, target):
            query = query.where(visibility.clause(current_user, target))
        rows = list(db.session.scalars(query.limit(tab.limit + 1)))
        more = len(rows) > tab.limit
        rows = rows[:tab.limit]
        count = (db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
                 if more else len(rows))
        column_view = target_view or self
        labels = {**((target_view.column_labels or {}) if target_view else {}), **tab.labels}
        columns = [(name, self.card_label(name, labels)) for name in tab.columns]
        table = []
        for row in rows:
            cells = [self.card_value(row, name, column_view) for name, _label in columns]
            if cells and target_view is not None and target_view.is_accessible():
                pk = inspect(row).identity
                cells[0] = Markup('<a href="%s">%s</a>') % (
                    url_for(f"{target_view.endpoint}.details_view", id=pk[0]), cells[0] or str(row))
            table.append(cells)
        return Tab(tab.key, str(tab.label), count, False, "table", columns, table)

    def card_history(self, record) -> list:
        """The History tab's rows: the record's changes and those of its parts."""
        return history_of(db.session, self.model.__tablename__, self.get_pk_value(record))

    def card_build_tabs(self, record, history) -> list[Tab]:
        tabs = []
        for tab in self.card_tabs:
            if tab.relation or tab.query:
                built = self._relation_tab(record, tab)
                if built is not None:
                    tabs.append(built)
            elif tab.template:
                count = tab.count(record) if callable(tab.count) else None
                tabs.append(Tab(tab.key, str(tab.label), count, kind="template", template=tab.template))
            else:
                tabs.append(Tab(tab.key, str(tab.label), kind="fields",
                                groups=self._groups(record, tab.groups)))
        return tabs

    def card_context(self, record) -> dict:
        """Everything templates/admin/card.html shows for ``record``."""
        from services.registers.comments import comments_of

        history = self.card_history(record)
        groups = self._groups(record, self.card_group_names()) + self.card_extra_groups(record)
        left, right, wide = self.card_columns(groups)
        tabs = [Tab("overview", _("Overview"))]
        tabs += self.card_build_tabs(record, history)
        context = {}
        if self.card_comments:
            pk = inspect(record).identity[0]  # as stored (an integer), not as the URL has it
            comments = comments_of(db.session, self.card_comments, pk)
            context.update(comments=comments,
                           comment_url=url_for("comments.add", entity=self.card_comments, record_id=pk))
            tabs.append(Tab("comments", _("Comments"), len(comments), kind="comments"))
        tabs.append(Tab("history", _("History"), len(history), kind="history"))
        context.update(card={"header": self.card_header(record), "left": left, "right": right, "wide": wide,
                             "tabs": tabs, "may_edit": self.card_may_edit(record),
                             "may_delete": bool(self.can_delete)},
                       history=history)
        return context

    def card_may_edit(self, record) -> bool:
        return bool(self.can_edit)
