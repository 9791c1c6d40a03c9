"""The BgMax import (issue 12 item 2) on Bankgirot's real example files: invoices whose OCR
references are some of the file's references are paid (in full, in part, with the rest kept as
customer credit), the others are booked to the suspense account (2999) and matched by hand
later; the same file a second time books nothing; a broken file is rejected with its line and
nothing booked; a locked period refuses the file; two users importing the same file at once on
PostgreSQL: exactly one books it. Also the batch forms (register_payments, book_vouchers) against
their one-at-a-time originals."""
import datetime as dt
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.ledger_data import GenPayment, write_bgmax
from models import BgMaxImport, Customer, Invoice, NumberSeries, Order, Payment, User, Voucher, VoucherRow, db
from services.ledger import LedgerError
from services.ledger import bgmax_import as bi
from services.ledger import payments as pay
from services.ledger.bgmax import BgMaxError
from services.ledger.vouchers import Row, VoucherEntry, book_voucher, book_vouchers, ensure_year, lock_through
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.races import race

pytestmark = pytest.mark.usefixtures("english")

FILES = Path("/work/shared/formats/bgmax")
TWO_SECTIONS = FILES / "bankgirot_exempelfil_ocr-kontroll_checksiffra_langd_2sections_SEK.txt"
THREE_SECTIONS = FILES / "bankgirot_exempelfil_ocr-kontroll_checksiffra_langd_3sections_SEK_EUR_pre2016.txt"
DEPOSIT = dt.date(2004, 5, 25)  # the example files' payment date
TODAY = dt.date(2026, 11, 24)


def _customer(session, number, name, org):
    found = session.scalar(select(Customer).where(Customer.customer_number == number))
    return found or h.customer(session, number, name, org=org)


def _invoice(session, customer, sequence, price="200.00", quantity=2) -> Invoice:
    """An invoice numbered ``sequence`` (its OCR reference is made of it): ``quantity`` ×
    ``price`` at 25 % (500.00 by default)."""
    settings = h.settings(session)
    invoicing.ensure_sales_series(session, settings)
    session.get(NumberSeries, invoicing.INVOICE_SERIES).next_number = sequence
    n = session.scalar(select(func.count()).select_from(Order))
    order = orders.create_order(session, customer, None, today=TODAY)
    orders.add_line(session, order, "article", article=h.article(session, number=f"A-{n}", price=price),
                    quantity=quantity)
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    session.flush()
    return invoice


@pytest.fixture
def books(session):
    """The example file's customers and invoices (OCR of invoice 6559 is 655969, ...)."""
    ensure_year(session, DEPOSIT)
    kalle = _customer(session, "1001", "Kalles Plåt AB", "5500001234")
    olle = _customer(session, "1002", "Olles färg AB", "5500004322")
    berit = _customer(session, "1003", "Berits Garn", "5500002222")
    inv = {n: _invoice(session, kalle, n) for n in (6559, 6578, 6587, 6577)}
    inv[6508] = _invoice(session, olle, 6508)
    inv[6597] = _invoice(session, berit, 6597)
    inv[7000] = _invoice(session, berit, 7000, price="960.00", quantity=1)  # 1 200.00, not in the file
    # Olle's invoice was paid at the counter before the file came: his payment finds it closed
    pay.register_payment(session, olle, TODAY, "500", "cash", None, [(inv[6508], None)])
    session.commit()
    return inv


def _sum(session, account) -> D:
    return session.scalar(select(func.coalesce(func.sum(VoucherRow.amount), 0))
                          .where(VoucherRow.account_number == account)) or D(0)


def _counts(session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(BgMaxImport)),
            session.scalar(select(func.count()).select_from(Payment)),
            session.scalar(select(func.count()).select_from(Voucher)))


def test_the_example_file_books_the_matched_payments_and_parks_the_rest(session, books):
    before = {a: _sum(session, a) for a in ("1930", "1510", "2420", "2999")}
    result = bi.import_bgmax(session, TWO_SECTIONS.read_bytes(), TWO_SECTIONS.name, None, today=TODAY)
    session.commit()
    assert result.payments == 6
    assert len(result.booked) == 3 and len(result.unmatched) == 3 and len(result.deductions) == 1
    assert result.total == D("9900.00")  # 1 900 + 8 000 deposited
    # 655969: 1 000 on an invoice of 500: paid, the rest kept as customer credit
    booked, unmatched = pay.load_payments(session, result.booked), pay.load_payments(session, result.unmatched)
    first = booked[0]
    assert (first.amount, first.date, first.method.code) == (D("1000.00"), DEPOSIT, "bankgiro")
    assert [(a.invoice, a.amount) for a in first.allocations] == [(books[6559], D("500.00")), (None, D("500.00"))]
    assert first.bank_reference == "9912346/20040525/74/000000000010"
    assert first.payer_name == "Kalles Plåt AB" and first.payer_org_number == "5500001234"
    # 657866 658765 657767 (+ 657965 unknown): 1 400 over three invoices of 500, the last in part
    second = booked[1]
    assert [(a.invoice, a.amount) for a in second.allocations] == [
        (books[6578], D("500.00")), (books[6587], D("500.00")), (books[6577], D("400.00"))]
    statuses = {n: pay.invoice_status(session, books[n], TODAY) for n in (6559, 6578, 6587, 6577, 6597, 7000)}
    assert statuses == {6559: "paid", 6578: "paid", 6587: "paid", 6577: "partly_paid", 6597: "paid", 7000: "open"}
    assert pay.customer_credit(session, books[6559].customer) == D("500.00")
    assert pay.customer_credit(session, books[6597].customer) == D("200.00")  # 700 on 500
    # the unmatched ones: a closed invoice, no reference, unknown references
    assert [(p.amount, p.customer, p.allocations) for p in unmatched] == [
        (D("1100.00"), None, []), (D("1200.00"), None, []), (D("5000.00"), None, [])]
    reasons = [n["reason"] for n in result.bgmax_import.notes if n["kind"] == "unmatched"]
    assert reasons == ["closed", "no_reference", "unknown"]
    # the books: every voucher balances; the bank got what was deposited, 2999 holds the rest
    assert _sum(session, "1930") - before["1930"] == D("9900.00")
    assert _sum(session, "1510") - before["1510"] == D("-2400.00")
    assert _sum(session, "2420") - before["2420"] == D("-700.00")
    assert _sum(session, "2999") - before["2999"] == D("-6800.00")  # 7 300 unidentified less the 500 deduction
    for voucher in session.scalars(select(Voucher).where(Voucher.series == "B")):
        assert sum(r.amount for r in voucher.rows) == 0
    numbers = sorted(session.scalars(select(Voucher.number).where(Voucher.series == "B", Voucher.date == DEPOSIT)))
    assert numbers == list(range(1, 8))  # 3 booked, 3 unidentified, 1 deduction: gapless in 2004
    row = session.scalar(select(BgMaxImport))
    assert (row.payment_count, row.booked_count, row.unmatched_count, row.total_amount) == (6, 3, 3, D("9900.00"))


def test_the_same_file_twice_books_nothing_the_second_time(session, books, admin_user):
    admin_user = session.get(User, admin_user)
    data = TWO_SECTIONS.read_bytes()
    bi.import_bgmax(session, data, "first.txt", admin_user, today=TODAY)
    session.commit()
    before = _counts(session)
    with pytest.raises(LedgerError) as error:
        bi.import_bgmax(session, data, "again.txt", None, today=TODAY)
    session.rollback()
    assert "imported already" in error.value.message and "Admin Istratör" in error.value.message
    assert error.value.field == "file"
    assert _counts(session) == before


def test_a_broken_file_is_rejected_with_its_line_and_nothing_is_booked(session, books):
    lines = TWO_SECTIONS.read_bytes().split(b"\n")
    lines[12] = lines[12].rstrip(b"\r") + b"XXXXXXXXXXXXXX\r"  # record 20 of 94 characters
    before = _counts(session)
    with pytest.raises(BgMaxError) as error:
        bi.import_bgmax(session, b"\n".join(lines), "broken.txt", None)
    session.rollback()
    assert error.value.line_number == 13 and "Line 13" in error.value.message
    assert _counts(session) == before


def test_a_locked_period_refuses_the_whole_file(session, books):
    lock_through(session, DEPOSIT, None)
    session.commit()
    before = _counts(session)
    with pytest.raises(LedgerError) as error:
        bi.import_bgmax(session, TWO_SECTIONS.read_bytes(), "locked.txt", None)
    session.rollback()
    assert error.value.field == "date" and "locked" in error.value.message
    assert _counts(session) == before


def test_a_crash_in_the_middle_books_nothing(session, books):
    before = _counts(session)

    def crash(done, total):
        if done:  # after the matched payments are booked, before the rest
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bi.import_bgmax(session, TWO_SECTIONS.read_bytes(), "crash.txt", None, progress=crash)
    session.rollback()
    assert _counts(session) == before


def test_another_currency_is_left_out_and_noted(session, books):
    result = bi.import_bgmax(session, THREE_SECTIONS.read_bytes(), THREE_SECTIONS.name, None, today=TODAY)
    assert {n["kind"] for n in result.skipped} == {"currency"}
    assert [n["currency"] for n in result.skipped] == ["EUR"] * len(result.skipped)
    assert len(result.booked) + len(result.unmatched) == 6  # the two SEK sections as above


def test_a_payment_registered_before_is_left_out(session, books):
    data = io.BytesIO()
    write_bgmax(data, [[GenPayment(D("500.00"), "655969", name="Kalles Plåt AB")]], date=DEPOSIT)
    first = bi.import_bgmax(session, data.getvalue(), "a.txt", None)
    again = io.BytesIO()  # the same payment in a file written again (another checksum)
    write_bgmax(again, [[GenPayment(D("500.00"), "655969", name="Kalles Plåt AB")]], date=DEPOSIT, test=True)
    second = bi.import_bgmax(session, again.getvalue(), "b.txt", None)
    assert len(first.booked) == 1 and second.booked == [] and second.unmatched == []
    assert [n["kind"] for n in second.skipped] == ["registered"]


def test_reference_without_leading_zeros_and_invoice_number_fallback(session, books):
    data = io.BytesIO()
    write_bgmax(data, [[GenPayment(D("100.00"), "000655969"), GenPayment(D("50.00"), "6578", reference_code="4")]],
                date=DEPOSIT)
    result = bi.import_bgmax(session, data.getvalue(), "z.txt", None, today=TODAY)
    assert [[a.invoice for a in p.allocations] for p in pay.load_payments(session, result.booked)] == [
        [books[6559]], [books[6578]]]


def test_a_shortfall_within_the_tolerance_is_written_off(session, books):
    data = io.BytesIO()
    write_bgmax(data, [[GenPayment(D("497.00"), "655969"), GenPayment(D("10.00"), "655969")]], date=DEPOSIT)
    result = bi.import_bgmax(session, data.getvalue(), "t.txt", None, today=TODAY)
    first = session.get(Payment, result.booked[0])
    assert [(a.amount, a.write_off) for a in first.allocations] == [(D("497.00"), D("3.00"))]
    assert pay.invoice_status(session, books[6559], TODAY) == "paid"
    assert len(result.unmatched) == 1  # the second finds it paid


def test_suggestions_and_manual_matching_move_the_payment_out_of_suspense(session, books, admin_user):
    admin_user = session.get(User, admin_user)
    result = bi.import_bgmax(session, TWO_SECTIONS.read_bytes(), TWO_SECTIONS.name, None, today=TODAY)
    session.commit()
    no_reference = session.get(Payment, result.unmatched[1])  # Berits Garn, 1 200.00
    suggested = bi.suggestions(session, no_reference)
    assert suggested[0].invoice == books[7000] and suggested[0].same_amount and suggested[0].same_payer
    assert [p.id for p in bi.unmatched_payments(session)] == result.unmatched
    suspense, receivables = _sum(session, "2999"), _sum(session, "1510")
    matched = bi.match_payment(session, no_reference, [books[7000]], admin_user, date=TODAY)
    session.commit()
    assert matched.customer == books[7000].customer and matched.matched_by == admin_user
    assert sorted((r.account_number, r.amount) for r in matched.match_voucher.rows) == [
        ("1510", D("-1200.00")), ("2999", D("1200.00"))]
    assert _sum(session, "2999") - suspense == D("1200.00")
    assert pay.invoice_status(session, books[7000], TODAY) == "paid"
    assert no_reference not in bi.unmatched_payments(session)
    with pytest.raises(LedgerError, match="matched or reversed already"):
        bi.match_payment(session, no_reference, [books[7000]], admin_user, date=TODAY)
    session.rollback()
    # reversed (a wrong match): both vouchers are reversed, the invoice is open again
    pay.reverse_payment(session, session.get(Payment, no_reference.id), admin_user, date=TODAY)
    assert pay.invoice_status(session, books[7000], TODAY) == "open"
    assert _sum(session, "1510") == receivables  # the match undone
    assert _sum(session, "2999") == suspense + D("1200.00")  # and the payment itself: the money not received


def test_manual_matching_keeps_a_rest_as_customer_credit(session, books, admin_user):
    admin_user = session.get(User, admin_user)
    result = bi.import_bgmax(session, TWO_SECTIONS.read_bytes(), TWO_SECTIONS.name, None, today=TODAY)
    unknown = session.get(Payment, result.unmatched[2])  # 5 000.00 with references no invoice has
    matched = bi.match_payment(session, unknown, [books[7000]], admin_user, date=TODAY)
    assert [(a.invoice, a.amount) for a in matched.allocations] == [(books[7000], D("1200.00")), (None, D("3800.00"))]
    assert pay.customer_credit(session, books[7000].customer) == D("3800.00") + D("200.00")
    with pytest.raises(LedgerError, match="nothing left to pay"):
        bi.match_payment(session, session.get(Payment, result.unmatched[0]), [books[6508]], admin_user, date=TODAY)


def test_the_command_prints_the_counts_and_fails_on_a_broken_file(app, runner, tmp_path):
    with app.app_context():
        ensure_year(db.session, DEPOSIT)
        db.session.commit()
    ok = runner.invoke(args=["import-bgmax", str(TWO_SECTIONS)])
    assert ok.exit_code == 0, ok.output
    assert "Payments: 6, booked: 0, unmatched: 6" in ok.output and "total: 9900.00" in ok.output
    again = runner.invoke(args=["import-bgmax", str(TWO_SECTIONS)])
    assert again.exit_code == 1
    broken = tmp_path / "broken.txt"
    broken.write_bytes(TWO_SECTIONS.read_bytes().replace(b"70000000060", b"70000000070"))
    bad = runner.invoke(args=["import-bgmax", str(broken)])
    assert bad.exit_code == 1 and "Line" in bad.output


def test_register_payments_agrees_with_register_payment(session, books):
    kalle = books[6559].customer
    one = pay.register_payment(session, kalle, DEPOSIT, "600", "bankgiro", "x", [(books[6559], None)], rest="credit")
    batch = pay.register_payments(session, [
        pay.PaymentItem(kalle, DEPOSIT, D("300"), "y", [(books[6578], None)]),
        pay.PaymentItem(kalle, DEPOSIT, D("300"), "z", [(books[6578], None)], rest="credit"),
    ], "bankgiro")
    assert [(a.invoice, a.amount) for a in one.allocations] == [(books[6559], D("500.00")), (None, D("100.00"))]
    assert [[(a.invoice, a.amount) for a in p.allocations] for p in batch] == [
        [(books[6578], D("300.00"))], [(books[6578], D("200.00")), (None, D("100.00"))]]
    assert [p.voucher.number for p in [one] + batch] == [1, 2, 3]  # in 2004
    assert sorted((r.account_number, r.amount) for r in batch[1].voucher.rows) == [
        ("1510", D("-200.00")), ("1930", D("300.00")), ("2420", D("-100.00"))]
    with pytest.raises(LedgerError) as error:
        pay.register_payments(session, [pay.PaymentItem(kalle, DEPOSIT, D("900"), "w", [(books[6587], None)])],
                              "bankgiro")
    assert error.value.field == "items-0-rest"


def test_book_vouchers_numbers_like_book_voucher_and_checks_each(session):
    ensure_year(session, TODAY)
    rows = [Row("1930", D("10.00")), Row("2999", D("-10.00"))]
    first = book_voucher(session, "B", TODAY, rows, "one", None)
    batch = book_vouchers(session, "B", [VoucherEntry(TODAY, rows, f"n{n}", ("payment", n)) for n in range(3)], None)
    assert [first.number] + [v.number for v in batch] == [1, 2, 3, 4]
    assert book_voucher(session, "B", TODAY, rows, "after", None).number == 5
    with pytest.raises(LedgerError) as error:
        book_vouchers(session, "B", [VoucherEntry(TODAY, rows, "ok"),
                                     VoucherEntry(TODAY, [Row("1930", D("1")), Row("2999", D("-2"))], "bad")], None)
    assert error.value.field == "entries-1-rows" and "does not balance" in error.value.message


@pytest.mark.pg
def test_two_users_importing_the_same_file_at_once_book_it_once(app):
    """Both wait on the checksum's unique index behind a third transaction holding the same
    checksum uncommitted; when it lets go, one books the file and the other is told."""
    data = TWO_SECTIONS.read_bytes()
    with app.app_context():
        ensure_year(db.session, DEPOSIT)
        kalle = _customer(db.session, "1001", "Kalles Plåt AB", "5500001234")
        _invoice(db.session, kalle, 6559)
        db.session.commit()
        engine = db.engine

    def run(n):
        with app.app_context(), Session(engine) as session:
            result = bi.import_bgmax(session, data, f"user{n}.txt", None, today=TODAY)
            session.commit()
            return len(result.booked)

    from services.ledger.bgmax import checksum

    results = race(engine, 2, run, hold=lambda blocker: blocker.execute(text(
        "INSERT INTO bgmax_import (checksum, filename, imported_at, payment_count, booked_count, "
        "unmatched_count, total_amount, notes) VALUES (:c, 'x', now(), 0, 0, 0, 0, '[]')"), {"c": checksum(data)}))
    booked = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, LedgerError)]
    assert booked == [1] and len(refused) == 1, results
    assert refused[0].field == "file" and "redan inläst" in refused[0].message  # the threads speak Swedish
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BgMaxImport)) == 1
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 6


def test_the_job_summary_writes_the_total_the_swedish_way(app, monkeypatch, tmp_path):
    """Issue 13 item 1: the BgMax job's result says "totalt: 9 900,00 kr", not 9900.00."""
    from types import SimpleNamespace

    from flask_babel import force_locale

    from services.platform import jobs

    monkeypatch.setattr(jobs, "files_dir", lambda: tmp_path)
    (tmp_path / "in.txt").write_bytes(TWO_SECTIONS.read_bytes())
    with app.app_context():
        ensure_year(db.session, DEPOSIT)
        job = SimpleNamespace(params={"file": "in.txt", "filename": "in.txt"}, user=None)
        monkeypatch.setattr(jobs, "report_progress", lambda *a, **k: None)
        with force_locale("sv"):
            outcome = bi._import_job(db.session, job)
        db.session.rollback()
    assert "9\xa0900,00\xa0kr" in outcome.summary and "9900.00" not in outcome.summary
