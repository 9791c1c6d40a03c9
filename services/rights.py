"""Named rights and the roles shipped with Verkstad.

A right is a string ``area.action``. Every view, action, export and JSON endpoint checks one on
the server (views.base); the menus hide what a user lacks. Later issues add their areas here.
"""
from flask_babel import lazy_gettext as _l

# area -> list of (action, label); customer rights follow reference 001
RIGHTS: dict[str, list[tuple[str, object]]] = {
    "customer": [
        ("view", _l("View")),
        ("view_assigned", _l("View assigned only")),
        ("edit", _l("Edit")),
        ("edit_assigned", _l("Edit assigned only")),
        ("create", _l("Create")),
        ("delete", _l("Delete")),
        ("export", _l("Export")),
        ("upload", _l("Upload")),
        ("create_customer_users", _l("Create customer users")),
        ("change_customer_user_rights", _l("Change customer users' rights")),
        ("delete_customer_users", _l("Delete customer users")),
        ("assign", _l("Assign")),
        ("delete_uploads", _l("Delete uploaded files")),
    ],
    "vehicle": [
        ("view", _l("View")),
        ("edit", _l("Edit")),
        ("create", _l("Create")),
        ("delete", _l("Delete")),
        ("export", _l("Export")),
    ],
    "article": [
        ("view", _l("View")),
        ("edit", _l("Edit")),
        ("create", _l("Create")),
        ("delete", _l("Delete")),
        ("export", _l("Export")),
    ],
    "settings": [("manage", _l("Manage settings registers"))],
    "users": [("manage", _l("Manage users and roles"))],
    "audit": [("view", _l("View audit log"))],
}

AREA_LABELS = {
    "customer": _l("Customers"),
    "vehicle": _l("Vehicles"),
    "article": _l("Articles and labour"),
    "settings": _l("Settings"),
    "users": _l("Users"),
    "audit": _l("Audit log"),
}


def all_rights() -> list[str]:
    return [f"{area}.{action}" for area, actions in RIGHTS.items() for action, _ in actions]


def register_rights(area: str, label, actions: list[tuple[str, object]]) -> None:
    """Later modules add their rights here at import time (bookings, sales documents, ...)."""
    RIGHTS[area] = actions
    AREA_LABELS[area] = label


def _crud(area: str, *extra: str) -> set[str]:
    return {f"{area}.{a}" for a in ("view", "edit", "create", "export", *extra)}


# role name -> rights; the Administrator role has is_admin and needs no list
DEFAULT_ROLES: dict[str, set[str]] = {
    "Administrator": set(),
    "Service advisor": _crud("customer", "assign", "upload") | _crud("vehicle") | {"article.view"},
    "Technician": {"customer.view_assigned", "vehicle.view", "vehicle.edit", "article.view"},
    "Sales": _crud("customer", "upload") | _crud("vehicle") | {"article.view"},
    "Accountant": {"customer.view", "customer.export", "vehicle.view", "article.view", "article.export"},
}
