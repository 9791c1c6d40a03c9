"""password reset and secrets: the user's must-change flag and reset-request counter, the
outbox message's purpose (a reset link is never shown), and the SMTP password encrypted

Revision ID: 0009_password_reset_secrets
Revises: 0008_search_index_triggers
Create Date: 2026-12-03 10:00:00

The SMTP password is encrypted here with the app's SECRET_KEY: migrations run inside the app
(migrations/env.py takes the engine from the Flask app, and create_app fills SECRET_KEY from the
environment or instance/secret_key). Were there no key, the value is left as it is and
services.platform.settings encrypts it on its first read.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_password_reset_secrets'
down_revision = '0008_search_index_triggers'
branch_labels = None
depends_on = None

SECRET_KEYS = ("sales.smtp_password",)
setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))


def _secret_key():
    from flask import current_app, has_app_context

    return current_app.config.get("SECRET_KEY") if has_app_context() else None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('reset_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reset_requests', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), nullable=False,
                                      server_default='document'))

    secret_key = _secret_key()
    if not secret_key:
        return  # encrypted on first read (services.platform.settings)
    from services.platform import secrets

    bind = op.get_bind()
    for key, value in bind.execute(sa.select(setting.c.key, setting.c.value).where(setting.c.key.in_(SECRET_KEYS))):
        if value and not secrets.is_encrypted(value):
            bind.execute(setting.update().where(setting.c.key == key)
                         .values(value=secrets.encrypt(str(value), secret_key)))


def downgrade():
    secret_key = _secret_key()
    if secret_key:
        from services.platform import secrets

        bind = op.get_bind()
        for key, value in bind.execute(sa.select(setting.c.key, setting.c.value)
                                       .where(setting.c.key.in_(SECRET_KEYS))):
            if secrets.is_encrypted(value):
                bind.execute(setting.update().where(setting.c.key == key)
                             .values(value=secrets.decrypt(value, secret_key) or ""))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('reset_requests')
        batch_op.drop_column('reset_requested_at')
        batch_op.drop_column('must_change_password')
