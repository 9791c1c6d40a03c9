"""An accountant brings the chart and opening balances of another system in Chromium (issue 12
item 7): Bokföring > SIE-import, the official sample's preview in Swedish (counts, the opening
balances summing to 0,00 kr), "Importera", the balance summary shows the imported balances; a
file with unbalanced opening balances is refused beside the file field."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models import OpeningBalance, db
from services.platform.rights import DEFAULT_ROLES
from tests.browser.conftest import axe, login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser
OFFICIAL = Path("/work/shared/formats/sie/SIE4_Exempelfil_official.SE")


def test_preview_and_import_the_official_sample(page, live_app, tmp_path):
    make_user(live_app, "ebba", DEFAULT_ROLES["Accountant"])
    login(page, "ebba")
    page.goto("/admin/")
    page.click("a.dropdown-toggle:has-text('Bokföring')")
    page.click("a:has-text('SIE-import')")
    page.wait_for_url("**/admin/ledger/sie-import/**")
    broken = tmp_path / "obalans.se"
    broken.write_bytes(OFFICIAL.read_bytes().replace(b"#IB 0 1930 938311.64", b"#IB 0 1930 938311.74"))
    page.set_input_files("#file", str(broken))
    page.click("#sie-preview")
    expect(page.locator("#file-error")).to_contain_text("summerar till 0,10\xa0kr, inte 0")
    expect(page.locator("#sie-import")).to_have_count(0)
    page.set_input_files("#file", str(OFFICIAL))
    page.click("#sie-preview")
    expect(page.locator("#count-opening")).to_have_text("26")
    expect(page.locator("#sie-opening-total")).to_have_text("0,00\u00a0kr")
    assert axe(page) == []
    shot(page, "ledger-sie-import-preview")
    page.click("#sie-import")
    page.wait_for_url("**/admin/ledger/sie-import/")
    expect(page.locator(".alert-success")).to_contain_text("26 ingående balanser sparade för räkenskapsåret "
                                                          "2021-01-01 – 2021-12-31")
    shot(page, "ledger-sie-import-done")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OpeningBalance)) == 26
    page.goto("/admin/ledger/balances/?from=2021-01-01&to=2021-12-31")
    expect(page.locator("body")).to_contain_text("938\u00a0311,64")
