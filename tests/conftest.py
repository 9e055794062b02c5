"""Shared fixtures: one app per test session on a fresh database (SQLite by default,
PostgreSQL when TEST_DATABASE_URL points at it), emptied after every test; personas."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from tests.factories import World, build_world
from zelfzorg import create_app
from zelfzorg.config import ROOT, TestConfig
from zelfzorg.i18n_catalogs import compile_all

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/zelfzorg_test"


def test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url in ("", "sqlite"):
        path = Path(tempfile.mkdtemp(prefix="zelfzorg-test-")) / "test.db"
        return f"sqlite:///{path}"
    if url == "postgres":
        return PG_DEFAULT
    return url


def recreate_postgres_database(url: str) -> None:
    """Drop and create the test database (fails loudly when no server answers)."""
    import psycopg

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


@pytest.fixture(scope="session")
def database_url() -> str:
    url = test_database_url()
    if url.startswith("postgresql"):
        recreate_postgres_database(url)
    return url


@pytest.fixture(scope="session")
def app(database_url):
    compile_all()
    command.upgrade(alembic_config(database_url), "head")

    class Config(TestConfig):
        DATABASE_URL = database_url

    app = create_app(Config)
    yield app
    app.extensions["zelfzorg_engine"].dispose()


@pytest.fixture(scope="session")
def engine(app):
    return app.extensions["zelfzorg_engine"]


def empty_database(engine) -> None:
    """Remove every row; the audit log's append-only guard is lifted for the cleanup only."""
    names = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        return
    # SQLite: foreign keys off for the cleanup (checking each deleted parent row against
    # unindexed child columns made a generated care group take minutes to remove). The pragma
    # only works outside a transaction, so this uses the driver connection directly.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("BEGIN IMMEDIATE")
        triggers = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger'"
        ).fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        for name in names:
            cursor.execute(f"DELETE FROM {name}")
        for _name, sql in triggers:
            cursor.execute(sql)
        cursor.execute("COMMIT")
    finally:
        if raw.driver_connection.in_transaction:
            raw.driver_connection.rollback()
        raw.driver_connection.execute("PRAGMA foreign_keys=ON")
        raw.close()


@pytest.fixture(autouse=True)
def _clean_database(request):
    engine = request.getfixturevalue("engine") if "app" in request.fixturenames else None
    yield
    if engine is not None:
        empty_database(engine)


@pytest.fixture()
def db(engine):
    """A session for arranging data and calling services directly; commit to share it."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture()
def world(db) -> World:
    built = build_world(db)
    db.commit()
    return built


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def login(app):
    """``login(user)`` returns a test client logged in as that user (second factor done)."""

    def _login(user):
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["login_at"] = int(time.time())
        return c

    return _login


@pytest.fixture()
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()
