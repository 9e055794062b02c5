"""Aggregated practice figures for care-group staff: counts only, never identities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, or_
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Practice, User
from zelfzorg.accounts.scope import Actor, care_group_scope
from zelfzorg.patients.models import Enrolment, Patient


@dataclass(frozen=True)
class PracticeRow:
    practice: Practice
    enrolled: int
    activated: int


def practice_overview(
    session: Session, actor: Actor, *, care_group_id: int | None = None, today: date
) -> list[PracticeRow]:
    """Per practice the actor may aggregate over (care_group_scope, audited): enrolled and
    activated patients."""
    scope = care_group_scope(session, actor, care_group_id, object_type="PracticeOverview")
    practices = session.exec(
        select(Practice).where(col(Practice.id).in_(scope.practice_ids)).order_by(Practice.name)
    ).all()
    enrolled = dict(
        session.exec(
            select(Patient.practice_id, func.count(distinct(Patient.id)))
            .join(Enrolment, col(Enrolment.patient_id) == Patient.id)
            .where(col(Enrolment.start_date) <= today)
            .where(or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) > today))
            .where(col(Patient.practice_id).in_(scope.practice_ids))
            .group_by(Patient.practice_id)
        ).all()
    )
    activated = dict(
        session.exec(
            select(Patient.practice_id, func.count(distinct(Patient.id)))
            .join(User, col(User.patient_id) == Patient.id)
            .where(col(User.activated_at).is_not(None))
            .where(col(Patient.practice_id).in_(scope.practice_ids))
            .group_by(Patient.practice_id)
        ).all()
    )
    return [PracticeRow(p, enrolled.get(p.id, 0), activated.get(p.id, 0)) for p in practices]
