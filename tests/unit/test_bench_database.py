"""The benchmarks' PostgreSQL database (bench/database.py): issue 9 item 25."""
import os
import uuid

import click
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import database

pytestmark = pytest.mark.pg


@pytest.fixture
def names():
    """Names of databases for the test; every one the test created is dropped after it."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    made: list[str] = []

    def url(label: str) -> str:
        name = f"verkstad_benchtest_{label}_{uuid.uuid4().hex[:6]}"
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield url
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _exists(url: str) -> bool:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": make_url(url).database})
    admin.dispose()
    return bool(found)


def _sql(url: str, statement: str):
    engine = create_engine(url)
    with engine.begin() as conn:
        result = conn.execute(text(statement))
        value = result.all() if result.returns_rows else None
    engine.dispose()
    return value


def test_benchmark_uses_the_named_database_and_never_drops_another(names):
    """Issue 9 item 25: the benchmark works in the database named in its URL: it creates it
    when missing and marks it as its own, reuses a finished fill, empties only its own tables
    for another fill, and refuses (dropping nothing) a database holding tables it did not
    create; it never drops a database."""
    from models import db

    url = names("own")
    assert not _exists(url)
    assert database.claim(url, "registers n=10", echo=lambda *_: None) is False  # created, to be filled
    assert _exists(url)
    engine = create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    _sql(url, "INSERT INTO district (name, active, version) VALUES ('Norr', true, 1)")
    assert database.claim(url, "registers n=10", echo=lambda *_: None) is False  # not finished: filled again
    assert _sql(url, "SELECT to_regclass('district') IS NULL")[0][0]  # its own tables emptied
    engine = create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    database.mark_done(url)
    assert database.claim(url, "registers n=10", echo=lambda *_: None) is True  # reused
    assert database.claim(url, "registers n=20", echo=lambda *_: None) is False  # another fill
    assert _exists(url)

    foreign = names("foreign")
    admin = create_engine(make_url(foreign).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{make_url(foreign).database}"'))
    admin.dispose()
    _sql(foreign, "CREATE TABLE customer (id integer primary key, name text)")
    _sql(foreign, "INSERT INTO customer VALUES (1, 'Kund som måste finnas kvar')")
    with pytest.raises(click.ClickException, match="did not create"):
        database.claim(foreign, "registers n=10", refill=True, echo=lambda *_: None)
    assert _exists(foreign)
    assert _sql(foreign, "SELECT name FROM customer") == [("Kund som måste finnas kvar",)]
