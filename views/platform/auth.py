"""Log in (password, then the TOTP code when the user has turned it on), log out, a forgotten
password (a link by e-mail), the new password after an administrator's, and the user's own
profile (language, password, second factor)."""
from urllib.parse import urlsplit

import segno
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_admin import BaseView, expose
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from forms.auth import (CodeForm, ForgotPasswordForm, LoginForm, NewPasswordForm, PasswordForm, ProfileForm,
                        TotpDisableForm)
from models import User, db
from services import DomainError
from services.platform.auth import (
    authenticate,
    change_password,
    disable_totp,
    enable_totp,
    new_totp_secret,
    totp_uri,
    verify_second_factor,
)
from services.platform import password_reset

# the password step is good for this long: then the code must be given, or the password again
PENDING_SECONDS = 300

bp = Blueprint("auth", __name__)


def _clock() -> float:
    """Now, in seconds since the epoch, from the app's clock (config CLOCK: tests set the time)."""
    return current_app.config["CLOCK"]()


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(
                db.session, form.username.data, form.password.data,
                current_app.config["LOGIN_MAX_ATTEMPTS"], current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            if user.totp_secret:
                session["pending_login"] = {"user_id": user.id, "at": _clock()}
                return redirect(url_for("auth.login_code", next=request.args.get("next")))
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("platform/auth/login.html", form=form, error=error), (401 if error else 200)


def _pending_user() -> User | None:
    pending = session.get("pending_login") or {}
    if _clock() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return db.session.get(User, pending.get("user_id") or 0)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of logging in: the code of the user's authenticator app."""
    user = _pending_user()
    if user is None or not user.totp_secret or not user.active:
        session.pop("pending_login", None)
        return redirect(url_for("auth.login", next=request.args.get("next")))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            verify_second_factor(db.session, user, form.code.data, current_app.config["LOGIN_MAX_ATTEMPTS"],
                                 current_app.config["LOGIN_LOCK_MINUTES"], at=_clock())
        except DomainError as exc:
            error = exc.message
            if user.locked_until:
                session.pop("pending_login", None)  # locked: start again with the password
        else:
            session.pop("pending_login", None)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("platform/auth/login_code.html", form=form, error=error), (401 if error else 200)


# --- a forgotten password (50.01) -----------------------------------------------------------

def _reset_link(token: str) -> str:
    base = current_app.config.get("BASE_URL")
    path = url_for("auth.reset_password", token=token)
    return f"{base}{path}" if base else url_for("auth.reset_password", token=token, _external=True)


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link: the same answer whether or not the name is known (no user enumeration)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(db.session, form.login.data, _reset_link, current_app.config["SECRET_KEY"],
                                     clock=_clock, enqueue=current_app.extensions["jobs"].enqueue)
        return render_template("platform/auth/forgot_password.html", form=form, sent=True)
    return render_template("platform/auth/forgot_password.html", form=form, sent=False)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link of the mail (good for an hour, once)."""
    secret_key = current_app.config["SECRET_KEY"]
    try:
        user = password_reset.user_for_token(db.session, token, secret_key, clock=_clock)
    except DomainError as exc:
        return render_template("platform/auth/reset_password.html", form=None, error=exc.message), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_reset.reset_password(db.session, token, form.new_password.data,
                                                 form.repeat_password.data, secret_key, clock=_clock)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "new_password", form.new_password).errors.append(exc.message)
        else:
            flash(_("Your password is changed. Log in with it."), "success")
            note = password_reset.locked_note(user)
            if note:
                flash(note, "warning")
            return redirect(url_for("auth.login"))
    return render_template("platform/auth/reset_password.html", form=form, error=None, user=user)


# --- the new password after an administrator's ---------------------------------------------

# what a user who must choose a new password may still reach
_BEFORE_NEW_PASSWORD = {"auth.new_password", "auth.logout", "auth.login", "auth.login_code",
                        "auth.forgot_password", "auth.reset_password", "static", "admin.static", "npm", "healthz"}


@bp.before_app_request
def require_new_password():
    """A user whose password an administrator set chooses his own before anything else."""
    if request.endpoint is None or request.endpoint in _BEFORE_NEW_PASSWORD:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return jsonify(error="new password required"), 403
        return redirect(url_for("auth.new_password", next=request.full_path))
    return None


@bp.route("/password/new", methods=["GET", "POST"])
def new_password():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if not current_user.must_change_password:
        return redirect(_safe_next(request.args.get("next")))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.choose_new_password(db.session, current_user, form.new_password.data,
                                               form.repeat_password.data)
        except DomainError as exc:
            getattr(form, exc.field or "new_password", form.new_password).errors.append(exc.message)
        else:
            flash(_("Your password is changed."), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("platform/auth/new_password.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


class ProfileView(BaseView):
    """The user's own language, notifications and password (every logged-in user)."""

    def is_accessible(self):
        return current_user.is_authenticated

    def is_visible(self):
        return False  # reached from the user menu in the top bar

    @expose("/", methods=("GET", "POST"))
    def index(self):
        profile_form = ProfileForm(prefix="p", obj=current_user)
        password_form = PasswordForm(prefix="pw")
        code_form = CodeForm(prefix="totp")
        disable_form = TotpDisableForm(prefix="off")
        which = request.form.get("which")
        if which == "totp_on" and code_form.validate_on_submit():
            try:
                enable_totp(db.session, current_user, session.get("totp_setup"), code_form.code.data, _clock())
            except DomainError as exc:
                code_form.code.errors.append(exc.message)
            else:
                session.pop("totp_setup", None)
                flash(_("Two-factor authentication is on: from now on you log in with a code too."), "success")
                return redirect(url_for(".index"))
        if which == "totp_off" and disable_form.validate_on_submit():
            try:
                disable_totp(db.session, current_user, disable_form.password.data)
            except DomainError as exc:
                disable_form.password.errors.append(exc.message)
            else:
                flash(_("Two-factor authentication is off."), "success")
                return redirect(url_for(".index"))
        if which == "profile" and profile_form.validate_on_submit():
            current_user.language = profile_form.language.data
            current_user.email_notifications = profile_form.email_notifications.data
            db.session.commit()
            flash(_("Your settings are saved."), "success")
            return redirect(url_for(".index"))
        if which == "password" and password_form.validate_on_submit():
            try:
                change_password(db.session, current_user, password_form.old_password.data,
                                password_form.new_password.data, password_form.repeat_password.data)
            except DomainError as exc:
                getattr(password_form, exc.field or "new_password").errors.append(exc.message)
            else:
                flash(_("Your password is changed."), "success")
                return redirect(url_for(".index"))
        setup = None
        if not current_user.totp_secret:
            # a new secret for a set-up, kept in the signed session until a code confirms it
            # (a reload shows the same QR code the phone may have scanned already)
            if not session.get("totp_setup"):
                session["totp_setup"] = new_totp_secret()
            uri = totp_uri(session["totp_setup"], current_user.username)
            setup = {"secret": session["totp_setup"], "uri": uri,
                     "qr": Markup(segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code")))}
        return self.render("platform/auth/profile.html", profile_form=profile_form, password_form=password_form,
                           code_form=code_form, disable_form=disable_form, setup=setup)
