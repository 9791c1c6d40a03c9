"""The customer import template and the round trip (issue 10 item 9): Swedish headers with
the key in a comment, an example row, drop-down lists, a sheet explaining the columns; an
export imported again unchanged writes nothing; a blank yes/no cell stays blank; unknown
columns are reported; an empty or header-only file is refused."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models import Address, AuditLog, Customer, CustomFieldValue, District, Tag
from services import DomainError
from services.registers import customer_import as ci
from services.registers import register_config as rc
from services.platform.settings import load_settings, set_setting
from tests.factories import customer as make_customer
from tests.factories import xlsx


@pytest.fixture
def fields(session):
    session.add_all([District(name="Norr"), District(name="Söder"), Tag(name="VIP"), Tag(name="Taxi")])
    rc.save_custom_field(session, "customer", "newsletter", "bool", "Nyhetsbrev")
    rc.save_custom_field(session, "customer", "segment", "choice", "Segment", choices=["Bil", "Lastbil"])
    rc.save_custom_field(session, "customer", "fleet", "number", "Flotta")
    rc.save_custom_field(session, "customer", "discount", "decimal", "Rabatt")
    rc.save_custom_field(session, "customer", "since", "date", "Kund sedan")
    rc.save_custom_field(session, "customer", "areas", "multi_choice", "Områden", choices=["Norr", "Syd"])
    session.commit()
    return rc.current(session)


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- the template ------------------------------------------------------------------------------

def test_template_has_swedish_headers_with_the_key_in_a_comment_and_an_example_row(session, fields):
    book = _book(ci.write_workbook(session, fields, ("company",), with_data=False))
    assert book.sheetnames == ["Företagskunder", "Kolumner", "Listor"]
    sheet = book["Företagskunder"]
    headers = [c.value for c in sheet[1]]
    keys = [c.comment.text for c in sheet[1]]
    assert keys == ci.layout(fields, "company")
    by_key = dict(zip(keys, headers))
    assert by_key["customer_number"] == "Kundnummer" and by_key["org_number"] == "Organisationsnummer"
    assert by_key["visiting_city"] == "Besöksadress: ort" and by_key["billing_city"] == "Fakturaadress: ort"
    assert by_key["cf_newsletter"] == "Nyhetsbrev" and by_key["active"] == "Aktiv"
    assert len(set(headers)) == len(headers)  # no two columns with one header
    example = dict(zip(keys, (c.value for c in sheet[2])))
    assert example["name"] == "Exempelbolaget AB" and example["kind"] == "Företag"
    assert example["active"] == "Ja" and example["cf_segment"] == "Bil"
    assert sheet[2][0].font.i  # written in italics, as the help sheet says
    assert sheet.max_row == 2


def test_template_has_drop_down_lists_for_the_choice_columns(session, fields):
    book = _book(ci.write_workbook(session, fields, ("company",), with_data=False))
    sheet, lists = book["Företagskunder"], book["Listor"]
    assert lists.sheet_state == "hidden"
    letters = {c.comment.text: c.column_letter for c in sheet[1]}
    validations = {}
    for dv in sheet.data_validations.dataValidation:
        assert dv.type == "list"
        for cells in dv.sqref.ranges:
            validations[cells.coord.split(":")[0].rstrip("0123456789")] = dv.formula1
    list_values = {}
    for column in lists.iter_cols(values_only=True):
        list_values[column[0]] = [v for v in column[1:] if v is not None]

    def values(key):
        formula = validations[letters[key]]  # 'Listor'!$B$2:$B$4
        col = formula.split("!")[1].split(":")[0].strip("$").rstrip("0123456789").strip("$")
        return [lists[f"{col}{r}"].value for r in range(2, int(formula.rsplit("$", 1)[1]) + 1)]

    assert values("kind") == ["Företag", "Privatperson"]
    assert values("customer_type") == ["Stamkund", "Tillfällig kund", "Prospekt"]
    assert values("district") == ["Norr", "Söder"]
    assert values("active") == ["Ja", "Nej"] and values("cf_newsletter") == ["Ja", "Nej"]
    assert values("cf_segment") == ["Bil", "Lastbil"]
    assert "Sverige" in values("country")
    for free_text in ("name", "email", "cf_fleet", "tags"):
        assert letters[free_text] not in validations


def test_second_sheet_explains_every_column(session, fields):
    book = _book(ci.write_workbook(session, fields, with_data=False))
    help_sheet = book["Kolumner"]
    rows = list(help_sheet.iter_rows(values_only=True))
    title_row = next(i for i, r in enumerate(rows) if r[0] == "Kolumn")
    assert rows[title_row][:6] == ("Kolumn", "Nyckel", "Används för", "Obligatorisk", "Vad du skriver",
                                   "Tillåtna värden")
    explained = {r[1]: r for r in rows[title_row + 1:]}
    every = set(ci.layout(fields, "company")) | set(ci.layout(fields, "private"))
    assert set(explained) == every
    assert all(r[4] for r in explained.values()), "every column says what to write"
    assert explained["org_number"][2] == "Företag" and explained["personal_number"][2] == "Privatperson"
    assert explained["name"][3] == "Företag, Privatperson"
    assert explained["cf_newsletter"][4] == "Ja eller Nej. En tom cell förblir tom."
    assert explained["cf_areas"][5] == "Norr, Syd"
    assert "kursiv" in rows[0][0]  # the introduction mentions the example row
    assert explained["customer_number"][3] == "Nej" and "nästa lediga" in explained["customer_number"][4]
    set_setting(session, "customer.generate_number", False)
    session.commit()
    numbers = {r[1]: r for r in _book(ci.write_workbook(session, fields, with_data=False))["Kolumner"]
               .iter_rows(values_only=True)}["customer_number"]
    assert numbers[3] == "Företag, Privatperson" and numbers[4] == "Obligatoriskt: kundnummer ges inte automatiskt."


def test_the_template_as_it_is_cannot_be_imported(session, fields):
    data = ci.write_workbook(session, fields, with_data=False)
    with pytest.raises(DomainError) as err:
        ci.read_file("mall.xlsx", data, config=fields)
    assert "rubrikrad men inga kunder" in err.value.message


def test_filled_template_imports_and_skips_the_example_row(session, fields):
    book = _book(ci.write_workbook(session, fields, ("company",), with_data=False))
    sheet = book["Företagskunder"]
    keys = [c.comment.text for c in sheet[1]]
    row = {"customer_number": "7001", "name": "Åkeri Nord AB", "district": "Norr", "cf_newsletter": "Ja",
           "cf_segment": "Lastbil", "active": "Ja"}
    sheet.append([row.get(k) for k in keys])
    out = io.BytesIO()
    book.save(out)
    counts, results = ci.import_file(session, fields, load_settings(session), "mall.xlsx", out.getvalue())
    assert counts["created"] == 1 and [r.number for r in results] == [3]
    c = session.scalar(select(Customer).where(Customer.customer_number == "7001"))
    assert c.kind == "company" and c.district.name == "Norr"
    assert rc.values_of(session, fields, "customer", [c.id])[c.id] == {"cf_newsletter": True, "cf_segment": "Lastbil"}


# --- headers and values: labels of every language, keys, codes -----------------------------------

def test_swedish_and_german_headers_and_labels_for_choices_are_accepted(session, fields):
    swedish = {"Kundnummer": "7101", "Typ": "Privatperson", "Namn": "Anna Åberg", "Personnummer": "19811218-9876",
               "Kundtyp": "Prospekt", "Språk för utskick": "Deutsch", "Land": "Norge",
               "Besöksadress: ort": "Umeå", "Nyhetsbrev": "nej", "Segment": "bil", "Aktiv": "Nej"}
    german = {"Kundennummer": "7102", "Name": "Berta Bauer", "Nyhetsbrev": "Ja", "Aktiv": "1"}
    keys = {"customer_number": "7103", "kind": "private", "name": "Carl Carlsson", "customer_type": "temporary",
            "language": "en", "country": "SE", "cf_newsletter": "true", "active": "false"}
    cfg, settings = fields, load_settings(session)
    results = []
    for row in (swedish, german, keys):
        rows = ci.read_file("k.xlsx", xlsx([row], title="Privatkunder"), config=cfg)
        assert rows.unknown == [], rows.unknown
        results += ci.check_rows(session, cfg, settings, rows)
    assert all(r.ok for r in results), [r.errors for r in results]
    a, b, c = (r.prepared for r in results)
    assert results[0].kind == "private" and a["customer_type"] == "prospect" and a["language"] == "de"
    assert a["country_code"] == "NO" and a["visiting_address"] == ("", "", "Umeå") and a["active"] is False
    assert a["custom"]["cf_newsletter"] is False and a["custom"]["cf_segment"] == "Bil"
    assert b["customer_number"] == "7102" and b["custom"]["cf_newsletter"] is True and b["active"] is True
    assert c["customer_type"] == "temporary" and c["language"] == "en" and c["active"] is False


def test_unknown_columns_are_reported_and_not_imported(session, fields):
    rows = ci.read_file("k.xlsx", xlsx([{"customer_number": "7201", "name": "Ett AB", "Favoritfärg": "blå",
                                         "Kundnummer": "9999"}]), config=fields)
    assert rows.unknown == [("company", "Favoritfärg")]
    assert rows[0][2] == {"customer_number": "7201", "name": "Ett AB"}  # the second customer number is ignored
    csv_rows = ci.read_file("k.csv", "Namn;Skostorlek\nTvå AB;42\n".encode(), "company", config=fields)
    assert csv_rows.unknown == [("company", "Skostorlek")] and csv_rows[0][2] == {"name": "Två AB"}


@pytest.mark.parametrize("filename, data, message", [
    ("tom.xlsx", None, "Filen är tom"),
    ("rubrik.xlsx", xlsx([{"customer_number": None, "name": None}]), "rubrikrad men inga kunder"),
    ("tom.csv", b"", "Filen är tom"),
    ("rubrik.csv", b"customer_number;name\n;\n", "rubrikrad men inga kunder"),
])
def test_an_empty_or_header_only_file_says_so(session, fields, filename, data, message):
    if data is None:
        out = io.BytesIO()
        Workbook().save(out)
        data = out.getvalue()
    with pytest.raises(DomainError) as err:
        ci.read_file(filename, data, "company", fields)
    assert message in err.value.message and err.value.field == "file"


# --- yes/no and the round trip ------------------------------------------------------------------------

def test_a_blank_yes_no_cell_stays_blank(session, fields):
    data = xlsx([{"customer_number": "7301", "name": "Blank AB", "cf_newsletter": None},
                 {"customer_number": "7302", "name": "Ja AB", "cf_newsletter": "Ja"}])
    counts, _r = ci.import_file(session, fields, load_settings(session), "k.xlsx", data)
    session.commit()
    blank, yes = (session.scalar(select(Customer.id).where(Customer.customer_number == n)) for n in ("7301", "7302"))
    values = rc.values_of(session, fields, "customer", [blank, yes])
    assert "cf_newsletter" not in values[blank] and values[yes]["cf_newsletter"] is True
    assert not session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.record_id == str(blank), AuditLog.field == "cf_newsletter"))
    # an update with the cell still blank leaves it blank, and writes nothing
    before = _count(session, AuditLog)
    counts, _r = ci.import_file(session, fields, load_settings(session), "k.xlsx", data, update=True)
    session.commit()
    assert counts == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert _count(session, AuditLog) == before
    assert "cf_newsletter" not in rc.values_of(session, fields, "customer", [blank])[blank]


def _register(session, cfg):
    """Customers as the form leaves them: blank yes/no values, addresses with blank parts,
    empty texts, a foreign country, tags, every custom type."""
    norr = session.scalar(select(District).where(District.name == "Norr"))
    vip = session.scalar(select(Tag).where(Tag.name == "VIP"))
    people = []
    for i in range(12):
        c = make_customer(session, number=str(8000 + i), name=f"Kund {i} AB", org="5560360793" if i % 3 else "",
                          email=f"k{i}@exempel.se" if i % 2 else None, internal_comment="" if i % 4 else None,
                          district=norr if i % 2 else None, phone="070-12 34 56" if i % 5 else None)
        if not c.org_number:
            c.kind, c.personal_number = "private", "198112189876"
        if i % 3 == 0:
            c.tags.append(vip)
        if i % 4 == 1:
            c.addresses.append(Address(kind="visiting", street="Gatan 1", postal_code=None, city="Umeå"))
        if i == 7:
            c.customer_type, c.language, c.active = "prospect", "de", False
        if i == 6:
            c.country_code = "NO"
        people.append(c)
    session.flush()
    for i, c in enumerate(people):
        typed = {}
        if i % 2:
            typed["cf_newsletter"] = i % 4 == 1
        if i % 3 == 1:
            typed |= {"cf_segment": "Lastbil", "cf_fleet": i, "cf_discount": rc.parse_value(
                cfg.field_by_name("customer", "cf_discount"), "12,50"), "cf_areas": ["Norr", "Syd"],
                "cf_since": rc.parse_value(cfg.field_by_name("customer", "cf_since"), "2024-03-01")}
        rc.set_values(session, cfg, "customer", c.id, typed, audit=False)
    session.commit()


def test_an_export_imported_again_unchanged_writes_nothing(session, fields):
    _register(session, fields)
    settings = load_settings(session)
    export = ci.write_workbook(session, fields)
    history, values, customers = _count(session, AuditLog), _count(session, CustomFieldValue), _count(session, Customer)
    counts, results = ci.import_file(session, fields, settings, "export.xlsx", export, update=True)
    session.flush()
    assert [r.errors for r in results if not r.ok] == []
    assert counts == {"created": 0, "updated": 0, "unchanged": 12, "skipped": 0}
    assert not session.dirty and not session.new and not session.deleted
    session.commit()
    assert (_count(session, AuditLog), _count(session, CustomFieldValue), _count(session, Customer)) == \
        (history, values, customers)
    # and the second export is the first
    def cells(data):
        return [list(r) for s in _book(data).worksheets for r in s.iter_rows(values_only=True)]

    assert cells(ci.write_workbook(session, fields)) == cells(export)


def test_the_export_holds_labels_and_yes_no_words(session, fields):
    _register(session, fields)
    book = _book(ci.write_workbook(session, fields))

    def rows(title):
        sheet = book[title]
        keys = [c.comment.text for c in sheet[1]]
        return [dict(zip(keys, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]

    company, private = rows("Företagskunder"), rows("Privatkunder")
    assert {r["kind"] for r in company} == {"Företag"} and {r["kind"] for r in private} == {"Privatperson"}
    assert {r["active"] for r in company} == {"Ja", "Nej"}
    assert {r["customer_type"] for r in company} == {"Stamkund", "Prospekt"}
    assert {r["language"] for r in company} == {"Svenska", "Deutsch"}
    assert {r["cf_newsletter"] for r in company} == {"Ja", "Nej", None}
    assert {r["country"] for r in private} == {"Sverige", "Norge"}
    assert {r["personal_number"] for r in private} == {"19811218-9876"}


def test_a_changed_export_updates_only_what_changed(session, fields):
    _register(session, fields)
    book = _book(ci.write_workbook(session, fields, ("company",)))
    sheet = book["Företagskunder"]
    keys = [c.comment.text for c in sheet[1]]
    target = next(r for r in sheet.iter_rows(min_row=2) if r[keys.index("customer_number")].value == "8001")
    target[keys.index("cf_newsletter")].value = None  # was "Ja": now blank
    target[keys.index("email")].value = "ny@exempel.se"
    out = io.BytesIO()
    book.save(out)
    before = _count(session, AuditLog)
    counts, _r = ci.import_file(session, fields, load_settings(session), "export.xlsx", out.getvalue(), update=True)
    session.commit()
    assert counts["updated"] == 1 and counts["unchanged"] == 7
    c = session.scalar(select(Customer).where(Customer.customer_number == "8001"))
    assert c.email == "ny@exempel.se"
    assert "cf_newsletter" not in {k for k, v in rc.values_of(session, fields, "customer", [c.id])[c.id].items()
                                   if v is not None}
    changes = {(h.field, h.old_value, h.new_value) for h in session.scalars(select(AuditLog).where(
        AuditLog.id > before))}
    assert changes == {("email", "k1@exempel.se", "ny@exempel.se"), ("cf_newsletter", "Ja", None)}


def test_an_update_touches_only_the_columns_in_the_file(session, fields):
    _register(session, fields)
    c = session.scalar(select(Customer).where(Customer.customer_number == "8001"))
    email, phone, city = c.email, c.phone, c.address("visiting").city
    data = xlsx([{"Kundnummer": "8001", "Namn": "Nytt Namn AB"}], title="Företagskunder")
    counts, _r = ci.import_file(session, fields, load_settings(session), "k.xlsx", data, update=True)
    session.commit()
    assert counts["updated"] == 1
    session.refresh(c)
    assert (c.name, c.email, c.phone, c.address("visiting").city) == ("Nytt Namn AB", email, phone, city)
    assert rc.values_of(session, fields, "customer", [c.id])[c.id]["cf_newsletter"] is True


@pytest.mark.any_db
@pytest.mark.parametrize("word, answer", [
    ("Ja", True), ("nej", False), ("Yes", True), ("No", False), ("Nein", False), ("1", True), ("0", False),
    (1, True), (0, False), ("true", True), ("FALSE", False), (True, True), ("kanske", None), ("2", None),
])
def test_yes_no_words_of_every_language(session, word, answer):
    assert ci.yes_no(word) is answer


def test_errors_are_summarised_per_column(session, fields):
    data = xlsx([{"customer_number": "7401", "name": None, "district": "Väster", "Nyhetsbrev [cf_newsletter]": "ok"},
                 {"customer_number": "7402", "name": None, "district": "Norr", "Nyhetsbrev [cf_newsletter]": "Ja"},
                 {"customer_number": "7403", "name": "Bra AB", "district": "Öster"}])
    rows = ci.read_file("k.xlsx", data, config=fields)
    assert rows.unknown == []  # "Label [key]" names the column by its key
    results = ci.check_rows(session, fields, load_settings(session), rows)
    summary = ci.error_summary(fields, results)
    assert [(s["label"], s["count"], s["rows"]) for s in summary] == [
        ("Distrikt", 2, [("company", 2), ("company", 4)]), ("Namn", 2, [("company", 2), ("company", 3)]),
        ("Nyhetsbrev", 1, [("company", 2)])]
    assert summary[0]["message"] == "Okänt värde för distrikt: Väster"


def test_a_kind_is_read_without_its_swedish_letters_and_an_unknown_one_names_the_labels(session, fields):
    data = xlsx([{"customer_number": "7501", "kind": "foretag", "name": "Utan Prickar AB"},
                 {"customer_number": "7502", "kind": "lastbil", "name": "Fel Typ AB"}])
    results = ci.check_rows(session, fields, load_settings(session), ci.read_file("k.xlsx", data, config=fields))
    assert results[0].kind == "company"
    assert results[0].errors == []
    assert results[1].errors == [("kind", "Typ måste vara något av: Företag, Privatperson.")]
