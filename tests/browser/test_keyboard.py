"""Keyboard shortcuts on lists, cards and forms (reference 000 10.25), listed under `?`."""
import re

import pytest
from playwright.sync_api import expect

from models import Customer, db
from tests import factories as f
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _customers(live_app, names):
    with live_app.app_context():
        ids = [f.customer(db.session, str(3001 + i), name, org="").id for i, name in enumerate(names)]
        db.session.commit()
        return ids


def test_question_mark_lists_the_shortcuts_in_swedish(page, live_app):
    """Issue 10 item 11: `?` opens the list of shortcuts, in the user's language; Esc closes it."""
    login(page)
    page.goto("/admin/customer/")
    page.keyboard.press("?")
    help_ = page.locator("#keyboard-help")
    expect(help_).to_be_visible()
    expect(help_.locator("#keyboard-help-title")).to_have_text("Kortkommandon")
    expect(help_.locator("#keyboard-shortcuts tr")).to_have_count(11)
    expect(help_).to_contain_text("Spara formuläret")
    page.keyboard.press("Escape")
    expect(help_).to_be_hidden()


def test_list_rows_chosen_with_j_k_and_opened_with_enter_then_next_and_previous_record(page, live_app):
    """Issue 10 item 11: j/k move the chosen row, Enter opens its card, ] and [ go to the next and
    previous record of the list, e edits, and letters typed in the search field stay text."""
    first, second, third = _customers(live_app, ["Alfa Åkeri", "Beta Bygg", "Gamma Gods"])
    login(page)
    page.goto("/admin/customer/?sort=0")
    page.keyboard.press("s")
    expect(page.locator('input[name="search"]')).to_be_focused()
    page.keyboard.type("jk")  # typed into the field, not taken as shortcuts
    expect(page.locator('input[name="search"]')).to_have_value("jk")
    page.locator('input[name="search"]').fill("")
    page.locator("h1, h4, body").first.click(position={"x": 1, "y": 1})
    rows = page.locator("table.model-list tbody tr")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"keyboard-current"))
    chosen = rows.nth(1).inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/details/" in page.url
    with live_app.app_context():
        opened = db.session.get(Customer, int(re.search(r"id=(\d+)", page.url).group(1)))
        assert opened.name in chosen
    with page.expect_navigation():
        page.keyboard.press("]")
    next_id = int(re.search(r"id=(\d+)", page.url).group(1))
    assert next_id != opened.id
    with page.expect_navigation():
        page.keyboard.press("[")
    assert int(re.search(r"id=(\d+)", page.url).group(1)) == opened.id
    with page.expect_navigation():
        page.keyboard.press("e")
    assert "/edit/" in page.url and f"id={opened.id}" in page.url


def test_n_opens_a_new_form_and_ctrl_s_saves_it(page, live_app):
    """Issue 10 item 11: n on a list opens the create form; Ctrl+S saves from inside a field."""
    (cid,) = _customers(live_app, ["Delta Däck"])
    login(page)
    page.goto("/admin/vehicle/")
    with page.expect_navigation():
        page.keyboard.press("n")
    assert "/admin/vehicle/new/" in page.url
    page.goto(f"/admin/customer/edit/?id={cid}")
    page.fill("#name", "Delta Däck & Fälg")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    with live_app.app_context():
        assert db.session.get(Customer, cid).name == "Delta Däck & Fälg"
