"""Reference data every installation starts with: roles, countries, VAT rates, payment terms,
number series and the administrator. Idempotent: running it again adds only what is missing."""
import secrets
from decimal import Decimal
from pathlib import Path

from babel import Locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.defaults import ACTIVE_COUNTRIES, EU_COUNTRIES, VAT_RATES
from models import Country, PaymentTerm, Role, RoleRight, User, VatRate
from services.platform.auth import hash_password
from services.ledger.accounts import seed_accounts, seed_financial_year
from services.ledger.interest import seed_reference_rates
from services.ledger.payments import seed_payment_methods
from services.ledger.reminders import seed_reminder_levels
from services.platform.numbering import ensure_series
from services.sales.outbox import seed_message_texts
from services.workshop.resources import seed_skills
from services.platform.rights import DEFAULT_ROLES

PAYMENT_TERMS = [("10 dagar netto", 10), ("15 dagar netto", 15), ("30 dagar netto", 30), ("Kontant", 0)]


def seed_defaults(session: Session) -> None:
    for name, rights in DEFAULT_ROLES.items():
        role = session.scalar(select(Role).where(Role.name == name))
        if role is None:
            role = Role(name=name, is_admin=(name == "Administrator"))
            role.rights = [RoleRight(right=r) for r in sorted(rights)]
            session.add(role)
    existing = set(session.scalars(select(Country.code)))
    sv = Locale("sv")
    for code, name in sorted(sv.territories.items()):
        if len(code) == 2 and code.isalpha() and code not in existing and code not in ("ZZ", "EU", "EZ", "UN", "QO"):
            session.add(Country(code=code, name=name, active=code in ACTIVE_COUNTRIES, eu_member=code in EU_COUNTRIES))
    for name, percent in VAT_RATES:
        if session.scalar(select(VatRate).where(VatRate.percent == Decimal(percent))) is None:
            session.add(VatRate(name=name, percent=Decimal(percent)))
    if session.scalar(select(PaymentTerm.id).limit(1)) is None:
        for name, days in PAYMENT_TERMS:
            session.add(PaymentTerm(name=name, days=days))
    ensure_series(session, "customer", 1000)
    seed_message_texts(session)
    seed_accounts(session)
    seed_financial_year(session)
    session.flush()  # the accounts the payment methods book to
    seed_payment_methods(session)
    seed_reminder_levels(session)
    seed_reference_rates(session)
    seed_skills(session)
    session.commit()


def ensure_admin(session: Session, password: str | None, instance_dir: str) -> tuple[str, str | None]:
    """Create the user ``admin`` when missing. Returns (username, password shown to the operator).

    Without VERKSTAD_ADMIN_PASSWORD a password is generated once and kept under instance/."""
    path = Path(instance_dir) / "admin_password"
    if not password:
        if path.exists():
            password = path.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(password)
            path.chmod(0o600)
    user = session.scalar(select(User).where(User.username == "admin"))
    if user is None:
        role = session.scalar(select(Role).where(Role.is_admin.is_(True)))
        session.add(User(username="admin", full_name="Administratör", password_hash=hash_password(password), role=role))
        session.commit()
    return "admin", password
