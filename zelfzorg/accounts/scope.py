"""The access layer: who may read or change which patient, and which practices an actor may
aggregate over. The one place that decides.

- A service that takes a patient id goes through :func:`get_patient_for`.
- A service that takes the id of a record of a patient (a goal, a measurement, ...) goes
  through :func:`load_for`; with a patient id and a child id from the URL through
  :func:`load_child_for`. How a model reaches its patient is declared once, on the model
  (``patient_record``, see :class:`zelfzorg.models_base.PatientRecord`).
- Aggregate (care-group) pages go through :func:`care_group_scope`.

Each checks existence, ownership and scope first and then writes one audit entry naming the
record's real patient, allowed or denied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from zelfzorg.accounts.models import CareGroup, Practice, PracticeMembership, Role, User
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.audit.services import AuditSubject, record, record_many
from zelfzorg.errors import N_, Forbidden, NotFound
from zelfzorg.models_base import PatientRecord
from zelfzorg.patients.models import Patient

T = TypeVar("T")


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


def actor_for(
    session: Session,
    user: User,
    client_address: str = "",
    *,
    memberships: Iterable[int] | None = None,
) -> Actor:
    """The actor for a signed-in user, with the practices they work for. ``memberships``:
    the practice ids of the user's memberships when the caller read them already (the web
    reads them with the signed-in user, ``membership_ids``)."""
    practice_ids: frozenset[int] = frozenset()
    if user.role == Role.professional and memberships is not None:
        practice_ids = frozenset(memberships)
    elif user.role == Role.professional:
        practice_ids = frozenset(
            session.exec(
                select(PracticeMembership.practice_id).where(PracticeMembership.user_id == user.id)
            ).all()
        )
    return Actor(user, client_address, practice_ids)


def membership_ids(user_id_column) -> sa.ScalarSelect:
    """SQL: the practice ids of a user's memberships as one text ("3,7"; NULL for none), to
    read with the user in one statement; ``parse_membership_ids`` reads it back."""
    return (
        sa.select(
            sa.func.aggregate_strings(sa.cast(PracticeMembership.practice_id, sa.String), ",")
        )
        .where(PracticeMembership.user_id == user_id_column)
        .scalar_subquery()
    )


def parse_membership_ids(text: str | None) -> frozenset[int]:
    return frozenset(int(part) for part in text.split(",")) if text else frozenset()


def may_access_patient(actor: Actor, patient: Patient, *, write: bool = False) -> bool:
    """Patients reach only themselves, professionals their own practice; nobody else (and
    nobody an erased patient's stub)."""
    user = actor.user
    if not user.is_active or patient.erased_at is not None:
        return False  # an erased patient is a stub: nobody opens it any more
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


def audit_denied(
    session: Session,
    actor: Actor,
    *,
    object_type: str,
    object_id: object,
    patient_id: int | None,
    detail: str,
    action: AuditAction = AuditAction.update,
) -> None:
    """Record a refused change to a record the actor may otherwise reach (e.g. a patient
    changing a professional-only field)."""
    audit(
        session,
        actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        outcome=AuditOutcome.denied,
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


PATIENT_NOT_FOUND = N_("Deze patiënt bestaat niet of u heeft er geen toegang toe.")


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
        raise NotFound(PATIENT_NOT_FOUND)
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
        # The same answer as for an id that does not exist: a status code must not tell
        # whether another practice's patient exists (the audit entry does say it).
        raise NotFound(PATIENT_NOT_FOUND)
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
    query = select(Patient).where(col(Patient.erased_at).is_(None))
    user = actor.user
    if user.role == Role.professional and actor.practice_ids:
        return query.where(col(Patient.practice_id).in_(sorted(actor.practice_ids)))
    if user.role == Role.patient and user.patient_id is not None:
        return query.where(Patient.id == user.patient_id)
    return query.where(sa.false())  # nobody else lists patients


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))


# --- records of a patient --------------------------------------------------------------------


def patient_record_of(model: type) -> PatientRecord:
    """The model's declaration of how to reach its patient (every patient-owned model has one)."""
    declaration = getattr(model, "patient_record", None)
    if not isinstance(declaration, PatientRecord):
        raise TypeError(f"{model.__name__} declares no patient_record")
    return declaration


def patient_id_of(session: Session, record: object) -> int | None:
    """The patient a record belongs to, following ``via`` parents."""
    declaration = patient_record_of(type(record))
    if declaration.via is None:
        return record.patient_id  # type: ignore[attr-defined]
    column, parent_model = declaration.via
    parent = session.get(parent_model, getattr(record, column))
    return patient_id_of(session, parent) if parent is not None else None


def _get(session: Session, model: type[T], record_id: int, lock: bool) -> T | None:
    if not lock:
        return session.get(model, record_id)
    # Serialise concurrent writers of one record (PostgreSQL; SQLite locks anyway).
    query = select(model).where(model.id == record_id).with_for_update()  # type: ignore[attr-defined]
    return session.exec(query).first()


def load_for(
    session: Session,
    actor: Actor,
    model: type[T],
    record_id: int,
    *,
    write: bool = False,
    action: AuditAction | None = None,
    object_type: str | None = None,
    lock: bool = False,
) -> T:
    """Load a record of a patient the actor may reach, auditing the attempt either way.

    Not found: denied without a patient, NotFound. Another practice's (or patient's) record:
    denied against the record's real patient, NotFound too (the same status and message,
    so ids cannot be probed). Otherwise one allowed entry.
    ``object_type`` overrides the declared audit name (e.g. "ActionLog" when logging an
    action); ``lock`` selects the row FOR UPDATE."""
    declaration = patient_record_of(model)
    object_type = object_type or declaration.object_type
    action = action or (AuditAction.update if write else AuditAction.read)
    record = _get(session, model, record_id, lock)
    patient = _patient_of(session, record)
    if record is None or patient is None:
        raise not_found(
            session,
            actor,
            object_type=object_type,
            object_id=record_id,
            action=action,
            message=declaration.not_found,
        )
    _authorise(
        session,
        actor,
        patient,
        write=write,
        action=action,
        object_type=object_type,
        object_id=record_id,
        not_found=declaration.not_found,
    )
    return record


def load_child_for(
    session: Session,
    actor: Actor,
    model: type[T],
    record_id: int,
    *,
    patient_id: int,
    write: bool = False,
    action: AuditAction | None = None,
    object_type: str | None = None,
) -> T:
    """Like :func:`load_for` for routes with a patient id and a child id
    (``/patienten/<pid>/inschrijvingen/<eid>``): a child of another patient is a NotFound,
    audited as denied against the child's real patient, whatever the URL says."""
    declaration = patient_record_of(model)
    object_type = object_type or declaration.object_type
    action = action or (AuditAction.update if write else AuditAction.read)
    record = session.get(model, record_id)
    patient = _patient_of(session, record)
    if record is None or patient is None:
        raise not_found(
            session,
            actor,
            object_type=object_type,
            object_id=record_id,
            action=action,
            message=declaration.not_found,
        )
    if patient.id != patient_id:
        audit(
            session,
            actor,
            action=action,
            object_type=object_type,
            object_id=record_id,
            patient_id=patient.id,
            outcome=AuditOutcome.denied,
            detail=f"belongs to another patient than {patient_id}",
        )
        raise NotFound(declaration.not_found)
    _authorise(
        session,
        actor,
        patient,
        write=write,
        action=action,
        object_type=object_type,
        object_id=record_id,
        not_found=declaration.not_found,
    )
    return record


def _patient_of(session: Session, record: object | None) -> Patient | None:
    if record is None:
        return None
    patient_id = patient_id_of(session, record)
    return session.get(Patient, patient_id) if patient_id is not None else None


def _authorise(
    session: Session,
    actor: Actor,
    patient: Patient,
    *,
    write: bool,
    action: AuditAction,
    object_type: str,
    object_id: object,
    not_found: str,
) -> None:
    """Audit the attempt against the record's real patient; out of scope answers as not
    found (``not_found``, the model's message), so ids cannot be probed by status code."""
    allowed = may_access_patient(actor, patient, write=write)
    audit(
        session,
        actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient.id,
        outcome=AuditOutcome.allowed if allowed else AuditOutcome.denied,
    )
    if not allowed:
        raise NotFound(not_found)


# --- aggregates over practices ---------------------------------------------------------------


@dataclass(frozen=True)
class CareGroupScope:
    """The practices an actor may count over: identities never leave an aggregate page.

    ``care_group_id`` is None only for an administrator looking across all care groups."""

    care_group_id: int | None
    practice_ids: tuple[int, ...]


def care_group_scope(
    session: Session,
    actor: Actor,
    care_group_id: int | None = None,
    *,
    object_type: str = "CareGroupAggregate",
    write: bool = False,
    audit_allowed: bool = True,
) -> CareGroupScope:
    """Which practices ``actor`` may aggregate over, audited as an aggregate read (no patient).

    Care-group staff: the practices of their own care group. Professionals: their own
    practice(s), the ones :func:`patients_query` reaches. Administrators: any care group
    (all practices of ``care_group_id``, or of every group when it is None); they see counts,
    never identities. Patients and inactive accounts: Forbidden. Asking for another care
    group than one's own is Forbidden, a care group that does not exist NotFound; both are
    audited as denied. ``audit_allowed=False`` is for pages that show no patient data at all
    and audit their own changes (the care group's settings): refusals are still audited."""
    action = AuditAction.update if write else AuditAction.read
    user = actor.user
    own: int | None = None
    practices: list[int] | None = None
    if not user.is_active or user.role == Role.patient:
        own = None
    elif user.role == Role.caregroup:
        own = user.care_group_id
    elif user.role == Role.professional:
        practices = _professional_practice_ids(session, actor)
        groups = set(
            session.exec(
                select(Practice.care_group_id).where(col(Practice.id).in_(practices))
            ).all()
        )
        own = groups.pop() if len(groups) == 1 else None
    allowed_any = user.is_active and user.role == Role.admin
    wanted = care_group_id if care_group_id is not None else own
    allowed = allowed_any or (own is not None and wanted == own)
    exists = wanted is None or session.get(CareGroup, wanted) is not None
    if not allowed or not exists:
        audit(
            session,
            actor,
            action=action,
            object_type=object_type,
            object_id=wanted,
            outcome=AuditOutcome.denied,
            detail="not found" if allowed else "other care group",
        )
        if not allowed:
            raise Forbidden(N_("U heeft geen toegang tot de gegevens van deze zorggroep."))
        raise NotFound(N_("Zorggroep %(id)s bestaat niet."), id=wanted)
    if practices is None:
        query = select(Practice.id).order_by(Practice.id)
        if wanted is not None:
            query = query.where(Practice.care_group_id == wanted)
        practices = list(session.exec(query).all())  # type: ignore[arg-type]
    if audit_allowed:
        audit(
            session,
            actor,
            action=action,
            object_type=object_type,
            object_id=wanted,
            detail="practices " + ",".join(str(p) for p in practices),
        )
    return CareGroupScope(care_group_id=wanted, practice_ids=tuple(practices))


def _professional_practice_ids(session: Session, actor: Actor) -> list[int]:
    """The practices a professional works for (home practice and memberships), the ones
    whose patients :func:`patients_query` reaches."""
    return sorted(actor.practice_ids)


def care_group_of_practice(session: Session, practice_id: int | None) -> int | None:
    """The care group a practice belongs to (for choosing its catalogue and settings)."""
    if practice_id is None:
        return None
    practice = session.get(Practice, practice_id)
    return practice.care_group_id if practice else None
