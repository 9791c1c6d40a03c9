"""The relational model of Verkstad: every table, typed, grouped in sections.

Invariants live here (constraints, indexes, simple derived properties); workflows live in
services/<domain>/. Swedish terms are given where the reference documents use them.

Contents (one section per domain, in this order):
    Platform      users, roles and rights, notifications, jobs, the audit log, number series,
                  settings (Användare, roller, rättigheter, jobb, loggbok, nummerserier)
    Registers     settings registers (inställningar); customers (kundregister); vehicles
                  (fordonsregister); articles, labour operations and packages (artiklar, arbeten,
                  paket); low-code settings, comments, GDPR, processing lists (bearbetningslistor)
    Bookings      trade plates, tariffs, bookings and their billing (lånebil, hyrbil, provkörning)
    Sales         orders, invoices, credit notes, recipients, insurance cases, message texts,
                  the outbox (offert, order, faktura, kreditfaktura, utkorg)
    Ledger        chart of accounts, financial years, the period lock, vouchers and their rows
                  (kontoplan, räkenskapsår, periodlåsning, verifikationer, transaktioner);
                  payment methods, payments and their allocations, customer credit, BgMax
                  imports (betalsätt, inbetalningar, kundsaldo); reminder levels and reminders,
                  reference rates and interest charges, write-offs (påminnelser, referensränta,
                  räntefakturor, kundförluster); accrual templates and budgets
                  (periodiseringsmallar, budget)
    Workshop      resources (staff, bays, lifts) and their skills (personal, personalkort, resurs,
                  arbetsplats, lyft, kompetens)
    Search        the search indexes (SQLite FTS5, PostgreSQL pg_trgm)
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite enforces foreign keys only when asked, per connection. Write-ahead logging (WAL,
    kept in the file once set) lets every reader work while one user, or a job, writes: in the
    default rollback journal a long write (an import of 10,000 customers) blocks the readers too."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

Money = Numeric(12, 2)
Percent = Numeric(5, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# A secret column (a password hash, a TOTP secret or counter, a lockout time, a key) is never
# listed, filtered, sorted, searched, exported, shown in a form or a card, nor written to the
# history with its value: views.platform.base.SecureModelView and services.platform.audit read this marker.
# Mark every later secret column the same way: ``mapped_column(..., info=SECRET)``.
SECRET = {"secret": True}


def is_secret(column) -> bool:
    """True for a column (or a mapped attribute of one) marked with ``info=SECRET``."""
    prop = getattr(column, "property", None)
    columns = getattr(prop, "columns", None)
    if columns:
        column = columns[0]
    info = getattr(column, "info", None)
    return bool(isinstance(info, dict) and info.get("secret"))


class Audited:
    """Mixin: changes to this model are written to AuditLog by services.platform.audit.

    ``__audit_parent__`` names the foreign key whose record shows these changes on its
    History tab as well (a contact's change shows on its customer).
    """

    __audit_parent__: tuple[str, str] | None = None


class Versioned:
    """Mixin: a counter SQLAlchemy raises on every save (version_id_col), so that a form saved
    over someone else's newer save is refused, not written over (views.platform.base)."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


# --------------------------------------------------------------------------------------
# Users, roles and rights (Användare, roller, rättigheter)
# --------------------------------------------------------------------------------------


class Role(db.Model, Versioned, Audited):
    """A named set of rights. ``is_admin`` grants every right."""

    __tablename__ = "role"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    rights: Mapped[list["RoleRight"]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def right_names(self) -> set[str]:
        return {r.right for r in self.rights}

    def __str__(self) -> str:
        return self.name


class RoleRight(db.Model, Audited):
    """One named right (see services.platform.rights.RIGHTS) granted to a role; a right given or taken
    shows on the role's history."""

    __tablename__ = "role_right"
    __audit_parent__ = ("role", "role_id")
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), primary_key=True)
    right: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[Role] = relationship(back_populates="rights")

    def __str__(self) -> str:
        return self.right


class User(db.Model, UserMixin, Versioned, Audited):
    """A person who logs in to the console (anställd)."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(256), info=SECRET)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    role: Mapped[Role] = relationship(lazy="joined")
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    email_notifications: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0, info=SECRET)  # lockout state, like locked_until
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, info=SECRET)
    totp_secret: Mapped[str | None] = mapped_column(String(64), info=SECRET)  # second factor on when set
    totp_last_step: Mapped[int | None] = mapped_column(Integer, info=SECRET)  # a TOTP code is taken once
    # a password set by an administrator (a new user, a reset): a new one is chosen at log-in
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # "forgot password" mails asked for in the current hour (services.platform.password_reset's limit)
    reset_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime, info=SECRET)
    reset_requests: Mapped[int] = mapped_column(default=0, info=SECRET)
    hidden_columns: Mapped[dict | None] = mapped_column(JSON)
    # what a user sets up for themself on other screens (services.platform.preferences): the form groups
    # folded away per form, the booking calendar's zoom; not history, and no new version
    preferences: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return bool(self.role and self.role.is_admin)

    def has_right(self, right: str) -> bool:
        return self.is_admin or right in self.role.right_names

    @property
    def two_factor(self) -> bool:
        return bool(self.totp_secret)

    def __str__(self) -> str:
        return self.full_name or self.username


class Notification(db.Model):
    """An in-app notice for one user (notis)."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Job(db.Model):
    """A piece of long work a user started (jobb): an import, an export, a collective run. The
    job queue's consumer runs it (services.platform.jobs.run); this row is what the Jobs page shows.
    While it runs, its live progress is kept beside its result file (services.platform.jobs.report_progress),
    not here: on SQLite the work's own transaction holds the write lock until it ends."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # services.platform.jobs.HANDLERS
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user: Mapped[User | None] = relationship()
    status: Mapped[str] = mapped_column(String(12), default="queued")
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # what the work needs to run (again)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(String(500))  # a short result, in the user's language
    result_path: Mapped[str | None] = mapped_column(String(300))  # under FILES_DIR
    result_name: Mapped[str | None] = mapped_column(String(200))  # the download's file name
    error: Mapped[str | None] = mapped_column(Text)  # why it failed, in the user's language
    worker: Mapped[str | None] = mapped_column(String(200))  # "host pid" of the process running it

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'cancelled')", name="status"),
        Index("ix_job_user_created", "user_id", "created_at"),
        Index("ix_job_status", "status"),
    )

    @property
    def ended(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class AuditLog(db.Model):
    """History (historik): one row per changed field of a create, change or delete."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    user: Mapped[User | None] = relationship()
    action: Mapped[str] = mapped_column(String(10))  # create / update / delete
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    parent_table: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_log_record", "table_name", "record_id"),
        Index("ix_audit_log_parent", "parent_table", "parent_id"),
    )

    def __str__(self) -> str:  # breadcrumbs and headers name a history row by its number
        return str(self.id)


class SubmittedForm(db.Model):
    """Nonce of a saved create form: a double-clicked Save cannot create two records."""

    __tablename__ = "submitted_form"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NumberSeries(db.Model):
    """Nummerserie: the next number of a series (customers, invoices, credit notes, bookings).

    Taken with one UPDATE ... RETURNING, so two transactions never get the same number and a
    rolled-back transaction gives its number back (no gaps)."""

    __tablename__ = "number_series"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10), default="")
    next_number: Mapped[int] = mapped_column(default=1)


class Setting(db.Model):
    """A module setting (modulinställning) as key and JSON value; defaults in config/defaults.py."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


# --------------------------------------------------------------------------------------
# Settings registers (inställningar)
# --------------------------------------------------------------------------------------


class NamedLookup(Versioned, Audited):
    """A simple settings register: a unique name and an active flag."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class District(db.Model, NamedLookup):
    """Distrikt."""

    __tablename__ = "district"


class Tag(db.Model, NamedLookup):
    """Kundtagg."""

    __tablename__ = "tag"


class CustomerLevel(db.Model, NamedLookup):
    """Kundnivå."""

    __tablename__ = "customer_level"


class Source(db.Model, NamedLookup):
    """Källa: how the customer found us."""

    __tablename__ = "source"


class CompanyType(db.Model, NamedLookup):
    """Typ av företag."""

    __tablename__ = "company_type"


class ContactTitle(db.Model, NamedLookup):
    """Kontaktperson titel."""

    __tablename__ = "contact_title"


class AccountManagerTitle(db.Model, NamedLookup):
    """Kundansvarig titel."""

    __tablename__ = "account_manager_title"


class ArticleGroup(db.Model, NamedLookup):
    """Artikelgrupp."""

    __tablename__ = "article_group"


class VehicleMake(db.Model, NamedLookup):
    """Fabrikat."""

    __tablename__ = "vehicle_make"


class ModelGroup(db.Model, NamedLookup):
    """Modellgrupp (Modellgruppe)."""

    __tablename__ = "model_group"


class VehicleCategory(db.Model, NamedLookup):
    """Fordonskategori (Kategorie)."""

    __tablename__ = "vehicle_category"


class CostCenter(db.Model, Versioned, Audited):
    """Kostnadsställe."""

    __tablename__ = "cost_center"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Country(db.Model, Versioned, Audited):
    """Land: all ISO 3166 countries; only active ones are offered on customers."""

    __tablename__ = "country"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=False)
    eu_member: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.name


class PaymentTerm(db.Model, Versioned, Audited):
    """Betalvillkor: days until due, and the invoice fee it carries."""

    __tablename__ = "payment_term"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    days: Mapped[int] = mapped_column(default=30)
    invoice_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # påminnelseavgift (90.14.2) may be charged only when agreed beforehand: the terms say so
    reminder_fee_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("days >= 0", name="days_not_negative"),
        CheckConstraint("invoice_fee >= 0", name="fee_not_negative"),
    )

    def __str__(self) -> str:
        return self.name


class DiscountLetter(db.Model, Versioned, Audited):
    """Rabattbrev: a customer's discount on articles and on labour."""

    __tablename__ = "discount_letter"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    article_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    labour_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("article_percent >= 0 AND article_percent <= 100", name="article_pct"),
        CheckConstraint("labour_percent >= 0 AND labour_percent <= 100", name="labour_pct"),
    )

    def __str__(self) -> str:
        return self.name


class VatRate(db.Model, Versioned, Audited):
    """Momssats: 25, 12, 6 or 0 %."""

    __tablename__ = "vat_rate"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    percent: Mapped[Decimal] = mapped_column(Percent, unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("percent >= 0 AND percent < 100", name="percent_range"),)

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------------------
# Customer register (kundregister)
# --------------------------------------------------------------------------------------

customer_tag = Table(
    "customer_tag",
    db.metadata,
    Column("customer_id", ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

customer_technician = Table(
    "customer_technician",
    db.metadata,
    Column("customer_id", ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)

CUSTOMER_KINDS = ("company", "private")
CUSTOMER_TYPES = ("regular", "temporary", "prospect")


class Customer(db.Model, Audited):
    """Kund. A company (with organisationsnummer) or a private person (personnummer)."""

    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    customer_number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="company")
    customer_type: Mapped[str] = mapped_column(String(10), default="regular")
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(10), index=True)
    personal_number: Mapped[str | None] = mapped_column(String(12), index=True)
    vat_number: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="sv")
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), default="SE")
    country: Mapped[Country] = relationship()

    discount_letter_id: Mapped[int | None] = mapped_column(ForeignKey("discount_letter.id"))
    discount_letter: Mapped[DiscountLetter | None] = relationship()
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_term.id"))
    payment_term: Mapped[PaymentTerm | None] = relationship()
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    district: Mapped[District | None] = relationship()
    customer_level_id: Mapped[int | None] = mapped_column(ForeignKey("customer_level.id"))
    customer_level: Mapped[CustomerLevel | None] = relationship()
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"))
    source: Mapped[Source | None] = relationship()
    company_type_id: Mapped[int | None] = mapped_column(ForeignKey("company_type.id"))
    company_type: Mapped[CompanyType | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=customer_tag, order_by="Tag.name")

    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    account_manager: Mapped[User | None] = relationship(foreign_keys=[account_manager_id])
    account_manager_title_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_manager_title.id")
    )
    account_manager_title: Mapped[AccountManagerTitle | None] = relationship()
    service_advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    service_advisor: Mapped[User | None] = relationship(foreign_keys=[service_advisor_id])
    sales_advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sales_advisor: Mapped[User | None] = relationship(foreign_keys=[sales_advisor_id])
    technicians: Mapped[list[User]] = relationship(
        secondary=customer_technician, order_by="User.full_name"
    )
    cost_center_id: Mapped[int | None] = mapped_column(ForeignKey("cost_center.id"))
    cost_center: Mapped[CostCenter | None] = relationship()
    internal_comment: Mapped[str | None] = mapped_column(Text)

    vehicles_disabled: Mapped[bool] = mapped_column(default=False)
    vehicle_required: Mapped[bool] = mapped_column(default=False)
    cost_center_required: Mapped[bool] = mapped_column(default=False)
    order_number_required: Mapped[bool] = mapped_column(default=False)
    always_invoice_to_accounting: Mapped[bool] = mapped_column(default=False)
    # skicka e-post som standard (000 11.07): finalised invoices and credit notes are e-mailed
    email_documents: Mapped[bool] = mapped_column(default=False, server_default=false())
    # försäkringskund (000 90.15): an insurance company, chosen as insurer on insurance cases
    is_insurer: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    # spärrad för påminnelser (90.14): no reminders are proposed or created for the customer
    no_reminders: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True, index=True)

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # lower-cased text of name, numbers, e-mails and phones of the customer and its
    # contacts, kept by services.platform.search and indexed (FTS5 trigram / pg_trgm)
    search_text: Mapped[str] = mapped_column(Text, default="")

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Address.kind"
    )
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.name"
    )
    files: Mapped[list["CustomerFile"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerFile.uploaded_at.desc()"
    )
    customer_articles: Mapped[list["CustomerArticle"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    vehicles: Mapped[list["Vehicle"]] = relationship(
        back_populates="owner", foreign_keys="Vehicle.owner_id", order_by="Vehicle.registration_number"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("kind IN ('company', 'private')", name="kind"),
        CheckConstraint("customer_type IN ('regular', 'temporary', 'prospect')", name="type"),
        Index("ix_customer_name", "name"),
        # the list's default sort with the key: PostgreSQL pages deep by an index-only scan
        Index("ix_customer_number_id", "customer_number", "id"),
    )

    @property
    def prices_exclude_vat(self) -> bool:
        """An organisation number means prices are shown excluding VAT (reference 001)."""
        return bool(self.org_number)

    def address(self, kind: str) -> "Address | None":
        return next((a for a in self.addresses if a.kind == kind), None)

    @property
    def identity_number_display(self) -> str:
        from services.registers.identifiers import format_org_number, format_personal_number

        if self.org_number:
            return format_org_number(self.org_number)
        if self.personal_number:
            return format_personal_number(self.personal_number)
        return ""

    def __str__(self) -> str:
        return f"{self.customer_number} {self.name}"


ADDRESS_KINDS = ("visiting", "billing", "postal")


class Address(db.Model, Audited):
    """Besöks-, fakturerings- or postadress of a customer; at most one of each kind."""

    __tablename__ = "address"
    __audit_parent__ = ("customer", "customer_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    customer: Mapped[Customer] = relationship(back_populates="addresses")
    kind: Mapped[str] = mapped_column(String(10))
    street: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"))

    __table_args__ = (
        UniqueConstraint("customer_id", "kind", name="uq_address_customer_kind"),
        CheckConstraint("kind IN ('visiting', 'billing', 'postal')", name="kind"),
    )

    def lines(self) -> list[str]:
        return [x for x in (self.street, self.street2, f"{self.postal_code} {self.city}".strip()) if x]

    def __str__(self) -> str:
        return ", ".join(self.lines())


class Contact(db.Model, Audited):
    """Kontaktperson of a customer."""

    __tablename__ = "contact"
    __audit_parent__ = ("customer", "customer_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    customer: Mapped[Customer] = relationship(back_populates="contacts")
    name: Mapped[str] = mapped_column(String(200))
    title_id: Mapped[int | None] = mapped_column(ForeignKey("contact_title.id"))
    title: Mapped[ContactTitle | None] = relationship()
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    send_service_protocol: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.name


class CustomerArticle(db.Model, Audited):
    """Service- or work-order article (serviceartikel / arbetsordersartikel) added to new orders."""

    __tablename__ = "customer_article"
    __audit_parent__ = ("customer", "customer_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    customer: Mapped[Customer] = relationship(back_populates="customer_articles")
    kind: Mapped[str] = mapped_column(String(12))  # service / work_order
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    article: Mapped["Article"] = relationship()
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))

    __table_args__ = (CheckConstraint("kind IN ('service', 'work_order')", name="kind"),)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.article}"


class CustomerFile(db.Model, Audited):
    """Uppladdad fil: a document or picture kept with a customer (reference 001, "Uppladdning"),
    stored on disk under FILES_DIR/customers/<customer id>/<stored name> (services.registers.customer_files)."""

    __tablename__ = "customer_file"
    __audit_parent__ = ("customer", "customer_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    customer: Mapped[Customer] = relationship(back_populates="files")
    filename: Mapped[str] = mapped_column(String(200))  # as the user named it, without any folder
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random, with the extension
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    def __str__(self) -> str:
        return self.filename


# --------------------------------------------------------------------------------------
# Vehicle register (fordonsregister)
# --------------------------------------------------------------------------------------

FLEETS = ("none", "loaner", "rental", "test_drive")


class Vehicle(db.Model, Audited):
    """Fordon. ``fleet`` puts it in the loaner, rental or test-drive pool of the calendar."""

    __tablename__ = "vehicle"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    registration_number: Mapped[str] = mapped_column(String(20), unique=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), default="SE")
    country: Mapped[Country] = relationship()
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)
    make_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle_make.id"))
    make: Mapped[VehicleMake | None] = relationship()
    model: Mapped[str | None] = mapped_column(String(100))
    model_group_id: Mapped[int | None] = mapped_column(ForeignKey("model_group.id"))
    model_group: Mapped[ModelGroup | None] = relationship()
    category_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle_category.id"))
    category: Mapped[VehicleCategory | None] = relationship()
    body_type: Mapped[str | None] = mapped_column(String(60))
    fuel: Mapped[str | None] = mapped_column(String(30))
    colour: Mapped[str | None] = mapped_column(String(40))
    first_registration_date: Mapped[dt.date | None] = mapped_column(Date)
    odometer_km: Mapped[int] = mapped_column(default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    owner: Mapped[Customer | None] = relationship(back_populates="vehicles", foreign_keys=[owner_id])
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    driver: Mapped[Contact | None] = relationship()
    fleet: Mapped[str] = mapped_column(String(12), default="none", index=True)
    free_field: Mapped[str | None] = mapped_column(String(200))

    # reservation info, written when a booking issues the vehicle (reference 003)
    reserved: Mapped[bool] = mapped_column(default=False)
    reserved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reserved_by: Mapped[User | None] = relationship(foreign_keys=[reserved_by_id])
    reserved_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reserved_for: Mapped[str | None] = mapped_column(String(20))

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    search_text: Mapped[str] = mapped_column(Text, default="")

    notes: Mapped[list["VehicleNote"]] = relationship(
        back_populates="vehicle", cascade="all, delete-orphan", order_by="VehicleNote.created_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("odometer_km >= 0", name="odometer_not_negative"),
        CheckConstraint("fleet IN ('none', 'loaner', 'rental', 'test_drive')", name="fleet"),
        Index("ix_vehicle_registration_id", "registration_number", "id"),  # default sort, deep pages
    )

    @property
    def has_open_notes(self) -> bool:
        return any(n.open for n in self.notes)

    def __str__(self) -> str:
        label = " ".join(x for x in ((self.make.name if self.make else ""), self.model or "") if x)
        return f"{self.registration_number} {label}".strip()


class VehicleNote(db.Model, Audited):
    """Kampagn / anteckning (Kampagne/Vormerkung) on a vehicle, e.g. damage found at a return."""

    __tablename__ = "vehicle_note"
    __audit_parent__ = ("vehicle", "vehicle_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    vehicle: Mapped[Vehicle] = relationship(back_populates="notes")
    text: Mapped[str] = mapped_column(Text)
    open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------
# Articles, labour operations and packages (artiklar, arbeten, paket)
# --------------------------------------------------------------------------------------


class Article(db.Model, Audited):
    """Artikel."""

    __tablename__ = "article"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ean: Mapped[str | None] = mapped_column(String(14), index=True)
    unit: Mapped[str] = mapped_column(String(10), default="st")
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    purchase_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    vat_rate_id: Mapped[int] = mapped_column(ForeignKey("vat_rate.id"))
    vat_rate: Mapped[VatRate] = relationship()
    article_group_id: Mapped[int | None] = mapped_column(ForeignKey("article_group.id"))
    article_group: Mapped[ArticleGroup | None] = relationship()
    stock_item: Mapped[bool] = mapped_column(default=False)
    stock_quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    extra_text: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("purchase_price >= 0", name="purchase_price_not_negative"),
    )

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class LabourOperation(db.Model, Audited):
    """Arbete: priced per hour (standard hours × hourly rate) or at a fixed price."""

    __tablename__ = "labour_operation"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    standard_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("1"))
    hourly_rate: Mapped[Decimal | None] = mapped_column(Money)
    fixed_price: Mapped[Decimal | None] = mapped_column(Money)
    vat_rate_id: Mapped[int] = mapped_column(ForeignKey("vat_rate.id"))
    vat_rate: Mapped[VatRate] = relationship()
    extra_text: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("standard_hours >= 0", name="hours_not_negative"),
        CheckConstraint("hourly_rate IS NULL OR hourly_rate >= 0", name="rate_not_negative"),
        CheckConstraint("fixed_price IS NULL OR fixed_price >= 0", name="fixed_not_negative"),
    )

    @property
    def price(self) -> Decimal:
        if self.fixed_price is not None:
            return self.fixed_price
        return ((self.standard_hours or 0) * (self.hourly_rate or 0)).quantize(Decimal("0.01"))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Package(db.Model, Versioned, Audited):
    """Paket: a named set of articles and labour operations with quantities."""

    __tablename__ = "package"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    items: Mapped[list["PackageItem"]] = relationship(
        back_populates="package", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class PackageItem(db.Model, Audited):
    """One article or labour operation of a package."""

    __tablename__ = "package_item"
    __audit_parent__ = ("package", "package_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"), index=True)
    package: Mapped[Package] = relationship(back_populates="items")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id"))
    article: Mapped[Article | None] = relationship()
    labour_operation_id: Mapped[int | None] = mapped_column(ForeignKey("labour_operation.id"))
    labour_operation: Mapped[LabourOperation | None] = relationship()
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))

    __table_args__ = (
        CheckConstraint(
            "(article_id IS NULL) != (labour_operation_id IS NULL)", name="one_item"
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.article or self.labour_operation}"


# --------------------------------------------------------------------------------------
# Low-code settings, comments, GDPR, processing lists (issue: low-code register settings)
# --------------------------------------------------------------------------------------

CUSTOM_FIELD_ENTITIES = ("customer", "contact", "vehicle")
CUSTOM_FIELD_TYPES = ("text", "long_text", "number", "decimal", "date", "bool", "choice", "multi_choice")


class ConfigVersion(db.Model):
    """Version of the register configuration: every change writes a new token, every worker
    compares it on the next page load and rebuilds its cached forms and lists."""

    __tablename__ = "config_version"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FieldRule(db.Model, Audited):
    """Kundfält / kontaktperson fält: whether a built-in field is active and required.

    ``kind`` is company / private for customers and "" for contacts; a missing row means
    the field's default (active, not required)."""

    __tablename__ = "field_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10), default="")
    field: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    required: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("entity", "kind", "field", name="uq_field_rule_entity_kind_field"),
        CheckConstraint("active OR NOT required", name="required_is_active"),
    )


class CustomField(db.Model, Audited):
    """Egendefinierat fält of customers, contacts or vehicles. ``active`` False means removed
    (hidden, data kept until purged)."""

    __tablename__ = "custom_field"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40))
    field_type: Mapped[str] = mapped_column(String(12))
    label_sv: Mapped[str] = mapped_column(String(120))
    label_de: Mapped[str] = mapped_column(String(120), default="")
    label_en: Mapped[str] = mapped_column(String(120), default="")
    choices: Mapped[list | None] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    tab: Mapped[str | None] = mapped_column(String(40))  # key of a custom tab of the card
    # the customer kinds (company, private) a customer field is for; None: every kind
    kinds: Mapped[list | None] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("entity", "key", name="uq_custom_field_entity_key"),
        CheckConstraint("entity IN ('customer', 'contact', 'vehicle')", name="entity"),
        CheckConstraint(
            "field_type IN ('text', 'long_text', 'number', 'decimal', 'date', 'bool', 'choice', "
            "'multi_choice')", name="field_type"),
    )

    def label(self, language: str = "sv") -> str:
        return getattr(self, f"label_{language}", "") or self.label_sv or self.key

    def __str__(self) -> str:
        return self.label()


class CustomFieldValue(db.Model):
    """Value of a custom field for one record, typed: short text, choices (multi-choice as
    ``|a|b|``) in value_text (indexed, filterable, sortable), long text in value_long."""

    __tablename__ = "custom_field_value"
    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_field.id", ondelete="CASCADE"))
    field: Mapped[CustomField] = relationship()
    entity: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    value_text: Mapped[str | None] = mapped_column(String(500))
    value_long: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        UniqueConstraint("field_id", "record_id", name="uq_custom_field_value_field_record"),
        Index("ix_custom_field_value_record", "entity", "record_id"),
        Index("ix_custom_field_value_text", "field_id", "value_text"),
        Index("ix_custom_field_value_number", "field_id", "value_number"),
        Index("ix_custom_field_value_date", "field_id", "value_date"),
    )


class Comment(db.Model):
    """Kommentar: an internal note on a customer or vehicle (later orders, bookings), never
    shown to customers; ``@name`` mentions notify users (CommentMention)."""

    __tablename__ = "comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship()
    mentions: Mapped[list["CommentMention"]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (Index("ix_comment_record", "entity", "record_id"),)

    def __str__(self) -> str:
        return self.body[:60]


class CommentMention(db.Model):
    """A user named with @ in a comment."""

    __tablename__ = "comment_mention"
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    user: Mapped[User] = relationship()


class PersonalDataErasure(db.Model):
    """GDPR article 17: who erased a private customer's personal data and when (the erased
    values are never stored)."""

    __tablename__ = "personal_data_erasure"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    erased_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    erased_by: Mapped[User | None] = relationship()


class ProcessingList(db.Model, Audited):
    """Bearbetningslista: a saved search and filters of the customer list, worked through
    customer by customer."""

    __tablename__ = "processing_list"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    owner: Mapped[User | None] = relationship()
    shared: Mapped[bool] = mapped_column(default=False)
    query: Mapped[str] = mapped_column(String(2000), default="")  # the list's URL query (search, filters)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    items: Mapped[list["ProcessingListItem"]] = relationship(
        back_populates="processing_list", cascade="all, delete-orphan", order_by="ProcessingListItem.position")

    def __str__(self) -> str:
        return self.name


class ProcessingListItem(db.Model):
    """One customer of a processing list, ticked off as contacted with a note."""

    __tablename__ = "processing_list_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("processing_list.id", ondelete="CASCADE"))
    processing_list: Mapped[ProcessingList] = relationship(back_populates="items")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    customer: Mapped[Customer] = relationship()
    position: Mapped[int] = mapped_column(default=0)
    done: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    done_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("list_id", "customer_id", name="uq_processing_list_item_list_customer"),)


# --------------------------------------------------------------------------------------
# Vehicle bookings: loaner, rental, test drive (issue: booking calendar)
# --------------------------------------------------------------------------------------


BOOKING_KINDS = ("loaner", "rental", "test_drive")
DRIVER_TYPES = ("customer", "contact", "free")
FUEL_LEVELS = ("0/8", "1/8", "2/8", "3/8", "4/8", "5/8", "6/8", "7/8", "8/8")


class TradePlate(db.Model, Audited):
    """Provkörningsskylt (Probefahrtkennzeichen): a resource row of the test-drive calendar."""

    __tablename__ = "trade_plate"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.number


class TariffModel(db.Model, Audited):
    """Tariffmodell (Tarifmodell): price per day and per km beyond the free km per day."""

    __tablename__ = "tariff_model"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    price_per_day: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    price_per_km: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    free_km_per_day: Mapped[int] = mapped_column(default=0)
    vat_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("25"))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("price_per_day >= 0 AND price_per_km >= 0", name="prices_not_negative"),
        CheckConstraint("free_km_per_day >= 0", name="free_km_not_negative"),
    )

    def __str__(self) -> str:
        return self.name


class CascoModel(db.Model, Audited):
    """Kaskomodell (Kaskomodell): insurance price per day and the customer's deductible."""

    __tablename__ = "casco_model"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    price_per_day: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    deductible: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    vat_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("25"))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("price_per_day >= 0 AND deductible >= 0", name="not_negative"),)

    def __str__(self) -> str:
        return self.name


class Booking(db.Model, Audited):
    """Fordonsbokning (Fahrzeugtermin): a loaner (lånebil), rental (hyrbil) or test drive
    (provkörning), from planning through issue (utlämning) and return (återlämning) to billing
    (debitering). Rules in services.bookings.bookings."""

    __tablename__ = "booking"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(12))
    number: Mapped[str] = mapped_column(String(20), unique=True)

    # customer and the snapshot of its data for this booking (editable here)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    customer: Mapped[Customer] = relationship(foreign_keys=[customer_id])
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_street: Mapped[str | None] = mapped_column(String(200))
    customer_postal_code: Mapped[str | None] = mapped_column(String(12))
    customer_city: Mapped[str | None] = mapped_column(String(100))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    customer_email: Mapped[str | None] = mapped_column(String(254))

    # driver (förare / Lenker)
    driver_type: Mapped[str] = mapped_column(String(10), default="customer")
    driver_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    driver_contact: Mapped[Contact | None] = relationship()
    driver_name: Mapped[str | None] = mapped_column(String(200))
    driver_phone: Mapped[str | None] = mapped_column(String(40))
    driver_email: Mapped[str | None] = mapped_column(String(254))
    driver_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    driver_licence_number: Mapped[str | None] = mapped_column(String(40))
    driver_licence_classes: Mapped[str | None] = mapped_column(String(40))
    driver_licence_issued: Mapped[dt.date | None] = mapped_column(Date)
    driver_licence_authority: Mapped[str | None] = mapped_column(String(100))
    licence_checked: Mapped[bool] = mapped_column(default=False)

    # planning (Buchungsplanung)
    start_at: Mapped[dt.datetime] = mapped_column(DateTime)
    end_at: Mapped[dt.datetime] = mapped_column(DateTime)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    vehicle: Mapped[Vehicle | None] = relationship()
    trade_plate_id: Mapped[int | None] = mapped_column(ForeignKey("trade_plate.id"))
    trade_plate: Mapped[TradePlate | None] = relationship()
    colour: Mapped[str | None] = mapped_column(String(7))

    # details (Buchungsdetails)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id])
    tariff_model_id: Mapped[int | None] = mapped_column(ForeignKey("tariff_model.id"))
    tariff_model: Mapped[TariffModel | None] = relationship()
    casco_model_id: Mapped[int | None] = mapped_column(ForeignKey("casco_model.id"))
    casco_model: Mapped[CascoModel | None] = relationship()
    max_km: Mapped[int | None] = mapped_column(Integer)
    cost_center_id: Mapped[int | None] = mapped_column(ForeignKey("cost_center.id"))
    cost_center: Mapped[CostCenter | None] = relationship()
    destination: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(200))
    handover_location: Mapped[str | None] = mapped_column(String(200))
    remark: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)  # agreements, copied into the issue record
    confirmed: Mapped[bool] = mapped_column(default=False)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # issue (utlämning / Ausgabe)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    issue_odometer: Mapped[int | None] = mapped_column(Integer)
    issue_notes: Mapped[str | None] = mapped_column(Text)  # open campaigns/notes at issue time
    issue_comment: Mapped[str | None] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    # return (återlämning / Rückgabe)
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    return_odometer: Mapped[int | None] = mapped_column(Integer)
    return_fuel_level: Mapped[str | None] = mapped_column(String(5))
    return_remark: Mapped[str | None] = mapped_column(Text)
    return_damages: Mapped[str | None] = mapped_column(Text)
    signature: Mapped["BookingSignature | None"] = relationship(
        back_populates="booking", uselist=False, cascade="all, delete-orphan")
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])

    billing: Mapped["BookingBilling | None"] = relationship(back_populates="booking", uselist=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("kind IN ('loaner', 'rental', 'test_drive')", name="kind"),
        CheckConstraint("driver_type IN ('customer', 'contact', 'free')", name="driver_type"),
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("vehicle_id IS NOT NULL OR trade_plate_id IS NOT NULL", name="resource"),
        CheckConstraint("returned_at IS NULL OR issued_at IS NOT NULL", name="return_after_issue"),
        CheckConstraint("return_odometer IS NULL OR issue_odometer IS NULL OR return_odometer >= issue_odometer",
                        name="odometer_forward"),
        # the week feed: bookings of one kind overlapping a window (services.bookings.bookings.window_rows)
        Index("ix_booking_kind_end_start", "kind", "end_at", "start_at"),
        Index("ix_booking_kind_returned_issued", "kind", "returned_at", "issued_at"),
        Index("ix_booking_vehicle_start", "vehicle_id", "start_at"),
        Index("ix_booking_trade_plate_start", "trade_plate_id", "start_at"),
    )

    @property
    def billed(self) -> bool:
        return self.billing is not None

    @property
    def km_driven(self) -> int | None:
        """Körda km: the odometer at return less at issue; None until both are read."""
        if self.return_odometer is None or self.issue_odometer is None:
            return None
        return self.return_odometer - self.issue_odometer

    @property
    def return_signature(self) -> bytes | None:
        """The signature PNG of the return (stored in BookingSignature)."""
        return self.signature.png if self.signature is not None else None

    @return_signature.setter
    def return_signature(self, png: bytes | None) -> None:
        if png is None:
            self.signature = None
        elif self.signature is None:
            self.signature = BookingSignature(png=png)
        else:
            self.signature.png = png

    def status(self, now: dt.datetime) -> str:
        """planned / issued / overdue / returned / billed."""
        if self.returned_at is not None:
            return "billed" if self.billing is not None else "returned"
        if self.issued_at is not None:
            return "overdue" if now > self.end_at else "issued"
        return "planned"

    def __str__(self) -> str:
        return f"{self.number} {self.customer_name}".strip()


class BookingSignature(db.Model):
    """Underskrift (Unterschrift) of a return as PNG. Kept apart from Booking, and not audited,
    so the history holds no image bytes."""

    __tablename__ = "booking_signature"
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    booking: Mapped[Booking] = relationship(back_populates="signature")
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BookingBilling(db.Model, Audited):
    """Debitering (Abrechnung) of a returned loaner or rental booking; at most one per booking.

    ``order_id`` points to the sales order the lines went to, when that module exists."""

    __tablename__ = "booking_billing"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), unique=True)
    booking: Mapped[Booking] = relationship(back_populates="billing")
    days: Mapped[int] = mapped_column(default=1)
    km_driven: Mapped[int] = mapped_column(default=0)
    free_km: Mapped[int] = mapped_column(default=0)
    include_return_remark: Mapped[bool] = mapped_column(default=True)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # excl. VAT
    order_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["BookingBillingLine"]] = relationship(
        back_populates="billing", cascade="all, delete-orphan", order_by="BookingBillingLine.position"
    )

    def __str__(self) -> str:
        return f"{self.booking.number}: {self.total}"


class BookingBillingLine(db.Model, Audited):
    """One calculated item of a billing (rent, extra km, insurance, surcharge, discount)."""

    __tablename__ = "booking_billing_line"
    __audit_parent__ = ("booking_billing", "billing_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    billing_id: Mapped[int] = mapped_column(ForeignKey("booking_billing.id", ondelete="CASCADE"), index=True)
    billing: Mapped[BookingBilling] = relationship(back_populates="lines")
    position: Mapped[int] = mapped_column(default=1)
    text: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # excl. VAT, may be negative
    vat_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("25"))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------
# Sales documents: quotes, orders, invoices, credit notes (issue: sales documents)
# --------------------------------------------------------------------------------------

ORDER_KINDS = ("quote", "order")
# offert -> accepterad -> order (pågående -> monterat och klart) -> fakturerad
ORDER_STATUSES = ("quote", "accepted", "in_progress", "ready", "invoiced", "cancelled")
ORDER_LINE_KINDS = ("article", "labour", "free_text", "fixed_price")
CHARGE_TO = ("customer", "warranty", "goodwill")
INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_LINE_KINDS = ("article", "labour", "free_text", "fixed_price", "env_fee", "invoice_fee", "manual")
# domestic, omvänd skattskyldighet (EU customer with VAT number), export outside the EU
VAT_TREATMENTS = ("domestic", "reverse_charge", "export")


class Order(db.Model, Audited):
    """Offert eller order (Angebot / Auftrag). Prices on lines are stored excluding VAT."""

    __tablename__ = "sales_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(10), default="order")
    status: Mapped[str] = mapped_column(String(12), default="in_progress", index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    customer: Mapped[Customer] = relationship(foreign_keys=[customer_id])
    # betalare: another customer pays; the vehicle's owner stays the customer
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    payer: Mapped[Customer | None] = relationship(foreign_keys=[payer_id])
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"), index=True)
    vehicle: Mapped[Vehicle | None] = relationship()
    odometer_km: Mapped[int | None] = mapped_column()
    cost_center_id: Mapped[int | None] = mapped_column(ForeignKey("cost_center.id"))
    cost_center: Mapped[CostCenter | None] = relationship()
    customer_order_number: Mapped[str | None] = mapped_column(String(60), index=True)  # kundens ordernummer
    customer_reference: Mapped[str | None] = mapped_column(String(120))  # er referens
    our_reference_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    our_reference: Mapped[User | None] = relationship()
    order_date: Mapped[dt.date] = mapped_column(Date, default=dt.date.today, index=True)
    delivery_date: Mapped[dt.date | None] = mapped_column(Date)  # leveransdatum (date of supply)
    text: Mapped[str | None] = mapped_column(Text)  # text printed on the document
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="SET NULL"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    invoice: Mapped["Invoice | None"] = relationship(foreign_keys=[invoice_id])
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    insurance_case: Mapped["InsuranceCase | None"] = relationship(
        back_populates="order", cascade="all, delete-orphan", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("kind IN ('quote', 'order')", name="kind"),
        CheckConstraint(
            "status IN ('quote', 'accepted', 'in_progress', 'ready', 'invoiced', 'cancelled')", name="status"
        ),
        CheckConstraint("odometer_km IS NULL OR odometer_km >= 0", name="odometer"),
        CheckConstraint("status != 'invoiced' OR invoice_id IS NOT NULL", name="invoiced_has_invoice"),
        Index("ix_sales_order_customer_status", "customer_id", "status"),
    )

    @property
    def bill_to(self) -> Customer:
        return self.payer or self.customer

    @property
    def is_open(self) -> bool:
        return self.status not in ("invoiced", "cancelled")

    def __str__(self) -> str:
        return f"{'Offert' if self.kind == 'quote' else 'Order'} {self.id}"


class OrderLine(db.Model, Audited):
    """Orderrad: article, labour (hours × rate), free text or fixed price; a package is expanded
    into lines that remember it. Goodwill/warranty lines are charged to ``warranty_payer``."""

    __tablename__ = "order_line"
    __audit_parent__ = ("sales_order", "order_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    order: Mapped[Order] = relationship(back_populates="lines")
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(12), default="article")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("article.id"))
    article: Mapped[Article | None] = relationship()
    labour_operation_id: Mapped[int | None] = mapped_column(ForeignKey("labour_operation.id"))
    labour_operation: Mapped[LabourOperation | None] = relationship()
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id", ondelete="SET NULL"))
    package: Mapped[Package | None] = relationship()
    text: Mapped[str] = mapped_column(String(300), default="")
    unit: Mapped[str] = mapped_column(String(10), default="st")
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # excl. VAT
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    vat_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("25"))
    charge_to: Mapped[str] = mapped_column(String(10), default="customer")
    warranty_payer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    warranty_payer: Mapped[Customer | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind IN ('article', 'labour', 'free_text', 'fixed_price')", name="kind"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
        CheckConstraint("vat_percent >= 0 AND vat_percent < 100", name="vat_range"),
        CheckConstraint("charge_to IN ('customer', 'warranty', 'goodwill')", name="charge_to"),
        CheckConstraint("charge_to = 'customer' OR warranty_payer_id IS NOT NULL", name="warranty_payer"),
    )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.text}"


# samlingsfakturanummer (20.24): SFA and the run's number from the number series "collective_invoice"
COLLECTIVE_INVOICE_PREFIX = "SFA"


class Invoice(db.Model, Audited):
    """Faktura eller kreditnota (Rechnung / Gutschrift), finalised and immutable.

    It keeps a snapshot of the buyer and of the lines, so later register changes never change
    it; it is corrected only by a credit note. Credit notes store positive amounts."""

    __tablename__ = "invoice"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    series: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_date: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    supply_date: Mapped[dt.date | None] = mapped_column(Date)
    ocr: Mapped[str | None] = mapped_column(String(30), index=True)
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    credited_invoice: Mapped["Invoice | None"] = relationship(remote_side=[id])
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    customer: Mapped[Customer] = relationship()
    # snapshot of the buyer at finalisation
    customer_number: Mapped[str] = mapped_column(String(20))
    customer_name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(12))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    billing_address: Mapped[list] = mapped_column(JSON, default=list)
    delivery_address: Mapped[list] = mapped_column(JSON, default=list)
    country_code: Mapped[str] = mapped_column(String(2), default="SE")
    language: Mapped[str] = mapped_column(String(5), default="sv")
    prices_include_vat: Mapped[bool] = mapped_column(default=False)
    vat_treatment: Mapped[str] = mapped_column(String(16), default="domestic")
    customer_reference: Mapped[str | None] = mapped_column(String(120))
    our_reference: Mapped[str | None] = mapped_column(String(120))
    customer_order_number: Mapped[str | None] = mapped_column(String(60))
    vehicle_registration: Mapped[str | None] = mapped_column(String(20), index=True)
    vehicle_description: Mapped[str | None] = mapped_column(String(200))
    odometer_km: Mapped[int | None] = mapped_column()
    cost_center_id: Mapped[int | None] = mapped_column(ForeignKey("cost_center.id"))
    cost_center_code: Mapped[str | None] = mapped_column(String(20))
    payment_term_name: Mapped[str | None] = mapped_column(String(120))
    payment_term_days: Mapped[int] = mapped_column(default=30)
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    text: Mapped[str | None] = mapped_column(Text)
    manual_account: Mapped[str | None] = mapped_column(String(10))  # manual credit note: konto
    net_total: Mapped[Decimal] = mapped_column(Money)
    vat_total: Mapped[Decimal] = mapped_column(Money)
    rounding: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # öresavrundning
    total: Mapped[Decimal] = mapped_column(Money)
    print_count: Mapped[int] = mapped_column(default=0)  # a reprint is marked KOPIA
    # samlingsfakturanummer (20.24): the number of the collective-invoicing run that made it, shared
    # by every invoice of the run (services.sales.invoicing.run_collective); searchable
    collective_number: Mapped[str | None] = mapped_column(String(20), index=True)
    finalised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", cascade="all", order_by="InvoiceLine.position"
    )

    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint("vat_treatment IN ('domestic', 'reverse_charge', 'export')", name="vat_treatment"),
        CheckConstraint("kind = 'credit_note' OR credited_invoice_id IS NULL", name="credit_ref"),
        CheckConstraint("due_date >= invoice_date", name="due_after_date"),
        CheckConstraint("abs(total - (net_total + vat_total + rounding)) < 0.005", name="total_sum"),
        CheckConstraint("net_total >= 0 AND vat_total >= 0", name="amounts_not_negative"),
        UniqueConstraint("series", "sequence", name="uq_invoice_series_sequence"),
        Index("ix_invoice_customer_date", "customer_id", "invoice_date"),
    )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    def __str__(self) -> str:
        return f"{'Kreditnota' if self.is_credit_note else 'Faktura'} {self.number}"


class InvoiceLine(db.Model, Audited):
    """Fakturarad: a snapshot of an order line (or fee, or manual credit amount)."""

    __tablename__ = "invoice_line"
    __audit_parent__ = ("invoice", "invoice_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(12))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="SET NULL"), index=True)
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id"), index=True)
    item_number: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(300), default="")
    unit: Mapped[str] = mapped_column(String(10), default="st")
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_price: Mapped[Decimal] = mapped_column(Money)  # excl. VAT
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    vat_percent: Mapped[Decimal] = mapped_column(Percent)
    net_amount: Mapped[Decimal] = mapped_column(Money)
    account: Mapped[str | None] = mapped_column(String(10))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('article', 'labour', 'free_text', 'fixed_price', 'env_fee', 'invoice_fee', 'manual')",
            name="kind",
        ),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
        CheckConstraint("vat_percent >= 0 AND vat_percent < 100", name="vat_range"),
    )

    def __str__(self) -> str:
        return f"{self.quantity} × {self.text}"


class DocumentRecipient(db.Model, Audited):
    """Olika e-postmottagare (11.09): who of a customer receives which kind of document."""

    __tablename__ = "document_recipient"
    __audit_parent__ = ("customer", "customer_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    customer: Mapped[Customer] = relationship()
    document_type: Mapped[str] = mapped_column(String(20))  # invoice, credit_note, quote, order
    email: Mapped[str] = mapped_column(String(254))

    __table_args__ = (
        CheckConstraint(
            "document_type IN ('invoice', 'credit_note', 'quote', 'order_confirmation')", name="document_type"
        ),
    )

    def __str__(self) -> str:
        return f"{self.document_type}: {self.email}"


class InsuranceCase(db.Model, Audited):
    """Försäkringsärende (000 90.16) on an order: the insurer pays the repair less the owner's
    excess (självrisk); with ``forward_vat`` (90.16.1, vidarefakturering moms) the insurer pays
    excluding VAT and the VAT-registered owner is invoiced the excess plus the VAT."""

    __tablename__ = "insurance_case"
    __audit_parent__ = ("sales_order", "order_id")
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), unique=True)
    order: Mapped[Order] = relationship(back_populates="insurance_case")
    insurer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    insurer: Mapped[Customer] = relationship()
    claim_number: Mapped[str] = mapped_column(String(40))  # skadenummer
    damage_date: Mapped[dt.date | None] = mapped_column(Date)  # skadedatum
    excess: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # självrisk, incl. VAT
    forward_vat: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # set at finalisation: the owner's invoice (excess, forwarded VAT) and the insurer's invoice
    owner_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    owner_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[owner_invoice_id])
    insurer_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    insurer_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[insurer_invoice_id])

    __table_args__ = (CheckConstraint("excess >= 0", name="excess_not_negative"),)

    def __str__(self) -> str:
        return f"{self.claim_number} ({self.insurer.name if self.insurer else ''})"


MESSAGE_DOCUMENT_TYPES = ("invoice", "credit_note", "quote", "order_confirmation")
MESSAGE_LANGUAGES = ("sv", "de", "en")


class MessageText(db.Model, Versioned, Audited):
    """E-posttext: subject and body of the e-mail a document is sent with, per document type
    and language, with placeholders such as {number} (services.sales.outbox.render_text)."""

    __tablename__ = "message_text"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("document_type", "language", name="uq_message_text_document_type_language"),
        CheckConstraint(
            "document_type IN ('invoice', 'credit_note', 'quote', 'order_confirmation')", name="document_type"
        ),
    )

    def __str__(self) -> str:
        return f"{self.document_type} ({self.language})"


class OutboxMessage(db.Model):
    """E-post utkorg: a document waiting to be sent (or sent) by e-mail."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    # queued (waits for its job, also between retries), sending (a job has it), sent, failed
    # (after the last retry, or cancelled by an erasure)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    # the SMTP server's answer to the last attempt (kept on a queued message between retries)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # when its job is due (put on the queue, or the next retry): the outbox retry finds the
    # queued messages whose job was lost by this (services.sales.outbox.requeue_lost)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="SET NULL"))
    # "document", or "password_reset": a log-in link, whose body no outbox screen shows
    purpose: Mapped[str] = mapped_column(String(20), default="document")

    __table_args__ = (CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),)

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"



# --------------------------------------------------------------------------------------
# Ledger: accounts, financial years, period lock, vouchers (bokföring; issue 12 item 6)
# --------------------------------------------------------------------------------------

# kontotyp; SIE's #KTYP maps asset T, liability and equity S, income I, expense K
ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")
SIE_ACCOUNT_TYPES = {"asset": "T", "liability": "S", "equity": "S", "income": "I", "expense": "K"}
# what booked a voucher (Voucher.source_kind); later kinds (write_off, reminder_fee, vat_settlement,
# year_end, opening_balance, accrual, bgmax, ...) need no migration: no check constraint on it
VOUCHER_SOURCES = ("invoice", "credit_note", "payment", "manual", "reversal")
# one voucher per finalised invoice and per credit note (the partial unique index below)
ONE_VOUCHER_SOURCES = ("invoice", "credit_note")


class Account(db.Model, Versioned, Audited):
    """Konto (BAS): a four-digit number, a name and a type; an account with transactions is
    never deleted, only inactivated (services.ledger.accounts)."""

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(10))
    vat_code: Mapped[str | None] = mapped_column(String(10))  # momskod / ruta of the VAT return
    sru_code: Mapped[str | None] = mapped_column(String(10))  # SRU-kod (the tax return's field; SIE #SRU)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="type"),
        CheckConstraint("length(number) = 4", name="number_length"),
    )

    @property
    def sie_type(self) -> str:
        return SIE_ACCOUNT_TYPES[self.type]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class FinancialYear(db.Model, Audited):
    """Räkenskapsår: vouchers are numbered per series and year; a closed year takes no vouchers."""

    __tablename__ = "financial_year"
    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date, unique=True)
    end_date: Mapped[dt.date] = mapped_column(Date, unique=True)
    closed: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (CheckConstraint("end_date > start_date", name="end_after_start"),)

    def __str__(self) -> str:
        return f"{self.start_date.isoformat()} – {self.end_date.isoformat()}"


class OpeningBalance(db.Model):
    """Ingående balans brought in from another system (SIE #IB 0, services.ledger.sie_import):
    a balance account's balance at the start of ``financial_year``, standing for the history the
    books do not hold. services.ledger.balances adds it to every opening and closing balance
    from that year's start on (the one source of truth of IB for the screens and the SIE export)."""

    __tablename__ = "opening_balance"
    id: Mapped[int] = mapped_column(primary_key=True)
    financial_year_id: Mapped[int] = mapped_column(ForeignKey("financial_year.id"), index=True)
    financial_year: Mapped[FinancialYear] = relationship()
    account_number: Mapped[str] = mapped_column(ForeignKey("account.number"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("financial_year_id", "account_number", name="uq_opening_balance_year_account"),)

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.account_number} {money(self.amount)}"


class LedgerPeriodLock(db.Model):
    """Periodlåsning: the books are locked through ``locked_through`` (the greatest row counts;
    a lock only moves forward). services.ledger.vouchers.check_open and a database trigger on
    voucher rows refuse a booking dated on or before it."""

    __tablename__ = "ledger_period_lock"
    id: Mapped[int] = mapped_column(primary_key=True)
    locked_through: Mapped[dt.date] = mapped_column(Date, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by: Mapped[User | None] = relationship()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __str__(self) -> str:
        return self.locked_through.isoformat()


class Voucher(db.Model):
    """Verifikation: numbered without gaps per series and financial year, balanced to zero,
    never changed or deleted; corrected by a reversing voucher (``reverses``)."""

    __tablename__ = "voucher"
    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(4))
    financial_year_id: Mapped[int] = mapped_column(ForeignKey("financial_year.id"))
    financial_year: Mapped[FinancialYear] = relationship()
    number: Mapped[int] = mapped_column()
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    text: Mapped[str] = mapped_column(String(200), default="")
    source_kind: Mapped[str] = mapped_column(String(20), default="manual")
    source_id: Mapped[int | None] = mapped_column()
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)
    reverses: Mapped["Voucher | None"] = relationship(remote_side=[id], foreign_keys=[reverses_id],
                                                      back_populates="reversed_by")
    reversed_by: Mapped["Voucher | None"] = relationship(back_populates="reverses", uselist=False,
                                                         foreign_keys=[reverses_id])
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by: Mapped[User | None] = relationship()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rows: Mapped[list["VoucherRow"]] = relationship(back_populates="voucher", order_by="VoucherRow.id")

    __table_args__ = (
        UniqueConstraint("series", "financial_year_id", "number", name="uq_voucher_series_year_number"),
        Index("ix_voucher_source", "source_kind", "source_id"),
        Index("ix_voucher_one_per_document", "source_kind", "source_id", unique=True,
              sqlite_where=sql_text("source_kind IN ('invoice', 'credit_note')"),
              postgresql_where=sql_text("source_kind IN ('invoice', 'credit_note')")),
        CheckConstraint("number > 0", name="number_positive"),
    )

    @property
    def amount(self) -> Decimal:
        """The voucher's turnover: the sum of its debit rows."""
        return sum((r.amount for r in self.rows if r.amount > 0), Decimal("0"))

    @property
    def label(self) -> str:
        return f"{self.series}{self.number}"

    def __str__(self) -> str:
        return f"{self.series}{self.number} {self.date.isoformat()}"


class VoucherRow(db.Model):
    """Transaktion: an amount on an account, debit positive and credit negative; the voucher's
    date is repeated here so that a general ledger pages by (account, date, id) on one index."""

    __tablename__ = "voucher_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    voucher: Mapped[Voucher] = relationship(back_populates="rows")
    account_number: Mapped[str] = mapped_column(ForeignKey("account.number"))
    account: Mapped[Account] = relationship(foreign_keys=[account_number])
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    text: Mapped[str | None] = mapped_column(String(200))
    date: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # the amount too: the general ledger's and balances' sums read the index alone
        Index("ix_voucher_row_account_date_id_amount", "account_number", "date", "id", "amount"),
        Index("ix_voucher_row_date", "date"),
    )

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.account_number} {money(self.amount)}"


# bokslutsverifikation: the one series booked into a locked period (services.ledger.year_end)
CLOSING_SERIES = "BS"


def ledger_guard_ddl(dialect: str) -> list[str]:
    """The database's own guard of the books (also used by the migration): voucher and voucher
    rows are never updated, and no row is inserted on or before the period lock, except the
    year-end closing voucher (series CLOSING_SERIES, booked on the year's last day after the VAT
    settlement locked it), nor into a closed financial year. Deletes are refused by the ORM
    guard (services.ledger.vouchers)."""
    locked = ("(EXISTS (SELECT 1 FROM ledger_period_lock WHERE locked_through >= NEW.date) "
              f"AND NOT EXISTS (SELECT 1 FROM voucher WHERE voucher.id = NEW.voucher_id "
              f"AND voucher.series = '{CLOSING_SERIES}')) "
              "OR EXISTS (SELECT 1 FROM financial_year WHERE closed {true} "
              "AND NEW.date >= start_date AND NEW.date <= end_date)")
    if dialect == "sqlite":
        return [
            *(f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
              f"BEGIN SELECT RAISE(ABORT, 'ledger: a booked {t} is never changed'); END"
              for t in ("voucher", "voucher_row")),
            f"CREATE TRIGGER IF NOT EXISTS voucher_row_open_period BEFORE INSERT ON voucher_row "
            f"WHEN {locked.format(true='= 1')} "
            f"BEGIN SELECT RAISE(ABORT, 'ledger: the period is locked'); END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION ledger_no_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'ledger: a booked % is never changed', TG_TABLE_NAME; END $$",
            *(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} FOR EACH ROW "
              f"EXECUTE FUNCTION ledger_no_update()" for t in ("voucher", "voucher_row")),
            "CREATE OR REPLACE FUNCTION ledger_open_period() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {locked.format(true='')} THEN "
            "RAISE EXCEPTION 'ledger: the period of % is locked', NEW.date; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER voucher_row_open_period BEFORE INSERT ON voucher_row FOR EACH ROW "
            "EXECUTE FUNCTION ledger_open_period()",
        ]
    return []


for _stmt in ledger_guard_ddl("sqlite"):
    event.listen(db.metadata.tables["voucher_row"], "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in ledger_guard_ddl("postgresql"):  # DDL() formats with %: RAISE's placeholder is %%
    event.listen(db.metadata.tables["voucher_row"], "after_create",
                 DDL(_stmt.replace("%", "%%")).execute_if(dialect="postgresql"))


# --------------------------------------------------------------------------------------
# Ledger: payments, payment methods, customer credit, BgMax imports (inbetalningar; issue 12 items 1, 10, 11)
# --------------------------------------------------------------------------------------

# Payment.kind: an incoming payment (inbetalning), customer credit applied to an invoice
# (kvittning av kundsaldo), customer credit paid back (återbetalning, 20.23)
PAYMENT_KINDS = ("payment", "credit", "refund")

customer_blocked_payment_method = Table(
    "customer_blocked_payment_method",  # 11.12: a payment method a customer may not use
    db.metadata,
    Column("customer_id", ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("payment_method_id", ForeignKey("payment_method.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PaymentMethod(db.Model, Versioned, Audited):
    """Betalsätt: bankgiro, card, Swish, cash, invoice; the account a payment by it debits
    (none: the method takes no payments, e.g. "invoice") and the payment term it brings (90.02)."""

    __tablename__ = "payment_method"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    account_number: Mapped[str | None] = mapped_column(ForeignKey("account.number"))
    account: Mapped[Account | None] = relationship(foreign_keys=[account_number])
    payment_term_id: Mapped[int | None] = mapped_column(ForeignKey("payment_term.id"))
    payment_term: Mapped[PaymentTerm | None] = relationship()
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class BgMaxImport(db.Model):
    """One imported BgMax file; the unique checksum makes a second import of the same file
    book nothing, even when two users import it at once."""

    __tablename__ = "bgmax_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the file's bytes
    filename: Mapped[str] = mapped_column(String(255))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    imported_by: Mapped[User | None] = relationship()
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    payment_count: Mapped[int] = mapped_column(default=0)
    booked_count: Mapped[int] = mapped_column(default=0)
    unmatched_count: Mapped[int] = mapped_column(default=0)
    total_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # what the import booked without a payment row (deductions, record 21) or left out (another
    # currency, a bank reference registered before): [{"kind", "line", "amount", "reference", ...}]
    notes: Mapped[list] = mapped_column(JSON, default=list)

    def __str__(self) -> str:
        return f"{self.filename} {self.imported_at:%Y-%m-%d %H:%M}"


class Payment(db.Model):
    """Inbetalning (kind "payment"), customer credit applied to invoices ("credit") or paid
    back ("refund"). Booked by one voucher in series B; never changed except for its reversal
    (90.20: a reversing voucher, ``reversal_voucher``). What it settles is its allocations;
    an invoice's remaining amount and status are derived from them (services.ledger.payments)."""

    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="payment")
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, index=True)
    method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_method.id"))
    method: Mapped[PaymentMethod | None] = relationship()
    reference: Mapped[str | None] = mapped_column(String(60), index=True)  # OCR or a text
    payer_name: Mapped[str | None] = mapped_column(String(200))
    payer_org_number: Mapped[str | None] = mapped_column(String(12))  # BgMax record 29
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)  # None until matched
    customer: Mapped[Customer | None] = relationship()
    bank_reference: Mapped[str | None] = mapped_column(String(80), unique=True)  # the bank's id of the payment
    bgmax_import_id: Mapped[int | None] = mapped_column(ForeignKey("bgmax_import.id"), index=True)
    bgmax_import: Mapped[BgMaxImport | None] = relationship()
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)
    voucher: Mapped[Voucher | None] = relationship(foreign_keys=[voucher_id])
    reversed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reversed_by: Mapped[User | None] = relationship(foreign_keys=[reversed_by_id])
    reversal_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)
    reversal_voucher: Mapped[Voucher | None] = relationship(foreign_keys=[reversal_voucher_id])
    # an unidentified BgMax payment (booked to the suspense account, no customer) matched by hand
    # later: the voucher moving it from suspense to the invoices (services.ledger.bgmax_import)
    match_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)
    match_voucher: Mapped[Voucher | None] = relationship(foreign_keys=[match_voucher_id])
    matched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    matched_by: Mapped[User | None] = relationship(foreign_keys=[matched_by_id])
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    allocations: Mapped[list["PaymentAllocation"]] = relationship(
        back_populates="payment", cascade="all", order_by="PaymentAllocation.id")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('payment', 'credit', 'refund')", name="kind"),
        CheckConstraint("(reversed_at IS NULL) = (reversal_voucher_id IS NULL)", name="reversal_complete"),
    )

    @property
    def reversed(self) -> bool:
        return self.reversed_at is not None

    @property
    def credit_amount(self) -> Decimal:
        """What this payment left as customer credit (its allocations without an invoice)."""
        return sum((a.amount for a in self.allocations if a.invoice_id is None), Decimal("0"))

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.date.isoformat()} {money(self.amount)}"


class PaymentAllocation(db.Model):
    """What a payment settles: an invoice (``invoice``) or, without one, the customer's credit
    (kundsaldo). The allocations of a payment add up to its amount; ``write_off`` is a
    shortfall within the payment tolerance (20.20) written off on the invoice beside it."""

    __tablename__ = "payment_allocation"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    invoice: Mapped[Invoice | None] = relationship()
    amount: Mapped[Decimal] = mapped_column(Money)
    write_off: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")

    __table_args__ = (
        CheckConstraint("amount >= 0 AND write_off >= 0 AND amount + write_off > 0", name="amount_positive"),
        CheckConstraint("invoice_id IS NOT NULL OR write_off = 0", name="write_off_on_invoice"),
    )

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.invoice or 'kundsaldo'} {money(self.amount)}"


# --------------------------------------------------------------------------------------
# Ledger: reminders, interest invoices, customer losses (påminnelser, räntefakturor, kundförluster;
# issue 12 items 3, 4, 5)
# --------------------------------------------------------------------------------------

REMINDER_DELIVERIES = ("email", "print")
MAX_REMINDER_FEE = Decimal("60.00")  # lag (1981:739) om ersättning för inkassokostnader m.m.


class ReminderLevel(db.Model, Versioned, Audited):
    """Påminnelsenivå (90.14): level 1, 2 or 3, the days after the due date it is sent, its fee
    (90.14.2, at most 60 kr) and the text of the reminder per language (90.14.1)."""

    __tablename__ = "reminder_level"
    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(unique=True)
    days_after_due: Mapped[int] = mapped_column(default=0)
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    text_sv: Mapped[str] = mapped_column(Text, default="")
    text_de: Mapped[str] = mapped_column(Text, default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("level >= 1 AND level <= 3", name="level_range"),
        CheckConstraint("days_after_due >= 0", name="days_not_negative"),
        CheckConstraint("fee >= 0 AND fee <= 60", name="fee_range"),
    )

    def text_in(self, language: str) -> str:
        return getattr(self, f"text_{language}", None) or self.text_sv or ""

    def __str__(self) -> str:
        return f"{self.level}"


class Reminder(db.Model):
    """Påminnelse: one per customer and run, listing the overdue invoices with what remained of
    each at the time (``items``); the fee as its own invoice when the customer's terms allow it."""

    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    customer: Mapped[Customer] = relationship()
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    level: Mapped[int] = mapped_column()
    language: Mapped[str] = mapped_column(String(5), default="sv")
    text: Mapped[str] = mapped_column(Text, default="")  # the level's text as it was sent
    total: Mapped[Decimal] = mapped_column(Money)  # the listed invoices' remaining amounts
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    fee_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), unique=True)
    fee_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[fee_invoice_id])
    delivery: Mapped[str | None] = mapped_column(String(10))  # email or print, once sent
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    items: Mapped[list["ReminderItem"]] = relationship(back_populates="reminder", cascade="all",
                                                       order_by="ReminderItem.id")

    __table_args__ = (
        CheckConstraint("level >= 1 AND level <= 3", name="level_range"),
        CheckConstraint("fee >= 0 AND fee <= 60", name="fee_range"),
        CheckConstraint("delivery IS NULL OR delivery IN ('email', 'print')", name="delivery"),
    )

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.customer.name if self.customer else ''} ({self.level})"


class ReminderItem(db.Model):
    """An invoice on a reminder and what remained of it then. Level and date are repeated here:
    the unique constraint refuses reminding an invoice twice on one level the same day, also
    when two users run reminders at once."""

    __tablename__ = "reminder_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
    reminder: Mapped[Reminder] = relationship(back_populates="items")
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    invoice: Mapped[Invoice] = relationship()
    level: Mapped[int] = mapped_column()
    date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    days_overdue: Mapped[int] = mapped_column()
    remaining: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = (UniqueConstraint("invoice_id", "level", "date", name="uq_reminder_item_invoice_level_date"),)

    def __str__(self) -> str:
        return f"{self.invoice} {self.remaining}"


class ReferenceRate(db.Model, Versioned, Audited):
    """Riksbankens referensränta (räntelagen 9 §) per calendar half-year, valid from 1 January
    or 1 July; late interest (dröjsmålsränta, 6 §) is this plus 8 percentage points."""

    __tablename__ = "reference_rate"
    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[dt.date] = mapped_column(Date, unique=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 3))

    __table_args__ = (CheckConstraint("rate > -100 AND rate < 100", name="rate_range"),)

    def __str__(self) -> str:
        return f"{self.valid_from.isoformat()} {self.rate} %"


class InterestCharge(db.Model):
    """Räntefaktura (20.16): the late interest of a late-paid invoice, charged once (unique)."""

    __tablename__ = "interest_charge"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)  # the late-paid invoice
    invoice: Mapped[Invoice] = relationship(foreign_keys=[invoice_id])
    interest_invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    interest_invoice: Mapped[Invoice] = relationship(foreign_keys=[interest_invoice_id])
    amount: Mapped[Decimal] = mapped_column(Money)
    days: Mapped[int] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.invoice} {money(self.amount)}"


class WriteOff(db.Model):
    """Kundförlust (20.19): what remained of an invoice written off as a customer loss, with the
    VAT correction, in one voucher; the invoice's status becomes written_off (counted by
    services.ledger.payments)."""

    __tablename__ = "write_off"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    invoice: Mapped[Invoice] = relationship()
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    vat_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    reason: Mapped[str] = mapped_column(String(300))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)
    voucher: Mapped[Voucher | None] = relationship()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by: Mapped[User | None] = relationship()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.invoice} {money(self.amount)}"


# --------------------------------------------------------------------------------------
# Ledger: accrual templates and budgets (periodiseringsmallar, budget; issue 12 item 12)
# --------------------------------------------------------------------------------------

ACCRUAL_KINDS = ("cost", "revenue")  # förutbetald kostnad / förutbetald intäkt


class AccrualTemplate(db.Model, Audited):
    """Periodiseringsmall (20.14): an amount spread over ``months`` months from ``start_month``,
    one voucher a month (series P, source ("accrual", id)) between the accrual account
    (periodiseringskonto, e.g. 1790 förutbetalda kostnader) and the cost or revenue account.
    A cost moves from the accrual account to the cost account (debit cost, credit 1790); a revenue
    from the accrual account to the revenue account (debit e.g. 2970, credit revenue). Generated
    once (``generated_at``); the vouchers are what was booked."""

    __tablename__ = "accrual_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="cost")
    accrual_account_number: Mapped[str] = mapped_column(ForeignKey("account.number"))
    result_account_number: Mapped[str] = mapped_column(ForeignKey("account.number"))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    start_month: Mapped[dt.date] = mapped_column(Date)  # the first day of the first month
    months: Mapped[int] = mapped_column()
    generated_at: Mapped[dt.datetime | None] = mapped_column()
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    generated_by: Mapped[User | None] = relationship(foreign_keys=[generated_by_id])
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('cost', 'revenue')", name="kind"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("months >= 1 AND months <= 120", name="months_range"),
    )

    def __str__(self) -> str:
        return self.name


class Budget(db.Model, Audited):
    """Budget (20.15): the budgeted amount of an account for one month of a financial year, as
    the office types it: income and costs both positive (services.ledger.budget turns the books'
    signs, debit positive, into the same sense for the comparison with the outcome)."""

    __tablename__ = "budget"
    id: Mapped[int] = mapped_column(primary_key=True)
    financial_year_id: Mapped[int] = mapped_column(ForeignKey("financial_year.id"))
    financial_year: Mapped[FinancialYear] = relationship()
    account_number: Mapped[str] = mapped_column(ForeignKey("account.number"))
    month: Mapped[dt.date] = mapped_column(Date)  # the first day of the month
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    __table_args__ = (
        UniqueConstraint("financial_year_id", "account_number", "month", name="uq_budget_year_account_month"),
    )

    def __str__(self) -> str:
        from services.platform.formatting import money

        return f"{self.account_number} {self.month.isoformat()[:7]} {money(self.amount)}"


# --------------------------------------------------------------------------------------
# Workshop: resources (staff, bays, lifts) and skills (personal, resurser, kompetens; issue 13 item 1)
# --------------------------------------------------------------------------------------

# Resource.kind: a member of staff (personal), a bay (arbetsplats) or a lift (lyft): one row per
# resource on the planner; only staff have a staff number, a floor role, costs and a PIN
RESOURCE_KINDS = ("staff", "bay", "lift")
# Resource.floor_role: the staff member's role on the floor (mekaniker, servicetekniker/kundmottagare, övrig)
FLOOR_ROLES = ("technician", "advisor", "other")

resource_skill = Table(
    "resource_skill",
    db.metadata,
    Column("resource_id", ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Skill(db.Model, Audited):
    """Kompetens: what a resource can do ("AC", "Däck", "Diagnos"); a small lookup register."""

    __tablename__ = "skill"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class Resource(db.Model, Versioned, Audited):
    """Resurs: a member of staff (personalkort, 11.13) or a bay/lift with no person (90.10).
    A resource with stamps or planned jobs is never deleted, only inactivated
    (services.workshop.resources.can_delete)."""

    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint("kind IN ('staff', 'bay', 'lift')", name="kind"),
        CheckConstraint("floor_role IS NULL OR floor_role IN ('technician', 'advisor', 'other')",
                        name="floor_role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="staff")
    name: Mapped[str] = mapped_column(String(120))
    staff_number: Mapped[str | None] = mapped_column(String(20), unique=True)  # personalnummer
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    user: Mapped[User | None] = relationship()
    floor_role: Mapped[str | None] = mapped_column(String(12))
    hourly_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # timkostnad
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # debiteringspris (90.08)
    pin_hash: Mapped[str | None] = mapped_column(String(256), info=SECRET)  # stämpel-PIN, hashed
    skills: Mapped[list[Skill]] = relationship(secondary=resource_skill, order_by="Skill.name")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)

    def __str__(self) -> str:
        return f"{self.name} ({self.staff_number})" if self.staff_number else self.name


# --------------------------------------------------------------------------------------
# Search indexes: SQLite FTS5 with trigrams, PostgreSQL pg_trgm (services.platform.search queries them)
# --------------------------------------------------------------------------------------

SEARCH_INDEXED = ("customer", "vehicle")


def _fts_ddl(table: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_fts USING fts5("
        f"search_text, content='{table}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {table}_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fts_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {table}_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    ]


def _trgm_ddl(table: str) -> list[str]:
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX IF NOT EXISTS ix_{table}_search_trgm ON {table} "
        f"USING gin (search_text gin_trgm_ops)",
    ]


def search_index_ddl(dialect: str, table: str) -> list[str]:
    """DDL of the search index of ``table`` (also used by the Alembic migration)."""
    if dialect == "sqlite":
        return _fts_ddl(table)
    if dialect == "postgresql":
        return _trgm_ddl(table)
    return []


for _table in SEARCH_INDEXED:
    for _stmt in _fts_ddl(_table):
        event.listen(
            db.metadata.tables[_table], "after_create", DDL(_stmt).execute_if(dialect="sqlite")
        )
    for _stmt in _trgm_ddl(_table):
        event.listen(
            db.metadata.tables[_table], "after_create", DDL(_stmt).execute_if(dialect="postgresql")
        )
    event.listen(
        db.metadata.tables[_table],
        "before_drop",
        DDL(f"DROP TABLE IF EXISTS {_table}_fts").execute_if(dialect="sqlite"),
    )
