"""custom fields for one customer kind (issue 10 item 8: a custom field can say which customer
kinds it applies to)

Revision ID: 0007_custom_field_kinds
Revises: 0006_search_tags
Create Date: 2026-12-02 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_custom_field_kinds'
down_revision = '0006_search_tags'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('custom_field', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kinds', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('custom_field', schema=None) as batch_op:
        batch_op.drop_column('kinds')
