"""The relational model of Verkstad: every table, typed, grouped in sections.

Invariants live here (constraints, indexes, simple derived properties); workflows live in
services/. Swedish terms are given where the reference documents use them.
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
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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
    """SQLite enforces foreign keys only when asked, per connection; WAL lets readers work
    while one user writes."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

Money = Numeric(12, 2)
Percent = Numeric(5, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Audited:
    """Mixin: changes to this model are written to AuditLog by services.audit.

    ``__audit_parent__`` names the foreign key whose record shows these changes on its
    History tab as well (a contact's change shows on its customer).
    """

    __audit_parent__: tuple[str, str] | None = None


# --------------------------------------------------------------------------------------
# Users, roles and rights (Användare, roller, rättigheter)
# --------------------------------------------------------------------------------------


class Role(db.Model, Audited):
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


class RoleRight(db.Model):
    """One named right (see services.rights.RIGHTS) granted to a role."""

    __tablename__ = "role_right"
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), primary_key=True)
    right: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[Role] = relationship(back_populates="rights")


class User(db.Model, UserMixin, Audited):
    """A person who logs in to the console (anställd)."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(256))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    role: Mapped[Role] = relationship(lazy="joined")
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="sv")
    email_notifications: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    hidden_columns: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return bool(self.role and self.role.is_admin)

    def has_right(self, right: str) -> bool:
        return self.is_admin or right in self.role.right_names

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


class NamedLookup(Audited):
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


class CostCenter(db.Model, Audited):
    """Kostnadsställe."""

    __tablename__ = "cost_center"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Country(db.Model, Audited):
    """Land: all ISO 3166 countries; only active ones are offered on customers."""

    __tablename__ = "country"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=False)
    eu_member: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.name


class PaymentTerm(db.Model, Audited):
    """Betalvillkor: days until due, and the invoice fee it carries."""

    __tablename__ = "payment_term"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    days: Mapped[int] = mapped_column(default=30)
    invoice_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("days >= 0", name="days_not_negative"),
        CheckConstraint("invoice_fee >= 0", name="fee_not_negative"),
    )

    def __str__(self) -> str:
        return self.name


class DiscountLetter(db.Model, Audited):
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


class VatRate(db.Model, Audited):
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
    active: Mapped[bool] = mapped_column(default=True, index=True)

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # lower-cased text of name, numbers, e-mails and phones of the customer and its
    # contacts, kept by services.search and indexed (FTS5 trigram / pg_trgm)
    search_text: Mapped[str] = mapped_column(Text, default="")

    addresses: Mapped[list["Address"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Address.kind"
    )
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.name"
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
    )

    @property
    def prices_exclude_vat(self) -> bool:
        """An organisation number means prices are shown excluding VAT (reference 001)."""
        return bool(self.org_number)

    def address(self, kind: str) -> "Address | None":
        return next((a for a in self.addresses if a.kind == kind), None)

    @property
    def identity_number_display(self) -> str:
        from services.identifiers import format_org_number, format_personal_number

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


class Package(db.Model, Audited):
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


# --------------------------------------------------------------------------------------
# Vehicle bookings: loaner, rental, test drive (issue: booking calendar)
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Sales documents: quotes, orders, invoices, credit notes (issue: sales documents)
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Search indexes: SQLite FTS5 with trigrams, PostgreSQL pg_trgm (services.search queries them)
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
