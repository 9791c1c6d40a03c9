"""The one form layout of the console (issue 10 item 3): a form is a list of groups, each a
collapsible section whose fields sit in two columns from 1200 px (static/css/forms.css), with a
sticky action bar (templates/admin/form_layout.html). A view without groups gets one group of
all its fields; a view with groups (the customer form) lists them as ``form_create_rules``.

The rules here are Flask-Admin form rules that render through the macros of
templates/admin/form_layout.html (imported as ``vkform`` by templates/admin/form_create.html
and form_edit.html)."""
from __future__ import annotations

from flask_admin.form import rules
from flask_babel import gettext as _
from wtforms.validators import DataRequired, InputRequired


class Group(rules.Container):
    """A collapsible group of fields (``key`` names it in the page: ``#group-<key>``).

    ``items`` are field names or rules (a Subgroup, an HTML snippet)."""

    def __init__(self, key: str, legend, items):
        children = [rules.Field(i, render_field="vkform.render_field") if isinstance(i, str) else i for i in items]
        super().__init__("vkform.group", rules.NestedRule(children), key=key, legend=legend)
        self.key = key


class Subgroup(rules.Container):
    """A titled block inside a group that takes one cell of its two columns (one address).

    ``optional``: the block stays hidden behind an "add" button (``add_label``) while all its
    fields are empty and without an error."""

    def __init__(self, key: str, legend, names, optional: bool = False, add_label=None):
        children = [rules.Field(n, render_field="vkform.render_field") for n in names]
        super().__init__("vkform.subgroup", rules.NestedRule(children), key=key, legend=legend,
                         names=list(names), optional=optional, add_label=add_label)


def label_required_errors(form) -> None:
    """WTForms says "This field is required." without naming the field; the console names it by
    its label ("Telefon är obligatoriskt."), as every other error next to a field does."""
    for field in form:
        for entry in getattr(field, "entries", ()):  # the rows of an inline list (contacts)
            if hasattr(entry, "form"):
                label_required_errors(entry.form)
        if not field.errors or not isinstance(field.errors, list) or not isinstance(field.errors[0], str):
            continue  # an inline list keeps its rows' errors in dicts
        said = {v.message or field.gettext("This field is required.") for v in field.validators
                if isinstance(v, (InputRequired, DataRequired))}
        if field.errors[0] in said:
            field.errors[0] = _("%(f)s is required.", f=field.label.text)
