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


def test_the_job_gives_the_planner_the_tables_row_counts_once_a_day(app, engine):
    now = utcnow()
    with Session(engine) as session:
        session.add_all(
            ThrottleHit(scope="login", key=f"addr:{i}", at=now - timedelta(seconds=i))
            for i in range(37)
        )
        session.commit()
        assert _planner_rows(session, "throttle_hit") != 37
    assert run_job(engine, "database_statistics", now=now) == "planner statistics refreshed"
    assert run_job(engine, "database_statistics", now=now) is None  # claimed for today
    with Session(engine) as session:
        assert _planner_rows(session, "throttle_hit") == 37
