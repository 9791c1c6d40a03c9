"""Fixtures after the Flask tutorial: app, client, runner and an auth helper.

Backends. A test that takes ``app`` (or ``session``, ``client``, ``runner``, ...) runs once per
backend: on SQLite, and on PostgreSQL from TEST_DATABASE_URL (a database of its own is created
per worker for the run and dropped after). ``@pytest.mark.pg`` makes a test PostgreSQL-only.

The rule for the PostgreSQL copy: a test runs on both databases when what it checks goes
through SQL whose behaviour can differ (queries, search, locks and concurrency, numbering,
constraints, types, counts, migrations). A module whose tests read the database only to set
up what they check elsewhere -- PDF layout, Peppol XML against the official rules,
translations, rights shown in HTML -- is marked ``pytestmark = pytest.mark.any_db`` and runs
on SQLite only. When in doubt, leave the mark off.
Without TEST_DATABASE_URL the PostgreSQL copies are skipped, never dropped: the header names
the backends, and ``-rs`` (pytest.ini) counts the skips. With VERKSTAD_REQUIRE_PG=1 (.ci/run)
the run stops at its start unless PostgreSQL answers.

Speed. The schema is built once per backend and worker; each test gets the seeded state again:
SQLite copies a template file into the test's own tmp_path, PostgreSQL deletes what the previous
test left (only tables with rows; seed tables are compared with their checksum and restored
when changed; a table with planner statistics is truncated) and resets every sequence. So a test still starts on a database of its own,
with ids from 1. Passwords use TestConfig's cheap scrypt. Under pytest-xdist (``make test``)
each worker has its own PostgreSQL database, its own browser and its own artefact directory
(``ARTIFACTS``, under pytest's temporary directory; the path is printed at the end)."""
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import create_app
from config.settings import TestConfig
from models import db
from services.platform.setup import seed_defaults
from tests.factories import AuthActions, make_user

PG_ENV = os.environ.get("TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("VERKSTAD_REQUIRE_PG", "") not in ("", "0")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
PG_MISSING = "PostgreSQL not used: TEST_DATABASE_URL is not set"
# screenshots and sample PDFs to look at: one directory per worker, set at session start
ARTIFACTS: Path = Path("test-artifacts-not-set")
def _config(uri: str, tmp_path) -> dict:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=uri, FILES_DIR=str(tmp_path / "files"))
    return config


# ---- backends: header, CI guard, parametrisation ---------------------------------------

def _backends_line() -> str:
    if PG_ENV:
        url = make_url(PG_ENV)
        return f"database backends: sqlite, postgresql ({url.host}:{url.port or 5432}, one database per worker)"
    return "database backends: sqlite only -- PostgreSQL NOT used (set TEST_DATABASE_URL); its copies are skipped"


def pytest_report_header(config):
    return [_backends_line()]


def pytest_sessionstart(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.get_verbosity() < 0 and not hasattr(session.config, "workerinput"):
        reporter.write_line(_backends_line())  # -q hides the header
    if not REQUIRE_PG:
        return
    if not PG_ENV:
        pytest.exit("VERKSTAD_REQUIRE_PG is set but TEST_DATABASE_URL is not: PostgreSQL would not be tested",
                    returncode=pytest.ExitCode.USAGE_ERROR)
    try:
        engine = create_engine(PG_ENV, poolclass=NullPool)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect stops the run
        pytest.exit(f"VERKSTAD_REQUIRE_PG is set but PostgreSQL does not answer at TEST_DATABASE_URL: {exc}",
                    returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("pg"):
            backends = ["postgresql"]
        elif metafunc.definition.get_closest_marker("any_db"):
            backends = ["sqlite"]
        else:
            backends = ["sqlite", "postgresql"]
        metafunc.parametrize("backend", backends, indirect=True, scope="function")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if PG_ENV:
        return
    callspec = getattr(item, "callspec", None)
    if item.get_closest_marker("pg") or (callspec and callspec.params.get("backend") == "postgresql"):
        pytest.skip(PG_MISSING)


def pytest_terminal_summary(terminalreporter, config):
    if not hasattr(config, "workerinput"):
        base = config._tmp_path_factory.getbasetemp() if hasattr(config, "_tmp_path_factory") else None
        if base is not None:
            terminalreporter.write_line(f"test artefacts (screenshots, sample PDFs): {base}/**/artifacts")
        terminalreporter.write_line(_backends_line(), yellow=not PG_ENV)


@pytest.fixture(scope="session", autouse=True)
def _artifacts(tmp_path_factory):
    global ARTIFACTS
    ARTIFACTS = tmp_path_factory.mktemp("artifacts", numbered=False)
    return ARTIFACTS


@pytest.fixture
def backend(request):
    return request.param


# ---- the databases: built once per worker, reset per test ------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A seeded SQLite file; each test copies it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    os.environ["VERKSTAD_INSTANCE_DIR"] = str(path.parent / "instance")
    app = create_app(_config(f"sqlite:///{path}", path.parent))
    with app.app_context():
        db.create_all()
        seed_defaults(db.session)
        db.session.remove()
        db.engine.dispose()
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-journal").exists()
    return path


class PgState:
    """The seeded state of a PostgreSQL database, and the reset back to it."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url, poolclass=NullPool)
        self.tables = list(db.metadata.sorted_tables)  # parents before children
        with self.engine.connect() as conn:
            self.seed = {}  # table name -> (rows, checksum, count, integer pk column or None)
            for table in self.tables:
                rows = [dict(r._mapping) for r in conn.execute(select(table))]
                if rows:
                    pk = list(table.primary_key.columns)
                    int_pk = pk[0].name if len(pk) == 1 and pk[0].type.python_type is int else None
                    top = max(r[int_pk] for r in rows) if int_pk else None
                    checksum, count = conn.execute(self._checksum_sql(table.name, int_pk, top)).one()
                    self.seed[table.name] = (rows, checksum, count, int_pk, top)
            self.sequences = []
            for table in self.tables:
                for column in table.primary_key.columns:
                    seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name})
                    if seq:
                        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one()
                        self.sequences.append((seq, last, called))
        exists = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                                    for t in self.tables)
        self.with_rows_sql = text(exists)
        self.analyzed_sql = text("SELECT relname FROM pg_class WHERE relkind = 'r' "
                                 "AND relnamespace = 'public'::regnamespace AND reltuples >= 0")
        self.setval_sql = text("SELECT " + ", ".join(
            f"setval('{seq}', {last}, {'true' if called else 'false'})" for seq, last, called in self.sequences))

    @staticmethod
    def _checksum_sql(name: str, int_pk: str | None, top: int | None):
        where = f'WHERE x."{int_pk}" <= {top}' if top is not None else ""
        return text(f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')), "
                    f"(SELECT count(*) FROM \"{name}\") FROM \"{name}\" AS x {where}")

    def reset(self) -> None:
        with self.engine.begin() as conn:
            # a table the planner has statistics of (ANALYZE, autovacuum) is truncated, so that
            # its estimate is that of a new table again (services.platform.listing reads it)
            analyzed = set(conn.scalars(self.analyzed_sql)) & set(conn.scalars(self.with_rows_sql))
            analyzed -= set(self.seed)
            if analyzed:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in sorted(analyzed)) + " CASCADE"))
            with_rows = set(conn.scalars(self.with_rows_sql))
            restore, trim = set(), set()
            for table in self.tables:
                name = table.name
                if name not in self.seed:
                    continue
                rows, checksum, count, int_pk, top = self.seed[name]
                parent_restored = any(fk.column.table.name in restore for fk in table.foreign_keys)
                now, now_count = conn.execute(self._checksum_sql(name, int_pk, top)).one()
                if parent_restored or now != checksum or (now_count > count and int_pk is None):
                    restore.add(name)
                elif now_count > count:
                    trim.add(name)
            for table in reversed(self.tables):  # children first
                name = table.name
                if name in restore or (name in with_rows and name not in self.seed):
                    conn.execute(text(f'DELETE FROM "{name}"'))
                elif name in trim:
                    _, _, _, int_pk, top = self.seed[name]
                    conn.execute(text(f'DELETE FROM "{name}" WHERE "{int_pk}" > {top}'))
            for table in self.tables:
                if table.name in restore:
                    conn.execute(insert(table), self.seed[table.name][0])
            conn.execute(self.setval_sql)

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    """A database of this worker's own, with the schema built and seeded once."""
    if not PG_ENV:
        pytest.skip(PG_MISSING)
    base = make_url(PG_ENV)
    name = f"verkstad_test_{WORKER}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_state(pg_url, tmp_path_factory):
    path = tmp_path_factory.mktemp("pg-template")
    os.environ["VERKSTAD_INSTANCE_DIR"] = str(path / "instance")
    app = create_app(_config(pg_url, path))
    with app.app_context():
        db.create_all()
        seed_defaults(db.session)
        db.session.remove()
        db.engine.dispose()
    state = PgState(pg_url)
    yield state
    state.dispose()


def make_app(request, tmp_path, backend: str):
    """An app on a database in its seeded state, with files and instance under ``tmp_path``."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        uri = f"sqlite:///{path}"
    else:
        state = request.getfixturevalue("pg_state")
        state.reset()
        uri = state.url
    os.environ["VERKSTAD_INSTANCE_DIR"] = str(tmp_path / "instance")
    return create_app(_config(uri, tmp_path))


@pytest.fixture
def app(request, tmp_path, backend):
    app = make_app(request, tmp_path, backend)
    yield app
    app.extensions["jobs"].close()  # the job queue's storage connection (services.platform.job_queue)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    """The app's database session, for tests of services without HTTP."""
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def admin_user(app):
    return make_user(app, "admin", admin=True, full_name="Admin Istratör")


@pytest.fixture
def english(session):
    """Messages of the services asserted in English (the app's default locale is Swedish)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture(scope="session")
def official_rules():
    """The official Peppol rule sets (tests/peppol_rules), compiled once per test session
    (validate.py keeps the compiled stylesheets; the module is imported once)."""
    from tests.peppol_rules import validate

    validate._executables()
    return validate
