"""Settings from the environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside development


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'zelfzorg.db'}")
    ENV_NAME = os.environ.get("ZELFZORG_ENV", "development")
    DEBUG = False
    TESTING = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("ZELFZORG_ENV", "development") != "development"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 60 * 60  # idle timeout in seconds; refreshed per request
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")

    # argon2id; argon2-cffi defaults (t=3, 64 MiB) meet OWASP. Tests lower them for speed.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    ACTIVATION_CODE_WEEKS = 6
    TOTP_ISSUER = "Zelfzorg"

    SCHEDULER_ENABLED = os.environ.get("SCHEDULER_ENABLED", "0") == "1"
    SQL_ECHO = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    ENV_NAME = "test"
    SESSION_COOKIE_SECURE = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    SCHEDULER_ENABLED = False


def enforce_secrets(config: dict) -> None:
    """Refuse the development secret outside development and tests."""
    if config.get("ENV_NAME") not in ("development", "test") and (
        config.get("SECRET_KEY") in (None, "", DEV_SECRET)
    ):
        raise RuntimeError("Set SECRET_KEY: the development secret is refused outside development")
