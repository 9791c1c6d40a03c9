"""The SIE writer (services.ledger.sie.write_sie) checked by the independent reader
(services.ledger.sie_read): files produced by the writer, read back, must have every voucher
balanced, #IB + transactions = #UB for every balance-sheet account, the names as the writer's
code page 437 rules promise, and a #KSUMMA that verifies. No database, no app."""
import datetime as dt
import io
import unicodedata
from decimal import Decimal as D

import pytest

from bench.ledger_data import sie_export
from services.ledger.sie import SieAccount, SieBalance, SieExport, SieRow, SieVoucher, SieYear, write_sie
from services.ledger.sie_read import read_sie, verify

pytestmark = pytest.mark.any_db

YEAR = SieYear(0, dt.date(2026, 1, 1), dt.date(2026, 12, 31))

# (name given to the writer, name the file must read back as)
NAMES = {
    "1510": ('Kundfordringar "Åkes" {privat}', 'Kundfordringar "Åkes" {privat}'),
    "1930": ("Företagskonto på banken\tÖrebro", "Företagskonto på banken Örebro"),  # TAB -> blank
    "2611": ("Utgående moms 25 % – räntor €", "Utgående moms 25 % - räntor EUR"),  # outside cp437
    "3041": ("Försäljning “tjänster” Łódź", 'Försäljning "tjänster" Lódz'),
    "3001": (unicodedata.normalize("NFD", "Försäljning Café"), "Försäljning Café"),  # decomposed letters
    "1460": ("Lager C:\\verkstad\\", "Lager C:\\verkstad/"),  # a closing backslash would escape the quote
    "2440": ('Leverantörsskulder \\"x\\"', 'Leverantörsskulder /"x/"'),
}
KINDS = {"1510": "T", "1930": "T", "2611": "S", "3041": "I", "3001": "I", "1460": "T", "2440": "S"}


def small_export() -> SieExport:
    vouchers = [
        SieVoucher("F", 1, dt.date(2026, 1, 5), 'Faktura 1001 "Åkes Bil" – däck', [
            SieRow("1510", D("1250.00")), SieRow("3041", D("-1000.00"), "Arbete: byte av däck {vinter}"),
            SieRow("2611", D("-250.00"))], registered=dt.date(2026, 1, 6)),
        SieVoucher("B", 1, dt.date(2026, 1, 20), "Betalning 1001", [
            SieRow("1930", D("1250.00")), SieRow("1510", D("-1250.00"))]),
        SieVoucher("F", 2, dt.date(2026, 2, 1), "", [
            SieRow("1510", D("0.10")), SieRow("3001", D("-0.08")), SieRow("2611", D("-0.02"))]),
        SieVoucher("M", 1, dt.date(2026, 3, 1), "Inköp lager", [
            SieRow("1460", D("500.00")), SieRow("2440", D("-500.00"))]),
    ]
    opening = {"1930": D("10000.00"), "2440": D("-3000.00"), "1460": D("-7000.00")}
    closing = dict(opening)
    for v in vouchers:
        for r in v.rows:
            if KINDS[r.account] in "TS":
                closing[r.account] = closing.get(r.account, D("0.00")) + r.amount
    return SieExport(
        company_name='Bilverkstaden "Åkes" i Storåker AB', org_number="556677-8899", generated=dt.date(2027, 1, 15),
        years=[YEAR], accounts=[SieAccount(n, NAMES[n][0], KINDS[n]) for n in NAMES],
        opening=[SieBalance(a, x) for a, x in opening.items()],
        closing=[SieBalance(a, x) for a, x in closing.items()],
        results=[SieBalance("3041", D("-1000.00")), SieBalance("3001", D("-0.08"))],
        vouchers=iter(vouchers))


def written(export: SieExport, **options) -> tuple[bytes, object]:
    out = io.BytesIO()
    stats = write_sie(out, export, **options)
    return out.getvalue(), stats


@pytest.mark.parametrize("checksum", [False, True])
def test_small_export_reads_back(checksum):
    data, stats = written(small_export(), checksum=checksum)
    sie = read_sie(data)
    assert sie.encoding == "cp437" and sie.warnings == []
    assert (sie.flag, sie.format, sie.sie_type) == (0, "PC8", "4")
    assert sie.company_name == 'Bilverkstaden "Åkes" i Storåker AB' and sie.org_number == "556677-8899"
    assert sie.years[0].start == YEAR.start and sie.years[0].end == YEAR.end
    assert {n: a.name for n, a in sie.accounts.items()} == {n: expected for n, (_given, expected) in NAMES.items()}
    assert {n: a.type for n, a in sie.accounts.items()} == KINDS
    assert len(sie.vouchers) == 4 and sie.transaction_count == 10
    f1 = sie.vouchers[0]
    assert (f1.series, f1.number, f1.date, f1.text, f1.registered) == (
        "F", "1", dt.date(2026, 1, 5), 'Faktura 1001 "Åkes Bil" - däck', dt.date(2026, 1, 6))
    assert f1.transactions[1].text == "Arbete: byte av däck {vinter}"
    assert f1.transactions[1].date == dt.date(2026, 1, 5)
    assert [t.amount for t in sie.vouchers[2].transactions] == [D("0.10"), D("-0.08"), D("-0.02")]
    assert sie.vouchers[2].text == ""
    assert sie.opening[0]["1930"] == D("10000.00") and sie.closing[0]["1930"] == D("11250.00")
    assert verify(sie) == []
    if checksum:
        assert sie.checksum == stats.checksum is not None
    else:
        assert sie.checksum is None


def test_plain_export_is_ascii_and_reads_back():
    data, _stats = written(small_export(), checksum=True, plain=True)
    assert data.isascii()
    sie = read_sie(data)
    assert sie.accounts["1930"].name == "Foretagskonto pa banken Orebro"
    assert sie.company_name == 'Bilverkstaden "Akes" i Storaker AB'
    assert verify(sie) == []


def test_changed_written_file_fails_its_checksum():
    data, _stats = written(small_export(), checksum=True)
    from services.ledger.sie_read import SieReadError
    with pytest.raises(SieReadError):
        read_sie(data.replace(b"1250.00", b"1260.00", 1))


def test_generated_year_reads_back():
    count = 3000
    data, stats = written(sie_export(count), checksum=True)
    sie = read_sie(data)
    assert len(sie.vouchers) == count and sie.transaction_count == 3 * count == stats.rows
    assert sie.checksum == stats.checksum
    assert sie.company_name == "Bilverkstaden i Storåker AB" and sie.accounts["1930"].name == "Företagskonto"
    assert all(v.date.year == 2026 for v in sie.vouchers)
    assert [v.number for v in sie.vouchers[:3]] == ["1", "2", "3"]
    assert verify(sie) == []
    # the results the export states are the year's movements of the result accounts
    moved: dict[str, D] = {}
    for v in sie.vouchers:
        for t in v.transactions:
            moved[t.account] = moved.get(t.account, D(0)) + t.amount
    assert sie.result[0] == {a: moved[a] for a in ("3001", "3041")}
