"""The FHIR bulk export jobs (imported by the app factory, which registers them): the export
worker every few seconds, the cleanup of expired exports every 15 minutes. Both claim their
rows in the database, so any number of scheduler processes may run them."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Engine

from zelfzorg.fhir.bulk import delete_expired, folder_of, run_exports
from zelfzorg.notifications.jobs import register_interval_job, worker_id


def export_job(engine: Engine, settings: Mapping) -> str:
    return run_exports(engine, folder=folder_of(settings), worker=worker_id())


def cleanup_job(engine: Engine, settings: Mapping) -> str:
    return delete_expired(engine, folder=folder_of(settings))


register_interval_job("fhir_bulk_export", export_job, seconds=5)
register_interval_job("fhir_bulk_export_cleanup", cleanup_job, seconds=15 * 60)
