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
