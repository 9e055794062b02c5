"""The night's snapshot of the comparison groups: what the outcome comparison and "patients
like me" read for the comparable patients, instead of working them out on every screen.

**What it holds** (``outcomes.models``), per care group and day d: each programme with an
outcome set, its population on d (``outcome_cohort_member``: patient, sex, birth date) and each
member's latest value of each outcome of the set in the set's window on d
(``outcome_cohort_value``), computed by the same SQL parts as the live comparison
(``services._ranked_parts`` with the whole population as the cohort, nobody left out), and per
cohort of the programme's rule (sex, age band on d) how many members have each value
(``outcome_cohort_count``). The comparison counts a patient's cohort from those counts and
takes the patient's own row off when it lies in that cohort (by the rule's conditions on the
stored sex and birth date), so they are left out exactly as the live statement leaves them
out; and each member's similar goals for "patients like me" (``outcome_cohort_goal``: per
programme, type and direction whether they reached it, by ``likeme.similar_goals``), which a
screen counts by the same conditions with the patient left out. ``outcome_snapshot`` marks a
care group's day as complete (it is written in the same transaction as the rows).

**When it answers.** On day d, for a care group with a snapshot of d; otherwise (the first
hours of a day before the job, a new care group) the screen works the cohort out live. The
patient's own values are always live. So the others' values are those of the night: a reading
or a questionnaire another patient adds during the day counts from the next night on, as does a
change of population (an enrolment, a move to another practice). Nothing about an individual
is shown from it either way: only counts of the comparable patients.

**The job** ``outcome_cohorts`` (daily, before the other nightly jobs; once at a scheduler's
start) writes today's snapshot of each care group that has none yet and removes the older days,
so a rerun on the same day costs one look-up. Erasure removes a patient's rows as it does every
patient-owned table (``patient_record``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import CareGroup
from zelfzorg.models_base import utcnow
from zelfzorg.outcomes.likeme import similar_goals
from zelfzorg.outcomes.models import (
    CohortCount,
    CohortGoal,
    CohortMember,
    CohortSnapshot,
    CohortValue,
)
from zelfzorg.outcomes.services import (
    ANY_SEX,
    NO_BAND,
    _ranked_parts,
    _utc_start,
    months_before,
    of_snapshot,
    years_before,
)
from zelfzorg.outcomes.sets import OutcomeSet, outcome_sets
from zelfzorg.patients.models import Patient
from zelfzorg.patients.population import population

JOB_NAME = "outcome_cohorts"


def taken(session: Session, care_group_id: int, day: date) -> bool:
    """The care group has the snapshot of ``day``."""
    found = session.execute(
        select(CohortSnapshot.day).where(
            CohortSnapshot.care_group_id == care_group_id, CohortSnapshot.day == day
        )
    ).first()
    return found is not None


def _day_columns(outcome_set: OutcomeSet, care_group_id: int, day: date) -> list[sa.ColumnElement]:
    """The first columns of every snapshot row: care group, day, programme."""
    return [
        sa.literal(care_group_id).label("care_group_id"),
        sa.literal(day).label("day"),
        sa.literal(outcome_set.programme.value).label("programme"),
    ]


def _patient_columns() -> list[sa.ColumnElement]:
    """A member row's next columns: the patient's sex and birth date."""
    return [col(Patient.sex).label("sex"), col(Patient.date_of_birth).label("date_of_birth")]


def _members(outcome_set: OutcomeSet, care_group_id: int, day: date) -> sa.Select:
    """The programme's population of the care group on ``day`` with sex and birth date, as the
    member table's columns."""
    pop = population(day, care_group_id=care_group_id, programmes=[outcome_set.programme]).cte(
        f"population_{outcome_set.programme.value}"
    )
    return (
        select(
            *_day_columns(outcome_set, care_group_id, day),
            *_patient_columns(),
            col(Patient.id).label("patient_id"),
        )
        .select_from(pop)
        .join(Patient, col(Patient.id) == pop.c.patient_id)
    )


def _values(outcome_set: OutcomeSet, care_group_id: int, day: date) -> sa.Select:
    """Each member's latest value per outcome in the window, as the value table's columns."""
    since = _utc_start(months_before(day, outcome_set.rule.window_months))
    pop = population(day, care_group_id=care_group_id, programmes=[outcome_set.programme]).cte(
        f"cohort_{outcome_set.programme.value}"
    )
    _, parts = _ranked_parts(
        outcome_set, day, since, patient_id=None, cohort=select(pop.c.patient_id.label("id"))
    )
    ranked = sa.union_all(*parts).subquery("ranked")
    return (
        select(
            *_day_columns(outcome_set, care_group_id, day),
            *_patient_columns(),
            ranked.c.patient_id,
            ranked.c.source,
            ranked.c.reads,
            ranked.c.value,
        )
        .select_from(ranked)
        .join(Patient, col(Patient.id) == ranked.c.patient_id)
        .where(ranked.c.rn == 1, ranked.c.at >= since, ranked.c.value.is_not(None))
    )


_COLUMNS = ["care_group_id", "day", "programme", "sex", "date_of_birth", "patient_id"]
OLDEST = 150  # years: the last age band reaches this far


def band_of(date_of_birth: sa.ColumnElement, day: date, width: int) -> sa.ColumnElement[int]:
    """SQL: the lowest age of the ``width``-year band a birth date is in on ``day``, by the
    same boundaries as ``services.cohort_filters`` (born after ``years_before(day, low +
    width)``: younger than low + width)."""
    return sa.case(
        *((date_of_birth > years_before(day, low + width), low) for low in range(0, OLDEST, width)),
        else_=OLDEST // width * width,
    )


def _counts(outcome_set: OutcomeSet, care_group_id: int, day: date) -> sa.Select:
    """Per cohort of the rule (sex, age band) and outcome, how many members have each value,
    from the value rows just written, as the count table's columns."""
    rule = outcome_set.rule
    value = CohortValue
    keyed = (
        select(
            (col(value.sex) if rule.same_sex else sa.literal(ANY_SEX)).label("sex"),
            (
                band_of(col(value.date_of_birth), day, rule.age_band_years)
                if rule.age_band_years > 0
                else sa.literal(NO_BAND)
            ).label("band"),
            value.source,
            value.reads,
            value.value,
        )
        .where(
            *of_snapshot(value, care_group_id, day, outcome_set),
        )
        .subquery("keyed")
    )
    return select(
        *_day_columns(outcome_set, care_group_id, day),
        keyed.c.sex,
        keyed.c.band,
        keyed.c.source,
        keyed.c.reads,
        keyed.c.value,
        sa.func.count().label("patients"),
    ).group_by(keyed.c.sex, keyed.c.band, keyed.c.source, keyed.c.reads, keyed.c.value)


def take(
    session: Session, care_group_id: int, day: date, *, now: datetime | None = None
) -> tuple[int, int]:
    """Write the care group's snapshot of ``day`` (its older days removed); returns the
    (members, values) written. The caller commits."""
    for model in (CohortGoal, CohortCount, CohortValue, CohortMember, CohortSnapshot):
        session.execute(sa.delete(model).where(col(model.care_group_id) == care_group_id))
    for outcome_set in outcome_sets().values():
        session.execute(
            sa.insert(CohortMember).from_select(_COLUMNS, _members(outcome_set, care_group_id, day))
        )
        session.execute(
            sa.insert(CohortValue).from_select(
                [*_COLUMNS, "source", "reads", "value"],
                _values(outcome_set, care_group_id, day),
            )
        )
        session.execute(
            sa.insert(CohortCount).from_select(
                [
                    "care_group_id", "day", "programme", "sex", "band", "source", "reads",
                    "value", "patients",
                ],
                _counts(outcome_set, care_group_id, day),
            )
        )  # fmt: skip
    member = CohortMember
    cohorts = (
        select(
            member.patient_id,
            member.programme,
            member.care_group_id,
            member.day,
            member.sex,
            member.date_of_birth,
        )
        .where(member.care_group_id == care_group_id, member.day == day)
        .cte("cohorts")
    )
    goals = similar_goals(cohorts, day)
    session.execute(
        sa.insert(CohortGoal).from_select([c.name for c in goals.selected_columns], goals)
    )
    # Counted afterwards: an INSERT ... SELECT's row count is not reported on every driver.
    members, values = (
        session.execute(
            select(sa.func.count())
            .select_from(model)
            .where(col(model.care_group_id) == care_group_id)
        ).scalar_one()
        for model in (CohortMember, CohortValue)
    )
    session.add(
        CohortSnapshot(
            care_group_id=care_group_id,
            day=day,
            member_count=members,
            value_count=values,
            made_at=now or utcnow(),
        )
    )
    session.flush()
    return members, values


def take_missing(session: Session, today: date) -> str:
    """The daily job: today's snapshot of every care group that has none yet."""
    have = set(
        session.execute(select(CohortSnapshot.care_group_id).where(CohortSnapshot.day == today))
        .scalars()
        .all()
    )
    written = []
    for care_group_id in (
        session.execute(select(CareGroup.id).order_by(CareGroup.id)).scalars().all()
    ):
        if care_group_id not in have:
            written.append(take(session, care_group_id, today))
    if not written:
        return "every care group has today's snapshot"
    members = sum(m for m, _v in written)
    values = sum(v for _m, v in written)
    return f"{len(written)} care group(s): {members} members, {values} values"
