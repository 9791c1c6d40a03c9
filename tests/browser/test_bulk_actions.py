"""Issue 11 item 7 in Chromium: the customer list searched and filtered, the header box ticked,
then "Select all N matching the filter" in the bar above the table, "Add tag" started as a job,
followed to its end on the Jobs page (a consumer thread runs it); every matching customer is
tagged, not only the page shown, and no other."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Customer, Tag, db
from tests.browser.conftest import login, shot
from tests.factories import customer

pytestmark = pytest.mark.browser


def test_select_all_matching_then_add_tag_runs_as_a_job(page, live_app):
    with live_app.app_context():
        for i in range(25):  # more than one page of 20
            customer(db.session, f"M{i:03d}", f"Massbolag {i} AB", active=i != 7)
        customer(db.session, "Z001", "Annat Bolag AB")
        db.session.add(Tag(name="Kampanj"))
        db.session.commit()
    login(page)
    page.goto("/admin/customer/")
    page.fill("#list-search", "Massbolag")
    page.press("#list-search", "Enter")
    page.wait_for_url("**search=Massbolag**")
    # the filter "Active = yes" from the URL the filter menu builds (the one inactive customer drops out)
    page.goto(page.url + "&" + _active_filter(live_app))
    # as Gmail: the offer comes with the header box (the page's 20 rows), above the table
    expect(page.locator("#bulk-select-all")).to_be_hidden()
    page.check("input.action-rowtoggle")
    expect(page.locator("#bulk-bar-page")).to_have_text(
        re.compile(r"Alla 20 på sidan är markerade\.\s+Markera alla 24 som matchar filtret"))
    page.click("#bulk-select-all")
    panel = page.locator("#bulk-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#bulk-bar-all")).to_have_text(re.compile(r"Alla 24 är markerade\.\s+Ångra markeringen"))
    expect(page.locator("#bulk-undo")).to_be_focused()
    page.select_option("#bulk-action", "add_tag")
    expect(page.locator("#bulk-tag")).to_be_visible()
    expect(page.locator("#bulk-list-name")).to_be_hidden()
    page.select_option("#bulk-tag", label="Kampanj")
    shot(page, "bulk-add-tag")
    page.click("#bulk-start")
    page.click("#bulk-job-link")
    page.wait_for_url("**/admin/jobs/**")
    row = page.locator("tr[data-job]").first
    expect(row.locator(".job-status")).to_have_text("Klar", timeout=30_000)
    expect(row.locator(".job-result")).to_contain_text(
        "Lägg till tagg: ändrade 24, oförändrade 0, överhoppade (ingen rätt att ändra) 0")
    shot(page, "bulk-job-done")
    with live_app.app_context():
        tagged = sorted(c.customer_number for c in db.session.scalars(select(Customer))
                        if any(t.name == "Kampanj" for t in c.tags))
    assert tagged == [f"M{i:03d}" for i in range(25) if i != 7]

    # "Export all (XLSX)" from the list's export menu: a job whose file is on the Jobs page
    page.goto("/admin/customer/")
    page.click("#export-menu")
    page.click("#export-all")
    page.click("#bulk-job-link")
    row = page.locator("tr[data-job]").first
    expect(row.locator(".job-status")).to_have_text("Klar", timeout=30_000)
    expect(row.locator(".job-result")).to_contain_text("26 rader exporterades.")
    with page.expect_download() as download:
        row.locator(".job-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def _active_filter(app) -> str:
    from services.platform import list_jobs

    with app.app_context(), app.test_request_context():
        view = list_jobs.source("customer")
        view._ensure_config()
        key = next(k for k, (_i, f) in view._filter_args.items()
                   if getattr(f.column, "key", None) == "active" and type(f).__name__ == "BooleanEqualFilter")
    return f"flt1_{key}=1"
