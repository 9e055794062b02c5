"""Lifestyle eligibility jobs.

- daily ``lifestyle_eligibility``: recompute the rows whose window ended (a birthday, a
  measurement grown too old, an enrolment that started or ended);
- every ``QUEUE_SECONDS`` ``lifestyle_eligibility_queue``: recompute the patients a large
  change queued (an import, a catalogue change), a short transaction per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Engine

from zelfzorg.leefstijl.eligibility import drain_queue, refresh_expired
from zelfzorg.notifications.jobs import register_interval_job, register_job

JOB_NAME = "lifestyle_eligibility"
QUEUE_JOB_NAME = "lifestyle_eligibility_queue"
QUEUE_SECONDS = 20


def _drain(engine: Engine, _settings: Mapping) -> str:
    return drain_queue(engine)


register_job(JOB_NAME, refresh_expired, hour=3)
register_interval_job(QUEUE_JOB_NAME, _drain, seconds=QUEUE_SECONDS)
