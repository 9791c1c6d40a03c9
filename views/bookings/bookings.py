"""Vehicle bookings (reference 003): one calendar per kind, the booking form, issue, return,
billing, the logbook, prints and module settings. Thin: parse, check rights, call
services.bookings.bookings, render. Every endpoint checks its right on the server."""
from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

from flask import abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    BOOKING_KINDS,
    FUEL_LEVELS,
    Booking,
    CascoModel,
    Contact,
    CostCenter,
    Customer,
    TariffModel,
    TradePlate,
    User,
    Vehicle,
    VehicleNote,
    db,
)
from services import DomainError
from services.bookings import bookings as rules
from services.platform import numbers, preferences, search, visibility
from services.registers import register_config
from services.platform.settings import load_settings, set_setting
from views.platform.settings import SettingsView
from views.platform.base import SecureBaseView, has_right
from services.platform.audit import history_of
from services.platform.formatting import money
from services.bookings.bookings import KIND_LABELS, STATUS_LABELS

BOOKINGS = _l("Bookings")
MANAGER_LABELS = {"loaner": _l("Loaner manager"), "rental": _l("Rental manager"),
                  "test_drive": _l("Test-drive manager")}
DRIVER_TYPE_LABELS = {"customer": _l("Customer"), "contact": _l("Contact"), "free": _l("Free input")}
LOGBOOK_GROUP_LABELS = {"vehicle": _l("Group by vehicle"), "plate": _l("Group by registration / trade plate")}
PRINTS = {"confirmation": _l("Booking confirmation"), "contract": _l("Contract"),
          "return": _l("Return confirmation"), "certificate": _l("Test-drive certificate")}
DT_FORMAT = "%Y-%m-%dT%H:%M"


def endpoint_for(kind: str) -> str:
    return f"booking_{kind}"


def booking_url(booking: Booking, action: str = "edit", **kw) -> str:
    return url_for(f"{endpoint_for(booking.kind)}.{action}", id=booking.id, **kw)


def parse_dt(value: str | None, field: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in (DT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(value[:19], fmt).replace(second=0)
        except ValueError:
            continue
    raise DomainError(_("Enter a date and time (YYYY-MM-DD HH:MM)."), field)


def parse_date(value: str | None, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("Enter a date (YYYY-MM-DD)."), field)


# the typed numbers of the booking screens, with the labels of their inputs
NUMBER_LABELS = {"max_km": _l("Max km"), "issue_odometer": _l("Odometer at issue (km)"),
                 "return_odometer": _l("Odometer at return (km)"), "days": _l("Days of use"),
                 "km_driven": _l("Km driven"), "insurance": _l("Insurance (kr)"),
                 "adjust_amount": _l("Surcharge (+) / discount (−) in kr")}


def parse_int(value: str | None, field: str) -> int | None:
    """A whole number through the one parser (services.platform.numbers): "12 000" yes, "1e3" no."""
    return numbers.parse_int(value, label=NUMBER_LABELS.get(field, field), field=field, digits=9)


def parse_decimal(value: str | None, field: str) -> Decimal:
    """An amount in kr through the one parser; a sign only for the surcharge / discount."""
    parsed = numbers.parse_decimal(value, 2, label=NUMBER_LABELS.get(field, field), field=field,
                                   signed=field == "adjust_amount", precision=12)
    return Decimal("0") if parsed is None else parsed


def _get(model, raw):
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    if not raw:
        return None
    try:
        return db.session.get(model, int(raw))
    except (TypeError, ValueError):
        return None


def _visible(record):
    """``record`` when the user may see it ("view assigned only", services.platform.visibility), else None."""
    return record if visibility.visible(db.session, current_user, record) else None


def _json_error(exc: DomainError, status: int = 409):
    if isinstance(exc, rules.Forbidden):
        status = 403
    return jsonify(ok=False, error=exc.message, field=exc.field), status


def open_orders(customer_id: int) -> list:
    """Open orders of the customer that billing lines may be added to (sales documents module)."""
    try:
        from models import Order
    except ImportError:
        return []
    return db.session.scalars(select(Order).where(Order.customer_id == customer_id, Order.kind == "order",
                                                  Order.status.notin_(("invoiced", "cancelled")))
                              .order_by(Order.id.desc()).limit(50)).all()


def readable_on(background: str | None) -> str | None:
    """Black or white, whichever reads better (WCAG contrast) on a booking's colour: the
    colours are the users' (settings, the booking's own), the text must stay readable."""
    value = (background or "").lstrip("#")
    if len(value) != 6:
        return None
    try:
        channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return None
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def _fleet(kind: str) -> list[Vehicle]:
    return db.session.scalars(rules.fleet_query(kind).options(joinedload(Vehicle.make))).all()


def _plates() -> list[TradePlate]:
    return db.session.scalars(select(TradePlate).where(TradePlate.active.is_(True)).order_by(TradePlate.number)).all()


class BookingKindView(SecureBaseView):
    """Calendar, form and handover screens of one booking kind (url /admin/bookings/<kind>/)."""

    view_rights = ("manager", "new", "edit", "logbook", "issue", "return")

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        self.right_area = f"booking_{kind}"
        super().__init__(**kwargs)

    def is_visible(self):
        return self.has("manager")

    # --- helpers ------------------------------------------------------------------------

    def need(self, action: str) -> None:
        if not rules.has(current_user, self.kind, action):
            abort(403)

    def booking(self, id: int) -> Booking:
        booking = db.session.get(Booking, id)
        if booking is None or booking.kind != self.kind or _visible(booking) is None:
            abort(404)
        return booking

    def settings(self) -> dict:
        return load_settings(db.session)

    def allowed_actions(self, booking: Booking, status: str) -> dict[str, bool]:
        """Which context-menu items this user may use on this booking in this status."""
        u, k = current_user, self.kind
        issued = booking.issued_at is not None
        returned = booking.returned_at is not None
        return {
            "open": True,
            "confirm": not booking.confirmed and rules.may(u, booking, "edit"),
            "unconfirm": booking.confirmed and rules.may(u, booking, "edit"),
            "issue": not issued and rules.has(u, k, "issue"),
            "edit_issue": issued and rules.has(u, k, "edit_handover"),
            "cancel_issue": issued and not returned and rules.has(u, k, "edit_handover"),
            "return": issued and not returned and rules.has(u, k, "return"),
            # a signed return is locked except for "edit handover"
            # a saved return is changed afterwards only with "edit handover" (signed or not)
            "edit_return": returned and rules.has(u, k, "edit_handover"),
            "billing": returned and booking.billing is None and rules.has(u, k, "billing"),
            "template": status in ("planned", "issued", "overdue", "returned", "billed") and rules.has(u, k, "new"),
            "print_confirmation": True,
            "print_contract": issued or bool(self.settings_cache.get("booking.contract_before_issue")),
            "print_return": returned,
            "print_certificate": k == "test_drive" and issued,
            "vehicle": booking.vehicle_id is not None and has_right("vehicle.view"),
            "delete": not booking.confirmed and (not issued or returned) and booking.billing is None
            and rules.may(u, booking, "delete"),
        }

    settings_cache: dict = {}

    # --- the calendar -------------------------------------------------------------------

    @expose("/")
    def index(self):
        self.need("manager")
        settings = self.settings()
        makes = sorted({str(v.make) for v in _fleet(self.kind) if v.make})
        from models import ModelGroup, VehicleCategory

        return self.render("bookings/manager.html", kind=self.kind, title=MANAGER_LABELS[self.kind],
                           makes=makes, model_groups=db.session.scalars(select(ModelGroup).order_by(ModelGroup.name)).all(),
                           categories=db.session.scalars(select(VehicleCategory).order_by(VehicleCategory.name)).all(),
                           vehicles=_fleet(self.kind), two_lines=bool(settings.get("booking.resource_two_lines")),
                           may_new=rules.has(current_user, self.kind, "new"),
                           may_edit=rules.has(current_user, self.kind, "edit"),
                           colours={k: settings.get(f"booking.colour_{k}") for k in ("planned", "overdue", "done")},
                           go_to=request.args.get("date", ""),
                           zoom=preferences.calendar_zoom(current_user.preferences))

    @expose("/resources")
    def resources(self):
        self.need("manager")
        now = rules.wall_clock_now()
        query = rules.fleet_query(self.kind).options(joinedload(Vehicle.make), joinedload(Vehicle.model_group),
                                                       joinedload(Vehicle.category))
        args = request.args
        if args.get("make"):
            query = query.where(Vehicle.make.has(name=args["make"]))
        if args.get("model_group", "").isdigit():
            query = query.where(Vehicle.model_group_id == int(args["model_group"]))
        if args.get("category", "").isdigit():
            query = query.where(Vehicle.category_id == int(args["category"]))
        chosen = [int(x) for x in args.getlist("vehicle") if x.isdigit()]
        if chosen:
            query = query.where(Vehicle.id.in_(chosen))
        vehicles = db.session.scalars(query).unique().all()
        ids = [v.id for v in vehicles]
        notes: dict[int, list[str]] = {}
        out_rows = []
        if ids:
            for vid, text in db.session.execute(select(VehicleNote.vehicle_id, VehicleNote.text).where(
                    VehicleNote.vehicle_id.in_(ids), VehicleNote.open.is_(True))):
                notes.setdefault(vid, []).append(text)
            out_rows = db.session.execute(select(Booking.vehicle_id, Booking.end_at).where(
                Booking.vehicle_id.in_(ids), Booking.issued_at.is_not(None), Booking.returned_at.is_(None))).all()
        out = {r.vehicle_id: r.end_at for r in out_rows}
        result = []
        for v in vehicles:
            result.append({
                "id": f"v{v.id}", "title": v.registration_number,
                "extendedProps": {
                    "vehicle_id": v.id, "model": " ".join(x for x in (str(v.make or ""), v.model or "") if x),
                    "free": v.id not in out, "overdue": v.id in out and out[v.id] < now,
                    "notes": notes.get(v.id, []),
                    "notes_url": url_for("vehicle.details_view", id=v.id) if has_right("vehicle.view") else None,
                },
            })
        if self.kind == "test_drive" and not chosen:
            plate_out = {r[0] for r in db.session.execute(select(Booking.trade_plate_id).where(
                Booking.trade_plate_id.is_not(None), Booking.issued_at.is_not(None), Booking.returned_at.is_(None)))}
            for p in _plates():
                result.append({"id": f"p{p.id}", "title": p.number, "extendedProps": {
                    "plate_id": p.id, "model": _("Trade plate"), "free": p.id not in plate_out, "overdue": False,
                    "notes": [], "notes_url": None}})
        return jsonify(result)

    def event_factory(self, settings: dict, user: User):
        """A function row -> event JSON, with everything that is the same for every row
        (rights, colours, translated labels) worked out once per request."""
        labels = {k: str(v) for k, v in STATUS_LABELS.items()}
        may_edit = rules.has(user, self.kind, "edit")
        own_only = not user.is_admin and rules.has(user, self.kind, "own_only")
        user_id = user.id
        planned_colour = settings.get("booking.colour_planned")
        status_colour = {"overdue": settings.get("booking.colour_overdue"),
                         "returned": settings.get("booking.colour_done"), "billed": settings.get("booking.colour_done")}
        test_drive = self.kind == "test_drive"
        fmt = "%Y-%m-%dT%H:%M:%S"

        def event(row: dict) -> dict:
            status = row["status"]
            resources = []
            if row["vehicle_id"]:
                resources.append(f"v{row['vehicle_id']}")
            if row["trade_plate_id"] and test_drive:
                resources.append(f"p{row['trade_plate_id']}")
            editable = (may_edit and not row["confirmed"] and status in ("planned", "issued", "overdue")
                        and (not own_only or user_id in (row["advisor_id"], row["created_by_id"])))
            return {
                "id": str(row["id"]), "resourceIds": resources,
                "start": row["shown_start"].strftime(fmt), "end": row["shown_end"].strftime(fmt),
                "title": f"{row['number']} {row['customer_name']}",
                "backgroundColor": (background := status_colour.get(status) or row["colour"] or planned_colour),
                "textColor": readable_on(background),
                "editable": editable, "startEditable": editable and status == "planned", "durationEditable": editable,
                "classNames": [f"booking-{status}"] + (["booking-confirmed"] if row["confirmed"] else []),
                "extendedProps": {
                    "number": row["number"], "status": status, "status_label": labels[status],
                    "customer": row["customer_name"], "driver": row["driver_name"] or "",
                    "planned": f"{row['start_at']:%Y-%m-%d %H:%M} – {row['end_at']:%Y-%m-%d %H:%M}",
                    "issued": row["issued_at"].strftime("%Y-%m-%d %H:%M") if row["issued_at"] else "",
                    "returned": row["returned_at"].strftime("%Y-%m-%d %H:%M") if row["returned_at"] else "",
                    "confirmed": bool(row["confirmed"]), "version": row["version"],
                },
            }

        return event

    @expose("/events")
    def events(self):
        self.need("manager")
        try:
            start = parse_dt(request.args.get("start"), "start")
            end = parse_dt(request.args.get("end"), "end")
        except DomainError as exc:
            return _json_error(exc, 400)
        if start is None or end is None or end <= start or end - start > dt.timedelta(days=400):
            return jsonify(ok=False, error=_("Give a start and end of at most 400 days.")), 400
        settings = self.settings()
        now = rules.wall_clock_now()
        rows = rules.window_rows(db.session, self.kind, start, end, now)
        if visibility.limited(current_user) and rows:
            seen = set(db.session.scalars(select(Booking.id).where(
                Booking.id.in_([r["id"] for r in rows]), visibility.clause(current_user, Booking))))
            rows = [r for r in rows if r["id"] in seen]
        event = self.event_factory(settings, current_user._get_current_object())
        return jsonify([event(r) for r in rows])

    @expose("/<int:id>/menu")
    def context_menu(self, id):  # not "menu": Flask-Admin's BaseView uses that attribute
        """Context-menu items of a booking for this user (status and rights)."""
        self.need("manager")
        booking = self.booking(id)
        self.settings_cache = self.settings()
        status = booking.status(rules.wall_clock_now())
        allowed = self.allowed_actions(booking, status)
        return jsonify(status=status, actions=[k for k, v in allowed.items() if v], urls=self.urls(booking))

    def urls(self, booking: Booking) -> dict:
        ep = endpoint_for(self.kind)
        urls = {a: url_for(f"{ep}.{a}", id=booking.id) for a in (
            "edit", "confirm", "unconfirm", "issue", "cancel_issue", "return_", "billing", "delete", "move")}
        # "new from template" opens the booking form filled from this booking; nothing is saved
        urls["template"] = url_for(f"{ep}.new", template=booking.id)
        urls["return"] = urls.pop("return_")
        urls["edit_return"] = urls["return"]
        urls["edit_issue"] = urls["issue"]
        urls["open"] = urls["edit"]
        for doc in PRINTS:
            urls[f"print_{doc}"] = url_for(f"{ep}.print_", id=booking.id, doc=doc)
        if booking.vehicle_id:
            urls["vehicle"] = url_for("vehicle.details_view", id=booking.vehicle_id)
        return urls

    def _resource(self, raw: str | None):
        raw = raw or ""
        if raw.startswith("v") and raw[1:].isdigit():
            return db.session.get(Vehicle, int(raw[1:])), None
        if raw.startswith("p") and raw[1:].isdigit():
            return None, db.session.get(TradePlate, int(raw[1:]))
        return None, None

    @expose("/<int:id>/move", methods=("POST",))
    def move(self, id):
        """Drag and drop / resize: the server checks and saves, or refuses with the reason."""
        self.need("edit")
        booking = self.booking(id)
        data = request.get_json(silent=True) or {}
        try:
            start = parse_dt(data.get("start"), "start_at")
            end = parse_dt(data.get("end"), "end_at")
            if start is None or end is None:
                raise DomainError(_("Enter start and end."), "start_at")
            vehicle, plate = booking.vehicle, booking.trade_plate
            if data.get("resource"):
                vehicle, plate = self._resource(data["resource"])
                if vehicle is None and plate is None:
                    raise DomainError(_("Unknown vehicle."), "vehicle")
                if plate is not None and booking.vehicle is not None and vehicle is None:
                    vehicle = booking.vehicle  # a test drive moved to a plate row keeps its car
            if booking.issued_at is not None:
                # an issued booking is drawn from its issue; only the end moves
                start = booking.start_at
            warnings = rules.move_booking(db.session, booking, start, end, vehicle, plate, current_user,
                                          self.settings(), rules.wall_clock_now(), data.get("version"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return _json_error(exc)
        return jsonify(ok=True, version=booking.version,
                       warning=_("Overlaps with %(n)s.", n=", ".join(w.number for w in warnings)) if warnings else None)

    def _post_action(self, id, action):
        booking = self.booking(id)
        try:
            action(booking)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            if request.is_json or request.accept_mimetypes.best == "application/json":
                return _json_error(exc)
            if isinstance(exc, rules.Forbidden):
                abort(403)
            flash(exc.message, "error")
            return redirect(request.referrer or booking_url(booking))
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(ok=True)
        return redirect(request.form.get("next") or request.referrer or url_for(".index"))

    @expose("/<int:id>/confirm", methods=("POST",))
    def confirm(self, id):
        return self._post_action(id, lambda b: rules.set_confirmed(db.session, b, True, current_user,
                                                                   rules.wall_clock_now()))

    @expose("/<int:id>/unconfirm", methods=("POST",))
    def unconfirm(self, id):
        return self._post_action(id, lambda b: rules.set_confirmed(db.session, b, False, current_user,
                                                                   rules.wall_clock_now()))

    @expose("/<int:id>/cancel-issue", methods=("POST",))
    def cancel_issue(self, id):
        return self._post_action(id, lambda b: rules.cancel_issue(db.session, b, current_user, self.settings(),
                                                                  rules.wall_clock_now()))

    @expose("/<int:id>/delete", methods=("POST",))
    def delete(self, id):
        booking = self.booking(id)
        try:
            rules.delete_booking(db.session, booking, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            if request.is_json:
                return _json_error(exc)
            if isinstance(exc, rules.Forbidden):
                abort(403)
            flash(exc.message, "error")
            return redirect(booking_url(booking))
        if request.is_json:
            return jsonify(ok=True)
        flash(_("The booking is deleted."), "success")
        return redirect(url_for(".index"))

    # --- the booking form ----------------------------------------------------------------

    @expose("/customers")
    def customers(self):
        """Customers that can be chosen matching the search: active, of a type bookings allow."""
        if not (self.has("new") or self.has("edit")):
            abort(403)
        q = (request.args.get("q") or "").strip()
        query = select(Customer).where(register_config.choosable_customer_clause(db.session, "bookings"),
                                       visibility.clause(current_user, Customer)) \
            .options(selectinload(Customer.contacts), selectinload(Customer.addresses))
        condition = search.search_condition(db.engine.dialect.name, Customer, q)
        if condition is not None:
            query = query.where(condition)
        rows = db.session.scalars(query.order_by(Customer.name).limit(15)).all()
        out = []
        for c in rows:
            address = c.address("visiting") or c.address("postal") or c.address("billing")
            advisor = rules.default_advisor(self.kind, c)
            out.append({"id": c.id, "label": str(c), "name": c.name, "phone": c.phone or "", "email": c.email or "",
                        "street": address.street if address else "", "postal_code": address.postal_code if address else "",
                        "city": address.city if address else "", "advisor_id": advisor.id if advisor else None,
                        "contacts": [{"id": p.id, "name": p.name, "phone": p.phone or "", "email": p.email or ""}
                                     for p in c.contacts]})
        return jsonify(out)

    def parse_form(self, form) -> tuple[Customer | None, dict]:
        values: dict = {}
        for key in ("customer_name", "customer_street", "customer_postal_code", "customer_city", "customer_phone",
                    "customer_email", "driver_name", "driver_phone", "driver_email", "driver_licence_number",
                    "driver_licence_classes", "driver_licence_authority", "destination", "purpose",
                    "handover_location", "remark", "comment", "colour"):
            if key in form:
                values[key] = (form.get(key) or "").strip() or None
        if "customer_name" in values:
            values["customer_name"] = values["customer_name"] or ""
        values["driver_type"] = form.get("driver_type") or "customer"
        values["driver_contact"] = _visible(_get(Contact, form.get("driver_contact"))) \
            if values["driver_type"] == "contact" else None
        values["driver_birth_date"] = parse_date(form.get("driver_birth_date"), "driver_birth_date")
        values["driver_licence_issued"] = parse_date(form.get("driver_licence_issued"), "driver_licence_issued")
        values["licence_checked"] = form.get("licence_checked") in ("on", "1", "y")
        values["start_at"] = parse_dt(form.get("start_at"), "start_at")
        values["end_at"] = parse_dt(form.get("end_at"), "end_at")
        vehicle = _get(Vehicle, form.get("vehicle"))
        values["vehicle"] = vehicle
        values["trade_plate"] = _get(TradePlate, form.get("trade_plate")) if self.kind == "test_drive" else None
        values["advisor"] = _get(User, form.get("advisor"))
        values["tariff_model"] = _get(TariffModel, form.get("tariff_model"))
        values["casco_model"] = _get(CascoModel, form.get("casco_model"))
        values["cost_center"] = _get(CostCenter, form.get("cost_center"))
        values["max_km"] = parse_int(form.get("max_km"), "max_km")
        if self.kind != "test_drive":
            values.pop("destination", None)
            values.pop("purpose", None)
        if values["driver_type"] == "contact" and values["driver_contact"] is not None:
            contact = values["driver_contact"]
            values["driver_name"] = contact.name  # read-only unless free input
        customer = _visible(_get(Customer, form.get("customer_id")))
        if values["driver_type"] == "customer" and customer is not None:
            values["driver_name"] = values.get("customer_name") or customer.name
        return customer, values

    def form_context(self, booking: Booking | None, values: dict, errors: dict, template: Booking | None = None) -> dict:
        now = rules.wall_clock_now()
        status = booking.status(now) if booking and booking.id else "planned"
        self.settings_cache = self.settings()
        customer = booking.customer if booking is not None else (template.customer if template is not None else None)
        return dict(
            kind=self.kind, title=KIND_LABELS[self.kind], booking=booking, values=values, errors=errors,
            status=status, status_label=STATUS_LABELS[status], vehicles=_fleet(self.kind), plates=_plates(),
            options={name: [(r.id, str(r)) for r in db.session.scalars(query)] for name, query in (
                ("users", select(User).where(User.active.is_(True)).order_by(User.full_name)),
                ("tariffs", select(TariffModel).where(TariffModel.active.is_(True)).order_by(TariffModel.name)),
                ("cascos", select(CascoModel).where(CascoModel.active.is_(True)).order_by(CascoModel.name)),
                ("cost_centers", select(CostCenter).where(CostCenter.active.is_(True)).order_by(CostCenter.code)))},
            contacts=customer.contacts if customer is not None else [],
            driver_types=DRIVER_TYPE_LABELS,
            locked=bool(booking and booking.id and (booking.confirmed or not rules.may(current_user, booking, "edit"))),
            actions=self.allowed_actions(booking, status) if booking is not None and booking.id else {},
            urls=self.urls(booking) if booking is not None and booking.id else {},
            may_issue=rules.has(current_user, self.kind, "issue"),
            may_manager=rules.has(current_user, self.kind, "manager"),
            may_copy_customer=has_right("customer.edit"), may_copy_vehicle=has_right("vehicle.edit"),
            conflicts=rules.planned_conflicts(db.session, booking) if booking is not None and booking.id else [],
            print_labels=PRINTS,
            history=history_of(db.session, "booking", booking.id) if booking is not None and booking.id else [],
            template_booking=template,
        )

    def _values_of(self, booking: Booking) -> dict:
        out = self._form_values({key: getattr(booking, key, None) for key in rules.FORM_FIELDS})
        out["customer_id"] = booking.customer_id
        out["customer_label"] = str(booking.customer) if booking.customer else ""
        return out

    @staticmethod
    def _form_values(values: dict) -> dict:
        """Typed booking values as the form's inputs show them (dates as text, records as ids)."""
        out = {}
        for key, value in values.items():
            if isinstance(value, dt.datetime):
                value = value.strftime(DT_FORMAT)
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif hasattr(value, "id"):
                value = value.id
            out[key] = value
        return out

    def _template_form(self, raw: str):
        """The new-booking form filled from booking ``raw`` (003 "new from template"): the
        user checks and saves it like any new booking; a template he may not see is a 404."""
        template = _visible(_get(Booking, raw))
        if template is None or template.kind != self.kind:
            abort(404)
        values = self._form_values(rules.template_values(db.session, template, self.settings(),
                                                          rules.wall_clock_now()))
        if template.customer is not None:
            values.update(customer_id=template.customer_id, customer_label=str(template.customer))
        return self.render("bookings/form.html", **self.form_context(None, values, {}, template=template))

    def _save_extras(self, booking: Booking, form) -> None:
        if form.get("copy_to_customer") and has_right("customer.edit"):
            rules.copy_customer_to_register(booking)
        if form.get("copy_to_vehicle") and has_right("vehicle.edit"):
            rules.copy_driver_to_vehicle(booking)

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        self.need("new")
        errors: dict = {}
        if request.method == "POST":
            try:
                customer, values = self.parse_form(request.form)
                booking = rules.create_booking(db.session, self.kind, customer, values, current_user, self.settings(),
                                               rules.wall_clock_now())
                self._save_extras(booking, request.form)
                if request.form.get("action") == "immediate_issue":
                    rules.immediate_issue(db.session, booking, parse_int(request.form.get("issue_odometer"), "issue_odometer"),
                                          current_user, self.settings(), rules.wall_clock_now())
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, rules.Forbidden):
                    abort(403)
                errors[exc.field or "_"] = exc.message
                values = {k: v for k, v in request.form.items()}
                return self.render("bookings/form.html", **self.form_context(None, values, errors)), 422
            flash(_("Booking %(n)s saved.", n=booking.number), "success")
            return self._after_save(booking)
        args = request.args
        if args.get("template"):
            return self._template_form(args["template"])
        vehicle, plate = self._resource(args.get("resource"))
        values = {"start_at": args.get("start", "")[:16], "end_at": args.get("end", "")[:16],
                  "vehicle": vehicle.id if vehicle else (int(args["vehicle"]) if args.get("vehicle", "").isdigit() else None),
                  "trade_plate": plate.id if plate else None, "driver_type": "customer"}
        if not values["start_at"]:
            start = rules.next_quarter_hour(rules.wall_clock_now())
            values["start_at"] = start.strftime(DT_FORMAT)
            values["end_at"] = (start + dt.timedelta(hours=2)).strftime(DT_FORMAT)
        customer = _visible(_get(Customer, args.get("customer")))
        if customer is not None and customer.active:
            values.update(customer_id=customer.id, customer_label=str(customer), customer_name=customer.name,
                          customer_phone=customer.phone, customer_email=customer.email)
            advisor = rules.default_advisor(self.kind, customer)
            values["advisor"] = advisor.id if advisor else None
        return self.render("bookings/form.html", **self.form_context(None, values, errors))

    def _after_save(self, booking: Booking):
        settings = self.settings()
        if request.form.get("action") == "immediate_issue" and settings.get("booking.print_contract_automatically"):
            return redirect(booking_url(booking, print="contract"))
        if settings.get("booking.print_confirmation_automatically") and request.form.get("action") != "immediate_issue":
            return redirect(booking_url(booking, print="confirmation"))
        return redirect(booking_url(booking))

    @expose("/<int:id>", methods=("GET", "POST"))
    def edit(self, id):
        booking = self.booking(id)
        if not rules.may_open(current_user, self.kind):
            abort(403)
        errors: dict = {}
        if request.method == "POST":
            try:
                if request.form.get("edit_version") and request.form["edit_version"] != str(booking.version):
                    raise DomainError(_("Someone else saved this booking while you were editing it. Reload the page."))
                customer, values = self.parse_form(request.form)
                rules.update_booking(db.session, booking, customer, values, current_user, self.settings(),
                                     rules.wall_clock_now())
                self._save_extras(booking, request.form)
                if request.form.get("action") == "immediate_issue":
                    rules.immediate_issue(db.session, booking, parse_int(request.form.get("issue_odometer"), "issue_odometer"),
                                          current_user, self.settings(), rules.wall_clock_now())
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, rules.Forbidden):
                    abort(403)
                errors[exc.field or "_"] = exc.message
                values = {k: v for k, v in request.form.items()}
                booking = self.booking(id)
                return self.render("bookings/form.html", **self.form_context(booking, values, errors)), 422
            flash(_("Booking %(n)s saved.", n=booking.number), "success")
            return self._after_save(booking)
        return self.render("bookings/form.html", **self.form_context(booking, self._values_of(booking), errors))

    # --- issue and return ---------------------------------------------------------------------

    @expose("/<int:id>/issue", methods=("GET", "POST"))
    def issue(self, id):
        booking = self.booking(id)
        # a POST does what its form was opened for ("mode"), not what the booking is now: an
        # issue form sent after someone else issued is refused, never saved as an edit
        if request.method == "POST":
            editing = request.form.get("mode") == "edit"
        else:
            editing = booking.issued_at is not None
        self.need("edit_handover" if editing else "issue")
        now = rules.wall_clock_now()
        errors: dict = {}
        vehicle = booking.vehicle
        if request.method == "POST":
            form = request.form
            try:
                when = parse_dt(form.get("issued_at"), "issued_at") or now
                odometer = parse_int(form.get("issue_odometer"), "issue_odometer")
                version = parse_int(form.get("version"), "version")
                if editing:
                    rules.edit_issue(db.session, booking, when, odometer, current_user, self.settings(), now,
                                     returned_at=parse_dt(form.get("returned_at"), "returned_at"),
                                     return_odometer=parse_int(form.get("return_odometer"), "return_odometer"),
                                     version=version)
                else:
                    rules.issue_vehicle(db.session, booking, when, odometer, current_user, self.settings(), now,
                                        version=version,
                                        driver={k: form[k] for k in ("driver_name", "driver_phone",
                                                                     "driver_licence_number") if k in form})
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, rules.Forbidden):
                    abort(403)
                errors[exc.field or "_"] = exc.message
                booking = self.booking(id)
                return self.render("bookings/issue.html", booking=booking, editing=editing, errors=errors,
                                   values=request.form, vehicle=booking.vehicle, kind=self.kind), 422
            flash(_("Vehicle issued on booking %(n)s.", n=booking.number) if not editing
                  else _("The handover of %(n)s is saved.", n=booking.number), "success")
            if not editing and self.settings().get("booking.print_contract_automatically"):
                return redirect(booking_url(booking, print="contract"))
            return redirect(booking_url(booking))
        values = {"issued_at": (booking.issued_at or now).strftime(DT_FORMAT),
                  "issue_odometer": booking.issue_odometer if editing else (vehicle.odometer_km if vehicle else ""),
                  "returned_at": booking.returned_at.strftime(DT_FORMAT) if booking.returned_at else "",
                  "return_odometer": booking.return_odometer or "", "driver_name": booking.driver_name or "",
                  "driver_phone": booking.driver_phone or "", "driver_licence_number": booking.driver_licence_number or "",
                  "mode": "edit" if editing else "issue", "version": booking.version}
        return self.render("bookings/issue.html", booking=booking, editing=editing, errors=errors, values=values,
                           vehicle=vehicle, kind=self.kind)

    @expose("/<int:id>/return", methods=("GET", "POST"))
    def return_(self, id):
        booking = self.booking(id)
        if not (self.has("return") or self.has("edit_handover")):
            abort(403)
        now = rules.wall_clock_now()
        errors: dict = {}
        # a saved return (signed or not) is changed only with "edit handover"
        locked = booking.returned_at is not None and not self.has("edit_handover")
        if request.method == "POST":
            form = request.form
            # what the form was opened for: a return form sent after someone else returned is refused
            editing = {"edit": True, "return": False}.get(form.get("mode") or "")
            try:
                signature = None
                raw = form.get("signature") or ""
                if raw.startswith("data:image/png;base64,"):
                    signature = base64.b64decode(raw.split(",", 1)[1])
                    if not signature.startswith(b"\x89PNG"):
                        raise DomainError(_("The signature is not a PNG image."), "signature")
                damages = [line for line in (form.get("damages") or "").splitlines()]
                rules.return_vehicle(db.session, booking, parse_dt(form.get("returned_at"), "returned_at") or now,
                                     parse_int(form.get("return_odometer"), "return_odometer"),
                                     form.get("return_fuel_level") or None, damages, form.get("return_remark"),
                                     signature, current_user, self.settings(), now, edit=editing,
                                     version=parse_int(form.get("version"), "version"))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, rules.Forbidden):
                    abort(403)
                errors[exc.field or "_"] = exc.message
                booking = self.booking(id)
                return self.render("bookings/return.html", booking=booking, errors=errors, values=form,
                                   fuel_levels=FUEL_LEVELS, locked=locked, kind=self.kind, now=now), 422
            flash(_("The return of %(n)s is saved.", n=booking.number), "success")
            if form.get("action") == "save_new" and rules.has(current_user, self.kind, "new"):
                # "save and new": the return is saved; the next booking opens as a filled form
                return redirect(url_for(".new", template=booking.id))
            if self.settings().get("booking.print_return_automatically"):
                return redirect(booking_url(booking, print="return"))
            return redirect(booking_url(booking))
        values = {"returned_at": (booking.returned_at or now).strftime(DT_FORMAT),
                  "return_odometer": booking.return_odometer or booking.issue_odometer or "",
                  "return_fuel_level": booking.return_fuel_level or "8/8", "return_remark": booking.return_remark or "",
                  "damages": "", "mode": "edit" if booking.returned_at else "return", "version": booking.version}
        return self.render("bookings/return.html", booking=booking, errors=errors, values=values,
                           fuel_levels=FUEL_LEVELS, locked=locked, kind=self.kind, now=now)

    @expose("/<int:id>/signature.png")
    def signature(self, id):
        booking = self.booking(id)
        if booking.return_signature is None:
            abort(404)
        return send_file(io.BytesIO(booking.return_signature), mimetype="image/png")

    # --- billing ------------------------------------------------------------------------------

    @expose("/<int:id>/billing", methods=("GET", "POST"))
    def billing(self, id):
        booking = self.booking(id)
        if self.kind == "test_drive":
            abort(404)
        self.need("billing")
        now = rules.wall_clock_now()
        form = request.form if request.method == "POST" else request.args
        errors: dict = {}
        lines: list[dict] = []
        issued, returned = booking.issued_at, booking.returned_at
        default_days = rules.days_of_use(issued, returned) if issued and returned else 1
        default_km = (booking.return_odometer or 0) - (booking.issue_odometer or 0) if returned else 0
        values = {
            "tariff_model": form.get("tariff_model", booking.tariff_model_id or ""),
            "casco_model": form.get("casco_model", booking.casco_model_id or ""),
            "days": form.get("days", default_days), "km_driven": form.get("km_driven", default_km),
            "insurance": form.get("insurance", "0"),
            "adjust_text": form.get("adjust_text", ""), "adjust_amount": form.get("adjust_amount", ""),
            "include_remark": form.get("include_remark", "on") if request.method == "GET" else form.get("include_remark"),
        }
        try:
            if booking.returned_at is None:
                raise DomainError(_("Only a returned booking can be billed."))
            tariff = _get(TariffModel, values["tariff_model"])
            casco = _get(CascoModel, values["casco_model"])
            days = parse_int(str(values["days"]), "days") or 0
            km = parse_int(str(values["km_driven"]), "km_driven") or 0
            adjustments = []
            if str(values["adjust_amount"]).strip():
                adjustments.append((values["adjust_text"], parse_decimal(values["adjust_amount"], "adjust_amount")))
            lines = rules.calculate_billing(booking, tariff, casco, days, km, parse_decimal(str(values["insurance"]), "insurance"),
                                            adjustments, bool(values["include_remark"]))
            if request.method == "POST" and request.form.get("action") == "bill":
                order = None
                if (request.form.get("order") or "").isdigit():
                    order = next((o for o in open_orders(booking.customer_id) if o.id == int(request.form["order"])), None)
                    if order is None:
                        raise DomainError(_("Choose an open order of the customer."), "order")
                billing = rules.bill_booking(db.session, booking, lines, current_user, now, days, km,
                                             (tariff.free_km_per_day * days) if tariff else 0, bool(values["include_remark"]),
                                             order=order)
                db.session.commit()
                flash(_("Booking %(n)s is billed (%(t)s).", n=booking.number, t=money(billing.total))
                      + (" " + _("Order %(o)s.", o=billing.order_id) if billing.order_id else ""), "success")
                return redirect(booking_url(booking))
        except DomainError as exc:
            db.session.rollback()
            if isinstance(exc, rules.Forbidden):
                abort(403)
            errors[exc.field or "_"] = exc.message
        booking = self.booking(id)
        return self.render("bookings/billing.html", booking=booking, values=values, errors=errors, lines=lines,
                           total=sum((line["amount"] for line in lines), Decimal("0")),
                           tariffs=db.session.scalars(select(TariffModel).order_by(TariffModel.name)).all(),
                           cascos=db.session.scalars(select(CascoModel).order_by(CascoModel.name)).all(),
                           kind=self.kind, orders_available=rules._orders_api() is not None,
                           open_orders=open_orders(booking.customer_id) if rules._orders_api() is not None else [],
                           chosen_order=form.get("order", "")), (422 if errors and request.method == "POST" else 200)

    # --- prints -------------------------------------------------------------------------------

    @expose("/<int:id>/print/<doc>")
    def print_(self, id, doc):
        booking = self.booking(id)
        if doc not in PRINTS:
            abort(404)
        if not rules.may_open(current_user, self.kind):
            abort(403)
        settings = self.settings()
        from reports.bookings import bookings as printer

        try:
            pdf = printer.booking_pdf(booking, doc, settings, rules.wall_clock_now())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(booking_url(booking))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"{doc}-{booking.number}.pdf")


class BookingLogbookView(SecureBaseView):
    """Körjournal (Fahrtenbuch): all kinds the user may see, with filters, grouping and downloads."""

    right_area = "booking_loaner"

    def kinds(self) -> list[str]:
        return [k for k in BOOKING_KINDS if rules.has(current_user, k, "logbook")]

    def is_accessible(self):
        return current_user.is_authenticated and bool(self.kinds())

    def _filters(self) -> dict:
        args = request.args
        allowed = self.kinds()
        chosen = [k for k in args.getlist("kind") if k in allowed] or allowed
        return dict(kinds=chosen, q=(args.get("q") or "").strip(), date_from=args.get("from", ""),
                    date_to=args.get("to", ""), issued_by=args.get("issued_by", ""), returned_by=args.get("returned_by", ""),
                    open_only=args.get("open") == "1", group=args.get("group", "vehicle"))

    FILTER_ARGS = ("kind", "q", "from", "to", "issued_by", "returned_by", "open", "group", "per_page")

    def filter_args(self) -> dict[str, list[str]]:
        """The filters of the request (every chosen kind), for links that keep them: only the
        filter fields, so a link's own arguments ("selected", "fmt") are never given twice."""
        return {k: request.args.getlist(k) for k in self.FILTER_ARGS if k in request.args}

    PAGE_SIZES = (20, 50, 100)
    EXPORT_LIMIT = 2000

    def query(self, f: dict):
        """The logbook's bookings under the filters ``f`` (services.bookings.bookings.logbook_query); a
        date that cannot be read is said and left out."""
        try:
            return rules.logbook_query(db.session, current_user, f)
        except DomainError as exc:
            flash(exc.message, "error")
            return rules.logbook_query(db.session, current_user, {**f, "date_from": "", "date_to": ""})

    def page(self, f: dict) -> dict:
        """One page of the logbook (``page``, ``per_page`` of the request)."""
        query, key = self.query(f)
        args = request.args
        per_page = int(args["per_page"]) if args.get("per_page", "").isdigit() and int(args["per_page"]) in \
            self.PAGE_SIZES else 50
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        pages = max(1, -(-total // per_page))
        number = min(max(int(args["page"]) if args.get("page", "").isdigit() else 1, 1), pages)
        rows = db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique().all()
        return dict(rows=rows, group_key=key, page=number, pages=pages, per_page=per_page, total=total,
                    first=(number - 1) * per_page + 1 if total else 0, last=(number - 1) * per_page + len(rows))

    def rows(self, f: dict) -> tuple[list[Booking], object]:
        """Every row the filters give (downloads), up to EXPORT_LIMIT."""
        query, key = self.query(f)
        return db.session.scalars(query.limit(self.EXPORT_LIMIT)).unique().all(), key

    @expose("/")
    def index(self):
        f = self._filters()
        paged = self.page(f)
        now = rules.wall_clock_now()
        selected = _visible(_get(Booking, request.args.get("selected")))
        if selected is not None and selected.kind not in f["kinds"]:
            selected = None
        views = {k: app_view(k) for k in BOOKING_KINDS}
        settings = load_settings(db.session)
        for v in views.values():
            v.settings_cache = settings
        return self.render("bookings/logbook.html", f=f, now=now, selected=selected,
                           kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, allowed_kinds=self.kinds(),
                           users=db.session.scalars(select(User).order_by(User.full_name)).all(), views=views,
                           filter_args=self.filter_args(), page_sizes=self.PAGE_SIZES, **paged)

    @expose("/export.<fmt>")
    def export(self, fmt):
        f = self._filters()
        rows, key = self.rows(f)
        now = rules.wall_clock_now()
        from reports.bookings import bookings as printer

        if fmt == "pdf":
            pdf = printer.logbook_pdf(rows, key, LOGBOOK_GROUP_LABELS.get(f["group"], LOGBOOK_GROUP_LABELS["vehicle"]),
                                      load_settings(db.session), now)
            return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name="logbook.pdf")
        if fmt == "xlsx":
            data = printer.logbook_xlsx(rows, now)
            return send_file(io.BytesIO(data), download_name="logbook.xlsx",
                             mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        abort(404)


_VIEWS: dict[str, BookingKindView] = {}


def app_view(kind: str) -> BookingKindView:
    return _VIEWS[kind]


# (setting key, label, kind) of the booking module settings page
BOOKING_SETTINGS = [
    ("booking.issue_days_before_pickup", _l("Issue before pickup in days (0: up to the next quarter hour)"), "int0"),
    ("booking.issue_hours_before_start", _l("An issue may be dated at most this many hours before the booking's start (or before now, when that is earlier)"), "int0"),
    ("booking.max_hours_in_past", _l("A new booking may start at most this many hours in the past"), "int0"),
    ("booking.update_vehicle_reservation", _l("Update reservation info in the vehicle register"), "bool"),
    ("booking.resource_two_lines", _l("Two-line resources (registration number and model on separate lines)"), "bool"),
    ("booking.print_confirmation_automatically", _l("Print the booking confirmation automatically"), "bool"),
    ("booking.print_contract_automatically", _l("Print the contract automatically after the issue"), "bool"),
    ("booking.print_return_automatically", _l("Print the return confirmation automatically"), "bool"),
    ("booking.contract_before_issue", _l("The contract can be printed before the issue"), "bool"),
    ("booking.colour_planned", _l("Colour of planned bookings"), "colour"),
    ("booking.colour_overdue", _l("Colour of overdue bookings"), "colour"),
    ("booking.colour_done", _l("Colour of returned bookings"), "colour"),
]


def parse_booking_settings(form) -> tuple[dict, dict]:
    values, errors = {}, {}
    for key, _label, kind in BOOKING_SETTINGS:
        raw = (form.get(key) or "").strip()
        if kind == "bool":
            values[key] = form.get(key) in ("on", "1", "true", "y")
        elif kind == "int0":
            try:
                values[key] = numbers.parse_int(raw, label=_label, required=True, minimum=0, maximum=365)
            except DomainError:
                errors[key] = _("Enter a whole number from 0 to 365.")
        else:
            if not (len(raw) == 7 and raw.startswith("#")):
                errors[key] = _("Choose a colour.")
            values[key] = raw
    return values, errors


class BookingSettingsView(SecureBaseView):
    right_area = "settings"
    view_rights = ("manage",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        current = load_settings(db.session)
        errors = {}
        if request.method == "POST":
            values, errors = parse_booking_settings(request.form)
            if not errors:
                for key, value in values.items():
                    set_setting(db.session, key, value)
                db.session.commit()
                flash(_("The settings are saved."), "success")
                return redirect(url_for(".index"))
            current.update({k: request.form.get(k, "") for k, _a, _b in BOOKING_SETTINGS})
        return self.render("bookings/settings.html", spec=BOOKING_SETTINGS, values=current, errors=errors)


class BookingRegisterView(SettingsView):
    """Trade plates, tariff and casco models: settings registers of the booking module."""

    column_searchable_list = ()
    column_filters = ("active",)
    column_default_sort = None
    column_labels = {"number": _l("Number"), "description": _l("Description"), "active": _l("Active"),
                     "name": _l("Name"), "price_per_day": _l("Price per day"), "price_per_km": _l("Price per km"),
                     "free_km_per_day": _l("Free km per day"), "vat_percent": _l("VAT (%)"),
                     "deductible": _l("Deductible")}


def customer_bookings(customer) -> list[Booking]:
    """Bookings of a customer for the Bookings tab of the customer card (kinds the user may see)."""
    kinds = [k for k in BOOKING_KINDS if any(rules.has(current_user, k, a) for a in ("manager", "logbook"))]
    if customer is None or not kinds:
        return []
    # the card asks twice (the tab's link and the tab): read once per request
    cache = g.setdefault("customer_bookings", {})
    if customer.id not in cache:
        cache[customer.id] = db.session.scalars(
            select(Booking).where(Booking.customer_id == customer.id, Booking.kind.in_(kinds),
                                  visibility.clause(current_user, Booking))
            .options(joinedload(Booking.vehicle), joinedload(Booking.billing))
            .order_by(Booking.start_at.desc()).limit(200)).unique().all()
    return cache[customer.id]


def customer_booking_count(customer) -> int | None:
    """The count in the customer card's Bookings label (a COUNT, the rows are read when the tab
    is opened); None when the tab is left out: no bookings the user may see and no right to book."""
    kinds = [k for k in BOOKING_KINDS if any(rules.has(current_user, k, a) for a in ("manager", "logbook"))]
    count = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.customer_id == customer.id, Booking.kind.in_(kinds),
        visibility.clause(current_user, Booking))) if kinds else 0
    if count or any(current_user.has_right(f"booking_{k}.new") for k in BOOKING_KINDS):
        return count
    return None


def register(admin) -> None:
    for kind in BOOKING_KINDS:
        view = BookingKindView(kind, name=MANAGER_LABELS[kind], category=BOOKINGS, endpoint=endpoint_for(kind),
                               url=f"/admin/bookings/{kind}")
        _VIEWS[kind] = view
        admin.add_view(view)
    admin.add_view(BookingLogbookView(name=_l("Logbook"), category=BOOKINGS, endpoint="booking_logbook",
                                      url="/admin/bookings/logbook"))
    admin.add_view(BookingRegisterView(TradePlate, db, name=_l("Trade plates"), category=BOOKINGS,
                                       endpoint="tradeplate"))
    admin.add_view(BookingRegisterView(TariffModel, db, name=_l("Tariff models"), category=BOOKINGS,
                                       endpoint="tariffmodel"))
    admin.add_view(BookingRegisterView(CascoModel, db, name=_l("Casco models"), category=BOOKINGS,
                                       endpoint="cascomodel"))
    admin.add_view(BookingSettingsView(name=_l("Booking settings"), category=BOOKINGS, endpoint="booking_settings",
                                       url="/admin/bookings/settings"))
    admin.app.jinja_env.globals.update(customer_bookings=customer_bookings, customer_booking_count=customer_booking_count,
                                       booking_status_labels=STATUS_LABELS,
                                       booking_kind_labels=KIND_LABELS, booking_url=booking_url,
                                       booking_now=rules.wall_clock_now)
