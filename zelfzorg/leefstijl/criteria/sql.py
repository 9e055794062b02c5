"""Inclusion criteria compiled to SQL, for population counts (indicator L2's denominator).

Each criterion becomes two SQL conditions on one row per patient: *met* and *not met*; when
neither holds the outcome is unknown, exactly as in ``criteria.evaluate`` (Kleene logic:
AND is met when all items are met and not met when one is; NOT swaps the two). Only *met*
counts as eligible, so missing or stale data never makes a patient eligible.

The facts are the ones ``services.load_facts`` reads for the screens, as of a reference date:
active enrolments, the latest current measurement per code (stale after
``MAX_MEASUREMENT_AGE_DAYS``), the latest smoking status, the latest scored activation level,
age and sex. Tests check that both give the same patients on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import col

from zelfzorg.assessment.models import AssessmentResponse
from zelfzorg.assessment.services import latest_activation_id
from zelfzorg.leefstijl.criteria import (
    OPERATORS,
    SMOKING_STATUSES,
    ActivationLevelIn,
    AgeBetween,
    AllOf,
    AnyOf,
    Criterion,
    MeasurementCompare,
    Not,
    ProgrammeIn,
    Smoking,
    walk,
)
from zelfzorg.patients.models import Enrolment, Patient
from zelfzorg.patients.population import enrolment_active_on
from zelfzorg.telemonitoring.models import (
    Measurement,
    MeasurementLatest,
    current_reading,
    kept_or_earlier,
)

ACTIVATION_LEVELS = (1, 2, 3, 4)


def local_midnight(day: date, zone) -> datetime:
    """The instant a local calendar day starts (what ``measured_at`` is compared with)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def last_birth_date(reference: date, years: int) -> date:
    """The latest date of birth with ``Patient.age_on(reference) >= years``."""
    year = reference.year - years
    try:
        return reference.replace(year=year)
    except ValueError:  # 29 February in a year without one: 28 February is the last
        return date(year, 2, 28)


@dataclass(frozen=True)
class LatestColumns:
    value: sa.ColumnElement
    measured_at: sa.ColumnElement
    value_code: sa.ColumnElement


@dataclass(frozen=True)
class LatestRow:
    """A patient's latest current row of one code before a moment, as the compiled criteria
    read it (``row.c.value``, ``row.c.measured_at``, ``row.c.value_code``)."""

    c: LatestColumns


@dataclass(frozen=True)
class Facts:
    """The SQL columns the compiled criteria read; built by :func:`facts_query`."""

    reference_date: date
    fresh_from: datetime  # measurements before this instant are too old
    measurements: dict[str, LatestRow]  # code -> latest row (value, measured_at)
    smoking: LatestRow  # latest smoking status (value_code)
    activation: sa.Alias  # latest scored activation assessment (level)


def _latest_measurement(
    stmt: sa.Select, code: str, before: datetime
) -> tuple[sa.Select, LatestRow]:
    """``stmt`` joined to the patient's latest current ``code`` row before ``before``.

    Read from ``measurement_latest`` (the newest current reading of all, kept by triggers;
    outer-joined by primary key, a hash join on PostgreSQL): when that is before ``before``
    it is the answer. Otherwise (a reference date before the patient's newest reading) each
    column comes from a correlated ``ORDER BY measured_at DESC LIMIT 1`` that seeks the
    (patient_id, type_code, measured_at) index, for those patients only (``kept_or_earlier``;
    a join on such an id made PostgreSQL hash all of ``measurement``). A row with
    neither a value nor a code is no reading (``current_reading``), here as in
    ``services.load_facts``."""
    kept = sa.alias(MeasurementLatest.__table__, name=f"kept_{code}")
    candidate = sa.alias(Measurement.__table__, name=f"candidate_{code}")
    stmt = stmt.outerjoin(kept, sa.and_(kept.c.patient_id == Patient.id, kept.c.type_code == code))

    def column(name: str) -> sa.ColumnElement:
        earlier = (
            sa.select(candidate.c[name])
            .where(
                candidate.c.patient_id == Patient.id,
                candidate.c.type_code == code,
                current_reading(candidate),
                candidate.c.measured_at < before,
            )
            .order_by(candidate.c.measured_at.desc(), candidate.c.id.desc())
            .limit(1)
            .correlate(Patient)
            .scalar_subquery()
        )
        return kept_or_earlier(kept.c.measured_at, kept.c[name], before, earlier)

    return stmt, LatestRow(
        LatestColumns(column("value"), column("measured_at"), column("value_code"))
    )


def facts_query(
    trees: Iterable[Criterion],
    patient_ids: sa.Select,
    reference_date: date,
    *,
    zone,
    max_age_days: int,
    smoking_code: str,
) -> tuple[sa.Select, Facts]:
    """``SELECT patient.id`` for ``patient_ids`` joined to the facts the ``trees`` read."""
    trees = list(trees)
    codes = sorted({n.code for t in trees for n in walk(t) if isinstance(n, MeasurementCompare)})
    end = local_midnight(reference_date + timedelta(days=1), zone)
    stmt = sa.select(col(Patient.id)).select_from(Patient).where(col(Patient.id).in_(patient_ids))
    per_code: dict[str, LatestRow] = {}
    for code in [*codes, smoking_code]:
        stmt, per_code[code] = _latest_measurement(stmt, code, end)
    activation = sa.alias(AssessmentResponse.__table__, name="latest_activation")
    stmt = stmt.outerjoin(
        activation,
        activation.c.id == latest_activation_id(Patient.id, before=end).correlate(Patient),
    )
    fresh_from = local_midnight(reference_date - timedelta(days=max_age_days), zone)
    smoking = per_code.pop(smoking_code)
    return stmt, Facts(reference_date, fresh_from, per_code, smoking, activation)


def _both(condition: sa.ColumnElement[bool], known: sa.ColumnElement[bool]):
    return sa.and_(known, condition), sa.and_(known, sa.not_(condition))


def compile_criteria(node: Criterion, facts: Facts):
    """``(met, not_met)`` SQL conditions of a criterion; unknown is neither."""
    match node:
        case AllOf(items) | AnyOf(items):
            parts = [compile_criteria(item, facts) for item in items]
            mets, not_mets = [m for m, _n in parts], [n for _m, n in parts]
            if isinstance(node, AllOf):
                return sa.and_(*mets), sa.or_(*not_mets)
            return sa.or_(*mets), sa.and_(*not_mets)
        case Not(item):
            met, not_met = compile_criteria(item, facts)
            return not_met, met
        case ProgrammeIn(programmes):
            day = facts.reference_date
            enrolled = (
                sa.exists()
                .where(Enrolment.patient_id == Patient.id)
                .where(col(Enrolment.programme).in_(list(programmes)))
                .where(enrolment_active_on(day))
            )
            return enrolled, sa.not_(enrolled)
        case MeasurementCompare():
            return _compile_measurement(node, facts)
        case Smoking(status):
            known = facts.smoking.c.value_code
            others = [s for s in SMOKING_STATUSES if s != status]
            return known == status, known.in_(others)
        case AgeBetween(low, high):
            born = col(Patient.date_of_birth)
            conditions = []
            if low is not None:
                conditions.append(born <= last_birth_date(facts.reference_date, low))
            if high is not None:
                conditions.append(born > last_birth_date(facts.reference_date, high + 1))
            return _both(sa.and_(*conditions), sa.true())
        case ActivationLevelIn(levels):
            level = facts.activation.c.level
            others = [v for v in ACTIVATION_LEVELS if v not in levels]
            return level.in_(list(levels)), level.in_(others)
    raise TypeError(f"not a criterion: {node!r}")


def _compile_measurement(node: MeasurementCompare, facts: Facts):
    row = facts.measurements[node.code]
    known = sa.and_(row.c.value.is_not(None), row.c.measured_at >= facts.fresh_from)
    compare = OPERATORS[node.op]
    if node.value is not None:
        return _both(compare(row.c.value, node.value), known)
    thresholds = node.thresholds()
    results = {sex: compare(row.c.value, limit) for sex, limit in thresholds.items()}
    sex = col(Patient.sex)
    sex_unknown = sex.not_in(list(thresholds))
    met = sa.or_(
        *(sa.and_(sex == s, r) for s, r in results.items()),
        sa.and_(sex_unknown, *results.values()),
    )
    not_met = sa.or_(
        *(sa.and_(sex == s, sa.not_(r)) for s, r in results.items()),
        sa.and_(sex_unknown, *(sa.not_(r) for r in results.values())),
    )
    return sa.and_(known, met), sa.and_(known, not_met)
