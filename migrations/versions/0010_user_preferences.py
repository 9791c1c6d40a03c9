"""user preferences: the form groups a user folds away and the booking calendar's zoom are kept
per user (they were not kept at all, or per browser)

Revision ID: 0010_user_preferences
Revises: 0009_password_reset_secrets
Create Date: 2026-12-03 12:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_user_preferences'
down_revision = '0009_password_reset_secrets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferences', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('preferences')
