"""Issue 10 item 10, the booking calendar and the logbook in Chromium (reference 003): paging
while a booking is dragged to the edge, the resource column's width, zoom levels, short
bookings, tooltips inside the window, the vehicle filter and "clear filters", the lock on
confirmed bookings, the paged logbook, "new from template"; axe and both screen sizes."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from models import Booking, Customer, User, Vehicle, db
from services import bookings as rules
from tests.booking_helpers import SETTINGS, drag, next_monday, row_y, world
from tests.browser.conftest import axe, login, shot

pytestmark = pytest.mark.browser


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.fixture
def cal(live_app):
    """The booking world (ABC123, DEF456) and, in next week, a planned booking on ABC123
    (Tuesday 09-15), a confirmed one on DEF456 (Wednesday 10-16) and a short one (Thursday
    10:00-10:30 on ABC123)."""
    monday = next_monday()
    with live_app.app_context():
        w = world(db.session)
        make = lambda vehicle, start, end: rules.create_booking(  # noqa: E731
            db.session, "loaner", w["customer"], {"start_at": start, "end_at": end, "vehicle": vehicle},
            w["advisor"], SETTINGS, rules.wall_clock_now())
        planned = make(w["v1"], at(monday + dt.timedelta(days=1), 9), at(monday + dt.timedelta(days=1), 15))
        confirmed = make(w["v2"], at(monday + dt.timedelta(days=2), 10), at(monday + dt.timedelta(days=2), 16))
        confirmed.confirmed = True
        short = make(w["v1"], at(monday + dt.timedelta(days=3), 10), at(monday + dt.timedelta(days=3), 10, 30))
        db.session.commit()
        return {"monday": monday, "planned": planned.id, "planned_number": planned.number,
                "planned_end": planned.end_at, "confirmed": confirmed.id, "short": short.id,
                "short_number": short.number, "v1": w["v1"].id, "v2": w["v2"].id}


def count_bookings(live_app) -> int:
    with live_app.app_context():
        return db.session.query(Booking).count()


def open_calendar(page, day: dt.date):
    page.goto(f"/admin/bookings/loaner/?date={day.isoformat()}")
    page.wait_for_selector(".ec-event")


def test_new_from_template_opens_the_filled_form(page, live_app, cal):
    """The calendar's context menu and the logbook offer "new from template": it opens the
    new-booking form filled from the booking (003), and nothing is saved until "Spara"."""
    before = count_bookings(live_app)
    login(page)
    open_calendar(page, cal["monday"])
    page.locator(f'.ec-event[data-booking-id="{cal["planned"]}"]').click(button="right")
    item = page.locator('#booking-menu.show a[data-action="template"]')
    item.click()
    page.wait_for_url(f"**/admin/bookings/loaner/new?template={cal['planned']}")
    expect(page.locator("#template-note")).to_contain_text(cal["planned_number"])
    end = cal["planned_end"]
    expect(page.locator("#start_at")).to_have_value(end.strftime("%Y-%m-%dT%H:%M"))
    expect(page.locator("#end_at")).to_have_value((end + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    expect(page.locator("#customer_name")).to_have_value("Anna Kund")
    expect(page.locator("#vehicle")).to_have_value(str(cal["v1"]))
    assert count_bookings(live_app) == before
    shot(page, "bookings-new-from-template")
    page.click("#save-booking")
    page.wait_for_selector("#booking-status")
    assert count_bookings(live_app) == before + 1

    # the logbook's row offers it as well, and it opens the form, not a saved copy
    page.goto("/admin/bookings/logbook/?kind=loaner")
    page.locator(f'tr.logbook-row[data-number="{cal["short_number"]}"] a.logbook-template').click()
    page.wait_for_url(f"**/admin/bookings/loaner/new?template={cal['short']}")
    expect(page.locator("#template-note")).to_contain_text(cal["short_number"])
    assert count_bookings(live_app) == before + 1


def test_logbook_is_paged(page, live_app, cal):
    """The logbook shows a page at a time (here 20 of 25 rows), grouped by vehicle; the
    pager keeps the filters and the next page goes on with the group it broke off."""
    with live_app.app_context():
        from models import Customer, User
        customer = db.session.scalar(db.select(Customer).where(Customer.customer_number == "5001"))
        advisor = db.session.scalar(db.select(User).where(User.username == "advisor"))
        vehicles = [db.session.get(Vehicle, cal["v1"]), db.session.get(Vehicle, cal["v2"])]
        for i in range(22):
            start = at(cal["monday"] + dt.timedelta(days=7 + i // 4), 8 + 2 * (i % 4))
            rules.create_booking(db.session, "loaner", customer, {"start_at": start, "end_at": start + dt.timedelta(hours=1),
                                 "vehicle": vehicles[i % 2]}, advisor, SETTINGS, rules.wall_clock_now())
        db.session.commit()
    login(page)
    page.goto("/admin/bookings/logbook/")
    page.check("#kind-loaner")
    page.select_option("#logbook-per-page", "20")
    page.click("#logbook-refresh")
    expect(page.locator("tr.logbook-row")).to_have_count(20)
    expect(page.locator("#logbook-range")).to_contain_text("1–20 av 25")
    expect(page.locator("tr.logbook-group").first).to_contain_text("ABC123")
    shot(page, "bookings-logbook-paged")
    first_page = page.locator("tr.logbook-row").evaluate_all("rows => rows.map(r => r.dataset.number)")
    page.click("#logbook-next")
    expect(page.locator("tr.logbook-row")).to_have_count(5)
    expect(page.locator("#logbook-range")).to_contain_text("21–25 av 25")
    expect(page.locator("tr.logbook-group")).to_have_count(1)
    expect(page.locator("tr.logbook-group")).to_contain_text("DEF456")
    second_page = page.locator("tr.logbook-row").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert not set(first_page) & set(second_page)
    assert page.is_checked("#kind-loaner") and page.input_value("#logbook-per-page") == "20"
    page.click("#logbook-prev")
    expect(page.locator("tr.logbook-row")).to_have_count(20)
