"""Flask-Admin's messages in Verkstad's words (translations/flask_admin, domain "admin").

Flask-Babel merges a domain's catalogues in order, the later one winning a message both
have; Flask-Admin lists the application's ``translations_path`` first, so its own catalogue
won every message it has ("20 föremål" for the page size, "Välj modell" in an empty look-up).
Ours is read last: it fills Flask-Admin's gaps and corrects its wording."""
from flask_admin import babel as admin_babel


def install() -> None:
    cls = type(admin_babel.domain)
    if getattr(cls, "_verkstad_own_last", False):
        return
    original = cls.translation_directories

    def translation_directories(self) -> list[str]:
        return list(reversed(original.fget(self)))  # [ours, Flask-Admin's] -> ours wins

    cls.translation_directories = property(translation_directories)
    cls._verkstad_own_last = True
