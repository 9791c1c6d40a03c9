"""The BgMax parser (services.ledger.bgmax) on Bankgirot's two published example files and on
broken copies of them. The expected values below were read off the files by hand (positions of
the technical manual), not produced by the parser. No database, no app."""
import datetime as dt
import hashlib
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from services.ledger.bgmax import BgMaxError, parse_bgmax
from bench.ledger_data import GenPayment, many_payments, write_bgmax

pytestmark = pytest.mark.any_db

FORMATS = Path("/work/shared/formats")
TWO = FORMATS / "bgmax" / "bankgirot_exempelfil_ocr-kontroll_checksiffra_langd_2sections_SEK.txt"
THREE = FORMATS / "bgmax" / "bankgirot_exempelfil_ocr-kontroll_checksiffra_langd_3sections_SEK_EUR_pre2016.txt"
ROOT = Path(__file__).resolve().parents[3]


def lines_of(path: Path) -> list[bytes]:
    """The file's lines without their line ends (CRLF in TWO, LF in THREE)."""
    return [line.rstrip(b"\r") for line in path.read_bytes().split(b"\n")]


def broken(path: Path, line_number: int, new: bytes | None) -> bytes:
    """A copy of the file with line ``line_number`` (1-based) replaced (None: removed)."""
    lines = lines_of(path)
    if new is None:
        del lines[line_number - 1]
    else:
        lines[line_number - 1] = new
    return b"\r\n".join(lines)


def set_at(path: Path, line_number: int, position: int, text: bytes) -> bytes:
    """A copy with ``text`` written over line ``line_number`` from ``position`` (1-based)."""
    line = lines_of(path)[line_number - 1]
    return broken(path, line_number, line[:position - 1] + text + line[position - 1 + len(text):])


def error_of(data: bytes) -> BgMaxError:
    with pytest.raises(BgMaxError) as caught:
        parse_bgmax(data)
    return caught.value


# ---- the real files -----------------------------------------------------------------


def test_two_sections_file():
    f = parse_bgmax(TWO.read_bytes())
    assert (f.layout_name, f.version, f.is_test) == ("BGMAX", "01", False)
    assert f.written_at == dt.datetime(2004, 5, 25, 17, 30, 35, 10331)
    assert (f.payment_records, f.deduction_records, f.extra_reference_records, f.deposit_records) == (6, 1, 6, 2)
    assert f.checksum == hashlib.sha256(TWO.read_bytes()).hexdigest()
    assert [(s.payee_bankgiro, s.currency, s.deposit_date, s.deposit_serial, s.total, s.payment_count)
            for s in f.sections] == [("9912346", "SEK", dt.date(2004, 5, 25), "00074", D("1900.00"), 3),
                                     ("9912346", "SEK", dt.date(2004, 5, 25), "00075", D("8000.00"), 4)]
    assert f.sections[0].bank_account == "5841000001009823"

    first, second = f.sections
    assert [(p.amount, p.reference, p.reference_code, p.channel, p.payer_bankgiro, p.bgc_serial, p.line_number)
            for p in first.payments] == [
        (D("1000.00"), "655969", "2", "2", "3783511", "000000000010", 3),
        (D("1400.00"), "657866 658765 657767", "3", "2", "3783511", "000000000014", 13),
    ]
    assert [(p.amount, p.reference, p.reference_code, p.bgc_serial, p.deduction_code, p.line_number)
            for p in first.deductions] == [(D("500.00"), "89853", "3", "000230000111", "0", 8)]
    assert first.deductions[0].is_deduction and not first.payments[0].is_deduction

    several = first.payments[1]
    assert [(x.reference, x.amount, x.line_number) for x in several.extra_references] == [
        ("657866", D("0.00"), 14), ("658765", D("0.00"), 15), ("657767", D("0.00"), 16), ("657965", D("0.00"), 17)]
    assert several.references == ["657866", "658765", "657767", "657965"]
    assert several.information == ["Betalning med extra refnr 657965"]
    assert (several.payer_name, several.payer_address, several.payer_postcode, several.payer_city,
            several.payer_organisation_number) == ("Kalles Plåt AB", "Storgatan 2", "12345", "Storåker", "5500001234")

    assert [(p.amount, p.reference, p.reference_code, p.channel, p.has_image, p.payer_name)
            for p in second.payments] == [
        (D("1100.00"), "650861", "2", "1", False, "Olles färg AB"),
        (D("1200.00"), "", "1", "3", True, "Berits Garn"),
        (D("700.00"), "659763", "2", "3", True, "Berits Garn"),
        (D("5000.00"), "658260", "2", "2", False, "Kalles Plåt AB"),
    ]
    assert second.payments[3].information == ["Faktura 658369", "Faktura 658468"]
    assert second.payments[3].references == ["658260", "658369", "658468"]
    assert second.payments[0].payer_organisation_number == "5500004322"
    assert second.payments[1].references == []


def test_bank_references_are_unique():
    """Bankgirot's example gives two payments of one deposit the same BGC serial (16)."""
    f = parse_bgmax(TWO.read_bytes())
    items = [p for s in f.sections for p in s.payments + s.deductions]
    refs = [p.bank_reference for p in items]
    assert len(set(refs)) == len(refs) == 7
    assert f.sections[0].payments[0].bank_reference == "9912346/20040525/74/000000000010"
    assert f.sections[1].payments[3].bank_reference == "9912346/20040525/75/000000000016/2"
    # the same payment in the other file has the same reference
    again = parse_bgmax(THREE.read_bytes())
    assert [p.bank_reference for s in again.sections[:2] for p in s.payments + s.deductions] == refs


def test_three_sections_file_with_euro():
    f = parse_bgmax(THREE.read_bytes())
    assert (f.payment_records, f.deduction_records, f.extra_reference_records, f.deposit_records) == (8, 1, 9, 3)
    assert [(s.currency, s.total, s.payment_count, s.deposit_serial) for s in f.sections] == [
        ("SEK", D("1900.00"), 3, "00074"), ("SEK", D("8000.00"), 4, "00075"), ("EUR", D("4000.00"), 2, "00076")]
    euro = f.sections[2]
    assert [(p.amount, p.reference, p.reference_code, p.payer_name) for p in euro.payments] == [
        (D("3000.00"), "801266,801365,801464", "3", "Olles färg AB"), (D("1000.00"), "659763", "2", "Berits Garn")]
    assert euro.payments[0].references == ["801266", "801365", "801464"]
    assert euro.payments[0].information == ["Faktura801465"]
    assert f.checksum != parse_bgmax(TWO.read_bytes()).checksum
    assert len(f.payments) == 8 and len(f.deductions) == 1


def test_stripped_trailing_blanks_and_utf8_resave_read_the_same():
    """Documented tolerance: an editor that strips trailing blanks, or saves as UTF-8."""
    original = parse_bgmax(TWO.read_bytes())
    stripped = b"\n".join(line.rstrip() for line in lines_of(TWO))
    utf8 = TWO.read_bytes().decode("iso-8859-1").encode("utf-8")
    for data in (stripped, utf8, b"\xef\xbb\xbf" + utf8):
        f = parse_bgmax(data)
        assert [(p.amount, p.reference, p.payer_name, p.bank_reference) for p in f.payments] == \
            [(p.amount, p.reference, p.payer_name, p.bank_reference) for p in original.payments]
        assert f.checksum == hashlib.sha256(data).hexdigest()


# ---- broken copies ------------------------------------------------------------------


def test_line_too_long():
    e = error_of(broken(TWO, 5, lines_of(TWO)[4] + b"X"))
    assert e.line_number == 5 and "81" in e.message


def test_line_cut_inside_a_field():
    e = error_of(broken(TWO, 3, lines_of(TWO)[2][:50]))
    assert e.line_number == 3 and "50" in e.message


def test_deposit_total_does_not_match():
    e = error_of(set_at(TWO, 23, 51, b"000000000000190100"))  # 1901.00 instead of 1900.00
    assert e.line_number == 23 and "1\xa0901,00" in e.message and "1\xa0900,00" in e.message


def test_deposit_count_does_not_match():
    e = error_of(set_at(TWO, 49, 72, b"00000005"))
    assert e.line_number == 49


def test_unknown_record_type():
    e = error_of(set_at(TWO, 18, 1, b"24"))
    assert e.line_number == 18 and '"24"' in e.message


def test_missing_end_record():
    data = b"\r\n".join(lines_of(TWO)[:-1])
    e = error_of(data)
    assert e.line_number == 49 and "70" in e.message


def test_end_record_count_does_not_match():
    for position, line in ((3, 50), (11, 50), (19, 50), (27, 50)):
        e = error_of(set_at(TWO, line, position, b"00000009"))
        assert e.line_number == 50


def test_non_numeric_amount():
    e = error_of(set_at(TWO, 25, 38, b"0000000000001100O0"))  # a letter O among the digits
    assert e.line_number == 25 and "1100O0" in e.message


def test_non_numeric_deposit_date():
    e = error_of(set_at(TWO, 23, 38, b"20040532"))
    assert e.line_number == 23


def test_record_out_of_order():
    # the payment record 20 of line 3 removed: its name record 26 now follows the opening record
    e = error_of(broken(TWO, 3, None))
    assert e.line_number == 3
    # a payment after the deposit record, outside any section
    e = error_of(broken(TWO, 24, None))
    assert e.line_number == 24
    # a second name record for one payment
    e = error_of(broken(TWO, 5, lines_of(TWO)[3]))
    assert e.line_number == 5


def test_nothing_after_the_end_record():
    data = TWO.read_bytes() + b"\r\n" + lines_of(TWO)[1]
    assert error_of(data).line_number == 51


def test_empty_line_inside_the_file():
    assert error_of(broken(TWO, 10, b"")).line_number == 10


@pytest.mark.parametrize("path", [FORMATS / "sie" / "FAKT.SI", FORMATS / "peppol" / "base-example.xml"])
def test_other_formats_are_not_bgmax(path):
    e = error_of(path.read_bytes())
    assert e.line_number == 1 and "BgMax" in e.message


@pytest.mark.parametrize("data", [b"", b"kund;belopp\r\n1;100,00\r\n", b"\n\n"])
def test_csv_and_empty_are_not_bgmax(data):
    e = error_of(data)
    assert e.line_number == 1 and "BgMax" in e.message


def test_messages_in_swedish_and_german():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(ROOT / "translations" / "ledger"))
    data = set_at(TWO, 23, 51, b"000000000000190100")
    with app.test_request_context():
        with force_locale("sv"):
            assert error_of(data).message.startswith("Rad 23: ")
            assert "inte en BgMax-fil" in error_of(b"x").message
        with force_locale("de"):
            assert error_of(data).message.startswith("Zeile 23: ")


# ---- generated files ----------------------------------------------------------------


def test_generated_file_round_trip():
    sections = [
        [GenPayment(D("1250.00"), "1234567897", name="Åkes Bil AB", address="Bygatan 1", postcode="11122",
                    city="Örebro", organisation_number="5561234567", information=["Faktura 1001"]),
         GenPayment(D("99.50"), "55 66", reference_code="3", extra_references=["55", "66"]),
         GenPayment(D("10.00"), "", reference_code="1", deduction=True)],
        [GenPayment(D("0.01"), "7")],
    ]
    out = io.BytesIO()
    write_bgmax(out, sections, test=True)
    f = parse_bgmax(out.getvalue())
    assert f.is_test and [s.total for s in f.sections] == [D("1339.50"), D("0.01")]
    first = f.sections[0].payments[0]
    assert (first.payer_name, first.payer_city, first.payer_organisation_number, first.information) == (
        "Åkes Bil AB", "Örebro", "5561234567", ["Faktura 1001"])
    assert f.sections[0].payments[1].references == ["55", "66"]
    assert f.sections[0].deductions[0].amount == D("10.00")


def test_generated_ten_thousand_payments():
    out = io.BytesIO()
    write_bgmax(out, many_payments(10_000))
    f = parse_bgmax(out.getvalue())
    assert len(f.payments) == f.payment_records == 10_000 and len(f.sections) == f.deposit_records == 10
    assert len({p.bank_reference for p in f.payments}) == 10_000
