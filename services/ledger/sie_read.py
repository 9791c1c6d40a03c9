"""A reader of SIE files (type 4E and 4I, SIE-Gruppen's "SIE filformat", version 4B/4C), written
from the specification and the published example files, independently of the writer in
services.ledger.sie, so that the tests can check the writer with it. A pure parser: no database.

``read_sie(data)`` takes the file's bytes and returns a ``SieFile`` or raises ``SieReadError``
(message in the user's language naming the line, ``line_number`` set). ``verify(sie)`` returns
the bookkeeping mismatches of a file that could be read (an unbalanced voucher, opening balance
plus transactions not equal to the closing balance) as messages; an empty list when it is sound.

The syntax (spec chapter 5):

- one record per line, CRLF or LF; a record is a label (``#VER``) and fields separated by blanks
  or TABs; leading blanks (the indented #TRANS rows) and empty lines mean nothing;
- a field with blanks is quoted ``"..."``; a quote inside it is written ``\\"`` (any other
  backslash is itself: ``#FNR "C:\\Data\\Företag"`` is a common path); an empty field is ``""``;
- an object list is ``{dimension object ...}`` (``{}`` when empty), its members quoted or not;
- amounts have a decimal point and a leading minus (``-1250.50``), dates are ``YYYYMMDD``;
- a voucher is ``#VER series number date text regdate sign`` followed by a line ``{``, its
  ``#TRANS account {objects} amount date text quantity sign`` rows, and a line ``}``;
- labels the reader does not know are ignored (the spec requires it, so files can grow).

#RTRANS and #BTRANS (added in 2008): ``#RTRANS`` is a row added to the voucher afterwards and is
followed by an identical ``#TRANS`` so that older readers still see it; this reader takes the
#RTRANS (kind "added") and skips that #TRANS. ``#BTRANS`` is a row struck out afterwards: it is
kept in ``Voucher.removed`` for the record and is not part of the voucher (older readers ignore
the unknown label, so they do not count it either).

#KSUMMA: a file may start (after #FLAGGA) with a ``#KSUMMA`` without fields and end with
``#KSUMMA checksum``; the checksum is the CRC-32 (zlib's, the spec's C routine) over the label
and the field contents of every record between the two, in the file's bytes, without blanks,
quotes, braces or line ends. A mismatch is an error (the file was changed or damaged).

Encoding: #FORMAT PC8 (code page 437) is mandatory for type 4, and read as such. Real files vary:
one re-saved as UTF-8 (valid UTF-8 with non-ASCII letters, or a byte-order mark) is read as UTF-8,
and one whose high bytes are Swedish letters in ISO-8859-1/Windows-1252 rather than code page 437
(å ä ö as E5 E4 F6 rather than 86 84 94) is read as Windows-1252. Tolerant in reading, strict in
reporting: ``SieFile.encoding`` says what was used and ``SieFile.warnings`` says that the file
breaks the format (as it does for a missing #FORMAT PC8 or a #RTRANS without its #TRANS copy).
"""
from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext as _

from services import DomainError
from services.platform.formatting import money

PC8 = "cp437"
# bytes that are Swedish/German letters in each encoding (å ä ö Å Ä Ö é ü Ü É)
_CP437_LETTERS = frozenset(b"\x86\x84\x94\x8f\x8e\x99\x82\x81\x9a\x90")
_LATIN_LETTERS = frozenset(b"\xe5\xe4\xf6\xc5\xc4\xd6\xe9\xfc\xdc\xc9")
_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")
_INTEGER = re.compile(r"[+-]?\d+\Z")
_DATE = re.compile(r"\d{8}\Z")
BALANCE_TYPES = ("T", "S")  # tillgång, skuld: the balance-sheet accounts (K, I: cost, income)


class SieReadError(DomainError):
    """The file cannot be read as an SIE file; ``line_number`` (1-based) is the line concerned."""

    def __init__(self, message: str, line_number: int):
        super().__init__(message, "file", str(line_number))
        self.line_number = line_number


# ---- the result ---------------------------------------------------------------------


class Account(NamedTuple):
    name: str
    type: str | None  # #KTYP: T, S, K or I; None when the file does not say


@dataclass
class Year:
    index: int  # 0 the year of the file, -1 the one before ...
    start: dt.date | None
    end: dt.date | None


@dataclass
class Transaction:
    account: str
    objects: list[tuple[str, str]]  # (dimension, object)
    amount: Decimal
    date: dt.date | None  # None: the voucher's date
    text: str
    quantity: Decimal | None
    sign: str
    kind: str = "normal"  # "normal" (#TRANS), "added" (#RTRANS), "removed" (#BTRANS)
    line_number: int = 0


@dataclass
class Voucher:
    series: str
    number: str
    date: dt.date
    text: str
    registered: dt.date | None
    sign: str
    line_number: int
    transactions: list[Transaction] = field(default_factory=list)  # the rows that count (#TRANS, #RTRANS)
    removed: list[Transaction] = field(default_factory=list)  # #BTRANS rows, not part of the voucher

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.transactions), Decimal(0))

    @property
    def label(self) -> str:
        return f"{self.series} {self.number}".strip() or str(self.date)


@dataclass
class SieFile:
    flag: int | None = None  # #FLAGGA
    format: str | None = None  # #FORMAT (PC8)
    sie_type: str | None = None  # #SIETYP (4)
    program: tuple[str, str] | None = None  # #PROGRAM name, version
    generated: tuple[dt.date, str] | None = None  # #GEN date, sign
    company_name: str | None = None  # #FNAMN
    org_number: str | None = None  # #ORGNR
    years: dict[int, Year] = field(default_factory=dict)  # #RAR
    chart_type: str | None = None  # #KPTYP
    accounts: dict[str, Account] = field(default_factory=dict)  # #KONTO and #KTYP
    sru: dict[str, str] = field(default_factory=dict)  # #SRU account -> SRU code
    # the line of each record that names an account (#KONTO, #KTYP, #SRU: "label account";
    # #IB/#UB/#RES: "label year account"), so that an importer can name the line it refuses
    lines: dict[tuple, int] = field(default_factory=dict)
    opening: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # #IB year -> account -> amount
    closing: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # #UB
    result: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # #RES
    vouchers: list[Voucher] = field(default_factory=list)
    checksum: int | None = None  # #KSUMMA as stated (and verified) in the file
    encoding: str = PC8
    warnings: list[str] = field(default_factory=list)
    unknown_labels: set[str] = field(default_factory=set)

    @property
    def transaction_count(self) -> int:
        return sum(len(v.transactions) for v in self.vouchers)


# ---- the fields of a line -----------------------------------------------------------


class _List(list):
    """An object list {...} among the fields of a record."""


def _fields(line: bytes, number: int) -> list[bytes | _List]:
    """The fields of one line (bytes; an object list as a _List of bytes), by the spec's rules."""
    out: list = []
    i, n = 0, len(line)
    target = out
    while i < n:
        c = line[i]
        if c in b" \t\r":
            i += 1
        elif c == 0x7B and target is out:  # {
            target = _List()
            i += 1
        elif c == 0x7D and target is not out:  # }
            out.append(target)
            target = out
            i += 1
        elif c == 0x22:  # "
            i += 1
            value = bytearray()
            while True:
                if i >= n:
                    raise SieReadError(_('Line %(line)d: a quoted field is not closed (a " is missing).',
                                         line=number), number)
                if line[i] == 0x5C and i + 1 < n and line[i + 1] == 0x22:  # \"
                    value.append(0x22)
                    i += 2
                elif line[i] == 0x22:
                    i += 1
                    break
                else:
                    value.append(line[i])
                    i += 1
            target.append(bytes(value))
        else:
            j = i
            while j < n and line[j] not in b" \t\r" and not (target is not out and line[j] == 0x7D):
                j += 1
            target.append(line[i:j])
            i = j
    if target is not out:
        raise SieReadError(_("Line %(line)d: an object list is not closed (a } is missing).", line=number),
                           number)
    return out


def _encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    high = [b for b in data if b >= 0x80]
    if not high:
        return PC8
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    cp437 = sum(1 for b in high if b in _CP437_LETTERS)
    latin = sum(1 for b in high if b in _LATIN_LETTERS)
    if latin > cp437:
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
    return PC8


# ---- reading ------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, check_balance: bool):
        self.sie = SieFile()
        self.check_balance = check_balance
        self.encoding = _encoding_of(data)
        self.sie.encoding = self.encoding
        if self.encoding == "utf-8-sig":
            data = data[3:]
            self.encoding = self.sie.encoding = "utf-8"
        self.data = data
        self.voucher: Voucher | None = None
        self.open_pending = False  # a #VER was read, its { not yet
        self.pending_rtrans: Transaction | None = None
        self.crc: int | None = None  # running #KSUMMA CRC, None outside
        self.checksum_done = False
        self.number = 0

    def text(self, value: bytes) -> str:
        return value.decode(self.encoding, errors="replace")

    # field helpers
    def field(self, fields, i: int, label: str, required: bool = False) -> str:
        if i < len(fields) and not isinstance(fields[i], _List):
            return self.text(fields[i])
        if required:
            raise SieReadError(_("Line %(line)d: %(label)s has too few fields.", line=self.number, label=label),
                               self.number)
        return ""

    def amount(self, value: str) -> Decimal:
        if not _AMOUNT.match(value):
            raise SieReadError(_("Line %(line)d: %(value)s is not an amount (digits with a decimal point, "
                                 "e.g. -1250.50).", line=self.number, value=value or '""'), self.number)
        return Decimal(value)

    def optional_amount(self, value: str) -> Decimal | None:
        return self.amount(value) if value else None

    def date(self, value: str, required: bool = False) -> dt.date | None:
        if not value and not required:
            return None
        if _DATE.match(value):
            try:
                return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                pass
        raise SieReadError(_("Line %(line)d: %(value)s is not a date (YYYYMMDD).", line=self.number,
                             value=value or '""'), self.number)

    def integer(self, value: str) -> int:
        if not _INTEGER.match(value):
            raise SieReadError(_("Line %(line)d: %(value)s is not a whole number.", line=self.number,
                                 value=value or '""'), self.number)
        return int(value)

    # the file
    def read(self) -> SieFile:
        lines = self.data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        seen_flag = False
        last = 0
        for self.number, raw in enumerate(lines, start=1):
            bare = raw.strip(b" \t\r")
            if not bare:
                continue
            last = self.number
            if seen_flag and bare == b"{":
                self.open_voucher()
                continue
            if seen_flag and bare == b"}":
                self.close_voucher()
                continue
            if not seen_flag and not bare.upper().startswith(b"#FLAGGA"):
                raise SieReadError(_("Line %(line)d: not an SIE file (it must begin with #FLAGGA).",
                                     line=self.number), self.number)
            seen_flag = True
            fields = _fields(raw, self.number)
            head = fields[0]
            if isinstance(head, _List):
                raise SieReadError(_("Line %(line)d: a record must begin with a label such as #VER, not %(value)s.",
                                     line=self.number, value="{"), self.number)
            label = self.text(head).upper()
            if not label.startswith("#"):
                raise SieReadError(_("Line %(line)d: a record must begin with a label such as #VER, not %(value)s.",
                                     line=self.number, value=self.text(head)), self.number)
            if self.open_pending:
                raise SieReadError(_("Line %(line)d: a #VER must be followed by a line with {.", line=self.number),
                                   self.number)
            if label == "#KSUMMA":
                self.ksumma(fields)
                continue
            if self.crc is not None:
                for f in fields:
                    for part in (f if isinstance(f, _List) else [f]):
                        self.crc = zlib.crc32(part, self.crc)
            self.record(label, fields)
        if not seen_flag:
            raise SieReadError(_("Line %(line)d: not an SIE file (it must begin with #FLAGGA).", line=1), 1)
        if self.voucher is not None or self.open_pending:
            raise SieReadError(_("Line %(line)d: the file ends inside a voucher (a } is missing).",
                                 line=max(last, 1)), max(last, 1))
        if self.crc is not None:
            raise SieReadError(_("Line %(line)d: the file ends before the closing #KSUMMA with the checksum.",
                                 line=max(last, 1)), max(last, 1))
        self.report()
        return self.sie

    def ksumma(self, fields) -> None:
        if len(fields) == 1:
            if self.crc is None and not self.checksum_done:
                self.crc = 0
            return
        stated = self.field(fields, 1, "#KSUMMA")
        if not _INTEGER.match(stated) or self.crc is None:
            if self.crc is None:
                raise SieReadError(_("Line %(line)d: #KSUMMA with a checksum but without the #KSUMMA that "
                                     "starts the checked part.", line=self.number), self.number)
            self.integer(stated)
        value = int(stated)
        if value & 0xFFFFFFFF != self.crc:
            raise SieReadError(_("Line %(line)d: the checksum (#KSUMMA) is %(stated)s but the file's contents "
                                 "give %(computed)s: the file has been changed or damaged.", line=self.number,
                                 stated=stated, computed=self.crc), self.number)
        self.sie.checksum = value
        self.crc = None
        self.checksum_done = True

    def open_voucher(self) -> None:
        if not self.open_pending:
            raise SieReadError(_("Line %(line)d: { without a #VER before it.", line=self.number), self.number)
        self.open_pending = False

    def close_voucher(self) -> None:
        if self.voucher is None or self.open_pending:
            raise SieReadError(_("Line %(line)d: } without a voucher.", line=self.number), self.number)
        self.flush_rtrans()
        v = self.voucher
        if self.check_balance and v.total != 0:
            raise SieReadError(_("Line %(line)d: voucher %(voucher)s does not balance: its rows sum to "
                                 "%(sum)s.", line=v.line_number, voucher=v.label, sum=money(v.total)), v.line_number)
        self.sie.vouchers.append(v)
        self.voucher = None

    def flush_rtrans(self) -> None:
        if self.pending_rtrans is not None:
            self.sie.warnings.append(_("Line %(line)d: #RTRANS is not followed by the identical #TRANS the "
                                       "format requires.", line=self.pending_rtrans.line_number))
            self.pending_rtrans = None

    def transaction(self, fields, label: str, kind: str) -> Transaction:
        account = self.field(fields, 1, label, required=True)
        rest = list(fields[2:])
        objects: list[tuple[str, str]] = []
        if rest and isinstance(rest[0], _List):
            members = [self.text(m) for m in rest.pop(0)]
            objects = list(zip(members[0::2], members[1::2]))
        if not rest:
            raise SieReadError(_("Line %(line)d: %(label)s has too few fields.", line=self.number, label=label),
                               self.number)
        get = lambda i: self.text(rest[i]) if i < len(rest) and not isinstance(rest[i], _List) else ""  # noqa: E731
        return Transaction(account=account, objects=objects, amount=self.amount(get(0)), date=self.date(get(1)),
                           text=get(2), quantity=self.optional_amount(get(3)), sign=get(4), kind=kind,
                           line_number=self.number)

    def record(self, label: str, fields) -> None:
        sie = self.sie
        f = lambda i: self.field(fields, i, label)  # noqa: E731
        if label in ("#TRANS", "#RTRANS", "#BTRANS"):
            if self.voucher is None:
                raise SieReadError(_("Line %(line)d: %(label)s outside a voucher (it must stand between the "
                                     "{ and } of a #VER).", line=self.number, label=label), self.number)
            kind = {"#TRANS": "normal", "#RTRANS": "added", "#BTRANS": "removed"}[label]
            row = self.transaction(fields, label, kind)
            if kind == "normal" and self.pending_rtrans is not None:
                added = self.pending_rtrans
                self.pending_rtrans = None
                same = (row.account, row.objects, row.amount, row.date, row.text, row.quantity) == (
                    added.account, added.objects, added.amount, added.date, added.text, added.quantity)
                if same:
                    return  # the copy for older readers
                self.sie.warnings.append(_("Line %(line)d: #RTRANS is not followed by the identical #TRANS the "
                                           "format requires.", line=added.line_number))
            else:
                self.flush_rtrans()
            if kind == "removed":
                self.voucher.removed.append(row)
            else:
                self.voucher.transactions.append(row)
                if kind == "added":
                    self.pending_rtrans = row
            return
        if self.voucher is not None:
            if label == "#VER":
                raise SieReadError(_("Line %(line)d: a new #VER begins before the voucher above is closed "
                                     "with }.", line=self.number), self.number)
            sie.unknown_labels.add(label)  # a label inside a voucher that this reader does not know
            return
        if label == "#VER":
            self.voucher = Voucher(series=f(1), number=f(2), date=self.date(self.field(fields, 3, label, True), True),
                                   text=f(4), registered=self.date(f(5)), sign=f(6), line_number=self.number)
            self.open_pending = True
        elif label == "#FLAGGA":
            sie.flag = self.integer(f(1))
        elif label == "#FORMAT":
            sie.format = f(1)
        elif label == "#SIETYP":
            sie.sie_type = f(1)
        elif label == "#PROGRAM":
            sie.program = (f(1), f(2))
        elif label == "#GEN":
            sie.generated = (self.date(self.field(fields, 1, label, True), True), f(2))
        elif label == "#FNAMN":
            sie.company_name = f(1)
        elif label == "#ORGNR":
            sie.org_number = f(1)
        elif label == "#RAR":
            index = self.integer(self.field(fields, 1, label, True))
            sie.years[index] = Year(index, self.date(f(2)), self.date(f(3)))
        elif label == "#KPTYP":
            sie.chart_type = f(1)
        elif label == "#SRU":
            number = self.field(fields, 1, label, True)
            sie.sru[number] = self.field(fields, 2, label, True)
            sie.lines[(label, number)] = self.number
        elif label == "#KONTO":
            number = self.field(fields, 1, label, True)
            sie.lines[(label, number)] = self.number
            old = sie.accounts.get(number)
            sie.accounts[number] = Account(f(2), old.type if old else None)
        elif label == "#KTYP":
            number = self.field(fields, 1, label, True)
            sie.lines[(label, number)] = self.number
            old = sie.accounts.get(number)
            sie.accounts[number] = Account(old.name if old else "", f(2).upper() or None)
        elif label in ("#IB", "#UB", "#RES"):
            year = self.integer(self.field(fields, 1, label, True))
            account = self.field(fields, 2, label, True)
            amount = self.amount(self.field(fields, 3, label, True))
            target = {"#IB": sie.opening, "#UB": sie.closing, "#RES": sie.result}[label]
            target.setdefault(year, {})[account] = amount
            sie.lines[(label, year, account)] = self.number
        else:
            sie.unknown_labels.add(label)

    def report(self) -> None:
        sie = self.sie
        if self.encoding != PC8:
            sie.warnings.insert(0, _("The file is not in code page 437 (PC8) as the SIE format requires; "
                                     "it was read as %(encoding)s.", encoding=self.encoding))
        if (sie.format or "").upper() != "PC8":
            sie.warnings.insert(0, _("The file does not state #FORMAT PC8 (it says %(value)s).",
                                     value=sie.format or '""'))


def read_sie(data: bytes, check_balance: bool = True) -> SieFile:
    """Read an SIE file (bytes). Raises SieReadError naming the line. ``check_balance=False``
    reads unbalanced vouchers too (``verify`` then lists them)."""
    return _Reader(data, check_balance).read()


# ---- checking the books -------------------------------------------------------------


def _is_balance_account(sie: SieFile, number: str) -> bool:
    account = sie.accounts.get(number)
    if account is not None and account.type:
        return account.type in BALANCE_TYPES
    # no #KTYP (optional in the format): as in the BAS charts, classes 1 and 2 are the balance sheet
    return number[:1] in ("1", "2")


def _in_year(sie: SieFile, day: dt.date) -> bool:
    year = sie.years.get(0)
    if year is None or year.start is None or year.end is None:
        return True
    return year.start <= day <= year.end


def verify(sie: SieFile) -> list[str]:
    """The file's bookkeeping mismatches, as messages: every voucher must sum to zero, and for
    every balance-sheet account (#KTYP T or S) #IB 0 plus the transactions of year 0 must equal
    #UB 0 (a missing #IB or #UB is zero; an account without #KTYP counts as a balance-sheet account
    when its number begins with 1 or 2, as in the BAS charts). A file with no #IB or #UB for year 0
    at all (type 4I) has only the voucher check."""
    problems = []
    for v in sie.vouchers:
        if v.total != 0:
            problems.append(_("Voucher %(voucher)s (line %(line)d) does not balance: its rows sum to %(sum)s.",
                              voucher=v.label, line=v.line_number, sum=money(v.total)))
    moved: dict[str, Decimal] = {}
    for v in sie.vouchers:
        if _in_year(sie, v.date):
            for t in v.transactions:
                moved[t.account] = moved.get(t.account, Decimal(0)) + t.amount
    opening, closing = sie.opening.get(0, {}), sie.closing.get(0, {})
    if not opening and not closing:
        return problems  # a file without balances (4I: vouchers only) has nothing to compare with
    for number in sorted(set(opening) | set(closing) | set(moved)):
        if not _is_balance_account(sie, number):
            continue
        ib, ub, tr = opening.get(number, Decimal(0)), closing.get(number, Decimal(0)), moved.get(number, Decimal(0))
        if ib + tr != ub:
            problems.append(_("Account %(account)s: opening balance %(ib)s + transactions %(moved)s = %(sum)s, "
                              "but the closing balance is %(ub)s.", account=number, ib=money(ib), moved=money(tr),
                              sum=money(ib + tr), ub=money(ub)))
    return problems
