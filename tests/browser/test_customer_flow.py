"""A service advisor's day with the customer register, clicked through in Chromium."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Customer, Notification, User, Vehicle, db
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_create_find_change_history_inactivate_logout(page, live_app):
    login(page)
    page.goto("/admin/customer/new/")
    page.select_option("#kind", "company", force=True)  # select2 hides the native select
    page.fill("#name", "Bilverkstan i Solna AB")
    page.fill("#org_number", "556036-0793")
    page.fill("#email", "info@bilverkstan.example")
    page.fill("#visiting_street", "Industrivägen 4")
    page.fill("#visiting_postal_code", "171 48")
    page.fill("#visiting_city", "Solna")
    expect(page.locator("#billing_street")).to_be_hidden()
    page.click("#add-billing-address")
    page.fill("#billing_street", "Box 1234")
    page.fill("#billing_postal_code", "171 20")
    page.fill("#billing_city", "Solna")
    page.click("#contacts-button")
    page.fill("#contacts-0-name", "Maja Holm")
    page.fill("#contacts-0-email", "maja.holm@bilverkstan.example")
    shot(page, "customer-form")
    page.locator("input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/admin/customer/(\?.*)?$"))

    page.fill("input[name=search]", "maja.holm@bilverk")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*search=maja.*"))
    rows = page.locator("table.model-list tbody tr")
    assert rows.count() == 1 and "Bilverkstan i Solna AB" in rows.first.inner_text()
    shot(page, "customer-search")

    with live_app.app_context():
        cid = db.session.scalar(select(Customer.id))
    page.goto(f"/admin/customer/details/?id={cid}")
    page.click("#edit-customer")
    page.fill("#name", "Bilverkstan i Solna Aktiebolag")
    with page.expect_navigation():
        page.locator("input[type=submit]").first.click()
    page.goto(f"/admin/customer/details/?id={cid}")
    assert "Bilverkstan i Solna Aktiebolag" in page.inner_text("#customer-title")
    page.click("#tab-link-addresses")
    assert "Box 1234" in page.inner_text("#address-billing")
    page.click("#tab-link-history")
    history = page.inner_text("#history-table")
    assert "Bilverkstan i Solna AB" in history and "Bilverkstan i Solna Aktiebolag" in history
    shot(page, "customer-history")

    with page.expect_navigation():
        page.click("#toggle-active")
    page.goto(f"/admin/customer/details/?id={cid}")
    expect(page.locator("#inactive-badge")).to_be_visible()
    with live_app.app_context():
        assert db.session.get(Customer, cid).active is False

    page.click("#user-menu")
    page.click("#logout")
    page.wait_for_url("**/login")


def test_technician_sees_notification_after_assignment(page, live_app, browser, live_server):
    make_user(live_app, "erik", {"customer.view_assigned"}, full_name="Erik Tekniker")
    with live_app.app_context():
        db.session.add(Customer(customer_number="1000", name="Åkeri Nord AB"))
        db.session.commit()
        cid = db.session.scalar(select(Customer.id))
        erik = db.session.scalar(select(User.id).where(User.username == "erik"))
    login(page)
    page.goto(f"/admin/customer/edit/?id={cid}")
    page.select_option("#assigned_technicians", str(erik), force=True)
    with page.expect_navigation():
        page.locator("input[type=submit]").first.click()

    context = browser.new_context(base_url=live_server)
    tech = context.new_page()
    login(tech, "erik", PASSWORD)
    tech.goto("/admin/")
    badge = tech.locator("#notification-count")
    badge.wait_for(state="visible")
    assert badge.inner_text() == "1"
    tech.click("#notification-bell")
    assert "Åkeri Nord AB" in tech.inner_text("#notification-list")
    shot(tech, "technician-notification")
    tech.click("#notifications-read-all")
    tech.wait_for_function("document.getElementById('notification-count').classList.contains('d-none')")
    with live_app.app_context():
        assert db.session.scalar(select(Notification.read_at)) is not None
    context.close()


def test_upload_open_and_delete_a_file_on_the_customer_card(page, live_app, tmp_path):
    from tests.factories import PDF

    with live_app.app_context():
        db.session.add(Customer(customer_number="1000", name="Åkeri Nord AB"))
        db.session.commit()
        cid = db.session.scalar(select(Customer.id))
    licence = tmp_path / "Körkort Anna Åberg.pdf"
    licence.write_bytes(PDF)
    login(page)
    page.goto(f"/admin/customer/details/?id={cid}")
    page.click("#tab-link-files")
    expect(page.locator("#customer-files")).to_contain_text("Inga filer")
    page.set_input_files("#upload-file", str(licence))
    with page.expect_navigation():
        page.click("#upload-button")
    files = page.locator("#customer-files")
    expect(files).to_be_visible()  # the card opens on its Files tab again
    expect(files).to_contain_text("Körkort Anna Åberg.pdf")
    expect(page.locator("#tab-link-files")).to_contain_text("1")
    shot(page, "customer-files")
    link = files.locator("a", has_text="Körkort Anna Åberg.pdf")
    assert page.request.get(link.get_attribute("href")).body() == PDF

    page.set_input_files("#upload-file", {"name": "virus.pdf", "mimeType": "application/pdf",
                                          "buffer": b"MZ" + b"\x00" * 100})
    with page.expect_navigation():
        page.click("#upload-button")
    expect(page.locator(".alert-danger, .alert-error")).to_contain_text("virus.pdf")

    page.click("#tab-link-files")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#customer-files .delete-file").click()
    expect(page.locator("#customer-files")).to_contain_text("Inga filer")


def test_card_tabs_are_fetched_when_opened(page, live_app):
    """Issue 10: the card comes with its first tab; History, Files and Orders are fetched when
    opened (a click, or the hash of the address at once), the document tables still sort and
    "Show all" still shows all, and the upload form works on the fetched Files tab."""
    from services.sales import orders
    from tests import sales_helpers as sh

    with live_app.app_context():
        c = sh.customer(db.session, number="8001", name="Flikar i Solna AB", org=None)
        car = Vehicle(registration_number="FLK801", owner=c, model="V70")
        db.session.add(car)
        db.session.flush()
        made = [orders.create_order(db.session, c, kind="order", vehicle=car) for _ in range(12)]
        c.phone = "08-765 43 21"
        db.session.commit()
        cid, first_order = c.id, min(o.id for o in made)
    login(page)
    page.goto(f"/admin/customer/details/?id={cid}")
    assert page.locator("#history-table").count() == 0  # not in the page until the tab is opened
    page.click("#tab-link-history")
    expect(page.locator("#tab-history #history-table")).to_contain_text("08-765 43 21")
    expect(page.locator("#tab-history")).not_to_have_attribute("aria-busy", "true")
    page.wait_for_function("() => location.hash === '#tab-history'")
    page.click("#tab-link-files")
    expect(page.locator("#customer-files")).to_contain_text("Inga filer")
    expect(page.locator("#upload-form")).to_be_visible()
    page.click("#tab-link-orders")
    table = page.locator("#customer-orders")
    expect(table.locator("tbody tr:visible")).to_have_count(10)
    page.click("#show-all-orders")
    expect(table.locator("tbody tr:visible")).to_have_count(12)
    table.locator("th", has_text="Nummer").click()  # ascending by number
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text(str(first_order))
    # opened from the address: the tab loads at once, the keyboard user needs no second click
    page.goto("/admin/")
    page.goto(f"/admin/customer/details/?id={cid}#tab-history")
    expect(page.locator("#tab-history #history-table")).to_contain_text("08-765 43 21")
    expect(page.locator("#tab-link-history")).to_have_class(re.compile(r"\bactive\b"))
