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


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or made (the message says what to do)."""


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (not SQLite, or in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # URI filename (?uri=true): left to SQLite
        return None
    return Path(parsed.database)


def ensure_sqlite_dir(url: str) -> None:
    """SQLite creates its file but not the folder it goes in (e.g. the git-ignored instance/
    on a fresh clone): make that folder, so the first connection does not fail with "unable
    to open database file"."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def ensure_database(url: str) -> bool:
    """Make sure the database at ``url`` exists before migrating it; True when it was created.

    SQLite: the file's folder is created (SQLite makes the file itself). PostgreSQL: when the
    database cannot be opened, the server's ``postgres`` database is asked (same credentials)
    whether it exists; a missing one is created (``CREATE DATABASE``). When no server answers,
    the credentials are refused, or the role may not create databases, DatabaseUnavailable
    says so and what to do. Other databases are left as they are.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        ensure_sqlite_dir(url)
        return False
    if backend != "postgresql" or not parsed.database:
        return False

    def connectable(target):
        return create_engine(
            target,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 5},
        )

    shown = parsed.render_as_string(hide_password=True)
    probe = connectable(parsed)
    try:
        with probe.connect():
            return False
    except DBAPIError as error:
        refused = error
    finally:
        probe.dispose()
    unavailable = DatabaseUnavailable(
        f"Cannot connect to PostgreSQL at {shown}: {_first_line(refused.orig)}\n"
        "Check that the server runs (e.g. pg_ctlcluster --skip-systemctl-redirect 15 main "
        "start) and that DATABASE_URL is right."
    )
    admin = connectable(parsed.set(database="postgres"))
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            ).first()
            if exists:  # there, but not for us: the first error says why
                raise unavailable from refused
            name = conn.dialect.identifier_preparer.quote_identifier(parsed.database)
            try:
                conn.execute(text(f"CREATE DATABASE {name}"))
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) == "42P04":  # made meanwhile: fine
                    return False
                raise DatabaseUnavailable(
                    f"PostgreSQL database {parsed.database!r} does not exist and could not be "
                    f"created ({shown}): {_first_line(error.orig)}\n"
                    f"Create it (createdb {parsed.database}) or use a role that may."
                ) from error
    except DBAPIError as error:  # the server does not answer, or not to these credentials
        raise unavailable from error
    finally:
        admin.dispose()
    return True


def _first_line(error: BaseException | None) -> str:
    return (str(error).strip().splitlines() or [""])[0]


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
    # A worker's long-lived heap leaves the cyclic garbage collector after this many requests
    # (zelfzorg/heap.py); 0: never.
    GC_FREEZE_AFTER = int(os.environ.get("GC_FREEZE_AFTER", "50"))
    # Password-reset links by e-mail: queued in ``outbox_email`` for the mail relay to send.
    # Links are built on PUBLIC_BASE_URL (never on the request's Host header, which a visitor
    # chooses); without it no links are sent.
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX", "0") == "1"
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # The ``mail_send`` job delivers the outbox over SMTP every 30 s (nothing is sent, and
    # the rows wait, while MAIL_SERVER is empty). STARTTLS unless MAIL_USE_TLS=0; implicit
    # TLS with MAIL_USE_SSL=1 (port 465).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "0")) or None
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Zelfzorg <noreply@localhost>")

    # FHIR bulk export files (NDJSON): outside every web-served folder; with several hosts,
    # a folder they share. Deleted with their rows after FHIR_EXPORT_HOURS.
    FHIR_EXPORT_DIR = os.environ.get("FHIR_EXPORT_DIR", str(ROOT / "instance" / "fhir-exports"))
    FHIR_EXPORT_HOURS = int(os.environ.get("FHIR_EXPORT_HOURS", "24"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    ENV_NAME = "test"
    SESSION_COOKIE_SECURE = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    SCHEDULER_ENABLED = False
    GC_FREEZE_AFTER = 0  # a test process makes and drops hundreds of apps


def enforce_secrets(config: dict) -> None:
    """Use the instance secret when none is configured; refuse a short one."""
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret()
    if len(str(config["SECRET_KEY"])) < MIN_SECRET_LENGTH and config.get("ENV_NAME") != "test":
        raise RuntimeError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
