"""tags in the customer's search text (issue 10 item 8: the free-text search finds a customer by
a tag); services.platform.search.customer_search_text writes them last, this fills them in for the
customers tagged before

Revision ID: 0006_search_tags
Revises: 0005_salesgaps
Create Date: 2026-12-02 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_search_tags'
down_revision = '0005_salesgaps'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    tags: dict[int, list[str]] = {}
    for customer_id, name in conn.execute(sa.text(
            "SELECT ct.customer_id, t.name FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
            "ORDER BY ct.customer_id, t.name")):
        tags.setdefault(customer_id, []).append(name)
    for customer_id, names in tags.items():
        current = conn.scalar(sa.text("SELECT search_text FROM customer WHERE id = :i"), {"i": customer_id}) or ""
        parts = current.split(" | ") if current else []
        for name in names:
            value = (name or "").lower().strip()  # as services.platform.search._parts writes a value
            if value and value not in parts:
                parts.append(value)
        conn.execute(sa.text("UPDATE customer SET search_text = :s WHERE id = :i"),
                     {"s": " | ".join(parts), "i": customer_id})


def downgrade():
    # a tag in a search text does no harm to the schema before this revision; the next save of
    # the customer writes its text again
    pass
