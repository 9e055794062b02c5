"""Patients like me (issue 16, item 4): for each of the patient's open goals with a measurable
target, how many comparable patients with a similar goal reached theirs within a year.

**The rule.**

* *comparable patients* are those of the outcome comparison (``services.comparable_patients``):
  the other patients of the care group in the programme's population today, same sex and
  10-year age band, for the programme the goal addresses (the first programme of the goal that
  has an outcome set and that the patient is enrolled in; otherwise the patient's first);
* a *similar goal* has a measurable target of the same measurement type in the same direction
  (lower: ``<`` or ``<=``; higher: ``>`` or ``>=``), was started (created) at least a year
  before today, so it had a whole year, and was agreed (not only proposed);
* it was *reached within a year* when a current measurement of that type met that patient's
  own target on or after the goal's start and at most 365 days after it;
* each comparable patient counts once per (type, direction): reached when any of their similar
  goals was;
* with fewer than ``minimum_group`` (20, the privacy floor) such patients nothing is said;
  otherwise the share, rounded to 5 and kept within 5-95 ("all" or "none" is never said).

**One statement** for all of the patient's goals (``like_me_statement``): the cohorts of the
programmes involved as a union, the similar goals of their patients with an EXISTS per goal,
and per (programme, type, direction) the count of patients and of those who reached it. Days
between two timestamps are computed per database (``days_between``), with the same result.
On a day with the night's snapshot of the care group (``outcomes.snapshot``) the statement
counts the snapshot's goal rows of each cohort instead (``outcome_cohort_goal``, written by
``similar_goals``, the same rule), one key range per (programme, type, direction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.izp.models import Goal
from zelfzorg.outcomes.models import CohortGoal
from zelfzorg.outcomes.services import (
    _utc_start,
    cohort_filters,
    comparable_patients,
    of_snapshot,
    shown_share,
    years_before,
)
from zelfzorg.outcomes.sets import OutcomeSet
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.models import Measurement

YEAR_DAYS = 365
OPEN_LIFECYCLES = ("proposed", "active", "on-hold")
LOWER, HIGHER = "lower", "higher"
TOO_FEW_GOALS = N_(
    "Te weinig vergelijkbare patiënten met een vergelijkbaar doel (minder dan %(minimum)s): "
    "daarom zeggen we hier niets over."
)


class days_between(FunctionElement):
    """``later - earlier`` in days (a float), for two UTC timestamp columns."""

    type = sa.Float()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(days_between)
def _days_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


def direction(comparator: str | None) -> str | None:
    if comparator in ("<", "<="):
        return LOWER
    if comparator in (">", ">="):
        return HIGHER
    return None


@dataclass(frozen=True)
class LikeMe:
    goal: Goal
    outcome_set: OutcomeSet
    direction: str  # lower | higher
    group_size: int  # comparable patients with a similar goal (never shown exactly)
    share: int | None  # rounded share of them who reached it within a year; None = not said
    reason: str | None  # Dutch msgid when nothing is said


def open_measurable_goals(session: Session, patient_id: int) -> list[Goal]:
    return list(
        session.exec(
            select(Goal)
            .where(
                Goal.patient_id == patient_id,
                col(Goal.target_type).is_not(None),
                col(Goal.target_comparator).in_(("<", "<=", ">", ">=")),
                col(Goal.target_value).is_not(None),
                col(Goal.lifecycle).in_(OPEN_LIFECYCLES),
            )
            .order_by(col(Goal.id))
        ).all()
    )


def programme_of(goal: Goal, sets: list[OutcomeSet]) -> OutcomeSet:
    """The outcome set whose comparable patients a goal is compared with (``sets`` not empty,
    in programme order): the first programme of the goal among them, else the first."""
    by_code = {s.programme.value: s for s in sets}
    return next((by_code[p] for p in goal.programmes or [] if p in by_code), sets[0])


def _meets(value: sa.ColumnElement, comparator, target: sa.ColumnElement) -> sa.ColumnElement:
    return sa.or_(
        sa.and_(comparator == "<", value < target),
        sa.and_(comparator == "<=", value <= target),
        sa.and_(comparator == ">", value > target),
        sa.and_(comparator == ">=", value >= target),
    )


def _way() -> sa.ColumnElement[str]:
    return sa.case(
        (col(Goal.target_comparator).in_(("<", "<=")), sa.literal(LOWER)),
        else_=sa.literal(HIGHER),
    )


def similar_goals(
    cohorts: sa.CTE,
    today: date,
    *,
    wanted: Callable[[sa.ColumnElement], sa.ColumnElement[bool]] | None = None,
    leave_out: int | None = None,
) -> sa.Select:
    """SELECT per cohort patient (``cohorts``: patient_id, programme, and any further columns,
    grouped with them) and (type, direction) of their goals started at least a year before
    ``today`` whether they reached it within a year (``reached`` 1 or 0). ``wanted(way)``
    limits the (programme, type, direction); ``leave_out`` the patient to leave out."""
    started_by = _utc_start(years_before(today, 1))
    way = _way()
    reached = (
        select(Measurement.id)
        .where(
            Measurement.patient_id == Goal.patient_id,
            Measurement.type_code == Goal.target_type,
            col(Measurement.superseded_at).is_(None),
            col(Measurement.value).is_not(None),
            col(Measurement.measured_at) >= Goal.created_at,
            days_between(col(Measurement.measured_at), col(Goal.created_at)) <= YEAR_DAYS,
            _meets(col(Measurement.value), col(Goal.target_comparator), col(Goal.target_value)),
        )
        .exists()
    )
    carried = [c for c in cohorts.c if c.name not in ("patient_id", "programme")]
    return (
        select(
            cohorts.c.programme,
            col(Goal.target_type).label("type_code"),
            way.label("direction"),
            col(Goal.patient_id).label("patient_id"),
            *carried,
            sa.func.max(sa.case((reached, 1), else_=0)).label("reached"),
        )
        .select_from(Goal)
        .join(cohorts, cohorts.c.patient_id == Goal.patient_id)
        .where(
            *([Goal.patient_id != leave_out] if leave_out is not None else []),
            col(Goal.target_comparator).in_(("<", "<=", ">", ">=")),
            col(Goal.target_value).is_not(None),
            Goal.lifecycle != "proposed",
            col(Goal.created_at) < started_by,
            *([wanted(way)] if wanted is not None else []),
        )
        .group_by(cohorts.c.programme, Goal.target_type, way, Goal.patient_id, *carried)
    )


def _from_snapshot(
    keys: list[tuple[OutcomeSet, str, str]], patient: Patient, care_group_id: int, today: date
) -> sa.Subquery:
    """The night's goal rows of each key's cohort (the patient left out): one key range each."""
    row = CohortGoal
    parts = [
        select(row.programme, row.type_code, row.direction, row.reached).where(
            *of_snapshot(row, care_group_id, today, s),
            *cohort_filters(s, patient, today, col(row.sex), col(row.date_of_birth)),
            row.type_code == type_code,
            row.direction == way,
            row.patient_id != patient.id,
        )
        for s, type_code, way in keys
    ]
    return sa.union_all(*parts).subquery("per_patient")


def like_me_statement(
    keys: list[tuple[OutcomeSet, str, str]],
    patient: Patient,
    care_group_id: int,
    today: date,
    *,
    snapshot: bool = False,
) -> sa.Select:
    """One SELECT: per (programme, type, direction) in ``keys`` the number of comparable
    patients with a similar goal started at least a year ago, and of those who reached it.
    ``snapshot``: read from the night's snapshot of ``today`` (``outcome_cohort_goal``)."""
    if snapshot:
        per_patient = _from_snapshot(keys, patient, care_group_id, today)
    else:
        sets = {s.programme: s for s, _type, _direction in keys}

        def cohort(programme, s: OutcomeSet) -> sa.Select:
            found = comparable_patients(s, patient, care_group_id, today)
            return found.with_only_columns(
                found.selected_columns.id.label("patient_id"),
                sa.literal(programme.value).label("programme"),
            )

        cohorts = sa.union_all(*(cohort(p, s) for p, s in sets.items())).cte("cohorts")

        def wanted(way: sa.ColumnElement) -> sa.ColumnElement[bool]:
            return sa.or_(
                *(
                    sa.and_(
                        cohorts.c.programme == s.programme.value,
                        Goal.target_type == type_code,
                        way == way_wanted,
                    )
                    for s, type_code, way_wanted in keys
                )
            )

        per_patient = similar_goals(cohorts, today, wanted=wanted, leave_out=patient.id).subquery(
            "per_patient"
        )
    return select(
        per_patient.c.programme,
        per_patient.c.type_code,
        per_patient.c.direction,
        sa.func.count().label("patients"),
        sa.func.sum(per_patient.c.reached).label("reached"),
    ).group_by(per_patient.c.programme, per_patient.c.type_code, per_patient.c.direction)


def patients_like_me(
    session: Session,
    goals: list[Goal],
    sets: list[OutcomeSet],
    patient: Patient,
    care_group_id: int,
    today: date,
    *,
    snapshot: bool = False,
) -> list[LikeMe]:
    """For each goal (open, measurable, of ``patient``) the like-me figure, in one query.
    The caller has loaded the patient through the access layer."""
    if not goals or not sets:
        return []
    chosen = [(goal, programme_of(goal, sets), direction(goal.target_comparator)) for goal in goals]
    keys = sorted(
        {(s, str(goal.target_type), str(way)) for goal, s, way in chosen},
        key=lambda k: (k[0].programme.value, k[1], k[2]),
    )
    counts = {
        (row.programme, row.type_code, row.direction): (int(row.patients), int(row.reached or 0))
        for row in session.execute(
            like_me_statement(keys, patient, care_group_id, today, snapshot=snapshot)
        )
    }
    found = []
    for goal, s, way in chosen:
        size, reached = counts.get((s.programme.value, goal.target_type, way), (0, 0))
        if size < s.rule.minimum_group:
            found.append(LikeMe(goal, s, str(way), size, None, TOO_FEW_GOALS))
        else:
            found.append(LikeMe(goal, s, str(way), size, shown_share(reached, size), None))
    return found
