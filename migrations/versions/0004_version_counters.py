"""version counters on the settings registers, packages, users and roles: a form saved over
someone else's newer save is refused

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ('account_manager_title', 'article_group', 'company_type', 'contact_title', 'cost_center', 'country',
          'customer_level', 'discount_letter', 'district', 'model_group', 'package', 'payment_term', 'role',
          'source', 'tag', 'user', 'vat_rate', 'vehicle_category', 'vehicle_make')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
