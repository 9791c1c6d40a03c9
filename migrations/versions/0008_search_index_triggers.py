"""search index triggers back on the customer table (SQLite): 0005's batch rebuild of the
customer table dropped its FTS triggers, so customers saved since were not found by name, tag
or e-mail on a migrated database; the triggers are made again and the index rebuilt

Revision ID: 0008_search_index_triggers
Revises: 0007_custom_field_kinds
Create Date: 2026-12-02 18:40:00

"""
from alembic import op

from models import SEARCH_INDEXED, search_index_ddl

# revision identifiers, used by Alembic.
revision = '0008_search_index_triggers'
down_revision = '0007_custom_field_kinds'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for table in SEARCH_INDEXED:
        for statement in search_index_ddl(dialect, table):
            op.execute(statement)  # IF NOT EXISTS: what survived stays as it is
        if dialect == "sqlite":
            op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def downgrade():
    pass  # the triggers belong to the schema since 0001
