"""Engine per app and session per request.

SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` for every transaction
(SQLAlchemy's documented pysqlite recipe): almost every request writes an audit entry, so
taking the write lock up front makes concurrent writers wait instead of failing with
"database is locked" on lock upgrade.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no branch
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own BEGIN handling is disabled).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work outside a request (CLI, jobs): commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session() -> Session:
    """The current request's session (created lazily, closed at teardown)."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["zelfzorg_engine"], expire_on_commit=False)
    return g.db_session


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
    app.extensions["zelfzorg_engine"] = engine

    @app.after_request
    def _commit(response):
        from flask import g

        session = g.pop("db_session", None)
        if session is not None:
            try:
                # One commit per request. Responses below 500 commit: denials and validation
                # errors carry audit entries, and services validate before they change data.
                if response.status_code < 500 and not g.get("db_rollback"):
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_appcontext
    def _close(_exc):
        from flask import g

        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
