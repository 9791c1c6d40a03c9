"""Module settings: typed reads over the Setting table with defaults from config.defaults."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.defaults import SETTINGS_DEFAULTS
from models import Setting


def load_settings(session: Session) -> dict[str, object]:
    """All settings, defaults overridden by stored values."""
    values = dict(SETTINGS_DEFAULTS)
    values.update({s.key: s.value for s in session.scalars(select(Setting))})
    return values


def get_setting(session: Session, key: str):
    stored = session.get(Setting, key)
    return stored.value if stored is not None else SETTINGS_DEFAULTS.get(key)


def set_setting(session: Session, key: str, value) -> None:
    stored = session.get(Setting, key)
    if stored is None:
        session.add(Setting(key=key, value=value))
    else:
        stored.value = value
