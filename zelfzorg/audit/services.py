"""Writing and verifying the hash-chained audit log.

Entries are buffered on the session (``record`` does no SQL) and appended to the chain in one
short step when the session commits: lock and read the chain's head (one round trip on
PostgreSQL, ``_locked_chain_head``), insert the batch with consecutive ids and hashes,
commit. So the append lock is held for the append and the commit only, never while a request
works or renders, and an entry is written in the same transaction as the data change it
records. A query on the audit log in the same session appends the buffer first (a session
reads its own entries). A rolled-back transaction discards its buffer, as it discards its data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy import event, func, insert
from sqlalchemy.orm import ORMExecuteState, SessionTransaction, configure_mappers
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import User
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
    values = {
        "id": None,
        "at": moment,
        "user_id": subject.user_id,
        "user_name": subject.user_name[:200],
        "role": subject.role,
        "organisation": subject.organisation[:200],
        "patient_id": None,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id)[:50],
        "outcome": outcome,
        "client_address": subject.client_address[:64],
        "detail": detail[:500],
        "prev_hash": "",
        "hash": "",
    }
    configure_mappers()  # as a query would: a new instance needs its attributes set up
    entries = [_entry(values, patient_id) for patient_id in patient_ids]
    if not session.in_transaction():
        session.begin()  # no SQL yet; ties the buffer to this transaction's commit or rollback
    session.info.setdefault(_PENDING, []).extend(entries)
    return entries


_MANAGER = AuditEntry._sa_class_manager  # type: ignore[attr-defined]


def _entry(values: dict, patient_id: int | None) -> AuditEntry:
    """An entry made the way the ORM makes a loaded row (a new instance, its attributes put
    in place): a model's ``__init__`` sets each field through the instrumentation, which is
    most of the cost of an import that touches thousands of patients. The entry is never
    added to a session: ``append_pending`` inserts its ``model_dump()``."""
    entry = _MANAGER.new_instance()
    entry.__dict__.update(values)
    entry.__dict__["patient_id"] = patient_id
    return entry


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
        last = _locked_chain_head(session)
        last_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
        rows = []
        for entry in entries:
            last_id += 1
            fields = entry.__dict__  # not in a session: no change to track (see ``_entry``)
            fields["id"], fields["prev_hash"] = last_id, prev_hash
            fields["hash"] = prev_hash = compute_hash(entry)
            rows.append(entry.model_dump())
        session.connection().execute(_INSERT, rows)
        del session.info[_PENDING]
    finally:
        session.info.pop(_APPENDING, None)
    return len(rows)


def _locked_chain_head(session: Session) -> tuple[int, str] | None:
    """Take the append lock, then read the chain's head (id, hash); None for an empty log.

    PostgreSQL: one round trip, ``audit_chain_head_locked()`` (migration 0023), a PL/pgSQL
    function whose SELECT runs with a fresh snapshot after the lock is granted. (One plain
    statement that takes the lock and reads the head would use a snapshot from before the
    wait and could chain onto a stale head.) SQLite: the write lock, then the head.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        row = connection.execute(_PG_HEAD).first()
    else:
        lock_for_append(session)
        row = connection.execute(_SQLITE_HEAD).first()
    return (row[0], row[1]) if row else None


# Built once: every request that reads patient data appends.
_PG_HEAD = sa.text("SELECT id, hash FROM audit_chain_head_locked()")
_SQLITE_HEAD = (
    sa.select(AuditEntry.id, AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)
)
_INSERT = insert(AuditEntry.__table__)


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


ACCESS_PAGE_SIZE = 100


@dataclass(frozen=True)
class Visit:
    """One person's visits to the record on one day: what they did, how often."""

    day: date
    user_id: int | None
    user_name: str
    role: str
    discipline: str | None
    organisation: str
    own: bool
    # (object type, action) -> how many times, in the order first seen (newest first)
    what: dict[tuple[str, str], int]
    denied: int
    last_at: datetime


@dataclass(frozen=True)
class AccessPage:
    visits: list[Visit]
    next_before: int | None  # keyset for the older entries, None on the last page
    hidden_own: bool


def _escaped_like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def access_log_for_patient(
    session: Session,
    patient_id: int,
    own_user_id: int | None,
    *,
    show_own: bool = False,
    before_id: int | None = None,
    page_size: int = ACCESS_PAGE_SIZE,
    tz: tzinfo = UTC,
) -> AccessPage:
    """Who read or changed this patient's record, grouped by day and person, newest first.

    Paged in SQL by entry id (keyset: ``before_id`` is the previous page's ``next_before``),
    ``page_size`` entries a page; the patient's own visits are left out unless ``show_own``.
    The grouping happens on the page's entries, so a busy day may continue on the next page.
    """
    query = select(AuditEntry).where(AuditEntry.patient_id == patient_id)
    if not show_own and own_user_id is not None:
        query = query.where(
            sa.or_(col(AuditEntry.user_id).is_(None), AuditEntry.user_id != own_user_id)
        )
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    rows = list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(page_size + 1)).all())
    more = len(rows) > page_size
    rows = rows[:page_size]
    user_ids = {r.user_id for r in rows if r.user_id is not None}
    disciplines = (
        dict(
            session.exec(
                select(User.id, User.discipline).where(col(User.id).in_(sorted(user_ids)))
            ).all()
        )
        if user_ids
        else {}
    )
    organisations = organisation_names(session, {r.organisation for r in rows})
    groups: dict[tuple, dict] = {}
    for row in rows:
        moment = row.at.astimezone(tz)
        key = (moment.date(), row.user_id, row.user_name, row.role, row.organisation)
        group = groups.setdefault(key, {"what": {}, "denied": 0, "last_at": moment})
        if row.outcome == AuditOutcome.denied:
            group["denied"] += 1
        else:
            what = (row.object_type, str(row.action))
            group["what"][what] = group["what"].get(what, 0) + 1
    visits = [
        Visit(
            day=day,
            user_id=user_id,
            user_name=name,
            role=role,
            discipline=(str(d) if (d := disciplines.get(user_id)) else None),
            organisation=organisations.get(organisation, ""),
            own=user_id is not None and user_id == own_user_id,
            what=group["what"],
            denied=group["denied"],
            last_at=group["last_at"],
        )
        for (day, user_id, name, role, organisation), group in groups.items()
    ]
    return AccessPage(visits, rows[-1].id if more and rows else None, not show_own)


def organisation_names(session: Session, codes: set[str]) -> dict[str, str]:
    """The names behind the log's organisation codes ("practice:3", "caregroup:1"); the
    platform itself and unknown codes have no name (the page shows the role only)."""
    from zelfzorg.accounts.models import CareGroup, Practice

    wanted: dict[type, dict[int, str]] = {Practice: {}, CareGroup: {}}
    for code in codes:
        kind, _, number = (code or "").partition(":")
        model = {"practice": Practice, "caregroup": CareGroup}.get(kind)
        if model is not None and number.isdigit():
            wanted[model][int(number)] = code
    names: dict[str, str] = {}
    for model, by_id in wanted.items():
        if by_id:
            for row_id, name in session.exec(
                select(model.id, model.name).where(col(model.id).in_(sorted(by_id)))
            ).all():
                names[by_id[row_id]] = name
    return names


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
    patient_ids: list[int] | None = None,
    user_id: int | None = None,
    user: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest entries matching every filter given. ``user`` is part of a name or e-mail
    address (as stored on the entry, or of the account); ``patient_ids`` the patients a name
    search found (an empty list matches nothing)."""
    query = select(AuditEntry)
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    if patient_ids is not None:
        query = query.where(col(AuditEntry.patient_id).in_(sorted(patient_ids)))
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    user = (user or "").strip()[:200]
    if user:
        like = _escaped_like(user)
        # Staff accounts only: a patient's name must not find their entries here.
        accounts = (
            select(User.id)
            .where(User.role != "patient")
            .where(
                sa.or_(
                    func.lower(User.email).like(like, escape="\\"),
                    func.lower(User.name).like(like, escape="\\"),
                )
            )
        )
        query = query.where(
            sa.or_(
                func.lower(AuditEntry.user_name).like(like, escape="\\"),
                col(AuditEntry.user_id).in_(accounts),
            )
        )
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) <= until)
    return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all())


def patients_named(session: Session, actor, text: str) -> list[int]:
    """Ids of the patients whose name (or HIS number) contains ``text``, within the practices
    the actor may oversee (``care_group_scope``: an administrator's care group, or all). The
    search itself is audited; the log keeps the length of the text, not the name."""
    from zelfzorg.accounts.scope import audit, care_group_scope
    from zelfzorg.patients.models import Patient

    text = (text or "").strip()[:100]
    if not text:
        return []
    scope = care_group_scope(
        session, actor, actor.user.care_group_id, object_type="AuditLog", audit_allowed=False
    )
    like = _escaped_like(text)
    name = func.lower(func.coalesce(Patient.given_name, "") + " " + Patient.family_name)
    ids = list(
        session.exec(
            select(Patient.id)
            .where(col(Patient.practice_id).in_(scope.practice_ids))
            .where(
                sa.or_(
                    name.like(like, escape="\\"),
                    func.lower(func.coalesce(Patient.his_number, "")).like(like, escape="\\"),
                )
            )
            .limit(500)
        ).all()
    )
    audit(
        session,
        actor,
        action=AuditAction.search,
        object_type="Patient",
        detail=f"audit log filter: {len(text)} characters, {len(ids)} patients",
    )
    return ids
