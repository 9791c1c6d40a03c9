"""Password hashing: production pays the full scrypt cost; only TestConfig makes it cheap."""
from werkzeug.security import check_password_hash

from app import create_app
from config.settings import Config, TestConfig
from services.platform.auth import PASSWORD_HASH_METHOD, hash_password


def test_production_hash_is_full_cost_scrypt():
    assert not hasattr(Config, "PASSWORD_HASH_METHOD")  # production takes services.platform.auth's parameters
    stored = hash_password("rätt-lösenord-1")  # no app: the production parameters
    method, n, r, p = stored.split("$", 1)[0].split(":")
    assert method == "scrypt" and int(n) >= 2**15 and int(r) >= 8 and int(p) >= 1
    assert stored.startswith(PASSWORD_HASH_METHOD + "$")
    assert check_password_hash(stored, "rätt-lösenord-1")
    assert not check_password_hash(stored, "fel-lösenord-1")


def test_the_app_config_chooses_the_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("VERKSTAD_INSTANCE_DIR", str(tmp_path / "instance"))
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite'}", FILES_DIR=str(tmp_path / "files"))
    with create_app(config).app_context():
        stored = hash_password("rätt-lösenord-1")
    assert stored.startswith(TestConfig.PASSWORD_HASH_METHOD + "$")
    assert check_password_hash(stored, "rätt-lösenord-1")
    assert not check_password_hash(stored, "fel-lösenord-1")
