"""Data for contracting indicators L1-L3 (DESIGN.md section 4), computed in SQL.

L2's numerator is "eligible population offered >= 1 intervention in P": the contracting
domain intersects :func:`offered_patients` with the eligible population
(:func:`eligible_patient_ids`). "Offered in P" follows ``referral_states.reached_offered_in``:
an event to offered or a later state dated in P, or a decline dated in P that follows an offer.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Practice
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.criteria import parse_criteria
from zelfzorg.leefstijl.criteria.sql import compile_criteria, facts_query
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.leefstijl.services import (
    AMSTERDAM,
    MAX_MEASUREMENT_AGE_DAYS,
    SMOKING_CODE,
    active_interventions,
)
from zelfzorg.patients.models import Patient
from zelfzorg.patients.population import population_subquery, practice_on


def l1_counts(session: Session, care_group_id: int) -> tuple[int, int]:
    """(zorgstandaard-conform, all) active interventions included in a care programme."""
    in_programmes = func.json_array_length(col(Intervention.programmes)) > 0
    conform = sa.case((col(Intervention.zorgstandaard_conform).is_(True), 1), else_=0)
    row = session.exec(
        select(func.count(), func.coalesce(func.sum(conform), 0))
        .where(Intervention.care_group_id == care_group_id)
        .where(col(Intervention.active).is_(True))
        .where(in_programmes)
    ).one()
    total, conform_count = row
    return int(conform_count), int(total)


def offered_referrals(start: date, end: date) -> sa.Select:
    """Ids of referrals that reached offered (or later) on a day in [start, end]."""
    event = aliased(ReferralEvent)
    earlier = aliased(ReferralEvent)
    offered_before = (
        sa.exists()
        .where(earlier.referral_id == event.referral_id)
        .where(earlier.id < event.id)
        .where(col(earlier.to_state).in_(rs.OFFERED_OR_LATER))
    )
    return (
        select(event.referral_id)
        .where(event.on_date >= start, event.on_date <= end)
        .where(
            sa.or_(
                col(event.to_state).in_(rs.OFFERED_OR_LATER),
                sa.and_(event.to_state == rs.DECLINED, offered_before),
            )
        )
        .distinct()
    )


def offered_patients(
    start: date,
    end: date,
    *,
    internet_only: bool = False,
    care_group_id: int | None = None,
    practice_id: int | None = None,
) -> sa.Select:
    """Patient ids offered >= 1 intervention in P (L2); ``internet_only`` for L3."""
    stmt = (
        select(Referral.patient_id)
        .where(col(Referral.id).in_(offered_referrals(start, end)))
        .distinct()
    )
    if internet_only:
        stmt = stmt.join(Intervention, col(Intervention.id) == Referral.intervention_id).where(
            col(Intervention.internet_based).is_(True)
        )
    if practice_id is not None or care_group_id is not None:
        # The practice the patient belonged to at the end of P (practice history).
        place = practice_on(end)
        stmt = stmt.join(place, place.c.patient_id == Referral.patient_id)
        if practice_id is not None:
            stmt = stmt.where(place.c.practice_id == practice_id)
        if care_group_id is not None:
            stmt = stmt.join(Practice, col(Practice.id) == place.c.practice_id).where(
                Practice.care_group_id == care_group_id
            )
    return stmt


def l2_l3_numerators(
    session: Session, eligible: sa.Select | list[int], start: date, end: date
) -> tuple[int, int]:
    """(L2 numerator, L3 numerator) among the ``eligible`` patient ids."""

    def count(internet_only: bool) -> int:
        offered = offered_patients(start, end, internet_only=internet_only).subquery()
        return session.exec(
            select(func.count()).select_from(offered).where(offered.c.patient_id.in_(eligible))
        ).one()

    return count(False), count(True)


def eligible_patient_ids(
    session: Session, care_group_id: int, reference_date: date, *, practice_id: int | None = None
) -> set[int]:
    """Population (active enrolment on the reference date) eligible for >= 1 active catalogue
    intervention of the care group: L2's denominator, in one SQL query.

    The criteria compile to SQL (``criteria_sql``) with the screens' three-valued meaning:
    a patient whose data leave the outcome unknown is not counted.
    """
    stmt = eligible_patients(session, care_group_id, reference_date, practice_id=practice_id)
    return set(session.execute(stmt).scalars())


def eligible_patients(
    session: Session, care_group_id: int, reference_date: date, *, practice_id: int | None = None
) -> sa.Select:
    """``SELECT patient.id`` of L2's denominator (see :func:`eligible_patient_ids`).

    Read from the maintained eligibility table (``leefstijl.eligibility``) for the patients it
    covers on the reference date; the others (a past reference date, a row outside its
    window) are evaluated live with the criteria compiled to SQL."""
    from zelfzorg.leefstijl import eligibility
    from zelfzorg.leefstijl.models import Eligibility

    interventions = active_interventions(session, care_group_id)
    # The population of the reference date, by the practice of that date.
    ids = select(
        population_subquery(
            reference_date,
            care_group_id=care_group_id,
            practice_ids=None if practice_id is None else [practice_id],
        ).c.patient_id
    )
    if not interventions:
        return ids.where(sa.false())
    intervention_ids = [i.id for i in interventions]
    live = eligibility.uncovered_patients(session, ids, intervention_ids, reference_date)
    stored = (
        select(col(Eligibility.patient_id).label("id"))
        .where(col(Eligibility.patient_id).in_(ids))
        .where(col(Eligibility.intervention_id).in_(intervention_ids))
        .where(Eligibility.outcome == eligibility.ELIGIBLE, eligibility.valid_on(reference_date))
        .distinct()
    )
    if not live:
        return stored
    trees = [parse_criteria(i.criteria) for i in interventions]
    stmt, facts = facts_query(
        trees,
        select(Patient.id).where(col(Patient.id).in_(live)),
        reference_date,
        zone=AMSTERDAM,
        max_age_days=MAX_MEASUREMENT_AGE_DAYS,
        smoking_code=SMOKING_CODE,
    )
    evaluated = stmt.where(sa.or_(sa.false(), *(compile_criteria(t, facts)[0] for t in trees)))
    return sa.union(stored.where(col(Eligibility.patient_id).not_in(live)), evaluated)
