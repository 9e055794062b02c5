"""Who may read or change which patient: the one place that decides.

Every service that takes a patient id goes through :func:`get_patient_for`, which loads the
patient, checks the actor's scope and writes the audit entry (allowed or denied).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from zelfzorg.accounts.models import PracticeMembership, Role, User
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.audit.services import AuditSubject, record, record_many
from zelfzorg.errors import N_, Forbidden, NotFound
from zelfzorg.patients.models import Patient


@dataclass(frozen=True)
class Actor:
    """The user acting and where from; what services need to authorise and audit.

    ``practice_ids`` are the practices a professional works for (their memberships, home
    practice included); build it with :func:`actor_for`. Left empty it is the home practice
    alone, so a forgotten lookup narrows scope, never widens it.
    """

    user: User
    client_address: str = ""
    practice_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        home = self.user.practice_id
        if self.user.role == Role.professional and home is not None:
            object.__setattr__(self, "practice_ids", frozenset(self.practice_ids) | {home})
        elif self.user.role != Role.professional:
            object.__setattr__(self, "practice_ids", frozenset())

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def user_id(self) -> int:
        return self.user.id  # type: ignore[return-value]

    @property
    def organisation(self) -> str:
        if self.user.practice_id is not None:
            return f"practice:{self.user.practice_id}"
        if self.user.care_group_id is not None:
            return f"caregroup:{self.user.care_group_id}"
        return "platform"

    @property
    def audit_subject(self) -> AuditSubject:
        return AuditSubject(
            user_id=self.user.id,
            # A patient's name would make the log itself identifying for the staff who review
            # it; the account number is enough (the patient's own view says "you").
            user_name=f"patient account {self.user.id}" if self.is_patient else self.user.name,
            role=str(self.user.role),
            organisation=self.organisation,
            client_address=self.client_address,
        )

    @property
    def is_professional(self) -> bool:
        return self.user.role == Role.professional

    @property
    def is_patient(self) -> bool:
        return self.user.role == Role.patient


def actor_for(session: Session, user: User, client_address: str = "") -> Actor:
    """The actor for a signed-in user, with the practices they work for."""
    practice_ids: frozenset[int] = frozenset()
    if user.role == Role.professional:
        practice_ids = frozenset(
            session.exec(
                select(PracticeMembership.practice_id).where(PracticeMembership.user_id == user.id)
            ).all()
        )
    return Actor(user, client_address, practice_ids)


def may_access_patient(actor: Actor, patient: Patient, *, write: bool = False) -> bool:
    """Patients reach only themselves, professionals their own practice; nobody else."""
    user = actor.user
    if not user.is_active:
        return False
    if user.role == Role.patient:
        return user.patient_id == patient.id
    if user.role == Role.professional:
        return patient.practice_id in actor.practice_ids
    # Care-group staff and administrators never see identifiable patient data.
    return False


def audit(
    session: Session,
    actor: Actor,
    *,
    action: AuditAction,
    object_type: str,
    object_id: object = None,
    patient_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.allowed,
    detail: str = "",
) -> None:
    record(
        session,
        actor.audit_subject,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        outcome=outcome,
        detail=detail,
    )


def not_found(
    session: Session,
    actor: Actor,
    *,
    object_type: str,
    object_id: object,
    message: str,
    write: bool = False,
    action: AuditAction | None = None,
) -> NotFound:
    """Audit a request for an object that does not exist (it may be probing for ids) and
    return the error to raise; the message never says whether it exists elsewhere."""
    audit(
        session,
        actor,
        action=action or (AuditAction.update if write else AuditAction.read),
        object_type=object_type,
        object_id=object_id,
        outcome=AuditOutcome.denied,
        detail="not found",
    )
    return NotFound(message)


def audit_shown(
    session: Session,
    actor: Actor,
    patient_ids: Iterable[int],
    *,
    object_type: str,
    action: AuditAction = AuditAction.search,
) -> None:
    """A list showed these patients (names, dates): one entry each, so every patient's own
    "who accessed my record" shows it."""
    record_many(
        session,
        actor.audit_subject,
        list(dict.fromkeys(patient_ids)),
        action=action,
        object_type=object_type,
    )


def get_patient_for(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    write: bool = False,
    action: AuditAction | None = None,
    object_type: str = "Patient",
    object_id: object = None,
) -> Patient:
    """Load a patient the actor may reach, auditing the attempt either way.

    ``action`` defaults to read (or update when ``write``); pass ``None``-free values to record
    what the caller is about to do with an object belonging to the patient.
    """
    action = action or (AuditAction.update if write else AuditAction.read)
    patient = session.get(Patient, patient_id)
    if patient is None:
        audit(
            session,
            actor,
            action=action,
            object_type=object_type,
            object_id=object_id or patient_id,
            outcome=AuditOutcome.denied,
            detail="not found",
        )
        raise NotFound(N_("Deze patiënt bestaat niet of u heeft er geen toegang toe."))
    if not may_access_patient(actor, patient, write=write):
        audit(
            session,
            actor,
            action=action,
            object_type=object_type,
            object_id=object_id or patient_id,
            patient_id=patient.id,
            outcome=AuditOutcome.denied,
        )
        raise Forbidden(N_("U heeft geen toegang tot deze patiënt."))
    audit(
        session,
        actor,
        action=action,
        object_type=object_type,
        object_id=object_id or patient_id,
        patient_id=patient.id,
    )
    return patient


def patients_query(actor: Actor) -> SelectOfScalar[Patient]:
    """Patients the actor may list: a professional's practice, or a patient's own record."""
    query = select(Patient)
    user = actor.user
    if user.role == Role.professional and actor.practice_ids:
        return query.where(col(Patient.practice_id).in_(sorted(actor.practice_ids)))
    if user.role == Role.patient and user.patient_id is not None:
        return query.where(Patient.id == user.patient_id)
    return query.where(sa.false())  # nobody else lists patients


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
