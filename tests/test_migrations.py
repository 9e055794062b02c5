"""Migrations upgrade, downgrade and upgrade again on a fresh database of the current dialect,
and they describe exactly the tables the models declare."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from tests.conftest import alembic_config, recreate_postgres_database
from zelfzorg.db import make_engine
from zelfzorg.models_registry import import_all_models


@pytest.fixture()
def fresh_url(database_url):
    """An empty database of the same kind as the test database, just for migrations."""
    if database_url.startswith("postgresql"):
        parsed = make_url(database_url)
        url = parsed.set(database=f"{parsed.database}_mig").render_as_string(hide_password=False)
        recreate_postgres_database(url)
        yield url
        return
    path = Path(tempfile.mkdtemp(prefix="zelfzorg-mig-")) / "migrations.db"
    yield f"sqlite:///{path}"


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


FOUNDATION_TABLES = {
    "care_group",
    "practice",
    "user_account",
    "activation_code",
    "patient",
    "condition",
    "enrolment",
    "care_team_member",
    "audit_entry",
    "notification",
    "job_run",
}


def test_upgrade_downgrade_upgrade(fresh_url):
    config = alembic_config(fresh_url)
    head = ScriptDirectory.from_config(config).get_current_head()
    command.upgrade(config, "head")
    upgraded = tables(fresh_url)
    assert upgraded >= FOUNDATION_TABLES
    command.downgrade(config, "base")
    assert tables(fresh_url) == set()
    command.upgrade(config, "head")
    assert tables(fresh_url) == upgraded
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert version == head


def test_every_revision_steps_down_and_up_one_at_a_time(fresh_url):
    config = alembic_config(fresh_url)
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    command.upgrade(config, "head")
    upgraded = tables(fresh_url)
    for _ in revisions:
        command.downgrade(config, "-1")
    assert tables(fresh_url) == set()
    for _ in revisions:
        command.upgrade(config, "+1")
    assert tables(fresh_url) == upgraded


def test_models_and_migrations_agree(fresh_url):
    command.upgrade(alembic_config(fresh_url), "head")
    import_all_models()
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert [describe(d) for d in differences] == [], "models differ: add an Alembic revision"


def describe(difference) -> str:
    """A short text for one autogenerate difference (a tuple, or a list of column changes)."""
    if isinstance(difference, list):
        return "; ".join(describe(d) for d in difference)
    kind, *rest = difference
    names = [getattr(x, "name", None) or (x if isinstance(x, str) else "") for x in rest]
    return f"{kind} {' '.join(n for n in names if n)}".strip()


def test_audit_guard_is_created_by_the_migration_and_removed_on_downgrade(fresh_url):
    config = alembic_config(fresh_url)
    command.upgrade(config, "head")
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_entry (id, at, user_name, role, organisation, action, "
                    "object_type, outcome, client_address, detail, prev_hash, hash) VALUES "
                    "(1, CURRENT_TIMESTAMP, '', '', '', 'read', 'X', 'allowed', '', '', '0', '1')"
                )
            )
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_entry"))
    finally:
        engine.dispose()
    # Downgrading drops the guard together with the table (no leftover trigger or function).
    command.downgrade(config, "base")
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                leftover = conn.execute(
                    text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_entry_append_only'")
                ).scalar_one()
            else:
                leftover = conn.execute(
                    text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
                ).scalar_one()
    finally:
        engine.dispose()
    assert leftover == 0
