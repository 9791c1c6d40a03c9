"""Issue 10 item 10, the booking calendar and the logbook in Chromium (reference 003): paging
while a booking is dragged to the edge, the resource column's width, zoom levels, short
bookings, tooltips inside the window, the vehicle filter and "clear filters", the lock on
confirmed bookings, the paged logbook, "new from template"; axe and both screen sizes."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from models import Booking, Customer, User, Vehicle, db
from services.bookings import bookings as rules
from tests.booking_helpers import SETTINGS, drag, next_monday, row_y, world
from tests.browser.conftest import axe, login, shot

pytestmark = pytest.mark.browser


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.fixture
def cal(live_app):
    """The booking world (ABC123, DEF456) and, in next week, a planned booking on ABC123
    (Tuesday 09-15), a confirmed one on DEF456 (Wednesday 10-16), a short one (Thursday
    10:00-10:30 on ABC123) and a late one at the week's end (Sunday 20:00-23:30 on DEF456)."""
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
        late = make(w["v2"], at(monday + dt.timedelta(days=6), 20), at(monday + dt.timedelta(days=6), 23, 30))
        db.session.commit()
        return {"monday": monday, "planned": planned.id, "planned_number": planned.number,
                "planned_end": planned.end_at, "confirmed": confirmed.id, "short": short.id,
                "short_number": short.number, "late": late.id, "v1": w["v1"].id, "v2": w["v2"].id}


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
    """The logbook shows a page at a time (here 20 of 26 rows), grouped by vehicle; the
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
    expect(page.locator("#logbook-range")).to_contain_text("1–20 av 26")
    expect(page.locator("tr.logbook-group").first).to_contain_text("ABC123")
    shot(page, "bookings-logbook-paged")
    first_page = page.locator("tr.logbook-row").evaluate_all("rows => rows.map(r => r.dataset.number)")
    page.click("#logbook-next")
    expect(page.locator("tr.logbook-row")).to_have_count(6)
    expect(page.locator("#logbook-range")).to_contain_text("21–26 av 26")
    expect(page.locator("tr.logbook-group")).to_have_count(1)
    expect(page.locator("tr.logbook-group")).to_contain_text("DEF456")
    second_page = page.locator("tr.logbook-row").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert not set(first_page) & set(second_page)
    assert page.is_checked("#kind-loaner") and page.input_value("#logbook-per-page") == "20"
    page.click("#logbook-prev")
    expect(page.locator("tr.logbook-row")).to_have_count(20)


def main_box(page) -> dict:
    return page.evaluate("""() => { const m = document.querySelector('.ec-main');
        return {scrollWidth: m.scrollWidth, clientWidth: m.clientWidth, slots: document.querySelectorAll('.ec-header .ec-slot').length}; }""")


def test_dragging_a_booking_to_the_edge_pages_the_view(page, live_app, cal):
    """003: the calendar turns to the next period when a dragged booking rests at its edge,
    and the booking is saved in the period it was dropped in."""
    login(page)
    open_calendar(page, cal["monday"])
    title = page.locator(".ec-title")
    first_title = title.inner_text()
    event = page.locator(f'.ec-event[data-booking-id="{cal["planned"]}"]')
    box, main = event.bounding_box(), page.locator(".ec-main").bounding_box()
    x, y = box["x"] + 10, box["y"] + box["height"] / 2
    edge = main["x"] + main["width"] - 8
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + (edge - x) * i / 10, y)
    # resting at the right edge turns the page (and only then: no click on "next")
    expect(page.locator("#booking-calendar.paging-next")).to_have_count(1)
    expect(title).not_to_have_text(first_title)
    next_monday_ = cal["monday"] + dt.timedelta(days=7)
    expect(page.locator(f'.ec-col-head time[datetime="{next_monday_.isoformat()}"]')).to_have_count(1)
    shot(page, "bookings-drag-paged")
    # back from the edge into the new week and drop: saved a week (or more) later
    page.mouse.move(edge - 300, y)
    page.mouse.move(edge - 320, y)
    with page.expect_response(lambda r: r.url.endswith(f"/{cal['planned']}/move")) as moved:
        page.mouse.up()
    assert moved.value.json()["ok"] is True
    with live_app.app_context():
        booking = db.session.get(Booking, cal["planned"])
        assert booking.start_at.date() >= next_monday_ and booking.end_at - booking.start_at == dt.timedelta(hours=6)
    expect(page.locator(f'.ec-event[data-booking-id="{cal["planned"]}"]')).to_have_count(1)


def test_resource_column_resizes_and_keeps_its_width(page, live_app, cal):
    login(page)
    open_calendar(page, cal["monday"])
    sidebar = page.locator(".ec-body .ec-sidebar")
    before = sidebar.bounding_box()["width"]
    handle = page.locator(".resource-resizer")
    hb = handle.bounding_box()
    x, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    drag(page, x, y, x + 80, y)
    after = sidebar.bounding_box()["width"]
    assert abs(after - (before + 80)) <= 3
    # the slots are fitted to what is left (3-hour slots still fit the week)
    page.wait_for_function("() => { const m = document.querySelector('.ec-main'); return m.scrollWidth <= m.clientWidth + 1; }")
    shot(page, "bookings-resource-column-wide")
    page.reload()
    page.wait_for_selector(".ec-event")
    expect(page.locator(".resource-resizer")).to_have_attribute("aria-valuenow", str(round(after)))
    assert abs(page.locator(".ec-body .ec-sidebar").bounding_box()["width"] - after) <= 2
    # the keyboard works the same edge
    page.focus(".resource-resizer")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert abs(page.locator(".ec-body .ec-sidebar").bounding_box()["width"] - (after - 32)) <= 2


def test_zoom_levels_fit_the_week_and_are_kept(page, browser, live_app, cal):
    login(page)
    open_calendar(page, cal["monday"])
    # 3-hour slots by default: the whole week fits the screen at 1400 px
    expect(page.locator("button.ec-zoom3.ec-active")).to_have_count(1)
    week = main_box(page)
    assert week["slots"] == 7 * 8 and week["scrollWidth"] <= week["clientWidth"] + 1
    page.click("button.ec-zoom6")
    expect(page.locator(".ec-header .ec-slot")).to_have_count(7 * 4)
    assert main_box(page)["scrollWidth"] <= main_box(page)["clientWidth"] + 1
    shot(page, "bookings-zoom-6h")
    with page.expect_response("**/preferences/calendar-zoom") as saved:
        page.click("button.ec-zoom1")
    assert saved.value.json() == {"ok": True, "value": 1}
    expect(page.locator(".ec-header .ec-slot")).to_have_count(7 * 24)
    hourly = main_box(page)
    assert hourly["scrollWidth"] > hourly["clientWidth"]  # an hour per slot scrolls inside the calendar
    page.reload()
    page.wait_for_selector(".ec-event")
    expect(page.locator("button.ec-zoom1.ec-active")).to_have_count(1)
    expect(page.locator(".ec-header .ec-slot")).to_have_count(7 * 24)
    # kept for the user, not for the browser: another browser (nothing in its storage) shows the
    # user's hour slots, another user in this browser the default 3 hours
    other = browser.new_context(base_url=page.url.split("/admin")[0], locale="sv-SE",
                                viewport={"width": 1400, "height": 900})
    try:
        elsewhere = other.new_page()
        login(elsewhere)
        open_calendar(elsewhere, cal["monday"])
        expect(elsewhere.locator("button.ec-zoom1.ec-active")).to_have_count(1)
    finally:
        other.close()
    page.click("#user-menu")
    page.click("#logout")
    login(page, "advisor")
    open_calendar(page, cal["monday"])
    expect(page.locator("button.ec-zoom3.ec-active")).to_have_count(1)
    page.click("#user-menu")
    page.click("#logout")
    login(page)
    open_calendar(page, cal["monday"])
    # the day and month views keep their own slots
    page.click("button.ec-resourceTimelineDay")
    expect(page.locator(".ec-header .ec-slot")).to_have_count(24)  # half hours, labelled hourly
    page.wait_for_function("bookingCalendar.getOption('slotDuration').seconds === 1800")
    expect(page.locator("button.ec-zoom1.ec-active")).to_have_count(0)


def test_short_bookings_read_and_tooltips_stay_inside(page, live_app, cal):
    login(page)
    open_calendar(page, cal["monday"])
    short = page.locator(f'.ec-event[data-booking-id="{cal["short"]}"]')
    number = short.locator(".booking-number")
    expect(number).to_have_text(cal["short_number"])
    # half an hour is under 5 px in 3-hour slots: the bar is as wide as its number, which is whole
    assert number.evaluate("n => n.scrollWidth <= n.clientWidth + 1 && n.getBoundingClientRect().right <= n.closest('.ec-event').getBoundingClientRect().right + 1")
    assert short.bounding_box()["width"] >= number.bounding_box()["width"]
    # the booking at the week's very end is drawn leftwards from its end: its number is whole
    late = page.locator(f'.ec-event[data-booking-id="{cal["late"]}"]')
    page.wait_for_function("""id => { const bar = document.querySelector(`.ec-event[data-booking-id="${id}"]`);
        const row = bar.closest('.ec-events').getBoundingClientRect();
        const n = bar.querySelector('.booking-number').getBoundingClientRect();
        return n.right <= row.right + 0.5 && bar.getBoundingClientRect().right <= row.right + 0.5; }""", arg=cal["late"])
    # its tooltip opens to the left, inside the window
    lb = late.bounding_box()
    page.mouse.move(lb["x"] + 4, lb["y"] + lb["height"] / 2)
    assert lb["x"] + 4 + 12 + 150 > 1400  # a tooltip opened to the right would run out
    tooltip = page.locator("#booking-tooltip")
    expect(tooltip).to_be_visible()
    tb = tooltip.bounding_box()
    assert tb["x"] >= 0 and tb["x"] + tb["width"] <= 1400 and tb["y"] + tb["height"] <= 900
    shot(page, "bookings-tooltip-right-edge")
    # and at the bottom of a short window it opens upwards
    page.set_viewport_size({"width": 1400, "height": int(lb["y"] + lb["height"] + 20)})
    page.mouse.move(lb["x"] + 4, lb["y"] + lb["height"] - 2)
    expect(tooltip).to_be_visible()
    tb = tooltip.bounding_box()
    assert tb["y"] >= 0 and tb["y"] + tb["height"] <= lb["y"] + lb["height"] + 20


def test_vehicle_filter_is_searchable_and_filters_clear(page, live_app, cal):
    login(page)
    open_calendar(page, cal["monday"])
    expect(page.locator(".resource-label")).to_have_count(2)
    clear = page.locator("#clear-filters")
    expect(clear).to_be_disabled()
    page.click("#f-vehicle-toggle")
    page.fill("#f-vehicle-search", "def 4")
    expect(page.locator("#f-vehicle-options .vehicle-option:visible")).to_have_count(1)
    expect(page.locator("#f-vehicle-options .vehicle-option:visible")).to_contain_text("DEF456")
    page.fill("#f-vehicle-search", "xc40")  # the model is searched as well
    expect(page.locator("#f-vehicle-options .vehicle-option:visible")).to_contain_text("DEF456")
    page.press("#f-vehicle-search", "Enter")
    expect(page.locator(f"#fv-{cal['v2']}")).to_be_checked()
    expect(page.locator(".resource-label")).to_have_count(1)
    expect(page.locator(".resource-label")).to_contain_text("DEF456")
    expect(page.locator("#f-vehicle-summary")).to_contain_text("1")
    page.fill("#f-vehicle-search", "zzz")
    expect(page.locator("#f-vehicle-none")).to_be_visible()
    shot(page, "bookings-vehicle-filter")
    page.keyboard.press("Escape")
    page.select_option("#f-category", index=0)
    expect(clear).to_be_enabled()
    clear.click()
    expect(page.locator(".resource-label")).to_have_count(2)
    expect(page.locator(f"#fv-{cal['v2']}")).not_to_be_checked()
    expect(clear).to_be_disabled()
    expect(page.locator("#f-vehicle-search")).to_have_value("")


def test_confirmed_bookings_show_a_lock(page, live_app, cal):
    login(page)
    open_calendar(page, cal["monday"])
    confirmed = page.locator(f'.ec-event[data-booking-id="{cal["confirmed"]}"]')
    expect(confirmed.locator(".booking-lock")).to_have_count(1)
    expect(confirmed.locator(".sr-only")).to_have_text("Bekräftad: låst mot flytt: ")
    expect(page.locator(f'.ec-event[data-booking-id="{cal["planned"]}"] .booking-lock')).to_have_count(0)
    confirmed.hover()
    expect(page.locator("#booking-tooltip")).to_contain_text("låst mot flytt")


@pytest.mark.parametrize("width,height", [(1400, 900), (768, 1024)])
def test_calendar_is_accessible_and_fits_the_screen(page, live_app, cal, width, height):
    page.set_viewport_size({"width": width, "height": height})
    login(page)
    open_calendar(page, cal["monday"])
    page.wait_for_selector(".resource-resizer")
    assert axe(page) == []
    # the page never scrolls sideways: the calendar scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    box = main_box(page)
    if width == 768:
        assert box["scrollWidth"] > box["clientWidth"]
    shot(page, f"bookings-manager-{width}")
    page.goto("/admin/bookings/logbook/")
    page.wait_for_selector("#logbook-table")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(page, f"bookings-logbook-{width}")
