"""Personal targets in the database and the target that applies (personal over default)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Forbidden
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring.models import PersonalTarget, TargetOrigin
from zelfzorg.telemonitoring.rules import Target, default_target, make_target
from zelfzorg.telemonitoring.types import MeasurementType, get_type, load_types
from zelfzorg.texts import Text


def _as_target(mtype: MeasurementType, row: PersonalTarget) -> Target:
    note = (
        Text(nl="Persoonlijk streefdoel (zorgplan)", en="Personal target (care plan)")
        if row.source == TargetOrigin.goal
        else Text(nl="Persoonlijk streefdoel", en="Personal target")
    )
    return make_target(mtype, row.comparator, low=row.low, high=row.high, note=note)


def _pick(rows: Iterable[PersonalTarget]) -> dict[tuple[int, str], PersonalTarget]:
    """The newest active row per (patient, type): a care-plan goal and a POH target may both
    exist; the one set last is the one agreed last."""
    chosen: dict[tuple[int, str], PersonalTarget] = {}
    for row in rows:
        key = (row.patient_id, row.type_code)
        if key not in chosen or (row.set_at, row.id or 0) > (chosen[key].set_at, chosen[key].id):
            chosen[key] = row
    return chosen


def effective_target(session: Session, patient_id: int, type_code: str) -> Target | None:
    """The target that applies to the patient for the type: personal, else the default."""
    mtype = get_type(type_code)
    rows = session.exec(
        select(PersonalTarget).where(
            PersonalTarget.patient_id == patient_id,
            PersonalTarget.type_code == type_code,
            col(PersonalTarget.active).is_(True),
        )
    ).all()
    row = _pick(rows).get((patient_id, type_code))
    return _as_target(mtype, row) if row is not None else default_target(mtype)


def effective_targets(
    session: Session, patient_ids: Iterable[int], type_codes: Iterable[str] | None = None
) -> dict[tuple[int, str], Target | None]:
    """``effective_target`` for many patients and types in one query."""
    ids = sorted(set(patient_ids))
    types = load_types()
    codes = [c for c in (type_codes or types) if types[c].is_quantity]
    result: dict[tuple[int, str], Target | None] = {
        (pid, code): default_target(types[code]) for pid in ids for code in codes
    }
    if not ids or not codes:
        return result
    rows = session.exec(
        select(PersonalTarget).where(
            col(PersonalTarget.patient_id).in_(ids),
            col(PersonalTarget.type_code).in_(codes),
            col(PersonalTarget.active).is_(True),
        )
    ).all()
    for key, row in _pick(rows).items():
        result[key] = _as_target(types[row.type_code], row)
    return result


def _end_active(session: Session, patient_id: int, type_code: str, origin: TargetOrigin) -> None:
    now = utcnow()
    for old in session.exec(
        select(PersonalTarget).where(
            PersonalTarget.patient_id == patient_id,
            PersonalTarget.type_code == type_code,
            PersonalTarget.source == origin,
            col(PersonalTarget.active).is_(True),
        )
    ).all():
        old.active = False
        old.ended_at = now
        session.add(old)


def set_personal_target(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    type_code: str,
    comparator: str,
    low: float | None,
    high: float | None,
    now: datetime | None = None,
) -> PersonalTarget:
    """A professional sets a patient's target; the previous POH target of the type ends."""
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    mtype = get_type(type_code)
    if comparator in ("<", "<="):
        low = None
    elif comparator in (">", ">="):
        high = None
    target = make_target(mtype, comparator, low=low, high=high)  # validates
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="PersonalTarget",
    )
    _end_active(session, patient.id, type_code, TargetOrigin.poh)
    row = PersonalTarget(
        patient_id=patient.id,
        type_code=type_code,
        comparator=target.comparator,
        low=target.low,
        high=target.high,
        unit=target.unit,
        set_by_id=actor.user_id,
        set_at=now or utcnow(),
        source=TargetOrigin.poh,
    )
    session.add(row)
    session.flush()
    return row


def end_personal_target(session: Session, actor: Actor, patient_id: int, *, type_code: str) -> None:
    """Back to the default target: the POH's personal target of the type ends."""
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    get_type(type_code)
    patient = get_patient_for(session, actor, patient_id, write=True, object_type="PersonalTarget")
    _end_active(session, patient.id, type_code, TargetOrigin.poh)
    session.flush()


def set_goal_target(
    session: Session,
    *,
    patient_id: int,
    goal_id: int,
    type_code: str,
    comparator: str,
    low: float | None,
    high: float | None,
    set_by_id: int | None,
    now: datetime | None = None,
) -> PersonalTarget:
    """The care-plan domain calls this (after its own access check) when a goal with a
    measurable target is agreed; a goal's earlier target ends."""
    mtype = get_type(type_code)
    target = make_target(mtype, comparator, low=low, high=high)
    for old in session.exec(
        select(PersonalTarget).where(
            PersonalTarget.goal_id == goal_id, col(PersonalTarget.active).is_(True)
        )
    ).all():
        old.active = False
        old.ended_at = now or utcnow()
        session.add(old)
    row = PersonalTarget(
        patient_id=patient_id,
        type_code=type_code,
        comparator=target.comparator,
        low=target.low,
        high=target.high,
        unit=target.unit,
        set_by_id=set_by_id,
        set_at=now or utcnow(),
        source=TargetOrigin.goal,
        goal_id=goal_id,
    )
    session.add(row)
    session.flush()
    return row


def active_goal_target(session: Session, goal_id: int) -> PersonalTarget | None:
    return session.exec(
        select(PersonalTarget).where(
            PersonalTarget.goal_id == goal_id, col(PersonalTarget.active).is_(True)
        )
    ).first()


def end_goal_target(session: Session, *, goal_id: int, now: datetime | None = None) -> None:
    """The goal stopped, was achieved or lost its target: its personal target ends."""
    for row in session.exec(
        select(PersonalTarget).where(
            PersonalTarget.goal_id == goal_id, col(PersonalTarget.active).is_(True)
        )
    ).all():
        row.active = False
        row.ended_at = now or utcnow()
        session.add(row)
