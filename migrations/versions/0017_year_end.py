"""Accrual templates and budgets (issue 12 item 12, 20.14 and 20.15): accrual_template
(periodiseringsmall: accounts, total, start month, months, when generated) and budget (an
amount per financial year, account and month). Year-end itself needs no table (20.07).

Revision ID: 0017_year_end
Revises: 0016a_voucher_row_covering
Create Date: 2026-12-04 01:37:18.227026

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_year_end'
down_revision = '0016a_voucher_row_covering'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('financial_year_id', sa.Integer(), nullable=False),
    sa.Column('account_number', sa.String(length=4), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['account_number'], ['account.number'], name=op.f('fk_budget_account_number_account')),
    sa.ForeignKeyConstraint(['financial_year_id'], ['financial_year.id'], name=op.f('fk_budget_financial_year_id_financial_year')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget')),
    sa.UniqueConstraint('financial_year_id', 'account_number', 'month', name='uq_budget_year_account_month')
    )
    op.create_table('accrual_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('accrual_account_number', sa.String(length=4), nullable=False),
    sa.Column('result_account_number', sa.String(length=4), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('start_month', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('generated_at', sa.DateTime(), nullable=True),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('cost', 'revenue')", name=op.f('ck_accrual_template_kind')),
    sa.CheckConstraint('months >= 1 AND months <= 120', name=op.f('ck_accrual_template_months_range')),
    sa.CheckConstraint('total > 0', name=op.f('ck_accrual_template_total_positive')),
    sa.ForeignKeyConstraint(['accrual_account_number'], ['account.number'], name=op.f('fk_accrual_template_accrual_account_number_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_accrual_template_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['generated_by_id'], ['user.id'], name=op.f('fk_accrual_template_generated_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['result_account_number'], ['account.number'], name=op.f('fk_accrual_template_result_account_number_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accrual_template'))
    )


def downgrade():
    op.drop_table('accrual_template')
    op.drop_table('budget')
