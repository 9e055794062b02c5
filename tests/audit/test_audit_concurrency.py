"""The audit append is one short step at commit: no lock while a request works or renders,
and one verifiable chain however many threads or processes append at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import psycopg
from flask import before_render_template
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from zelfzorg.audit.models import AuditAction, AuditEntry
from zelfzorg.audit.services import AuditSubject, pending, record, record_many, verify
from zelfzorg.db import PG_APPEND_LOCK_KEY, lock_for_append, make_engine, read_engine

THREADS = 6
PER_THREAD = 15
PROCESSES = 3
PER_PROCESS = 20


def subject(n: int) -> AuditSubject:
    return AuditSubject(n, f"worker {n}", "professional", "practice:1", "127.0.0.1")


def chain_of(engine) -> tuple[int, object]:
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(AuditEntry)).one()
        return total, verify(session)


def test_record_buffers_without_sql_and_the_commit_appends_in_one_step(engine, world):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        event.listen(engine, "before_cursor_execute", count)
        try:
            record(session, subject(1), action=AuditAction.read, object_type="Patient")
            record_many(session, subject(1), [1, 2, 3], action=AuditAction.search, object_type="X")
            assert statements == []
            assert len(pending(session)) == 4
            session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # lock (PostgreSQL only), read the chain's head, one insert of the batch
    writes = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(writes) == 1
    assert len(statements) <= 3
    total, result = chain_of(engine)
    assert (total, result.ok, result.checked) == (4, True, 4)


def test_a_rolled_back_transaction_discards_its_entries(engine, world):
    with Session(engine) as session:
        record(session, subject(1), action=AuditAction.read, object_type="Patient")
        session.rollback()
        assert pending(session) == []
        session.commit()
    assert chain_of(engine)[0] == 0


def test_threads_appending_from_reading_and_writing_sessions_keep_one_chain(engine, world):
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)
    reader = read_engine(engine)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                # Even threads behave like GET requests (deferred on SQLite), odd like POSTs.
                with Session(reader if n % 2 == 0 else engine) as session:
                    session.exec(select(func.count()).select_from(AuditEntry)).one()
                    record_many(
                        session,
                        subject(n),
                        range(1 + i % 3),
                        action=AuditAction.read,
                        object_type="Patient",
                    )
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    expected = THREADS * sum(1 + i % 3 for i in range(PER_THREAD))
    total, result = chain_of(engine)
    assert (total, result.ok, result.checked) == (expected, True, expected)


def _append_in_process(url: str, n: int, start, count: int) -> None:
    engine = make_engine(url)
    start.wait()
    for _ in range(count):
        with Session(read_engine(engine)) as session:
            record(session, subject(n), action=AuditAction.read, object_type="Patient")
            session.commit()
    engine.dispose()


def test_several_processes_appending_keep_one_chain(engine, world, database_url):
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_append_in_process, args=(database_url, n, start, PER_PROCESS))
        for n in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0] * PROCESSES
    total, result = chain_of(engine)
    expected = PROCESSES * PER_PROCESS
    assert (total, result.ok, result.checked) == (expected, True, expected)


def _other_writer_can_append(engine, database_url: str) -> bool:
    """From a second connection: could another process append right now, without waiting?"""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(make_url(database_url).database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    plain = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False)) as other:
        got = other.execute("SELECT pg_try_advisory_xact_lock(%s)", (PG_APPEND_LOCK_KEY,))
        return got.fetchone()[0]


def test_a_reading_request_holds_no_lock_while_it_renders(
    app, engine, database_url, db, world, login
):
    seen: list[bool] = []

    def probe(_sender, template, **_extra):
        if template.name == "patients/detail.html":
            seen.append(_other_writer_can_append(engine, database_url))

    client = login(world.poh)
    with before_render_template.connected_to(probe, app):
        response = client.get(f"/patienten/{world.patient.id}")
    assert response.status_code == 200
    assert seen == [True]
    reads = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "Patient", AuditEntry.user_id == world.poh.id
        )
    ).all()
    db.commit()
    assert [e.patient_id for e in reads] == [world.patient.id]
    assert chain_of(engine)[1].ok


def test_a_reading_session_that_writes_takes_the_lock_instead_of_upgrading_its_snapshot(
    engine, world
):
    """Upgrading a stale read snapshot in place fails on SQLite ("database is locked") when
    another writer committed meanwhile; the session restarts as a writer instead."""
    reader = read_engine(engine)
    with Session(reader) as slow, Session(engine) as fast:
        slow.exec(select(func.count()).select_from(AuditEntry)).one()
        record(fast, subject(2), action=AuditAction.read, object_type="Patient")
        fast.commit()
        slow.execute(text("UPDATE practice SET city = 'Utrecht'"))
        record(slow, subject(1), action=AuditAction.read, object_type="Patient")
        slow.commit()
    total, result = chain_of(engine)
    assert (total, result.ok) == (2, True)


def _waiting_for_the_append_lock(engine) -> bool:
    if engine.dialect.name != "postgresql":
        return True  # SQLite: the waiter retries on busy_timeout; nothing to observe
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = :k AND NOT granted"
                ),
                {"k": PG_APPEND_LOCK_KEY},
            ).scalar_one()
        )


def test_an_append_that_waited_for_the_lock_chains_onto_the_entry_committed_meanwhile(
    engine, world
):
    """The head is read after the lock is granted, with a fresh snapshot: a session that
    waited while another appended and committed chains onto that entry. (Reading the head in
    the same statement that takes the lock would use the snapshot from before the wait, pick
    the old head and fail on the duplicate id.)"""
    errors: list[BaseException] = []
    with Session(engine) as holder:
        record(holder, subject(1), action=AuditAction.read, object_type="Patient")
        lock_for_append(holder)  # the holder has the append lock until it commits

        def waiter() -> None:
            try:
                with Session(read_engine(engine)) as session:
                    session.execute(text("SELECT 1"))  # its transaction starts before the commit
                    record(session, subject(2), action=AuditAction.read, object_type="Patient")
                    session.commit()
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        thread = threading.Thread(target=waiter)
        thread.start()
        for _ in range(600):  # until the waiter is blocked on the lock (at most ~60 s)
            if _waiting_for_the_append_lock(engine):
                break
            thread.join(timeout=0.1)
        holder.commit()
    thread.join(timeout=60)
    assert errors == []
    total, result = chain_of(engine)
    assert (total, result.ok, result.checked) == (2, True, 2)
