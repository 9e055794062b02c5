"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.models_base import utcnow

GENESIS = "0" * 64
# Serialises chain appends on PostgreSQL (SQLite already serialises writers).
_PG_LOCK_KEY = 7513


def _canonical(entry: AuditEntry) -> str:
    at = entry.at.isoformat(timespec="microseconds")
    fields = [
        entry.id,
        at,
        entry.user_id,
        entry.user_name,
        entry.role,
        entry.organisation,
        entry.patient_id,
        str(entry.action),
        entry.object_type,
        entry.object_id,
        str(entry.outcome),
        entry.client_address,
        entry.detail,
        entry.prev_hash,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode()).hexdigest()


@dataclass(frozen=True)
class AuditSubject:
    """Who acts, from where: enough to fill an audit line without Flask."""

    user_id: int | None
    user_name: str
    role: str
    organisation: str
    client_address: str


def record(
    session: Session,
    subject: AuditSubject,
    *,
    action: AuditAction,
    object_type: str,
    object_id: object = None,
    patient_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.allowed,
    detail: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the chain within the caller's transaction."""
    return record_many(
        session,
        subject,
        [patient_id],
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        detail=detail,
        at=at,
    )[0]


def record_many(
    session: Session,
    subject: AuditSubject,
    patient_ids: Iterable[int | None],
    *,
    action: AuditAction,
    object_type: str,
    object_id: object = None,
    outcome: AuditOutcome = AuditOutcome.allowed,
    detail: str = "",
    at: datetime | None = None,
) -> list[AuditEntry]:
    """One entry per patient (e.g. every patient a list shows), chained in one go."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.exec(
        select(AuditEntry.id, AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
    ).first()
    last_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    # Normalised to UTC: the hash covers the ISO text, which must survive a reload.
    moment = (at or utcnow()).astimezone(UTC)
    entries = []
    for patient_id in patient_ids:
        last_id += 1
        entry = AuditEntry(
            id=last_id,
            at=moment,
            user_id=subject.user_id,
            user_name=subject.user_name[:200],
            role=subject.role,
            organisation=subject.organisation[:200],
            patient_id=patient_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id)[:50],
            outcome=outcome,
            client_address=subject.client_address[:64],
            detail=detail[:500],
            prev_hash=prev_hash,
            hash="",
        )
        entry.hash = compute_hash(entry)
        prev_hash = entry.hash
        session.add(entry)
        entries.append(entry)
    session.flush()
    return entries


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def verify_chain(entries: Iterable[AuditEntry]) -> VerifyResult:
    prev = GENESIS
    expected_id = 1
    checked = 0
    for entry in entries:
        if entry.id != expected_id:
            return VerifyResult(False, checked, expected_id, "entry missing (deleted?)")
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.id, "previous hash does not match")
        if compute_hash(entry) != entry.hash:
            return VerifyResult(False, checked, entry.id, "content does not match its hash")
        prev = entry.hash
        expected_id += 1
        checked += 1
    return VerifyResult(True, checked)


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Stream the whole log in id order and check the chain."""

    def stream():
        last_id = 0
        while True:
            rows = session.exec(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            ).all()
            if not rows:
                return
            yield from rows
            last_id = rows[-1].id

    return verify_chain(stream())


def entries_for_patient(session: Session, patient_id: int, *, limit: int = 500) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.patient_id == patient_id)
            .order_by(col(AuditEntry.id).desc())
            .limit(limit)
        ).all()
    )


def search_entries(
    session: Session,
    *,
    patient_id: int | None = None,
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    query = select(AuditEntry)
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) <= until)
    return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all())
