"""Revisions, optimistic locking and the plan as it was: shared by plans, goals, actions
and agreements.

Plans, goals and agreements use optimistic locking: the caller passes the version its form was
based on; a stale one raises :class:`Conflict` whose ``current`` is a :class:`ConflictInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.errors import N_, Conflict, ValidationError
from zelfzorg.izp.models import (
    TEXT_MAX,
    CarePlan,
    Goal,
    GoalAction,
    PlanAgreement,
    Revision,
)
from zelfzorg.izp.revisions import FieldChange, diff_fields, state_at, to_json_value

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class ConflictInfo:
    """What the other person saved: current values, the fields they changed, who and when."""

    values: dict
    changed_fields: list[str]
    changed_by: str
    changed_at: datetime | None
    version: int


def clean_text(value: str | None, field_name: str, max_length: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationError(
            N_("Deze tekst is te lang. Gebruik hoogstens %(max)d tekens."),
            field=field_name,
            max=max_length,
        )
    if "\x00" in text:
        raise ValidationError(
            N_("Deze tekst bevat een teken dat niet is toegestaan."), field=field_name
        )
    return text


def snapshot(obj: object, fields: tuple[str, ...]) -> dict:
    return {name: to_json_value(getattr(obj, name)) for name in fields}


def write_revision(
    session: Session,
    actor: Actor,
    *,
    plan_id: int,
    patient_id: int,
    obj: CarePlan | Goal | GoalAction | PlanAgreement,
    changes: list[FieldChange],
    now: datetime,
) -> Revision | None:
    if not changes:
        return None
    revision = Revision(
        plan_id=plan_id,
        patient_id=patient_id,
        object_type=type(obj).__name__,
        object_id=obj.id,  # type: ignore[arg-type]
        version=getattr(obj, "version", 1),
        user_id=actor.user_id,
        user_name=actor.user.name,
        at=now,
        changes=[c.to_json() for c in changes],
    )
    session.add(revision)
    return revision


def created_changes(obj: object, fields: tuple[str, ...]) -> list[FieldChange]:
    return diff_fields({}, snapshot(obj, fields), fields)


def claim_version(session: Session, model: type, obj_id: int, expected: int) -> bool:
    """Compare-and-set the version in the database, so two writers can never both win."""
    result = session.execute(
        update(model)
        .where(model.id == obj_id, model.version == expected)  # type: ignore[attr-defined]
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def conflict(
    session: Session,
    obj: CarePlan | Goal | PlanAgreement,
    fields: tuple[str, ...],
    since_version: int,
) -> Conflict:
    session.refresh(obj)
    revisions = session.exec(
        select(Revision)
        .where(
            Revision.object_type == type(obj).__name__,
            Revision.object_id == obj.id,
            Revision.version > since_version,
        )
        .order_by(Revision.at, Revision.id)
    ).all()
    changed: list[str] = []
    for revision in revisions:
        for change in revision.changes:
            if change["field"] not in changed:
                changed.append(change["field"])
    last = revisions[-1] if revisions else None
    info = ConflictInfo(
        values=snapshot(obj, fields),
        changed_fields=changed,
        changed_by=last.user_name if last else "",
        changed_at=last.at if last else None,
        version=obj.version,
    )
    return Conflict(
        N_(
            "Iemand anders heeft dit intussen ook aangepast. Wij hebben uw wijziging niet "
            "opgeslagen. Bekijk wat de ander veranderde en sla daarna opnieuw op."
        ),
        current=info,
    )


def end_of_day_utc(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, AMSTERDAM).astimezone(
        UTC
    ) - timedelta(microseconds=1)


@dataclass
class PlanAt:
    at: datetime
    plan: dict | None
    goals: list[dict]
    actions: list[dict]
    agreements: list[dict] = field(default_factory=list)


def plan_history(session: Session, actor: Actor, patient_id: int) -> list[Revision]:
    patient = get_patient_for(session, actor, patient_id, object_type="CarePlanHistory")
    return list(
        session.exec(
            select(Revision)
            .where(Revision.patient_id == patient.id)
            .order_by(col(Revision.at).desc(), col(Revision.id).desc())
            .limit(500)
        ).all()
    )


def plan_at(session: Session, actor: Actor, patient_id: int, *, at: datetime) -> PlanAt:
    """The plan, goals and actions as they were at ``at``, rebuilt from the revisions."""
    patient = get_patient_for(session, actor, patient_id, object_type="CarePlanHistory")
    revisions = session.exec(
        select(Revision).where(Revision.patient_id == patient.id).order_by(Revision.at, Revision.id)
    ).all()
    per_object: dict[tuple[str, int], list[tuple[datetime, list[FieldChange]]]] = {}
    for revision in revisions:
        per_object.setdefault((revision.object_type, revision.object_id), []).append(
            (revision.at, [FieldChange.from_json(c) for c in revision.changes])
        )
    plan = None
    goals, actions, agreements = [], [], []
    for (kind, obj_id), changes in per_object.items():
        if changes[0][0] > at:
            continue  # did not exist yet
        state = state_at({}, changes, at)
        state["id"] = obj_id
        if kind == "CarePlan":
            plan = state
        elif kind == "Goal":
            goals.append(state)
        elif kind == "GoalAction":
            actions.append(state)
        elif kind == "PlanAgreement":
            agreements.append(state)
    goals.sort(key=lambda g: g["id"])
    agreements.sort(key=lambda a: a["id"])
    return PlanAt(at=at, plan=plan, goals=goals, actions=actions, agreements=agreements)
