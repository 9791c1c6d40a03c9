"""The customer import screen in Chromium (issue 10 item 9): a file with errors shows the
summary per column first, then the rows with the error beside the row number; unknown
columns are named; the result of the run appears at the top; a header-only file is refused."""
import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from models import Customer, District, db
from tests.browser.conftest import axe, login, shot

pytestmark = pytest.mark.browser


def _file(tmp_path, rows, name="kunder.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.title = "Företagskunder"
    sheet.append(["Kundnummer", "Namn", "Organisationsnummer", "Distrikt", "Favoritfärg"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_errors_are_summarised_per_column_first_and_the_result_is_shown_at_the_top(page, live_app, tmp_path):
    with live_app.app_context():
        db.session.add(District(name="Norr"))
        db.session.commit()
    path = _file(tmp_path, [
        ["3001", "Bra AB", "556036-0793", "Norr", "blå"],
        ["3002", "Fel nummer AB", "556036-0794", "Norr", None],
        ["3003", "Fel på två AB", "556036-0794", "Söder", None],
        ["3004", "Okänt distrikt AB", None, "Väster", None],
    ] + [[str(3100 + i), f"Felbolag {i} AB", "556036-0794", None, None] for i in range(30)])
    login(page)
    page.goto("/admin/customer-import/")
    page.set_input_files("#file", str(path))
    page.click("#upload")

    summary, rows = page.locator("#error-summary"), page.locator("#error-rows")
    expect(summary).to_be_visible()
    assert summary.bounding_box()["y"] < rows.bounding_box()["y"], "the summary comes before the rows"
    expect(page.locator("#import-summary")).to_have_text("34 rader lästa: 1 giltiga, 33 med fel.")
    first = summary.locator("tbody tr").nth(0)
    expect(first.locator("th")).to_have_text("Organisationsnummer")
    expect(first.locator("td").nth(0)).to_have_text("32")
    expect(summary.locator("tbody tr").nth(1).locator("th")).to_have_text("Distrikt")
    expect(summary.locator("tbody tr").nth(1).locator("td").nth(0)).to_have_text("2")
    expect(page.locator("#unknown-columns .unknown-column")).to_have_text(["Favoritfärg"])

    # the error beside the row number, the bad cell marked
    row = page.locator("#row-company-4")
    expect(row.locator("th")).to_have_text("4")  # one sheet: the number alone
    errors = row.locator("td.row-errors")
    expect(errors).to_contain_text("Organisationsnummer:")
    expect(errors).to_contain_text("Distrikt:")
    assert errors.bounding_box()["x"] - (row.locator("th").bounding_box()["x"] + row.locator("th").bounding_box()["width"]) < 2
    expect(row.locator("td.table-danger")).to_have_text(["556036-0794", "Söder"])
    expect(rows.locator("thead th")).to_contain_text(["Rad", "Fel", "Kundnummer", "Namn", "Organisationsnummer"])

    # the choice stays in sight below the long list
    expect(page.locator("#import-valid")).to_be_in_viewport()
    assert axe(page) == []
    shot(page, "import-errors")

    page.click("#import-valid")
    result = page.locator("#import-result")
    expect(result).to_have_class("alert alert-success")
    expect(result).to_have_text("Skapade: 1, uppdaterade: 0, oförändrade: 0, överhoppade: 33")
    expect(result).to_be_in_viewport()
    expect(page.locator("#import-nothing")).to_have_text("Importera en fil till")
    assert result.bounding_box()["y"] < page.locator("#import-summary").bounding_box()["y"]
    shot(page, "import-done")
    with live_app.app_context():
        assert [c.name for c in db.session.scalars(select(Customer))] == ["Bra AB"]


def test_a_header_only_file_says_so_and_offers_no_import(page, tmp_path):
    login(page)
    page.goto("/admin/customer-import/")
    page.set_input_files("#file", str(_file(tmp_path, [], "tom.xlsx")))
    page.click("#upload")
    expect(page.locator("#import-error")).to_have_text("Filen har en rubrikrad men inga kunder att importera.")
    page.wait_for_load_state("load")  # measured once the stylesheets are in
    file_box, error_box = page.locator("#file").bounding_box(), page.locator("#import-error").bounding_box()
    assert 0 <= error_box["y"] - (file_box["y"] + file_box["height"]) < 20, "the message is beside the file field"
    expect(page.locator("#file")).to_have_attribute("aria-describedby", "import-error")
    expect(page.locator("#run-form")).to_have_count(0)
    expect(page.locator("#upload-form")).to_be_visible()  # choose another file at once
