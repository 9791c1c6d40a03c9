"""Identifiers by the customer's country and the Peppol address (EAS) they give."""
import pytest

from reports.sales.peppol import address_parts, split_postal
from services import DomainError
from services.registers.identifiers import normalise_org_number, normalise_vat_number, peppol_endpoint


def test_identifiers_by_country(app):
    """Issue 9 item 17: foreign identifiers are validated by the customer's country
    (python-stdnum) and stored compact, a VAT number always with its country prefix."""
    with app.app_context():
        assert normalise_org_number("556036-0793") == "5560360793"
        assert normalise_org_number("995 525 828", "NO") == "995525828"
        assert normalise_org_number("DK 13585628", "DK") == "13585628"
        assert normalise_vat_number("NO 995 525 828 MVA", "NO", eu_member=False) == "NO995525828MVA"
        assert normalise_vat_number("995525828MVA", "NO", eu_member=False) == "NO995525828MVA"
        assert normalise_vat_number("136695976", "DE") == "DE136695976"
        assert normalise_vat_number("CHE-107.787.577 IVA", "CH", eu_member=False) == "CHE107787577IVA"
        for value, country in (("995525829", "NO"), ("5560360793", "NO"), ("556036-0794", "SE")):
            with pytest.raises(DomainError):
                normalise_org_number(value, country)
        with pytest.raises(DomainError):
            normalise_vat_number("DE136695976", "SE")  # another country's number
        with pytest.raises(DomainError):
            normalise_vat_number("NO995525829MVA", "NO", eu_member=False)


def test_peppol_endpoint_schemes():
    """Issue 9 item 17: the EAS scheme matches the identifier's country (0192 for a Norwegian
    organisation number); none for a buyer without one (never "EM", PEPPOL-EN16931-CL008)."""
    assert peppol_endpoint("SE", "5560360793", "SE556036079301") == ("0007", "5560360793")
    assert peppol_endpoint("NO", "995525828", "NO995525828MVA") == ("0192", "995525828")
    assert peppol_endpoint("DE", None, "DE136695976") == ("9930", "DE136695976")
    assert peppol_endpoint("FR", None, "FR40303265045") == ("9957", "FR40303265045")
    assert peppol_endpoint("SE", None, "SE556036079301") == ("0007", "5560360793")
    assert peppol_endpoint("SE", None, None) is None
    assert peppol_endpoint("BR", "12345", None) is None


@pytest.mark.parametrize("line, country, expected", [
    ("123 45 Stockholm", "SE", ("123 45", "Stockholm")),
    ("12345 Stockholm", "SE", ("12345", "Stockholm")),
    ("0150 Oslo", "NO", ("0150", "Oslo")),
    ("1012 AB Amsterdam", "NL", ("1012 AB", "Amsterdam")),
    ("SW1A 1AA London", "GB", ("SW1A 1AA", "London")),
    ("10115 Berlin", "DE", ("10115", "Berlin")),
    ("D02 X285 Dublin", "IE", ("D02 X285", "Dublin")),
])
def test_postal_code_is_not_split_at_the_first_space(line, country, expected):
    """Issue 9 item 17: "123 45 Stockholm" was PostalZone 123, CityName "45 Stockholm"."""
    assert split_postal(line, country) == expected


def test_address_parts_of_a_snapshot():
    assert address_parts(["Box 55", "Lager 2", "123 45 Stockholm"], "SE") == {
        "street": "Box 55", "street2": "Lager 2", "postal": "123 45", "city": "Stockholm", "country": "SE"}
    assert address_parts(["Karl Johans gate 1", "0154 Oslo", "NO"], "SE")["country"] == "NO"


def test_import_checks_identifiers_by_the_rows_country(session):
    """Issue 9 item 17: the customer import validates organisation and VAT numbers by the
    row's country like the form (a Norwegian customer's numbers were refused)."""
    from services.registers import customer_import as ci
    from services.registers import register_config as rc
    from services.platform.settings import load_settings
    from tests.factories import xlsx

    norwegian = {"customer_number": "2001", "kind": "company", "name": "Fjord AS", "org_number": "995 525 828",
                 "vat_number": "NO 995 525 828 MVA", "country": "NO"}
    wrong = norwegian | {"customer_number": "2002", "name": "Fel AS", "org_number": "556036-0793"}
    rows = ci.read_file("k.xlsx", xlsx([norwegian, wrong]))
    results = ci.check_rows(session, rc.current(session), load_settings(session), rows)
    assert results[0].ok, results[0].errors
    assert (results[0].prepared["org_number"], results[0].prepared["vat_number"]) == ("995525828", "NO995525828MVA")
    assert [c for c, _m in results[1].errors] == ["org_number"]
