"""The SIE reader (services.ledger.sie_read) on the four published example files and on broken
copies of them. The expected counts and values were read off the files by hand (grep and a
text editor on the cp437 text), not produced by the reader. No database, no app."""
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from services.ledger.sie_read import Account, SieReadError, read_sie, verify

pytestmark = pytest.mark.any_db

SIE = Path("/work/shared/formats/sie")
OFFICIAL = SIE / "SIE4_Exempelfil_official.SE"  # CRLF
BL = SIE / "BL0001_typ4I.SI"
FAKT = SIE / "FAKT.SI"
NORSTEDTS = SIE / "Norstedts_Bokslut_SIE_4I_with_KSUMMA.si"
ROOT = Path(__file__).resolve().parents[3]


def lines_of(path: Path) -> list[bytes]:
    return [line.rstrip(b"\r") for line in path.read_bytes().split(b"\n")]


def broken(path: Path, line_number: int, new: bytes | None = None, insert: bytes | None = None) -> bytes:
    """A copy with line ``line_number`` (1-based) replaced by ``new``, or ``insert`` put before it."""
    lines = lines_of(path)
    if insert is not None:
        lines.insert(line_number - 1, insert)
    else:
        lines[line_number - 1] = new
    return b"\r\n".join(lines)


def error_of(data: bytes) -> SieReadError:
    with pytest.raises(SieReadError) as caught:
        read_sie(data)
    return caught.value


# ---- the real files -----------------------------------------------------------------


def test_official_example_file():
    sie = read_sie(OFFICIAL.read_bytes())
    assert (sie.flag, sie.format, sie.sie_type) == (1, "PC8", "4")
    assert sie.program == ("Visma Administration 2000 med Visma Integration", "2022.2")
    assert sie.generated == (dt.date(2023, 8, 22), "")
    assert (sie.company_name, sie.org_number, sie.chart_type) == ("Övningsbolaget AB", "555555-5555", "EUBAS97")
    assert sie.years[0].start == dt.date(2021, 1, 1) and sie.years[0].end == dt.date(2021, 12, 31)
    assert sie.years[-1].start == dt.date(2020, 1, 1) and sie.years[-1].end == dt.date(2020, 12, 31)
    assert sie.encoding == "cp437" and sie.warnings == []
    # 530 #KONTO (each with a #KTYP), 295 #VER, 1330 #TRANS, 51 #IB, 53 #UB, 119 #RES
    assert len(sie.accounts) == 530
    assert len(sie.vouchers) == 295 and sie.transaction_count == 1330
    assert sum(map(len, sie.opening.values())) == 51 and sum(map(len, sie.closing.values())) == 53
    assert sum(map(len, sie.result.values())) == 119
    assert sie.accounts["1930"] == Account("Bank, checkräkningskonto", "T")
    assert sie.accounts["2440"] == ("Leverantörsskulder", "S")
    assert sie.accounts["1060"].name == "Hyresrätt"
    assert (sie.opening[0]["1930"], sie.closing[0]["1930"]) == (D("938311.64"), D("746686.19"))
    assert (sie.opening[0]["2440"], sie.closing[0]["2440"]) == (D("-398062.30"), D("-234973.13"))
    assert sie.result[0]["3041"] == D("-1690380.20")
    first = sie.vouchers[0]  # line 1866
    assert (first.series, first.number, first.date, first.text, first.registered) == (
        "A", "1", dt.date(2021, 1, 5), "Kaffebröd", dt.date(2021, 3, 10))
    assert first.line_number == 1866
    assert [(t.account, t.amount) for t in first.transactions] == [
        ("1910", D("-195.00")), ("2641", D("20.88")), ("7690", D("174.12"))]
    assert first.transactions[0].date is None and first.transactions[0].objects == []
    b6 = next(v for v in sie.vouchers if (v.series, v.number) == ("B", "6"))
    assert len(b6.transactions) == 10 and b6.text == "Fakturajournal nr 68"
    row = b6.transactions[4]  # line 2229: #TRANS 3041 {1 Nord 6 0001} -52625.00
    assert (row.account, row.objects, row.amount, row.line_number) == (
        "3041", [("1", "Nord"), ("6", "0001")], D("-52625.00"), 2229)
    last = sie.vouchers[-1]
    assert (last.series, last.number, last.date, last.text) == ("G", "12", dt.date(2021, 12, 31), "Hyra")
    assert "#OBJEKT" in sie.unknown_labels and "#SRU" not in sie.unknown_labels  # #SRU is read (the import)
    assert len(sie.sru) == 529 and sie.sru["1060"] == "7201" and sie.lines[("#SRU", "1060")] == 17
    assert verify(sie) == []


def test_official_file_with_lf_line_ends_reads_the_same():
    crlf = read_sie(OFFICIAL.read_bytes())
    lf = read_sie(OFFICIAL.read_bytes().replace(b"\r\n", b"\n"))
    assert lf == crlf


def test_fakt_file():
    sie = read_sie(FAKT.read_bytes())
    assert sie.program == ("Visma Fakturering", "5.11") and sie.generated == (dt.date(2011, 3, 4), "")
    assert (sie.company_name, sie.org_number, sie.chart_type) == ("Övningsbolaget AB", "555555-5555", "EUBAS97")
    assert sie.years == {}
    assert sie.accounts == {"1510": ("Kundfordringar", None), "2611": ("Utg moms försäljning/uttag 25%", None),
                            "3051": ("Försäljn varor 25% sv", None)}
    (v,) = sie.vouchers
    assert (v.series, v.number, v.date, v.text, v.registered) == ("B", "", dt.date(2011, 3, 4),
                                                                   "Fakturajournal nr 109", None)
    assert [(t.account, t.amount, t.date) for t in v.transactions] == [
        ("1510", D("8000.00"), None), ("2611", D("-1600.00"), None), ("3051", D("-6400.00"), None)]
    assert {t.text for t in v.transactions} == {"Faktnr: 891, Namn: Karl Svensson"}
    assert verify(sie) == []


def test_bl_administration_4i_file():
    sie = read_sie(BL.read_bytes())
    assert sie.program == ("BL Administration", "2011.2.102") and sie.generated == (dt.date(2011, 11, 1), "1")
    assert sie.company_name == "SEEE Speak Easy Executive English AB" and sie.org_number is None
    assert sie.accounts == {} and sie.years[0].start is None  # "#RAR 0" without dates
    (v,) = sie.vouchers
    assert (v.series, v.number, v.date, v.text) == ("", "0", dt.date(2011, 8, 24), "Kundfakt 2452 - 2455")
    assert len(v.transactions) == 10
    assert [t.amount for t in v.transactions] == [D(x) for x in (
        "1063", "1000", "250", "1000", "-1000", "-212.5", "-1000", "-250", "-850", "-0.5")]
    assert v.transactions[1].text == "[2452] ENTREPRISE BENGTSSON" and v.transactions[1].date == dt.date(2011, 8, 24)
    assert verify(sie) == []


def test_norstedts_file_and_its_checksum():
    sie = read_sie(NORSTEDTS.read_bytes())
    assert sie.checksum == 1573150874  # verified, or read_sie would have raised
    assert sie.program == ("Norstedts Bokslut", "2011.2.1") and sie.generated == (dt.date(2011, 3, 17), "QQ")
    assert (sie.company_name, sie.org_number) == ("Datakonsulterna AB", "556639-1537")
    assert sie.years[0].start == dt.date(2009, 7, 1) and sie.years[-1].end == dt.date(2009, 6, 30)
    assert len(sie.accounts) == 351 and sie.accounts["1060"] == ("Hyresrätter", None)
    assert len(sie.vouchers) == 2 and sie.transaction_count == 4
    v = sie.vouchers[1]
    assert (v.series, v.number, v.date, v.text) == ("A", "53", dt.date(2010, 6, 30), "Årets resultat")
    assert [(t.account, t.amount) for t in v.transactions] == [("8999", D("1104488.11")), ("2099", D("-1104488.11"))]
    assert verify(sie) == []


# ---- broken copies ------------------------------------------------------------------


def test_unbalanced_voucher():
    e = error_of(broken(OFFICIAL, 1869, b"   #TRANS 2641 {} 20.89"))
    assert e.line_number == 1866 and "A 1" in e.message and "0,01\xa0kr" in e.message


def test_unbalanced_voucher_is_listed_by_verify_when_read_anyway():
    sie = read_sie(broken(OFFICIAL, 1869, b"   #TRANS 2641 {} 20.89"), check_balance=False)
    problems = verify(sie)
    assert any("A 1" in p and "1866" in p for p in problems)
    # the extra öre also lands on 2641 (input VAT, a balance-sheet account): IB + transactions != UB
    assert len(problems) == 2 and "2641" in problems[1] and "0,01\xa0kr" in problems[1]


def test_closing_balance_that_does_not_follow():
    problems = verify(read_sie(broken(OFFICIAL, 1658, b"#UB 0 1930 746686.20")))
    assert len(problems) == 1 and "1930" in problems[0] and "746\xa0686,20\xa0kr" in problems[0]


def test_wrong_checksum():
    assert error_of(broken(NORSTEDTS, 379, b"#KSUMMA\t\t1573150875")).line_number == 379


def test_changed_content_fails_the_checksum():
    e = error_of(broken(NORSTEDTS, 22, b"#KONTO\t1060\tHyresratter"))
    assert e.line_number == 379 and "1573150874" in e.message


def test_checksum_that_never_ends():
    assert error_of(broken(NORSTEDTS, 379, b"")).line_number == 378  # the last line, "}"


def test_malformed_amount():
    e = error_of(broken(FAKT, 16, b'   #TRANS 1510 {} 8000,00 "" "Faktnr: 891"'))
    assert e.line_number == 16 and "8000,00" in e.message


def test_unterminated_quote():
    assert error_of(broken(FAKT, 14, b'#VER B "" 20110304 "Fakturajournal nr 109')).line_number == 14


def test_unterminated_object_list():
    assert error_of(broken(FAKT, 16, b'   #TRANS 1510 {1 "Nord" 8000.00')).line_number == 16


def test_trans_outside_a_voucher():
    e = error_of(broken(FAKT, 20, insert=b"#TRANS 1510 {} 1.00"))
    assert e.line_number == 20 and "#TRANS" in e.message


def test_file_ending_inside_a_voucher():
    assert error_of(b"\r\n".join(lines_of(FAKT)[:18])).line_number == 18


def test_ver_without_its_brace_and_bad_date():
    assert error_of(broken(FAKT, 15, b'#TRANS 1510 {} 1.00')).line_number == 15
    assert error_of(broken(FAKT, 14, b'#VER B "" 20110231 "x"')).line_number == 14


@pytest.mark.parametrize("path", [next(iter(sorted((SIE.parent / "bgmax").iterdir()))),
                                  SIE.parent / "peppol" / "base-example.xml"])
def test_other_formats_are_not_sie(path):
    assert error_of(path.read_bytes()).line_number == 1
    assert error_of(b"").line_number == 1


# ---- the spec's rules ---------------------------------------------------------------


def sie_file(*records: str, encoding: str = "cp437") -> bytes:
    head = ["#FLAGGA 0", "#FORMAT PC8", "#SIETYP 4", "#RAR 0 20260101 20261231"]
    return "\r\n".join(head + list(records)).encode(encoding) + b"\r\n"


def test_quotes_escapes_objects_and_unknown_labels():
    data = sie_file('#KONTO 1930 "Bank \\"Nord\\" åäö C:\\data"', "#KTYP 1930 t",
                    "#NYETIKETT 1 {2 3} \"x\"",
                    '#VER M 7 20260105 "Rättelse" 20260106 "anna"', "{",
                    '\t#TRANS 1930 {1 "Syd öst" 6 P1} 100.5 20260104 "rad ett" 2 "per"',
                    "  #FRAMTIDA okänd", "\t#TRANS 3041 {} -100.50", "}")
    sie = read_sie(data)
    assert sie.accounts["1930"] == ("Bank \"Nord\" åäö C:\\data", "T")
    assert {"#NYETIKETT", "#FRAMTIDA"} <= sie.unknown_labels
    (v,) = sie.vouchers
    assert (v.number, v.registered, v.sign) == ("7", dt.date(2026, 1, 6), "anna")
    t = v.transactions[0]
    assert (t.objects, t.amount, t.date, t.text, t.quantity, t.sign) == (
        [("1", "Syd öst"), ("6", "P1")], D("100.5"), dt.date(2026, 1, 4), "rad ett", D("2"), "per")


def test_rtrans_and_btrans():
    """A row added afterwards (#RTRANS, followed by its identical #TRANS copy for older readers)
    counts once; a row struck out (#BTRANS) is kept aside and does not count."""
    data = sie_file('#VER A 1 20260110 "Ändrad"', "{",
                    "#TRANS 1930 {} 100.00", "#TRANS 3041 {} -100.00",
                    "#BTRANS 1930 {} 100.00 20260111 \"\" \"\" eva", "#BTRANS 3041 {} -100.00",
                    "#RTRANS 1930 {} 120.00 20260111", "#TRANS 1930 {} 120.00 20260111",
                    "#RTRANS 3041 {} -120.00", "#TRANS 3041 {} -120.00", "}")
    (v,) = read_sie(data).vouchers
    assert [(t.account, t.amount, t.kind) for t in v.transactions] == [
        ("1930", D("100.00"), "normal"), ("3041", D("-100.00"), "normal"),
        ("1930", D("120.00"), "added"), ("3041", D("-120.00"), "added")]
    assert [(t.account, t.amount, t.sign) for t in v.removed] == [("1930", D("100.00"), "eva"), ("3041", D("-100.00"), "")]


def test_rtrans_without_its_copy_is_reported():
    data = sie_file('#VER A 1 20260110 "x"', "{", "#RTRANS 1930 {} 5.00", "#TRANS 3041 {} -5.00", "}")
    sie = read_sie(data)
    assert len(sie.vouchers[0].transactions) == 2
    assert any("Line 7" in w and "#RTRANS" in w for w in sie.warnings)


def test_iso_8859_1_and_utf8_files_are_read_and_reported():
    records = ['#FNAMN "Åkes Bilverkstad"', '#KONTO 3041 "Försäljning tjänster"']
    for encoding in ("latin-1", "utf-8"):
        sie = read_sie(sie_file(*records, encoding=encoding))
        assert sie.company_name == "Åkes Bilverkstad" and sie.accounts["3041"].name == "Försäljning tjänster"
        assert sie.encoding != "cp437" and any("437" in w for w in sie.warnings)
    sie = read_sie(sie_file(*records))
    assert sie.encoding == "cp437" and sie.warnings == []
    fakt_iso = FAKT.read_bytes().decode("cp437").encode("cp1252")
    assert read_sie(fakt_iso).accounts == read_sie(FAKT.read_bytes()).accounts


def test_missing_format_is_reported():
    sie = read_sie(b"#FLAGGA 0\n#SIETYP 4\n#FNAMN x\n")
    assert sie.company_name == "x" and any("PC8" in w for w in sie.warnings)


def test_messages_in_swedish_and_german():
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(ROOT / "translations" / "ledger"))
    data = broken(FAKT, 20, insert=b"#TRANS 1510 {} 1.00")
    with app.test_request_context():
        with force_locale("sv"):
            assert error_of(data).message.startswith("Rad 20: ")
            assert "KSUMMA" in error_of(broken(NORSTEDTS, 379, b"#KSUMMA 1")).message
        with force_locale("de"):
            assert error_of(data).message.startswith("Zeile 20: ")
