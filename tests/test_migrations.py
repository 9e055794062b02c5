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


def test_free_text_agreements_become_agreement_rows_and_come_back_on_downgrade(fresh_url):
    """0006 turns each line of the old free-text agreements into an open agreement row with a
    revision, and the plan's history records the text moving out; nothing is lost."""
    config = alembic_config(fresh_url)
    command.upgrade(config, "0005")
    engine = make_engine(fresh_url)
    text_value = "Patiënt meet de bloeddruk.\n\n  POH belt na 4 weken.  \n" + "x" * 520
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO care_group (id, name, created_at) VALUES "
                    "(1, 'Zorggroep', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO practice (id, care_group_id, name, city, created_at) VALUES "
                    "(1, 1, 'Praktijk', 'Utrecht', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO patient (id, practice_id, given_name, family_name, date_of_birth,"
                    " sex, created_at, is_demo) VALUES (1, 1, 'Gerda', 'W', '1950-01-01', 'female',"
                    " CURRENT_TIMESTAMP, false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO care_plan (id, patient_id, what_matters, life_goals, "
                    "support_needs, modules, agreements, conditions, version, created_at, "
                    "updated_at) VALUES (1, 1, '', '', '', '[]', :agreements, '[]', 3, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"agreements": text_value},
            )
        command.upgrade(config, "0006")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT what, who, status FROM plan_agreement ORDER BY id")
            ).all()
            revisions = conn.execute(
                text("SELECT object_type FROM izp_revision ORDER BY id")
            ).scalars()
            kinds = list(revisions)
        assert [r[0] for r in rows] == [
            "Patiënt meet de bloeddruk.",
            "POH belt na 4 weken.",
            "x" * 500,
            "x" * 20,
        ]
        assert {(r[1], r[2]) for r in rows} == {("", "open")}
        assert kinds.count("PlanAgreement") == 4 and kinds.count("CarePlan") == 1
        command.downgrade(config, "0005")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT agreements FROM care_plan")).scalar_one()
            left = conn.execute(text("SELECT count(*) FROM izp_revision")).scalar_one()
        assert back.splitlines()[:2] == ["Patiënt meet de bloeddruk.", "POH belt na 4 weken."]
        assert left == 0
    finally:
        engine.dispose()


def test_short_sqlite_moments_get_the_long_form(fresh_url):
    """0028: on SQLite a moment stored as "YYYY-MM-DD HH:MM:SS" (the bulk inserts wrote whole
    seconds so) becomes "... .000000", the form every bound moment has; others are kept."""
    config = alembic_config(fresh_url)
    command.upgrade(config, "0027")
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO care_group (id, name, created_at) VALUES "
                    "(1, 'Zorggroep', '2026-11-01 08:00:00'), "
                    "(2, 'Andere', '2026-11-01 08:00:00.250000')"
                )
            )
        command.upgrade(config, "0028")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT created_at FROM care_group ORDER BY id")).all()
        if engine.dialect.name == "sqlite":
            assert [str(r[0]) for r in stored] == [
                "2026-11-01 08:00:00.000000",
                "2026-11-01 08:00:00.250000",
            ]
        else:  # timestamps, not text: nothing to change
            assert [r[0].microsecond for r in stored] == [0, 250000]
        command.downgrade(config, "0027")
    finally:
        engine.dispose()


def _latest_rows(conn) -> list[tuple]:
    return [
        tuple(r)
        for r in conn.execute(
            text("SELECT patient_id, type_code, value FROM measurement_latest ORDER BY 1, 2")
        )
    ]


def test_sqlite_key_ordered_tables_keep_their_rows_indexes_and_triggers(fresh_url):
    """0031: on SQLite measurement_latest and lifestyle_eligibility become WITHOUT ROWID
    tables with their rows and indexes, and the triggers of 0030 on measurement keep filling
    measurement_latest after the rebuild (and after the downgrade's); on PostgreSQL nothing
    changes and the same rows come through."""
    config = alembic_config(fresh_url)
    command.upgrade(config, "0030")
    engine = make_engine(fresh_url)
    sqlite = engine.dialect.name == "sqlite"

    def definitions(conn) -> dict[str, str]:
        rows = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name IN "
                "('measurement_latest', 'lifestyle_eligibility') AND sql IS NOT NULL"
            )
        )
        return {row[0]: row[1] for row in rows}

    def reading(conn, id_: int, value: float) -> None:
        conn.execute(
            text(
                "INSERT INTO measurement (id, patient_id, type_code, value, unit, measured_at, "
                "source, note, created_at) VALUES (:id, 1, 'weight', :v, 'kg', :at, 'patient', "
                "'', :at)"
            ),
            {"id": id_, "v": value, "at": f"2026-11-0{id_} 08:00:00.000000"},
        )

    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO care_group (id, name, created_at) VALUES "
                    "(1, 'Zorggroep', '2026-11-01 08:00:00.000000')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO practice (id, care_group_id, name, city, agb_code, phone, "
                    "version, created_at) VALUES (1, 1, 'Praktijk', 'Utrecht', '01000001', '', "
                    "1, '2026-11-01 08:00:00.000000')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO patient (id, practice_id, given_name, family_name, "
                    "date_of_birth, sex, his_number, created_at, is_demo, version) VALUES "
                    "(1, 1, 'An', 'Jansen', '1960-01-01', 'female', 'H1', "
                    "'2026-11-01 08:00:00.000000', false, 1)"
                )
            )
            reading(conn, 1, 80.0)
            before = _latest_rows(conn)
            if sqlite:
                old = definitions(conn)
        assert before == [(1, "weight", 80.0)]
        command.upgrade(config, "0031")
        with engine.begin() as conn:
            assert _latest_rows(conn) == before
            reading(conn, 2, 79.0)  # the trigger still keeps the table
            assert _latest_rows(conn) == [(1, "weight", 79.0)]
            if sqlite:
                new = definitions(conn)
                assert set(new) == set(old)  # every index made again
                for table in ("measurement_latest", "lifestyle_eligibility"):
                    assert new[table].endswith("WITHOUT ROWID")
                    assert not old[table].endswith("WITHOUT ROWID")
        command.downgrade(config, "0030")
        with engine.begin() as conn:
            reading(conn, 3, 78.0)
            assert _latest_rows(conn) == [(1, "weight", 78.0)]
            if sqlite:
                assert {n: s.replace('"', "") for n, s in definitions(conn).items()} == {
                    n: s.replace('"', "") for n, s in old.items()
                }
    finally:
        engine.dispose()
