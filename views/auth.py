"""Log in, log out, and the user's own profile (language, password)."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_admin import BaseView, expose
from flask_login import current_user, login_user, logout_user

from forms.auth import LoginForm, PasswordForm, ProfileForm
from models import db
from services import DomainError
from services.auth import authenticate, change_password

bp = Blueprint("auth", __name__)


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
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


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
        which = request.form.get("which")
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
        return self.render("auth/profile.html", profile_form=profile_form, password_form=password_form)
