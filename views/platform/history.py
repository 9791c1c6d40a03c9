"""History on the screens: what each register's view calls its fields, handed to
services.platform.history, which words every History tab and the audit log the same way."""
from flask import current_app
from flask_admin.model import BaseModelView
from flask_babel import get_locale

from models import db
from services.platform.history import Register, readable


def registers(admin) -> dict[str, Register]:
    """table name -> the register's name, column labels and choices, from its view(s)."""
    out: dict[str, Register] = {}
    for view in admin._views:
        model = getattr(view, "model", None)
        if not isinstance(view, BaseModelView) or model is None:
            continue
        table = model.__tablename__
        choices = {}
        for source in (getattr(view, "form_choices", None), getattr(view, "column_choices", None)):
            for column, pairs in (source or {}).items():
                choices.setdefault(column, {str(k): v for k, v in pairs})
        known = out.get(table)
        labels = {**(view.column_labels or {}), **(known.labels if known else {})}
        out[table] = Register(name=known.name if known else view.name, labels=labels,
                              choices={**choices, **(known.choices if known else {})})
    return out


def user_language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def readable_history(rows) -> list:
    """Jinja global for templates/platform/_history.html: audit rows as the user reads them."""
    admin = current_app.extensions.get("verkstad_admin")
    return readable(db.session, rows, registers(admin) if admin is not None else {}, user_language())
