"""Typed settings, read from the environment (prefix ``SIYU_``) and ``.env``.

Outside ``SIYU_ENV=dev`` the placeholder secrets are refused at start-up with a message that
names the setting, so a production deployment can never run on the values printed in the README.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET_KEY = "dev-only-secret-key-change-me-0123456789"  # noqa: S105 - refused outside dev
PLACEHOLDER_ADMIN_PASSWORD = "siyu-demo-2026"  # noqa: S105 - refused outside dev
MIN_SECRET_KEY_LENGTH = 32
MIN_ADMIN_PASSWORD_LENGTH = 12
# Variables with the prefix that belong to tooling rather than to the running product.
OUTSIDE_SETTINGS = frozenset({"SIYU_TEST_DATABASE_URL", "SIYU_TEST_REDIS_URL"})


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and what to do."""


def _default_var_dir() -> Path:
    return Path(os.environ.get("SIYU_VAR_DIR", "var")).resolve()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIYU_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
    )

    env: Literal["dev", "test", "prod"] = "dev"
    var_dir: Path = Field(default_factory=_default_var_dir)
    database_url: str = ""
    redis_url: str = ""
    # Connections per process: enough for the request threads, so none is opened per request.
    db_pool_size: int = 20
    db_max_overflow: int = 20
    jobs_backend: Literal["auto", "sqlite", "redis", "memory"] = "auto"
    secret_key: str = PLACEHOLDER_SECRET_KEY
    admin_password: str = PLACEHOLDER_ADMIN_PASSWORD
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    cookie_secure: bool = False
    session_idle_minutes: int = 8 * 60
    session_max_hours: int = 7 * 24
    login_max_failures: int = 5
    login_failure_window_minutes: int = 15
    max_body_bytes: int = 2 * 1024 * 1024
    # Build every tenant's audience index when the API starts (`siyu serve`), not at the first
    # count: a tenant of ten million customers takes half a minute to read.
    segment_index_at_start: bool = False
    # Spreadsheet uploads (customer imports): a million rows of .xlsx is about 40 MB.
    max_upload_bytes: int = 200 * 1024 * 1024
    job_sweep_grace_seconds: int = 60
    # WeCom: the real API host, or the sandbox's address for demos and tests.
    wecom_base_url: str = "https://qyapi.weixin.qq.com"
    # WeCom's chat archive (会话存档): the path of Tencent's Finance SDK library
    # (libWeWorkFinanceSdk_C.so), needed only by tenants that read the real archive.
    chat_archive_sdk_path: str = ""
    # Proxy the SDK uses to reach WeCom (``host:port``) and its password, when one is needed.
    chat_archive_proxy: str = ""
    chat_archive_proxy_password: str = ""
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8100
    sandbox_database_url: str = ""
    # Callbacks the sandbox sends at once (WeCom delivers concurrently, not one by one).
    sandbox_callback_senders: int = Field(4, ge=1, le=32)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_unknown_variables(self) -> Settings:
        known = {f"SIYU_{name.upper()}" for name in type(self).model_fields}
        unknown = sorted(
            key
            for key in os.environ
            if key.startswith("SIYU_") and key not in known and key not in OUTSIDE_SETTINGS
        )
        if unknown:
            raise ConfigError(
                f"Unknown setting {', '.join(unknown)}: check the spelling "
                f"(known settings: {', '.join(sorted(known))})."
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.env == "dev":
            return self
        if (
            self.secret_key == PLACEHOLDER_SECRET_KEY
            or len(self.secret_key) < MIN_SECRET_KEY_LENGTH
        ):
            raise ConfigError(
                f"SIYU_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters when SIYU_ENV={self.env} "
                "(try: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if (
            self.admin_password == PLACEHOLDER_ADMIN_PASSWORD
            or len(self.admin_password) < MIN_ADMIN_PASSWORD_LENGTH
        ):
            raise ConfigError(
                f"SIYU_ADMIN_PASSWORD must be changed from the demo default and be at least "
                f"{MIN_ADMIN_PASSWORD_LENGTH} characters when SIYU_ENV={self.env}."
            )
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'siyu.db'}"

    @property
    def effective_jobs_backend(self) -> Literal["sqlite", "redis", "memory"]:
        if self.jobs_backend != "auto":
            return self.jobs_backend
        return "redis" if self.redis_url else "sqlite"

    @property
    def effective_sandbox_database_url(self) -> str:
        return self.sandbox_database_url or f"sqlite:///{self.var_dir / 'sandbox.db'}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.sandbox_host}:{self.sandbox_port}"

    @property
    def console_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
