"""Playwright driving Debian's chromium against the app served on a free local port; one
browser per session, that is per xdist worker.

Browser tests run on SQLite only: the database behaviour under them is covered by the web and
unit tests on both databases."""
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from models import db
from tests import conftest as root
from tests.conftest import make_app
from tests.factories import PASSWORD, make_user

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def __getattr__(name: str):
    """``ARTIFACTS``: this worker's artefact directory (tests.conftest), read when asked."""
    if name == "ARTIFACTS":
        return root.ARTIFACTS
    raise AttributeError(name)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(request, tmp_path):
    app = make_app(request, tmp_path, "sqlite")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _files_read_at_once(wsgi_app):
    """The development server leaves a file response's file open when the browser drops the
    connection mid-answer (a page left while its scripts load, a download the test has seen
    start), and the suite turns that ResourceWarning into a failure. File responses (static
    files, job results, attachments) are read and closed before they are sent."""
    from werkzeug.wsgi import FileWrapper

    def app(environ, start_response):
        body = wsgi_app(environ, start_response)
        if not isinstance(body, FileWrapper):
            return body
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return app


def _consumer(app, stop: threading.Event) -> threading.Thread:
    """One worker of Huey's consumer (its own Worker class: dequeue, execute, back off) on the
    app's job queue, in a thread beside the server: the jobs a test starts in the browser run."""
    from huey.consumer import Worker

    app.extensions["jobs"].ready()  # its tables, as `flask jobs-worker` makes them before it reads
    worker = Worker(app.extensions["jobs"].huey, stop, default_delay=0.05, max_delay=0.2, backoff=1.15)

    def run():
        worker.initialize()
        while not stop.is_set():
            worker.loop()

    thread = threading.Thread(target=run, daemon=True, name="jobs-worker")
    thread.start()
    return thread


@pytest.fixture
def live_server(live_app):
    """Base URL of the running app (with a consumer of its job queue); both threads stop after
    the test."""
    make_user(live_app, "admin", admin=True, full_name="Admin Istratör")
    server = make_server("127.0.0.1", 0, _files_read_at_once(live_app.wsgi_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()
    consumer = _consumer(live_app, stop)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    stop.set()
    consumer.join(10)
    live_app.extensions["jobs"].close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="sv-SE", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)  # CI machines are shared: be patient, never sleep
    yield page
    context.close()


# the two screens every main page is looked at on (issue 10): an office desktop and a tablet
SIZES = {"desktop": (1400, 900), "tablet": (768, 1024)}


def login(page, username: str = "admin", password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url("**/admin/**")


def shot(page, name: str) -> Path:
    """Save a screenshot in the worker's artefact directory (to look at, not to assert on)."""
    root.ARTIFACTS.mkdir(exist_ok=True)
    path = root.ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def console_errors(page) -> list[str]:
    """The errors the browser's console shows for ``page`` from now on, each with the address it
    names (a missing file: "Failed to load resource: ... 404 ... /favicon.ico")."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None)
    return errors


def icon_of(page) -> int:
    """The HTTP status of the page's icon (its <link rel=icon>, else /favicon.ico, which the
    browser asks for by itself)."""
    href = page.evaluate("() => (document.querySelector('link[rel~=icon]') || {}).href || '/favicon.ico'")
    return page.request.get(href).status


AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe(page) -> list[dict]:
    """axe-core (npm, served at /npm/) run on the page: the violations of impact serious or
    critical under the WCAG 2.1 A/AA rules, each as {id, impact, targets}."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(url="/npm/axe-core/axe.min.js")
    result = page.evaluate("rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", AXE_RULES)
    return [{"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5], "why": v["nodes"][0].get("failureSummary", "")[:300]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
