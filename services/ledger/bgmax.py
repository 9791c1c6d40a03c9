"""Bankgirot's BgMax file of incoming payments (Bankgiro Inbetalningar): a pure parser, no
database. ``parse_bgmax(data)`` takes the file's bytes and returns a ``BgMaxFile`` or raises
``BgMaxError`` (message in the user's language, naming the line; ``line_number`` set).

The file (Bankgirot's technical manual, "Post- och filbeskrivning för BgMax-filen"):

    01 start         layout name BGMAX, version, written (YYYYMMDDHHMMSSffffff), T/P (test/production)
    per section (one deposit to one bank account):
      05 opening     payee bankgiro, payee plusgiro, currency
      20 payment     payer bankgiro, reference, amount in öre, reference code, channel, BGC serial, image flag
      21 deduction   the same fields as 20 plus a deduction code: an amount taken off the deposit
        22/23        an extra reference of the payment above (23: of a negative amount)
        25           information text (several)
        26 27 28 29  payer name, address and postcode, city and country, organisation number
      15 deposit     payee bank account, payment date, deposit serial, amount, currency, count of 20+21
    70 end           counts of records 20, 21, 22+23 and 15

Checked: known record types, record order, numeric fields, every line's length, each section's
amount and count against its record 15 (amount = records 20 minus records 21), the file's counts
against record 70.

Line length: a record is 80 characters. Trailing blanks are not required: editors and mail
programs strip them, and Bankgirot's own example file has such lines (and one record 22 whose
blanks are TAB characters). So a TAB is expanded to tab stops of 8 columns and trailing blanks
(and the CR of a CRLF line end) are ignored; a line shorter than 80 characters is then accepted
only when what is missing lies after the record's last field (only blanks can have been lost) and
is read padded with blanks. A line longer than 80 characters, or one that ends inside a field, is
rejected as of the wrong length. Empty lines at the end of the file are ignored.

Encoding: ISO-8859-1 as Bankgirot writes it. A file that was re-saved as UTF-8 (valid UTF-8
with non-ASCII letters, or a UTF-8 byte-order mark) is read as UTF-8, so "Plåt" does not turn
into "PlÃ¥t" and make the line 81 characters long.

``BgMaxFile.checksum`` is the SHA-256 of the file's bytes (the import's duplicate check);
``Payment.bank_reference`` is the payment's unique reference at the bank (see there).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services import DomainError
from services.platform.formatting import money, number

RECORD_LENGTH = 80
LAYOUT_NAME = "BGMAX"
KNOWN_RECORDS = {"01", "05", "20", "21", "22", "23", "25", "26", "27", "28", "29", "15", "70"}
# the position (1-based, inclusive) of the last field of each record type: a line may end
# (trailing blanks stripped) anywhere after it, never before it
LAST_FIELD_END = {"01": 45, "05": 25, "20": 70, "21": 70, "22": 70, "23": 70, "25": 2, "26": 2,
                  "27": 2, "28": 2, "29": 14, "15": 79, "70": 34}
PAYMENT_DETAILS = {"22", "23", "25", "26", "27", "28", "29"}  # records that belong to the payment above
ONCE_PER_PAYMENT = {"26", "27", "28", "29"}

# reference codes (record 20 position 56)
REFERENCE_CODES = {
    "0": _l("no reference"),
    "1": _l("no reference"),
    "2": _l("OCR reference (checked)"),
    "3": _l("one or more references"),
    "4": _l("reference"),
    "5": _l("wrong reference"),
}
# payment channels (record 20 position 57)
CHANNELS = {
    "1": _l("electronic payment from a bank"),
    "2": _l("electronic payment from Leverantörsbetalningar"),
    "3": _l("payment form"),
    "4": _l("electronic payment from Autogiro"),
}

FIELD_LABELS = {
    "timestamp": _l("the time the file was written"),
    "payee_bankgiro": _l("the payee's bankgiro number"),
    "payer_bankgiro": _l("the payer's bankgiro number"),
    "amount": _l("the amount"),
    "reference_code": _l("the reference code"),
    "channel": _l("the payment channel"),
    "serial": _l("the BGC serial number"),
    "image": _l("the image flag"),
    "deduction_code": _l("the deduction code"),
    "organisation_number": _l("the organisation number"),
    "bank_account": _l("the bank account number"),
    "deposit_date": _l("the payment date"),
    "deposit_serial": _l("the deposit serial number"),
    "deposit_amount": _l("the deposit amount"),
    "payment_count": _l("the number of payments"),
    "end_count": _l("the number of records"),
}
RECORD_NAMES = {
    "01": _l("start record (01)"), "05": _l("opening record (05)"), "20": _l("payment record (20)"),
    "21": _l("deduction record (21)"), "22": _l("extra reference record (22)"),
    "23": _l("extra reference record (23)"), "25": _l("information record (25)"),
    "26": _l("name record (26)"), "27": _l("address record (27)"), "28": _l("address record (28)"),
    "29": _l("organisation number record (29)"), "15": _l("deposit record (15)"),
    "70": _l("end record (70)"),
}


class BgMaxError(DomainError):
    """The file is not a valid BgMax file; ``line_number`` (1-based) is the line concerned."""

    def __init__(self, message: str, line_number: int):
        super().__init__(message, "file", str(line_number))
        self.line_number = line_number


# ---- the result ---------------------------------------------------------------------


@dataclass
class ExtraReference:
    """Record 22 (or 23: the reference of a negative amount) under a payment."""

    reference: str
    amount: Decimal  # kronor; negative for a record 23
    reference_code: str
    line_number: int


@dataclass
class Payment:
    """Record 20 (a payment) or 21 (a deduction, ``is_deduction``) with the records under it."""

    is_deduction: bool
    payer_bankgiro: str  # digits without leading zeros ("" when none)
    reference: str  # as the file states it, blanks around it removed
    amount: Decimal  # kronor, positive (a deduction lowers the deposit by it)
    reference_code: str  # "0".."5", see REFERENCE_CODES
    channel: str  # "1".."4", see CHANNELS
    bgc_serial: str  # BGC-löpnummer, 12 digits as in the file
    has_image: bool  # an image of the payment form exists (position 70 = "1")
    line_number: int
    deduction_code: str | None = None  # record 21 position 71 (blank in older files: None)
    extra_references: list[ExtraReference] = field(default_factory=list)
    information: list[str] = field(default_factory=list)  # records 25, in order
    payer_name: str = ""
    payer_extra_name: str = ""
    payer_address: str = ""
    payer_postcode: str = ""
    payer_city: str = ""
    payer_country: str = ""
    payer_country_code: str = ""
    payer_organisation_number: str = ""  # digits without leading zeros
    bank_reference: str = ""  # set by the parser, see _bank_references

    @property
    def references(self) -> list[str]:
        """Every reference the payment names: its own (a code-3 reference may list several,
        separated by blanks or commas) and those of its extra reference records, without
        repeats, in order."""
        refs = [r for r in self.reference.replace(",", " ").split()] if self.reference_code in "345" \
            else ([self.reference] if self.reference else [])
        refs += [x.reference for x in self.extra_references if x.reference]
        return list(dict.fromkeys(refs))


@dataclass
class Section:
    """One deposit: records 05 ... 15."""

    payee_bankgiro: str  # digits without leading zeros
    payee_plusgiro: str  # "" when none
    currency: str
    line_number: int  # of the record 05
    payments: list[Payment] = field(default_factory=list)  # records 20, in order
    deductions: list[Payment] = field(default_factory=list)  # records 21, in order
    bank_account: str = ""  # the payee's bank account (digits without leading zeros)
    deposit_date: dt.date | None = None
    deposit_serial: str = ""
    total: Decimal = Decimal("0.00")  # record 15's amount = payments minus deductions
    payment_count: int = 0  # record 15's count (records 20 and 21)
    deposit_type: str = ""  # record 15 position 80 (blank, or "K" for a card deposit)


@dataclass
class BgMaxFile:
    layout_name: str
    version: str
    written_at: dt.datetime
    is_test: bool  # "T" in record 01; "P" is production
    checksum: str  # sha256 hex of the file's bytes
    sections: list[Section] = field(default_factory=list)
    payment_records: int = 0  # record 70's counts, checked against the file
    deduction_records: int = 0
    extra_reference_records: int = 0
    deposit_records: int = 0

    @property
    def payments(self) -> list[Payment]:
        return [p for s in self.sections for p in s.payments]

    @property
    def deductions(self) -> list[Payment]:
        return [p for s in self.sections for p in s.deductions]


# ---- parsing ------------------------------------------------------------------------


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> str:
    """ISO-8859-1, or UTF-8 for a file an editor re-saved (see the module's doc)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode("iso-8859-1")


def _not_bgmax(line: int = 1) -> BgMaxError:
    return BgMaxError(_("Line %(line)d: not a BgMax file (the first line must be a start record 01 "
                        "with the layout name BGMAX).", line=line), line)


class _Line:
    __slots__ = ("text", "number", "code")

    def __init__(self, text: str, number: int):
        self.text = text
        self.number = number
        self.code = text[:2]

    def text_field(self, start: int, end: int) -> str:
        """Positions start..end (1-based, inclusive) with blanks around them removed."""
        return self.text[start - 1:end].strip()

    def digits(self, start: int, end: int, what: str, blank_ok: bool = False) -> str:
        value = self.text[start - 1:end]
        if blank_ok and not value.strip():
            return ""
        if not (value.isascii() and value.isdigit()):
            raise BgMaxError(_('Line %(line)d: %(field)s is not a number: "%(value)s".', line=self.number,
                               field=FIELD_LABELS[what], value=value.strip()), self.number)
        return value

    def number_(self, start: int, end: int, what: str) -> int:
        return int(self.digits(start, end, what))

    def amount(self, start: int, end: int, what: str = "amount") -> Decimal:
        return Decimal(self.number_(start, end, what)).scaleb(-2)

    def date(self, start: int, end: int, what: str) -> dt.date:
        value = self.digits(start, end, what)
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            raise BgMaxError(_('Line %(line)d: %(field)s is not a valid date: "%(value)s".', line=self.number,
                               field=FIELD_LABELS[what], value=value), self.number) from None


def _lines(text: str):
    """The file's lines as _Line, padded to 80 characters, checked for length."""
    raw = text.split("\n")
    while raw and not raw[-1].strip():
        raw.pop()
    for number, line in enumerate(raw, 1):
        line = line.expandtabs(8).rstrip(" \r")
        code = line[:2]
        if number == 1 and not line.startswith("01" + LAYOUT_NAME):
            raise _not_bgmax()
        if code not in KNOWN_RECORDS:
            if not line:
                raise BgMaxError(_("Line %(line)d: the line is empty.", line=number), number)
            raise BgMaxError(_('Line %(line)d: unknown record type "%(code)s".', line=number, code=code), number)
        if len(line) > RECORD_LENGTH or len(line) < LAST_FIELD_END[code]:
            raise BgMaxError(_("Line %(line)d: a BgMax record is 80 characters long, this one has %(length)d.",
                               line=number, length=len(line)), number)
        yield _Line(line.ljust(RECORD_LENGTH), number)


def _out_of_order(line: _Line, previous: str | None) -> BgMaxError:
    if previous is None:
        return BgMaxError(_("Line %(line)d: a %(record)s cannot come first in a section.", line=line.number,
                            record=RECORD_NAMES[line.code]), line.number)
    return BgMaxError(_("Line %(line)d: a %(record)s cannot follow a %(previous)s.", line=line.number,
                        record=RECORD_NAMES[line.code], previous=RECORD_NAMES[previous]), line.number)


def _payment(line: _Line) -> Payment:
    reference_code = line.digits(56, 56, "reference_code")
    if reference_code not in REFERENCE_CODES:
        raise BgMaxError(_('Line %(line)d: unknown reference code "%(value)s".', line=line.number,
                           value=reference_code), line.number)
    deduction = line.code == "21"
    return Payment(
        is_deduction=deduction,
        payer_bankgiro=line.digits(3, 12, "payer_bankgiro", blank_ok=True).lstrip("0"),
        reference=line.text_field(13, 37),
        amount=line.amount(38, 55),
        reference_code=reference_code,
        channel=line.digits(57, 57, "channel"),
        bgc_serial=line.digits(58, 69, "serial"),
        has_image=line.digits(70, 70, "image") == "1",
        line_number=line.number,
        deduction_code=(line.digits(71, 71, "deduction_code", blank_ok=True) or None) if deduction else None,
    )


def _detail(payment: Payment, line: _Line, seen: set[str]) -> None:
    code = line.code
    if code in ONCE_PER_PAYMENT:
        if code in seen:
            raise BgMaxError(_("Line %(line)d: a second %(record)s for the same payment.", line=line.number,
                               record=RECORD_NAMES[code]), line.number)
        seen.add(code)
    if code in ("22", "23"):
        amount = line.amount(38, 55)
        payment.extra_references.append(ExtraReference(
            reference=line.text_field(13, 37), amount=-amount if code == "23" else amount,
            reference_code=line.digits(56, 56, "reference_code"), line_number=line.number))
    elif code == "25":
        payment.information.append(line.text_field(3, 52))
    elif code == "26":
        payment.payer_name, payment.payer_extra_name = line.text_field(3, 37), line.text_field(38, 72)
    elif code == "27":
        payment.payer_address, payment.payer_postcode = line.text_field(3, 37), line.text_field(38, 46)
    elif code == "28":
        payment.payer_city, payment.payer_country = line.text_field(3, 37), line.text_field(38, 72)
        payment.payer_country_code = line.text_field(73, 74)
    elif code == "29":
        payment.payer_organisation_number = line.digits(3, 14, "organisation_number", blank_ok=True).lstrip("0")


def _bank_references(section: Section) -> None:
    """A payment's unique reference at the bank: the payee's bankgiro, the payment date, the
    deposit serial and the BGC serial number, "9912346/20040525/74/000000000010". Bankgirot's
    example repeats a BGC serial within one deposit; a repeat gets "/2", "/3" ... in file order
    (the same file always gives the same references)."""
    seen: dict[str, int] = {}
    stem = f"{section.payee_bankgiro}/{section.deposit_date:%Y%m%d}/{int(section.deposit_serial or 0)}/"
    for payment in sorted(section.payments + section.deductions, key=lambda p: p.line_number):
        key = ("D" if payment.is_deduction else "") + payment.bgc_serial
        seen[key] = seen.get(key, 0) + 1
        payment.bank_reference = stem + key + (f"/{seen[key]}" if seen[key] > 1 else "")


def parse_bgmax(data: bytes) -> BgMaxFile:
    """The file's sections and payments, or BgMaxError naming the first line that is wrong."""
    if isinstance(data, str):  # tolerated for tests; the checksum is then of its ISO-8859-1 bytes
        data = data.encode("iso-8859-1")
    text = decode(data)
    result: BgMaxFile | None = None
    section: Section | None = None
    payment: Payment | None = None
    seen: set[str] = set()
    previous: str | None = None
    ended: _Line | None = None
    counts = {"20": 0, "21": 0, "22": 0, "15": 0}
    last_number = 0
    for line in _lines(text):
        last_number = line.number
        code = line.code
        if ended is not None:
            raise BgMaxError(_("Line %(line)d: nothing may follow the end record (70).", line=line.number),
                             line.number)
        if code == "01":
            if result is not None:
                raise _out_of_order(line, previous)
            result = _start(line, data)
        elif code == "05":
            if previous not in ("01", "15"):
                raise _out_of_order(line, previous)
            section = Section(payee_bankgiro=line.digits(3, 12, "payee_bankgiro").lstrip("0"),
                              payee_plusgiro=line.digits(13, 22, "payee_bankgiro", blank_ok=True).lstrip("0"),
                              currency=line.text_field(23, 25), line_number=line.number)
            payment = None
        elif code in ("20", "21"):
            if section is None:
                raise _out_of_order(line, previous)
            payment = _payment(line)
            seen = set()
            (section.deductions if payment.is_deduction else section.payments).append(payment)
            counts[code] += 1
        elif code in PAYMENT_DETAILS:
            if payment is None:
                raise _out_of_order(line, previous)
            _detail(payment, line, seen)
            if code in ("22", "23"):
                counts["22"] += 1
        elif code == "15":
            if section is None:
                raise _out_of_order(line, previous)
            _deposit(section, line)
            result.sections.append(section)
            counts["15"] += 1
            section = payment = None
        elif code == "70":
            if section is not None:
                raise _out_of_order(line, previous)
            _end(result, line, counts)
            ended = line
        previous = code
    if result is None:
        raise _not_bgmax()
    if ended is None:
        raise BgMaxError(_("Line %(line)d: the file ends without an end record (70).", line=last_number),
                         last_number)
    return result


def _start(line: _Line, data: bytes) -> BgMaxFile:
    stamp = line.digits(25, 44, "timestamp")
    try:
        written = dt.datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(microsecond=int(stamp[14:20]))
    except ValueError:
        raise BgMaxError(_('Line %(line)d: %(field)s is not a valid date: "%(value)s".', line=line.number,
                           field=FIELD_LABELS["timestamp"], value=stamp), line.number) from None
    marker = line.text[44]
    if marker not in "TP":
        raise BgMaxError(_('Line %(line)d: the test marker must be T or P, not "%(value)s".', line=line.number,
                           value=marker), line.number)
    return BgMaxFile(layout_name=line.text_field(3, 22), version=line.text_field(23, 24), written_at=written,
                     is_test=marker == "T", checksum=checksum(data))


def _deposit(section: Section, line: _Line) -> None:
    section.bank_account = line.digits(3, 37, "bank_account").lstrip("0")
    section.deposit_date = line.date(38, 45, "deposit_date")
    section.deposit_serial = line.digits(46, 50, "deposit_serial")
    section.total = line.amount(51, 68, "deposit_amount")
    currency = line.text_field(69, 71)
    section.payment_count = line.number_(72, 79, "payment_count")
    section.deposit_type = line.text_field(80, 80)
    if currency != section.currency:
        raise BgMaxError(_("Line %(line)d: the deposit is in %(stated)s, the section (line %(opening)d) in "
                           "%(currency)s.", line=line.number, stated=currency, opening=section.line_number,
                           currency=section.currency), line.number)
    counted = len(section.payments) + len(section.deductions)
    if section.payment_count != counted:
        raise BgMaxError(_("Line %(line)d: the deposit record states %(stated)d payments, the section has "
                           "%(counted)d.", line=line.number, stated=section.payment_count, counted=counted),
                         line.number)
    computed = sum((p.amount for p in section.payments), Decimal("0.00")) \
        - sum((p.amount for p in section.deductions), Decimal("0.00"))
    if section.total != computed:
        raise BgMaxError(_("Line %(line)d: the deposit amount %(stated)s does not match the section's payments "
                           "less deductions, %(computed)s.", line=line.number, stated=money(section.total),
                           computed=money(computed)), line.number)
    _bank_references(section)


def _end(result: BgMaxFile, line: _Line, counts: dict[str, int]) -> None:
    stated = {"20": line.number_(3, 10, "end_count"), "21": line.number_(11, 18, "end_count"),
              "22": line.number_(19, 26, "end_count"), "15": line.number_(27, 34, "end_count")}
    labels = {"20": _l("payment records (20)"), "21": _l("deduction records (21)"),
              "22": _l("extra reference records (22, 23)"), "15": _l("deposit records (15)")}
    for code in ("20", "21", "22", "15"):
        if stated[code] != counts[code]:
            raise BgMaxError(_("Line %(line)d: the end record states %(stated)d %(records)s, the file has "
                               "%(counted)d.", line=line.number, stated=stated[code], records=labels[code],
                               counted=counts[code]), line.number)
    result.payment_records, result.deduction_records = stated["20"], stated["21"]
    result.extra_reference_records, result.deposit_records = stated["22"], stated["15"]
