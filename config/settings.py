"""Configuration read from the environment (microblog's Config pattern)."""
import os
import secrets
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("VERKSTAD_INSTANCE_DIR", BASE_DIR / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    SECRET_KEY = None  # filled lazily in create_app so importing config writes nothing
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'verkstad.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    FILES_DIR = os.environ.get("VERKSTAD_FILES_DIR", str(INSTANCE_DIR / "files"))
    ADMIN_PASSWORD = os.environ.get("VERKSTAD_ADMIN_PASSWORD")
    # the job queue's storage (services.platform.job_queue): unset is Huey's SQLite storage in
    # instance/jobs.sqlite; postgresql://... or redis://... for several machines
    JOBS_URL = os.environ.get("VERKSTAD_JOBS_URL") or None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch still saves

    MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # uploads: 10 MB
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = {"sv": "Svenska", "de": "Deutsch", "en": "English"}

    # a searched list of at least this many rows whose search is judged to match at least
    # this many is read along its sort index, not through the search index (views.platform.base)
    SEARCH_WALK_MIN_ROWS = 50_000
    SEARCH_WALK_MIN_MATCHES = 2_000

    # the address links in e-mails start with (a password reset link): set it in production,
    # otherwise the link is built from the request's Host header
    BASE_URL = os.environ.get("VERKSTAD_BASE_URL", "").rstrip("/")
    LOGIN_MAX_ATTEMPTS = 5
    LOGIN_LOCK_MINUTES = 15
    CLOCK = time.time  # seconds since the epoch for the log-in's code step; tests set their own
    FLASK_ADMIN_SWATCH = "default"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = True  # tests post real tokens: CSRF is part of what is tested
    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION = True
    # a cheap scrypt for tests only (services.platform.auth.hash_password); the production cost is tested once
    PASSWORD_HASH_METHOD = "scrypt:256:8:1"
    # the job queue: Huey's SQLite storage in the test's own instance/ (tmp_path); tests that
    # run jobs start a consumer (tests.factories.run_jobs, or a `flask jobs-worker` process)
    JOBS_URL = None
