"""e-mail by default and editable e-mail texts (000 11.07, 11.09); insurance customers and
cases on orders, split invoicing (000 90.15, 90.16, 90.16.1)

Revision ID: 0005_salesgaps
Revises: 0004
Create Date: 2026-12-02 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_salesgaps'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_documents', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('is_insurer', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_customer_is_insurer'), ['is_insurer'], unique=False)

    op.create_table(
        'insurance_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('insurer_id', sa.Integer(), nullable=False),
        sa.Column('claim_number', sa.String(length=40), nullable=False),
        sa.Column('damage_date', sa.Date(), nullable=True),
        sa.Column('excess', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('forward_vat', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('owner_invoice_id', sa.Integer(), nullable=True),
        sa.Column('insurer_invoice_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('excess >= 0', name=op.f('ck_insurance_case_excess_not_negative')),
        sa.ForeignKeyConstraint(['insurer_id'], ['customer.id'], name=op.f('fk_insurance_case_insurer_id_customer')),
        sa.ForeignKeyConstraint(['owner_invoice_id'], ['invoice.id'],
                                name=op.f('fk_insurance_case_owner_invoice_id_invoice')),
        sa.ForeignKeyConstraint(['insurer_invoice_id'], ['invoice.id'],
                                name=op.f('fk_insurance_case_insurer_invoice_id_invoice')),
        sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_insurance_case_order_id_sales_order'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_case')),
        sa.UniqueConstraint('order_id', name=op.f('uq_insurance_case_order_id')),
    )
    with op.batch_alter_table('insurance_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_case_insurer_id'), ['insurer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insurance_case_owner_invoice_id'), ['owner_invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insurance_case_insurer_invoice_id'), ['insurer_invoice_id'],
                              unique=False)

    op.create_table(
        'message_text',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_type', sa.String(length=20), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("document_type IN ('invoice', 'credit_note', 'quote', 'order_confirmation')",
                           name=op.f('ck_message_text_document_type')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_text')),
        sa.UniqueConstraint('document_type', 'language', name='uq_message_text_document_type_language'),
    )


def downgrade():
    op.drop_table('message_text')
    with op.batch_alter_table('insurance_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insurance_case_insurer_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_insurance_case_owner_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_insurance_case_insurer_id'))
    op.drop_table('insurance_case')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_is_insurer'))
        batch_op.drop_column('is_insurer')
        batch_op.drop_column('email_documents')
