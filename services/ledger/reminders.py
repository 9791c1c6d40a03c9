"""Payment reminders (betalningspåminnelser, 000 90.14): the overdue invoices by customer, the
level each customer's next reminder takes, and the reminders themselves.

Levels (ReminderLevel, 90.14.1/90.14.2): level 1, 2 and 3, each with the days after the due
date it is sent at, a text per language and a fee (påminnelseavgift, at most 60 kr: lag
(1981:739) om ersättning för inkassokostnader m.m. 2 §, and only when agreed: the customer's
payment term says ``reminder_fee_allowed``).

An invoice's next level is one more than the highest level it was reminded on (capped at the
highest active level); it is due for it once it is that level's days overdue and, when it was
reminded before, the levels' difference in days has passed since its last reminder (a late
first reminder is not followed by the second the next day; the top level repeats at the last
step's interval). An invoice reminded today is not reminded again today. A customer's
reminder lists the invoices that are due for a reminder and takes the highest of their next
levels. Blocked customers (``Customer.no_reminders``), paid, credited and written-off invoices
are never reminded.

``create_reminders`` makes one Reminder per customer with its items (the invoices and what
remained of each), the fee as a separate finalised fee invoice (one line on the reminder-fee
account 3590 at 0 % VAT: a reminder fee is compensation, not a supply; booked by the document's
voucher). Reminding an invoice twice on one level the same day is refused (and the unique
constraint on ReminderItem refuses it when two users run at once). Nothing commits here."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    MAX_REMINDER_FEE,
    Customer,
    Invoice,
    PaymentTerm,
    Reminder,
    ReminderItem,
    ReminderLevel,
    utcnow,
)
from services import DomainError
from services.ledger.accounts import account_for
from services.ledger.payments import balances, status_sql
from services.platform.locking import lock_rows
from services.platform.numbers import parse_decimal

ZERO = Decimal("0")
LEVELS = (1, 2, 3)
LANGUAGES = ("sv", "de", "en")

DEFAULT_LEVELS = [
    (1, 8, Decimal("0"), {
        "sv": "Vi har ännu inte fått betalt för fakturorna nedan. Kanske har betalningen korsat detta brev; "
              "annars ber vi dig betala det förfallna beloppet snarast.",
        "de": "Für die unten genannten Rechnungen haben wir noch keine Zahlung erhalten. Falls sich Ihre Zahlung "
              "mit diesem Schreiben gekreuzt hat, betrachten Sie es bitte als gegenstandslos; andernfalls bitten "
              "wir um baldige Zahlung.",
        "en": "We have not yet received payment of the invoices below. If your payment has crossed this letter, "
              "please disregard it; otherwise please pay the overdue amount as soon as possible."}),
    (2, 22, Decimal("60.00"), {
        "sv": "Andra påminnelsen: fakturorna nedan är fortfarande obetalda. Betala det förfallna beloppet inom "
              "8 dagar.",
        "de": "Zweite Mahnung: die unten genannten Rechnungen sind weiterhin offen. Bitte zahlen Sie den fälligen "
              "Betrag innerhalb von 8 Tagen.",
        "en": "Second reminder: the invoices below are still unpaid. Please pay the overdue amount within 8 days."}),
    (3, 36, Decimal("60.00"), {
        "sv": "Sista påminnelsen: betalar du inte det förfallna beloppet inom 8 dagar lämnas ärendet till inkasso.",
        "de": "Letzte Mahnung: zahlen Sie den fälligen Betrag nicht innerhalb von 8 Tagen, übergeben wir die "
              "Forderung einem Inkassobüro.",
        "en": "Final reminder: unless the overdue amount is paid within 8 days the debt will be passed to a debt "
              "collection agency."}),
]


def seed_reminder_levels(session: Session) -> int:
    """The three default levels that are missing; returns how many were added."""
    existing = set(session.scalars(select(ReminderLevel.level)))
    added = 0
    for level, days, fee, texts in DEFAULT_LEVELS:
        if level not in existing:
            session.add(ReminderLevel(level=level, days_after_due=days, fee=fee, text_sv=texts["sv"],
                                      text_de=texts["de"], text_en=texts["en"]))
            added += 1
    return added


def check_fee(value) -> Decimal:
    """A reminder fee as typed (the one number parser): 0 to 60 kr."""
    fee = parse_decimal(value, 2, label=_("The reminder fee"), field="fee", precision=12) or ZERO
    if fee > MAX_REMINDER_FEE:
        raise DomainError(_("A reminder fee is at most %(m)s kr by Swedish law (lag om ersättning för "
                            "inkassokostnader).", m="60,00"), "fee")
    return fee


def check_level(level, days, fee) -> tuple[int, int, Decimal]:
    """A reminder level's number, days after the due date and fee as the register stores them."""
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = None
    if level not in LEVELS:
        raise DomainError(_("The level is 1, 2 or 3."), "level")
    days = parse_decimal(days, 0, label=_("The days after the due date"), field="days_after_due", required=True,
                         precision=5, example="30")
    return level, int(days), check_fee(fee)


def levels_of(session: Session) -> dict[int, ReminderLevel]:
    return {lv.level: lv for lv in session.scalars(select(ReminderLevel).where(ReminderLevel.active.is_(True))
                                                   .order_by(ReminderLevel.level))}


# ---- the overdue list -------------------------------------------------------------------------


@dataclass
class OverdueInvoice:
    invoice_id: int
    number: str
    invoice_date: dt.date
    due_date: dt.date
    days_overdue: int
    total: Decimal
    remaining: Decimal
    last_level: int  # 0: never reminded
    ocr: str | None = None
    last_date: dt.date | None = None  # of its last reminder


@dataclass
class CustomerOverdue:
    customer_id: int
    customer_number: str
    customer_name: str
    invoices: list[OverdueInvoice] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return sum((i.remaining for i in self.invoices), ZERO)

    @property
    def days_overdue(self) -> int:
        return max((i.days_overdue for i in self.invoices), default=0)


def _last_levels(session: Session, invoice_ids) -> dict[int, tuple[int, dt.date]]:
    """Invoice id -> (highest level it was reminded on, date of its last reminder)."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    return {i: (int(level), date) for i, level, date in session.execute(
        select(ReminderItem.invoice_id, func.max(ReminderItem.level), func.max(ReminderItem.date))
        .where(ReminderItem.invoice_id.in_(ids)).group_by(ReminderItem.invoice_id))}


def overdue(session: Session, today: dt.date, min_days: int = 0, customer_ids=None, visible=None,
            search: str | None = None) -> list[CustomerOverdue]:
    """Overdue invoices (due before ``today``, something left to pay, neither credited nor written
    off) at least ``min_days`` overdue, of customers not blocked from reminders, grouped by
    customer; the customers most overdue first, their invoices oldest first. ``visible`` narrows
    the customers (an SQL condition on Customer: the user's visibility)."""
    session.flush()
    min_days = max(int(min_days or 0), 0)
    query = (select(Invoice.id).join(Customer, Customer.id == Invoice.customer_id)
             .where(Invoice.kind == "invoice", Customer.no_reminders.is_(False),
                    Invoice.due_date < today - dt.timedelta(days=max(min_days, 1) - 1),
                    status_sql(today) == "overdue"))
    if customer_ids is not None:
        query = query.where(Invoice.customer_id.in_(list(customer_ids)))
    if visible is not None:
        query = query.where(visible)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(func.lower(Customer.name).like(like) | Customer.customer_number.like(like))
    ids = list(session.scalars(query))
    if not ids:
        return []
    state = balances(session, ids, today)
    last = _last_levels(session, ids)
    groups: dict[int, CustomerOverdue] = {}
    rows = session.execute(select(Invoice.id, Invoice.number, Invoice.invoice_date, Invoice.due_date, Invoice.total,
                                  Invoice.ocr, Customer.id, Customer.customer_number, Customer.name)
                           .join(Customer, Customer.id == Invoice.customer_id).where(Invoice.id.in_(ids))
                           .order_by(Invoice.due_date, Invoice.id))
    for ident, number, date, due, total, ocr, cid, cnumber, cname in rows:
        balance = state[ident]
        if balance.status != "overdue" or balance.remaining <= 0:
            continue
        group = groups.setdefault(cid, CustomerOverdue(cid, cnumber, cname))
        level, last_date = last.get(ident, (0, None))
        group.invoices.append(OverdueInvoice(ident, number, date, due, (today - due).days, Decimal(total),
                                             balance.remaining, level, ocr, last_date))
    return sorted(groups.values(), key=lambda g: (-g.days_overdue, g.customer_name, g.customer_id))


# ---- proposals --------------------------------------------------------------------------------


@dataclass
class Proposal:
    customer_id: int
    customer_number: str
    customer_name: str
    level: int
    invoices: list[OverdueInvoice]
    fee: Decimal  # what the reminder charges (0 when the terms do not allow a fee)
    fee_allowed: bool

    @property
    def remaining(self) -> Decimal:
        return sum((i.remaining for i in self.invoices), ZERO)


def _gap(levels: dict[int, ReminderLevel], last: int, step: ReminderLevel) -> int:
    """The days that must pass after an invoice's last reminder (on level ``last``) before
    ``step``: the difference of the levels' days; at the top level the last step's difference."""
    if last <= 0:
        return 0
    below = [k for k in levels if k < step.level]
    if step.level > last and last in levels:
        return max(step.days_after_due - levels[last].days_after_due, 1)
    if below:
        return max(step.days_after_due - levels[max(below)].days_after_due, 1)
    return max(step.days_after_due, 1)


def propose(session: Session, today: dt.date, customer_ids=None, visible=None) -> list[Proposal]:
    """Per customer with invoices due for a reminder: the level (one more than the highest
    earlier reminder of those invoices, capped at the highest active level), the invoices, and
    the fee the customer's terms allow."""
    levels = levels_of(session)
    if not levels:
        raise DomainError(_("Set up the reminder levels first (Ledger > Reminder levels)."))
    top = max(levels)
    groups = overdue(session, today, customer_ids=customer_ids, visible=visible)
    allowed = dict(session.execute(
        select(Customer.id, PaymentTerm.reminder_fee_allowed).join(PaymentTerm, PaymentTerm.id == Customer.payment_term_id)
        .where(Customer.id.in_([g.customer_id for g in groups]))).all()) if groups else {}
    result = []
    for group in groups:
        due, level = [], 0
        for inv in group.invoices:
            wanted = min(inv.last_level + 1, top)
            step = levels.get(wanted) or levels[min(k for k in levels if k >= wanted)]
            if inv.last_date is not None and inv.last_date >= today:
                continue  # reminded today already
            waited = (today - inv.last_date).days if inv.last_date is not None else None
            if inv.days_overdue >= step.days_after_due and (
                    waited is None or waited >= _gap(levels, inv.last_level, step)):
                due.append(inv)
                level = max(level, step.level)
        if not due:
            continue
        fee_allowed = bool(allowed.get(group.customer_id))
        fee = Decimal(levels[level].fee) if fee_allowed else ZERO
        result.append(Proposal(group.customer_id, group.customer_number, group.customer_name, level, due, fee,
                               fee_allowed))
    return result


# ---- creating reminders -----------------------------------------------------------------------


def create_reminders(session: Session, proposals, user, today: dt.date, settings: dict,
                     progress=None) -> list[Reminder]:
    """One reminder per chosen customer (``proposals``: Proposal objects or customer ids; the
    proposal is made again here from the database, nothing the browser sent is trusted). The
    fee as a finalised fee invoice when the customer's terms allow it and the level has a fee.
    Refused as a whole (DomainError) when an invoice would be reminded twice on one level the
    same day. Does not commit: the caller commits once, all or nothing."""
    from services.sales.invoicing import create_charge_invoice

    ids = sorted({p.customer_id if isinstance(p, Proposal) else int(p) for p in proposals or []})
    if not ids:
        raise DomainError(_("Choose at least one customer."), "customers")
    session.flush()
    lock_rows(session, Customer, ids)  # two runs at once: the second waits and then sees the first
    levels = levels_of(session)
    fresh = {p.customer_id: p for p in propose(session, today, customer_ids=ids)}
    done = set(session.scalars(select(ReminderItem.invoice_id).join(Invoice, Invoice.id == ReminderItem.invoice_id)
                               .where(ReminderItem.date == today, Invoice.customer_id.in_(ids))))
    reminders = []
    for n, customer_id in enumerate(ids, start=1):
        proposal = fresh.get(customer_id)
        customer = session.get(Customer, customer_id)
        if proposal is None:
            if done:
                raise DomainError(_("%(c)s was reminded today already; nothing was created.", c=str(customer)),
                                  "customers")
            raise DomainError(_("%(c)s has no invoices due for a reminder.", c=str(customer)), "customers")
        for inv in proposal.invoices:
            if inv.invoice_id in done:
                raise DomainError(_("Invoice %(n)s was reminded today already; nothing was created.",
                                    n=inv.number), "customers")
        if proposal.fee > MAX_REMINDER_FEE:
            raise DomainError(_("A reminder fee is at most %(m)s kr by Swedish law (lag om ersättning för "
                                "inkassokostnader).", m="60,00"), "fee")
        level = levels[proposal.level]
        language = customer.language if customer.language in LANGUAGES else "sv"
        reminder = Reminder(customer=customer, date=today, level=proposal.level, language=language,
                            text=level.text_in(language), total=proposal.remaining, fee=proposal.fee,
                            created_by=user, items=[
                                ReminderItem(invoice_id=i.invoice_id, level=proposal.level, date=today,
                                             due_date=i.due_date, days_overdue=i.days_overdue, remaining=i.remaining)
                                for i in proposal.invoices])
        if proposal.fee > 0:
            with force_locale(language):
                line = _("Reminder fee, reminder of %(d)s", d=today.isoformat())
                numbers = ", ".join(i.number for i in proposal.invoices)
                text = _("Reminder fee for invoices %(n)s", n=numbers)
            reminder.fee_invoice = create_charge_invoice(
                session, customer, [(line, proposal.fee, account_for("reminder_fee", settings), 0)], user, today,
                settings, text=text[:500])
        try:
            with session.begin_nested():
                session.add(reminder)
                session.flush()
        except IntegrityError:
            raise DomainError(_("An invoice of %(c)s was reminded on level %(l)s today already; nothing was "
                                "created.", c=str(customer), l=proposal.level), "customers") from None
        done.update(i.invoice_id for i in proposal.invoices)
        reminders.append(reminder)
        if progress:
            progress(n, len(ids))
    return reminders


# ---- the reminder run as a job --------------------------------------------------------------
# The screen always starts the run as a job (one customer or hundreds): PDFs, fee invoices and
# their vouchers are made in the job's one transaction, all or nothing.

JOB_KIND = "reminders"
RIGHT = "ledger.reminders"


def start_job(session: Session, enqueue, user, customer_ids, today: dt.date):
    """Queue the creation of reminders for ``customer_ids`` dated ``today`` as a job of ``user``."""
    from services.platform import jobs

    ids = sorted({int(i) for i in customer_ids or []})
    if not ids:
        raise DomainError(_("Choose at least one customer."), "customers")
    if not user.has_right(RIGHT):
        raise PermissionError(RIGHT)
    return jobs.submit(session, enqueue, JOB_KIND, user, {"customers": ids, "date": today.isoformat()},
                       total=len(ids))


def _reminder_job(session: Session, job):
    from services.platform import jobs
    from services.platform.settings import load_settings

    user = job.user
    if user is None or not user.active or not user.has_right(RIGHT):
        raise DomainError(_("You no longer have the right to create reminders; nothing was created."))
    ids = job.params["customers"]
    jobs.report_progress(job, 0, len(ids))
    made = create_reminders(session, ids, user, dt.date.fromisoformat(job.params["date"]), load_settings(session),
                            progress=lambda done, total: jobs.report_progress(job, done, total))
    fees = sum(1 for r in made if r.fee_invoice_id)
    return jobs.Outcome(_("%(n)s reminders created, %(f)s with a fee invoice.", n=len(made), f=fees))


def _declare_job() -> None:
    from services.platform import jobs

    jobs.handler(JOB_KIND, label=lambda: _("Reminders"), rights=lambda params: [RIGHT])(_reminder_job)


_declare_job()


def mark_sent(reminder: Reminder, delivery: str, message=None) -> Reminder:
    """Record how the reminder went out: "email" (its outbox message) or "print"."""
    if delivery not in ("email", "print"):
        raise DomainError(_("Choose e-mail or print."), "delivery")
    reminder.delivery = delivery
    reminder.sent_at = utcnow()
    if message is not None:
        reminder.outbox_message_id = message.id
    return reminder
