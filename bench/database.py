"""The databases a benchmark works in: its SQLite file, and its PostgreSQL database (issue 9 item 25).

A benchmark uses the database it is given (the one named in its URL) and nothing else. It
creates that database when it does not exist and marks it as its own (table ``verkstad_bench``,
and a comment on a database it created). It never drops a database, and it drops tables only
in a database that carries its mark: a database holding tables without the mark is refused
with a clear error, so pointing a benchmark at a real database cannot destroy it."""
from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MARK_TABLE = "verkstad_bench"


def schema_version() -> str:
    """A short fingerprint of the models' tables, columns and indexes: a filled database is
    reused only by the schema it was filled with (a new table or column refills it, instead of
    failing in the middle of a measure)."""
    import hashlib

    from models import db

    parts = []
    for table in sorted(db.metadata.tables.values(), key=lambda t: t.name):
        parts.append(table.name + ":" + ",".join(f"{c.name} {c.type!r}" for c in table.columns))
        parts += sorted(f"{i.name}({','.join(c.name for c in i.columns)})" for i in table.indexes)
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:8]


def sqlite_file(name: str) -> Path:
    """Where a benchmark keeps its filled SQLite database ``name``, to reuse it in the next run:
    under VERKSTAD_BENCH_DIR, by default instance/, the schema's fingerprint in the name; the
    folder is made when it is missing."""
    from config.settings import BASE_DIR

    folder = Path(os.environ.get("VERKSTAD_BENCH_DIR", BASE_DIR / "instance"))
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(name)
    return folder / f"{path.stem}-s{schema_version()}{path.suffix}"


class ForeignDatabase(click.ClickException):
    """The named database holds tables the benchmark did not create."""


def _exists(admin, name: str) -> bool:
    with admin.connect() as conn:
        return bool(conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))


def _tables(conn) -> list[str]:
    return list(conn.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")))


def claim(url: str, fill_key: str, refill: bool = False, echo=click.echo) -> bool:
    """Make the database named in ``url`` the benchmark's, for data described by ``fill_key``.

    True: it already holds a finished fill of ``fill_key`` (reuse it). False: it is empty and
    marked as the benchmark's, ready to be filled (then call ``mark_done``). Raises
    ForeignDatabase when the database holds tables without the benchmark's mark."""
    from models import db

    fill_key = f"{fill_key} schema {schema_version()}"
    target = make_url(url)
    name = target.database
    if not name:
        raise click.ClickException(f"the PostgreSQL URL names no database: {target!r}")
    # pg_database is readable from any database; connect to the maintenance database "postgres"
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        if not _exists(admin, name):
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS 'created by the Verkstad benchmarks'"))
            echo(f"PostgreSQL: created database {name} for the benchmark")
    finally:
        admin.dispose()
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            tables = _tables(conn)
            if MARK_TABLE not in tables:
                if tables:
                    raise ForeignDatabase(
                        f"database {name} holds {len(tables)} tables the benchmark did not create "
                        f"({', '.join(tables[:5])}{', ...' if len(tables) > 5 else ''}); it is left untouched. "
                        "Name an empty database, or one that does not exist yet, in the URL.")
                conn.execute(text(f"CREATE TABLE {MARK_TABLE} (fill_key text NOT NULL, done boolean NOT NULL)"))
                conn.execute(text(f"INSERT INTO {MARK_TABLE} VALUES (:k, false)"), {"k": fill_key})
                return False
            row = conn.execute(text(f"SELECT fill_key, done FROM {MARK_TABLE}")).first()
            if row is not None and row.fill_key == fill_key and row.done and not refill:
                echo(f"PostgreSQL: reusing database {name} ({fill_key})")
                return True
        # the benchmark's own database: drop the tables it created (the schema), keep the mark
        echo(f"PostgreSQL: emptying the benchmark's database {name} for {fill_key}")
        db.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {MARK_TABLE}"))
            conn.execute(text(f"INSERT INTO {MARK_TABLE} VALUES (:k, false)"), {"k": fill_key})
        return False
    finally:
        engine.dispose()


def mark_done(url: str) -> None:
    """The fill of the benchmark's database is complete (reused by the next run)."""
    engine = create_engine(make_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {MARK_TABLE} SET done = true"))
    finally:
        engine.dispose()
