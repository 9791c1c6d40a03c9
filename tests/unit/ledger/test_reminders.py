"""Reminders (issue 12 item 3, 90.14): the overdue list, levels, blocked customers, the fee only
where the terms allow it (a fee invoice on 3590 without VAT), at most 60 kr, two runs the same
day refused, the PDF (read back with pypdf: invoice numbers, fee, escaped text) and the e-mail
in the outbox."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import OutboxMessage, Reminder, ReminderItem, ReminderLevel, Voucher
from reports.ledger.reminder_pdf import queue_reminder, reminder_pdf
from services import DomainError
from services.ledger import payments as pay
from services.ledger import reminders as rem
from services.ledger.write_off import write_off
from services.sales import invoicing
from tests import sales_helpers as h
from tests.unit.ledger import dunning_helpers as dh

pytestmark = pytest.mark.usefixtures("english")
DUE = dh.DUE  # 2026-06-20; the default levels: 1 at 8 days, 2 at 22 (60 kr), 3 at 36 (60 kr)


def _day(days_overdue: int) -> dt.date:
    return DUE + dt.timedelta(days=days_overdue)


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_default_levels_are_seeded(session):
    levels = rem.levels_of(session)
    assert [(lv.level, lv.days_after_due, lv.fee) for lv in levels.values()] == [
        (1, 8, D("0.00")), (2, 22, D("60.00")), (3, 36, D("60.00"))]
    assert all(lv.text_sv and lv.text_de and lv.text_en for lv in levels.values())
    assert rem.seed_reminder_levels(session) == 0


def test_the_overdue_list_by_customer_without_paid_credited_written_off_or_blocked(session):
    a = dh.customer(session, "1001", "Alfa AB")
    b = dh.customer(session, "1002", "Beta AB")
    blocked = dh.customer(session, "1003", "Spärrad AB", no_reminders=True)
    a1, a2 = dh.invoice(session, a), dh.invoice(session, a, quantity=1)
    b1 = dh.invoice(session, b, date=dh.INVOICE_DATE - dt.timedelta(days=5))
    dh.invoice(session, blocked)
    paid = dh.invoice(session, a)
    pay.register_payment(session, a, DUE, "500", "bankgiro", None, [(paid, None)])
    credited = dh.invoice(session, b)
    invoicing.create_credit_note(session, credited, None, DUE, h.settings(session))
    lost = dh.invoice(session, b)
    write_off(session, lost, None, DUE, "Konkurs")
    pay.register_payment(session, a, DUE, "100", "bankgiro", None, [(a1, D("100"))])
    today = _day(10)
    groups = rem.overdue(session, today)
    assert [(g.customer_name, [i.number for i in g.invoices]) for g in groups] == [
        ("Beta AB", [b1.number]), ("Alfa AB", [a1.number, a2.number])]  # most overdue first
    alfa = groups[1]
    assert [(i.days_overdue, i.remaining, i.last_level) for i in alfa.invoices] == [(10, D("400.00"), 0),
                                                                                   (10, D("250.00"), 0)]
    assert alfa.remaining == D("650.00")
    assert [g.customer_name for g in rem.overdue(session, today, min_days=12)] == ["Beta AB"]
    # due today is not overdue: on the due date of Alfa's invoices only Beta's (due 5 days earlier) is
    assert [g.customer_name for g in rem.overdue(session, DUE)] == ["Beta AB"]


def test_levels_follow_earlier_reminders_and_the_fee_only_where_the_terms_allow(session):
    plain = dh.customer(session, "1001", "Utan Avgift AB")
    fee = dh.customer(session, "1002", "Med Avgift AB", fee=True)
    p1, f1 = dh.invoice(session, plain), dh.invoice(session, fee)
    settings = h.settings(session)
    assert rem.propose(session, _day(7)) == []  # level 1 at 8 days
    first = rem.propose(session, _day(8))
    assert [(p.customer_name, p.level, p.fee, p.fee_allowed) for p in first] == [
        ("Med Avgift AB", 1, D("0.00"), True), ("Utan Avgift AB", 1, D("0"), False)]
    made = rem.create_reminders(session, first, None, _day(8), settings)
    assert [(r.level, r.fee, r.fee_invoice) for r in made] == [(1, D("0"), None), (1, D("0"), None)]
    assert [(i.invoice_id, i.remaining, i.days_overdue) for i in made[0].items] in (
        [(p1.id, D("500.00"), 8)], [(f1.id, D("500.00"), 8)])
    # the next level waits for its days (22), then takes level 2 with its 60 kr where allowed
    assert rem.propose(session, _day(21)) == []
    second = rem.propose(session, _day(22))
    assert [(p.customer_name, p.level, p.fee) for p in second] == [("Med Avgift AB", 2, D("60.00")),
                                                                   ("Utan Avgift AB", 2, D("0"))]
    made = {r.customer_id: r for r in rem.create_reminders(session, second, None, _day(22), settings)}
    assert made[plain.id].fee_invoice is None
    fee_invoice = made[fee.id].fee_invoice
    assert (fee_invoice.total, fee_invoice.vat_total, fee_invoice.invoice_date) == (D("60.00"), D("0.00"), _day(22))
    [line] = fee_invoice.lines
    assert (line.account, line.vat_percent) == ("3590", D("0"))
    voucher = session.scalar(select(Voucher).where(Voucher.source_kind == "invoice",
                                                   Voucher.source_id == fee_invoice.id))
    assert dh.rows(voucher) == [("1510", D("60.00")), ("3590", D("-60.00"))]
    # level 3, then capped at 3; a new invoice of the customer rides along on the customer's level
    new = dh.invoice(session, fee, date=_day(10))  # due _day(40)
    third = rem.propose(session, _day(36), customer_ids=[fee.id])
    assert [(p.level, [i.invoice_id for i in p.invoices]) for p in third] == [(3, [f1.id])]
    rem.create_reminders(session, third, None, _day(36), settings)
    fees = [r.fee_invoice_id for r in session.scalars(select(Reminder).where(Reminder.customer_id == fee.id,
                                                                             Reminder.fee > 0))]
    later = rem.propose(session, _day(80), customer_ids=[fee.id])
    # the fee invoices (due 30 days after their reminders) are overdue debts too and are listed
    assert [(p.level, sorted(i.invoice_id for i in p.invoices)) for p in later] == [
        (3, sorted([f1.id, new.id, *fees]))]
    assert dh.all_balanced(session)


def test_a_late_first_reminder_is_not_followed_by_the_next_level_at_once(session):
    c = dh.customer(session, "1001", "Bygg AB")
    inv = dh.invoice(session, c)
    rem.create_reminders(session, [c.id], None, _day(30), h.settings(session))  # level 1, 30 days late
    assert rem.propose(session, _day(43)) == []  # level 2 is 14 days after level 1 (22 - 8)
    [p] = rem.propose(session, _day(44))
    assert (p.level, [i.invoice_id for i in p.invoices]) == (2, [inv.id])


def test_a_second_run_the_same_day_is_refused_and_writes_nothing(session):
    c = dh.customer(session, "1001", "Bygg AB", fee=True)
    dh.invoice(session, c)
    rem.propose(session, _day(30))
    settings = h.settings(session)
    rem.create_reminders(session, [c.id], None, _day(30), settings)
    reminders = session.scalar(select(func.count()).select_from(Reminder))
    with pytest.raises(DomainError, match="reminded today already"):
        rem.create_reminders(session, [c.id], None, _day(30), settings)
    # even a hand-made proposal for the same level and day is refused by the service
    level = session.scalar(select(Reminder.level))
    proposal = rem.Proposal(c.id, c.customer_number, c.name, level, rem.overdue(session, _day(30))[0].invoices,
                            D("0"), True)
    with pytest.raises(DomainError):
        rem.create_reminders(session, [proposal], None, _day(30), settings)
    assert session.scalar(select(func.count()).select_from(Reminder)) == reminders
    # and the database refuses the same invoice, level and day twice
    item = session.scalar(select(ReminderItem))
    session.add(ReminderItem(reminder_id=item.reminder_id, invoice_id=item.invoice_id, level=item.level,
                             date=item.date, due_date=item.due_date, days_overdue=1, remaining=D("1")))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_fee_is_at_most_60_kr(session):
    assert rem.check_fee("60,00") == D("60.00")
    assert rem.check_fee("") == D("0")
    with pytest.raises(DomainError, match="at most 60,00 kr") as info:
        rem.check_fee("60,01")
    assert info.value.field == "fee"
    with pytest.raises(DomainError):
        rem.check_fee("-5")
    with pytest.raises(DomainError) as info:
        rem.check_level(4, "10", "0")
    assert info.value.field == "level"
    assert rem.check_level("2", "14", "45,50") == (2, 14, D("45.50"))
    level = session.scalar(select(ReminderLevel).where(ReminderLevel.level == 1))
    level.fee = D("61")
    with pytest.raises(IntegrityError):  # the database refuses it too
        session.flush()
    session.rollback()


def test_no_levels_and_no_customers_are_refused(session):
    with pytest.raises(DomainError, match="Choose at least one customer"):
        rem.create_reminders(session, [], None, _day(30), h.settings(session))
    for lv in session.scalars(select(ReminderLevel)):
        lv.active = False
    session.flush()
    with pytest.raises(DomainError, match="reminder levels first"):
        rem.propose(session, _day(30))


def test_the_pdf_lists_the_invoices_and_the_fee_and_the_mail_goes_to_the_outbox(session):
    c = dh.customer(session, "1001", "<b>Bygg & Co</b> AB", fee=True, email="kund@example.se")
    one, two = dh.invoice(session, c), dh.invoice(session, c, quantity=1)
    session.scalar(select(ReminderLevel).where(ReminderLevel.level == 1)).fee = D("45.00")
    [reminder] = rem.create_reminders(session, rem.propose(session, _day(25)), None, _day(25), h.settings(session))
    assert reminder.level == 1 and reminder.fee == D("45.00") and reminder.total == D("750.00")
    text = _pdf_text(reminder_pdf(reminder, h.settings(session)))
    assert one.number in text and two.number in text
    assert "45,00" in text and "795,00" in text  # the fee and the total to pay, in the customer's Swedish
    assert reminder.fee_invoice.number in text
    assert "<b>Bygg & Co</b> AB" in text  # escaped: shown as typed, not read as markup
    assert "BETALNINGSPÅMINNELSE" in text
    message = queue_reminder(session, reminder, h.settings(session))
    assert (message.recipient, message.status, message.attachment_name) == (
        "kund@example.se", "queued", f"paminnelse-1001-{_day(25).isoformat()}.pdf")
    assert one.number in message.body and message.attachment.startswith(b"%PDF")
    assert (reminder.delivery, reminder.outbox_message_id) == ("email", message.id)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_customer_without_e_mail_is_printed(session):
    c = dh.customer(session, "1001", "Bygg AB")
    dh.invoice(session, c)
    [reminder] = rem.create_reminders(session, [c.id], None, _day(10), h.settings(session))
    with pytest.raises(DomainError, match="no e-mail address") as info:
        queue_reminder(session, reminder, h.settings(session))
    assert info.value.field == "recipient"
    rem.mark_sent(reminder, "print")
    assert reminder.delivery == "print" and reminder.sent_at is not None
    with pytest.raises(DomainError):
        rem.mark_sent(reminder, "fax")
