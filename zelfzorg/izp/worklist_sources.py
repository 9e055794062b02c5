"""Worklist: goals due for review, enrolled patients without a plan, plans without an agreed
goal. Three queries for the practices, whatever the number of patients. Plans count for the
population of today (``patients.population``); reviews due for every patient of the practice."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import and_, exists, not_
from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.izp.models import CarePlan, Goal
from zelfzorg.patients.models import Patient
from zelfzorg.patients.population import population_subquery, practice_on
from zelfzorg.worklist import RANKS, WorklistItem, register_source

DUE_WITHIN_DAYS = 7


def izp_items(session: Session, practice_ids: Collection[int], today: date) -> list[WorklistItem]:
    items: list[WorklistItem] = []
    place = practice_on(today)
    due = session.exec(
        select(
            Goal.id,
            Goal.title,
            Goal.review_date,
            Patient.id,
            Patient.given_name,
            Patient.family_name,
            place.c.practice_id,
        )
        .join(Patient, col(Patient.id) == Goal.patient_id)
        .join(place, place.c.patient_id == Patient.id)
        .where(place.c.practice_id.in_(list(practice_ids)))
        .where(col(Goal.lifecycle).in_(["active", "on-hold"]))
        .where(col(Goal.review_date) <= today + timedelta(days=DUE_WITHIN_DAYS))
    ).all()
    for goal_id, title, review_date, patient_id, given, family, practice_id in due:
        overdue = review_date < today
        items.append(
            WorklistItem(
                patient_id=patient_id,
                patient_name=f"{given} {family}",
                kind="review_due",
                # Overdue reviews rank just above those still to come.
                rank=RANKS["review_due"] - (1 if overdue else 0),
                message=N_('Doel "%(title)s" evalueren (te laat)')
                if overdue
                else N_('Doel "%(title)s" evalueren'),
                params={"title": title},
                endpoint="izp.review",
                endpoint_args={"goal_id": goal_id},
                due=review_date,
                practice_id=practice_id,
            )
        )
    # Enrolled today (a patient whose programmes ended is no work any more).
    pop = population_subquery(today, practice_ids=practice_ids)
    no_plan = session.exec(
        select(Patient.id, Patient.given_name, Patient.family_name, pop.c.practice_id)
        .join(pop, pop.c.patient_id == Patient.id)
        .where(not_(exists().where(CarePlan.patient_id == Patient.id)))
    ).all()
    for patient_id, given, family, practice_id in no_plan:
        items.append(
            WorklistItem(
                patient_id=patient_id,
                patient_name=f"{given} {family}",
                kind="no_plan",
                rank=RANKS["no_plan"],
                message=N_("Heeft nog geen zorgplan"),
                endpoint="izp.plan",
                endpoint_args={"patient_id": patient_id},
                practice_id=practice_id,
            )
        )
    agreed = exists().where(
        and_(
            Goal.patient_id == Patient.id,
            col(Goal.agreed_by_patient_at).is_not(None),
            col(Goal.agreed_by_professional_at).is_not(None),
            col(Goal.lifecycle).in_(["active", "on-hold", "completed"]),
        )
    )
    no_goals = session.exec(
        select(Patient.id, Patient.given_name, Patient.family_name, pop.c.practice_id)
        .join(pop, pop.c.patient_id == Patient.id)
        .join(CarePlan, col(CarePlan.patient_id) == Patient.id)
        .where(not_(agreed))
    ).all()
    for patient_id, given, family, practice_id in no_goals:
        items.append(
            WorklistItem(
                patient_id=patient_id,
                patient_name=f"{given} {family}",
                kind="no_agreed_goals",
                rank=RANKS["no_agreed_goals"],
                message=N_("Zorgplan zonder afgesproken doel"),
                endpoint="izp.plan",
                endpoint_args={"patient_id": patient_id},
                practice_id=practice_id,
            )
        )
    return items


register_source(
    "izp",
    izp_items,
    {
        "review_due": N_("Doel evalueren"),
        "no_plan": N_("Geen zorgplan"),
        "no_agreed_goals": N_("Geen afgesproken doel"),
    },
)
