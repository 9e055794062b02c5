"""Daily job: remove throttle hits older than every limit's window (they no longer count)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from zelfzorg.accounts import throttle
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import register_job

JOB_NAME = "throttle_prune"


def prune_throttle_hits(session: Session, today: date) -> str:
    """Prune up to now (not the start of ``today``): a hit counts only within its window,
    so anything older is dead weight whatever the day."""
    removed = throttle.prune(session, utcnow())
    session.flush()
    return f"{removed} throttle hits removed"


register_job(JOB_NAME, prune_throttle_hits, hour=4)
