"""The one population definition: who counts, for which practice, on a date.

DESIGN.md section 4: the *population* on day d is every patient with at least one care-programme
enrolment active on d (start <= d, and no end or end > d) who on d belongs to a practice of the
care group (or to the practice, for a practice row), by the patient's practice history.
*Multimorbid* means two or more programme enrolments active on d.

Everything here is a SQL building block (no rows loaded), so worklists, lifestyle, assessment,
the care-group home and the contracting indicators count patients the same way, in one query,
on SQLite and PostgreSQL alike. ``is_enrolment_active`` is the Python twin for a loaded row.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import sqlalchemy as sa
from sqlmodel import col, func, select

from zelfzorg.accounts.models import Practice
from zelfzorg.patients.models import Enrolment, PracticePeriod, Programme


def enrolment_active_on(day: date) -> sa.ColumnElement[bool]:
    """SQL: the enrolment row is active on ``day`` (its end date is the first day off)."""
    return sa.and_(
        col(Enrolment.start_date) <= day,
        sa.or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) > day),
    )


def enrolment_active_during(start: date, end: date) -> sa.ColumnElement[bool]:
    """SQL: the enrolment is active on at least one day of [start, end]."""
    return sa.and_(
        col(Enrolment.start_date) <= end,
        sa.or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) > start),
    )


def is_enrolment_active(enrolment: Enrolment, day: date) -> bool:
    """Python twin of :func:`enrolment_active_on` for an enrolment already loaded."""
    return enrolment.start_date <= day and (enrolment.end_date is None or enrolment.end_date > day)


def practice_period_on(day: date) -> sa.ColumnElement[bool]:
    """SQL: the practice period row covers ``day``."""
    return sa.and_(
        col(PracticePeriod.start_date) <= day,
        sa.or_(col(PracticePeriod.end_date).is_(None), col(PracticePeriod.end_date) > day),
    )


def practice_on(day: date) -> sa.Subquery:
    """(patient_id, practice_id) of every patient's practice on ``day``."""
    return (
        select(PracticePeriod.patient_id, PracticePeriod.practice_id)
        .where(practice_period_on(day))
        .subquery("practice_on")
    )


def active_programmes(day: date, programmes: Collection[Programme] | None = None) -> sa.Subquery:
    """(patient_id, programme) for every enrolment active on ``day``, one row per programme."""
    stmt = (
        select(Enrolment.patient_id, Enrolment.programme).where(enrolment_active_on(day)).distinct()
    )
    if programmes:
        stmt = stmt.where(col(Enrolment.programme).in_([str(p) for p in programmes]))
    return stmt.subquery("active_programmes")


def population(
    day: date,
    *,
    care_group_id: int | None = None,
    practice_ids: Collection[int] | None = None,
    programmes: Collection[Programme] | None = None,
    multimorbid: bool = False,
) -> sa.Select:
    """SELECT patient_id, practice_id of the population on ``day``.

    ``care_group_id`` limits to the care group's practices, ``practice_ids`` to those practices
    (an empty collection selects nobody), ``programmes`` to patients enrolled in one of them on
    ``day``; ``multimorbid`` keeps patients with two or more active programme enrolments (over
    all programmes, whatever ``programmes`` says). Columns: ``patient_id``, ``practice_id``.
    """
    place = practice_on(day)
    stmt = select(place.c.patient_id.label("patient_id"), place.c.practice_id.label("practice_id"))
    # Correlated by patient: a practice's population probes its patients' enrolments by index
    # (patient_id) instead of collecting the enrolled patients of every practice first.
    if multimorbid:
        enrolled = (
            select(Enrolment.patient_id)
            .where(enrolment_active_on(day))
            .group_by(Enrolment.patient_id)
            .having(func.count(sa.distinct(Enrolment.programme)) >= 2)
        )
        stmt = stmt.where(place.c.patient_id.in_(enrolled))
    else:
        stmt = stmt.where(
            sa.exists().where(Enrolment.patient_id == place.c.patient_id, enrolment_active_on(day))
        )
    if programmes:
        stmt = stmt.where(
            sa.exists().where(
                Enrolment.patient_id == place.c.patient_id,
                enrolment_active_on(day),
                col(Enrolment.programme).in_([str(p) for p in programmes]),
            )
        )
    if care_group_id is not None:
        stmt = stmt.where(
            place.c.practice_id.in_(
                select(Practice.id).where(Practice.care_group_id == care_group_id)
            )
        )
    if practice_ids is not None:
        stmt = stmt.where(
            place.c.practice_id.in_(list(practice_ids)) if practice_ids else sa.false()
        )
    return stmt


def population_subquery(day: date, **filters) -> sa.Subquery:
    """:func:`population` as a named subquery to join on (``.c.patient_id``, ``.c.practice_id``)."""
    return population(day, **filters).subquery("population")


def count_by_practice(day: date, **filters) -> sa.Select:
    """SELECT practice_id, number of patients of the population on ``day``."""
    pop = population_subquery(day, **filters)
    return select(pop.c.practice_id, func.count(pop.c.patient_id)).group_by(pop.c.practice_id)
