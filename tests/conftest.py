"""Fixtures after the Flask tutorial: app, client, runner and an auth helper.

Every test that takes ``app`` runs on SQLite, and on PostgreSQL as well when
TEST_DATABASE_URL is set (a database of its own is created for the run and dropped after)."""
import os
import re
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from config.settings import TestConfig
from models import Role, RoleRight, User, db
from services.auth import hash_password
from services.setup import seed_defaults

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
PASSWORD = "test-password-123"
_HASH = hash_password(PASSWORD, method=TestConfig.PASSWORD_HASH_METHOD)
_pg_schema_ready: set[str] = set()


def _config(uri: str, tmp_path) -> dict:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=uri, FILES_DIR=str(tmp_path / "files"))
    return config


@pytest.fixture(scope="session")
def pg_url():
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"verkstad_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_database(backend: str, uri: str) -> None:
    if backend == "postgresql" and uri in _pg_schema_ready:
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    else:
        db.create_all()
        _pg_schema_ready.add(uri)
    seed_defaults(db.session)


def make_app(request, tmp_path, backend: str):
    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        uri = request.getfixturevalue("pg_url")
    os.environ["VERKSTAD_INSTANCE_DIR"] = str(tmp_path / "instance")
    app = create_app(_config(uri, tmp_path))
    with app.app_context():
        _reset_database(backend, uri)
    return app


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    app = make_app(request, tmp_path, request.param)
    yield app
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


def make_user(app, username: str, rights: set[str] | None = None, admin: bool = False, **fields) -> int:
    """A user with a role of its own holding exactly ``rights`` (or the Administrator role)."""
    with app.app_context():
        if admin:
            role = db.session.scalar(db.select(Role).where(Role.is_admin.is_(True)))
        else:
            role = Role(name=f"role-{username}", rights=[RoleRight(right=r) for r in sorted(rights or ())])
            db.session.add(role)
        user = User(username=username, full_name=fields.pop("full_name", username.title()),
                    password_hash=_HASH, role=role, **fields)
        db.session.add(user)
        db.session.commit()
        return user.id


CSRF = re.compile(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"|name="[\w-]*csrf_token" value="([^"]+)"')


def csrf_from(html: str, last: bool = True) -> str:
    """The CSRF token of the page's form (the last one on the page; the top bar's log-out
    form comes first). All are Flask-WTF tokens of the session."""
    matches = list(CSRF.finditer(html))
    assert matches, "no CSRF token on the page"
    match = matches[-1] if last else matches[0]
    return next(g for g in match.groups() if g)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str = "admin", password: str = PASSWORD):
        page = self.client.get("/login")
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})

    def logout(self):
        page = self.client.get("/admin/")
        return self.client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True), last=False)})

    def token(self, url: str) -> str:
        """The CSRF token of the form at ``url``."""
        page = self.client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        return csrf_from(page.get_data(as_text=True))


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def admin_user(app):
    return make_user(app, "admin", admin=True, full_name="Admin Istratör")
