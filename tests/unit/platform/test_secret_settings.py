"""Secret settings (issue 11 item 6): the SMTP password is kept Fernet-encrypted under a key
from SECRET_KEY, comes from VERKSTAD_SMTP_PASSWORD when that is set, and a plain value from
before the migration is encrypted (by migration 0009, else on its first read)."""
import pytest
from sqlalchemy import select

from models import Setting
from services.platform import secrets
from services.platform.settings import get_setting, load_settings, secret_state, set_setting

KEY = "sales.smtp_password"


def stored(session):
    return session.scalar(select(Setting.value).where(Setting.key == KEY))


def test_the_password_is_stored_encrypted_and_read_back_plain(session, monkeypatch):
    monkeypatch.delenv("VERKSTAD_SMTP_PASSWORD", raising=False)
    set_setting(session, KEY, "hunter2-smtp")
    session.commit()
    raw = stored(session)
    assert secrets.is_encrypted(raw) and "hunter2" not in str(raw)
    assert get_setting(session, KEY) == "hunter2-smtp"
    assert load_settings(session)[KEY] == "hunter2-smtp"
    assert secret_state(session, KEY) == "stored"


def test_another_secret_key_cannot_read_it(session, app, monkeypatch):
    monkeypatch.delenv("VERKSTAD_SMTP_PASSWORD", raising=False)
    set_setting(session, KEY, "hunter2-smtp")
    session.commit()
    assert secrets.decrypt(stored(session), "another-key") is None
    app.config["SECRET_KEY"] = "another-key"
    assert get_setting(session, KEY) == ""
    assert secret_state(session, KEY) == "unreadable"


def test_the_environment_wins(session, monkeypatch):
    set_setting(session, KEY, "stored-one")
    session.commit()
    monkeypatch.setenv("VERKSTAD_SMTP_PASSWORD", "from-the-environment")
    assert load_settings(session)[KEY] == "from-the-environment"
    assert secret_state(session, KEY) == "environment"


def test_a_plain_value_is_encrypted_on_its_first_read(session, monkeypatch):
    monkeypatch.delenv("VERKSTAD_SMTP_PASSWORD", raising=False)
    session.add(Setting(key=KEY, value="old-plain-value"))
    session.commit()
    assert load_settings(session)[KEY] == "old-plain-value"
    session.commit()
    assert secrets.is_encrypted(stored(session))
    assert get_setting(session, KEY) == "old-plain-value"


def test_the_fernet_key_follows_the_secret_key():
    token = secrets.encrypt("x", "one")
    assert secrets.decrypt(token, "one") == "x"
    assert secrets.decrypt(token, "two") is None
    assert secrets.decrypt({"fernet": "garbage"}, "one") is None
    with pytest.raises(ValueError):
        secrets.fernet("")


def test_migration_0009_encrypts_a_plain_value(app, monkeypatch):
    """The migration runs in the app (migrations/env.py), so SECRET_KEY is there to encrypt with."""
    from flask_migrate import downgrade, stamp, upgrade
    from sqlalchemy import text

    from models import db

    monkeypatch.delenv("VERKSTAD_SMTP_PASSWORD", raising=False)
    with app.app_context():
        stamp(revision="head")  # the test database is built by create_all, at the head
        downgrade(revision="0008_search_index_triggers")
        db.session.execute(Setting.__table__.delete().where(Setting.key == KEY))
        db.session.execute(Setting.__table__.insert().values(key=KEY, value="plain-before-0009"))
        db.session.commit()
        upgrade()
        raw = db.session.scalar(select(Setting.value).where(Setting.key == KEY))
        assert secrets.is_encrypted(raw)
        assert secrets.decrypt(raw, app.config["SECRET_KEY"]) == "plain-before-0009"
        with db.engine.begin() as conn:  # as the other tests expect the database
            conn.execute(text("DROP TABLE alembic_version"))
