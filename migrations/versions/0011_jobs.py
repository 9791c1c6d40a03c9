"""jobs: a record of every piece of long work a user starts (kind, who, when, status, progress,
summary, result file, error), shown on the Jobs page; the job queue itself is Huey's storage

Revision ID: 0011_jobs
Revises: 0010_user_preferences
Create Date: 2026-12-03 14:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_jobs'
down_revision = '0010_user_preferences'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=True),
        sa.Column('summary', sa.String(length=500), nullable=True),
        sa.Column('result_path', sa.String(length=300), nullable=True),
        sa.Column('result_name', sa.String(length=200), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('worker', sa.String(length=200), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name=op.f('ck_job_status')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_job_user_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_status', ['status'], unique=False)
        batch_op.create_index('ix_job_user_created', ['user_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_user_created')
        batch_op.drop_index('ix_job_status')
    op.drop_table('job')
