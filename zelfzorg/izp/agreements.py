"""Plan agreements: who does what, by when, and whether it is done.

The professional records and changes agreements (they are made together in the consultation);
the patient ticks off what is done. Every change writes a revision and uses the same optimistic
locking as plans and goals; nothing is deleted: an agreement that no longer applies is cancelled.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.scope import Actor, audit_denied, get_patient_for, load_for
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.izp import pdca
from zelfzorg.izp.history import (
    claim_version,
    clean_text,
    conflict,
    created_changes,
    snapshot,
    write_revision,
)
from zelfzorg.izp.models import AGREEMENT_WHAT_MAX, AgreementStatus, PlanAgreement
from zelfzorg.izp.plans import create_plan, plan_for_patient
from zelfzorg.izp.revisions import diff_fields
from zelfzorg.models_base import utcnow

AGREEMENT_FIELDS = ("what", "who", "due_date", "status", "done_date")
WHO_MAX = 100


@dataclass(frozen=True)
class AgreementInput:
    what: str | None = ""
    who: str | None = ""
    due_date: date | None = None
    status: str | None = None  # edits only; None keeps the status


def clean_agreement(
    data: AgreementInput, *, today: date, current: PlanAgreement | None = None
) -> dict:
    """Agreement input as model values, or FormValidationError listing every wrong field.

    A date already set that did not change may lie in the past now; a new one may not."""
    errors: dict[str, ValidationError] = {}
    values: dict = {}
    for name, limit in (("what", AGREEMENT_WHAT_MAX), ("who", WHO_MAX)):
        try:
            values[name] = clean_text(getattr(data, name), name, limit)
        except ValidationError as error:
            errors[name] = error
    if "what" in values and not values["what"]:
        errors["what"] = ValidationError(N_("Vul in wat er is afgesproken."), field="what")
    if "who" in values and not values["who"]:
        errors["who"] = ValidationError(N_("Vul in wie dit doet."), field="who")
    changed_date = current is None or data.due_date != current.due_date
    if data.due_date is not None and changed_date and data.due_date < today:
        errors["due_date"] = ValidationError(
            N_("Deze datum ligt in het verleden. Kies vandaag of later."), field="due_date"
        )
    values["due_date"] = data.due_date
    status = data.status or (current.status if current else AgreementStatus.open.value)
    if status not in {s.value for s in AgreementStatus}:
        errors["status"] = ValidationError(N_("Kies een geldige status."), field="status")
    values["status"] = status
    if errors:
        raise pdca.FormValidationError(errors)
    return values


def is_overdue(agreement: PlanAgreement, today: date) -> bool:
    """An open agreement whose date has passed."""
    return (
        agreement.status == AgreementStatus.open
        and agreement.due_date is not None
        and agreement.due_date < today
    )


@functools.cache
def _agreements_statement():
    """``agreements_for``'s statement, built once per process (every plan page runs it)."""
    return (
        select(PlanAgreement)
        .where(PlanAgreement.plan_id == sa.bindparam("plan_id"))
        .order_by(col(PlanAgreement.due_date).is_(None), PlanAgreement.due_date, PlanAgreement.id)
    )


def agreements_for(session: Session, plan_id: int) -> list[PlanAgreement]:
    """Open agreements first (soonest date first, undated last), then done, then cancelled."""
    rows = session.exec(_agreements_statement(), params={"plan_id": plan_id}).all()
    order = {AgreementStatus.open: 0, AgreementStatus.done: 1, AgreementStatus.cancelled: 2}
    return sorted(rows, key=lambda a: order.get(AgreementStatus(a.status), 3))


def load_agreement(session: Session, actor: Actor, agreement_id: int) -> PlanAgreement:
    return load_for(session, actor, PlanAgreement, agreement_id, write=True)


def add_agreement(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: AgreementInput,
    *,
    today: date,
    now: datetime | None = None,
) -> PlanAgreement:
    """A new agreement in the patient's plan (made in the consultation, recorded by the
    professional); creates the plan when there is none yet."""
    now = now or utcnow()
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="PlanAgreement",
    )
    if not actor.is_professional:
        raise Forbidden(N_("Afspraken legt uw zorgverlener vast."))
    values = clean_agreement(
        AgreementInput(what=data.what, who=data.who, due_date=data.due_date), today=today
    )
    plan = plan_for_patient(session, patient.id) or create_plan(  # type: ignore[arg-type]
        session, actor, patient, now
    )
    agreement = PlanAgreement(
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        created_at=now,
        created_by_id=actor.user_id,
        updated_at=now,
        updated_by_id=actor.user_id,
        **values,
    )
    session.add(agreement)
    session.flush()
    write_revision(
        session,
        actor,
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        obj=agreement,
        changes=created_changes(agreement, AGREEMENT_FIELDS),
        now=now,
    )
    session.flush()
    return agreement


def _save(
    session: Session,
    actor: Actor,
    agreement: PlanAgreement,
    values: dict,
    *,
    version: int,
    now: datetime,
) -> PlanAgreement:
    before = snapshot(agreement, AGREEMENT_FIELDS)
    changes = diff_fields(before, {**before, **values}, AGREEMENT_FIELDS)
    if version != agreement.version:
        raise conflict(session, agreement, AGREEMENT_FIELDS, version)  # type: ignore[arg-type]
    if not changes:
        return agreement
    if not claim_version(session, PlanAgreement, agreement.id, version):  # type: ignore[arg-type]
        raise conflict(session, agreement, AGREEMENT_FIELDS, version)  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.version = version + 1
    agreement.updated_at = now
    agreement.updated_by_id = actor.user_id
    session.add(agreement)
    write_revision(
        session,
        actor,
        plan_id=agreement.plan_id,
        patient_id=agreement.patient_id,
        obj=agreement,
        changes=changes,
        now=now,
    )
    session.flush()
    return agreement


def update_agreement(
    session: Session,
    actor: Actor,
    agreement_id: int,
    data: AgreementInput,
    *,
    version: int,
    today: date,
    now: datetime | None = None,
) -> PlanAgreement:
    """Change what, who, when or the status (professional). A stale version is a Conflict."""
    now = now or utcnow()
    agreement = load_agreement(session, actor, agreement_id)
    if not actor.is_professional:
        audit_denied(
            session,
            actor,
            object_type="PlanAgreement",
            object_id=agreement.id,
            patient_id=agreement.patient_id,
            detail="professional-only change",
        )
        raise Forbidden(N_("Afspraken past uw zorgverlener aan."))
    values = clean_agreement(data, today=today, current=agreement)
    values["done_date"] = _done_date(agreement, values["status"], today)
    return _save(session, actor, agreement, values, version=version, now=now)


def _done_date(agreement: PlanAgreement, status: str, today: date) -> date | None:
    if status != AgreementStatus.done:
        return None
    return agreement.done_date or today


def mark_done(
    session: Session,
    actor: Actor,
    agreement_id: int,
    *,
    done: bool = True,
    today: date,
    now: datetime | None = None,
) -> PlanAgreement:
    """The patient (or professional) ticks an agreement off, or opens it again. Doing it twice
    changes nothing, so a double click is harmless and needs no version."""
    now = now or utcnow()
    agreement = load_agreement(session, actor, agreement_id)
    if not (actor.is_patient or actor.is_professional):
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    if agreement.status == AgreementStatus.cancelled:
        raise ValidationError(N_("Deze afspraak is vervallen."))
    status = AgreementStatus.done.value if done else AgreementStatus.open.value
    values = {"status": status, "done_date": _done_date(agreement, status, today)}
    return _save(session, actor, agreement, values, version=agreement.version, now=now)
