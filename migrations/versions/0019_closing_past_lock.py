"""The year-end closing voucher may be booked into a locked period (issue 12 item 12): December's
VAT settlement locks the year's last day weeks before the accounts are closed, and the closing
voucher is dated on that day. The period guard lets rows of series BS through (still never into
a closed year).

Revision ID: 0019_closing_past_lock
Revises: 0018_sie_import
Create Date: 2026-12-04 02:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_closing_past_lock'
down_revision = '0018_sie_import'
branch_labels = None
depends_on = None

# the guard's DDL as of this revision (a copy: models.ledger_guard_ddl may change later)
LOCKED = ("(EXISTS (SELECT 1 FROM ledger_period_lock WHERE locked_through >= NEW.date) "
          "AND NOT EXISTS (SELECT 1 FROM voucher WHERE voucher.id = NEW.voucher_id AND voucher.series = 'BS')) "
          "OR EXISTS (SELECT 1 FROM financial_year WHERE closed {true} "
          "AND NEW.date >= start_date AND NEW.date <= end_date)")
BEFORE = ("EXISTS (SELECT 1 FROM ledger_period_lock WHERE locked_through >= NEW.date) "
          "OR EXISTS (SELECT 1 FROM financial_year WHERE closed {true} "
          "AND NEW.date >= start_date AND NEW.date <= end_date)")


def _guard(locked: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS voucher_row_open_period")
        op.execute("CREATE TRIGGER voucher_row_open_period BEFORE INSERT ON voucher_row "
                   f"WHEN {locked.format(true='= 1')} "
                   "BEGIN SELECT RAISE(ABORT, 'ledger: the period is locked'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION ledger_open_period() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN IF {locked.format(true='')} THEN "
                   "RAISE EXCEPTION 'ledger: the period of % is locked', NEW.date; END IF; RETURN NEW; END $$")


def upgrade():
    _guard(LOCKED)


def downgrade():
    _guard(BEFORE)
