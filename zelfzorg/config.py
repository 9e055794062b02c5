"""Settings from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32


def instance_secret(path: Path = ROOT / "instance" / "secret_key") -> str:
    """A random secret made once per installation (never a known default that would let
    anyone sign a session cookie); SECRET_KEY in the environment takes precedence."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # None: the instance secret is used
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'zelfzorg.db'}")
    # Production unless said otherwise: `make run` sets ZELFZORG_ENV=development for plain
    # http on localhost; everywhere else cookies are Secure.
    ENV_NAME = os.environ.get("ZELFZORG_ENV", "production")
    DEBUG = False
    TESTING = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("ZELFZORG_ENV", "production") != "development"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 60 * 60  # idle timeout in seconds; refreshed per request
    STAFF_IDLE_SECONDS = 30 * 60  # staff: logged out after 30 minutes without a request
    SESSION_MAX_AGE = 12 * 60 * 60  # absolute limit since login, whatever the activity
    MFA_PENDING_SECONDS = 5 * 60  # time to enter the second factor after the password
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))  # reverse proxies in front
    # Forms and device uploads are small; a bigger body is refused before it is read (413).
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
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
    """Use the instance secret when none is configured; refuse a short one."""
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret()
    if len(str(config["SECRET_KEY"])) < MIN_SECRET_LENGTH and config.get("ENV_NAME") != "test":
        raise RuntimeError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
