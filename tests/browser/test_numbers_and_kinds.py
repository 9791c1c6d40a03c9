"""Typed numbers in a browser set to English (issue 9 item 6) and the customer-kind swap through
the select2 widget (issue 9 item 11), in Chromium."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Article, Customer, Order, OrderLine, User, VatRate, db
from tests import sales_helpers as h
from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def english_page(browser, live_server, live_app):
    """A browser whose locale is English (a point is its decimal separator), and an English UI."""
    with live_app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()
    context = browser.new_context(base_url=live_server, locale="en-US", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_swedish_price_typed_in_an_english_browser(english_page, live_app):
    """Issue 9 item 6: typing "199,50" into a price in an English-locale browser saves
    199,50 kr (an <input type=number> made it 19 950 kr), on the article form and the order screen."""
    page = english_page
    with live_app.app_context():
        vat_id = str(db.session.scalar(select(VatRate.id).where(VatRate.percent == 25)))
        customer = h.customer(db.session)
        order = Order(kind="order", status="in_progress", customer=customer, order_date=dt.date(2026, 11, 24),
                      lines=[])
        db.session.add(order)
        db.session.commit()
        order_id = order.id
    login(page)
    page.goto("/admin/article/new/")
    assert page.get_attribute("#price", "type") == "text"
    page.fill("#number", "OF-9")
    page.fill("#name", "Oljefilter")
    page.fill("#unit", "st")
    for selector, typed in (("#price", "199,50"), ("#purchase_price", "1 250,50")):
        page.locator(selector).fill("")  # the form offers 0.00
        page.locator(selector).press_sequentially(typed)
    page.select_option("#vat_rate", vat_id, force=True)
    shot(page, "article-price-english-browser")
    with page.expect_navigation():
        page.locator("input[type=submit]").first.click()
    with live_app.app_context():
        article = db.session.scalar(select(Article).where(Article.number == "OF-9"))
        assert article is not None, re.findall(r"<li>[^<]*</li>", page.content())
        assert (article.price, article.purchase_price) == (D("199.50"), D("1250.50"))

    page.goto(f"/admin/order/details/?id={order_id}")
    page.select_option("#line-kind", "free_text")
    page.fill("#line-text", "Spolarvätska")
    page.locator("#line-quantity").fill("")
    page.locator("#line-quantity").press_sequentially("2")
    page.locator("#line-price").press_sequentially("199,50")
    with page.expect_navigation():
        page.click("#add-line")
    with live_app.app_context():
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        assert line is not None, page.content()[:3000]
        assert (line.quantity, line.unit_price) == (D("2"), D("199.50"))  # a company: prices excl. VAT


def test_private_person_chosen_through_select2_gets_a_personal_number(page, live_app):
    """Issue 9 item 11: choosing "Privatperson" in the select2 widget swaps the identity fields
    (the page listened for the native change event only, which select2 never sends), so the
    personal identity number can be typed and is saved."""
    login(page)
    page.goto("/admin/customer/new/")
    expect(page.locator("#org_number")).to_be_visible()
    expect(page.locator("#personal_number")).to_be_hidden()
    page.click("#s2id_kind a.select2-choice")
    page.locator("#select2-drop .select2-result-label", has_text="Privatperson").click()
    expect(page.locator("#personal_number")).to_be_visible()
    expect(page.locator("#org_number")).to_be_hidden()
    page.fill("#name", "Anna Andersson")
    page.fill("#personal_number", "19811218-9876")
    page.fill("#visiting_street", "Storgatan 1")
    page.fill("#visiting_postal_code", "111 22")
    page.fill("#visiting_city", "Stockholm")
    shot(page, "customer-private-select2")
    with page.expect_navigation():
        page.locator("input[type=submit]").first.click()
    with live_app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer is not None, re.findall(r"<li>[^<]*</li>", page.content())
        assert (customer.kind, customer.personal_number, customer.org_number) == ("private", "198112189876", None)
    # back to company: the typed personal number stays in sight (it is not used by a company)
    page.goto(f"/admin/customer/edit/?id={customer.id}")
    expect(page.locator("#personal_number")).to_be_visible()
    page.click("#s2id_kind a.select2-choice")
    page.locator("#select2-drop .select2-result-label", has_text="Företag").click()
    expect(page.locator("#org_number")).to_be_visible()
    expect(page.locator("#personal_number")).to_be_visible()
