"""SIE 4 import of a chart of accounts and opening balances (issue 12 item 7,
services.ledger.sie_import and `flask import-sie`) on the real example files in
../shared/formats/sie/ and broken copies of them: the preview (new, renamed, unchanged accounts,
opening balances), the import (accounts, SRU codes, the opening balances as the balance summary,
the general ledger and the SIE export read them), and what is refused with its line."""
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Account, FinancialYear, LedgerPeriodLock, OpeningBalance
from services.ledger import LedgerError, balances, sie_export, sie_import
from services.ledger.sie_read import read_sie, verify
from services.ledger.vouchers import book_voucher
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

FORMATS = Path("/work/shared/formats/sie")
OFFICIAL = FORMATS / "SIE4_Exempelfil_official.SE"  # 530 accounts, 26 #IB 0 for 2021, 529 #SRU
NORSTEDTS = FORMATS / "Norstedts_Bokslut_SIE_4I_with_KSUMMA.si"  # 351 accounts, TABs, no #IB
START, END = dt.date(2021, 1, 1), dt.date(2021, 12, 31)


def _official() -> bytes:
    return OFFICIAL.read_bytes()


def _small(ib=("1930 1000.00", "2081 -1000.00"), extra: str = "", rar: str = "#RAR 0 20210101 20211231\r\n",
           encoding: str = "cp437") -> bytes:
    text = ("#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n" + rar
            + '#KONTO 1930 "Företagskonto Nordea"\r\n#KTYP 1930 T\r\n#SRU 1930 7281\r\n'
              '#KONTO 2081 Aktiekapital\r\n#KTYP 2081 S\r\n#KONTO 1941 "Bank, Åland"\r\n#KTYP 1941 T\r\n'
              '#KONTO 3001 "Försäljning 25 %"\r\n#KTYP 3001 I\r\n'
            + extra + "".join(f"#IB 0 {line}\r\n" for line in ib))
    return text.encode(encoding)


def test_the_official_file_is_previewed_and_imported(session):
    data = _official()
    preview = sie_import.preview(session, data)
    assert session.scalar(select(func.count()).select_from(OpeningBalance)) == 0  # a preview writes nothing
    sie = read_sie(data, check_balance=False)
    assert len(preview.new) + len(preview.renamed) + len(preview.unchanged) == len(sie.accounts) == 530
    by_number = {c.number: c for c in (*preview.new, *preview.renamed, *preview.unchanged)}
    assert by_number["1510"] in preview.renamed  # "Kundfordringar" is seeded; the file's name differs
    assert len(preview.opening) == 26 and preview.opening_total == 0
    assert {o.number: o.amount for o in preview.opening}["1930"] == D("938311.64")
    assert (preview.year_start, preview.year_end, preview.year_exists) == (START, END, False)
    assert preview.vouchers_ignored == 295

    sie_import.apply_import(session, data, None)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Account).where(
        Account.number.in_(list(sie.accounts)))) == 530
    bank = session.scalar(select(Account).where(Account.number == "1930"))
    assert (bank.name, bank.sru_code) == (sie.accounts["1930"].name, "7281")
    assert session.scalar(select(Account).where(Account.number == "2081")).type == "equity"
    assert session.scalar(select(Account).where(Account.number == "2440")).type == "liability"
    year = session.scalar(select(FinancialYear).where(FinancialYear.start_date == START))
    assert year is not None and year.end_date == END

    # the balance summary, the general ledger and the SIE export read the same opening balances
    summary = balances.balance_summary(session, START, END)
    opening = {line.number: line.opening for line in summary.lines}
    assert opening == {n: a for n, a in sie.opening[0].items() if a}
    assert summary.totals[0] == 0
    assert balances.opening_balance(session, bank, dt.date(2021, 6, 1)) == D("938311.64")
    assert balances.opening_balance(session, bank, dt.date(2020, 12, 31)) == 0  # before the year it opens
    book_voucher(session, "M", dt.date(2021, 3, 1), [("1930", "100.00"), ("2081", "-100.00")], "Insättning", None)
    session.commit()
    page = balances.general_ledger(session, bank, START, END)
    assert (page.opening, page.closing) == (D("938311.64"), D("938411.64"))
    out = sie_export.build_export(session, START, END, h.settings(session))
    assert {b.account: b.amount for b in out.opening if b.year == 0} == opening
    assert {b.account: b.amount for b in out.closing if b.year == 0}["1930"] == D("938411.64")


def test_the_export_of_imported_balances_reads_back_sound(session, tmp_path):
    sie_import.apply_import(session, _small(), None)
    session.commit()
    book_voucher(session, "M", dt.date(2021, 2, 1), [("1930", "50.00"), ("3001", "-50.00")], "Kontant", None)
    session.commit()
    path = tmp_path / "out.se"
    sie_export.export_to_file(session, path, START, END, h.settings(session))
    back = read_sie(path.read_bytes())
    assert verify(back) == []
    assert back.opening[0] == {"1930": D("1000.00"), "2081": D("-1000.00")}
    assert back.closing[0]["1930"] == D("1050.00")


def test_renamed_unchanged_and_new_accounts(session):
    session.scalar(select(Account).where(Account.number == "1930")).name = "Företagskonto Nordea"
    session.commit()
    preview = sie_import.preview(session, _small())
    assert [c.number for c in preview.unchanged] == ["2081"]  # the seeded name
    assert [c.number for c in preview.renamed] == ["1930", "3001"]  # 1930: the same name, an SRU code
    assert [(c.number, c.type) for c in preview.new] == [("1941", "asset")]
    sie_import.apply_import(session, _small(), None)
    session.commit()
    again = sie_import.preview(session, _small())  # the same file again: nothing new, balances replaced
    assert {c.number for c in again.unchanged} == {"1930", "1941", "2081", "3001"}
    assert not again.new and not again.renamed and again.replaces == 2
    sie_import.apply_import(session, _small(ib=("1930 10.00", "2081 -10.00")), None)
    session.commit()
    assert dict(session.execute(select(OpeningBalance.account_number, OpeningBalance.amount)).all()) == {
        "1930": D("10.00"), "2081": D("-10.00")}


def test_a_chart_without_opening_balances(session):
    preview = sie_import.preview(session, NORSTEDTS.read_bytes())  # TAB-separated, with #KSUMMA
    assert len(preview.new) + len(preview.renamed) + len(preview.unchanged) == 351 and not preview.opening
    sie_import.apply_import(session, NORSTEDTS.read_bytes(), None)
    session.commit()
    assert session.scalar(select(Account).where(Account.number == "1011")).name == "Bal utgifter forskning/utveckling"
    assert session.scalar(select(func.count()).select_from(OpeningBalance)) == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "latin-1"])
def test_other_encodings_are_detected(session, encoding):
    preview = sie_import.preview(session, _small(encoding=encoding))
    names = {c.number: c.name for c in (*preview.new, *preview.renamed)}
    assert names["1930"] == "Företagskonto Nordea" and names["1941"] == "Bank, Åland"
    assert preview.warnings  # not PC8 as the format requires: said, but read


def _refused(session, data) -> str:
    with pytest.raises(LedgerError) as caught:
        sie_import.apply_import(session, data, None)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OpeningBalance)) == 0
    assert session.scalar(select(Account).where(Account.number == "1941")) is None  # all or nothing
    return caught.value.message


def test_an_unbalanced_opening_is_refused(session):
    message = _refused(session, _small(ib=("1930 1000.00", "2081 -999.99")))
    assert "sum to 0.01\xa0kr, not 0" in message
    broken = _official().replace(b"#IB 0 1930 938311.64", b"#IB 0 1930 938311.65")
    assert "sum to 0.01\xa0kr, not 0" in _refused(session, broken)


def test_malformed_lines_are_refused_with_their_number(session):
    data = _official()
    lines = data.split(b"\n")
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith(b"#IB 0 1930"))
    lines[number - 1] = b"#IB 0 1930 9383l1.64\r"
    message = _refused(session, b"\n".join(lines))
    assert message.startswith(f"Line {number}:") and "not an amount" in message
    assert _refused(session, _small(extra="#KONTO 19301 Underkonto\r\n")).startswith("Line 14:")
    assert "four-digit" in _refused(session, _small(extra="#KONTO 19301 Underkonto\r\n"))
    assert "has no name" in _refused(session, _small(extra='#KONTO 1942 ""\r\n'))
    assert "not an account type" in _refused(session, _small(extra="#KONTO 1942 Bank\r\n#KTYP 1942 X\r\n"))
    message = _refused(session, _small(ib=("1930 1000.00", "3001 -1000.00")))
    assert message.startswith("Line 15:") and "result account" in message
    assert "neither in the file" in _refused(session, _small(ib=("1930 1000.00", "1999 -1000.00")))


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"%PDF-1.4\n%\xe2\xe3\n", b"01BGMAX               0120120914173035010331P\n",
                                  b"PK\x03\x04\x14\x00"])
def test_a_file_of_another_format_is_refused(session, data):
    message = _refused(session, data)
    assert "not an SIE file" in message or "empty" in message


def test_opening_balances_need_a_year(session):
    assert "no financial year" in _refused(session, _small(rar=""))
    assert "ends before it starts" in _refused(session, _small(rar="#RAR 0 20211231 20210101\r\n"))


def test_a_year_with_vouchers_or_closed_or_locked_is_refused(session):
    year = FinancialYear(start_date=START, end_date=END)
    session.add(year)
    session.commit()
    assert sie_import.preview(session, _small()).year_exists
    book_voucher(session, "M", dt.date(2021, 5, 1), [("1930", "1.00"), ("2081", "-1.00")], "Bokad", None)
    session.commit()
    assert "already has vouchers" in _refused(session, _small())


def test_a_closed_year_is_refused(session):
    session.add(FinancialYear(start_date=START, end_date=END, closed=True))
    session.commit()
    assert "is closed" in _refused(session, _small())


def test_a_locked_period_is_refused(session):
    session.add(LedgerPeriodLock(locked_through=dt.date(2021, 3, 31)))
    session.commit()
    assert "locked through 2021-03-31" in _refused(session, _small())


def test_a_year_that_overlaps_another_is_refused(session):
    session.add(FinancialYear(start_date=dt.date(2020, 7, 1), end_date=dt.date(2021, 6, 30)))
    session.commit()
    assert "overlaps" in _refused(session, _small())


def test_the_chart_alone_is_imported_into_a_year_with_vouchers(session):
    """Only opening balances need an empty year: accounts are imported whatever the books hold."""
    book_voucher(session, "M", dt.date.today(), [("1930", "1.00"), ("2081", "-1.00")], "Bokad", None)
    session.commit()
    sie_import.apply_import(session, _small(ib=()), None)
    session.commit()
    assert session.scalar(select(Account).where(Account.number == "1941")).name == "Bank, Åland"


def test_the_command(app, session, runner, tmp_path):
    path = tmp_path / "books.se"
    path.write_bytes(_small(ib=("1930 5.00", "2081 -4.00")))
    result = runner.invoke(args=["import-sie", str(path)])
    assert result.exit_code != 0 and "sum to 1.00" in result.output
    assert session.scalar(select(Account).where(Account.number == "1941")) is None
    path.write_bytes(_small())
    result = runner.invoke(args=["import-sie", str(path), "--dry-run"])
    assert result.exit_code == 0 and "1 new" in result.output
    assert session.scalar(select(Account).where(Account.number == "1941")) is None
    result = runner.invoke(args=["import-sie", str(path)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalar(select(Account).where(Account.number == "1941")) is not None
    assert session.scalar(select(func.count()).select_from(OpeningBalance)) == 2


def test_year_end_reads_the_imported_opening_balances(session):
    """Closing a year that opened with imported balances: the balance sheet (imported IB plus the
    year's rows) balances with the result, and the next year opens with them."""
    from services.ledger import year_end

    sie_import.apply_import(session, _small(), None)
    session.commit()
    book_voucher(session, "M", dt.date(2021, 2, 1), [("1930", "50.00"), ("3001", "-50.00")], "Kontant", None)
    session.commit()
    year = session.scalar(select(FinancialYear).where(FinancialYear.start_date == START))
    plan = year_end.preview(session, year, h.settings(session))
    assert plan.problems == []
    assert {line.number: line.closing for line in plan.balance_lines}["1930"] == D("1050.00")
    year_end.close_year(session, year, None, h.settings(session))
    session.commit()
    assert balances.opening_balance(session, session.scalar(select(Account).where(Account.number == "2081")),
                                    dt.date(2022, 1, 1)) == D("-1000.00")


def test_an_account_with_an_imported_opening_balance_is_kept(session):
    """Like one with transactions: not deleted, its number kept (services.ledger.accounts)."""
    from services.ledger import accounts

    sie_import.apply_import(session, _small(), None)
    session.commit()
    bank = session.scalar(select(Account).where(Account.number == "1941"))
    assert not accounts.has_rows(session, "1941")
    with pytest.raises(LedgerError, match="cannot be deleted"):
        accounts.delete_account(session, session.scalar(select(Account).where(Account.number == "1930")))
    accounts.delete_account(session, bank)  # no opening balance, no rows: it may go
    session.commit()
