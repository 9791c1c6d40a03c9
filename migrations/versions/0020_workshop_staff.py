"""The workshop's staff and resources (issue 13 item 1): skill (kompetens), resource (personal,
arbetsplats, lyft) and resource_skill; and a data migration: the roles shipped with Verkstad get
the workshop rights a fresh installation gives them (services.platform.rights.DEFAULT_ROLES),
without duplicating a right a role has already.

Revision ID: 0020_workshop_staff
Revises: 0019_closing_past_lock
Create Date: 2026-12-04 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_workshop_staff'
down_revision = '0019_closing_past_lock'
branch_labels = None
depends_on = None

# the workshop rights of the shipped roles as rights.py gives them in a fresh install (kept here
# as data: a migration must not change when rights.py later does; tests/unit/test_migrations.py
# checks that they agree)
WORKSHOP_RIGHTS = {
    "Service advisor": ("workshop.view", "workshop.manage"),
    "Technician": ("workshop.view",),
}


def grant_workshop_rights(conn) -> int:
    """Give each shipped role that exists the rights above it lacks; returns how many were added."""
    role = sa.table("role", sa.column("id", sa.Integer), sa.column("name", sa.String))
    role_right = sa.table("role_right", sa.column("role_id", sa.Integer), sa.column("right", sa.String))
    added = 0
    for name, rights in WORKSHOP_RIGHTS.items():
        role_id = conn.execute(sa.select(role.c.id).where(role.c.name == name)).scalar()
        if role_id is None:
            continue
        have = set(conn.execute(sa.select(role_right.c.right).where(role_right.c.role_id == role_id)).scalars())
        missing = [r for r in rights if r not in have]
        if missing:
            conn.execute(role_right.insert(), [{"role_id": role_id, "right": r} for r in missing])
            added += len(missing)
    return added


def upgrade():
    op.create_table(
        'skill',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_skill')),
        sa.UniqueConstraint('name', name=op.f('uq_skill_name')),
    )
    op.create_table(
        'resource',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('staff_number', sa.String(length=20), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('floor_role', sa.String(length=12), nullable=True),
        sa.Column('hourly_cost', sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column('hourly_rate', sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column('pin_hash', sa.String(length=256), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("kind IN ('staff', 'bay', 'lift')", name=op.f('ck_resource_kind')),
        sa.CheckConstraint("floor_role IS NULL OR floor_role IN ('technician', 'advisor', 'other')",
                           name=op.f('ck_resource_floor_role')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_resource_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resource')),
        sa.UniqueConstraint('staff_number', name=op.f('uq_resource_staff_number')),
    )
    op.create_table(
        'resource_skill',
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('skill_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_skill_resource_id_resource'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['skill_id'], ['skill.id'], name=op.f('fk_resource_skill_skill_id_skill'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('resource_id', 'skill_id', name=op.f('pk_resource_skill')),
    )
    op.create_index(op.f('ix_resource_skill_skill_id'), 'resource_skill', ['skill_id'], unique=False)
    skill = sa.table("skill", sa.column("name", sa.String), sa.column("active", sa.Boolean))
    op.bulk_insert(skill, [{"name": n, "active": True}
                           for n in ("AC", "Däck", "Diagnos", "Elektronik", "Plåt", "Service")])
    grant_workshop_rights(op.get_bind())


def downgrade():
    # the rights given stay (a right granted is the office's data now)
    op.drop_index(op.f('ix_resource_skill_skill_id'), table_name='resource_skill')
    op.drop_table('resource_skill')
    op.drop_table('resource')
    op.drop_table('skill')
