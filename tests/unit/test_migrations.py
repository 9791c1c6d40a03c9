"""The Alembic migrations build exactly the schema of models.py (on SQLite and PostgreSQL)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from models import db


def _ignored(name, type_, parent_names):
    # the search indexes (FTS5 tables, pg_trgm indexes) are created by raw DDL, not by models;
    # Huey's PostgreSQL storage (the job queue's tables and index, huey_*) may share the database:
    # the integration tests' consumers make them in the same worker's database
    return not ((type_ == "table" and name and "_fts" in name)
                or (type_ == "index" and name and name.endswith("_search_trgm"))
                or (type_ in ("table", "index") and name and name.startswith("huey_")))


def _search_index_kept_up(session) -> None:
    """A customer and a vehicle saved on the migrated database are found through the index: a
    batch rebuild of a table (0005 rebuilt the customer table) drops its FTS triggers."""
    from models import Country, Customer, Vehicle
    from services.platform import search

    session.add_all([Country(code="SE", name="Sverige", active=True), Customer(customer_number="9001", kind="company", name="Åbergs Indexkoll AB"),
                     Vehicle(registration_number="IDX901")])
    session.commit()
    for model, query in ((Customer, "indexkoll"), (Vehicle, "IDX901")):
        condition = search.search_condition("sqlite", model, query)
        assert session.query(model).filter(condition).count() == 1, (model.__name__, query)
    session.rollback()


def test_migrations_match_models(app):
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            if conn.dialect.name == "sqlite":
                for table in ("customer_fts", "vehicle_fts"):
                    conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _ignored})
            diffs = compare_metadata(context, db.metadata)
        assert diffs == []
        # the ledger's period guard as models.ledger_guard_ddl writes it: the closing series passes a lock
        with db.engine.connect() as conn:
            guard = conn.scalar(text(
                "SELECT sql FROM sqlite_master WHERE name = 'voucher_row_open_period'" if conn.dialect.name == "sqlite"
                else "SELECT pg_get_functiondef('ledger_open_period'::regproc)"))
        assert "voucher.series = 'BS'" in guard, guard
        tables = set(inspect(db.engine).get_table_names())
        if db.engine.dialect.name == "sqlite":
            assert "customer_fts" in tables
            _search_index_kept_up(db.session)
        # leave the schema as the other tests expect it
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()


def _migration_0018():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0018_sie_import.py"
    spec = importlib.util.spec_from_file_location("migration_0018", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0018_gives_the_ledger_rights_to_roles_made_before_the_ledger(app):
    """An installation seeded before the ledger: its Accountant and Service advisor roles get the
    ledger and payment rights a fresh install gives them, once, without duplicates; an office's
    own role and the rights a role already had are left as they were."""
    from flask_migrate import downgrade

    module = _migration_0018()
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            if conn.dialect.name == "sqlite":
                for table in ("customer_fts", "vehicle_fts"):
                    conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        try:
            upgrade(revision=module.down_revision)
            with db.engine.begin() as conn:
                for ident, name in ((1, "Accountant"), (2, "Service advisor"), (3, "Verkstadens egen")):
                    conn.execute(text("INSERT INTO role (id, name, is_admin, version) VALUES (:i, :n, false, 1)"),
                                 {"i": ident, "n": name})
                conn.execute(text("INSERT INTO role_right (role_id, \"right\") VALUES (1, 'customer.view'), "
                                  "(1, 'ledger.view'), (3, 'sales.view')"))
            upgrade(revision=module.revision)
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT role_id, \"right\" FROM role_right")).all()
            rights = {i: sorted(r for role, r in rows if role == i) for i in (1, 2, 3)}
            assert len(rows) == len(set(rows))  # no right twice
            assert rights[1] == sorted({"customer.view", *module.LEDGER_RIGHTS["Accountant"]})
            assert rights[2] == ["payments.register", "payments.view"]
            assert rights[3] == ["sales.view"]
            with db.engine.begin() as conn:  # once more: nothing to add
                assert module.grant_ledger_rights(conn) == 0
            downgrade(revision=module.down_revision)  # the downgrade runs too
        finally:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()


def test_0018_rights_are_those_of_a_fresh_install():
    """The migration's list is what rights.py gives the shipped roles of the ledger and payments
    areas: a fresh install and a migrated one end up with the same rights."""
    from services.platform.rights import DEFAULT_ROLES

    module = _migration_0018()
    for role, rights in DEFAULT_ROLES.items():
        shipped = {r for r in rights if r.split(".")[0] in ("ledger", "payments")}
        assert set(module.LEDGER_RIGHTS.get(role, ())) == shipped, role


def _migration_0020():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0020_workshop_staff.py"
    spec = importlib.util.spec_from_file_location("migration_0020", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0020_gives_the_workshop_rights_to_roles_made_before_the_workshop(app):
    """An installation seeded before the workshop: its Service advisor and Technician roles get the
    workshop rights a fresh install gives them, once, without duplicates; an office's own role is
    left alone; the skills are seeded."""
    from flask_migrate import downgrade

    module = _migration_0020()
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            if conn.dialect.name == "sqlite":
                for table in ("customer_fts", "vehicle_fts"):
                    conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        try:
            upgrade(revision=module.down_revision)
            with db.engine.begin() as conn:
                for ident, name in ((1, "Service advisor"), (2, "Technician"), (3, "Verkstadens egen")):
                    conn.execute(text("INSERT INTO role (id, name, is_admin, version) VALUES (:i, :n, false, 1)"),
                                 {"i": ident, "n": name})
                conn.execute(text("INSERT INTO role_right (role_id, \"right\") VALUES (1, 'workshop.view'), "
                                  "(3, 'sales.view')"))
            upgrade(revision=module.revision)
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT role_id, \"right\" FROM role_right")).all()
                skills = set(conn.execute(text("SELECT name FROM skill")).scalars())
            rights = {i: sorted(r for role, r in rows if role == i) for i in (1, 2, 3)}
            assert len(rows) == len(set(rows))
            assert rights[1] == ["workshop.manage", "workshop.view"]
            assert rights[2] == ["workshop.view"]
            assert rights[3] == ["sales.view"]
            assert {"AC", "Däck", "Diagnos"} <= skills
            with db.engine.begin() as conn:
                assert module.grant_workshop_rights(conn) == 0
            downgrade(revision=module.down_revision)
        finally:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()


def test_0020_rights_are_those_of_a_fresh_install():
    from services.platform.rights import DEFAULT_ROLES

    module = _migration_0020()
    for role, rights in DEFAULT_ROLES.items():
        shipped = {r for r in rights if r.startswith("workshop.")}
        assert set(module.WORKSHOP_RIGHTS.get(role, ())) == shipped, role
