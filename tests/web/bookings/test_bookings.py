"""Booking screens and JSON endpoints: every right on and off, checked on the server."""
import datetime as dt
import re

import pytest
import time_machine

from models import Booking, BookingBilling, Vehicle, db
from services.bookings import bookings as rules
from tests.booking_helpers import SETTINGS, add_user, rights_for, world
from tests.factories import csrf_from
from tests.card_tabs import opened_card

BASE = "/admin/bookings/loaner"


# the workshop's clock stands still on a Tuesday morning: no test meets midnight, a change of
# minute between two readings, or a summer-time switch, whenever it runs
FROZEN = dt.datetime(2026, 11, 24, 10, 7, 30, tzinfo=rules.TIMEZONE)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(FROZEN, tick=False):
        yield


def future(hours: int) -> dt.datetime:
    return rules.wall_clock_now().replace(minute=0) + dt.timedelta(hours=hours)


@pytest.fixture
def setup(app):
    """World, one planned loaner booking of the advisor, one issued, one returned rental."""
    with app.app_context():
        w = world(db.session)
        now = rules.wall_clock_now()
        planned = rules.create_booking(db.session, "loaner", w["customer"],
                                       {"start_at": future(24), "end_at": future(28), "vehicle": w["v1"]},
                                       w["advisor"], SETTINGS, now)
        issued = rules.create_booking(db.session, "loaner", w["customer"],
                                      {"start_at": now, "end_at": future(30), "vehicle": w["v2"]},
                                      w["advisor"], SETTINGS, now)
        rules.issue_vehicle(db.session, issued, now, None, w["advisor"], SETTINGS, now)
        rental = rules.create_booking(db.session, "rental", w["customer"],
                                      {"start_at": now, "end_at": future(30), "vehicle": w["rental"],
                                       "tariff_model": w["tariff"]}, w["advisor"], SETTINGS, now)
        rules.issue_vehicle(db.session, rental, now, None, w["advisor"], SETTINGS, now)
        rules.return_vehicle(db.session, rental, now, 3100, None, [], None, None, w["advisor"], SETTINGS, now)
        db.session.commit()
        return {"planned": planned.id, "issued": issued.id, "rental": rental.id, "v1": w["v1"].id, "v2": w["v2"].id,
                "customer": w["customer"].id, "tariff": w["tariff"].id}


def login_with(app, client, auth, rights, name="user"):
    with app.app_context():
        add_user(db.session, name, rights)
        db.session.commit()
    auth.login(name)
    page = client.get("/admin/")
    return csrf_from(page.get_data(as_text=True))


def post_json(client, url, token, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": token, "Accept": "application/json"})


def fmt(d):
    return d.strftime("%Y-%m-%dT%H:%M")


# (right, request, status when granted) -- each checked with the right and without it
def r_manager(c, t, s):
    return c.get(f"{BASE}/"), 200


def r_events(c, t, s):
    return c.get(f"{BASE}/events?start=2026-01-01T00:00&end=2026-01-08T00:00"), 200


def r_new(c, t, s):
    return c.get(f"{BASE}/new"), 200


def r_edit(c, t, s):
    return post_json(c, f"{BASE}/{s['planned']}/move", t, {"start": fmt(future(25)), "end": fmt(future(29))}), 200


def r_delete(c, t, s):
    return post_json(c, f"{BASE}/{s['planned']}/delete", t), 200


def r_issue(c, t, s):
    return c.post(f"{BASE}/{s['planned']}/issue", data={"csrf_token": t, "issued_at": fmt(rules.wall_clock_now())}), 302


def r_return(c, t, s):
    return c.post(f"{BASE}/{s['issued']}/return", data={"csrf_token": t, "return_odometer": "2100",
                                                          "returned_at": fmt(rules.wall_clock_now())}), 302


def r_edit_handover(c, t, s):
    return post_json(c, f"{BASE}/{s['issued']}/cancel-issue", t), 200


def r_billing(c, t, s):
    return c.get(f"/admin/bookings/rental/{s['rental']}/billing"), 200


def r_logbook(c, t, s):
    return c.get("/admin/bookings/logbook/"), 200


CASES = [("loaner", "manager", r_manager), ("loaner", "manager", r_events), ("loaner", "new", r_new),
         ("loaner", "edit", r_edit), ("loaner", "delete", r_delete), ("loaner", "issue", r_issue),
         ("loaner", "return", r_return), ("loaner", "edit_handover", r_edit_handover),
         ("rental", "billing", r_billing), ("loaner", "logbook", r_logbook)]


@pytest.mark.parametrize("kind, action, request_", CASES, ids=[f"{c[1]}-{c[2].__name__}" for c in CASES])
@pytest.mark.parametrize("granted", [True, False], ids=["on", "off"])
def test_each_right_on_and_off(app, client, auth, setup, kind, action, request_, granted):
    # "off" holds every other right of the kind, so only the missing one can refuse
    rights = rights_for(kind) if granted else rights_for(kind) - {f"booking_{kind}.{action}"}
    if not granted and action == "manager":
        rights = rights - {f"booking_{kind}.{a}" for a in ("new", "edit", "logbook", "issue", "return")}
    token = login_with(app, client, auth, rights)
    response, ok_status = request_(client, token, setup)
    if granted:
        assert response.status_code == ok_status, response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 403, response.status_code


def test_own_only_refuses_others_bookings(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("loaner") | {"booking_loaner.own_only"})
    before = client.get(f"{BASE}/events?start={fmt(future(0))}&end={fmt(future(200))}").get_json()
    response = post_json(client, f"{BASE}/{setup['planned']}/move", token,
                         {"start": fmt(future(25)), "end": fmt(future(29))})
    assert response.status_code == 403 and "own" in response.get_json()["error"]
    assert not any(e["editable"] for e in before if e["id"] == str(setup["planned"]))
    assert post_json(client, f"{BASE}/{setup['planned']}/delete", token).status_code == 403
    with app.app_context():
        assert db.session.get(Booking, setup["planned"]) is not None


def test_move_json_checks_and_reports(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("loaner"))
    ok = post_json(client, f"{BASE}/{setup['planned']}/move", token,
                   {"start": fmt(future(26)), "end": fmt(future(30)), "resource": f"v{setup['v2']}"})
    assert ok.status_code == 200 and ok.get_json()["ok"]
    with app.app_context():
        booking = db.session.get(Booking, setup["planned"])
        assert booking.vehicle_id == setup["v2"] and booking.start_at == future(26)
    bad = post_json(client, f"{BASE}/{setup['planned']}/move", token, {"start": fmt(future(30)), "end": fmt(future(26))})
    assert bad.status_code == 409 and bad.get_json()["field"] == "end_at"
    confirm = post_json(client, f"{BASE}/{setup['planned']}/confirm", token)
    assert confirm.get_json()["ok"]
    refused = post_json(client, f"{BASE}/{setup['planned']}/move", token, {"start": fmt(future(40)), "end": fmt(future(44))})
    assert refused.status_code == 409 and "confirmed" in refused.get_json()["error"]
    with app.app_context():
        assert db.session.get(Booking, setup["planned"]).start_at == future(26)


def test_issued_vehicle_cannot_change_resource_and_second_issue_refused(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("loaner"))
    moved = post_json(client, f"{BASE}/{setup['issued']}/move", token,
                      {"start": fmt(future(0)), "end": fmt(future(30)), "resource": f"v{setup['v1']}"})
    assert moved.status_code == 409
    # a second booking on the issued vehicle cannot be issued
    with app.app_context():
        other = rules.create_booking(db.session, "loaner", db.session.get(Booking, setup["issued"]).customer,
                                     {"start_at": future(1), "end_at": future(3), "vehicle": db.session.get(Vehicle, setup["v2"])},
                                     db.session.get(Booking, setup["issued"]).advisor, SETTINGS, rules.wall_clock_now())
        db.session.commit()
        other_id = other.id
    response = client.post(f"{BASE}/{other_id}/issue", data={"csrf_token": token, "issued_at": fmt(rules.wall_clock_now())})
    assert response.status_code == 422 and "already issued" in response.get_data(as_text=True)


def test_calendar_feed_and_resources(app, client, auth, setup):
    login_with(app, client, auth, rights_for("loaner"))
    resources = client.get(f"{BASE}/resources").get_json()
    regs = {r["title"]: r["extendedProps"] for r in resources}
    assert set(regs) == {"ABC123", "DEF456"}
    assert regs["ABC123"]["notes"] == ["Repa på dörren"] and regs["ABC123"]["free"] and not regs["DEF456"]["free"]
    events = client.get(f"{BASE}/events?start={fmt(future(-48))}&end={fmt(future(200))}").get_json()
    statuses = {e["id"]: e["extendedProps"]["status"] for e in events}
    assert statuses == {str(setup["planned"]): "planned", str(setup["issued"]): "issued"}
    with app.app_context():  # the set-up ran on the frozen clock too
        assert db.session.get(Booking, setup["issued"]).issued_at == FROZEN.replace(tzinfo=None, second=0)
    assert client.get(f"{BASE}/events?start=x&end=y").status_code == 400


def test_create_from_form_with_errors_next_to_field(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("loaner"))
    data = {"csrf_token": token, "customer_id": str(setup["customer"]), "customer_name": "Anna Kund",
            "driver_type": "customer", "start_at": fmt(future(50)), "end_at": fmt(future(48)), "vehicle": str(setup["v1"])}
    bad = client.post(f"{BASE}/new", data=data)
    assert bad.status_code == 422 and 'data-field="end_at"' in bad.get_data(as_text=True)
    with app.app_context():
        count = db.session.query(Booking).count()
    data["end_at"] = fmt(future(52))
    ok = client.post(f"{BASE}/new", data=data)
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.query(Booking).count() == count + 1


def test_billing_creates_record_once(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("rental") | rights_for("test_drive"))
    url = f"/admin/bookings/rental/{setup['rental']}/billing"
    page = client.post(url, data={"csrf_token": token, "tariff_model": str(setup["tariff"]), "days": "2",
                                  "km_driven": "300", "action": "calculate", "include_remark": "on"})
    text = page.get_data(as_text=True).replace("\xa0", " ")
    # the user reads English: 2 × 450; (300 - 200) km × 2.50
    assert "900.00 kr" in text and "250.00 kr" in text and "1,150.00 kr" in text
    done = client.post(url, data={"csrf_token": token, "tariff_model": str(setup["tariff"]), "days": "2",
                                  "km_driven": "300", "action": "bill", "include_remark": "on"})
    assert done.status_code == 302
    again = client.post(url, data={"csrf_token": token, "tariff_model": str(setup["tariff"]), "days": "2",
                                   "km_driven": "300", "action": "bill"})
    assert "already billed" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(BookingBilling).count() == 1
    assert client.get(f"/admin/bookings/test_drive/{setup['rental']}/billing").status_code == 404


def test_prints_and_logbook_downloads(app, client, auth, setup):
    login_with(app, client, auth, rights_for("loaner") | rights_for("rental"))
    pdf = client.get(f"{BASE}/{setup['issued']}/print/contract")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"{BASE}/{setup['planned']}/print/confirmation").data.startswith(b"%PDF")
    refused = client.get(f"{BASE}/{setup['planned']}/print/return")
    assert refused.status_code == 302
    assert client.get("/admin/bookings/rental/%d/print/return" % setup["rental"]).data.startswith(b"%PDF")
    log_pdf = client.get("/admin/bookings/logbook/export.pdf")
    assert log_pdf.status_code == 200 and log_pdf.data.startswith(b"%PDF")
    xlsx = client.get("/admin/bookings/logbook/export.xlsx?kind=rental")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    page = client.get("/admin/bookings/logbook/?q=Anna&kind=loaner").get_data(as_text=True)
    numbers = re.findall(r'data-number="(\d+)"', page)
    assert len(numbers) == 2


def test_settings_page_needs_settings_right(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("loaner"))
    assert client.get("/admin/bookings/settings/").status_code == 403
    assert client.post("/admin/bookings/settings/", data={"csrf_token": token}).status_code == 403


def test_settings_page_saves(app, client, auth, admin_user):
    auth.login("admin")
    token = auth.token("/admin/bookings/settings/")
    bad = client.post("/admin/bookings/settings/", data={"csrf_token": token, "booking.issue_days_before_pickup": "x",
                                                         "booking.max_hours_in_past": "24", "booking.colour_planned": "#112233",
                                                         "booking.colour_overdue": "#112233", "booking.colour_done": "#112233"})
    assert "Ange ett heltal från 0 till 365." in bad.get_data(as_text=True)
    ok = client.post("/admin/bookings/settings/", data={"csrf_token": token, "booking.issue_days_before_pickup": "2",
                                                        "booking.issue_hours_before_start": "3",
                                                        "booking.max_hours_in_past": "24", "booking.colour_planned": "#112233",
                                                        "booking.colour_overdue": "#112233", "booking.colour_done": "#112233",
                                                        "booking.resource_two_lines": "on"})
    assert ok.status_code == 302
    with app.app_context():
        from services.platform.settings import load_settings

        s = load_settings(db.session)
        assert s["booking.issue_days_before_pickup"] == 2 and s["booking.resource_two_lines"] is True
        assert s["booking.issue_hours_before_start"] == 3
        assert s["booking.update_vehicle_reservation"] is False


def test_customer_card_bookings_tab(app, client, auth, setup):
    login_with(app, client, auth, rights_for("loaner") | {"customer.view"})
    page = opened_card(client, setup['customer'])
    assert 'id="tab-bookings"' in page and 'id="new-booking-loaner"' in page
    assert 'id="new-booking-rental"' not in page  # no rental rights
    with app.app_context():
        numbers = [b.number for b in db.session.query(Booking).filter_by(kind="loaner")]
    assert all(n in page for n in numbers)
    new = client.get(f"{BASE}/new?customer={setup['customer']}").get_data(as_text=True)
    assert 'value="Anna Kund"' in new


def test_billing_goes_to_a_new_or_an_open_order(app, client, auth, setup):
    from models import Order

    token = login_with(app, client, auth, rights_for("rental"))
    url = f"/admin/bookings/rental/{setup['rental']}/billing"
    data = {"csrf_token": token, "tariff_model": str(setup["tariff"]), "days": "1", "km_driven": "100",
            "action": "bill", "include_remark": "on"}
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        billing = db.session.query(BookingBilling).one()
        order = db.session.get(Order, billing.order_id)
        assert order is not None and order.customer_id == setup["customer"]
        texts = [line.text for line in order.lines]
        assert any("Standard" in t for t in texts)
        # a second rental booking of the same customer is added to that open order
        w_customer = order.customer
        from models import Vehicle

        now = rules.wall_clock_now()
        second = rules.create_booking(db.session, "rental", w_customer, {"start_at": now, "end_at": future(5),
                                      "vehicle": db.session.query(Vehicle).filter_by(fleet="rental").one()},
                                      db.session.get(Booking, setup["rental"]).advisor, SETTINGS, now)
        rules.issue_vehicle(db.session, second, now, None, second.advisor, SETTINGS, now)
        rules.return_vehicle(db.session, second, now, 3200, None, [], None, None, second.advisor, SETTINGS, now)
        db.session.commit()
        second_id, order_id, lines_before = second.id, order.id, len(order.lines)
    data["order"] = str(order_id)
    assert client.post(f"/admin/bookings/rental/{second_id}/billing", data=data).status_code == 302
    with app.app_context():
        assert db.session.query(Order).count() == 1
        assert len(db.session.get(Order, order_id).lines) > lines_before
        assert db.session.query(BookingBilling).filter_by(booking_id=second_id).one().order_id == order_id


def test_return_confirmation_pdf_carries_the_signature(app, client, auth, setup):
    import base64

    login_with(app, client, auth, rights_for("loaner"))
    token = csrf_from(client.get(f"{BASE}/{setup['issued']}/return").get_data(as_text=True))
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
    saved = client.post(f"{BASE}/{setup['issued']}/return", data={
        "csrf_token": token, "return_odometer": "2050", "returned_at": fmt(rules.wall_clock_now()),
        "signature": "data:image/png;base64," + base64.b64encode(png).decode()})
    assert saved.status_code == 302
    assert client.get(f"{BASE}/{setup['issued']}/signature.png").data == png
    pdf = client.get(f"{BASE}/{setup['issued']}/print/return").data
    assert pdf.startswith(b"%PDF") and b"/Image" in pdf
    # signed: a user without "edit handover" cannot change it any more
    auth.logout()
    token = login_with(app, client, auth, rights_for("loaner") - {"booking_loaner.edit_handover"}, name="returner")
    again = client.post(f"{BASE}/{setup['issued']}/return", data={"csrf_token": token, "return_odometer": "2060"})
    assert again.status_code == 403


def test_context_menu_follows_status_and_rights(app, client, auth, setup):
    login_with(app, client, auth, rights_for("loaner") - {"booking_loaner.edit_handover"})
    planned = client.get(f"{BASE}/{setup['planned']}/menu").get_json()
    assert planned["status"] == "planned"
    assert {"open", "confirm", "issue", "template", "delete", "print_confirmation"} <= set(planned["actions"])
    assert not {"return", "edit_return", "cancel_issue", "billing", "print_return"} & set(planned["actions"])
    issued = client.get(f"{BASE}/{setup['issued']}/menu").get_json()
    assert "return" in issued["actions"] and "issue" not in issued["actions"]
    assert "cancel_issue" not in issued["actions"] and "edit_issue" not in issued["actions"]  # no edit handover
    assert "delete" not in issued["actions"]
    assert client.get(f"/admin/bookings/rental/{setup['rental']}/menu").status_code == 403  # no rental rights


# --- issue 9 items 8 and 9 ------------------------------------------------------------------

def form_values(html: str, form_id: str) -> dict:
    """The named inputs of one form on the page (what the browser would send back)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S).group(0)
    values = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            values[name.group(1)] = value.group(1) if value else ""
    return values


def test_an_old_issue_form_does_not_overwrite_the_first_issue(app, client, auth, setup):
    """Issue 9 item 8b: the issue form of a planned booking, sent after someone else issued
    it (another user, tab or an old open form), is refused with a message; the first issue's
    time and odometer stay (it used to be saved over them as an "edit issue")."""
    login_with(app, client, auth, rights_for("loaner"))
    page = client.get(f"{BASE}/{setup['planned']}/issue").get_data(as_text=True)
    data = form_values(page, "issue-form")
    assert data["mode"] == "issue" and data["version"]
    with app.app_context():
        booking = db.session.get(Booking, setup["planned"])
        first_time = rules.wall_clock_now()
        rules.issue_vehicle(db.session, booking, first_time, 1500, booking.advisor, SETTINGS, first_time)
        db.session.commit()
    data.update(issued_at=fmt(rules.wall_clock_now()), issue_odometer="1700")
    response = client.post(f"{BASE}/{setup['planned']}/issue", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="form-error"' in text
    assert "The vehicle was already issued on this booking (" in text
    with app.app_context():
        stored = db.session.get(Booking, setup["planned"])
        assert stored.issued_at == first_time and stored.issue_odometer == 1500


def test_editing_a_return_into_a_later_issue_is_refused(app, client, auth, setup):
    """Issue 9 item 8a: the "edit return" form runs the overlap check: a return moved into the
    next issue of the vehicle is refused next to the field, naming the booking still out."""
    with app.app_context():
        advisor = db.session.get(Booking, setup["issued"]).advisor
        customer = db.session.get(Booking, setup["issued"]).customer
        v1 = db.session.get(Vehicle, setup["v1"])
        now = rules.wall_clock_now()
        first = rules.create_booking(db.session, "loaner", customer, {"start_at": now - dt.timedelta(hours=4),
                                     "end_at": now - dt.timedelta(hours=1), "vehicle": v1}, advisor, SETTINGS, now)
        rules.issue_vehicle(db.session, first, now - dt.timedelta(hours=4), None, advisor, SETTINGS, now)
        rules.return_vehicle(db.session, first, now - dt.timedelta(hours=3), 1100, None, [], None, None, advisor,
                             SETTINGS, now)
        second = rules.create_booking(db.session, "loaner", customer, {"start_at": now - dt.timedelta(hours=2),
                                      "end_at": now + dt.timedelta(hours=2), "vehicle": v1}, advisor, SETTINGS, now)
        rules.issue_vehicle(db.session, second, now - dt.timedelta(hours=2), None, advisor, SETTINGS, now)
        db.session.commit()
        first_id, second_number, returned = first.id, second.number, first.returned_at
    login_with(app, client, auth, rights_for("loaner"))
    page = client.get(f"{BASE}/{first_id}/return").get_data(as_text=True)
    data = form_values(page, "return-form")
    assert data["mode"] == "edit"
    data.update(returned_at=fmt(now - dt.timedelta(hours=1)), return_odometer="1100", action="save")
    response = client.post(f"{BASE}/{first_id}/return", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-field="returned_at"' in text and second_number in text
    with app.app_context():
        assert db.session.get(Booking, first_id).returned_at == returned


def test_an_unsigned_return_is_edited_only_with_edit_handover(app, client, auth, setup):
    """Issue 9 item 8c: without "edit handover" the saved (unsigned) return is neither offered
    for editing nor changed by a POST."""
    token = login_with(app, client, auth, rights_for("rental") - {"booking_rental.edit_handover"})
    menu = client.get(f"/admin/bookings/rental/{setup['rental']}/menu").get_json()
    assert menu["status"] == "returned" and "edit_return" not in menu["actions"]
    page = client.get(f"/admin/bookings/rental/{setup['rental']}/return").get_data(as_text=True)
    assert 'id="return-locked"' in page
    response = client.post(f"/admin/bookings/rental/{setup['rental']}/return",
                           data={"csrf_token": token, "mode": "edit", "return_odometer": "3300",
                                 "returned_at": fmt(rules.wall_clock_now())})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Booking, setup["rental"]).return_odometer == 3100


def test_back_dated_issue_is_refused_next_to_the_field(app, client, auth, setup):
    """Issue 9 item 8d: the issue form refuses a time far before the booking's start."""
    token = login_with(app, client, auth, rights_for("loaner"))
    response = client.post(f"{BASE}/{setup['planned']}/issue",
                           data={"csrf_token": token, "mode": "issue", "issued_at": "2020-01-01T08:00"})
    assert response.status_code == 422 and 'data-field="issued_at"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, setup["planned"]).issued_at is None


def test_logbook_info_panel_shows_the_selected_booking(app, client, auth, setup):
    """Issue 9 item 9: /admin/bookings/logbook/?selected=N answered 500 ("got multiple values
    for keyword argument 'selected'"); it shows the panel of booking N, and the row links keep
    every chosen kind."""
    login_with(app, client, auth, rights_for("loaner") | rights_for("rental"))
    with app.app_context():
        issued = db.session.get(Booking, setup["issued"])
        number, vehicle = issued.number, issued.vehicle.registration_number
        rental_number = db.session.get(Booking, setup["rental"]).number
    response = client.get(f"/admin/bookings/logbook/?kind=loaner&kind=rental&selected={setup['issued']}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    panel = re.search(r'<div class="card" id="logbook-detail">.*?</dl>', text, re.S).group(0)
    assert number in panel and vehicle in panel and rental_number not in panel
    assert re.search(rf'<tr class="logbook-row table-active" data-number="{number}"', text)
    links = re.findall(r'href="(/admin/bookings/logbook/\?[^"]*selected=[^"]*)"', text)
    assert links and all(link.count("selected=") == 1 and "kind=loaner" in link and "kind=rental" in link
                         for link in links)
    # a booking of a kind not chosen is not shown
    other = client.get(f"/admin/bookings/logbook/?kind=loaner&selected={setup['rental']}")
    assert other.status_code == 200 and 'id="logbook-detail"' not in other.get_data(as_text=True)


# --- issue 10 item 10: new from template opens a filled form ----------------------------------

def test_new_from_template_opens_a_filled_form_and_saves_nothing(app, client, auth, setup):
    """003 "Neu mit Vorlage": the menu's item opens the new-booking form with the template's
    data from its end for half an hour; only the user's "Spara" makes the booking (an earlier
    version saved the copy at once)."""
    token = login_with(app, client, auth, rights_for("loaner"))
    with app.app_context():
        template = db.session.get(Booking, setup["planned"])
        template.remark, template.licence_checked = "Barnstol", True
        db.session.commit()
        count, end, number = db.session.query(Booking).count(), template.end_at, template.number
    menu = client.get(f"{BASE}/{setup['planned']}/menu").get_json()
    assert menu["urls"]["template"] == f"{BASE}/new?template={setup['planned']}"
    page = client.get(menu["urls"]["template"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="template-note"' in html and number in html
    values = form_values(html, "booking-form")
    assert values["start_at"] == fmt(end) and values["end_at"] == fmt(end + dt.timedelta(minutes=30))
    assert values["customer_name"] == "Anna Kund" and re.search(r'name="remark"[^>]*>Barnstol</textarea>', html)
    assert values["customer_id"] == str(setup["customer"])
    assert re.search(r'id="licence_checked"\s*>', html)  # not taken over (003)
    assert re.search(rf'<option value="{setup["v1"]}" selected', html)
    with app.app_context():
        assert db.session.query(Booking).count() == count
    # the old one-click copy is gone
    assert client.post(f"{BASE}/{setup['planned']}/template", data={"csrf_token": token}).status_code in (404, 405)
    # saving the form is what makes the copy
    values.update(csrf_token=token, vehicle=str(setup["v1"]), remark="Barnstol", action="save")
    saved = client.post(f"{BASE}/new?template={setup['planned']}", data=values)
    assert saved.status_code == 302
    with app.app_context():
        copy = db.session.query(Booking).order_by(Booking.id.desc()).first()
        assert db.session.query(Booking).count() == count + 1 and copy.number != number
        assert copy.remark == "Barnstol" and copy.start_at == end and not copy.licence_checked


def test_a_template_of_another_kind_or_unknown_is_not_found(app, client, auth, setup):
    login_with(app, client, auth, rights_for("loaner") | rights_for("rental"))
    assert client.get(f"{BASE}/new?template={setup['rental']}").status_code == 404
    assert client.get(f"{BASE}/new?template=999999").status_code == 404
    assert client.get(f"/admin/bookings/rental/new?template={setup['rental']}").status_code == 200


def test_return_save_and_new_opens_the_filled_form(app, client, auth, setup):
    token = login_with(app, client, auth, rights_for("loaner"))
    with app.app_context():
        count = db.session.query(Booking).count()
    saved = client.post(f"{BASE}/{setup['issued']}/return", data={
        "csrf_token": token, "return_odometer": "2100", "returned_at": fmt(rules.wall_clock_now()),
        "mode": "return", "action": "save_new"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{BASE}/new?template={setup['issued']}")
    with app.app_context():
        assert db.session.query(Booking).count() == count
        assert db.session.get(Booking, setup["issued"]).returned_at is not None


# --- issue 10 item 10: the logbook is paged; its PDF shows the grouping --------------------------

@pytest.fixture
def many(app, setup):
    """24 more loaner bookings, alternating ABC123 and DEF456 (26 loaners with setup's two)."""
    with app.app_context():
        from models import Customer, User
        customer, advisor = db.session.get(Customer, setup["customer"]), db.session.scalar(
            db.select(User).where(User.username == "advisor"))
        vehicles = [db.session.get(Vehicle, setup["v1"]), db.session.get(Vehicle, setup["v2"])]
        for i in range(24):
            rules.create_booking(db.session, "loaner", customer,
                                 {"start_at": future(40 + 3 * i), "end_at": future(41 + 3 * i), "vehicle": vehicles[i % 2]},
                                 advisor, SETTINGS, rules.wall_clock_now())
        db.session.commit()
        rows = db.session.scalars(db.select(Booking).where(Booking.kind == "loaner")).all()
        order = sorted(rows, key=lambda b: (b.vehicle.registration_number, -b.start_at.timestamp(), -b.id))
        return [(b.number, b.vehicle.registration_number) for b in order]


def test_logbook_is_paged_in_group_order(app, client, auth, many):
    login_with(app, client, auth, rights_for("loaner"))
    first = client.get("/admin/bookings/logbook/?kind=loaner&per_page=20").get_data(as_text=True)
    second = client.get("/admin/bookings/logbook/?kind=loaner&per_page=20&page=2").get_data(as_text=True)
    numbers = lambda html: re.findall(r'data-number="(\d+)"', html)  # noqa: E731
    groups = lambda html: re.findall(r'<tr class="table-secondary logbook-group"><th[^>]*>(\w+)', html)  # noqa: E731
    assert numbers(first) == [n for n, _r in many[:20]]
    assert numbers(second) == [n for n, _r in many[20:]]
    assert groups(first) == ["ABC123", "DEF456"]
    # the page starts with the heading of the group it continues
    assert groups(second) == ["DEF456"]
    assert len(many) == 26 and "1–20 of 26" in first and "21–26 of 26" in second
    # the links keep the filters; a page past the end shows the last one
    assert re.search(r'id="logbook-next" href="[^"]*page=2[^"]*"', first)
    assert "kind=loaner" in re.search(r'id="logbook-next" href="([^"]*)"', first).group(1)
    past = client.get("/admin/bookings/logbook/?kind=loaner&per_page=20&page=9").get_data(as_text=True)
    assert numbers(past) == numbers(second)
    # an unknown page size falls back to 50: all on one page
    assert len(numbers(client.get("/admin/bookings/logbook/?kind=loaner&per_page=7").get_data(as_text=True))) == 26


def test_logbook_pdf_shows_the_grouping(app, client, auth, many):
    import io

    from pypdf import PdfReader

    login_with(app, client, auth, rights_for("loaner"))
    pdf = client.get("/admin/bookings/logbook/export.pdf?kind=loaner")
    assert pdf.status_code == 200
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "logbook-grouped.pdf").write_bytes(pdf.data)  # to look at
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    heads = [text.index("ABC123 V60"), text.index("DEF456 XC40")]
    assert heads[0] < heads[1]
    per_group = {"ABC123": 0, "DEF456": 0}
    for number, registration in many:
        where = text.index(number)
        assert (where > heads[1]) == (registration == "DEF456"), number
        per_group[registration] += 1
    assert f"{per_group['ABC123']} bookings · 0 km" in text and f"{per_group['DEF456']} bookings · 0 km" in text
    assert "Group by vehicle" in text
    by_plate = client.get("/admin/bookings/logbook/export.pdf?kind=loaner&group=plate")
    plate_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(by_plate.data)).pages)
    assert "Group by registration / trade plate" in plate_text


def test_booking_text_is_readable_on_its_colour(app, client, auth, setup):
    """Each booking's text colour is worked out from its (user-chosen) colour: black on light,
    white on dark (WCAG contrast), so no booking's number is unreadable (axe in the browser)."""
    login_with(app, client, auth, rights_for("loaner"))
    with app.app_context():
        db.session.get(Booking, setup["planned"]).colour = "#1b1f3a"
        db.session.commit()
    start, end = fmt(future(-48)), fmt(future(24 * 6))
    events = {int(e["id"]): e for e in client.get(f"{BASE}/events?start={start}&end={end}").get_json()}
    assert events[setup["planned"]]["backgroundColor"] == "#1b1f3a" and events[setup["planned"]]["textColor"] == "#ffffff"
    with app.app_context():
        db.session.get(Booking, setup["planned"]).colour = "#ffe08a"
        db.session.commit()
    events = {int(e["id"]): e for e in client.get(f"{BASE}/events?start={start}&end={end}").get_json()}
    assert events[setup["planned"]]["textColor"] == "#000000"
