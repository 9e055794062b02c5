"""The engine: SQLite pragmas and concurrent writers that wait instead of failing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from zelfzorg.audit.models import AuditAction, AuditEntry
from zelfzorg.audit.services import AuditSubject, record, verify
from zelfzorg.db import make_engine, postgresql_options
from zelfzorg.notifications.jobs import INTERVAL_JOBS

THREADS = 4
PER_THREAD = 25


def test_sqlite_connections_get_the_pragmas_and_postgres_is_postgres(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in (
                    "journal_mode",
                    "foreign_keys",
                    "busy_timeout",
                    "synchronous",
                    "wal_autocheckpoint",
                )
            }
            assert pragmas == {
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 5000,
                "synchronous": 1,
                "wal_autocheckpoint": 16384,  # the checkpoint job's work, see the next test
            }
        else:
            assert engine.dialect.name == "postgresql"
            assert conn.execute(text("SHOW server_encoding")).scalar() == "UTF8"
            # The planner's page costs for storage read from memory or SSD (zelfzorg/db.py).
            assert conn.execute(text("SHOW random_page_cost")).scalar() == "1.1"


def test_postgresql_sessions_get_the_planners_page_cost_unless_the_url_sets_options():
    assert postgresql_options("postgresql+psycopg://u@h/db") == {
        "options": "-c random_page_cost=1.1"
    }
    assert postgresql_options("postgresql+psycopg://u@h/db?options=-c%20work_mem%3D64MB") == {}


def test_the_checkpoint_job_copies_the_write_ahead_log_outside_any_request(engine, tmp_path):
    """A commit leaves its pages in the log (no checkpoint inside it below 64 MiB); the
    interval job copies them into the database file, on SQLite only. A database file of its
    own: the suite's has free pages, which a checkpoint fills without growing the file."""
    job = INTERVAL_JOBS["database_checkpoint"]
    if engine.dialect.name != "sqlite":
        assert job.func(engine, {}) == "not SQLite: nothing to do"
        return
    path = tmp_path / "checkpoint.db"
    own = make_engine(f"sqlite:///{path}")
    try:
        with own.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (x TEXT)")
        assert job.func(own, {}).endswith("log pages in the database")
        size_before = path.stat().st_size
        with own.begin() as conn:  # 6 MB: past the 4 MB at which SQLite would copy by itself
            conn.exec_driver_sql(
                "INSERT INTO probe SELECT hex(randomblob(500)) FROM "
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
                "SELECT i FROM n)"
            )
        assert Path(f"{path}-wal").stat().st_size > 5_000_000  # the commit's pages, in the log
        assert path.stat().st_size == size_before  # nothing copied by the commit
        result = job.func(own, {})
        copied, _of, logged = result.split()[:3]
        assert int(copied) == int(logged) > 0, result
        assert path.stat().st_size > size_before + 5_000_000  # now in the database file
    finally:
        own.dispose()


def test_foreign_keys_are_enforced(engine):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO practice (care_group_id, name, city, created_at) "
                "VALUES (424242, 'Zonder zorggroep', '', CURRENT_TIMESTAMP)"
            )
        )


def _run_threads(target) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(PER_THREAD):
                target(n)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.fixture()
def counter(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE test_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO test_counter (id, n) VALUES (1, 0)"))
    yield
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE test_counter"))


def test_concurrent_read_then_write_transactions_all_succeed_and_none_is_lost(engine, counter):
    # SQLite: every transaction starts with BEGIN IMMEDIATE, so a plain read-then-write is
    # serialised and writers wait (busy_timeout) instead of failing with "database is locked".
    # PostgreSQL (read committed) needs a row lock for the same guarantee: SELECT ... FOR UPDATE.
    read = "SELECT n FROM test_counter WHERE id = 1"
    if engine.dialect.name == "postgresql":
        read += " FOR UPDATE"

    def increment(_n: int) -> None:
        with Session(engine) as session:
            value = session.execute(text(read)).scalar_one()
            session.execute(text("UPDATE test_counter SET n = :n WHERE id = 1"), {"n": value + 1})
            session.commit()

    errors = _run_threads(increment)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM test_counter")).scalar_one() == THREADS * PER_THREAD


def test_concurrent_audit_writers_keep_one_unbroken_chain(engine):
    """The audit log reads the last entry and appends: the application's own read-then-write."""

    def append(n: int) -> None:
        with Session(engine) as session:
            subject = AuditSubject(n, f"thread {n}", "professional", "practice:1", "")
            record(session, subject, action=AuditAction.read, object_type="Patient", object_id=n)
            session.commit()

    errors = _run_threads(append)
    assert errors == []
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(AuditEntry)).one()
        result = verify(session)
    assert total == THREADS * PER_THREAD
    assert result.ok and result.checked == THREADS * PER_THREAD


def test_insert_new_skips_rows_of_a_unique_key_stored_meanwhile(db, world):
    """The imports' insert: a row another import stored in between is skipped, not an error."""
    from datetime import UTC, datetime

    from zelfzorg.db import insert_new
    from zelfzorg.telemonitoring.models import Measurement

    at = datetime(2026, 11, 1, 8, tzinfo=UTC)
    rows = [
        {
            "patient_id": world.patient.id,
            "type_code": "weight",
            "value": 80.0 + n,
            "unit": "kg",
            "measured_at": at,
            "source": "device",
            "source_id": f"race-{n}",
            "note": "",
            "created_at": at,
        }
        for n in range(3)
    ]
    insert_new(db, Measurement.__table__, rows[:2], unique=("patient_id", "source_id"))
    insert_new(db, Measurement.__table__, rows, unique=("patient_id", "source_id"))
    db.commit()
    stored = db.exec(select(Measurement.source_id, Measurement.value)).all()
    assert sorted(stored) == [("race-0", 80.0), ("race-1", 81.0), ("race-2", 82.0)]


def test_bulk_inserted_moments_are_bound_as_core_binds_them(db, world):
    """The imports' executemany stores a whole-second moment in the same form as the ORM, so
    a comparison with a bound moment (a period starting at that second) finds it."""
    from datetime import UTC, datetime

    from zelfzorg.db import insert_rows
    from zelfzorg.telemonitoring.models import Measurement

    at = datetime(2026, 11, 1, 8, tzinfo=UTC)
    columns = ("patient_id", "type_code", "value", "unit", "measured_at", "source")
    columns += ("source_id", "note", "created_at")
    row = (world.patient.id, "weight", 80.0, "kg", at, "device", "bulk-1", "", at)
    insert_rows(db, Measurement.__table__, columns, [row], unique=("patient_id", "source_id"))
    db.add(Measurement(**dict(zip(columns, row, strict=True)) | {"source_id": "orm-1"}))
    db.flush()
    stored = db.exec(
        text("SELECT source_id, measured_at, created_at FROM measurement ORDER BY source_id")
    ).all()
    assert stored[0][1:] == stored[1][1:], stored
    found = db.exec(
        select(Measurement.source_id).where(Measurement.measured_at >= at).order_by("source_id")
    ).all()
    assert found == ["bulk-1", "orm-1"]
    equal = select(func.count()).where(Measurement.measured_at == at)
    assert db.exec(equal).one() == 2
    db.rollback()


def test_a_pooled_connection_is_pinged_only_after_sitting_idle(monkeypatch):
    """No ping round trip per request; an idle connection that fails its ping is replaced."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import QueuePool

    import zelfzorg.db as dbmodule

    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1)
    pings: list[object] = []

    def ping(dbapi_connection):
        pings.append(dbapi_connection)
        if len(pings) == 1:
            raise OSError("server closed the connection")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    dbmodule._ping_idle_connections(engine)
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
    with engine.connect() as conn:  # in steady use: no ping
        assert conn.connection.dbapi_connection is first
    assert pings == []
    monkeypatch.setattr(dbmodule, "IDLE_PING_SECONDS", 0.0)
    with engine.connect() as conn:  # idle "too long": pinged, the ping fails, reconnected
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        replaced = conn.connection.dbapi_connection
    assert pings[0] is first and replaced is not first
    engine.dispose()
