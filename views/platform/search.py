"""The global search of the top bar (issue 10 item 4): Ctrl+K or `/` (static/js/search.js).

/admin/search/json?q= answers the drop-down (a few hits per kind), /admin/search/?q= shows a
page of them (Enter without a chosen hit, or without JavaScript). What is found and whether the
user may see it is services.platform.search.global_search's; this view only labels and links the hits."""
from flask import jsonify, request, url_for
from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import db
from services.platform import search
from services.bookings.bookings import KIND_LABELS as BOOKING_KIND_LABELS
from services.platform.formatting import date as format_date
from services.platform.formatting import money
from services.registers.references import INVOICE_KIND_LABELS, ORDER_KIND_LABELS, ORDER_STATUS_LABELS
from views.bookings import bookings as booking_views

GROUP_LABELS = {"customer": _l("Customers"), "vehicle": _l("Vehicles"), "quote": _l("Quotes"),
                "order": _l("Orders"), "invoice": _l("Invoices"), "booking": _l("Bookings"),
                "article": _l("Articles"), "user": _l("Users")}
# the register list that searches the same text further ("Show all in the list")
LIST_ENDPOINTS = {"customer": "customer.index_view", "vehicle": "vehicle.index_view",
                  "article": "article.index_view", "invoice": "invoice.index_view",
                  "order": "order.index_view", "quote": "order.index_view", "user": "user.index_view"}
DROPDOWN_LIMIT = 5
PAGE_LIMIT = 25


def _join(*parts) -> str:
    return " · ".join(str(p) for p in parts if p)


def describe(hit: search.Hit) -> dict:
    """Title, detail line and address of one hit."""
    r = hit.record
    if hit.kind == "customer":
        return {"title": r.name, "detail": _join(r.customer_number, r.identity_number_display,
                                                  None if r.active else _l("Inactive")),
                "url": url_for("customer.details_view", id=r.id)}
    if hit.kind == "vehicle":
        make = " ".join(x for x in ((r.make.name if r.make else ""), r.model or "") if x)
        return {"title": r.registration_number, "detail": _join(make, r.owner.name if r.owner else None, r.vin),
                "url": url_for("vehicle.details_view", id=r.id)}
    if hit.kind in ("quote", "order"):
        return {"title": f"{ORDER_KIND_LABELS.get(r.kind, r.kind)} {r.id}",
                "detail": _join(r.customer.name, ORDER_STATUS_LABELS.get(r.status, r.status),
                                format_date(r.order_date)),
                "url": url_for("order.details_view", id=r.id)}
    if hit.kind == "invoice":
        return {"title": f"{INVOICE_KIND_LABELS.get(r.kind, r.kind)} {r.number}",
                "detail": _join(r.customer_name, f"OCR {r.ocr}" if r.ocr else None, money(r.total, r.currency)),
                "url": url_for("invoice.details_view", id=r.id)}
    if hit.kind == "booking":
        plate = r.vehicle.registration_number if r.vehicle else (r.trade_plate.number if r.trade_plate else None)
        return {"title": f"{BOOKING_KIND_LABELS.get(r.kind, r.kind)} {r.number}",
                "detail": _join(r.customer_name, plate, format_date(r.start_at.date())),
                "url": booking_views.booking_url(r)}
    if hit.kind == "article":
        return {"title": f"{r.number} {r.name}", "detail": _join(r.ean, money(r.price)),
                "url": url_for("article.details_view", id=r.id)}
    return {"title": str(r), "detail": _join(r.username, r.email, r.role.name if r.role else None),
            "url": url_for("user.edit_view", id=r.id)}


def groups(query: str, limit: int) -> list[dict]:
    found = search.global_search(db.session, current_user, query, limit=limit)
    out = []
    for kind, hits in found.items():
        more = url_for(LIST_ENDPOINTS[kind], search=query) if kind in LIST_ENDPOINTS and len(hits) > limit else None
        out.append({"kind": kind, "label": str(GROUP_LABELS[kind]), "more": more,
                    "items": [describe(h) | {"exact": h.exact} for h in hits[:limit]]})
    return out


class GlobalSearchView(BaseView):
    """Behind the log-in; each kind is searched only with its right (services.platform.search)."""

    def is_visible(self):
        return False

    def is_accessible(self):
        return current_user.is_authenticated

    @expose("/")
    def index(self):
        query = (request.args.get("q") or "").strip()
        return self.render("platform/search/results.html", query=query, groups=groups(query, PAGE_LIMIT) if query else [])

    @expose("/json")
    def json(self):
        query = (request.args.get("q") or "").strip()
        return jsonify(query=query, groups=groups(query, DROPDOWN_LIMIT),
                       all=url_for(".index", q=query) if query else None)


def register(admin) -> None:
    admin.add_view(GlobalSearchView(name=_l("Search"), endpoint="global_search", url="/admin/search"))
