"""The accountant's full round of issue 12, shared by the web test (tests/web/ledger/
test_full_round.py) and the browser test (tests/browser/test_ledger_full_round.py): the dates
of the round, its two customers and orders, a BgMax file built on the layout of Bankgirot's
example file, and the figures of the round computed by hand.

The round, all in October 2026 (the tests travel the app's clock from day to day):
- 2026-10-01 invoice A, Kalles Plåt AB: 2 × 200,00 + 25 % = 500,00, 30 days (due 2026-10-31);
  invoice B, Berits Garn: 80 × 200,00 + 25 % = 20 000,00, 10 days with reminder fee (due 2026-10-11);
- 2026-10-05 Bankgirot's deposit of 500,00 with A's OCR (the BgMax file);
- 2026-10-30 B is 19 days overdue: a level-1 reminder with a fee of 60,00 (a fee invoice at 0 %);
  B is paid late the same day; an interest invoice for the 19 late days (from the day after the
  due date through the payment day) at the reference rate 2,00 % + 8 points;
- the VAT report of 2026-10 and the SIE export of 2026-10-01..2026-10-31."""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import func, select

from models import Order, PaymentTerm, ReferenceRate, db
from services.ledger.accounts import ACCOUNT_MAP
from services.ledger.sie_read import verify
from services.ledger.vouchers import ensure_year
from services.sales import orders
from tests import sales_helpers as h

D = Decimal
EXAMPLE = Path("/work/shared/formats/bgmax/bankgirot_exempelfil_ocr-kontroll_checksiffra_langd_2sections_SEK.txt")
ZONE = dt.timezone(dt.timedelta(hours=2))  # CEST: October in Stockholm
INVOICE_DAY = dt.date(2026, 10, 1)
DEPOSIT_DAY = dt.date(2026, 10, 5)
LATE_DAY = dt.date(2026, 10, 30)
MONTH = "2026-10"
MONTH_FROM, MONTH_TO = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def moment(day: dt.date) -> dt.datetime:
    """Noon of ``day`` in Stockholm: where the tests move the clock to."""
    return dt.datetime(day.year, day.month, day.day, 12, 0, tzinfo=ZONE)


# ---- the figures, by hand ------------------------------------------------------------------

A_NET, A_VAT = 2 * D("200.00"), 2 * D("200.00") * D("0.25")  # 400,00 + 100,00
A_TOTAL = A_NET + A_VAT  # 500,00
B_NET, B_VAT = 80 * D("200.00"), 80 * D("200.00") * D("0.25")  # 16 000,00 + 4 000,00
B_TOTAL = B_NET + B_VAT  # 20 000,00
B_DUE = INVOICE_DAY + dt.timedelta(days=10)  # 2026-10-11
FEE = D("60.00")
REFERENCE_RATE = D("2.00")  # the half-year from 2026-07-01
LATE_DAYS = (LATE_DAY - B_DUE).days  # 19: 2026-10-12 .. 2026-10-30
# 20 000,00 × 10 % × 19 / 365 = 104,109589... → 104,11 (rounded half-up to öre)
INTEREST = (B_TOTAL * (REFERENCE_RATE + 8) / 100 * LATE_DAYS / 365).quantize(D("0.01"), rounding=ROUND_HALF_UP)
assert LATE_DAYS == 19 and INTEREST == D("104.11")
# the VAT return of October: the fee (3590) and the interest (8313) are outside VAT
BOX_05 = A_NET + B_NET  # 16 400,00
BOX_10 = A_VAT + B_VAT  # 4 100,00
BOX_49 = BOX_10  # no input VAT
assert (BOX_05, BOX_10) == (D("16400.00"), D("4100.00"))



# ---- the data before the round ---------------------------------------------------------------


def fee_term(session) -> PaymentTerm:
    term = PaymentTerm(name="10 dagar, påminnelseavgift", days=10, reminder_fee_allowed=True)
    session.add(term)
    session.flush()
    return term


def prepare(app) -> dict:
    """The two customers with an order each (not invoiced yet), the year, October's reference
    rate; their ids."""
    with app.app_context():
        session = db.session
        ensure_year(session, INVOICE_DAY)
        rate = session.scalar(select(ReferenceRate).where(ReferenceRate.valid_from == dt.date(2026, 7, 1)))
        if rate is None:
            session.add(ReferenceRate(valid_from=dt.date(2026, 7, 1), rate=REFERENCE_RATE))
        else:
            rate.rate = REFERENCE_RATE
        kalle = h.customer(session, "1001", "Kalles Plåt AB", org="5500001234")
        berit = h.customer(session, "1002", "Berits Garn", org="5500002222", payment_term=fee_term(session),
                           email="berit@example.se")
        ids = {"kalle": kalle.id, "berit": berit.id}
        for key, who, quantity in (("order_a", kalle, 2), ("order_b", berit, 80)):
            n = session.scalar(select(func.count()).select_from(Order))
            order = orders.create_order(session, who, None, today=INVOICE_DAY)
            orders.add_line(session, order, "article", article=h.article(session, number=f"RUND-{n}"),
                            quantity=quantity)
            session.flush()
            ids[key] = order.id
        session.commit()
        return ids


# ---- the BgMax file ---------------------------------------------------------------------------


def _field(line: str, start: int, end: int, value: str) -> str:
    """``line`` with positions start..end (1-based, inclusive, as Bankgirot's manual counts)
    replaced by ``value``, which must fill them."""
    assert len(value) == end - start + 1, (value, start, end)
    return line[:start - 1] + value + line[end:]


def bgmax_file(ocr: str, amount: Decimal, day: dt.date = DEPOSIT_DAY) -> bytes:
    """A BgMax file of one deposit with one payment (``ocr``, ``amount``), made from the records
    of Bankgirot's example file: its start (01), opening (05), first payment (20) with its payer
    records (26-29), deposit (15) and end (70) records, with the reference, the amount, the
    dates, the counts and the totals changed to this payment's."""
    lines = EXAMPLE.read_bytes().decode("iso-8859-1").split("\r\n")
    start = next(x for x in lines if x.startswith("01"))
    opening = next(x for x in lines if x.startswith("05"))
    at = next(i for i, x in enumerate(lines) if x.startswith("20"))
    payment = lines[at]
    payer = []
    for x in lines[at + 1:]:
        if x[:2] not in ("26", "27", "28", "29"):
            break
        payer.append(x)
    deposit = next(x for x in lines if x.startswith("15"))
    end = next(x for x in lines if x.startswith("70"))
    ore = f"{int(amount * 100):018d}"
    start = _field(start, 25, 44, day.strftime("%Y%m%d") + "080000000000")
    payment = _field(payment, 13, 37, ocr.rjust(25))
    payment = _field(payment, 38, 55, ore)
    payment = _field(payment, 56, 56, "2")  # reference code 2: an OCR reference
    deposit = _field(deposit, 38, 45, day.strftime("%Y%m%d"))
    deposit = _field(deposit, 51, 68, ore)
    deposit = _field(deposit, 72, 79, "00000001")
    end = _field(end, 3, 34, "00000001" + "00000000" + "00000000" + "00000001")
    return ("\r\n".join([start, opening, payment, *payer, deposit, end]) + "\r\n").encode("iso-8859-1")


# ---- the SIE file of the month ----------------------------------------------------------------

def check_sie(sie, a_number: str, b_number: str, fee_number: str, interest_number: str) -> None:
    """Every voucher balances, #IB + transactions = #UB for every account (verify), and the
    round's six vouchers are there with the amounts computed by hand."""
    assert verify(sie) == []
    assert all(v.total == 0 for v in sie.vouchers)
    receivables, bank = ACCOUNT_MAP["receivables"], "1930"
    by_account: dict = {}
    for v in sie.vouchers:
        for t in v.transactions:
            by_account.setdefault((v.series, t.account), []).append((t.amount, v.date))
    assert len(sie.vouchers) == 6, [(v.label, v.text) for v in sie.vouchers]
    texts = " ".join(v.text or "" for v in sie.vouchers)
    for number in (a_number, b_number, fee_number, interest_number):
        assert number in texts, (number, texts)
    invoices = sorted(amount for amount, _d in by_account[("F", receivables)])
    assert invoices == sorted([A_TOTAL, B_TOTAL, FEE, INTEREST])
    assert sorted(by_account[("F", "2611")]) == sorted([(-A_VAT, INVOICE_DAY), (-B_VAT, INVOICE_DAY)])
    assert by_account[("F", ACCOUNT_MAP["reminder_fee"])] == [(-FEE, LATE_DAY)]
    assert by_account[("F", ACCOUNT_MAP["interest_income"])] == [(-INTEREST, LATE_DAY)]
    assert sorted(by_account[("B", bank)]) == [(A_TOTAL, DEPOSIT_DAY), (B_TOTAL, LATE_DAY)]
    assert sorted(by_account[("B", receivables)]) == [(-B_TOTAL, LATE_DAY), (-A_TOTAL, DEPOSIT_DAY)]
    # #IB + the month's transactions = #UB, stated, not only left to verify: the fee and the
    # interest remain on receivables, both payments are in the bank
    opening, closing = sie.opening.get(0, {}), sie.closing.get(0, {})
    assert closing, "the file has no #UB"
    for account, moved in ((receivables, FEE + INTEREST), (bank, A_TOTAL + B_TOTAL), ("2611", -(A_VAT + B_VAT))):
        assert opening.get(account, D(0)) + moved == closing[account], account
