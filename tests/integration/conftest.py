"""Real processes beside the test: `flask --app app jobs-worker` consumers and gunicorn app
servers, started with the environment a deployment gives them (DATABASE_URL, VERKSTAD_JOBS_URL,
VERKSTAD_FILES_DIR, SECRET_KEY) on the test's own database, job storage and files directory.

``stack`` is an app (for the test's own reads and for submitting jobs) and the environment of
its processes, once per storage kind we ship: Huey's SQLite storage on the SQLite database, and
Huey's PostgreSQL storage on the PostgreSQL database (TEST_DATABASE_URL; skipped without it).
Every process a test starts is killed at its teardown, whatever happened. Waiting is always on a
condition with a deadline, never a fixed sleep."""
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import create_app
from models import db
from tests import conftest as root

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SECRET = "integration-secret-shared-by-every-process"
HUEY_TABLES = ("huey_kv", "huey_schedule", "huey_task", "huey_counter")  # Huey's PostgresStorage


def wait_until(condition, timeout: float, what: str, interval: float = 0.02):
    """The first true value of ``condition()`` within ``timeout`` seconds; fails naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    """A child process in a session of its own, its output in a log file."""

    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """kill -9 of the process and of what it started (its session: gunicorn's workers too, even
        when the master is gone), reaped: a zombie would still look alive to jobs.abandoned."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing of it is left
        self.popen.wait(10)

    def stop(self, timeout: float = 10) -> None:
        """Ctrl-C (SIGINT: Huey's and gunicorn's graceful stop), then kill -9 when it hangs."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGINT)
            try:
                self.popen.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                pass
        self.kill()


@dataclass
class Stack:
    """The test's app and what its processes are started with."""

    app: object
    env: dict
    tmp_path: Path
    kind: str
    processes: list = field(default_factory=list)

    def start(self, name: str, *args: str) -> Process:
        log = self.tmp_path / f"{name}-{len(self.processes)}.log"
        handle = open(log, "wb")
        popen = subprocess.Popen(list(args), cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def consumer(self) -> Process:
        """`flask --app app jobs-worker`, as an operator starts it on any machine."""
        process = self.start("consumer", str(BIN / "flask"), "--app", "app", "jobs-worker", "--workers", "2")
        wait_until(lambda: "Job consumer:" in process.output() or not process.alive(), 30, "the consumer to start")
        assert process.alive(), process.output()
        return process

    def servers(self, count: int = 2) -> list[str]:
        """``count`` gunicorn app servers (one worker each) on free ports, booted side by side;
        their base URLs once each /healthz answers."""
        import requests

        started = []
        for _ in range(count):
            port = free_port()
            started.append((self.start("gunicorn", str(BIN / "gunicorn"), "--workers", "1",
                                       "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--no-control-socket",
                                       "app:create_app()"), f"http://127.0.0.1:{port}"))

        def healthy(process, url):
            assert process.alive(), process.output()
            try:
                return requests.get(f"{url}/healthz", timeout=10).json() == {"status": "ok", "jobs": "ok"}
            except (requests.ConnectionError, requests.Timeout):
                return False
        for process, url in started:
            wait_until(lambda: healthy(process, url), 60, f"gunicorn at {url}", interval=0.1)
        return [url for _process, url in started]

    def storage_tables(self) -> set[str]:
        """The job storage's tables as they are now (Huey's SQLite file, or huey_* in PostgreSQL)."""
        if self.kind == "sqlite":
            path = Path(self.env["VERKSTAD_JOBS_URL"].removeprefix("sqlite:///"))
            if not path.exists():
                return set()
            engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
        else:
            engine = create_engine(self.env["DATABASE_URL"], poolclass=NullPool)
        try:
            return {t for t in inspect(engine).get_table_names() if self.kind == "sqlite" or t.startswith("huey_")}
        finally:
            engine.dispose()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.popen.pid}) ---\n{p.output()[-3000:]}" for p in self.processes)


def _jobs_url(kind: str, uri: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'instance' / 'jobs.sqlite'}"
    # Huey's PostgresStorage takes a plain libpq DSN (no SQLAlchemy driver name)
    return make_url(uri).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def stack(request, tmp_path, backend):
    """The app on the backend's database with the job storage of the same kind; the processes
    the test starts get the same database, job storage, files directory and SECRET_KEY."""
    base = root.make_app(request, tmp_path, backend)  # the database in its seeded state
    uri = base.config["SQLALCHEMY_DATABASE_URI"]
    base.extensions["jobs"].close()
    with base.app_context():
        db.engine.dispose()
    (tmp_path / "instance").mkdir(exist_ok=True)
    jobs_url = _jobs_url(backend, uri, tmp_path)
    config = root._config(uri, tmp_path)
    config.update(JOBS_URL=jobs_url, SECRET_KEY=SECRET)
    if backend == "postgresql":  # no job storage yet, as on a new installation: the consumer makes it
        engine = create_engine(uri, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS " + ", ".join(HUEY_TABLES)))
        engine.dispose()
    app = create_app(config)
    queue = app.extensions["jobs"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PYTEST_", "VERKSTAD_", "SECRET"))}
    env.update(DATABASE_URL=uri, VERKSTAD_JOBS_URL=jobs_url, VERKSTAD_FILES_DIR=config["FILES_DIR"],
               VERKSTAD_INSTANCE_DIR=str(tmp_path / "instance"), SECRET_KEY=SECRET, PYTHONUNBUFFERED="1")
    stack = Stack(app, env, tmp_path, backend)
    try:
        yield stack
    finally:
        for process in stack.processes:
            process.kill()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(stack.logs())  # the processes' output, beside the failure
        queue.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
