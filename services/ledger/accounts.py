"""The chart of accounts (kontoplan, BAS) and the account mapping of automatic vouchers.

``seed_accounts`` adds the BAS accounts a workshop uses (idempotent: existing numbers are kept as
the office left them). ``ACCOUNT_MAP`` names the account of each role in an automatic voucher;
a setting ``ledger.account.<role>`` overrides one (e.g. ``ledger.account.customer_credit``)."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import ACCOUNT_TYPES, Account, FinancialYear, VoucherRow
from services.ledger import LedgerError

# (number, name, vat code (the VAT return's box), type or None for the BAS class's default)
BAS_ACCOUNTS: list[tuple[str, str, str | None, str | None]] = [
    ("1510", "Kundfordringar", None, None),
    ("1580", "Fordringar för kontokort och kuponger", None, None),
    ("1630", "Avräkning för skatter och avgifter (skattekonto)", None, None),
    ("1910", "Kassa", None, None),
    ("1920", "PlusGiro", None, None),
    ("1930", "Företagskonto/checkkonto/affärskonto", None, None),
    ("1940", "Övriga bankkonton", None, None),
    ("2010", "Eget kapital", None, "equity"),
    ("2081", "Aktiekapital", None, "equity"),
    ("2091", "Balanserad vinst eller förlust", None, "equity"),
    ("2099", "Årets resultat", None, "equity"),
    ("2420", "Förskott från kunder", None, None),
    ("2440", "Leverantörsskulder", None, None),
    ("2611", "Utgående moms på försäljning inom Sverige, 25 %", "10", None),
    ("2621", "Utgående moms på försäljning inom Sverige, 12 %", "11", None),
    ("2631", "Utgående moms på försäljning inom Sverige, 6 %", "12", None),
    ("2641", "Debiterad ingående moms", "48", None),
    ("2650", "Redovisningskonto för moms", None, None),
    ("2710", "Personalskatt", None, None),
    ("2890", "Övriga kortfristiga skulder", None, None),
    ("2999", "OBS-konto", None, None),
    ("3000", "Försäljning inom Sverige", "05", None),
    ("3001", "Försäljning inom Sverige, 25 % moms", "05", None),
    ("3002", "Försäljning inom Sverige, 12 % moms", "05", None),
    ("3003", "Försäljning inom Sverige, 6 % moms", "05", None),
    ("3004", "Försäljning inom Sverige, momsfri", "42", None),
    ("3010", "Försäljning varor", "05", None),
    ("3041", "Försäljning tjänst inom Sverige, 25 % moms", "05", None),
    ("3042", "Försäljning tjänst inom Sverige, 12 % moms", "05", None),
    ("3043", "Försäljning tjänst inom Sverige, 6 % moms", "05", None),
    ("3044", "Försäljning tjänst inom Sverige, momsfri", "42", None),
    ("3105", "Försäljning varor till land utanför EU", "36", None),
    ("3108", "Försäljning varor till annat EU-land, momsfri", "35", None),
    ("3305", "Försäljning tjänster till land utanför EU", "40", None),
    ("3308", "Försäljning tjänster till annat EU-land", "39", None),
    ("3540", "Faktureringsavgifter", "05", None),
    ("3590", "Övriga fakturerade kostnader (påminnelseavgifter)", None, None),
    ("3740", "Öres- och kronutjämning", None, None),
    ("3990", "Övriga ersättningar och intäkter", None, None),
    ("4010", "Inköp material och varor", None, None),
    ("5410", "Förbrukningsinventarier", None, None),
    ("6351", "Konstaterade förluster på kundfordringar", None, None),
    ("6352", "Befarade förluster på kundfordringar", None, None),
    ("6570", "Bankkostnader", None, None),
    ("6990", "Övriga externa kostnader", None, None),
    ("8313", "Ränteintäkter från kundfordringar", None, "income"),
    ("8410", "Räntekostnader för långfristiga skulder", None, "expense"),
    ("8999", "Årets resultat", None, "expense"),
]

# role in an automatic voucher -> account; settings "ledger.account.<role>" override
ACCOUNT_MAP: dict[str, str] = {
    "receivables": "1510",  # kundfordringar: an invoice's total
    "bank": "1930",
    "cash": "1910",
    "card": "1580",  # card and Swish receivables
    "customer_credit": "2420",  # overpayments kept for the customer (förskott från kunder)
    # ej identifierade inbetalningar: money in the bank that no invoice could be found for (a BgMax
    # payment with an unknown reference, a deduction) waits here until it is matched by hand
    "unidentified_payments": "2999",
    "vat_settlement": "2650",
    "input_vat": "2641",
    "output_vat.25": "2611",
    "output_vat.12": "2621",
    "output_vat.6": "2631",
    "sales.25": "3001",  # goods and other lines, by VAT rate
    "sales.12": "3002",
    "sales.6": "3003",
    "sales.0": "3004",
    "labour.25": "3041",  # invoice lines of kind labour, by VAT rate
    "labour.12": "3042",
    "labour.6": "3043",
    "labour.0": "3044",
    "sales.reverse_charge": "3108",  # goods to a VAT-registered customer in another EU country
    "labour.reverse_charge": "3308",
    "sales.export": "3105",  # outside the EU
    "labour.export": "3305",
    "invoice_fee": "3540",
    "reminder_fee": "3590",
    "rounding": "3740",  # öresavrundning
    "customer_loss": "6351",
    "expected_customer_loss": "6352",
    "interest_income": "8313",
    "equity": "2099",  # the year's result at year-end (bokslut: services.ledger.year_end)
    "year_result": "8999",  # the result account the year's result is moved from at year-end
}


def account_for(role: str, settings: dict | None = None) -> str:
    """The account number of ``role`` (a key of ACCOUNT_MAP), a setting overriding the table."""
    if settings:
        override = settings.get(f"ledger.account.{role}")
        if override:
            return str(override).strip()
    try:
        return ACCOUNT_MAP[role]
    except KeyError:
        raise LedgerError(_("No account is set for %(r)s.", r=role)) from None


def default_type(number: str) -> str:
    """The BAS class of an account number: 1 assets, 20xx equity, 2 liabilities, 3 income,
    4-7 expenses, 8: interest and similar income 80xx-83xx, the rest expenses."""
    if number[:1] == "1":
        return "asset"
    if number[:2] == "20":
        return "equity"
    if number[:1] == "2":
        return "liability"
    if number[:1] == "3":
        return "income"
    if number[:1] == "8" and number[:2] in ("80", "81", "82", "83"):
        return "income"
    return "expense"


def seed_accounts(session: Session) -> int:
    """Add the BAS accounts that are missing; returns how many were added. Does not commit."""
    existing = set(session.scalars(select(Account.number)))
    added = 0
    for number, name, vat_code, kind in BAS_ACCOUNTS:
        if number not in existing:
            session.add(Account(number=number, name=name, vat_code=vat_code, type=kind or default_type(number)))
            added += 1
    return added


def seed_financial_year(session: Session, today: dt.date | None = None) -> None:
    """The calendar year of ``today`` as a financial year when there is no year at all."""
    if session.scalar(select(FinancialYear.id).limit(1)) is None:
        today = today or dt.date.today()
        session.add(FinancialYear(start_date=dt.date(today.year, 1, 1), end_date=dt.date(today.year, 12, 31)))


def has_rows(session: Session, number: str) -> bool:
    """Transactions on the account, or an opening balance imported to it (SIE import): either
    keeps its number and keeps it from being deleted."""
    from models import OpeningBalance

    return bool(session.scalar(select(exists().where(VoucherRow.account_number == number)))
                or session.scalar(select(exists().where(OpeningBalance.account_number == number))))


def check_account(number, name, type_: str) -> tuple[str, str]:
    """A new or changed account's number and name as the register stores them."""
    number = (number or "").strip()
    if not (number.isdigit() and len(number) == 4):
        raise LedgerError(_("Give a four-digit account number (BAS)."), "number")
    if not (name or "").strip():
        raise LedgerError(_("A name is required."), "name")
    if type_ not in ACCOUNT_TYPES:
        raise LedgerError(_("Choose an account type."), "type")
    return number, name.strip()


def delete_account(session: Session, account: Account) -> None:
    """An account with transactions is kept (inactivate it instead)."""
    if has_rows(session, account.number):
        raise LedgerError(_("Account %(n)s has transactions; it cannot be deleted, only inactivated.",
                            n=account.number))
    session.delete(account)


def accounts_by_number(session: Session, numbers) -> dict[str, Account]:
    numbers = set(numbers)
    if not numbers:
        return {}
    return {a.number: a for a in session.scalars(select(Account).where(Account.number.in_(numbers)))}

