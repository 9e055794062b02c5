"""Worklist: goals due for review, goals the patient proposed or changed (waiting for the
care provider's agreement), enrolled patients without a plan, plans without an agreed goal.

Plans count for the population of today (``patients.population``); reviews and goals waiting
for agreement for every patient of the practice."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import and_, exists, not_
from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.izp.models import CarePlan, Goal
from zelfzorg.worklist import (
    RANKS,
    Reason,
    WorklistItem,
    practice_place,
    practice_population,
    reason_select,
    register_source,
    source_items,
)

DUE_WITHIN_DAYS = 7
RUNNING = ("active", "on-hold")
OPEN = ("proposed", "active", "on-hold")


def izp_reasons(session: Session, practice_ids: list[int], today: date) -> sa.Select:
    place = practice_place(practice_ids, today)
    due = (
        select(
            *reason_select(
                patient_id=Goal.patient_id,
                practice_id=place.c.practice_id,
                kind="review_due",
                # Overdue reviews rank just above those still to come.
                rank=sa.case(
                    (col(Goal.review_date) < today, RANKS["review_due"] - 1),
                    else_=RANKS["review_due"],
                ),
                ref_id=Goal.id,
                due=Goal.review_date,
            )
        )
        .join(place, place.c.patient_id == Goal.patient_id)
        .where(col(Goal.lifecycle).in_(RUNNING))
        .where(col(Goal.review_date) <= today + timedelta(days=DUE_WITHIN_DAYS))
    )
    # The patient proposed the goal or changed it and waits for the care provider's agreement.
    to_agree = (
        select(
            *reason_select(
                patient_id=Goal.patient_id,
                practice_id=place.c.practice_id,
                kind="goal_to_agree",
                rank=RANKS["goal_to_agree"],
                ref_id=Goal.id,
                at=Goal.agreed_by_patient_at,
            )
        )
        .join(place, place.c.patient_id == Goal.patient_id)
        .where(col(Goal.lifecycle).in_(OPEN))
        .where(col(Goal.agreed_by_patient_at).is_not(None))
        .where(col(Goal.agreed_by_professional_at).is_(None))
    )
    # Enrolled today (a patient whose programmes ended is no work any more).
    pop = practice_population(practice_ids, today)
    no_plan = select(
        *reason_select(
            patient_id=pop.c.patient_id,
            practice_id=pop.c.practice_id,
            kind="no_plan",
            rank=RANKS["no_plan"],
        )
    ).where(not_(exists().where(CarePlan.patient_id == pop.c.patient_id)))
    agreed = exists().where(
        and_(
            Goal.patient_id == pop.c.patient_id,
            col(Goal.agreed_by_patient_at).is_not(None),
            col(Goal.agreed_by_professional_at).is_not(None),
            col(Goal.lifecycle).in_(["active", "on-hold", "completed"]),
        )
    )
    no_goals = (
        select(
            *reason_select(
                patient_id=pop.c.patient_id,
                practice_id=pop.c.practice_id,
                kind="no_agreed_goals",
                rank=RANKS["no_agreed_goals"],
            )
        )
        .join(CarePlan, col(CarePlan.patient_id) == pop.c.patient_id)
        .where(not_(agreed))
    )
    return sa.union_all(due, to_agree, no_plan, no_goals)  # type: ignore[return-value]


def describe_izp(session: Session, reasons: Sequence[Reason], today: date) -> list[WorklistItem]:
    """One query, for the goals of the shown page."""
    goal_ids = {r.ref_id for r in reasons if r.ref_id is not None}
    goals = {}
    if goal_ids:
        goals = {
            goal.id: goal
            for goal in session.exec(select(Goal).where(col(Goal.id).in_(goal_ids))).all()
        }
    items = []
    for reason in reasons:
        common = {
            "patient_id": reason.patient_id,
            "patient_name": "",
            "kind": reason.kind,
            "rank": reason.rank,
            "practice_id": reason.practice_id,
        }
        if reason.kind in ("no_plan", "no_agreed_goals"):
            items.append(
                WorklistItem(
                    **common,
                    message=N_("Heeft nog geen zorgplan")
                    if reason.kind == "no_plan"
                    else N_("Zorgplan zonder afgesproken doel"),
                    endpoint="izp.plan",
                    endpoint_args={"patient_id": reason.patient_id},
                )
            )
            continue
        goal = goals[reason.ref_id]
        if reason.kind == "review_due":
            overdue = goal.review_date is not None and goal.review_date < today
            items.append(
                WorklistItem(
                    **common,
                    message=N_('Doel "%(title)s" evalueren (te laat)')
                    if overdue
                    else N_('Doel "%(title)s" evalueren'),
                    params={"title": goal.title},
                    endpoint="izp.review",
                    endpoint_args={"goal_id": goal.id},
                    due=goal.review_date,
                    type_code=goal.target_type,
                )
            )
        else:
            items.append(
                WorklistItem(
                    **common,
                    message=N_(
                        'Patiënt stelt het doel "%(title)s" voor: bespreek het en geef akkoord'
                    )
                    if goal.lifecycle == "proposed"
                    else N_(
                        'Patiënt heeft het doel "%(title)s" aangepast: bekijk het en geef akkoord'
                    ),
                    params={"title": goal.title},
                    endpoint="izp.goal",
                    endpoint_args={"goal_id": goal.id},
                    due=goal.agreed_by_patient_at,
                    type_code=goal.target_type,
                )
            )
    return items


def izp_items(session: Session, practice_ids: Collection[int], today: date) -> list[WorklistItem]:
    """Every care-plan line of the practices (unpaged)."""
    return source_items(session, "izp", practice_ids, today)


register_source(
    "izp",
    izp_reasons,
    describe_izp,
    {
        "goal_to_agree": N_("Doel wacht op uw akkoord"),
        "review_due": N_("Doel evalueren"),
        "no_plan": N_("Geen zorgplan"),
        "no_agreed_goals": N_("Geen afgesproken doel"),
    },
)
