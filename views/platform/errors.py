"""Error pages (400, 403, 404, 405, 500 and any other HTTP error): the console's layout for a
logged-in user, the login page's layout otherwise, in the user's language, with a way back.
Never a stack trace, an exception's text or a library's English description; JSON requests
get a JSON error."""
from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from models import db

ERRORS = {
    400: (_l("The request could not be handled"),
          _l("Something in the request was wrong or incomplete. Go back, check what you entered and try again.")),
    403: (_l("Access denied"), _l("You do not have the right to open this page or to do this.")),
    404: (_l("Page not found"), _l("The page does not exist, or what it showed has been removed.")),
    405: (_l("The request could not be handled"),
          _l("This page cannot be used that way. Go back and use the page's own buttons.")),
    500: (_l("Something went wrong"),
          _l("An unexpected error occurred and the action was not completed. Try again; if it happens again, "
             "tell your administrator.")),
}
CSRF_TEXT = _l("The form was too old or did not come from this page. Reload the page and try again.")


def _wants_json() -> bool:
    best = request.accept_mimetypes.best
    return request.is_json or best == "application/json" or request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _texts(code: int, error) -> tuple[str, str]:
    title, text = ERRORS.get(code, ERRORS[500] if code >= 500 else ERRORS[400])
    if isinstance(error, CSRFError):
        text = CSRF_TEXT
    return str(title), str(text)


def _page(code: int, title: str, text: str) -> str:
    # back to the page the user came from, when it is one of ours
    referrer = request.referrer or ""
    back = referrer if referrer.startswith(request.host_url) and referrer != request.url else None
    context = dict(code=code, title=title, text=text, back=back)
    if current_user.is_authenticated:
        admin = current_app.extensions["verkstad_admin"]
        return admin.index_view.render("platform/errors/console.html", **context)
    return render_template("platform/errors/public.html", **context)


def handle_error(error):
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500:
        # a failed statement leaves the transaction unusable; the page needs the database
        db.session.rollback()
    title, text = _texts(code, error)
    if _wants_json():
        return jsonify(error=text, status=code), code
    try:
        return _page(code, title, text), code
    except Exception:  # the layout itself failed (the database is away): a plain page
        current_app.logger.exception("error page")
        db.session.rollback()
        home = url_for("admin.index")
        return (f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(text)}</p>"
                f'<p><a href="{escape(home)}">{escape(_("Back to the start page"))}</a></p>'), code


def register(app) -> None:
    app.register_error_handler(HTTPException, handle_error)
    app.register_error_handler(InternalServerError, handle_error)
