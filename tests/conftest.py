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
from sqlalchemy import inspect
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
    """Empty the test database: a new public schema, the database created when missing
    (fails loudly when no server answers).

    Dropping the database would be simpler, but DROP DATABASE waits for a checkpoint of the
    whole server: 15-40 s on a busy machine, per run and per migration test.
    """
    import psycopg

    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            # Connections left by an interrupted run would hold locks on the old schema.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
        # A throwaway database need not wait for its WAL to reach the disk at every commit
        # (what other sessions see is unchanged; only a server crash could lose the tail).
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    target = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True, connect_timeout=5) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


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


# PostgreSQL: delete the rows of every table and restart every used sequence, in one round
# trip. Triggers (the audit log's append-only guard, foreign-key checks) are off for this
# transaction only (session_replication_role; the tests connect as a superuser, without that
# right it falls back to TRUNCATE).
# TRUNCATE ... RESTART IDENTITY CASCADE did the same, but rewrote all ~70 tables per test:
# 2-5 s a test on a loaded machine, most of the PostgreSQL suite's time.
PG_EMPTY = """
DO $$
DECLARE r record;
BEGIN
  IF current_setting('is_superuser') <> 'on' THEN
    -- Not allowed to lift the triggers: the slow way, which needs no such right.
    EXECUTE (
      SELECT 'TRUNCATE ' || string_agg(c.oid::regclass::text, ', ') || ' RESTART IDENTITY CASCADE'
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
        AND c.relname <> 'alembic_version'
    );
    RETURN;
  END IF;
  SET LOCAL session_replication_role = replica;
  -- No autovacuum in the test database: a vacuum would hand the deleted rows' space to new
  -- rows, and a SELECT without ORDER BY would no longer see rows in insertion order as it
  -- did after TRUNCATE (tables a migration test re-created get the setting again here).
  FOR r IN
    SELECT c.oid::regclass AS tbl FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r'
      AND NOT coalesce(c.reloptions @> ARRAY['autovacuum_enabled=false'], false)
  LOOP
    EXECUTE 'ALTER TABLE ' || r.tbl::text || ' SET (autovacuum_enabled = false)';
  END LOOP;
  FOR r IN
    SELECT c.oid::regclass AS tbl FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND c.relname <> 'alembic_version'
  LOOP
    EXECUTE 'DELETE FROM ' || r.tbl::text;
  END LOOP;
  FOR r IN
    SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) AS seq
    FROM pg_sequences
    WHERE schemaname = current_schema() AND last_value IS NOT NULL
  LOOP
    PERFORM setval(r.seq::regclass, 1, false);
  END LOOP;
END $$
"""


def empty_database(engine) -> None:
    """Remove every row; the audit log's append-only guard is lifted for the cleanup only."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(PG_EMPTY)
        return
    names = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
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
