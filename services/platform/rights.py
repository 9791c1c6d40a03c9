"""Named rights and the roles shipped with Verkstad.

A right is a string ``area.action``. Every view, action, export and JSON endpoint checks one on
the server (views.platform.base); the menus hide what a user lacks. Later issues add their areas here.
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
        ("gdpr", _l("Erase and export personal data (GDPR)")),
        ("merge", _l("Merge customers")),
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

# vehicle bookings (reference 003): the same actions per booking kind; no billing for test drives
_BOOKING_ACTIONS = [
    ("edit", _l("Edit booking")),
    ("delete", _l("Delete booking")),
    ("own_only", _l("Only own entries (edit/delete)")),
    ("issue", _l("Issue vehicle")),
    ("return", _l("Return vehicle")),
    ("edit_handover", _l("Edit handover (issue and return)")),
    ("billing", _l("Billing")),
    ("new", _l("New booking")),
    ("manager", _l("Manager view")),
    ("logbook", _l("Logbook")),
]
for _kind in ("loaner", "rental", "test_drive"):
    RIGHTS[f"booking_{_kind}"] = [a for a in _BOOKING_ACTIONS if not (_kind == "test_drive" and a[0] == "billing")]

AREA_LABELS = {
    "customer": _l("Customers"),
    "vehicle": _l("Vehicles"),
    "article": _l("Articles and labour"),
    "settings": _l("Settings"),
    "users": _l("Users"),
    "audit": _l("Audit log"),
    "booking_loaner": _l("Loaner vehicles"),
    "booking_rental": _l("Rental vehicles"),
    "booking_test_drive": _l("Test drives"),
}


def right_label(right: str) -> str:
    """A right as the roles screen names it ("Kunder: Visa"); an unknown one as stored."""
    area, _dot, action = right.partition(".")
    label = dict(RIGHTS.get(area, [])).get(action)
    if label is None:
        return right
    return f"{AREA_LABELS.get(area, area)}: {label}"


# the roles Verkstad ships are stored by their English name: shown in the user's language
ROLE_LABELS = {
    "Administrator": _l("Administrator"), "Service advisor": _l("Service advisor"), "Technician": _l("Technician"),
    "Sales": _l("Sales staff"), "Accountant": _l("Accountant"),
}


def role_label(name: str | None) -> str:
    """A role's name as shown: a shipped role's in the user's language, one an office made as typed."""
    return str(ROLE_LABELS.get(name or "", name or ""))


def all_rights() -> list[str]:
    return [f"{area}.{action}" for area, actions in RIGHTS.items() for action, _ in actions]


def register_rights(area: str, label, actions: list[tuple[str, object]]) -> None:
    """Later modules add their rights here at import time (bookings, sales documents, ...)."""
    RIGHTS[area] = actions
    AREA_LABELS[area] = label


def _crud(area: str, *extra: str) -> set[str]:
    return {f"{area}.{a}" for a in ("view", "edit", "create", "export", *extra)}


def _booking(kind: str) -> set[str]:
    """Every booking right of a kind except "only own entries" (a restriction, not a grant)."""
    return {f"booking_{kind}.{a}" for a, _label in RIGHTS[f"booking_{kind}"] if a != "own_only"}


# role name -> rights; the Administrator role has is_admin and needs no list
DEFAULT_ROLES: dict[str, set[str]] = {
    "Administrator": set(),
    "Service advisor": _crud("customer", "assign", "upload") | _crud("vehicle") | {"article.view"}
    | _booking("loaner"),
    "Technician": {"customer.view_assigned", "vehicle.view", "vehicle.edit", "article.view"},
    "Sales": _crud("customer", "upload") | _crud("vehicle") | {"article.view"}
    | _booking("rental") | _booking("test_drive"),
    "Accountant": {"customer.view", "customer.export", "vehicle.view", "article.view", "article.export"},
}

# sales documents (issue 5): quotes/orders/invoices; accountants credit and export
RIGHTS["sales"] = [
    ("view", _l("View quotes, orders and invoices")),
    ("edit", _l("Edit quotes and orders")),
    ("create", _l("Create quotes and orders")),
    ("delete", _l("Delete quotes and unfinished orders")),
    ("finalise", _l("Finalise invoices")),
    ("credit", _l("Create credit notes")),
    ("export", _l("Export and e-invoice")),
    ("send", _l("Send documents by e-mail")),
]
RIGHTS["accounting"] = [("manual_credit", _l("Manual credit notes"))]
AREA_LABELS["sales"] = _l("Sales documents")
AREA_LABELS["accounting"] = _l("Accounting")
DEFAULT_ROLES["Service advisor"] |= {f"sales.{a}" for a in ("view", "edit", "create", "finalise", "send")}
DEFAULT_ROLES["Sales"] |= {f"sales.{a}" for a in ("view", "edit", "create", "finalise", "send")}
DEFAULT_ROLES["Technician"] |= {"sales.view"}
DEFAULT_ROLES["Accountant"] |= {"sales.view", "sales.finalise", "sales.credit", "sales.export", "sales.send",
                                "accounting.manual_credit"}

# the ledger (issue 12 item 6): the books, booking manual vouchers and reversals, the period lock
RIGHTS["ledger"] = [
    ("view", _l("View the books")),
    ("book", _l("Book vouchers and keep the chart of accounts")),
    ("lock", _l("Lock periods")),
]
AREA_LABELS["ledger"] = _l("Ledger")
DEFAULT_ROLES["Accountant"] |= {"ledger.view", "ledger.book", "ledger.lock"}

# the ledger's reports (issue 12 items 7-9): the SIE export, the VAT and daily sales reports, the VAT
# settlement (the ledger screens add view, book, lock)
RIGHTS.setdefault("ledger", [])
RIGHTS["ledger"] += [("export", _l("Export the books (SIE)")), ("reports", _l("View the VAT and daily sales reports")),
                     ("vat_settle", _l("Settle VAT (books the settlement and locks the period)"))]
AREA_LABELS.setdefault("ledger", _l("Ledger"))
DEFAULT_ROLES["Accountant"] |= {"ledger.export", "ledger.reports", "ledger.vat_settle"}

# payments (issue 12 items 1, 10, 11): the payment journal and cards; registering, reversing,
# applying and refunding customer credit
RIGHTS["payments"] = [
    ("view", _l("View payments")),
    ("register", _l("Register and reverse payments")),
]
AREA_LABELS["payments"] = _l("Payments")
DEFAULT_ROLES["Accountant"] |= {"payments.view", "payments.register"}
DEFAULT_ROLES["Service advisor"] |= {"payments.view", "payments.register"}
# reminders, interest invoices, customer losses (issue 12 items 3-5)
RIGHTS["ledger"] += [("reminders", _l("Create and send reminders")), ("interest", _l("Create interest invoices")),
                     ("write_off", _l("Write off customer losses"))]
DEFAULT_ROLES["Accountant"] |= {"ledger.reminders", "ledger.interest", "ledger.write_off"}

# the workshop floor (issue 13 items 1-2): the staff register, resources, working time, opening hours
RIGHTS["workshop"] = [
    ("view", _l("View staff, resources and working time")),
    ("manage", _l("Manage staff, resources, working time and opening hours")),
]
AREA_LABELS["workshop"] = _l("Workshop")
DEFAULT_ROLES["Service advisor"] |= {"workshop.view", "workshop.manage"}
DEFAULT_ROLES["Technician"] |= {"workshop.view"}
