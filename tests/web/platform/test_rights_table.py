"""Issue 18 item 1: every right in the rights table (services.platform.rights.all_rights()) guards
something, checked per right in both directions.

PROBES maps each right to one or more probes: a request and the effect it has when allowed.
For each right two users are made:

- "alone": the right plus the minimum needed to reach the page (``needs``, stated per probe);
  every probe is allowed (its status) and has its effect;
- "all but": every right of the table except this one (and except the rights that contain it,
  ``implied_by``, stated per probe with the reason); every probe is refused (403 unless stated)
  and has no effect.

The "all but" user goes first, so that the effect seen afterwards is the "alone" user's.
"Only own entries" (booking_*.own_only) is a restriction, not a grant: its probe runs the other
way round. A right of the table without a probe, and not in GUARDS_NOTHING with a reason, fails
the suite; so does a probe of a right that is not in the table."""
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import func, select

from models import (
    Article,
    Resource,
    Booking,
    Contact,
    Customer,
    CustomerArticle,
    CustomerFile,
    CustomField,
    Invoice,
    Job,
    LedgerPeriodLock,
    Order,
    OrderLine,
    OutboxMessage,
    ReferenceRate,
    ReminderLevel,
    User,
    Vehicle,
    Voucher,
    WriteOff,
    db,
)
from services.bookings import bookings as booking_rules
from services.registers import customer_files
from services.sales import invoicing, orders
from services.registers import register_config as rc
from services.platform.rights import all_rights
from services.platform.settings import load_settings
from tests import sales_helpers as h
from tests.factories import PASSWORD, csrf_from, make_user, run_jobs

KINDS = ("loaner", "rental", "test_drive")
BOOKING_SETTINGS = {"booking.issue_days_before_pickup": 0, "booking.update_vehicle_reservation": False,
                    "booking.max_hours_in_past": 24}

def _bgmax_file() -> bytes:
    from bench.ledger_data import GenPayment, write_bgmax

    out = io.BytesIO()
    write_bgmax(out, [[GenPayment(D("100.00"), "12345")]])
    return out.getvalue()


BGMAX_FILE = _bgmax_file()

# right -> why it guards nothing yet (a right here must not have a probe)
GUARDS_NOTHING = {
    "customer.create_customer_users": "customer users (the customer portal) do not exist yet; reference 001 "
                                      "names the right, the online domain will use it",
    "customer.change_customer_user_rights": "customer users (the customer portal) do not exist yet",
    "customer.delete_customer_users": "customer users (the customer portal) do not exist yet",
}


@dataclass
class Probe:
    method: str
    url: str  # {placeholders} filled from the world's ids
    effect: Callable  # (session, ids, response, before) -> bool: the thing the right allows happened
    needs: frozenset = frozenset()  # the minimum besides the right to reach the page
    data: dict | None = None
    json: dict | None = None
    files: dict | None = None
    status: tuple = (200, 302)  # answers when allowed
    refused: tuple = (403,)  # answers when refused
    implied_by: frozenset = frozenset()  # rights that grant the same: left out of "all but" as well
    restricts: bool = False  # a restriction (own_only): "alone" is refused, "all but" allowed
    follow: bool = False  # follow the redirect (the effect is the message on the next page)


def P(method, url, effect, needs=(), implied_by=(), **kw) -> Probe:
    return Probe(method, url, effect, frozenset(needs), implied_by=frozenset(implied_by), **kw)


def shows(text_key):
    """The response shows the world's ``text_key`` (a name, a number)."""
    return lambda s, ids, r, before: ids[text_key] in r.get_data(as_text=True)


def page(marker):
    """The response is the page (a marker only that page has)."""
    return lambda s, ids, r, before: r.status_code == 200 and marker in r.get_data(as_text=True)


def gone(model, key):
    return lambda s, ids, r, before: s.get(model, ids[key]) is None


def holds(check):
    """A condition on the database after the request: check(session, ids)."""
    return lambda s, ids, r, before: check(s, ids)


class count:
    """The request added rows of ``model`` (matching ``where``)."""

    def __init__(self, model, *where):
        self.model, self.where = model, where

    def before(self, s, ids) -> int:
        query = select(func.count()).select_from(self.model)
        for w in self.where:
            query = query.where(w(ids))
        return s.scalar(query)

    def __call__(self, s, ids, r, before) -> bool:
        return self.before(s, ids) > before


def booking_set(key, attr, is_set=True):
    return holds(lambda s, ids: (getattr(s.get(Booking, ids[key]), attr) is not None) == is_set)


def _booking_probes(kind: str) -> dict[str, list[Probe]]:
    base = f"/admin/bookings/{kind}"
    area = f"booking_{kind}"
    manager = (f"{area}.manager",)
    out = {
        f"{area}.edit": [P("POST", base + "/{%s_move}/move" % kind,
                           holds(lambda s, ids, k=kind: s.get(Booking, ids[f"{k}_move"]).end_at == ids["moved_end"]),
                           json={"start": "{moved_start_form}", "end": "{moved_end_form}"})],
        f"{area}.own_only": [P("POST", base + "/{%s_own}/move" % kind,
                               holds(lambda s, ids, k=kind: s.get(Booking, ids[f"{k}_own"]).end_at == ids["moved_end"]),
                               needs=(f"{area}.edit",), restricts=True, refused=(403, 409),
                               json={"start": "{moved_start_form}", "end": "{moved_end_form}"})],
        f"{area}.delete": [P("POST", base + "/{%s_delete}/delete" % kind, gone(Booking, f"{kind}_delete"),
                             needs=manager, data={})],
        f"{area}.issue": [P("GET", base + "/{%s_move}/issue" % kind, page('name="issue_odometer"'))],
        f"{area}.return": [P("POST", base + "/{%s_issued}/return" % kind,
                             booking_set(f"{kind}_issued", "returned_at"),
                             data={"mode": "return", "return_odometer": "150", "return_fuel_level": "8/8",
                                   "version": "{%s_issued_version}" % kind})],
        f"{area}.edit_handover": [P("POST", base + "/{%s_cancel}/cancel-issue" % kind,
                                    booking_set(f"{kind}_cancel", "issued_at", is_set=False),
                                    needs=manager, data={})],
        # "new from template" (003) opens the new-booking form filled from a booking
        f"{area}.new": [P("GET", base + "/new?template={%s_move}" % kind, page('id="template-note"'))],
        f"{area}.manager": [P("GET", base + "/events?start={window_start}&end={window_end}",
                              lambda s, ids, r, before, k=kind: ids[f"{k}_move_number"] in r.get_data(as_text=True))],
        # the logbook lists every kind the user holds the right for: the "all but" user sees
        # the other kinds' (200), not this kind's bookings
        f"{area}.logbook": [P("GET", "/admin/bookings/logbook/",
                              lambda s, ids, r, before, k=kind: ids[f"{k}_move_number"] in r.get_data(as_text=True),
                              refused=(200,))],
    }
    if kind != "test_drive":
        out[f"{area}.billing"] = [P("GET", base + "/{%s_returned}/billing" % kind, page('name="tariff_model"'),
                                    needs=manager)]
    return out


VIEW = ("customer.view",)
SALES = ("sales.view",)

PROBES: dict[str, list[Probe]] = {
    # customers (reference 001)
    "customer.view": [P("GET", "/admin/customer/details/?id={a}", shows("a_name"))],
    "customer.view_assigned": [P("GET", "/admin/customer/", shows("mine_name"), implied_by=VIEW)],
    "customer.edit": [P("GET", "/admin/customer/edit/?id={a}", page('name="name"'), needs=VIEW)],
    "customer.edit_assigned": [P("GET", "/admin/customer/edit/?id={mine}", page('name="name"'),
                                 needs=("customer.view_assigned",), implied_by=("customer.edit",))],
    "customer.create": [P("GET", "/admin/customer/new/", page('name="name"'), needs=VIEW)],
    "customer.delete": [P("POST", "/admin/customer/delete/", gone(Customer, "deletable"), needs=VIEW,
                          data={"id": "{deletable}"})],
    "customer.export": [P("GET", "/admin/customer/export/csv/", shows("a_name"), needs=VIEW)],
    "customer.upload": [P("POST", "/admin/customer/files/upload/",
                          count(CustomerFile, lambda ids: CustomerFile.customer_id == ids["a"]),
                          needs=VIEW, data={"customer_id": "{a}"}, files={"file": ("avtal.txt", b"avtal")})],
    # without the right the field is shown disabled (and ignored when saved)
    "customer.assign": [P("GET", "/admin/customer/edit/?id={a}", lambda s, ids, r, before: bool(re.search(
                              r'<select(?![^>]*disabled)[^>]*name="assigned_technicians"', r.get_data(as_text=True))),
                          needs=VIEW + ("customer.edit",), refused=(200,))],
    "customer.delete_uploads": [P("POST", "/admin/customer/files/{file}/delete/", gone(CustomerFile, "file"),
                                  needs=VIEW, data={})],
    "customer.gdpr": [
        P("GET", "/admin/customer-tools/{a}/personal-data.json", shows("a_name"), needs=VIEW),
        P("POST", "/admin/customer-tools/{erasable}/erase",
          holds(lambda s, ids: s.get(Customer, ids["erasable"]).name != ids["erasable_name"]),
          needs=VIEW, data={"confirm": "{erasable_number}"}),
    ],
    "customer.merge": [
        P("GET", "/admin/customer-tools/merge?keep={a}&duplicates={dup_number}", shows("dup_name"), needs=VIEW),
        P("POST", "/admin/customer-tools/merge",
          holds(lambda s, ids: s.get(Customer, ids["dup"]) is None or s.get(Customer, ids["dup"]).active is False),
          needs=VIEW, data={"keep": "{a}", "duplicates": "{dup_number}", "accept_warnings": "1"}),
    ],
    # vehicles and articles: the register's view, then create / edit / delete / export
    **{f"{area}.{action}": [probe] for area, url, key in (("vehicle", "vehicle", "v"), ("article", "article", "art"))
       for action, probe in (
        ("view", P("GET", f"/admin/{url}/", shows(f"{key}_text"))),
        ("edit", P("GET", f"/admin/{url}/edit/?id={{{key}}}", page('name="edit_version"'), needs=(f"{area}.view",))),
        ("create", P("GET", f"/admin/{url}/new/", page('name="form_nonce"'), needs=(f"{area}.view",))),
        ("delete", P("POST", f"/admin/{url}/delete/", gone(Vehicle if area == "vehicle" else Article, f"{key}_delete"),
                     needs=(f"{area}.view",), data={"id": f"{{{key}_delete}}"})),
        ("export", P("GET", f"/admin/{url}/export/csv/", shows(f"{key}_text"), needs=(f"{area}.view",))),
    )},
    "settings.manage": [
        P("GET", "/admin/district/", page('href="/admin/district/new/')),
        P("POST", "/admin/register-settings/custom/{removed_field}/restore",
          holds(lambda s, ids: s.get(CustomField, ids["removed_field"]).active), data={}),
    ],
    "users.manage": [P("GET", "/admin/user/", shows("admin_name"))],
    "audit.view": [P("GET", "/admin/auditlog/", shows("a_name"))],
    **{right: probes for kind in KINDS for right, probes in _booking_probes(kind).items()},
    # sales documents
    "sales.view": [P("GET", "/admin/order/details/?id={order}", shows("order_text"))],
    "sales.edit": [
        P("POST", "/admin/order/line/add", count(OrderLine, lambda ids: OrderLine.order_id == ids["order"]),
          needs=SALES, data={"order_id": "{order}", "kind": "free_text", "text": "Spolarvätska",
                             "unit_price": "10", "quantity": "1"}),
        # the customer's service and work-order articles added to an order
        P("POST", "/admin/order/customer-articles",
          holds(lambda s, ids: len(s.get(Order, ids["order_ca"]).lines) > 0), needs=SALES, data={"order_id": "{order_ca}"}),
    ],
    "sales.create": [P("POST", "/admin/order/copy", count(Order), needs=SALES, data={"order_id": "{quote}"})],
    "sales.delete": [
        P("POST", "/admin/order/delete/", gone(Order, "quote_delete"), needs=SALES, data={"id": "{quote_delete}"}),
        P("GET", "/admin/delete-old-documents/?months=12", page('name="months"')),
    ],
    "sales.finalise": [P("POST", "/admin/order/finalise",
                         holds(lambda s, ids: s.get(Order, ids["ready"]).status == "invoiced"),
                         needs=SALES, data={"order_id": "{ready}"})],
    "sales.credit": [P("POST", "/admin/invoice/credit/",
                       count(Invoice, lambda ids: Invoice.credited_invoice_id == ids["invoice"]),
                       needs=SALES, data={"id": "{invoice}", "full": "1"})],
    "sales.export": [
        P("GET", "/admin/invoice/peppol?id={invoice}",
          lambda s, ids, r, before: r.mimetype == "application/xml" and ids["invoice_number"] in r.get_data(as_text=True),
          needs=SALES, status=(200,)),
        P("GET", "/admin/invoice/export/csv/", shows("invoice_number"), needs=SALES, status=(200,)),
    ],
    "sales.send": [
        P("POST", "/admin/order/send", count(OutboxMessage), needs=SALES,
          data={"order_id": "{order}"}),
        P("POST", "/admin/invoice/send", count(OutboxMessage, lambda ids: OutboxMessage.invoice_id == ids["invoice"]),
          needs=SALES, data={"invoice_id": "{invoice}"}),
        # no SMTP server is configured: the queue is read and stays (the warning says so)
        P("POST", "/admin/outboxmessage/send-queued",
          lambda s, ids, r, before: "No SMTP server is configured" in r.get_data(as_text=True),
          needs=SALES, data={}, status=(200,), follow=True),
    ],
    "accounting.manual_credit": [P("POST", "/admin/manual-credit-note/",
                                   count(Invoice, lambda ids: Invoice.kind == "credit_note",
                                         lambda ids: Invoice.credited_invoice_id.is_(None)),
                                   needs=VIEW, data={"customer_number": "{a_number}", "amount": "100",
                                                     "vat_percent": "25", "account": "3010", "text": "Prisjustering"})],
    # the ledger's reports (issue 12 items 7-9): the SIE export starts a job
    "ledger.export": [P("POST", "/admin/ledger/sie-export/", count(Job, lambda ids: Job.kind == "sie_export"),
                        data={"from": "2026-01-01", "to": "2026-12-31"}, status=(303,))],
    # the ledger (issue 12 item 6): the invoice's voucher names its invoice in the list
    "ledger.view": [P("GET", "/admin/voucher/", shows("invoice_number")),
                    P("GET", "/admin/ledger/journal/", shows("invoice_number"))],
    "ledger.book": [P("POST", "/admin/ledger/manual-voucher/", count(Voucher, lambda ids: Voucher.series == "M"),
                      data={"date": "{today}", "text": "Kassainsättning", "rows-0-account": "1930",
                            "rows-0-debit": "100", "rows-1-account": "1910", "rows-1-credit": "100"})],
    "ledger.lock": [P("POST", "/admin/ledger/period-lock/", count(LedgerPeriodLock), data={"month": "2020-01"})],
    # payments (issue 12 items 1, 10): the journal; the invoice card's register form
    "payments.view": [P("GET", "/admin/payment/", page("/admin/payment/?sort="))],
    "payments.register": [P("GET", "/admin/payment/register?invoice_id={invoice}", page('id="register-payment-form"'),
                            needs=("payments.view",)),
                          # the BgMax import (issue 12 item 2): the upload starts the import's job
                          P("POST", "/admin/ledger/bgmax/upload", count(Job, lambda ids: Job.kind == "bgmax_import"),
                            files={"file": ("bgmax.txt", BGMAX_FILE)})],
    # reminders, interest invoices, customer losses (issue 12 items 3-5)
    "ledger.reminders": [P("POST", "/admin/ledger/reminder-levels/",
                           lambda s, ids, r, before: s.scalar(select(ReminderLevel.text_sv)
                                                              .where(ReminderLevel.level == 1)) == "Probe",
                           data={"1-days_after_due": "9", "1-fee": "0", "1-active": "on", "1-text_sv": "Probe",
                                 "2-days_after_due": "22", "2-fee": "60", "2-active": "on", "2-text_sv": "Två",
                                 "3-days_after_due": "36", "3-fee": "60", "3-active": "on", "3-text_sv": "Tre"},
                           status=(303,))],
    "ledger.interest": [P("POST", "/admin/ledger/reference-rates/",
                          count(ReferenceRate, lambda ids: ReferenceRate.valid_from == dt.date(2030, 1, 1)),
                          data={"valid_from": "2030-01-01", "rate": "1,5"}, status=(303,))],
    "ledger.write_off": [P("POST", "/admin/ledger/write-off/", count(WriteOff),
                           data={"invoice": "{invoice}", "date": dt.date.today().isoformat(), "reason": "Konkurs",
                                 "confirm": "yes"}, status=(303,))],
    "ledger.reports": [P("GET", "/admin/ledger/vat-report/?period=2021-03", page('id="box-49"')),
                       P("GET", "/admin/ledger/daily-sales/?format=xlsx", lambda s, ids, r, before: r.status_code == 200
                         and r.data[:2] == b"PK")],
    "ledger.vat_settle": [P("POST", "/admin/ledger/vat-report/settle",
                            count(Voucher, lambda ids: Voucher.source_kind == "vat_settlement"),
                            needs=("ledger.reports",), data={"period": "2021-03"}, status=(303,))],
    # the workshop (issue 13 item 1): staff and resources; the list shows them, manage creates one
    "workshop.view": [P("GET", "/admin/resource/", shows("resource_name"))],
    "workshop.manage": [P("POST", "/admin/resource/new/", count(Resource, lambda ids: Resource.name == "Lyft Probe"),
                          needs=("workshop.view",), data={"kind": "lift", "name": "Lyft Probe", "active": "y"},
                          status=(302,))],
}


def test_every_right_of_the_table_has_a_probe_or_a_reason(app):
    # read once the app is built: a module may add its rights when its views are registered
    rights = set(all_rights())
    missing = sorted(rights - set(PROBES) - set(GUARDS_NOTHING))
    assert not missing, f"rights without a probe (add one to PROBES, or a reason to GUARDS_NOTHING): {missing}"
    assert not sorted(set(PROBES) - rights), "probes of rights that are not in the table"
    assert not sorted(set(GUARDS_NOTHING) - rights), "reasons for rights that are not in the table"
    assert not set(PROBES) & set(GUARDS_NOTHING)
    # a right said to guard nothing is named nowhere in the code but the table: once a view
    # checks it, it needs a probe here
    root = Path(__file__).resolve().parents[3]
    sources = [p for folder in ("views", "services", "reports", "templates") for p in (root / folder).rglob("*")
               if p.suffix in (".py", ".html") and p != root / "services" / "platform" / "rights.py"]
    for right in GUARDS_NOTHING:
        action = right.split(".", 1)[1]
        used = [str(p.relative_to(root)) for p in sources if action in p.read_text(encoding="utf-8")]
        assert not used, f"{right} is used in {used}: give it a probe instead of a reason"
    for right, probes in PROBES.items():
        for probe in probes:
            assert probe.needs <= rights and probe.implied_by <= rights, right
            assert right not in probe.needs and right not in probe.implied_by, right


# --- the world ------------------------------------------------------------------------------


def _world(app, user_ids: list[int]) -> dict:
    with app.app_context():
        s = db.session
        admin = s.scalar(select(User).where(User.username == "admin"))
        users = [s.get(User, i) for i in user_ids]
        settings = load_settings(s)
        now = booking_rules.wall_clock_now().replace(second=0, microsecond=0)
        today = dt.date.today()
        ids: dict = {"admin_name": admin.full_name}

        a = h.customer(s, "7001", "Qvarnby Bil AB", email="qvarnby@example.se")
        a.contacts.append(Contact(name="Qvarnby Kontakt", email="kontakt@example.se"))
        mine = h.customer(s, "7002", "Tilldelad Verkstad AB", org="5560160680")
        mine.technicians = users
        dup = h.customer(s, "7003", "Qvarnby Bil Dubblett", org=None)
        deletable = h.customer(s, "7004", "Raderbar Kund", org=None)
        erasable = h.customer(s, "7005", "Glömd Person", org=None, email="glomd@example.se")
        art = h.article(s)
        art_delete = h.article(s, number="DEL-1", name="Utgången artikel")
        a.customer_articles.append(CustomerArticle(kind="service", article=art, quantity=D(1)))
        v = Vehicle(registration_number="QVA123", owner=a, odometer_km=1000)
        v_delete = Vehicle(registration_number="DEL999", odometer_km=10)
        s.add_all([v, v_delete])
        s.flush()
        ids.update(a=a.id, a_name=a.name, a_number=a.customer_number, mine=mine.id, mine_name=mine.name,
                   dup=dup.id, dup_name=dup.name, dup_number=dup.customer_number, deletable=deletable.id,
                   erasable=erasable.id, erasable_name=erasable.name, erasable_number=erasable.customer_number,
                   v=v.id, v_text=v.registration_number, v_delete=v_delete.id,
                   art=art.id, art_text=art.name, art_delete=art_delete.id)
        f = customer_files.add_file(s, a, "gammal.txt", b"gammal", admin, app.config["FILES_DIR"])
        s.flush()
        ids["file"] = f.id

        # sales documents
        order = orders.create_order(s, a, admin, today=today, customer_reference="Ordertext Qvarnby")
        orders.add_line(s, order, "article", article=art, quantity=D(1))
        order_ca = orders.create_order(s, a, admin, today=today)
        ready = orders.create_order(s, a, admin, today=today)
        orders.add_line(s, ready, "article", article=art, quantity=D(1))
        billed = orders.create_order(s, a, admin, today=today)
        orders.add_line(s, billed, "article", article=art, quantity=D(1))
        quote = orders.create_order(s, a, admin, kind="quote", today=today)
        orders.add_line(s, quote, "article", article=art, quantity=D(1))
        quote_delete = orders.create_order(s, a, admin, kind="quote", today=today)
        s.flush()
        ready.status = "ready"
        invoice = invoicing.finalise_invoice(s, billed, admin, today, settings)
        s.flush()
        ids.update(order=order.id, order_text="Ordertext Qvarnby", order_ca=order_ca.id, ready=ready.id,
                   quote=quote.id, quote_delete=quote_delete.id, invoice=invoice.id, invoice_number=invoice.number)
        ids["today"] = today.isoformat()  # a manual voucher's date

        # a removed custom field (restored by settings.manage)
        removed = rc.save_custom_field(s, "customer", "gammalt", "text", "Gammalt fält")
        s.flush()
        rc.remove_custom_field(s, removed.id)
        ids["removed_field"] = removed.id

        # bookings: per kind one to move, one own to a user, one to delete, one issued to
        # return, one issued to cancel, one returned to bill; each on a vehicle of its own
        moved_start, moved_end = now + dt.timedelta(hours=30), now + dt.timedelta(hours=33)
        ids.update(moved_end=moved_end, moved_start_form=moved_start.strftime("%Y-%m-%dT%H:%M"),
                   moved_end_form=moved_end.strftime("%Y-%m-%dT%H:%M"),
                   window_start=(now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
                   window_end=(now + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
        for i, kind in enumerate(KINDS):
            for j, role in enumerate(("move", "own", "delete", "issued", "cancel", "returned")):
                car = Vehicle(registration_number=f"FL{i}{j}", fleet=kind, odometer_km=100)
                s.add(car)
                s.flush()
                past = role in ("issued", "cancel", "returned")
                start = now - dt.timedelta(hours=6) if past else now + dt.timedelta(hours=24)
                booking = booking_rules.create_booking(
                    s, kind, a, {"start_at": start, "end_at": start + dt.timedelta(hours=12 if past else 2),
                                 "vehicle": car}, admin, BOOKING_SETTINGS, now, check_past=False)
                if past:
                    booking.issued_at, booking.issue_odometer = now - dt.timedelta(hours=5), 100
                if role == "returned":
                    booking.returned_at, booking.return_odometer = now - dt.timedelta(hours=1), 180
                ids[f"{kind}_{role}"] = booking.id
            ids[f"{kind}_move_number"] = s.get(Booking, ids[f"{kind}_move"]).number
        # the ledger: VAT booked in March 2021, a period the VAT settlement probe may lock (after
        # the period lock probe's January 2020)
        from services.ledger.vouchers import book_voucher

        book_voucher(s, "M", dt.date(2021, 3, 15), [("1910", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                     "Kontantförsäljning", admin, create_year=True)
        s.add(Resource(kind="staff", name="Tekniker Probesson", staff_number="P1"))
        ids["resource_name"] = "Tekniker Probesson"
        s.commit()
        for kind in KINDS:
            ids[f"{kind}_issued_version"] = s.get(Booking, ids[f"{kind}_issued"]).version
        return ids


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _send(client, probe: Probe, ids: dict, token: str):
    url = _fill(probe.url, ids)
    if probe.method == "GET":
        return client.get(url)
    if probe.json is not None:
        return client.post(url, json=_fill(probe.json, ids), headers={"X-CSRFToken": token})
    data = {**_fill(probe.data or {}, ids), "csrf_token": token}
    if probe.files:
        data.update({k: (io.BytesIO(content), name) for k, (name, content) in probe.files.items()})
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data, follow_redirects=probe.follow)


def _login(client, username):
    page_ = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_from(page_.get_data(as_text=True))})
    assert response.status_code == 302, username
    return csrf_from(client.get("/admin/").get_data(as_text=True), last=False)


def _check(app, client, token, probe: Probe, ids: dict, allowed: bool) -> list[str]:
    with app.app_context():
        before = probe.effect.before(db.session, ids) if isinstance(probe.effect, count) else None
    response = _send(client, probe, ids, token)
    response.get_data()
    response.close()
    run_jobs(app)  # a request that starts a job (an erasure) has its effect once the job ran
    with app.app_context():
        effect = bool(probe.effect(db.session, ids, response, before))
    where = f"{probe.method} {_fill(probe.url, ids)}"
    problems = []
    if allowed:
        if response.status_code not in probe.status:
            problems.append(f"{where}: allowed user got {response.status_code}")
        if not effect:
            problems.append(f"{where}: allowed user's request had no effect ({response.status_code})")
    else:
        if response.status_code not in probe.refused:
            problems.append(f"{where}: refused user got {response.status_code}")
        if effect:
            problems.append(f"{where}: refused user's request had its effect")
    return problems


@pytest.mark.parametrize("right", sorted(PROBES))
def test_this_right_alone_allows_and_every_other_right_refuses(app, admin_user, right):
    probes = PROBES[right]
    implied = set().union(*(p.implied_by for p in probes))
    needs = set().union(*(p.needs for p in probes))
    # "alone": the right and what the page needs; "all but": everything else the table grants
    grants = {r for r in all_rights() if not r.endswith(".own_only")}  # own_only restricts, grants nothing
    alone = {right} | needs
    restricts = probes[0].restricts
    assert all(p.restricts == restricts for p in probes)
    # own_only: with it the probe is refused, with every grant but without it, allowed
    all_but = grants if restricts else grants - {right} - implied
    alone_id = make_user(app, "alone", alone, language="en")
    all_but_id = make_user(app, "allbut", all_but, language="en")
    ids = _world(app, [alone_id, all_but_id])
    problems = []
    order = (("alone", False), ("allbut", True)) if restricts else (("allbut", False), ("alone", True))
    for username, allowed in order:
        client = app.test_client()
        token = _login(client, username)
        for probe in probes:
            problems += [f"{username}: {p}" for p in _check(app, client, token, probe, ids, allowed)]
    assert not problems, "\n".join(problems)
