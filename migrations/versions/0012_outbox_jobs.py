"""outbox sending on the job queue: status 'sending', attempts and the time the message's job
is due (issue 11 item 3)

Revision ID: 0012_outbox_jobs
Revises: 0011_jobs
Create Date: 2026-12-03 11:20:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_outbox_jobs'
down_revision = '0011_jobs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_message_status'),
                                         "status IN ('queued', 'sending', 'sent', 'failed')")


def downgrade():
    op.execute("UPDATE outbox_message SET status = 'queued' WHERE status = 'sending'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_message_status'),
                                         "status IN ('queued', 'sent', 'failed')")
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
