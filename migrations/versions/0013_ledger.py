"""ledger (issue 12 item 6): chart of accounts, financial years, the period lock, vouchers and
their rows; triggers that refuse an update of a voucher or row and a row in a locked period or a
closed year (models.ledger_guard_ddl). The BAS accounts are seeded by init-db (seed_defaults).

Revision ID: 0013_ledger
Revises: 0012_outbox_jobs
Create Date: 2026-12-03 15:14:15
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_ledger'
down_revision = '0012_outbox_jobs'
branch_labels = None
depends_on = None

# the guard's DDL as of this revision (a copy: models.ledger_guard_ddl may change later)
LOCKED = ("EXISTS (SELECT 1 FROM ledger_period_lock WHERE locked_through >= NEW.date) "
          "OR EXISTS (SELECT 1 FROM financial_year WHERE closed {true} "
          "AND NEW.date >= start_date AND NEW.date <= end_date)")
GUARD = {
    "sqlite": [
        *(f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
          f"BEGIN SELECT RAISE(ABORT, 'ledger: a booked {t} is never changed'); END"
          for t in ("voucher", "voucher_row")),
        f"CREATE TRIGGER IF NOT EXISTS voucher_row_open_period BEFORE INSERT ON voucher_row "
        f"WHEN {LOCKED.format(true='= 1')} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger: the period is locked'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION ledger_no_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'ledger: a booked % is never changed', TG_TABLE_NAME; END $$",
        *(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} FOR EACH ROW "
          f"EXECUTE FUNCTION ledger_no_update()" for t in ("voucher", "voucher_row")),
        "CREATE OR REPLACE FUNCTION ledger_open_period() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF {LOCKED.format(true='')} THEN "
        "RAISE EXCEPTION 'ledger: the period of % is locked', NEW.date; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER voucher_row_open_period BEFORE INSERT ON voucher_row FOR EACH ROW "
        "EXECUTE FUNCTION ledger_open_period()",
    ],
}


def upgrade():
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('vat_code', sa.String(length=10), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name=op.f('ck_account_type')),
    sa.CheckConstraint('length(number) = 4', name=op.f('ck_account_number_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('number', name=op.f('uq_account_number'))
    )
    op.create_table('financial_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.CheckConstraint('end_date > start_date', name=op.f('ck_financial_year_end_after_start')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financial_year')),
    sa.UniqueConstraint('end_date', name=op.f('uq_financial_year_end_date')),
    sa.UniqueConstraint('start_date', name=op.f('uq_financial_year_start_date'))
    )
    op.create_table('ledger_period_lock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locked_through', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_ledger_period_lock_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_period_lock'))
    )
    with op.batch_alter_table('ledger_period_lock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_period_lock_locked_through'), ['locked_through'], unique=False)

    op.create_table('voucher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=4), nullable=False),
    sa.Column('financial_year_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('number > 0', name=op.f('ck_voucher_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_voucher_created_by_id_user')),
    sa.ForeignKeyConstraint(['financial_year_id'], ['financial_year.id'], name=op.f('fk_voucher_financial_year_id_financial_year')),
    sa.ForeignKeyConstraint(['reverses_id'], ['voucher.id'], name=op.f('fk_voucher_reverses_id_voucher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_voucher_reverses_id')),
    sa.UniqueConstraint('series', 'financial_year_id', 'number', name='uq_voucher_series_year_number')
    )
    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_date'), ['date'], unique=False)
        batch_op.create_index('ix_voucher_one_per_document', ['source_kind', 'source_id'], unique=True, sqlite_where=sa.text("source_kind IN ('invoice', 'credit_note')"), postgresql_where=sa.text("source_kind IN ('invoice', 'credit_note')"))
        batch_op.create_index('ix_voucher_source', ['source_kind', 'source_id'], unique=False)

    op.create_table('voucher_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('account_number', sa.String(length=4), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_voucher_row_amount_not_zero')),
    sa.ForeignKeyConstraint(['account_number'], ['account.number'], name=op.f('fk_voucher_row_account_number_account')),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], name=op.f('fk_voucher_row_voucher_id_voucher')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_row'))
    )
    with op.batch_alter_table('voucher_row', schema=None) as batch_op:
        batch_op.create_index('ix_voucher_row_account_date_id', ['account_number', 'date', 'id'], unique=False)
        batch_op.create_index('ix_voucher_row_date', ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_voucher_row_voucher_id'), ['voucher_id'], unique=False)

    for statement in GUARD.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    with op.batch_alter_table('voucher_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_row_voucher_id'))
        batch_op.drop_index('ix_voucher_row_date')
        batch_op.drop_index('ix_voucher_row_account_date_id')

    op.drop_table('voucher_row')
    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.drop_index('ix_voucher_source')
        batch_op.drop_index('ix_voucher_one_per_document', sqlite_where=sa.text("source_kind IN ('invoice', 'credit_note')"), postgresql_where=sa.text("source_kind IN ('invoice', 'credit_note')"))
        batch_op.drop_index(batch_op.f('ix_voucher_date'))

    op.drop_table('voucher')
    with op.batch_alter_table('ledger_period_lock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_period_lock_locked_through'))

    op.drop_table('ledger_period_lock')
    op.drop_table('financial_year')
    op.drop_table('account')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_no_update()")
        op.execute("DROP FUNCTION IF EXISTS ledger_open_period()")
