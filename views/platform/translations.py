"""Flask-Admin's messages in Verkstad's words (translations/flask_admin, domain "admin").

Flask-Babel merges a domain's catalogues in order, the later one winning a message both
have; Flask-Admin lists the application's ``translations_path`` first, so its own catalogue
won every message it has ("20 föremål" for the page size, "Välj modell" in an empty look-up).
Ours is read last: it fills Flask-Admin's gaps and corrects its wording."""
from flask import current_app, has_app_context
from flask_admin import babel as admin_babel
from flask_babel import Domain


def install() -> None:
    cls = type(admin_babel.domain)
    if getattr(cls, "_verkstad_own_last", False):
        return

    def translation_directories(self) -> list[str]:
        # Flask-Admin's own, then ours; not only inside an admin view as Flask-Admin does: its
        # cache is one per process and language, and a first message outside a view (an error
        # page, the log-in) would keep ours out of it until the next restart
        own = Domain.translation_directories.fget(self)
        admins = current_app.extensions.get("admin", []) if has_app_context() else []
        ours = [a.translations_path for a in admins if a.translations_path]
        return [*own, *ours[:1]]

    cls.translation_directories = property(translation_directories)
    cls._verkstad_own_last = True
