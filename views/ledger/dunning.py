"""Bokföring: reminders (Påminnelser: the overdue list, creating reminders, their PDFs, sending or
printing them), the reminder levels and texts, the reference rates, interest invoices
(Räntefakturor) and the customer loss (Kundförlust) of an invoice. Thin: the rules are
services.ledger.reminders, .interest and .write_off; every endpoint checks its ledger right on
the server (ledger.reminders, ledger.interest, ledger.write_off)."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from models import Invoice, ReferenceRate, Reminder, ReminderLevel, db
from reports.ledger import reminder_pdf as reminder_jobs  # declares the sending job's kind as well
from reports.ledger.reminder_pdf import filename as reminder_filename
from reports.ledger.reminder_pdf import reminder_pdf
from services import DomainError
from services.ledger import interest as interest_service
from services.ledger import reminders as reminder_service
from services.ledger.payments import balance
from services.ledger.write_off import vat_parts, write_off
from services.platform.numbers import parse_decimal
from services.platform.settings import load_settings
from views.ledger.ledger import WholeBooks  # the whole books: refused to users limited to assigned customers
from views.platform.base import SecureBaseView

LEDGER = _l("Ledger")


def _date(value, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("Give a date such as 2026-12-31."), field) from None


def _ids(name: str) -> list[int]:
    return sorted({int(v) for v in request.form.getlist(name) if str(v).isdigit()})


def _to_job(job, started: str):
    """To the Jobs page, where the job just started is followed, with a line that links to it."""
    target = url_for("jobs.index", _anchor=f"job-{job.id}")
    flash(Markup('%s <a href="%s" id="job-link">%s</a>') % (started, target, _("Follow the job on the Jobs page.")),
          "info")
    return redirect(target, 303)


class RemindersView(WholeBooks, SecureBaseView):
    """Påminnelser: overdue invoices by customer with the proposed level and fee; tick customers
    and create their reminders (a job when many); the reminders made, their PDFs, e-mail or print."""

    right_area = "ledger"
    view_rights = ("reminders",)

    @expose("/", methods=("GET",))
    def index(self):
        today = dt.date.today()
        errors: dict[str, str] = {}
        try:
            min_days = int(parse_decimal(request.args.get("min_days") or "0", 0, label=_("Days overdue"),
                                         field="min_days", precision=5, example="30") or 0)
        except DomainError as exc:
            errors[exc.field] = exc.message
            min_days = 0
        search = (request.args.get("q") or "").strip()
        groups = reminder_service.overdue(db.session, today, min_days=min_days, search=search or None)
        try:
            proposals = {p.customer_id: p for p in reminder_service.propose(
                db.session, today, customer_ids=[g.customer_id for g in groups])} if groups else {}
        except DomainError as exc:
            errors["_"] = exc.message
            proposals = {}
        recent = list(db.session.scalars(select(Reminder).order_by(Reminder.id.desc()).limit(50)))
        return self.render("ledger/reminders.html", groups=groups, proposals=proposals, recent=recent,
                           errors=errors, min_days=request.args.get("min_days", ""), search=search, today=today)

    @expose("/create", methods=("POST",))
    def create(self):
        """The reminder run is a job (PDF data, fee invoices and their vouchers for every chosen
        customer in one transaction); the user follows it on the Jobs page."""
        try:
            job = reminder_service.start_job(db.session, current_app.extensions["jobs"].enqueue, current_user,
                                             _ids("customer"), dt.date.today())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for(".index"), 303)
        return _to_job(job, _("The reminders are being created."))

    @expose("/pdf/<int:reminder_id>")
    def pdf(self, reminder_id: int):
        reminder = db.session.get(Reminder, reminder_id) or abort(404)
        response = make_response(reminder_pdf(reminder, load_settings(db.session)))
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f'inline; filename="{reminder_filename(reminder)}"'
        return response

    @expose("/send", methods=("POST",))
    def send(self):
        """E-mail: a job renders and queues every chosen reminder (all or nothing); print: the
        reminders are marked printed here (the user prints the PDFs)."""
        ids = _ids("reminder")
        if not ids:
            flash(_("Choose at least one reminder."), "danger")
            return redirect(url_for(".index", _anchor="recent"), 303)
        if request.form.get("how") != "print":
            try:
                job = reminder_jobs.start_send_job(db.session, current_app.extensions["jobs"].enqueue,
                                                   current_user, ids)
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
                return redirect(url_for(".index", _anchor="recent"), 303)
            return _to_job(job, _("The reminders are being put in the outbox."))
        for reminder in db.session.scalars(select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.id)):
            reminder_service.mark_sent(reminder, "print")
        db.session.commit()
        flash(_("Marked as printed."), "success")
        return redirect(url_for(".index", _anchor="recent"), 303)


class ReminderLevelsView(WholeBooks, SecureBaseView):
    """Påminnelsenivåer (90.14.1, 90.14.2): days after the due date, fee (at most 60 kr) and the
    text per language of each level."""

    right_area = "ledger"
    view_rights = ("reminders",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        levels = {lv.level: lv for lv in db.session.scalars(select(ReminderLevel).order_by(ReminderLevel.level))}
        errors: dict[str, str] = {}
        form = request.form if request.method == "POST" else None
        if form is not None:
            try:
                for number in reminder_service.LEVELS:
                    prefix = f"{number}-"
                    try:
                        _lv, days, fee = reminder_service.check_level(number, form.get(prefix + "days_after_due"),
                                                                      form.get(prefix + "fee"))
                    except DomainError as exc:
                        raise DomainError(exc.message, prefix + (exc.field or "fee")) from None
                    level = levels.get(number)
                    if level is None:
                        level = levels[number] = ReminderLevel(level=number)
                        db.session.add(level)
                    level.days_after_due, level.fee = days, fee
                    level.active = f"{prefix}active" in form
                    for lang in reminder_service.LANGUAGES:
                        setattr(level, f"text_{lang}", (form.get(f"{prefix}text_{lang}") or "").strip())
                    if level.active and not level.text_sv:
                        raise DomainError(_("A text is required."), prefix + "text_sv")
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("The reminder levels are saved."), "success")
                return redirect(url_for(".index"), 303)
            levels = {lv.level: lv for lv in db.session.scalars(select(ReminderLevel))}
        return self.render("ledger/reminder_levels.html", levels=levels, errors=errors, form=form,
                           numbers=reminder_service.LEVELS, languages=reminder_service.LANGUAGES)


class ReferenceRatesView(WholeBooks, SecureBaseView):
    """Referensräntor: Riksbank's reference rate per half-year (the register interest uses)."""

    right_area = "ledger"
    view_rights = ("interest",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors: dict[str, str] = {}
        form = request.form if request.method == "POST" else {}
        if request.method == "POST":
            try:
                valid_from, rate = interest_service.check_rate(
                    _date(form.get("valid_from"), "valid_from"), form.get("rate"))
                row = db.session.scalar(select(ReferenceRate).where(ReferenceRate.valid_from == valid_from))
                if row is None:
                    db.session.add(ReferenceRate(valid_from=valid_from, rate=rate))
                else:
                    row.rate = rate
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("The reference rate from %(d)s is saved.", d=valid_from.isoformat()), "success")
                return redirect(url_for(".index"), 303)
        rates = list(db.session.scalars(select(ReferenceRate).order_by(ReferenceRate.valid_from.desc())))
        return self.render("ledger/reference_rates.html", rates=rates, errors=errors, form=form,
                           points=interest_service.PENALTY_POINTS)


class InterestView(WholeBooks, SecureBaseView):
    """Räntefakturor (20.16): invoices paid late in a period with their interest; create the
    interest invoices of the ticked ones (those under the minimum are left)."""

    right_area = "ledger"
    view_rights = ("interest",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors: dict[str, str] = {}
        today = dt.date.today()
        source = request.form if request.method == "POST" else request.args
        start_text = source.get("from") or today.replace(day=1).isoformat()
        end_text = source.get("to") or today.isoformat()
        settings = load_settings(db.session)
        minimum = interest_service.minimum_of(settings)
        found = []
        try:
            start, end = _date(start_text, "from"), _date(end_text, "to")
            found = interest_service.candidates(db.session, start, end)
        except DomainError as exc:
            errors[{"date_to": "to"}.get(exc.field, exc.field) or "_"] = exc.message
        if request.method == "POST" and not errors:
            try:
                job = interest_service.start_job(db.session, current_app.extensions["jobs"].enqueue, current_user,
                                                 _ids("invoice"), today)
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field if exc.field in ("invoices", "rates") else "_"] = exc.message
            else:
                return _to_job(job, _("The interest invoices are being created."))
        return self.render("ledger/interest.html", candidates=found, errors=errors, start=start_text,
                           end=end_text, minimum=minimum)


class WriteOffView(WholeBooks, SecureBaseView):
    """Kundförlust (20.19) of one invoice: what it books, a reason, confirm."""

    right_area = "ledger"
    view_rights = ("write_off",)

    def is_visible(self):
        return False  # reached from the invoice card

    @expose("/", methods=("GET", "POST"))
    def index(self):
        invoice_id = request.values.get("invoice", type=int)
        if not invoice_id:
            # the page belongs to one invoice: opened bare (a bookmark, the URL typed), go to the list
            flash(_("Open the invoice to write off and choose “Customer loss” on its card."), "info")
            return redirect(url_for("invoice.index_view"))
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None or invoice.kind != "invoice":
            abort(404)
        errors: dict[str, str] = {}
        today = dt.date.today()
        form = request.form if request.method == "POST" else {}
        if request.method == "POST":
            try:
                if form.get("confirm") != "yes":
                    raise DomainError(_("Tick the box to confirm the write-off."), "confirm")
                record = write_off(db.session, invoice, current_user, _date(form.get("date"), "date"),
                                   form.get("reason"), load_settings(db.session))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field if exc.field in ("reason", "date", "confirm") else "_"] = exc.message
            else:
                flash(_("%(i)s is written off as a customer loss (voucher %(v)s).", i=str(invoice),
                        v=record.voucher.label), "success")
                return redirect(url_for("invoice.details_view", id=invoice.id), 303)
        state = balance(db.session, invoice, today)
        parts = vat_parts(invoice, state.remaining) if state.remaining > 0 else []
        return self.render("ledger/write_off.html", invoice=invoice, state=state, parts=parts, errors=errors,
                           form=form, today=today)


def register(admin) -> None:
    admin.add_view(RemindersView(name=_l("Reminders"), category=LEDGER, endpoint="reminders",
                                 url="/admin/ledger/reminders"))
    admin.add_view(ReminderLevelsView(name=_l("Reminder levels"), category=LEDGER, endpoint="reminder_levels",
                                      url="/admin/ledger/reminder-levels"))
    admin.add_view(InterestView(name=_l("Interest invoices"), category=LEDGER, endpoint="interest_invoices",
                                url="/admin/ledger/interest"))
    admin.add_view(ReferenceRatesView(name=_l("Reference rates"), category=LEDGER, endpoint="reference_rates",
                                      url="/admin/ledger/reference-rates"))
    admin.add_view(WriteOffView(name=_l("Customer loss"), category=LEDGER, endpoint="write_off",
                                url="/admin/ledger/write-off"))
