"""The care plan itself: one per patient, created on first use, its fields changed with
optimistic locking (a patient changes only their own words)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from zelfzorg.accounts.scope import (
    Actor,
    audit,
    audit_denied,
    get_patient_for,
)
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Forbidden, NotFound, ValidationError
from zelfzorg.izp.history import (
    claim_version,
    clean_text,
    conflict,
    created_changes,
    snapshot,
    write_revision,
)
from zelfzorg.izp.models import (
    CarePlan,
    SelfManagementModule,
)
from zelfzorg.izp.revisions import diff_fields, to_json_value
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Patient, Programme

PLAN_FIELDS = (
    "what_matters",
    "life_goals",
    "support_needs",
    "modules",
    "next_review_date",
    "conditions",
)


#: What a patient may change on their own plan: their own words.
PATIENT_PLAN_FIELDS = frozenset({"what_matters", "life_goals"})


@dataclass(frozen=True)
class PlanInput:
    what_matters: str = ""
    life_goals: str = ""
    support_needs: str = ""
    modules: list[str] = field(default_factory=list)
    next_review_date: date | None = None
    conditions: list[str] = field(default_factory=list)


def clean_programmes(values: list[str], field_name: str) -> list[str]:
    allowed = {p.value for p in Programme}
    if any(v not in allowed for v in values):
        raise ValidationError(N_("Kies alleen zorgprogramma's uit de lijst."), field=field_name)
    return sorted(set(values))


def clean_plan(data: PlanInput, *, today: date) -> dict:
    values = {
        name: clean_text(getattr(data, name), name)
        for name in ("what_matters", "life_goals", "support_needs")
    }
    modules = {m.value for m in SelfManagementModule}
    if any(m not in modules for m in data.modules):
        raise ValidationError(N_("Kies alleen modules uit de lijst."), field="modules")
    values["modules"] = sorted(set(data.modules))
    values["conditions"] = clean_programmes(list(data.conditions), "conditions")
    if data.next_review_date is not None and data.next_review_date < today:
        raise ValidationError(
            N_("De datum van de evaluatie ligt in het verleden. Kies vandaag of later."),
            field="next_review_date",
        )
    values["next_review_date"] = data.next_review_date
    return values


def plan_for_patient(session: Session, patient_id: int) -> CarePlan | None:
    return session.exec(select(CarePlan).where(CarePlan.patient_id == patient_id)).first()


def create_plan(session: Session, actor: Actor, patient: Patient, now: datetime) -> CarePlan:
    plan = CarePlan(
        patient_id=patient.id,  # type: ignore[arg-type]
        created_by_id=actor.user_id,
        updated_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(plan)
    except IntegrityError:  # someone created it at the same moment: one plan per patient
        existing = plan_for_patient(session, patient.id)  # type: ignore[arg-type]
        assert existing is not None
        return existing
    write_revision(
        session,
        actor,
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        obj=plan,
        changes=created_changes(plan, PLAN_FIELDS),
        now=now,
    )
    session.flush()
    return plan


def get_or_create_plan(
    session: Session, actor: Actor, patient_id: int, *, now: datetime | None = None
) -> CarePlan:
    """The patient's one plan; created when there is none (never a second one)."""
    patient = get_patient_for(
        session, actor, patient_id, write=True, object_type="CarePlan", action=AuditAction.update
    )
    plan = plan_for_patient(session, patient.id)  # type: ignore[arg-type]
    if plan is not None:
        return plan
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type="CarePlan",
        patient_id=patient.id,
    )
    return create_plan(session, actor, patient, now or utcnow())


def update_plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: PlanInput,
    *,
    version: int,
    today: date,
    now: datetime | None = None,
) -> CarePlan:
    """Save the plan fields; a patient changes only their own words (what matters, life goals)."""
    now = now or utcnow()
    patient = get_patient_for(session, actor, patient_id, write=True, object_type="CarePlan")
    plan = plan_for_patient(session, patient.id)  # type: ignore[arg-type]
    if plan is None:
        raise NotFound(N_("Deze patiënt heeft nog geen plan."))
    values = clean_plan(data, today=today)
    if actor.is_patient:
        forbidden = [
            name
            for name in PLAN_FIELDS
            if name not in PATIENT_PLAN_FIELDS
            and to_json_value(values[name]) != to_json_value(getattr(plan, name))
        ]
        if forbidden:
            audit_denied(
                session,
                actor,
                object_type="CarePlan",
                object_id=plan.id,
                patient_id=patient.id,
                detail="professional-only fields: " + ",".join(forbidden),
            )
            raise Forbidden(N_("Dit deel van het plan past uw zorgverlener aan."))
    before = snapshot(plan, PLAN_FIELDS)
    changes = diff_fields(before, values, PLAN_FIELDS)
    if version != plan.version:
        raise conflict(session, plan, PLAN_FIELDS, version)
    if not changes:
        return plan
    if not claim_version(session, CarePlan, plan.id, version):  # type: ignore[arg-type]
        raise conflict(session, plan, PLAN_FIELDS, version)
    for name in PLAN_FIELDS:
        setattr(plan, name, values[name])
    plan.version = version + 1
    plan.updated_at = now
    plan.updated_by_id = actor.user_id
    session.add(plan)
    write_revision(
        session, actor, plan_id=plan.id, patient_id=patient.id, obj=plan, changes=changes, now=now
    )
    session.flush()
    return plan
