"""Worklist: patients whose activation assessment is due (or due within two weeks)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Practice
from zelfzorg.assessment.models import AssessmentSetting
from zelfzorg.assessment.services import (
    AMSTERDAM,
    add_months,
    due_months,
    in_care_since,
    last_activation_completed,
    next_due,
)
from zelfzorg.assessment.versions import DEFAULT_DUE_MONTHS
from zelfzorg.errors import N_
from zelfzorg.patients.models import Patient
from zelfzorg.worklist import (
    RANKS,
    Reason,
    WorklistItem,
    practice_population,
    read_once,
    reason_select,
    register_source,
    source_items,
)

KIND = "assessment_due"
HORIZON_DAYS = 14  # show upcoming ones, so the POH can plan them into a consultation


def _completed_before(limit: date, months: int) -> datetime:
    """A completion before this moment makes the next one due on or before ``limit``."""
    day = add_months(limit, -months)
    while add_months(day + timedelta(days=1), months) <= limit:  # short months clamp
        day += timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time.min, AMSTERDAM)


def assessment_reasons(session: Session, practice_ids: list[int], today: date) -> sa.Select:
    """Reads the practices' intervals (one small query), then one SELECT: never assessed, or
    last assessed long enough ago to be due within the horizon."""
    limit = today + timedelta(days=HORIZON_DAYS)
    months = read_once(
        ("assessment_due_months", tuple(practice_ids)),
        lambda: due_months(session, practice_ids),
    )
    pop = practice_population(practice_ids, today)
    in_care = in_care_since(today, select(pop.c.patient_id))
    last = last_activation_completed(patient_ids=select(pop.c.patient_id))
    due_by_practice = sa.or_(
        *[
            sa.and_(
                pop.c.practice_id == practice,
                last.c.last < _completed_before(limit, months.get(practice, DEFAULT_DUE_MONTHS)),
            )
            for practice in practice_ids
        ]
    )
    return (
        select(
            *reason_select(
                patient_id=pop.c.patient_id,
                practice_id=pop.c.practice_id,
                kind=KIND,
                rank=RANKS[KIND],
                due=in_care.c.since,
                at=last.c.last,
            )
        )
        .join(in_care, in_care.c.patient_id == pop.c.patient_id)
        .outerjoin(last, last.c.patient_id == pop.c.patient_id)
        .where(sa.or_(last.c.last.is_(None), due_by_practice))
    )


def describe_assessments(
    session: Session, reasons: Sequence[Reason], today: date
) -> list[WorklistItem]:
    """One query: when each shown patient joined and their care group's interval."""
    found = {r.patient_id: r for r in reasons}
    rows = session.execute(
        select(Patient.id, Patient.created_at, AssessmentSetting.due_interval_months)
        .join(Practice, col(Practice.id) == Patient.practice_id)
        .outerjoin(
            AssessmentSetting, col(AssessmentSetting.care_group_id) == Practice.care_group_id
        )
        .where(col(Patient.id).in_(list(found)))
    ).all()
    items = []
    for patient_id, registered, months in rows:
        reason = found[patient_id]
        due = next_due(
            since=reason.due,  # type: ignore[arg-type]
            last_completed=reason.at,
            months=months or DEFAULT_DUE_MONTHS,
            registered=registered,
            today=today,
        )
        items.append(
            WorklistItem(
                patient_id=patient_id,
                patient_name="",
                kind=KIND,
                rank=RANKS[KIND],
                message=(
                    N_("Vragenlijst zelfmanagement is aan de beurt.")
                    if due <= today
                    else N_("Vragenlijst zelfmanagement is binnenkort aan de beurt.")
                ),
                endpoint="assessment.patient_overview",
                endpoint_args={"patient_id": patient_id},
                due=due,
                practice_id=reason.practice_id,
            )
        )
    return items


def assessment_due(
    session: Session, practice_ids: Collection[int], today: date
) -> list[WorklistItem]:
    """Every due assessment line of the practices (unpaged)."""
    return source_items(session, "assessment", practice_ids, today)


register_source(
    "assessment",
    assessment_reasons,
    describe_assessments,
    {KIND: N_("Vragenlijst zelfmanagement")},
)
