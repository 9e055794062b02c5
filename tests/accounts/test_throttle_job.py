"""The daily job that prunes old throttle hits: registered with the scheduler's jobs, claimed
once per day, and it removes only hits that no longer count."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from zelfzorg.accounts import jobs as account_jobs
from zelfzorg.accounts import throttle
from zelfzorg.accounts.models import ThrottleHit
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import JOBS, run_job


def test_throttle_prune_is_a_registered_daily_job(app):
    job = JOBS[account_jobs.JOB_NAME]
    assert job.func is account_jobs.prune_throttle_hits


def test_the_job_removes_old_hits_keeps_counting_ones_and_runs_once_a_day(app, engine):
    now = utcnow()
    window = max(limit.window for limit in throttle.LIMITS.values())
    with Session(engine) as session:
        session.add(
            ThrottleHit(scope="login", key="addr:old", at=now - window - timedelta(minutes=1))
        )
        session.add(ThrottleHit(scope="login", key="addr:new", at=now - timedelta(minutes=1)))
        session.commit()
    assert run_job(engine, account_jobs.JOB_NAME, now=now) == "1 throttle hits removed"
    assert run_job(engine, account_jobs.JOB_NAME, now=now) is None  # claimed for today
    with Session(engine) as session:
        assert session.exec(select(ThrottleHit.key)).all() == ["addr:new"]
