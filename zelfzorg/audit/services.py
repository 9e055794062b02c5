"""Writing and verifying the hash-chained audit log.

Entries are buffered on the session (``record`` does no SQL) and appended to the chain in one
short step when the session commits: lock (``db.lock_for_append``), read the chain's head,
insert the batch with consecutive ids and hashes, commit. So the append lock is held for the
append and the commit only, never while a request works or renders, and an entry is written in
the same transaction as the data change it records. A query on the audit log in the same
session appends the buffer first (a session reads its own entries). A rolled-back transaction
discards its buffer, as it discards its data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event, insert
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.db import lock_for_append
from zelfzorg.models_base import utcnow

GENESIS = "0" * 64
_PENDING = "audit_pending"
_APPENDING = "audit_appending"


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
    """One entry per patient (e.g. every patient a list shows), chained at commit."""
    # Normalised to UTC: the hash covers the ISO text, which must survive a reload.
    moment = (at or utcnow()).astimezone(UTC)
    entries = [
        AuditEntry(
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
            prev_hash="",
            hash="",
        )
        for patient_id in patient_ids
    ]
    if not session.in_transaction():
        session.begin()  # no SQL yet; ties the buffer to this transaction's commit or rollback
    session.info.setdefault(_PENDING, []).extend(entries)
    return entries


def pending(session: Session) -> list[AuditEntry]:
    """Entries recorded in this session and not yet appended."""
    return list(session.info.get(_PENDING, ()))


def append_pending(session: Session) -> int:
    """Chain and insert the session's buffered entries in one step; returns how many.

    The entries get their ids and hashes here; the caller's commit releases the lock.
    """
    entries = session.info.get(_PENDING)
    if not entries or session.info.get(_APPENDING):
        return 0
    session.info[_APPENDING] = True
    try:
        lock_for_append(session)
        last = session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
        ).first()
        last_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
        rows = []
        for entry in entries:
            last_id += 1
            entry.id = last_id
            entry.prev_hash = prev_hash
            entry.hash = compute_hash(entry)
            prev_hash = entry.hash
            rows.append(entry.model_dump())
        session.connection().execute(insert(AuditEntry.__table__), rows)
        del session.info[_PENDING]
    finally:
        session.info.pop(_APPENDING, None)
    return len(rows)


@event.listens_for(OrmSession, "before_commit")
def _append_before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        append_pending(session)


@event.listens_for(OrmSession, "after_soft_rollback")
def _discard_on_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None and not previous.nested:
        session.info.pop(_PENDING, None)


@event.listens_for(OrmSession, "do_orm_execute")
def _append_before_reading_the_log(state: ORMExecuteState) -> None:
    if (
        state.is_select
        and state.session.info.get(_PENDING)
        and any(mapper.class_ is AuditEntry for mapper in state.all_mappers)
    ):
        append_pending(state.session)


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
