"""The erasure workflow (GDPR art. 17): request, review by the practice, a second confirmation
by another professional of the practice, then deletion of the patient's data.

Never one button: a request (by the patient, or by a professional on their behalf) is reviewed
by a POH or GP of the patient's practice (approve or reject, with a reason); an approved
request is executed only when a *different* POH or GP confirms it. Every step is one
conditional UPDATE on (status, version), so two reviewers acting at once cannot both act.

Execution deletes every row of every patient-owned table (the models that declare
``patient_record``, children before parents), the notifications about or for the patient and
the patient account's API tokens; it deactivates the account (new session nonce: every session
ends; e-mail, name, password and second factor removed) and reduces the patient row to a
pseudonymous stub. Kept: the stub, this request (without the patient's free-text reason) and
the audit log, which names the patient only by id and stays append-only and verifiable.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from zelfzorg.accounts.models import ApiToken, Discipline, Role, User
from zelfzorg.accounts.scope import (
    Actor,
    audit,
    audit_shown,
    get_patient_for,
    load_for,
    require_role,
)
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.inputs import check_text
from zelfzorg.models_base import PatientRecord, utcnow
from zelfzorg.notifications.models import Notification
from zelfzorg.notifications.services import endpoint_link, notify
from zelfzorg.patients.models import Patient, Sex
from zelfzorg.privacy.models import OPEN_STATUSES, ErasureRequest, ErasureStatus

REASON_MAX = 2000
#: Practice staff who may review and confirm (not a dietitian or physiotherapist who also
#: works for the practice): the POH and the GP are the ones the patient knows.
REVIEWER_DISCIPLINES = frozenset({Discipline.poh, Discipline.gp})
#: The stub's birth date: the column is required, the real date must go.
STUB_BIRTH_DATE = date(1900, 1, 1)
#: Tables kept after erasure although they belong to the patient: the stub itself and the
#: request that documents the erasure. (The audit log and the user account are not
#: patient-owned tables in the access layer's sense; the account is scrubbed below.)
KEPT_TABLES = frozenset({"patient", "erasure_request"})

E_REASON = N_("Schrijf kort op waarom.")
E_REASON_LONG = N_("Schrijf het korter op (hoogstens %(max)s tekens).")
E_OPEN = N_("Er loopt al een verzoek om gegevens te verwijderen.")
E_NOT_REVIEWER = N_("Alleen een praktijkondersteuner of huisarts van de praktijk beoordeelt dit.")
E_SAME_PERSON = N_(
    "Een andere medewerker van de praktijk dan degene die het verzoek goedkeurde, "
    "moet de verwijdering bevestigen."
)
E_STALE = N_("Iemand anders heeft dit verzoek intussen behandeld. Bekijk de nieuwe stand.")
E_CONFIRM = N_("Vink aan dat u de verwijdering bevestigt.")

NOTE_APPROVED = N_(
    "Uw verzoek om uw gegevens te verwijderen is goedgekeurd. Een tweede medewerker van de "
    "praktijk bevestigt het; daarna worden uw gegevens verwijderd en kunt u niet meer inloggen. "
    "Download uw gegevens nu als u ze wilt bewaren."
)
NOTE_REJECTED = N_("Uw verzoek om uw gegevens te verwijderen is afgewezen. De reden: %(reason)s")


@dataclass(frozen=True)
class ErasureView:
    """A request as pages show it (names only while the patient still exists)."""

    request: ErasureRequest
    patient_name: str
    requested_by: str
    decided_by: str
    executed_by: str
    may_review: bool
    may_confirm: bool


def _reason(text: str | None, field: str = "reason") -> str:
    value = check_text(text, field=field).strip()
    if not value:
        raise ValidationError(E_REASON, field=field)
    if len(value) > REASON_MAX:
        raise ValidationError(E_REASON_LONG, field=field, max=REASON_MAX)
    return value


def open_request(session: Session, patient_id: int) -> ErasureRequest | None:
    return session.exec(
        select(ErasureRequest).where(
            ErasureRequest.patient_id == patient_id,
            col(ErasureRequest.status).in_([s.value for s in OPEN_STATUSES]),
        )
    ).first()


def file_request(
    session: Session, actor: Actor, patient_id: int, *, reason: str, now: datetime | None = None
) -> ErasureRequest:
    """The patient (for themselves) or a professional of their practice files a request."""
    require_role(actor, Role.patient, Role.professional)
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="ErasureRequest",
    )
    text = _reason(reason)
    if open_request(session, patient_id) is not None:
        raise ValidationError(E_OPEN)
    request = ErasureRequest(
        patient_id=patient_id,
        practice_id=patient.practice_id,
        status=ErasureStatus.requested,
        reason=text,
        requested_by_id=actor.user_id,
        requested_by_role=str(actor.role),
        requested_at=now or utcnow(),
    )
    session.add(request)
    session.flush()
    return request


def requests_of_patient(session: Session, actor: Actor, patient_id: int) -> list[ErasureRequest]:
    """The patient's own requests, newest first (the patient page shows their status)."""
    get_patient_for(session, actor, patient_id, object_type="ErasureRequest")
    return list(
        session.exec(
            select(ErasureRequest)
            .where(ErasureRequest.patient_id == patient_id)
            .order_by(col(ErasureRequest.requested_at).desc(), col(ErasureRequest.id).desc())
        ).all()
    )


def _load_request(
    session: Session, actor: Actor, request_id: int, *, write: bool = False
) -> ErasureRequest:
    """A request of a patient the actor may reach. Another practice's request is a 404, like
    one that does not exist: the loader has audited the refusal against its real patient."""
    try:
        return load_for(session, actor, ErasureRequest, request_id, write=write)
    except Forbidden:
        raise NotFound(ErasureRequest.patient_record.not_found) from None


def _require_reviewer(session: Session, actor: Actor, request_id: int) -> None:
    if not actor.is_professional or actor.user.discipline not in REVIEWER_DISCIPLINES:
        audit(
            session,
            actor,
            action=AuditAction.update,
            object_type="ErasureRequest",
            object_id=request_id,
            outcome=AuditOutcome.denied,
            detail="not a reviewer",
        )
        raise Forbidden(E_NOT_REVIEWER)


def _transition(
    session: Session,
    request: ErasureRequest,
    *,
    expected: ErasureStatus,
    version: int,
    values: dict,
) -> None:
    """Move the request on only if nobody moved it since the actor loaded it."""
    table = ErasureRequest.__table__
    result = session.execute(
        sa.update(table)
        .where(
            table.c.id == request.id,
            table.c.status == expected.value,
            table.c.version == version,
        )
        .values(version=version + 1, **values)
    )
    if result.rowcount != 1:
        session.refresh(request)
        raise Conflict(E_STALE, current=request)
    session.refresh(request)


def _patient_user(session: Session, patient_id: int) -> User | None:
    return session.exec(
        select(User).where(User.patient_id == patient_id, User.role == Role.patient)
    ).first()


def review(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    approve: bool,
    reason: str,
    version: int,
    now: datetime | None = None,
) -> ErasureRequest:
    """Approve or reject a requested erasure, with a reason; the patient is notified."""
    _require_reviewer(session, actor, request_id)
    request = _load_request(session, actor, request_id, write=True)
    text = _reason(reason, "decision_reason")
    moment = now or utcnow()
    _transition(
        session,
        request,
        expected=ErasureStatus.requested,
        version=version,
        values={
            "status": (ErasureStatus.approved if approve else ErasureStatus.rejected).value,
            "decided_by_id": actor.user_id,
            "decided_at": moment,
            "decision_reason": text,
        },
    )
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="ErasureRequest",
        object_id=request.id,
        patient_id=request.patient_id,
        detail="approved" if approve else "rejected",
    )
    user = _patient_user(session, request.patient_id)
    if user is not None and user.is_active:
        notify(
            session,
            user_id=user.id,  # type: ignore[arg-type]
            key=f"erasure:{request.id}:{request.status}",
            kind="erasure_decision",
            message=NOTE_APPROVED if approve else NOTE_REJECTED,
            params={} if approve else {"reason": text},
            link=endpoint_link("privacy.my_erasure"),
            patient_id=request.patient_id,
            now=moment,
        )
    return request


def confirm_and_execute(
    session: Session,
    actor: Actor,
    request_id: int,
    *,
    version: int,
    confirmed: bool,
    now: datetime | None = None,
) -> ErasureRequest:
    """The second professional confirms an approved request; the data is deleted at once."""
    _require_reviewer(session, actor, request_id)
    request = _load_request(session, actor, request_id, write=True)
    if not confirmed:
        raise ValidationError(E_CONFIRM, field="confirm")
    if request.status == ErasureStatus.approved and request.decided_by_id == actor.user_id:
        audit(
            session,
            actor,
            action=AuditAction.delete,
            object_type="ErasureRequest",
            object_id=request.id,
            patient_id=request.patient_id,
            outcome=AuditOutcome.denied,
            detail="second confirmation by the approver",
        )
        raise Forbidden(E_SAME_PERSON)
    moment = now or utcnow()
    _transition(
        session,
        request,
        expected=ErasureStatus.approved,
        version=version,
        values={"status": ErasureStatus.executed.value, "executed_by_id": actor.user_id},
    )
    counts = erase_patient_data(session, request.patient_id, now=moment)
    summary = " ".join(f"{table}={n}" for table, n in sorted(counts.items()) if n)
    session.execute(
        sa.update(ErasureRequest.__table__)
        .where(ErasureRequest.__table__.c.id == request.id)
        .values(executed_at=moment, summary=summary[:2000], reason="")
    )
    session.refresh(request)
    audit(
        session,
        actor,
        action=AuditAction.delete,
        object_type="PatientData",
        object_id=request.id,
        patient_id=request.patient_id,
        detail=f"erased on request {request.id}: {summary}"[:500],
    )
    return request


# --- the deletion ------------------------------------------------------------------------------


def declared_patient_models() -> list[type]:
    """Every table model declaring ``patient_record``, children before their parents."""
    declared = {
        mapper.class_.__table__.name: mapper.class_
        for mapper in SQLModel._sa_registry.mappers
        if isinstance(getattr(mapper.class_, "patient_record", None), PatientRecord)
    }
    order = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    return [declared[name] for name in order if name in declared]


def _owned_ids(model: type, patient_id: int):
    """A select of the ids of ``model``'s rows that belong to the patient."""
    table = model.__table__  # type: ignore[attr-defined]
    return sa.select(table.c.id).where(_belongs(model, patient_id))


def _belongs(model: type, patient_id: int):
    declaration: PatientRecord = model.patient_record  # type: ignore[attr-defined]
    table = model.__table__  # type: ignore[attr-defined]
    if declaration.via is None:
        return table.c.patient_id == patient_id
    column, parent = declaration.via
    return table.c[column].in_(_owned_ids(parent, patient_id))


def erase_patient_data(session: Session, patient_id: int, *, now: datetime) -> dict[str, int]:
    """Delete the patient's data and leave the stub; returns rows deleted per table.

    Only :func:`confirm_and_execute` calls this (after its checks and its audit)."""
    session.flush()
    counts: dict[str, int] = {}
    user = _patient_user(session, patient_id)
    notes = Notification.__table__
    condition = notes.c.patient_id == patient_id
    if user is not None:
        condition = condition | (notes.c.user_id == user.id)
        tokens = ApiToken.__table__
        counts["api_token"] = session.execute(
            sa.delete(tokens).where(tokens.c.user_id == user.id)
        ).rowcount
    counts["notification"] = session.execute(sa.delete(notes).where(condition)).rowcount
    for model in declared_patient_models():
        table = model.__table__  # type: ignore[attr-defined]
        if table.name in KEPT_TABLES:
            continue
        if "supersedes_id" in table.c:  # corrections point at the row they replaced
            session.execute(
                sa.update(table).where(_belongs(model, patient_id)).values(supersedes_id=None)
            )
        counts[table.name] = session.execute(
            sa.delete(table).where(_belongs(model, patient_id))
        ).rowcount
    patients = Patient.__table__
    session.execute(
        sa.update(patients)
        .where(patients.c.id == patient_id)
        .values(
            given_name="",
            family_name="",
            date_of_birth=STUB_BIRTH_DATE,
            sex=Sex.unknown.value,
            his_number=None,
            erased_at=now,
        )
    )
    if user is not None:
        accounts = User.__table__
        session.execute(
            sa.update(accounts)
            .where(accounts.c.id == user.id)
            .values(
                email=f"verwijderd-{user.id}@erased.invalid",
                name="",
                password_hash=None,
                totp_secret=None,
                totp_enrolled_at=None,
                is_active=False,
                # A new nonce: every session of the account ends now.
                session_nonce=secrets.token_hex(16),
            )
        )
    # The ORM's copies of deleted or rewritten rows are stale now.
    session.expire_all()
    return counts


# --- lists and pages ---------------------------------------------------------------------------


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.name, User.role).where(col(User.id).in_(wanted)))
    return {uid: (name if role != Role.patient else "") for uid, name, role in rows}  # type: ignore[misc]


def _view(
    actor: Actor, request: ErasureRequest, patient: Patient | None, names: dict[int, str]
) -> ErasureView:
    reviewer = actor.is_professional and actor.user.discipline in REVIEWER_DISCIPLINES
    return ErasureView(
        request=request,
        patient_name=patient.full_name if patient and patient.erased_at is None else "",
        requested_by=names.get(request.requested_by_id, ""),
        decided_by=names.get(request.decided_by_id or 0, ""),
        executed_by=names.get(request.executed_by_id or 0, ""),
        may_review=reviewer and request.status == ErasureStatus.requested,
        may_confirm=reviewer
        and request.status == ErasureStatus.approved
        and request.decided_by_id != actor.user_id,
    )


def practice_requests(session: Session, actor: Actor, *, limit: int = 50) -> list[ErasureView]:
    """Open requests of patients of the actor's practices first (oldest first), then the
    latest closed ones. The patient's current practice decides (as in the access layer), so a
    patient who moved is reviewed by the new practice. Each patient shown is audited."""
    require_role(actor, Role.professional)
    practices = sorted(actor.practice_ids)
    is_open = col(ErasureRequest.status).in_([s.value for s in OPEN_STATUSES])
    rows = session.exec(
        select(ErasureRequest, Patient)
        .join(Patient, col(Patient.id) == ErasureRequest.patient_id)
        .where(col(Patient.practice_id).in_(practices))
        .order_by(
            sa.case((is_open, 0), else_=1),
            sa.case((is_open, ErasureRequest.requested_at), else_=None),  # open: oldest first
            col(ErasureRequest.requested_at).desc(),
            col(ErasureRequest.id),
        )
        .limit(limit)
    ).all()
    names = _names(
        session,
        {i for r, _ in rows for i in (r.requested_by_id, r.decided_by_id, r.executed_by_id)},
    )
    shown = [p.id for _, p in rows if p.erased_at is None]
    audit_shown(session, actor, shown, object_type="ErasureRequest")  # type: ignore[arg-type]
    return [_view(actor, r, p, names) for r, p in rows]


def open_for_review(session: Session, actor: Actor, request_id: int) -> ErasureView:
    """One request of the actor's practice, for the review page (audited by the loader)."""
    require_role(actor, Role.professional)
    request = _load_request(session, actor, request_id)
    patient = session.get(Patient, request.patient_id)
    names = _names(session, {request.requested_by_id, request.decided_by_id})
    return _view(actor, request, patient, names)
