"""Module settings: typed reads over the Setting table with defaults from config.defaults.

Secret settings (services.platform.secrets.SECRET_SETTINGS: the SMTP password) are encrypted in the
table and decrypted here, or come from the environment; every other reader sees plain values."""
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.defaults import SETTINGS_DEFAULTS
from models import Setting
from services.platform import secrets


def _secret_key() -> str | None:
    return current_app.config.get("SECRET_KEY") if has_app_context() else None


def _read(stored: Setting | None, key: str):
    """The value of a setting row for readers: a secret decrypted (from the environment when
    given there; empty when it cannot be read); a secret still in plain text is encrypted on
    this first read (written with the session's next commit)."""
    if key not in secrets.SECRET_SETTINGS:
        return stored.value if stored is not None else SETTINGS_DEFAULTS.get(key)
    env = secrets.from_environment(key)
    if env is not None:
        return env
    if stored is None:
        return SETTINGS_DEFAULTS.get(key)
    secret_key = _secret_key()
    if not secret_key:
        return stored.value if not secrets.is_encrypted(stored.value) else ""
    plain = secrets.decrypt(stored.value, secret_key)
    if plain and not secrets.is_encrypted(stored.value):
        stored.value = secrets.encrypt(plain, secret_key)  # lazily: a value from before migration 0009
    return plain or ""


def load_settings(session: Session) -> dict[str, object]:
    """All settings, defaults overridden by stored values."""
    values = dict(SETTINGS_DEFAULTS)
    rows = {s.key: s for s in session.scalars(select(Setting))}
    values.update({key: row.value for key, row in rows.items() if key not in secrets.SECRET_SETTINGS})
    for key in secrets.SECRET_SETTINGS:
        values[key] = _read(rows.get(key), key)
    return values


def get_setting(session: Session, key: str):
    return _read(session.get(Setting, key), key)


def secret_state(session: Session, key: str) -> str:
    """How a secret setting stands, for the settings page (which never shows the value):
    "environment", "stored", "unreadable" (encrypted under another SECRET_KEY) or "empty"."""
    if secrets.from_environment(key) is not None:
        return "environment"
    stored = session.get(Setting, key)
    if stored is None or stored.value in (None, ""):
        return "empty"
    plain = secrets.decrypt(stored.value, _secret_key() or "") if _secret_key() else None
    if plain is None:
        return "unreadable"
    return "stored" if plain else "empty"


def set_setting(session: Session, key: str, value) -> None:
    if key in secrets.SECRET_SETTINGS:
        secret_key = _secret_key()
        if not secret_key:
            raise RuntimeError("a secret setting is written only with the app's SECRET_KEY")
        value = secrets.encrypt(str(value or ""), secret_key) if value else ""
    stored = session.get(Setting, key)
    if stored is None:
        session.add(Setting(key=key, value=value))
    else:
        stored.value = value
