"""Scheduled jobs run once per day however many processes try: 4 app processes start every
job at the same moment, then the scheduler is "restarted" twice (its catch-up runs them
again); each job is claimed once and each reminder exists once. The scheduler never starts
inside ``create_app()`` outside development."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta

from sqlmodel import Session, func, select

from tests.izp.helpers import active_goal
from tests.security.jobs_worker import run_all_jobs
from zelfzorg import create_app
from zelfzorg.config import TestConfig
from zelfzorg.notifications import jobs as jobs_module
from zelfzorg.notifications.models import JobRun, Notification


def _round(url: str, processes: int) -> list[dict]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [
        ctx.Process(target=run_all_jobs, args=(url, barrier, results)) for _ in range(processes)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    return outcomes


def test_each_job_runs_once_across_four_processes_and_restarts(db, engine, world, database_url):
    goal = active_goal(db, world, review_date=date.today() + timedelta(days=3))
    db.commit()
    first = _round(database_url, 4)
    names = sorted(first[0])
    assert names, "no jobs registered"
    for name in names:
        results = [o[name] for o in first]
        assert not [r for r in results if r and r.startswith("ERROR")], results
        assert sum(r is not None for r in results) == 1, f"{name} ran {results}"
    for _restart in range(2):
        again = _round(database_url, 2)
        assert all(o[name] is None for o in again for name in names)
    with Session(engine) as session:
        runs = session.exec(select(JobRun.job, func.count()).group_by(JobRun.job)).all()
        assert dict(runs) == dict.fromkeys(names, 1)
        reminders = session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.key == f"izp-review:{goal.id}:{goal.review_date.isoformat()}")
        ).one()
        assert reminders == 1


def test_the_scheduler_starts_in_create_app_only_in_development(monkeypatch, database_url):
    started = []
    monkeypatch.setattr(
        jobs_module, "start_scheduler", lambda engine, **_kw: started.append(engine)
    )

    for env, expected in (("production", 0), ("test", 0), ("development", 1)):

        class Config(TestConfig):
            DATABASE_URL = database_url
            SCHEDULER_ENABLED = True
            ENV_NAME = env
            SECRET_KEY = "x" * 40

        app = create_app(Config)
        app.extensions["zelfzorg_engine"].dispose()
        assert len(started) == expected, env
        started.clear()
