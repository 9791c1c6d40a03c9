"""The SIE 4 writer (services.ledger.sie) on small hand-made sets: exact bytes, code page 437,
quoting, the plain-ASCII option, an empty export, #KSUMMA against Norstedts' published file, and
that the vouchers are streamed. No database, no app. (Memory and time: bench/sie_export.py.)"""
import datetime as dt
import io
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from bench.ledger_data import sie_export
from services.ledger.sie import (
    SieAccount,
    SieBalance,
    SieError,
    SieExport,
    SieRow,
    SieVoucher,
    SieYear,
    checksum_of_file,
    pc8_text,
    write_sie,
)

pytestmark = pytest.mark.any_db

SIE = Path("/work/shared/formats/sie")
YEAR = [SieYear(0, dt.date(2026, 1, 1), dt.date(2026, 12, 31)), SieYear(-1, dt.date(2025, 1, 1), dt.date(2025, 12, 31))]


def invoice(number=1, text="Faktura 1001", rows=None):
    return SieVoucher("F", number, dt.date(2026, 1, 5), text, rows or [
        SieRow("1510", D("1250.00")), SieRow("3001", D("-1000.00"), "Försäljning"), SieRow("2611", D("-250.00"))])


def export(vouchers=(), **changes) -> SieExport:
    values = dict(
        company_name="Åkes Bilverkstad AB", org_number="556677-8899", generated=dt.date(2027, 1, 15), years=YEAR,
        accounts=[SieAccount("1510", "Kundfordringar", "T"), SieAccount("2611", "Utgående moms 25 %", "S"),
                  SieAccount("3001", 'Försäljning "varor" 25%', "I")],
        opening=[SieBalance("1510", D("500.00")), SieBalance("2611", D("-100.00"))],
        closing=[SieBalance("1510", D("1750.00")), SieBalance("2611", D("-350.00"))],
        results=[SieBalance("3001", D("-1000.00"))],
        vouchers=iter(vouchers))
    values.update(changes)
    return SieExport(**values)


def written(e: SieExport, **options) -> bytes:
    out = io.BytesIO()
    write_sie(out, e, **options)
    return out.getvalue()


def test_exact_bytes():
    data = written(export([invoice()]))
    assert data.split(b"\r\n")[:-1] == [
        b"#FLAGGA 0",
        b"#PROGRAM Verkstad 1.0",
        b"#FORMAT PC8",
        b"#GEN 20270115",
        b"#SIETYP 4",
        b"#ORGNR 556677-8899",
        b'#FNAMN "\x8fkes Bilverkstad AB"',  # Å = 0x8F in code page 437
        b"#RAR 0 20260101 20261231",
        b"#RAR -1 20250101 20251231",
        b"#KPTYP BAS2014",
        b"#VALUTA SEK",
        b"#KONTO 1510 Kundfordringar",  # no blank: no quotes
        b"#KTYP 1510 T",
        b'#KONTO 2611 "Utg\x86ende moms 25 %"',  # å = 0x86
        b"#KTYP 2611 S",
        b'#KONTO 3001 "F\x94rs\x84ljning \\"varor\\" 25%"',  # ö = 0x94, ä = 0x84, quotes escaped \"
        b"#KTYP 3001 I",
        b"#IB 0 1510 500.00",
        b"#IB 0 2611 -100.00",
        b"#UB 0 1510 1750.00",
        b"#UB 0 2611 -350.00",
        b"#RES 0 3001 -1000.00",
        b'#VER F 1 20260105 "Faktura 1001"',
        b"{",
        b"#TRANS 1510 {} 1250.00",
        b"#TRANS 3001 {} -1000.00 20260105 F\x94rs\x84ljning",  # a row's text comes with the date
        b"#TRANS 2611 {} -250.00",
        b"}",
    ]
    assert data.endswith(b"}\r\n")


def test_capital_letters_and_amounts():
    rows = [SieRow("1930", D("0.10"), "ÅÄÖ åäö"), SieRow("1510", D("-0.1")), SieRow("3740", D("0")),
            SieRow("3001", D("1E+3")), SieRow("3002", D("-1000.000"))]
    data = written(export([invoice(7, 'Kund "Ö" \\', rows)], accounts=[], opening=[], closing=[], results=[]))
    lines = data.split(b"\r\n")
    assert b'#VER F 7 20260105 "Kund \\"\x99\\" /"' in lines  # Ö = 0x99; a final backslash as /
    assert b'#TRANS 1930 {} 0.10 20260105 "\x8f\x8e\x99 \x86\x84\x94"' in lines
    assert [line for line in lines if line.startswith(b"#TRANS ")][1:] == [
        b"#TRANS 1510 {} -0.10", b"#TRANS 3740 {} 0.00", b"#TRANS 3001 {} 1000.00", b"#TRANS 3002 {} -1000.00"]


def test_characters_outside_code_page_437():
    assert pc8_text("Łódź – “fin” €5…") == 'Lódz - "fin" EUR5...'  # ó is in code page 437, ł and ź are not
    assert pc8_text("Søren Œdipus") == "Soren OEdipus"
    assert pc8_text("rad 1\trad 2\r\nslut\x00") == "rad 1 rad 2  slut"  # never a line break in a record
    assert pc8_text("日本") == "??"
    data = written(export([invoice(text="Kund Ørsted – 5 €")], accounts=[SieAccount("1510", "Fordringar\n#VER x")]))
    assert b'#VER F 1 20260105 "Kund Orsted - 5 EUR"' in data.split(b"\r\n")
    assert b'#KONTO 1510 "Fordringar #VER x"' in data.split(b"\r\n")
    data.decode("cp437")


def test_without_special_characters():
    e = export([invoice(text="Åkes däck, Öland – 5 € 日本")])
    data = written(e, plain=True)
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert b'#FNAMN "Akes Bilverkstad AB"' in lines
    assert b'#KONTO 2611 "Utgaende moms 25 %"' in lines
    assert b'#VER F 1 20260105 "Akes dack, Oland - 5 EUR "' in lines  # what has no ASCII form is dropped
    assert b"#TRANS 3001 {} -1000.00 20260105 Forsaljning" in lines
    assert pc8_text("é ü ß æ Æ ø ñ", plain=True) == "e u ss ae AE o n"


def test_empty_export_is_a_valid_file():
    data = written(export([]), checksum=True)
    lines = data.split(b"\r\n")
    assert lines[:2] == [b"#FLAGGA 0", b"#KSUMMA"] and lines[-1] == b""
    assert not any(line.startswith((b"#VER", b"#TRANS", b"{")) for line in lines)
    assert b"#RES 0 3001 -1000.00" in lines and lines[-2].startswith(b"#KSUMMA ")
    stated, computed = checksum_of_file(data)
    assert stated == computed is not None


def test_ksumma_of_norstedts_file():
    """Norstedts Bokslut's export states #KSUMMA 1573150874; the same function computes it."""
    data = (SIE / "Norstedts_Bokslut_SIE_4I_with_KSUMMA.si").read_bytes()
    assert checksum_of_file(data) == (1573150874, 1573150874)
    tampered = data.replace(b'"Datakonsulterna AB"', b'"Datakonsulterna AC"')
    assert checksum_of_file(tampered)[1] != 1573150874
    assert checksum_of_file((SIE / "FAKT.SI").read_bytes()) == (None, None)


def test_written_ksumma():
    out = io.BytesIO()
    stats = write_sie(out, export([invoice(1), invoice(2, 'Med "citat" och \\ snedstreck')]), checksum=True)
    data = out.getvalue()
    assert data.split(b"\r\n")[-2] == f"#KSUMMA {stats.checksum}".encode()
    assert checksum_of_file(data) == (stats.checksum, stats.checksum)
    # the checksum covers the contents only: other blanks or quoting give the same sum
    respaced = data.replace(b"#KONTO 1510 Kundfordringar", b'#KONTO\t1510   "Kundfordringar"')
    assert checksum_of_file(respaced) == (stats.checksum, stats.checksum)
    assert checksum_of_file(data.replace(b"1250.00", b"1250.01"))[1] != stats.checksum
    assert write_sie(io.BytesIO(), export([invoice(1), invoice(2, 'Med "citat" och \\ snedstreck')]),
                     checksum=True, batch=1).checksum == stats.checksum


@pytest.mark.parametrize("rows, words", [
    ([SieRow("1510", D("100.00")), SieRow("3001", D("-99.99"))], "M 3 does not balance: its rows sum to 0,01\xa0kr"),
    ([SieRow("1510", D("100.005")), SieRow("3001", D("-100.005"))], "100.005 cannot be written"),
    ([SieRow("1510", 100.0), SieRow("3001", -100.0)], "100.0 cannot be written"),
    ([], "M 3 has no rows"),
])
def test_refused_vouchers(rows, words):
    with pytest.raises(SieError) as caught:
        write_sie(io.BytesIO(), export([SieVoucher("M", 3, dt.date(2026, 2, 1), "Manuell", rows)]))
    assert words in caught.value.message  # English outside a request; sv/de in the catalogue


def test_unknown_account_type():
    with pytest.raises(SieError):
        write_sie(io.BytesIO(), export([], accounts=[SieAccount("1510", "Kundfordringar", "X")]))


def test_vouchers_are_streamed():
    """Bytes of the first vouchers are written before the iterator has given the last one."""
    pulled = []

    def vouchers():
        for i in range(1, 1001):
            pulled.append(i)
            yield invoice(i)

    class Out(io.BytesIO):
        seen_at_write: list[int] = []

        def write(self, data):
            if b"#VER" in data:
                self.seen_at_write.append(len(pulled))
            return super().write(data)

    out = Out()
    stats = write_sie(out, export(vouchers()), batch=10)
    assert stats.vouchers == 1000 and stats.rows == 3000
    assert out.seen_at_write[0] <= 11 and len(out.seen_at_write) >= 90


def test_generated_year_balances():
    """Every #VER of a generated export sums to zero and #IB + #TRANS = #UB for every balance
    account (a few lines of splitting here; the real reader is services.ledger.sie_read)."""
    data = written(sie_export(2000), checksum=True).decode("cp437")
    balances: dict[str, D] = {}
    closing: dict[str, D] = {}
    voucher_sum, vouchers = None, 0
    for line in data.split("\r\n"):
        fields = re.findall(r'"(?:[^"\\]|\\.)*"|\{\}|\S+', line)
        if not fields:
            continue
        if fields[0] == "#IB":
            balances[fields[2]] = D(fields[3])
        elif fields[0] == "#UB":
            closing[fields[2]] = D(fields[3])
        elif fields[0] == "{":
            voucher_sum = D(0)
        elif fields[0] == "#TRANS":
            voucher_sum += D(fields[3])
            balances[fields[1]] = balances.get(fields[1], D(0)) + D(fields[3])
        elif fields[0] == "}":
            assert voucher_sum == 0
            vouchers += 1
    assert vouchers == 2000
    assert closing and all(balances[account] == amount for account, amount in closing.items())
