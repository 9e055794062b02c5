"""Daily: recompute the lifestyle eligibility rows whose window ended (a birthday, a
measurement grown too old, an enrolment that started or ended)."""

from __future__ import annotations

from zelfzorg.leefstijl.eligibility import refresh_expired
from zelfzorg.notifications.jobs import register_job

JOB_NAME = "lifestyle_eligibility"

register_job(JOB_NAME, refresh_expired, hour=3)
