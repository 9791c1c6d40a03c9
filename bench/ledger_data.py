"""Data generators for the ledger's file formats, shared by the benchmarks and the unit tests: a
BgMax file writer (the parser's counterpart; Verkstad itself never writes BgMax files) and a SIE
export's plain input (accounts, balances, a lazy iterator of vouchers)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class GenPayment:
    """One record 20 (or 21 when ``deduction``) with the records a test wants under it."""

    amount: Decimal
    reference: str = ""
    reference_code: str = "2"
    payer_bankgiro: str = "3783511"
    channel: str = "1"
    serial: int | None = None  # BGC serial; numbered in file order when None
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    organisation_number: str = ""
    information: list[str] = field(default_factory=list)
    extra_references: list[str] = field(default_factory=list)
    deduction: bool = False


def _rec(text: str) -> str:
    assert len(text) <= 80, text
    return text.ljust(80)


def _payment_record(code: str, p: GenPayment, serial: int, amount: Decimal | None = None) -> str:
    ore = int((p.amount if amount is None else amount) * 100)
    reference = p.reference.rjust(25) if p.reference_code == "2" else p.reference.ljust(25)
    tail = "0" if code == "21" else ""
    return _rec(f"{code}{p.payer_bankgiro.zfill(10)}{reference}{ore:018d}{p.reference_code}{p.channel}"
                f"{serial:012d}0{tail}")


def bgmax_lines(sections: list[list[GenPayment]], payee_bankgiro: str = "9912346", currency: str = "SEK",
                date: dt.date = dt.date(2026, 11, 30), test: bool = False):
    """The file's lines (80 characters each, no line end), one generator step per line, so a
    file of any size is written without holding it."""
    yield _rec(f"01BGMAX               01{date:%Y%m%d}120000000000{'T' if test else 'P'}")
    serial = 0
    counts = {"20": 0, "21": 0, "22": 0, "15": 0}
    for number, payments in enumerate(sections, 1):
        yield _rec(f"05{payee_bankgiro.zfill(10)}          {currency}")
        total = Decimal("0.00")
        for p in payments:
            serial += 1
            code = "21" if p.deduction else "20"
            counts[code] += 1
            total += -p.amount if p.deduction else p.amount
            yield _payment_record(code, p, p.serial if p.serial is not None else serial)
            for ref in p.extra_references:
                counts["22"] += 1
                yield _payment_record("22", GenPayment(Decimal(0), ref, "2", p.payer_bankgiro, p.channel), serial)
            for text in p.information:
                yield _rec(f"25{text}")
            if p.name:
                yield _rec(f"26{p.name}")
            if p.address or p.postcode:
                yield _rec(f"27{p.address:<35}{p.postcode}")
            if p.city:
                yield _rec(f"28{p.city}")
            if p.organisation_number:
                yield _rec(f"29{p.organisation_number.zfill(12)}")
        counts["15"] += 1
        yield _rec(f"15{'58410000010098'.zfill(35)}{date:%Y%m%d}{number:05d}{int(total * 100):018d}{currency}"
                   f"{len(payments):08d}")
    yield _rec(f"70{counts['20']:08d}{counts['21']:08d}{counts['22']:08d}{counts['15']:08d}")


def write_bgmax(out, sections: list[list[GenPayment]], **options) -> None:
    """Write a BgMax file (ISO-8859-1, CRLF as Bankgirot sends it) to the binary file ``out``."""
    for line in bgmax_lines(sections, **options):
        out.write(line.encode("iso-8859-1") + b"\r\n")


def many_payments(count: int, per_section: int = 1000) -> list[list[GenPayment]]:
    """``count`` payments with OCR references, names and addresses, in sections of ``per_section``."""
    sections, current = [], []
    for i in range(count):
        current.append(GenPayment(amount=Decimal(100 + i % 9000) + Decimal("0.50"), reference=str(10_000_000 + i),
                                  name=f"Kund {i} AB", address=f"Verkstadsgatan {i % 200}", postcode="12345",
                                  city="Storåker", organisation_number="5560000000"))
        if len(current) == per_section:
            sections.append(current)
            current = []
    if current:
        sections.append(current)
    return sections


# ---- SIE export input ---------------------------------------------------------------

SIE_ACCOUNTS = [("1510", "Kundfordringar", "T"), ("1930", "Företagskonto", "T"), ("2611", "Utgående moms 25 %", "S"),
                ("3001", "Försäljning 25 %", "I"), ("3041", "Försäljning tjänster 25 %", "I")]


def sie_voucher_rows(i: int):
    """Voucher ``i``'s three rows: an invoice (receivable, sales, VAT 25 %), balanced."""
    net = Decimal(100 + (i * 37) % 20_000) + Decimal(i % 100) / 100
    vat = (net / 4).quantize(Decimal("0.01"))
    sales = "3041" if i % 3 == 0 else "3001"
    return [("1510", net + vat, ""), (sales, -net, f"Kund {i % 5000}"), ("2611", -vat, "")]


def sie_vouchers(count: int, year: int = 2026):
    """A lazy iterator of ``count`` generated vouchers (series F, 3 rows each) over the year."""
    from services.ledger.sie import SieRow, SieVoucher

    start = dt.date(year, 1, 1)
    for i in range(1, count + 1):
        rows = [SieRow(a, amount, text) for a, amount, text in sie_voucher_rows(i)]
        yield SieVoucher("F", i, start + dt.timedelta(days=(i * 365) // (count + 1)), f"Faktura {i}", rows)


def sie_export(count: int, year: int = 2026):
    """The plain input of an export of ``count`` generated vouchers: the accounts, zero opening
    balances, closing balances and results that follow from the vouchers (one pass over them
    here, as the ledger's SQL aggregates would give them), and the lazy voucher iterator."""
    from services.ledger.sie import SieAccount, SieBalance, SieExport, SieYear

    totals = {number: Decimal("0.00") for number, _name, _kind in SIE_ACCOUNTS}
    for i in range(1, count + 1):
        for account, amount, _text in sie_voucher_rows(i):
            totals[account] += amount
    return SieExport(
        company_name="Bilverkstaden i Storåker AB", org_number="556677-8899", generated=dt.date(year + 1, 1, 15),
        years=[SieYear(0, dt.date(year, 1, 1), dt.date(year, 12, 31))],
        accounts=[SieAccount(n, name, kind) for n, name, kind in SIE_ACCOUNTS],
        opening=[SieBalance(n, Decimal("0.00")) for n, _name, kind in SIE_ACCOUNTS if kind in "TS"],
        closing=[SieBalance(n, totals[n]) for n, _name, kind in SIE_ACCOUNTS if kind in "TS"],
        results=[SieBalance(n, totals[n]) for n, _name, kind in SIE_ACCOUNTS if kind in "KI"],
        vouchers=sie_vouchers(count, year))
