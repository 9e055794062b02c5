"""FHIR Bulk Data export: ``Group/{practice}/$export`` (Bulk Data Access IG 2.0). No Flask.

The kick-off (:func:`start_export`) checks access and parameters and stores a queued
:class:`BulkExport`; the export job (:func:`run_exports`, an interval job of the scheduler)
claims it with a lease in the database and writes one NDJSON file per resource type in
batches of patients (keyset on patient id, rows keyset-paged as ``$everything`` does), so
memory stays flat however large the practice. After every batch the files are synced and the
progress (cursor, counts, sizes) committed: a worker that dies is taken over by another once
its lease runs out, which cuts each file back to its committed size and resumes after the
cursor. Files live under ``FHIR_EXPORT_DIR`` (never a web-served folder), one folder per
export, and are deleted with their rows when they expire (:func:`delete_expired`).

Audit, as the API's lists do (``audit_shown``, one entry per patient shown) and
``$everything`` does (one export entry per patient): the kick-off writes one aggregate entry
(BulkExport, the practice and parameters, no patient), the job one ``export`` entry per
patient whose resources it wrote (so every patient's "who accessed my record" shows it), and
every file download one entry (BulkExportFile, type and count). Status polls are not audited
(they show no patient data); a poll or download of someone else's export is, as denied.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import User
from zelfzorg.accounts.scope import Actor, actor_for, audit, audit_shown, not_found, patients_query
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.db import session_scope
from zelfzorg.errors import N_, DomainError, NotFound
from zelfzorg.fhir.everything import EVERYTHING_TYPES, parse_since, parse_types
from zelfzorg.fhir.models import BulkExport, BulkExportFile, ExportStatus
from zelfzorg.fhir.resources import render_rows
from zelfzorg.fhir.search import SPECS, SearchError
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Patient

log = logging.getLogger(__name__)

PARAMETERS = ("_outputFormat", "_since", "_type")
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
LEASE = timedelta(minutes=2)  # a batch takes far less; a silent worker is taken over after it
MAX_ATTEMPTS = 3  # claims of one export (a worker crashing on it every time): then failed
MAX_ACTIVE = 2  # queued or running exports per user
PATIENT_BATCH = 100
ROW_PAGE = 500
RETRY_AFTER = 5  # seconds, told to a polling client
ACTIVE = (ExportStatus.queued, ExportStatus.running)
NOT_FOUND = N_("Deze export bestaat niet of u heeft er geen toegang toe.")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class NotAllowed(DomainError):
    """Only a professional of the practice may export it (403)."""


class TooManyExports(DomainError):
    """The user already has MAX_ACTIVE exports queued or running (429)."""


class ExportGone(DomainError):
    """The export's files have expired (410)."""


class ExportFailed(DomainError):
    """The export job could not finish (500 with an OperationOutcome)."""


def folder_of(settings: Mapping) -> Path:
    from zelfzorg.config import Config

    return Path(settings.get("FHIR_EXPORT_DIR") or Config.FHIR_EXPORT_DIR)


def export_dir(folder: Path, export: BulkExport) -> Path:
    return folder / export.key


def file_path(folder: Path, export: BulkExport, resource_type: str) -> Path:
    return export_dir(folder, export) / f"{resource_type}.ndjson"


# --- kick-off, status, cancel, download (the requester's requests) ----------------------------


def _require_practice(session: Session, actor: Actor, practice_id: int) -> None:
    """A professional of the practice only; others are refused and audited."""
    if not actor.is_professional or not actor.user.is_active:
        audit(
            session,
            actor,
            action=AuditAction.export,
            object_type="Group",
            object_id=practice_id,
            outcome=AuditOutcome.denied,
        )
        raise NotAllowed(N_("Alleen een zorgverlener van de praktijk kan deze export maken."))
    if practice_id not in actor.practice_ids:
        raise not_found(
            session,
            actor,
            object_type="Group",
            object_id=practice_id,
            message=N_("Deze groep bestaat niet of u heeft er geen toegang toe."),
            action=AuditAction.export,
        )


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = [v for v in params.get(name, []) if v != ""]
    if len(values) > 1:
        raise SearchError(N_("Geef %(name)s hoogstens één keer op."), field=name, name=name)
    return values[0] if values else None


def start_export(
    session: Session,
    actor: Actor,
    practice_id: int,
    params: Mapping[str, list[str]],
    *,
    request_url: str,
    now: datetime,
    hours: int,
) -> BulkExport:
    """Queue an export of the practice's patients (the job makes the files)."""
    _require_practice(session, actor, practice_id)
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise SearchError(
            N_("Deze parameter wordt niet ondersteund: %(name)s (wel: %(allowed)s)."),
            field=unknown[0],
            name=unknown[0][:40],
            allowed=", ".join(PARAMETERS),
        )
    output_format = _single(params, "_outputFormat")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise SearchError(
            N_("_outputFormat kan alleen zijn: %(allowed)s."),
            field="_outputFormat",
            allowed=", ".join(OUTPUT_FORMATS),
        )
    types = parse_types(",".join(params.get("_type", [])) or None)
    since = parse_since(_single(params, "_since"))
    active = session.exec(
        select(func.count())
        .select_from(BulkExport)
        .where(
            BulkExport.requested_by_id == actor.user_id,
            col(BulkExport.status).in_(ACTIVE),
        )
    ).one()
    if active >= MAX_ACTIVE:
        raise TooManyExports(
            N_("U heeft al %(count)s exports lopen. Wacht tot die klaar zijn of annuleer er één."),
            count=active,
        )
    export = BulkExport(
        key=secrets.token_urlsafe(32),
        requested_by_id=actor.user_id,
        practice_id=practice_id,
        types=",".join(types),
        since=since,
        request_url=request_url[:2000],
        status=ExportStatus.queued,
        transaction_time=now,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(export)
    session.flush()
    audit(
        session,
        actor,
        action=AuditAction.export,
        object_type="BulkExport",
        object_id=export.id,
        detail=f"Group/{practice_id} {export.types} since={since.isoformat() if since else '-'}",
    )
    return export


def _own_export(session: Session, actor: Actor, key: str, action: AuditAction) -> BulkExport:
    """The actor's own export (cancelled ones are gone); anyone else's is "not found"."""
    export = session.exec(select(BulkExport).where(BulkExport.key == key[:64])).first()
    if (
        export is None
        or export.requested_by_id != actor.user_id
        or export.status == ExportStatus.cancelled
        or not actor.user.is_active
    ):
        raise not_found(
            session,
            actor,
            object_type="BulkExport",
            object_id=export.id if export is not None else None,
            message=NOT_FOUND,
            action=action,
        )
    return export


@dataclass(frozen=True)
class ExportState:
    export: BulkExport
    files: list[BulkExportFile]  # completed exports: the files with resources, in type order

    @property
    def done(self) -> bool:
        return self.export.status == ExportStatus.completed


def export_state(session: Session, actor: Actor, key: str, *, now: datetime) -> ExportState:
    export = _own_export(session, actor, key, AuditAction.read)
    if export.status == ExportStatus.failed:
        raise ExportFailed(N_("De export is mislukt. Start een nieuwe export."))
    if export.expires_at <= now:
        raise ExportGone(N_("Deze export is verlopen en verwijderd. Start een nieuwe export."))
    files: list[BulkExportFile] = []
    if export.status == ExportStatus.completed:
        order = {t: n for n, t in enumerate(EVERYTHING_TYPES)}
        rows = session.exec(
            select(BulkExportFile).where(
                BulkExportFile.export_id == export.id, col(BulkExportFile.count) > 0
            )
        ).all()
        files = sorted(rows, key=lambda f: order.get(f.resource_type, 99))
    return ExportState(export, files)


def cancel_export(session: Session, actor: Actor, key: str, *, folder: Path, now: datetime) -> None:
    """DELETE on the status URL: stop a running export and delete its files."""
    export = _own_export(session, actor, key, AuditAction.delete)
    export.status = ExportStatus.cancelled
    export.expires_at = now
    export.finished_at = export.finished_at or now
    session.add(export)
    session.flush()
    shutil.rmtree(export_dir(folder, export), ignore_errors=True)
    audit(
        session,
        actor,
        action=AuditAction.delete,
        object_type="BulkExport",
        object_id=export.id,
    )


def export_file(
    session: Session, actor: Actor, key: str, resource_type: str, *, folder: Path, now: datetime
) -> tuple[Path, BulkExportFile]:
    """A completed export's file for its requester (audited as an export)."""
    export = _own_export(session, actor, key, AuditAction.export)
    if export.status != ExportStatus.completed:
        raise NotFound(NOT_FOUND)
    if export.expires_at <= now:
        raise ExportGone(N_("Deze export is verlopen en verwijderd. Start een nieuwe export."))
    stored = session.exec(
        select(BulkExportFile).where(
            BulkExportFile.export_id == export.id,
            BulkExportFile.resource_type == resource_type[:40],
        )
    ).first()
    path = file_path(folder, export, resource_type) if stored else None
    if stored is None or stored.count == 0 or path is None or not path.is_file():
        raise NotFound(NOT_FOUND)
    audit(
        session,
        actor,
        action=AuditAction.export,
        object_type="BulkExportFile",
        object_id=export.id,
        detail=f"{resource_type} {stored.count}",
    )
    return path, stored


# --- the job ----------------------------------------------------------------------------------


def _claim(engine: Engine, worker: str, now: datetime) -> int | None:
    """Take the oldest export that is queued or whose worker went silent; None when none."""
    stale = now - LEASE
    claimable = sa.and_(
        col(BulkExport.status).in_(ACTIVE),
        sa.or_(col(BulkExport.heartbeat_at).is_(None), col(BulkExport.heartbeat_at) < stale),
    )
    for _ in range(10):  # another process may take a candidate first: try the next one
        with session_scope(engine) as session:
            candidate = session.exec(
                select(BulkExport.id).where(claimable).order_by(col(BulkExport.id)).limit(1)
            ).first()
            if candidate is None:
                return None
            taken = session.execute(
                sa.update(BulkExport)
                .where(col(BulkExport.id) == candidate, claimable)
                .values(
                    status=ExportStatus.running,
                    claimed_by=worker[:100],
                    heartbeat_at=now,
                    attempts=BulkExport.attempts + 1,
                )
            )
            if taken.rowcount == 1:
                return candidate
    return None


def _pages(session: Session, type_name: str, patient_ids: list[int], since: datetime | None):
    """The type's rows of these patients, a keyset page (by id) at a time: never the whole
    table."""
    spec = SPECS[type_name]
    ident = col(spec.model.id)  # type: ignore[attr-defined]
    owner = ident if spec.patient_column is None else spec.patient_column
    query = select(spec.model).where(owner.in_(patient_ids))
    if spec.base_filter is not None:
        query = query.where(spec.base_filter())
    if since is not None:
        query = query.where(spec.last_updated >= since)
    after = 0
    while True:
        page = list(session.exec(query.where(ident > after).order_by(ident).limit(ROW_PAGE)))
        if page:
            yield page
        if len(page) < ROW_PAGE:
            return
        after = page[-1].id  # type: ignore[attr-defined]


def _patient_of(type_name: str, row) -> int:
    return row.id if type_name == "Patient" else row.patient_id


def _fail(engine: Engine, export_id: int, worker: str, reason: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(BulkExport)
            .where(col(BulkExport.id) == export_id, col(BulkExport.claimed_by) == worker[:100])
            .values(status=ExportStatus.failed, error=reason[:500], finished_at=utcnow())
        )


@dataclass
class _Run:
    export_id: int
    key: str
    actor: Actor
    practice_id: int
    types: list[str]
    since: datetime | None
    directory: Path
    lock: object  # the folder's lock file, held while this worker writes


def _prepare(engine: Engine, export_id: int, worker: str, folder: Path) -> _Run | None:
    """Check the requester may still export, make the folder and cut files to their
    committed size (a resumed export), holding the folder's lock. None when the export is
    refused (marked failed) or another worker still holds the lock."""
    with session_scope(engine) as session:
        export = session.get(BulkExport, export_id)
        if export is None:
            return None
        if export.attempts > MAX_ATTEMPTS:
            reason = f"gave up after {MAX_ATTEMPTS} attempts"
        else:
            user = session.get(User, export.requested_by_id)
            actor = actor_for(session, user) if user is not None else None
            reason = ""
            if actor is None or not actor.user.is_active or not actor.is_professional:
                reason = "requester may no longer export"
            elif export.practice_id not in actor.practice_ids:
                reason = "requester no longer works for the practice"
            if reason and actor is not None:
                audit(
                    session,
                    actor,
                    action=AuditAction.export,
                    object_type="BulkExport",
                    object_id=export.id,
                    outcome=AuditOutcome.denied,
                    detail=reason,
                )
        if reason:
            export.status, export.error, export.finished_at = ExportStatus.failed, reason, utcnow()
            session.add(export)
            return None
        directory = export_dir(folder, export)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = _lock(directory)
        if lock is None:
            return None  # a worker whose lease ran out still writes: it stops at its next batch
        types = [t for t in export.types.split(",") if t]
        files = {
            f.resource_type: f
            for f in session.exec(
                select(BulkExportFile).where(BulkExportFile.export_id == export.id)
            ).all()
        }
        for type_name in types:
            stored = files.get(type_name)
            if stored is None:
                stored = BulkExportFile(export_id=export.id, resource_type=type_name)  # type: ignore[arg-type]
                session.add(stored)
            with open(file_path(folder, export, type_name), "ab") as fh:
                fh.truncate(stored.size)
        if export.cursor_patient_id is None:
            export.patients_total = session.exec(
                select(func.count()).select_from(_group(actor, export.practice_id).subquery())
            ).one()
            session.add(export)
        return _Run(
            export_id, export.key, actor, export.practice_id, types, export.since, directory, lock
        )


def _group(actor: Actor, practice_id: int):
    """The group's members: the practice's patients, as far as the actor reaches them."""
    return patients_query(actor).where(Patient.practice_id == practice_id)


def _batch(engine: Engine, run: _Run, worker: str, folder: Path, batch_size: int) -> bool:
    """Write one batch of patients; False when the export is finished, cancelled or taken
    over by another worker."""
    with session_scope(engine) as session:
        export = session.get(BulkExport, run.export_id)
        if export is None or export.status != ExportStatus.running or export.claimed_by != worker:
            return False
        after = export.cursor_patient_id or 0
        patient_ids = [
            p.id
            for p in session.exec(
                _group(run.actor, run.practice_id)
                .where(col(Patient.id) > after)
                .order_by(col(Patient.id))
                .limit(batch_size)
            )
        ]
        now = utcnow()
        if not patient_ids:
            export.status = ExportStatus.completed
            export.finished_at = now
            export.heartbeat_at = now
            # Kept as long after finishing as the kick-off promised (FHIR_EXPORT_HOURS).
            export.expires_at = now + (export.expires_at - export.created_at)
            session.add(export)
            for stored in session.exec(
                select(BulkExportFile).where(
                    BulkExportFile.export_id == export.id, BulkExportFile.count == 0
                )
            ).all():
                file_path(folder, export, stored.resource_type).unlink(missing_ok=True)
            return False
        files = {
            f.resource_type: f
            for f in session.exec(
                select(BulkExportFile).where(BulkExportFile.export_id == export.id)
            ).all()
        }
        today = now.astimezone(AMSTERDAM).date()
        shown: set[int] = set()
        for type_name in run.types:
            stored = files[type_name]
            with open(file_path(folder, export, type_name), "ab") as fh:
                for page in _pages(session, type_name, patient_ids, run.since):
                    rendered = render_rows(session, [(type_name, r) for r in page], today)
                    for row, resource in zip(page, rendered, strict=True):
                        fh.write(_line(resource))
                        stored.count += 1
                        shown.add(_patient_of(type_name, row))
                fh.flush()
                os.fsync(fh.fileno())
                stored.size = fh.tell()
            session.add(stored)
        audit_shown(
            session, run.actor, sorted(shown), object_type="BulkExport", action=AuditAction.export
        )
        export.cursor_patient_id = patient_ids[-1]
        export.patients_done += len(patient_ids)
        export.heartbeat_at = utcnow()
        session.add(export)
        return True


def _line(resource: dict) -> bytes:
    return (json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _lock(directory: Path):
    """An exclusive lock on the export's folder while one worker writes it (None when another
    holds it): a worker whose lease ran out but who still writes keeps a second one out."""
    handle = open(directory / ".lock", "a")  # noqa: SIM115 (held until _unlock)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _unlock(handle) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def run_exports(
    engine: Engine,
    *,
    folder: Path,
    worker: str,
    now: datetime | None = None,
    batch_size: int = PATIENT_BATCH,
    max_batches: int | None = None,
) -> str:
    """The export job: run every claimable export to its end. ``max_batches`` stops after
    that many batches (an interrupted worker, in tests)."""
    finished = 0
    batches = 0
    while (export_id := _claim(engine, worker, now or utcnow())) is not None:
        try:
            run = _prepare(engine, export_id, worker, folder)
            if run is None:
                continue  # refused (marked failed), or another worker still writes it
            try:
                while _batch(engine, run, worker, folder, batch_size):
                    batches += 1
                    if max_batches is not None and batches >= max_batches:
                        return f"{finished} exports finished, stopped after {batches} batches"
            finally:
                _unlock(run.lock)
        except Exception as error:  # this export fails; the job goes on with the next
            log.exception("bulk export %s failed", export_id)
            _fail(engine, export_id, worker, type(error).__name__)
        with session_scope(engine) as session:
            export = session.get(BulkExport, export_id)
            if export is not None and export.status == ExportStatus.completed:
                finished += 1
            elif export is not None and export.status in (
                ExportStatus.cancelled,
                ExportStatus.failed,
            ):  # no partial files are kept
                shutil.rmtree(export_dir(folder, export), ignore_errors=True)
    return f"{finished} exports finished"


def delete_expired(engine: Engine, *, folder: Path, now: datetime | None = None) -> str:
    """The cleanup job: delete expired (and cancelled or failed) exports, files and rows.
    An export still being written (fresh lease) is left alone."""
    now = now or utcnow()
    removed = 0
    with session_scope(engine) as session:
        expired = session.exec(
            select(BulkExport).where(
                col(BulkExport.expires_at) <= now,
                sa.not_(
                    sa.and_(
                        col(BulkExport.status) == ExportStatus.running,
                        col(BulkExport.heartbeat_at) >= now - LEASE,
                    )
                ),
            )
        ).all()
        for export in expired:
            shutil.rmtree(export_dir(folder, export), ignore_errors=True)
            session.execute(
                sa.delete(BulkExportFile).where(col(BulkExportFile.export_id) == export.id)
            )
            session.delete(export)
            removed += 1
    return f"{removed} expired exports deleted"
