"""``zelfzorg backup`` during concurrent writes and ``zelfzorg restore``, on the suite's
database (SQLite or PostgreSQL): the restored database has exactly the backup's rows, passes
``PRAGMA integrity_check`` (SQLite) and ``audit-verify``."""

from __future__ import annotations

import threading

from sqlalchemy import inspect, text
from sqlmodel import Session

from zelfzorg.audit.models import AuditAction
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.backup import integrity_check
from zelfzorg.db import make_engine

WRITER = AuditSubject(None, "backup test writer", "system", "platform", "")


def row_counts(engine) -> dict[str, int]:
    names = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    with engine.connect() as conn:
        return {n: conn.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in names}


def write_until(url: str, stop: threading.Event, written: list[int]) -> None:
    engine = make_engine(url)
    try:
        while not stop.is_set():
            with Session(engine) as session:
                record(session, WRITER, action=AuditAction.read, object_type="BackupTest")
                session.commit()
            written.append(1)
    finally:
        engine.dispose()


def test_backup_during_writes_then_restore(app, engine, database_url, world, runner, tmp_path):
    stop, written = threading.Event(), []
    writer = threading.Thread(target=write_until, args=(database_url, stop, written))
    writer.start()
    try:
        while len(written) < 5:  # the writer is busy before and during the backup
            stop.wait(0.01)
        target = tmp_path / "zelfzorg.backup"
        result = runner.invoke(args=["zelfzorg", "backup", str(target)])
        while len(written) < 10:
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    if database_url.startswith("sqlite"):
        assert integrity_check(target) == "ok"
        backup_engine = make_engine(f"sqlite:///{target}")
        expected = row_counts(backup_engine)
        backup_engine.dispose()
    else:
        expected = None

    before_restore = row_counts(engine)
    assert before_restore["audit_entry"] >= 10
    result = runner.invoke(args=["zelfzorg", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit chain OK" in result.output
    restored = row_counts(engine)
    if expected is not None:
        assert restored == expected
    # The rows written after the backup are gone; the world from before it is back.
    assert restored["audit_entry"] < before_restore["audit_entry"]
    assert restored["patient"] == before_restore["patient"] == 3
    verify = runner.invoke(args=["zelfzorg", "audit-verify"])
    assert verify.exit_code == 0, verify.output


def test_backup_refuses_to_overwrite_a_file(runner, tmp_path, app):
    target = tmp_path / "bestaat.backup"
    target.write_text("keep me")
    result = runner.invoke(args=["zelfzorg", "backup", str(target)])
    assert result.exit_code != 0
    assert target.read_text() == "keep me"


def test_restore_refuses_a_damaged_file(runner, tmp_path, app, database_url):
    damaged = tmp_path / "kapot.backup"
    damaged.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["zelfzorg", "restore", str(damaged), "--yes"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
