"""A fresh clone has no instance/ folder and maybe an empty PostgreSQL server: `alembic upgrade
head` (the first step of `make run`) creates what is missing; CLI commands typed before it say
what to do. The whole first run is checked end to end by scripts/smoke-run.sh."""

from __future__ import annotations

import os

import click
import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from tests.conftest import alembic_config
from zelfzorg.cli import require_schema
from zelfzorg.config import DatabaseUnavailable, ensure_database, sqlite_path
from zelfzorg.db import make_engine


def test_upgrade_creates_the_missing_folder_of_a_sqlite_database(tmp_path):
    path = tmp_path / "instance" / "nested" / "zelfzorg.db"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    assert path.is_file()
    engine = make_engine(url)
    try:
        assert "alembic_version" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_sqlite_path_of_urls(tmp_path):
    assert sqlite_path(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db"
    assert str(sqlite_path("sqlite:///instance/zelfzorg.db")) == "instance/zelfzorg.db"
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://postgres@127.0.0.1/x") is None


def test_cli_on_an_unmigrated_database_says_what_to_do(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        with pytest.raises(click.ClickException) as raised:
            require_schema(engine)
    finally:
        engine.dispose()
    assert "has no tables yet" in raised.value.message
    assert "alembic upgrade head" in raised.value.message


def test_no_postgres_server_is_a_clear_error():
    # Port 1 on the loopback: nothing listens there, the connection is refused at once.
    with pytest.raises(DatabaseUnavailable, match="Cannot connect to PostgreSQL at"):
        ensure_database("postgresql+psycopg://postgres:secret@127.0.0.1:1/zelfzorg_none")


def _missing_postgres_database_is_created(database_url):
    import psycopg

    parsed = make_url(database_url)
    url = parsed.set(database=f"{parsed.database}_fresh").render_as_string(hide_password=False)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )

    def drop():
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}_fresh" WITH (FORCE)')

    drop()
    try:
        assert ensure_database(url) is True
        assert ensure_database(url) is False  # there now: left alone
    finally:
        drop()


# Collected only in the PostgreSQL run of the suite (make test runs both): never a skip.
if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
    test_missing_postgres_database_is_created = _missing_postgres_database_is_created


@pytest.mark.parametrize(
    "command",
    [
        ["generate", "--patients", "1"],
        ["import-measurements", "{csv}"],
        ["fhir-import", "--practice", "1", "{bundle}"],
        ["lifestyle-eligibility"],
        ["instruments", "list"],
        ["audit-verify"],
        ["demo-logins"],
        ["run-job", "izp_review_reminders"],
    ],
)
def test_every_database_command_on_an_unmigrated_database_says_what_to_do(tmp_path, command):
    """Each command that opens the database goes through the same check (zelfzorg.cli.engine),
    so a command typed on a fresh clone gets the message, not a traceback, and writes nothing."""
    from zelfzorg import create_app
    from zelfzorg.config import TestConfig

    (tmp_path / "m.csv").write_text("patient_id,type_code,value,unit,measured_at\n")
    (tmp_path / "b.json").write_text('{"resourceType": "Bundle", "type": "transaction"}')

    class Config(TestConfig):
        DATABASE_URL = f"sqlite:///{tmp_path}/empty.db"

    app = create_app(Config)
    args = [a.format(csv=tmp_path / "m.csv", bundle=tmp_path / "b.json") for a in command]
    try:
        result = app.test_cli_runner().invoke(args=["zelfzorg", *args])
        engine = app.extensions["zelfzorg_engine"]
        assert inspect(engine).get_table_names() == []
    finally:
        app.extensions["zelfzorg_engine"].dispose()
    assert result.exit_code == 1, result.output
    assert "has no tables yet" in result.output, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
