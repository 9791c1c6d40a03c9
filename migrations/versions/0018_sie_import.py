"""SIE import and the gaps of issue 12: opening balances brought in from another system
(opening_balance, SIE #IB 0), an account's SRU code (#SRU), the collective-invoice number of an
invoice (samlingsfakturanummer, 20.24); and a data migration: installations made before the
ledger existed give the roles shipped with Verkstad the ledger and payment rights a fresh
installation gives them (services.platform.rights.DEFAULT_ROLES), without duplicating a right
a role has already.

Revision ID: 0018_sie_import
Revises: 0017_year_end
Create Date: 2026-12-04 01:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_sie_import'
down_revision = '0017_year_end'
branch_labels = None
depends_on = None

# the ledger's and payments' rights of the shipped roles as rights.py gives them in a fresh
# install (kept here as data: a migration must not change when rights.py later does;
# tests/unit/test_migrations.py checks that they agree)
LEDGER_RIGHTS = {
    "Accountant": ("ledger.view", "ledger.book", "ledger.lock", "ledger.export", "ledger.reports",
                   "ledger.vat_settle", "ledger.reminders", "ledger.interest", "ledger.write_off",
                   "payments.view", "payments.register"),
    "Service advisor": ("payments.view", "payments.register"),
}


def grant_ledger_rights(conn) -> int:
    """Give each shipped role that exists the rights above it lacks; returns how many were added.
    A role an office deleted or renamed is left alone; running it again adds nothing."""
    role = sa.table("role", sa.column("id", sa.Integer), sa.column("name", sa.String))
    role_right = sa.table("role_right", sa.column("role_id", sa.Integer), sa.column("right", sa.String))
    added = 0
    for name, rights in LEDGER_RIGHTS.items():
        role_id = conn.execute(sa.select(role.c.id).where(role.c.name == name)).scalar()
        if role_id is None:
            continue
        have = set(conn.execute(sa.select(role_right.c.right).where(role_right.c.role_id == role_id)).scalars())
        missing = [r for r in rights if r not in have]
        if missing:
            conn.execute(role_right.insert(), [{"role_id": role_id, "right": r} for r in missing])
            added += len(missing)
    return added


def upgrade():
    op.create_table(
        'opening_balance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('financial_year_id', sa.Integer(), nullable=False),
        sa.Column('account_number', sa.String(length=4), nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_number'], ['account.number'],
                                name=op.f('fk_opening_balance_account_number_account')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_opening_balance_created_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['financial_year_id'], ['financial_year.id'],
                                name=op.f('fk_opening_balance_financial_year_id_financial_year')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_balance')),
        sa.UniqueConstraint('financial_year_id', 'account_number', name='uq_opening_balance_year_account'),
    )
    with op.batch_alter_table('opening_balance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_balance_account_number'), ['account_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_opening_balance_financial_year_id'), ['financial_year_id'], unique=False)
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sru_code', sa.String(length=10), nullable=True))
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collective_number', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoice_collective_number'), ['collective_number'], unique=False)
    grant_ledger_rights(op.get_bind())


def downgrade():
    # the rights given stay (a right granted is the office's data now)
    # ALTER TABLE ... DROP COLUMN, not a batch: a batch copies the table and cannot drop the old
    # one while voucher rows, payments and invoice lines refer to it (SQLite 3.35+ drops columns)
    op.drop_index(op.f('ix_invoice_collective_number'), table_name='invoice')
    op.execute("ALTER TABLE invoice DROP COLUMN collective_number")
    op.execute("ALTER TABLE account DROP COLUMN sru_code")
    with op.batch_alter_table('opening_balance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_balance_financial_year_id'))
        batch_op.drop_index(batch_op.f('ix_opening_balance_account_number'))
    op.drop_table('opening_balance')
