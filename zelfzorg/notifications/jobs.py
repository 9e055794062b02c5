"""Periodic jobs on APScheduler. Each job claims its run in the database (JobRun) and is
idempotent, so several processes or a restarted scheduler never do the same work twice.

Domains add jobs with :func:`register_job`; ``flask zelfzorg scheduler`` runs them in one
process (production), ``make run`` inside the development server. Work that is asked for
(a FHIR bulk export) runs in an *interval* job (:func:`register_interval_job`): every few
seconds it claims queued work rows itself (a lease in the database), so the same holds.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from zelfzorg.db import checkpoint_wal, refresh_statistics, session_scope
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.services import claim_run, finish_run

log = logging.getLogger(__name__)
JobFunc = Callable[[Session, date], str]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc  # (session, today) -> short result text
    hour: int = 6  # daily, Europe/Amsterdam


JOBS: dict[str, Job] = {}


def register_job(name: str, func: JobFunc, *, hour: int = 6) -> None:
    JOBS[name] = Job(name, func, hour)


@dataclass(frozen=True)
class IntervalJob:
    name: str
    func: Callable[[Engine, Mapping], str]  # (engine, app settings) -> short result text
    seconds: int


INTERVAL_JOBS: dict[str, IntervalJob] = {}


def register_interval_job(
    name: str, func: Callable[[Engine, Mapping], str], *, seconds: int
) -> None:
    """A job run every ``seconds``; it claims its own work rows (so it may run anywhere)."""
    INTERVAL_JOBS[name] = IntervalJob(name, func, seconds)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(engine: Engine, name: str, *, now: datetime | None = None) -> str | None:
    """Run a job for today's date once: None when this day's run was already claimed."""
    from zoneinfo import ZoneInfo

    job = JOBS[name]
    today = (now or utcnow()).astimezone(ZoneInfo("Europe/Amsterdam")).date()
    with session_scope(engine) as session:
        run = claim_run(session, job=name, run_key=today.isoformat(), worker=worker_id())
        if run is None:
            return None
        result = job.func(session, today)
        finish_run(session, run, result)
        return result


def start_scheduler(engine: Engine, *, blocking: bool = False, settings: Mapping | None = None):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone="Europe/Amsterdam"
    )
    for job in JOBS.values():
        scheduler.add_job(
            run_job,
            "cron",
            hour=job.hour,
            minute=0,
            args=(engine, job.name),
            id=job.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        # Catch up at start: a claimed day is skipped, so this never repeats work.
        scheduler.add_job(run_job, "date", args=(engine, job.name), id=f"{job.name}-startup")
    for interval in INTERVAL_JOBS.values():
        scheduler.add_job(
            interval.func,
            "interval",
            seconds=interval.seconds,
            args=(engine, settings or {}),
            id=interval.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            next_run_time=utcnow(),
        )
    scheduler.start()
    return scheduler


def _mail_send(engine: Engine, settings: Mapping) -> str:
    from zelfzorg.notifications.mail import deliver_outbox

    return deliver_outbox(engine, settings)


register_interval_job("mail_send", _mail_send, seconds=30)


def _statistics(session: Session, _today: date) -> str:
    return refresh_statistics(session, changed_only=True)


# Daily, before the night's reports: the planner's statistics follow the care group's growth.
register_job("database_statistics", _statistics, hour=2)


def _checkpoint(engine: Engine, _settings: Mapping) -> str:
    return checkpoint_wal(engine)


# SQLite: the write-ahead log is copied into the database here, not inside a request's commit.
register_interval_job("database_checkpoint", _checkpoint, seconds=10)
