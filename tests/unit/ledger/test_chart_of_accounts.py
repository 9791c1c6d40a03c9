"""Issue 13 item 4: the seeded chart of accounts is the part of BAS 2025 a car workshop uses
(1790 for prepaid costs, 6110 office supplies, ...), each number once, four digits, typed by its
BAS class, and seeding is idempotent: an existing account keeps what the office made of it."""
import re

from sqlalchemy import select

from models import ACCOUNT_TYPES, Account
from services.ledger import accounts


def _expected_type(number: str) -> str:
    if number[0] == "1":
        return "asset"
    if number[:2] == "20":
        return "equity"
    if number[0] == "2":
        return "liability"
    if number[0] == "3" or "8000" <= number <= "8399":
        return "income"
    return "expense"


def test_the_seed_list_is_unique_four_digit_and_typed_by_class():
    numbers = [n for n, *_ in accounts.BAS_ACCOUNTS]
    assert len(numbers) == len(set(numbers)) and len(numbers) >= 120
    assert all(re.fullmatch(r"[1-8]\d{3}", n) for n in numbers)
    for number, name, _vat, kind in accounts.BAS_ACCOUNTS:
        typed = kind or accounts.default_type(number)
        assert typed in ACCOUNT_TYPES and name.strip()
        assert typed == _expected_type(number), number
    wanted = {"1220", "1229", "1460", "1510", "1519", "1630", "1650", "1710", "1790", "1910", "1920", "1930",
              "1940", "2081", "2091", "2098", "2099", "2350", "2440", "2510", "2611", "2641", "2650", "2710",
              "2730", "2820", "2890", "2893", "2920", "2940", "2990", "2999", "3001", "3041", "3540", "3590",
              "3740", "3960", "4010", "4531", "4535", "4545", "4600", "5010", "5460", "5611", "5615", "6110",
              "6211", "6212", "6351", "6570", "6991", "6992", "7010", "7210", "7510", "7831", "7832", "8310",
              "8313", "8410", "8422", "8910", "8999"}
    assert wanted <= set(numbers)
    # every account an automatic voucher books to is in the chart
    assert set(accounts.ACCOUNT_MAP.values()) <= set(numbers)


def test_seeding_adds_the_missing_accounts_and_keeps_the_existing(session):
    chart = {a.number: a for a in session.scalars(select(Account))}
    assert {"1790", "6110"} <= set(chart)
    assert chart["1790"].type == "asset" and chart["6110"].type == "expense" and chart["8310"].type == "income"
    assert chart["1790"].name == "Övriga förutbetalda kostnader och upplupna intäkter"
    # an installation seeded before: accounts missing, one renamed by the office
    session.delete(chart["6110"])
    chart["1930"].name = "Swedbank"
    session.flush()
    assert accounts.seed_accounts(session) == 1
    assert session.scalar(select(Account.name).where(Account.number == "1930")) == "Swedbank"
    assert session.scalar(select(Account.name).where(Account.number == "6110")) == "Kontorsmateriel"
    assert accounts.seed_accounts(session) == 0
