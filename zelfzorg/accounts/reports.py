"""Aggregated practice figures for care-group staff: counts only, never identities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Practice, User
from zelfzorg.accounts.scope import Actor, care_group_scope
from zelfzorg.patients.population import count_by_practice, practice_on


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
    # The population of the day, by the practice of that day (practice history).
    enrolled = dict(session.exec(count_by_practice(today, practice_ids=scope.practice_ids)).all())
    place = practice_on(today)
    activated = dict(
        session.exec(
            select(place.c.practice_id, func.count(distinct(User.patient_id)))
            .join(User, col(User.patient_id) == place.c.patient_id)
            .where(col(User.activated_at).is_not(None))
            .where(place.c.practice_id.in_(scope.practice_ids))
            .group_by(place.c.practice_id)
        ).all()
    )
    return [PracticeRow(p, enrolled.get(p.id, 0), activated.get(p.id, 0)) for p in practices]
