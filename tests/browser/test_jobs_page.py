"""The Jobs page in Chromium (issue 11, tests that must exist): a customer import of 2,000 rows
started on the import screen runs as a job (the live server's consumer); on the Jobs page its
progress bar moves (aria-valuenow rises, fed by the status endpoint) until the job is done, and
its result file opens from the link."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models import Customer, db
from tests.browser.conftest import login, shot
from tests.factories import customers_csv

pytestmark = pytest.mark.browser

ROWS = 2000
# every value the first job's progress bar takes on the Jobs page, kept across the page's
# reload at the job's end (sessionStorage): the page's own polling sets them
RECORD_BAR = """
document.addEventListener("DOMContentLoaded", function () {
  const bar = document.querySelector("#jobs tr[data-job] .progress-bar");
  if (!bar) return;
  const seen = JSON.parse(sessionStorage.getItem("bar") || "[]");
  function record() { seen.push(Number(bar.getAttribute("aria-valuenow"))); sessionStorage.setItem("bar", JSON.stringify(seen)); }
  record();
  new MutationObserver(record).observe(bar, {attributes: true, attributeFilter: ["aria-valuenow"]});
});
"""


def test_an_import_of_2000_rows_moves_its_bar_on_the_jobs_page_and_its_result_opens(page, live_app, tmp_path):
    path = tmp_path / "kunder.csv"
    path.write_bytes(customers_csv(ROWS))
    page.add_init_script(RECORD_BAR)
    login(page)
    page.goto("/admin/customer-import/")
    page.set_input_files("#file", str(path))
    page.click("#upload")
    expect(page.locator("#import-summary")).to_have_text(f"{ROWS} rader lästa: {ROWS} giltiga, 0 med fel.")
    page.wait_for_load_state("load")  # the screen's script follows the job (a click before it goes to /admin/jobs/)
    page.click("#import-all")
    link = page.locator("#import-job-link")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**/admin/jobs/**")

    row = page.locator("#jobs tr[data-job]").first
    expect(row).to_contain_text("Kundimport")
    first = page.evaluate("() => JSON.parse(sessionStorage.getItem('bar'))")
    assert first and first[0] < 100, f"the job had ended before the Jobs page showed it: {first}"
    expect(row.locator(".job-status")).to_have_text("Klar", timeout=120_000)  # after the page's reload at the end
    bar = row.locator(".progress-bar")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    seen = page.evaluate("() => JSON.parse(sessionStorage.getItem('bar'))")
    assert seen[0] < 100 and seen[-1] == 100 and seen == sorted(seen), seen  # it rose, never back
    expect(row.locator(".job-count")).to_have_text("2\u00a0000 / 2\u00a0000")
    expect(row.locator(".job-result")).to_contain_text(f"Skapade: {ROWS}, uppdaterade: 0, oförändrade: 0, överhoppade: 0")
    shot(page, "jobs-import-done")

    with page.expect_download() as download:
        row.locator("a.job-download").click()
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Blad;Rad;Resultat;Fel" and len(lines) == ROWS + 1
    assert download.value.suggested_filename.endswith(".csv")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == ROWS
