"""BgMax import (issue 12 item 2): the payer's organisation number on a payment (record 29, for
matching suggestions), the voucher that matches an unidentified payment by hand (moving it from
the suspense account to the invoices) with who and when, and an import's notes (deductions and
payments it left out).

Revision ID: 0016_bgmax_import
Revises: 0015_reminders
Create Date: 2026-12-03 16:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_bgmax_import'
down_revision = '0015_reminders'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bgmax_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payer_org_number', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('match_voucher_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('matched_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('matched_by_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_match_voucher_id'), ['match_voucher_id'])
        batch_op.create_foreign_key(batch_op.f('fk_payment_match_voucher_id_voucher'), 'voucher',
                                    ['match_voucher_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_payment_matched_by_id_user'), 'user', ['matched_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_matched_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_payment_match_voucher_id_voucher'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_payment_match_voucher_id'), type_='unique')
        batch_op.drop_column('matched_by_id')
        batch_op.drop_column('matched_at')
        batch_op.drop_column('match_voucher_id')
        batch_op.drop_column('payer_org_number')
    with op.batch_alter_table('bgmax_import', schema=None) as batch_op:
        batch_op.drop_column('notes')
