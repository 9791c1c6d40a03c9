"""Issue 10 item 7: select2's own messages in the user's language (its npm locale files) and
look-ups whose empty box says what they choose ("Välj kund", not "Please select model")."""
import pytest
from playwright.sync_api import expect

from models import db
from tests import factories as f
from tests.browser.conftest import login
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_customer_picker_speaks_swedish(page, live_app):
    with live_app.app_context():
        f.customer(db.session, "4001", "Bygg Åberg AB")
        db.session.commit()
    login(page)
    page.goto("/admin/order/new/")
    picker = page.locator("#s2id_customer")
    expect(picker.locator(".select2-chosen")).to_have_text("Välj kund")
    picker.locator("a.select2-choice").click()
    drop = page.locator(".select2-drop-active")
    expect(drop.locator(".select2-no-results, .select2-searching")).to_have_text("Skriv 1 tecken till")
    page.keyboard.type("zzqx")
    expect(drop.locator(".select2-no-results")).to_have_text("Inga träffar")
    for _ in range(4):
        page.keyboard.press("Backspace")
    page.keyboard.type("åberg")
    expect(drop.locator(".select2-result-label")).to_have_text("4001 Bygg Åberg AB")
    assert "No matches" not in page.content() and "Please select" not in page.content()


def test_customer_picker_speaks_german(page, live_app):
    make_user(live_app, "hans", admin=True, language="de")
    login(page, "hans")
    page.goto("/admin/order/new/")
    picker = page.locator("#s2id_customer")
    expect(picker.locator(".select2-chosen")).to_have_text("Kunde wählen")
    picker.locator("a.select2-choice").click()
    page.keyboard.type("zzqx")
    expect(page.locator(".select2-drop-active .select2-no-results")).to_have_text("Keine Übereinstimmungen gefunden")
