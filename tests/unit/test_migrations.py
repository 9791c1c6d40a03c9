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
        tables = set(inspect(db.engine).get_table_names())
        if db.engine.dialect.name == "sqlite":
            assert "customer_fts" in tables
            _search_index_kept_up(db.session)
        # leave the schema as the other tests expect it
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
