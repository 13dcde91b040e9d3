from __future__ import annotations

import pytest

from siyu.config import PLACEHOLDER_ADMIN_PASSWORD, PLACEHOLDER_SECRET_KEY, ConfigError, Settings

STRONG_KEY = "k" * 48
STRONG_PASSWORD = "a-long-admin-password"


def test_dev_accepts_the_placeholders() -> None:
    settings = Settings(env="dev")
    assert settings.secret_key == PLACEHOLDER_SECRET_KEY


def test_production_refuses_the_placeholder_secret_key_and_names_it() -> None:
    with pytest.raises(ConfigError, match="SIYU_SECRET_KEY"):
        Settings(env="prod", admin_password=STRONG_PASSWORD)


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ConfigError, match="SIYU_SECRET_KEY"):
        Settings(env="prod", secret_key="short", admin_password=STRONG_PASSWORD)


def test_production_refuses_the_default_admin_password_and_names_it() -> None:
    with pytest.raises(ConfigError, match="SIYU_ADMIN_PASSWORD"):
        Settings(env="prod", secret_key=STRONG_KEY, admin_password=PLACEHOLDER_ADMIN_PASSWORD)


def test_production_accepts_real_secrets() -> None:
    settings = Settings(env="prod", secret_key=STRONG_KEY, admin_password=STRONG_PASSWORD)
    assert settings.env == "prod"


def test_a_misspelt_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_DATABSE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="SIYU_DATABSE_URL"):
        Settings()


def test_database_defaults_to_sqlite_under_the_var_dir(tmp_path: object) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/siyu.db"
    assert settings.effective_jobs_backend in {"sqlite", "memory"}


def test_redis_url_selects_the_redis_queue() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:6379/0", jobs_backend="auto")
    assert settings.effective_jobs_backend == "redis"
