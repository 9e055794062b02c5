"""Aggregated practice figures for care-group staff: counts only, never identities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Practice, User
from zelfzorg.patients.population import count_by_practice, practice_on


@dataclass(frozen=True)
class PracticeRow:
    practice: Practice
    enrolled: int
    activated: int


def practice_overview(
    session: Session, care_group_id: int | None, today: date | None = None
) -> list[PracticeRow]:
    today = today or date.today()
    practices = session.exec(
        select(Practice).where(Practice.care_group_id == care_group_id).order_by(Practice.name)
    ).all()
    # The population of the day, by the practice of that day (practice history).
    enrolled = dict(session.exec(count_by_practice(today, care_group_id=care_group_id)).all())
    place = practice_on(today)
    activated = dict(
        session.exec(
            select(place.c.practice_id, func.count(distinct(User.patient_id)))
            .join(User, col(User.patient_id) == place.c.patient_id)
            .where(col(User.activated_at).is_not(None))
            .group_by(place.c.practice_id)
        ).all()
    )
    return [PracticeRow(p, enrolled.get(p.id, 0), activated.get(p.id, 0)) for p in practices]
