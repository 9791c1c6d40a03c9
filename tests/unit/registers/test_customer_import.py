"""Import and export of customers (services.registers.customer_import): every kind of row error, the
three import modes, and a round trip through the CLI with history."""

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuditLog, Customer, District, Tag, db
from services import DomainError
from services.registers import customer_import as ci
from services.registers import register_config as rc
from services.platform.settings import load_settings
from tests.factories import xlsx

GOOD = {"customer_number": "2001", "kind": "company", "name": "Däckia AB", "org_number": "556036-0793",
        "email": "info@dackia.example", "district": "Norr", "tags": "VIP", "visiting_city": "Umeå"}


@pytest.fixture
def lookups(session):
    session.add_all([District(name="Norr"), Tag(name="VIP")])
    session.add(Customer(customer_number="1500", name="Finns Redan AB", kind="company"))
    session.commit()
    rc.save_custom_field(session, "customer", "since", "date", "Kund sedan")
    rc.save_field_rules(session, "customer", {("private", "phone"): (True, True)})
    session.commit()


@pytest.mark.parametrize("change, column", [
    ({"org_number": "556036-0794"}, "org_number"),                      # bad check digit
    ({"kind": "private", "org_number": None, "personal_number": "19811218-9877", "phone": "070-1"},
     "personal_number"),
    ({"district": "Söder"}, "district"),                                # unknown district
    ({"tags": "VIP, Guld"}, "tags"),                                    # unknown tag
    ({"customer_number": "1500"}, "customer_number"),                   # already in the database
    ({"customer_number": "12"}, "customer_number"),                     # too short
    ({"name": None}, "name"),                                           # missing name
    ({"kind": "private", "org_number": None, "personal_number": "19811218-9876"}, "phone"),  # required
    ({"cf_since": "2026-02-30"}, "cf_since"),                           # bad date
    ({"email": "not-an-address"}, "email"),
    ({"kind": "robot"}, "kind"),
    ({"country": "Atlantis"}, "country"),
])
def test_each_kind_of_row_error_names_row_and_column(session, lookups, change, column):
    row = {**GOOD, **change}
    rows = ci.read_file("k.xlsx", xlsx([GOOD | {"customer_number": "2002", "name": "Ok AB", "org_number": None},
                                        row]))
    results = ci.check_rows(session, rc.current(session), load_settings(session), rows)
    assert results[0].ok, results[0].errors
    assert [c for c, _m in results[1].errors] == [column] and results[1].number == 3


def test_duplicate_number_inside_the_file(session, lookups):
    rows = ci.read_file("k.xlsx", xlsx([GOOD, GOOD | {"name": "Kopia AB", "org_number": None}]))
    results = ci.check_rows(session, rc.current(session), load_settings(session), rows)
    assert results[0].ok and [c for c, _m in results[1].errors] == ["customer_number"]


def test_modes_nothing_valid_only_and_one_transaction(session, lookups):
    data = xlsx([GOOD, GOOD | {"customer_number": "2002", "district": "Söder", "org_number": None}])
    cfg, settings = rc.current(session), load_settings(session)
    with pytest.raises(DomainError):
        ci.import_file(session, cfg, settings, "k.xlsx", data)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Customer)) == 1
    counts, _results = ci.import_file(session, cfg, settings, "k.xlsx", data, valid_only=True)
    session.commit()
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 1}
    customer = session.scalar(select(Customer).where(Customer.customer_number == "2001"))
    assert customer.org_number == "5560360793" and customer.district.name == "Norr"
    assert [t.name for t in customer.tags] == ["VIP"] and customer.address("visiting").city == "Umeå"


def test_file_type_and_size_refused():
    with pytest.raises(DomainError):
        ci.read_file("kunder.pdf", b"%PDF")
    with pytest.raises(DomainError):
        ci.read_file("kunder.xlsx", b"x" * (ci.MAX_BYTES + 1))
    with pytest.raises(DomainError):
        ci.read_file("kunder.xlsx", b"not a zip")


def test_csv_with_semicolons(session, lookups):
    data = "customer_number;kind;name;org_number\n2005;company;CSV AB;556036-0793\n".encode("utf-8-sig")
    results = ci.check_rows(session, rc.current(session), load_settings(session), ci.read_file("k.csv", data))
    assert results[0].ok and results[0].prepared["org_number"] == "5560360793"


def test_round_trip_through_cli_with_update_and_history(app, runner, tmp_path):
    with app.app_context():
        db.session.add(District(name="Norr"))
        rc.save_custom_field(db.session, "customer", "fleet_size", "number", "Flotta")
        db.session.commit()
    source = tmp_path / "in.xlsx"
    source.write_bytes(xlsx([GOOD | {"cf_fleet_size": 3, "tags": None},
                             {"customer_number": "3001", "kind": "private", "name": "Anna Andersson",
                              "personal_number": "19811218-9876"}]))
    result = runner.invoke(args=["import-customers", str(source)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.xlsx"
    assert runner.invoke(args=["export-customers", str(out)]).exit_code == 0
    book = load_workbook(out)
    sheet = book["Företagskunder"]
    header = [c.comment.text for c in sheet[1]]  # the labels are the header, the keys in comments
    assert "cf_fleet_size" in header and "personal_number" not in header
    assert "Flotta" in [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("customer_number")].value == "2001")
    row[header.index("name")].value = "Däckia Norr AB"
    row[header.index("cf_fleet_size")].value = 7
    book.save(out)

    refused = runner.invoke(args=["import-customers", str(out)])
    assert refused.exit_code != 0 and "2001" in refused.output  # already in use without --update
    result = runner.invoke(args=["import-customers", str(out), "--update"])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 1 unchanged" in result.output  # Anna's row changed nothing
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.customer_number == "2001"))
        assert customer.name == "Däckia Norr AB"
        cfg = rc.current(db.session)
        assert rc.values_of(db.session, cfg, "customer", [customer.id])[customer.id]["cf_fleet_size"] == 7
        changes = {(h.field, h.old_value, h.new_value) for h in db.session.scalars(
            select(AuditLog).where(AuditLog.table_name == "customer", AuditLog.record_id == str(customer.id),
                                   AuditLog.action == "update"))}
        assert ("name", "Däckia AB", "Däckia Norr AB") in changes and ("cf_fleet_size", "3", "7") in changes
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 2


def test_cli_bad_file_exits_non_zero(runner, tmp_path):
    bad = tmp_path / "x.txt"
    bad.write_text("hej")
    result = runner.invoke(args=["import-customers", str(bad)])
    assert result.exit_code == 1 and "XLSX" in result.output and "CSV" in result.output
