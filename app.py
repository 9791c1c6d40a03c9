"""Application factory: extensions, admin views, blueprints, CLI commands."""
import os
from pathlib import Path

from flask import Flask, has_request_context, jsonify, redirect, request, send_from_directory, url_for
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import text

from config.settings import BASE_DIR, Config, _secret_key
from models import User, db
from services.platform import audit, search

login_manager = LoginManager()
login_manager.login_view = "auth.login"
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()

# the log-in page needs Flask-Admin's Bootstrap (admin.static): library files, no data
PUBLIC_ENDPOINTS = {"auth.login", "auth.login_code", "auth.forgot_password", "auth.reset_password", "healthz",
                    "static", "admin.static", "npm", "favicon"}


def select_locale():
    if not has_request_context():
        return "sv"
    if current_user and current_user.is_authenticated and current_user.language:
        return current_user.language
    return request.accept_languages.best_match(["sv", "de", "en"]) or "sv"


def _not_the_job_queues(name, type_, parent_names) -> bool:
    """Alembic leaves Huey's tables alone (huey_*: the job queue on the app's PostgreSQL)."""
    return not (type_ == "table" and name and name.startswith("huey_"))


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(Path(os.environ.get("VERKSTAD_INSTANCE_DIR", BASE_DIR / "instance"))))
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True,
                     include_name=_not_the_job_queues)
    login_manager.init_app(app)
    csrf.init_app(app)
    # one catalogue per module (translations/<module>/<lang>/LC_MESSAGES), merged by Flask-Babel
    # the later catalogue wins a msgid both have: core comes last, so the foundation's terms
    # are the same on every screen
    folders = sorted((p for p in (BASE_DIR / "translations").iterdir() if p.is_dir() and p.name != "flask_admin"),
                     key=lambda p: (p.name == "core", p.name))
    catalogues = ";".join(str(p) for p in folders)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=catalogues)
    audit.install()
    search.install()
    from services.platform import job_queue

    app.extensions["jobs"] = job_queue.build(app)  # Huey from JOBS_URL; no connection yet

    from services.platform import formatting
    app.jinja_env.filters.update(money=formatting.money, date=formatting.date, stamp=formatting.stamp,
                                  number=formatting.number)
    app.jinja_env.globals.update(ui_language=select_locale)
    from services.platform import preferences

    # the groups of a form (a view's endpoint) the user keeps folded (templates/admin/form_layout.html)
    app.jinja_env.globals.update(
        folded_groups=lambda form: preferences.folded_groups(getattr(current_user, "preferences", None), form))

    from views.platform.auth import bp as auth_bp
    from views.platform.dashboard import DashboardView
    from views.platform.notifications import bp as notifications_bp
    from views.platform.preferences import bp as preferences_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(preferences_bp)

    admin = Admin(
        app,
        name="Verkstad",
        theme=Bootstrap4Theme(base_template="admin/master.html", fluid=True),
        index_view=DashboardView(url="/admin"),
        translations_path=str(BASE_DIR / "translations" / "flask_admin"),
    )
    from views.platform import translations as admin_translations

    admin_translations.install()  # our Flask-Admin catalogue wins over Flask-Admin's own
    from views.platform.registry import register_views

    register_views(admin)
    from views.platform.history import readable_history

    app.jinja_env.globals.update(readable_history=readable_history)
    from views.platform.base import install_stale_answer

    install_stale_answer(app)  # a lost race on a version counter: the stale-form message, not a 500
    # one CSRF mechanism for every POST: the global CSRFProtect. Flask-Admin renders Flask-WTF's
    # csrf_token() in its forms, delete buttons and actions (SecureForm's own token would be
    # dropped by form_rules and doubled by lib.html)
    app.extensions["verkstad_admin"] = admin
    from views.platform import errors

    errors.register(app)

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            if request.accept_mimetypes.best == "application/json" or request.is_json:
                return jsonify(error="login required"), 401
            return redirect(url_for("auth.login", next=request.full_path))
        db.session.info["user_id"] = current_user.id
        return None

    @app.get("/healthz")
    def healthz():
        # the job queue's state is reported, but a server whose queue is down still serves
        # pages: 200 with "jobs": "unavailable", so a load balancer keeps it
        jobs = "ok" if app.extensions["jobs"].available() else "unavailable"
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:
            return jsonify(status="error", jobs=jobs), 503
        return jsonify(status="ok", jobs=jobs)

    @app.get("/favicon.ico")
    def favicon():
        # what a browser asks for where a page names no icon (a PDF, a JSON answer)
        return redirect(url_for("static", filename="img/favicon.svg"), 301)

    @app.get("/")
    def root():
        return redirect(url_for("admin.index"))

    node_modules = BASE_DIR / "node_modules"

    @app.get("/npm/<path:filename>")
    def npm(filename):
        # third-party assets installed by npm ci; only their dist folders are served
        if "/dist/" not in filename and not filename.endswith((".js", ".css")):
            return ("", 404)
        return send_from_directory(node_modules, filename, max_age=3600)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    from cli import register_cli

    register_cli(app)
    return app
