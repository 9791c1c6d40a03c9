"""The layout of the lists and the console on a tablet, measured in Chromium (issue 10 items 1, 2
and 12): compact lists of one line per record with a one-row toolbar and a sticky header, the
breadcrumbs below the lists, and no page wider than a 768 px window."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from models import Vehicle, db
from services.platform.settings import set_setting
from tests import factories as f
from tests.booking_helpers import world
from tests.browser.conftest import axe, login, shot

pytestmark = pytest.mark.browser

LONG_NAME = "Aktiebolaget Svenssons Åkeri och Bärgning i Norra Hälsinglands Inland med Filialer"


@pytest.fixture
def records(live_app):
    """30 customers (one with a very long name and e-mail), a vehicle, an order with lines, a
    quote, an invoice and the booking fleet: something on every screen."""
    from services.platform import settings
    from services.sales import invoicing, orders

    with live_app.app_context():
        s = db.session
        fleet = world(s)
        first = f.customer(s, "1000", LONG_NAME, email="kontakt.med.en.mycket.lang.adress@svenssons-akeri-och-bargning.example.se",
                           phone="070-123 45 67")
        for i in range(1, 30):
            f.customer(s, str(1000 + i), f"Kund {i:02d} AB", org="" if i % 3 == 0 else "5560360793")
        vehicle = Vehicle(registration_number="ABC999", model="V60", owner=first)
        s.add(vehicle)
        order = orders.create_order(s, first, vehicle=vehicle)
        orders.add_line(s, order, "free_text", text="Service med byte av bromsbelägg fram och bak", unit_price=D("1250.50"))
        quote = orders.create_order(s, first, kind="quote")
        orders.add_line(s, quote, "free_text", text="Däck", unit_price=D("800"))
        billed = orders.create_order(s, first)
        orders.add_line(s, billed, "free_text", text="Olja", unit_price=D("400"))
        s.flush()
        invoice = invoicing.finalise_invoice(s, billed, None, dt.date.today(), settings.load_settings(s))
        set_setting(s, "customer.number_in_display_name", True)
        s.commit()
        return dict(customer=first.id, number="1000", vehicle=vehicle.id, order=order.id, quote=quote.id,
                    invoice=invoice.id, loaner=fleet["v1"].id)


ROW_BOXES = """() => Array.from(document.querySelectorAll('table.model-list tbody tr')).map(tr => {
    const td = tr.querySelector('td:last-child'), style = getComputedStyle(td);
    const box = tr.getBoundingClientRect();
    return {top: box.top, bottom: box.bottom, height: box.height, line: parseFloat(style.lineHeight),
            pad: parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)};
})"""


def test_customer_list_shows_20_rows_of_one_line_on_1400_by_900(page, records):
    """Issue 10 item 2 (check): at 1400 × 900 at least 20 customers are in view without
    scrolling, no row is taller than 2 lines, the number is shown once and a long value is cut
    with an ellipsis and shown whole on hover; the toolbar is one row."""
    login(page)
    page.goto("/admin/customer/?sort=0")
    page.wait_for_load_state("load")
    shot(page, "list-customers-1400")
    assert page.evaluate("() => window.scrollY") == 0
    rows = page.evaluate(ROW_BOXES)
    in_view = [r for r in rows if r["top"] >= 0 and r["bottom"] <= 900]
    assert len(in_view) >= 20, f"{len(in_view)} rows in view"
    too_tall = [r for r in rows if r["height"] > 2 * r["line"] + r["pad"] + 2]
    assert too_tall == [], too_tall
    page.goto("/admin/customer/?sort=0&page_size=50")  # more rows than fit: the window is filled
    in_view = [r for r in page.evaluate(ROW_BOXES) if r["top"] >= 0 and r["bottom"] <= 900]
    assert len(in_view) >= 20 and page.evaluate("() => window.scrollY") == 0, f"{len(in_view)} rows in view"
    page.goto("/admin/customer/?sort=0")

    first = page.locator("table.model-list tbody tr").first
    # "include the customer number in the display name" is on: still the number once, in its column
    assert first.inner_text().count(records["number"]) == 1
    name_cell = first.locator("td.col-name")
    assert name_cell.evaluate("td => td.scrollWidth > td.clientWidth"), "the long name is cut"
    assert name_cell.evaluate("td => getComputedStyle(td).textOverflow") == "ellipsis"
    expect(name_cell).to_have_attribute("title", LONG_NAME)

    tops = page.evaluate("""() => Array.from(document.querySelectorAll('#list-toolbar > *, #list-toolbar .vk-list-tools > li'))
        .filter(el => el.offsetParent !== null).map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))""")
    assert max(tops) - min(tops) <= 4, f"toolbar on more than one row: {tops}"
    toolbar = page.locator("#list-toolbar")
    for part in ("#list-search", "#my-columns-menu", "#list-create"):
        expect(toolbar.locator(part)).to_be_visible()
    expect(toolbar).to_contain_text(re.compile("Lägg till filter", re.I))
    expect(toolbar).to_contain_text("Exportera")
    expect(toolbar).to_contain_text("Med utvalda")


TOOLBAR_TOPS = """() => Array.from(document.querySelectorAll('#list-toolbar > *, #list-toolbar .vk-list-tools > li'))
    .filter(el => el.offsetParent !== null).map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))"""

CLIPPED = """el => {
    // cut off: outside the window, or by an ancestor that hides its overflow, or narrower than its text
    const r = el.getBoundingClientRect(), out = [];
    if (r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > innerHeight) out.push('window');
    for (let a = el.parentElement; a; a = a.parentElement) {
        const s = getComputedStyle(a), b = a.getBoundingClientRect();
        if ((s.overflowX !== 'visible' || s.overflowY !== 'visible') &&
            (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1)) out.push(a.tagName + '.' + a.className);
    }
    if (el.scrollWidth > el.clientWidth + 1) out.push('text');
    return out;
}"""


def test_searched_list_keeps_a_one_row_toolbar_and_offers_select_all_above_the_table(page, records):
    """Issue 11 with issue 10: at 1400 × 900 with a search active (some 30 customers, two pages) the
    toolbar is still one row and "Skapa" is whole in the window; "Select all N matching the
    filter" is no longer in the toolbar but offered, as Gmail does, in a bar above the table once
    the header box is ticked, reachable by keyboard, announced (role=status), free of axe-core
    violations. (The job over all N: test_bulk_actions.py.)"""
    login(page)
    page.goto("/admin/customer/?search=Kund")
    page.wait_for_load_state("load")
    matching = int(page.locator("#list-count").inner_text())
    assert 20 < matching < 40, matching  # the 29 "Kund NN AB" and the fleet's customers: two pages
    expect(page.locator("table.model-list tbody tr")).to_have_count(20)
    tops = page.evaluate(TOOLBAR_TOPS)
    assert max(tops) - min(tops) <= 4, f"toolbar on more than one row: {tops}"
    create = page.locator("#list-toolbar #list-create")
    expect(create).to_have_text("Skapa")
    assert create.evaluate(CLIPPED) == []
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 1400
    expect(page.locator("#list-toolbar #bulk-select-all")).to_have_count(0)
    bar = page.locator("#bulk-bar")
    expect(bar).to_have_attribute("role", "status")
    expect(bar).to_have_attribute("aria-live", "polite")
    expect(page.locator("#bulk-select-all")).to_be_hidden()

    # the header box by keyboard: the page is ticked and the offer shown, one Shift+Tab before it
    page.focus("input.action-rowtoggle")
    page.keyboard.press("Space")
    offer = page.locator("#bulk-bar-page")
    expect(offer).to_have_text(re.compile(rf"^\s*Alla 20 på sidan är markerade\.\s+Markera alla {matching} som matchar filtret\s*$"))
    assert page.locator("input.action-checkbox:checked").count() == 20
    table_top = page.locator("table.model-list").bounding_box()["y"]
    assert offer.bounding_box()["y"] + offer.bounding_box()["height"] <= table_top
    assert max(page.evaluate(TOOLBAR_TOPS)) - min(page.evaluate(TOOLBAR_TOPS)) <= 4
    assert create.evaluate(CLIPPED) == []
    shot(page, "list-customers-select-page-1400")
    assert axe(page) == []
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#bulk-select-all")).to_be_focused()
    expect(page.locator("#bulk-select-all")).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(page.locator("#bulk-bar-all")).to_have_text(re.compile(rf"^\s*Alla {matching} är markerade\.\s+Ångra markeringen\s*$"))
    expect(page.locator("#bulk-panel")).to_be_visible()
    expect(page.locator("#bulk-select-all")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#bulk-undo")).to_be_focused()
    expect(page.locator("#bulk-form input[name=query]")).to_have_value("search=Kund")
    shot(page, "list-customers-select-all-1400")
    assert axe(page) == []

    page.keyboard.press("Enter")  # "Ångra markeringen"
    expect(page.locator("#bulk-bar-all")).to_be_hidden()
    expect(page.locator("#bulk-panel")).to_be_hidden()
    expect(page.locator("#bulk-select-all")).to_be_hidden()
    assert page.locator("input.action-checkbox:checked").count() == 0
    expect(page.locator("input.action-rowtoggle")).to_be_focused()
    # unticking one row of a ticked page withdraws the offer
    page.check("input.action-rowtoggle")
    expect(page.locator("#bulk-select-all")).to_be_visible()
    page.locator("input.action-checkbox").first.uncheck()
    expect(page.locator("#bulk-select-all")).to_be_hidden()


def test_list_header_stays_in_view_while_the_rows_scroll(page, records):
    """Issue 10 item 2: the header row is sticky; j/k still move through the rows."""
    login(page)
    page.goto("/admin/customer/?sort=0&page_size=50")
    box = page.locator("table.model-list").locator("xpath=..")
    header = page.locator("table.model-list thead th").nth(3)
    before = header.bounding_box()["y"]
    box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    assert box.evaluate("b => b.scrollTop") > 100, "the rows scroll inside their box"
    assert abs(header.bounding_box()["y"] - before) < 2, "the header moved away"
    assert page.locator("table.model-list tbody tr").last.bounding_box()["y"] < 900


def test_every_list_has_the_compact_table_and_one_row_toolbar(page, records):
    """Issue 10 item 1: every list of the menu uses the same list (one-row toolbar, one line per record)."""
    login(page)
    page.goto("/admin/")
    links = page.eval_on_selector_all("#admin-navbar-collapse a.dropdown-item[href^='/admin/']", "as => as.map(a => a.getAttribute('href'))")
    checked = []
    for url in dict.fromkeys(links):
        page.goto(url)
        if page.locator("table.model-list").count() == 0:
            continue
        checked.append(url)
        assert page.locator("#list-toolbar").count() == 1, url
        tops = page.evaluate("""() => Array.from(document.querySelectorAll('#list-toolbar > *'))
            .filter(el => el.offsetParent !== null).map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))""")
        assert max(tops) - min(tops) <= 4, f"{url}: toolbar on more than one row"
        rows = page.evaluate(ROW_BOXES)
        assert all(r["height"] <= 2 * r["line"] + r["pad"] + 2 for r in rows), f"{url}: a row wraps"
    assert {"/admin/customer/", "/admin/vehicle/", "/admin/order/", "/admin/auditlog/", "/admin/district/"} <= set(checked)


def test_columns_menu_hides_a_column_of_another_list(page, records):
    """Issue 10 item 2: "Columns" is on every list; the vehicle list hides a column for the user."""
    login(page)
    page.goto("/admin/vehicle/")
    headers = page.locator("table.model-list thead th")
    before = headers.count()
    page.click("#my-columns-menu")
    page.locator("#my-columns-form input[name=hide]").first.check()
    with page.expect_navigation():
        page.click("#save-my-columns")
    assert "/admin/vehicle/" in page.url
    expect(headers).to_have_count(before - 1)


def test_breadcrumbs_on_a_card_and_a_form(page, records):
    """Issue 10 item 1: breadcrumbs on the pages below the lists, back to the list and the card."""
    login(page)
    page.goto(f"/admin/customer/details/?id={records['customer']}")
    crumbs = page.locator("#breadcrumbs")
    expect(crumbs.locator("a", has_text="Hem")).to_be_visible()
    expect(crumbs.locator("a", has_text="Kunder")).to_have_attribute("href", "/admin/customer/")
    expect(crumbs.locator("[aria-current=page]")).to_contain_text("Aktiebolaget Svenssons")
    page.goto(f"/admin/customer/edit/?id={records['customer']}")
    expect(crumbs.locator("[aria-current=page]")).to_have_text("Ändra")
    with page.expect_navigation():
        crumbs.locator("a", has_text="Aktiebolaget Svenssons").click()
    assert "/admin/customer/details/" in page.url
    page.goto(f"/admin/order/details/?id={records['order']}")
    expect(crumbs).to_contain_text("Offerter och order")
    expect(crumbs.locator("[aria-current=page]")).to_have_text(f"Order {records['order']}")
    page.goto("/admin/customer/")
    expect(crumbs).to_have_count(0)  # a list starts with its own title


# --- a tablet (000 50.03) -------------------------------------------------------------------

OVERFLOW = """() => {
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.table-responsive, .ec-body, .ec-main, .modal, .dropdown-menu')) continue;
        const r = el.getBoundingClientRect();
        if (r.width && r.right > innerWidth + 1) wide.push(`${el.tagName}#${el.id}.${String(el.className).slice(0, 30)} ${Math.round(r.right)}`);
    }
    return {width: document.scrollingElement.scrollWidth, window: innerWidth, wide: wide.slice(0, 5)};
}"""


def _main_pages(page, records) -> list[str]:
    """Every screen of the menu, and of each list its first record's card and form: new screens
    are walked as soon as the menu offers them."""
    page.goto("/admin/")
    menu = page.eval_on_selector_all("#admin-navbar-collapse a[href^='/']", "as => as.map(a => a.getAttribute('href'))")
    pages = list(dict.fromkeys(menu))
    for url in list(pages):
        page.goto(url)
        if page.locator("table.model-list").count():
            for kind in ("details", "edit"):
                link = page.locator(f"table.model-list tbody a[href*='/{kind}/']").first
                if link.count():
                    pages.append(link.get_attribute("href"))
            new = page.locator("#list-create")
            if new.count():
                pages.append(new.get_attribute("href"))
    pages += [f"/admin/customer/details/?id={records['customer']}", f"/admin/customer/edit/?id={records['customer']}",
              f"/admin/vehicle/details/?id={records['vehicle']}", f"/admin/order/details/?id={records['order']}",
              f"/admin/order/details/?id={records['quote']}", f"/admin/invoice/details/?id={records['invoice']}",
              "/admin/bookings/loaner/new", "/admin/bookings/rental/new"]
    return list(dict.fromkeys(pages))


def test_no_page_is_wider_than_a_tablet(page, records):
    """Issue 10 item 12 (check): at 768 px no page has horizontal overflow outside its tables;
    lists, tables and the calendar scroll sideways inside their own box."""
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page)
    pages = _main_pages(page, records)
    assert len(pages) > 40
    overflow = {}
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("load")
        found = page.evaluate(OVERFLOW)
        if found["width"] > found["window"] or found["wide"]:
            overflow[url] = found
    assert overflow == {}, "\n".join(f"{u}: {v}" for u, v in overflow.items())


def test_tablet_list_and_form_have_touch_sized_controls(page, records):
    """Issue 10 item 12: at 768 px the primary controls of a list and a form are at least 40 px
    high, the list scrolls sideways in its box, and a form of two columns becomes one."""
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page)
    page.goto("/admin/customer/?page_size=20")
    shot(page, "list-customers-768")
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
            '#list-toolbar a, #list-toolbar button, #list-toolbar input:not([type=hidden]), .pagination .page-link'))
        .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 40)
        .map(el => el.outerHTML.slice(0, 80))""")
    assert small == []
    box = page.locator("table.model-list").locator("xpath=..")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth && getComputedStyle(b).overflowX === 'auto'")
    page.goto(f"/admin/customer/edit/?id={records['customer']}")
    shot(page, "form-customer-768")
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
            'form.admin-form [type=submit], form.admin-form input.form-control, form.admin-form select.form-control'))
        .filter(el => el.offsetParent !== null && el.getBoundingClientRect().height < 40)
        .map(el => el.outerHTML.slice(0, 80))""")
    assert small == []
    page.goto("/admin/bookings/loaner/new")
    shot(page, "form-booking-768")
    lefts = page.evaluate("""() => [...new Set(Array.from(document.querySelectorAll('form .form-control'))
        .filter(el => el.offsetParent !== null).map(el => Math.round(el.getBoundingClientRect().left)))]""")
    assert len(lefts) == 1, f"the booking form has {len(lefts)} columns at 768 px"


def test_the_top_bar_is_one_row_at_1400_with_every_menu(page, records):
    """Issue 10 item 1: an administrator sees every menu (registers to the books); at 1400 px the
    menus, the global search, the jobs icon, the bell and the user menu stay on one row, and the
    jobs icon (the page left the menu bar for it) opens the Jobs page."""
    login(page)
    page.goto("/admin/")
    menus = page.locator("nav.navbar ul.navbar-nav > li:visible")
    assert menus.count() >= 9, menus.all_inner_texts()  # Hem .. Bokföring, the jobs icon, the bell, the user
    expect(page.locator("nav.navbar")).to_contain_text("Bokföring")
    shot(page, "top-bar-1400")
    centres = page.evaluate("""() => Array.from(document.querySelectorAll('nav.navbar ul.navbar-nav > li, #global-search'))
        .filter(el => el.offsetParent !== null)
        .map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))""")
    assert max(centres) - min(centres) <= 4, f"the top bar wraps: {centres}"
    assert page.evaluate("() => document.querySelector('nav.navbar').getBoundingClientRect().height") < 70
    page.click("#jobs-link")
    page.wait_for_url("**/admin/jobs/")
    expect(page.get_by_role("heading", name="Jobb", exact=True)).to_be_visible()
