"""SIE type 4 export (SIE-Gruppen's format for moving the books to an accountant's program): a
pure, streaming writer, no database. ``write_sie(out, export)`` writes to a binary file object as
it goes: ``export.vouchers`` is consumed one voucher at a time and nothing of the file is kept, so
200,000 vouchers take the memory of one. (The reader is services.ledger.sie_read, written apart.)

What is written, in the order of the SIE 4 specification::

    #FLAGGA 0
    #KSUMMA                          only with checksum=True
    #PROGRAM "Verkstad" 1.0
    #FORMAT PC8
    #GEN 20261231 [sign]
    #SIETYP 4
    #ORGNR 556677-8899
    #FNAMN "Bilverkstaden AB"
    #RAR 0 20260101 20261231         one per year: 0 this year, -1 the year before ...
    #KPTYP BAS2014
    #VALUTA SEK
    #KONTO 1510 Kundfordringar       then #KTYP 1510 T when the account has a type (T S K I)
    #IB 0 1510 1000.00               opening balances, then #UB closing, then #RES results
    #VER B 12 20260105 "Betalning 1001" [registered date]
    {
    #TRANS 1930 {} 1250.00           a row with a text: #TRANS 1510 {} -1250.00 20260105 "Faktura 1001"
    #TRANS 1510 {} -1250.00
    }
    #KSUMMA 1573150874               only with checksum=True

Format rules:

- Encoding PC8, that is code page 437, lines ended by CR LF. A character that code page 437 lacks
  is replaced (``pc8_text``): typographic quotes, dashes, the euro sign and a few others by their
  plain forms (’ -> ', “ ” „ -> ", – — -> -, € -> EUR, … -> ...), letters with diacritics that
  code page 437 lacks by the bare letter (š -> s, ł -> l, ø -> o, œ -> oe), anything else by "?".
  Control characters (TAB, line ends) and other blanks become one space: a text can never break
  a record. ``plain=True`` ("without special characters", 90.22) also maps å ä ö Å Ä Ö é ü ... to
  a a o A A O e u (æ -> ae, ß -> ss) and drops what has no ASCII form: the file is pure ASCII.
- A field is quoted when it is empty or holds a blank, a quote or a brace; a quote inside is
  written \\" (the specification's escape). A backslash is written as it is (the specification
  has no escape for it), except right before a quote or at the end of a quoted field, where a
  reader would take it for an escape: there it is written as "/".
- Amounts with a point and two decimals (-1250.00): an amount with öre fractions is refused
  (SieError), never rounded; dates YYYYMMDD.
- Every voucher must balance (its rows sum to zero) and have at least one row; otherwise SieError
  is raised. Written vouchers are then already in ``out``: write to a temporary file and move it
  into place once ``write_sie`` returns (a job does).
- #KSUMMA (``checksum=True``): CRC-32 (zlib's, the specification's polynomial 0xEDB88320) over the
  code page 437 bytes of every record's label and field contents after the opening #KSUMMA line
  and before the closing one, without blanks, quotes, braces or line ends; ``checksum_of_file``
  computes it for an existing file (it gives 1573150874 for Norstedts' sample, as stated there).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from flask_babel import gettext as _

from services import DomainError
from services.platform.formatting import money

ACCOUNT_TYPES = {"T", "S", "K", "I"}  # tillgång, skuld, kostnad, intäkt
NEWLINE = "\r\n"
CENT = Decimal("0.01")
_NEEDS_QUOTES = re.compile(r'[\s"{}]')


class SieError(DomainError):
    """The export's data cannot be written as a valid SIE file (an unbalanced voucher, ...)."""


# ---- the input ----------------------------------------------------------------------


@dataclass(frozen=True)
class SieAccount:
    number: str  # "1510"
    name: str
    kind: str | None = None  # #KTYP: T (asset), S (liability), K (cost), I (income); None: not written


@dataclass(frozen=True)
class SieYear:
    index: int  # 0 this financial year, -1 the one before ...
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class SieBalance:
    """One #IB, #UB or #RES record."""

    account: str
    amount: Decimal
    year: int = 0


@dataclass(frozen=True)
class SieRow:
    account: str
    amount: Decimal
    text: str = ""  # written (with the voucher's date as transaction date) only when not empty


@dataclass(frozen=True)
class SieVoucher:
    series: str  # "F"
    number: int | str
    date: dt.date
    text: str
    rows: Sequence[SieRow]
    registered: dt.date | None = None  # #VER regdatum, written when given


@dataclass
class SieExport:
    company_name: str
    org_number: str  # "556677-8899"
    generated: dt.date
    years: Sequence[SieYear]
    accounts: Iterable[SieAccount] = ()
    opening: Iterable[SieBalance] = ()  # #IB
    closing: Iterable[SieBalance] = ()  # #UB
    results: Iterable[SieBalance] = ()  # #RES
    vouchers: Iterable[SieVoucher] = ()  # consumed once, lazily: pass a generator
    program: str = "Verkstad"
    program_version: str = "1.0"
    generated_by: str = ""  # #GEN sign
    account_plan_type: str = "BAS2014"  # #KPTYP
    currency: str | None = "SEK"  # #VALUTA; None: not written


@dataclass
class SieStats:
    vouchers: int = 0
    rows: int = 0
    checksum: int | None = None  # the #KSUMMA written
    replaced: int = 0  # texts changed to fit code page 437 (or plain ASCII)


# ---- text ---------------------------------------------------------------------------

_PUNCTUATION = {
    "‘": "'", "’": "'", "‚": "'", "′": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "″": '"', "‟": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "‒": "-", "−": "-", "…": "...", "€": "EUR", "•": "*",
    "™": "TM", "©": "(c)", "®": "(R)", "«": '"', "»": '"',
}
_LETTERS = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE",
            "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"}
_ASCII_LETTERS = {"æ": "ae", "Æ": "AE", "ß": "ss"}
_PUNCTUATION_FOUND = re.compile("[" + re.escape("".join(_PUNCTUATION)) + "]").search


def _fold(ch: str) -> str:
    """A letter without its diacritics ("" when it has none to drop)."""
    if ch in _LETTERS:
        return _LETTERS[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base.isascii() else ""


def _char(ch: str, plain: bool) -> str:
    if not ch.isprintable():  # TAB, CR, LF, other control characters, NBSP and other blanks
        return " " if (ch.isspace() or unicodedata.category(ch).startswith("Z")) else ""
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    if plain:
        if ch in _ASCII_LETTERS:
            return _ASCII_LETTERS[ch]
        return _fold(ch)  # å -> a, é -> e; "" drops what has no ASCII form
    try:
        ch.encode("cp437")
        return ch
    except UnicodeEncodeError:
        return _fold(ch) or "?"


def pc8_text(text: str, plain: bool = False) -> str:
    """``text`` as it can be written in code page 437 (``plain``: in ASCII), see the module's doc."""
    if text.isascii() and text.isprintable():
        return text
    text = unicodedata.normalize("NFC", text)  # NFD "å" = a + ring
    if not plain and text.isprintable() and not _PUNCTUATION_FOUND(text):
        try:  # the common case (å ä ö é): every character is in code page 437 as it is
            text.encode("cp437")
            return text
        except UnicodeEncodeError:
            pass
    return "".join(_char(ch, plain) for ch in text)


def field_text(value: str) -> str:
    """One field as written: quoted when needed, inner quotes escaped (the text is already PC8
    and through ``_backslashes``)."""
    if value and not _NEEDS_QUOTES.search(value):
        return value
    return '"' + value.replace('"', '\\"') + '"'


def _backslashes(value: str) -> str:
    """A backslash before a quote or at the end would read as an escape: "/" there."""
    if "\\" not in value:
        return value
    value = value.replace('\\"', '/"')
    return value[:-1] + "/" if value.endswith("\\") else value


def amount_text(amount: Decimal | int) -> str:
    """-1250.00; an amount that is not a whole number of öre (or a float) is refused, never rounded."""
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = Decimal(amount)
    if not isinstance(amount, Decimal) or not amount.is_finite() or (
            amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT)):
        raise SieError(_("The amount %(amount)s cannot be written to SIE: amounts are in whole öre.",
                         amount=str(amount)), "amount", str(amount))
    text = f"{amount:.2f}"
    return "0.00" if text == "-0.00" else text


def date_text(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


# ---- writing ------------------------------------------------------------------------


class _Writer:
    def __init__(self, out: BinaryIO, checksum: bool, plain: bool):
        self.out = out
        self.crc = 0 if checksum else None
        self.plain = plain
        self.stats = SieStats()
        self.dates: dict[dt.date, str] = {}
        self.accounts: dict[str, tuple[str, str]] = {}  # account -> (as written, contents)

    def text(self, value: str) -> str:
        clean = _backslashes(pc8_text(value, self.plain))
        if clean != value:
            self.stats.replaced += 1
        return clean

    def date(self, day: dt.date) -> str:
        text = self.dates.get(day)
        if text is None:
            if len(self.dates) > 10_000:
                self.dates.clear()
            text = self.dates[day] = date_text(day)
        return text

    def account(self, number: str) -> tuple[str, str]:
        known = self.accounts.get(number)
        if known is None:
            if len(self.accounts) > 10_000:
                self.accounts.clear()
            contents = self.text(str(number))
            known = self.accounts[number] = (field_text(contents), contents)
        return known

    def record(self, label: str, *fields: str, buffer: list[str] | None = None) -> None:
        """One record; ``fields`` are the contents (PC8 already), quoted here."""
        line = label + "".join(" " + field_text(f) for f in fields) + NEWLINE
        if self.crc is not None:
            self.crc = zlib.crc32((label + "".join(fields)).encode("cp437"), self.crc)
        if buffer is None:
            self.out.write(line.encode("cp437"))
        else:
            buffer.append(line)

    def voucher(self, v: SieVoucher, buffer: list[str], contents: list[str] | None) -> None:
        """Append the voucher's lines to ``buffer`` and, for the checksum, its field contents to
        ``contents`` (encoded and summed once per batch, see ``flush``)."""
        if not v.rows:
            raise SieError(_("Voucher %(series)s %(number)s has no rows.", series=v.series, number=v.number),
                           "voucher", f"{v.series} {v.number}")
        amounts = [amount_text(r.amount) for r in v.rows]  # refuses floats and öre fractions first
        total = sum((Decimal(r.amount) for r in v.rows), Decimal(0))
        if total != 0:
            raise SieError(_("Voucher %(series)s %(number)s does not balance: its rows sum to %(sum)s.",
                             series=v.series, number=v.number, sum=money(total)),
                           "voucher", f"{v.series} {v.number}")
        day = self.date(v.date)
        head = [self.text(v.series), str(v.number), day, self.text(v.text)]
        if v.registered is not None:
            head.append(self.date(v.registered))
        buffer.append("#VER" + "".join(" " + field_text(f) for f in head) + NEWLINE + "{" + NEWLINE)
        if contents is not None:
            contents.append("#VER")
            contents.extend(head)
        for r, amount in zip(v.rows, amounts):
            account, bare = self.account(r.account)
            if r.text:
                text = self.text(r.text)
                buffer.append(f"#TRANS {account} {{}} {amount} {day} {field_text(text)}{NEWLINE}")
                if contents is not None:
                    contents.append(f"#TRANS{bare}{amount}{day}{text}")
            else:
                buffer.append(f"#TRANS {account} {{}} {amount}{NEWLINE}")
                if contents is not None:
                    contents.append(f"#TRANS{bare}{amount}")
        buffer.append("}" + NEWLINE)
        self.stats.vouchers += 1
        self.stats.rows += len(v.rows)

    def flush(self, buffer: list[str], contents: list[str] | None) -> None:
        self.out.write("".join(buffer).encode("cp437"))
        buffer.clear()
        if contents is not None:
            self.crc = zlib.crc32("".join(contents).encode("cp437"), self.crc)
            contents.clear()


def write_sie(out: BinaryIO, export: SieExport, *, checksum: bool = False, plain: bool = False,
              batch: int = 256) -> SieStats:
    """Write ``export`` as a SIE 4 file to the binary file object ``out``, streaming the vouchers
    (``batch`` vouchers are encoded and written at a time). ``checksum``: #KSUMMA; ``plain``:
    without special characters (90.22). Raises SieError (see the module's doc)."""
    w = _Writer(out, False, plain)
    t = w.text
    w.record("#FLAGGA", "0")
    if checksum:  # the checksum covers what follows this line
        out.write(("#KSUMMA" + NEWLINE).encode("cp437"))
        w.crc = 0
    w.record("#PROGRAM", t(export.program), t(export.program_version))
    w.record("#FORMAT", "PC8")
    w.record("#GEN", w.date(export.generated), *([t(export.generated_by)] if export.generated_by else []))
    w.record("#SIETYP", "4")
    w.record("#ORGNR", t(export.org_number))
    w.record("#FNAMN", t(export.company_name))
    for year in export.years:
        w.record("#RAR", str(year.index), w.date(year.start), w.date(year.end))
    w.record("#KPTYP", t(export.account_plan_type))
    if export.currency:
        w.record("#VALUTA", t(export.currency))
    for account in export.accounts:
        w.record("#KONTO", t(account.number), t(account.name))
        if account.kind:
            if account.kind not in ACCOUNT_TYPES:
                raise SieError(_("Account %(account)s has the type %(kind)s; SIE knows T, S, K and I.",
                                 account=account.number, kind=account.kind), "account", account.number)
            w.record("#KTYP", t(account.number), account.kind)
    for label, balances in (("#IB", export.opening), ("#UB", export.closing), ("#RES", export.results)):
        for b in balances:
            w.record(label, str(b.year), t(b.account), amount_text(b.amount))
    buffer: list[str] = []
    contents: list[str] | None = [] if checksum else None
    for voucher in export.vouchers:
        w.voucher(voucher, buffer, contents)
        if len(buffer) >= batch * 4:
            w.flush(buffer, contents)
    w.flush(buffer, contents)
    if checksum:
        out.write(f"#KSUMMA {w.crc}{NEWLINE}".encode("cp437"))
        w.stats.checksum = w.crc
    return w.stats


# ---- the checksum of an existing file -----------------------------------------------

_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|([{}])|([^\s"{}]+)')


def checksum_of_file(data: bytes) -> tuple[int | None, int | None]:
    """(the #KSUMMA a file states, the one computed over its contents); (None, None) when the
    file has no #KSUMMA. Only the checksum: this is not a SIE reader."""
    lines = data.split(b"\n")
    marks = [i for i, line in enumerate(lines) if line.lstrip().startswith(b"#KSUMMA")]
    if len(marks) < 2:
        return None, None
    stated_fields = lines[marks[-1]].split()
    stated = int(stated_fields[1]) if len(stated_fields) > 1 and stated_fields[1].isdigit() else None
    crc = 0
    for line in lines[marks[0] + 1:marks[-1]]:
        for quoted, _brace, word in _TOKEN.findall(line):
            if word:
                crc = zlib.crc32(word, crc)
            elif quoted:
                crc = zlib.crc32(quoted.replace(b'\\"', b'"'), crc)
    return stated, crc
