"""The daily job ``database_statistics``: the planner's statistics follow the data (SQLite
gathers none by itself; the generator ends with the same refresh after its bulk load)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from zelfzorg.accounts.models import ThrottleHit
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import run_job


def _planner_rows(session: Session, table: str) -> int:
    """The row count the planner believes ``table`` has."""
    if session.get_bind().dialect.name == "sqlite":
        if not session.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).first():
            return 0  # never analysed
        stats = session.execute(
            sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}
        ).scalars()
        return max((int(s.split()[0]) for s in stats), default=0)
    return int(
        session.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
        ).scalar_one()
    )


def _add_hits(engine, prefix: str, count: int) -> None:
    """``count`` throttle hits, committed; on PostgreSQL this connection's counts of changed
    rows reach ``pg_stat_user_tables`` when its transaction ends (they may wait up to
    seconds otherwise)."""
    now = utcnow()
    with Session(engine) as session:
        session.add_all(
            ThrottleHit(scope="login", key=f"{prefix}:{i}", at=now - timedelta(seconds=i))
            for i in range(count)
        )
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SELECT pg_stat_force_next_flush()"))
        session.commit()


def test_the_job_gives_the_planner_the_tables_row_counts_once_a_day(app, engine):
    now = utcnow()
    _add_hits(engine, "addr", 37)
    with Session(engine) as session:
        assert _planner_rows(session, "throttle_hit") != 37
    assert run_job(engine, "database_statistics", now=now).startswith(
        "planner statistics refreshed"
    )
    assert run_job(engine, "database_statistics", now=now) is None  # claimed for today
    with Session(engine) as session:
        assert _planner_rows(session, "throttle_hit") == 37


def test_on_postgresql_the_job_analyses_only_the_tables_that_changed(engine):
    """A rerun over unchanged data reads (almost) no table again: a full ANALYZE of a
    50,000-patient care group took 1.4 s each time. A table whose rows changed is analysed.
    (Other connections of the pool may still report earlier changes, so the rerun is
    compared with the number of tables, not with 0.)"""
    from zelfzorg.db import refresh_statistics

    if engine.dialect.name != "postgresql":
        with Session(engine) as session:  # SQLite: every table, a bounded sample each
            assert refresh_statistics(session, changed_only=True) == "planner statistics refreshed"
        return

    def analysed(result: str) -> int:
        return int(result.split("(")[1].split()[0])

    def last_analysed(session: Session):
        return session.execute(
            sa.text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'throttle_hit'")
        ).scalar_one()

    with Session(engine) as session:
        tables = session.execute(
            sa.text("SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema()")
        ).scalar_one()
        refresh_statistics(session, changed_only=True)
        session.commit()
    with Session(engine) as session:
        again = refresh_statistics(session, changed_only=True)
        session.commit()
        assert analysed(again) < tables / 4, (again, tables)
        before = last_analysed(session)
        session.commit()
    _add_hits(engine, "again", 12)
    with Session(engine) as session:
        assert analysed(refresh_statistics(session, changed_only=True)) >= 1
        session.commit()
        assert last_analysed(session) > before
        stored = session.execute(sa.text("SELECT count(*) FROM throttle_hit")).scalar_one()
        assert _planner_rows(session, "throttle_hit") == stored
