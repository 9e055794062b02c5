"""The outcome comparison: a patient's latest values next to comparable patients, in SQL.

Services take ``session, actor`` and keyword values, never import Flask. The patient is loaded
through ``get_patient_for`` (scope check and audit); the comparison group is counted through the
one population definition (``zelfzorg.patients.population``).

**The rule.** Per outcome of each programme the patient is enrolled in today:

* the patient's *latest value* is their newest current measurement (or scored questionnaire) of
  the outcome, if taken in the last ``window_months`` (12); the *previous value* is the one
  before it, however old;
* the *comparable patients* are the other patients of the same care group in the programme's
  population today, of the same sex and in the same 10-year age band (0-9, 10-19, ...; the
  outcome set can switch either off), with a latest value of their own in the window;
* with fewer than ``minimum_group`` (20, never lower) comparable patients nothing is compared;
* the *percentile* is the share of comparable patients whose value is worse than the patient's,
  plus half of those with the same value (ties count half), so the median patient sits at 50;
  "worse" is higher for a lower-is-better outcome;
* the *label*: better than the median above 50 + ``as_band`` (60), worse below 50 - ``as_band``
  (40), otherwise "about the same as" the median.

Nothing about another individual is shown: no group value (median, minimum, maximum), only the
patient's own values, the percentile rounded to a multiple of 5 and "at least 20" for the group.

One SQL statement per programme computes every outcome at once: ``ROW_NUMBER()`` over the
measurements and questionnaire scores of the cohort (per patient and outcome) picks the latest
and previous values, and conditional counts per outcome give worse / equal / better, on SQLite
and PostgreSQL alike (integer counts, so both give the same numbers). On a day with the
night's snapshot of the care group (``outcomes.snapshot``) the comparable patients' values are
read from it (one key range) and only the patient's own rows are ranked live.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.scope import Actor, care_group_of_practice, get_patient_for
from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus
from zelfzorg.errors import N_, Forbidden
from zelfzorg.outcomes.models import CohortCount, CohortValue
from zelfzorg.outcomes.sets import ComparisonRule, Outcome, OutcomeSet, outcome_sets
from zelfzorg.patients.models import Enrolment, Patient, Programme
from zelfzorg.patients.population import enrolment_active_on, population_subquery
from zelfzorg.telemonitoring.models import Measurement, MeasurementLatest
from zelfzorg.telemonitoring.types import load_types

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BETTER, AS, WORSE = "better", "as", "worse"
PERCENTILE_STEP = 5  # shown percentiles are rounded to this step (privacy)
NO_BAND = -1  # the snapshot's counts of a rule that does not compare by age
ANY_SEX = ""  # the snapshot's counts of a rule that does not compare by sex


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover - day 28 exists in every month


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time.min, AMSTERDAM).astimezone(UTC)


def age_band(patient: Patient, today: date, width: int) -> tuple[int, int] | None:
    """(lowest, highest + 1) age of the patient's band, or None when age does not count."""
    if width <= 0:
        return None
    low = patient.age_on(today) // width * width
    return low, low + width


def percentile(worse: int, equal: int, total: int) -> float:
    """Share (0-100) of the group doing worse, ties counting half: the median sits at 50."""
    return (worse + equal / 2) / total * 100


def label_for(value: float, as_band: int) -> str:
    if value > 50 + as_band:
        return BETTER
    if value < 50 - as_band:
        return WORSE
    return AS


def shown_percentile(value: float) -> int:
    """Rounded half up to a multiple of PERCENTILE_STEP, kept within 0-100."""
    return min(100, max(0, int((value + PERCENTILE_STEP / 2) // PERCENTILE_STEP * PERCENTILE_STEP)))


@dataclass(frozen=True)
class Change:
    previous: float
    previous_at: datetime
    difference: float
    direction: str  # up | down | same
    judgement: str  # better | worse | same
    previous_code: str | None = None  # coded outcomes: the previous state


@dataclass(frozen=True)
class OutcomeResult:
    outcome: Outcome
    value: float | None  # the patient's latest value in the window
    measured_at: datetime | None
    stale_at: datetime | None  # the latest value when it is older than the window
    change: Change | None
    group_size: int  # comparable patients with a recent value (never shown exactly)
    percentile: int | None  # rounded; None = no comparison
    label: str | None  # better | as | worse
    reason: str | None  # Dutch msgid when there is no comparison
    code: str | None = None  # coded outcomes: the patient's state (an option code)
    share_good: int | None = None  # coded: rounded share of comparable patients in `good`

    @property
    def compared(self) -> bool:
        return self.percentile is not None


@dataclass(frozen=True)
class ProgrammeOutcomes:
    outcome_set: OutcomeSet
    results: list[OutcomeResult]
    age_band: tuple[int, int] | None
    same_sex: bool

    @property
    def rule(self) -> ComparisonRule:
        return self.outcome_set.rule


@dataclass(frozen=True)
class Dashboard:
    patient: Patient
    programmes: list[ProgrammeOutcomes]
    like_me: list = field(default_factory=list)  # likeme.LikeMe per open measurable goal


NO_RECENT = N_("Er is geen waarde van de afgelopen %(months)s maanden.")
NO_VALUE = N_("Er is nog geen waarde.")
NO_TREND = N_(
    "Er is geen meting van de afgelopen %(days)s dagen en van de %(days)s dagen daarvoor: "
    "daarom is er geen verandering."
)
NOT_A_NUMBER = N_(
    "Dit is geen getal maar een toestand: daarom geen percentiel. U ziet wel hoeveel "
    "vergelijkbare patiënten in de betere toestand zijn."
)
TOO_FEW = N_(
    "Te weinig vergelijkbare patiënten (minder dan %(minimum)s) met een recente waarde: "
    "daarom vergelijken we niet."
)


def _key(source: str, reads: str) -> tuple[str, str]:
    return source, reads


def outcome_key(outcome: Outcome) -> tuple[str, str]:
    """The (source, reads) of an outcome's rows in the comparison statement: coded and trend
    rows carry the outcome's own code (they are computed per outcome)."""
    if outcome.is_coded or outcome.is_trend:
        return outcome.source, outcome.code
    return outcome.source, outcome.reads


def shown_share(good: int, total: int) -> int:
    """The share (0-100) of ``good`` in ``total``, rounded to PERCENTILE_STEP and kept within
    5-95: "all" or "none" of the comparable patients is never said (privacy)."""
    step = PERCENTILE_STEP
    return min(100 - step, max(step, shown_percentile(good / total * 100)))


def cohort_filters(
    outcome_set: OutcomeSet, patient: Patient, today: date, sex, date_of_birth
) -> list[sa.ColumnElement[bool]]:
    """The rule's conditions on a comparable patient's ``sex`` and ``date_of_birth`` columns
    (the patient table's, or the night's snapshot's): same sex, same age band."""
    rule = outcome_set.rule
    conditions: list[sa.ColumnElement[bool]] = []
    if rule.same_sex:
        conditions.append(sex == str(patient.sex))
    band = age_band(patient, today, rule.age_band_years)
    if band is not None:
        low, high = band
        conditions += [
            date_of_birth <= years_before(today, low),
            date_of_birth > years_before(today, high),
        ]
    return conditions


def comparable_patients(
    outcome_set: OutcomeSet, patient: Patient, care_group_id: int, today: date
) -> sa.Select:
    """SELECT id of the patients comparable with ``patient`` (the patient included): the
    programme's population of the care group today, same sex and age band by the rule."""
    pop = population_subquery(
        today, care_group_id=care_group_id, programmes=[outcome_set.programme]
    )
    return (
        select(col(Patient.id).label("id"))
        .join(pop, pop.c.patient_id == Patient.id)
        .where(*cohort_filters(outcome_set, patient, today, Patient.sex, Patient.date_of_birth))
    )


def of_snapshot(
    model, care_group_id: int, day: date, outcome_set: OutcomeSet
) -> list[sa.ColumnElement[bool]]:
    """The rows of one programme in a care group's snapshot of ``day`` (any snapshot table)."""
    return [
        model.care_group_id == care_group_id,
        model.day == day,
        model.programme == outcome_set.programme.value,
    ]


def snapshot_others(
    outcome_set: OutcomeSet, patient: Patient, care_group_id: int, today: date
) -> sa.Select:
    """SELECT source, reads, value, weight of the comparable patients from the night's snapshot
    of today: the counts of the patient's cohort (weight: how many have that value), and the
    patient's own row of the snapshot with weight -1 when it lies in that cohort, so they are
    left out as the live statement leaves them out. A few hundred rows instead of one per
    comparable patient."""
    rule = outcome_set.rule
    band = age_band(patient, today, rule.age_band_years)
    count, value = CohortCount, CohortValue
    counts = select(
        col(count.source).label("source"),
        col(count.reads).label("reads"),
        col(count.value).label("value"),
        col(count.patients).label("weight"),
    ).where(
        *of_snapshot(count, care_group_id, today, outcome_set),
        count.sex == (str(patient.sex) if rule.same_sex else ANY_SEX),
        count.band == (band[0] if band is not None else NO_BAND),
    )
    own = select(
        col(value.source).label("source"),
        col(value.reads).label("reads"),
        col(value.value).label("value"),
        sa.literal(-1).label("weight"),
    ).where(
        value.patient_id == patient.id,
        *of_snapshot(value, care_group_id, today, outcome_set),
        *cohort_filters(outcome_set, patient, today, col(value.sex), col(value.date_of_birth)),
    )
    return sa.union_all(counts, own)


def _trend_bounds(today: date, days: int) -> tuple[datetime, datetime]:
    """(start of the last ``days`` days, start of the ``days`` before them), in UTC."""
    return _utc_start(today - timedelta(days=days)), _utc_start(today - timedelta(days=2 * days))


def _no_code() -> sa.ColumnElement:
    return sa.cast(sa.null(), sa.String).label("code")


def _others_latest(
    cohort: sa.Select, measured: list[str], since: datetime, leave_out: int | None
) -> sa.Select:
    """The comparable patients' latest plain measurement of each type, when it is in the window
    (rn 1), read from ``measurement_latest`` (each patient's newest current reading per type,
    kept by triggers): one row per patient and type instead of a step down the measurement
    index. The same rows: the newest current reading in the window is the newest current
    reading overall when that is in the window, and there is none when it is not."""
    others = cohort.subquery("others_cohort")
    latest = MeasurementLatest.__table__
    return (
        select(
            latest.c.patient_id.label("patient_id"),
            sa.literal("measurement").label("source"),
            latest.c.type_code.label("reads"),
            latest.c.value.label("value"),
            _no_code(),
            latest.c.measured_at.label("at"),
            sa.literal(1).label("rn"),
        )
        .select_from(others)
        .join(latest, latest.c.patient_id == others.c.id)
        .where(
            latest.c.type_code.in_(measured),
            latest.c.value.is_not(None),
            latest.c.measured_at >= since,
            *([others.c.id != leave_out] if leave_out is not None else []),
        )
    )


def _measurement_columns(rn: sa.ColumnElement) -> list[sa.ColumnElement]:
    """A plain measurement part's union columns (patient_id, source, reads, value, code, at,
    rn) with ``rn`` as its rank."""
    return [
        col(Measurement.patient_id).label("patient_id"),
        sa.literal("measurement").label("source"),
        col(Measurement.type_code).label("reads"),
        col(Measurement.value).label("value"),
        _no_code(),
        col(Measurement.measured_at).label("at"),
        rn.label("rn"),
    ]


def _ranked_parts(
    outcome_set: OutcomeSet,
    today: date,
    since: datetime,
    *,
    patient_id: int | None,
    cohort: sa.Select | None,
) -> tuple[list[sa.Select], list[sa.Select]]:
    """The rows of every outcome, ranked newest first per patient (``rn``), as union parts with
    the columns patient_id, source, reads, value, code, at, rn: the patient's own parts and the
    comparable patients' parts apart, so the patient's few rows are never looked for among the
    others' thousands. Without ``patient_id`` there are no own parts and nobody is left out of
    ``cohort`` (the night's snapshot of a whole population); without ``cohort`` no others'.

    Plain measurements and questionnaires: the patient's own rows (any age: the previous value
    may be old) and the comparable patients' rows in the window only (their latest in the window
    is their latest overall when that is recent, and nothing when it is not): two index-friendly
    parts per source, so the window function never ranks years of other patients' readings.
    A coded outcome reads 1 for a state in ``good``, else 0 (``code`` keeps the state); a trend
    is one row per patient (rn 1): the newest value of the last ``days`` days minus the newest of
    the ``days`` before, so it has no previous value.
    """
    measured = sorted({o.reads for o in outcome_set.outcomes if o.source == "measurement"})
    asked = sorted({o.reads for o in outcome_set.outcomes if o.source == "questionnaire"})
    whos: list[tuple[int, Callable[[sa.ColumnElement], sa.ColumnElement[bool]]]] = []
    if patient_id is not None:
        whos.append((0, lambda c: c == patient_id))
    if cohort is not None:
        whos.append(
            (
                1,
                (lambda c: c.in_(cohort))
                if patient_id is None
                else (lambda c: sa.and_(c.in_(cohort), c != patient_id)),
            )
        )
    at = col(Measurement.measured_at)
    newest_measurement = (at.desc(), col(Measurement.id).desc())
    own: list[sa.Select] = []
    others: list[sa.Select] = []
    if measured and cohort is not None:
        others.append(_others_latest(cohort, measured, since, patient_id))
    for index, who in whos:
        parts = others if index else own
        if measured and not index:
            parts.append(
                select(
                    *_measurement_columns(
                        func.row_number().over(
                            partition_by=(Measurement.patient_id, Measurement.type_code),
                            order_by=newest_measurement,
                        )
                    )
                ).where(
                    who(col(Measurement.patient_id)),
                    col(Measurement.type_code).in_(measured),
                    col(Measurement.superseded_at).is_(None),
                    col(Measurement.value).is_not(None),
                    *([at >= since] if index else []),
                )
            )
        for outcome in (o for o in outcome_set.outcomes if o.is_coded):
            known = [option.code for option in load_types()[outcome.reads].options]
            state = col(Measurement.value_code)
            parts.append(
                select(
                    col(Measurement.patient_id).label("patient_id"),
                    sa.literal("coded").label("source"),
                    sa.literal(outcome.code).label("reads"),
                    sa.cast(sa.case((state.in_(outcome.good), 1), else_=0), sa.Float).label(
                        "value"
                    ),
                    state.label("code"),
                    at.label("at"),
                    func.row_number()
                    .over(partition_by=Measurement.patient_id, order_by=newest_measurement)
                    .label("rn"),
                ).where(
                    who(col(Measurement.patient_id)),
                    Measurement.type_code == outcome.reads,
                    col(Measurement.superseded_at).is_(None),
                    state.in_(known),
                    *([at >= since] if index else []),
                )
            )
        if asked:
            done = col(AssessmentResponse.completed_at)
            parts.append(
                select(
                    col(AssessmentResponse.patient_id).label("patient_id"),
                    sa.literal("questionnaire").label("source"),
                    col(AssessmentResponse.instrument_code).label("reads"),
                    col(AssessmentResponse.score).label("value"),
                    _no_code(),
                    done.label("at"),
                    func.row_number()
                    .over(
                        partition_by=(
                            AssessmentResponse.patient_id,
                            AssessmentResponse.instrument_code,
                        ),
                        order_by=(done.desc(), col(AssessmentResponse.id).desc()),
                    )
                    .label("rn"),
                ).where(
                    who(col(AssessmentResponse.patient_id)),
                    col(AssessmentResponse.instrument_code).in_(asked),
                    AssessmentResponse.status == ResponseStatus.completed,
                    AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
                    col(AssessmentResponse.score).is_not(None),
                    done >= since if index else done.is_not(None),
                )
            )
    for (index, who), outcome in itertools.product(
        whos, (o for o in outcome_set.outcomes if o.is_trend)
    ):
        recent_from, earlier_from = _trend_bounds(today, outcome.days)
        whose = "others_" if index else ""

        def newest(
            low: datetime, high: datetime | None, name: str, reads: str = outcome.reads, who=who
        ) -> sa.Subquery:
            return (
                select(
                    col(Measurement.patient_id).label("patient_id"),
                    col(Measurement.value).label("value"),
                    at.label("at"),
                    func.row_number()
                    .over(partition_by=Measurement.patient_id, order_by=newest_measurement)
                    .label("rn"),
                )
                .where(
                    who(col(Measurement.patient_id)),
                    Measurement.type_code == reads,
                    col(Measurement.superseded_at).is_(None),
                    col(Measurement.value).is_not(None),
                    at >= low,
                    *([at < high] if high is not None else []),
                )
                .subquery(name)
            )

        now = newest(recent_from, None, f"{whose}trend_now_{outcome.code}")
        before = newest(earlier_from, recent_from, f"{whose}trend_before_{outcome.code}")
        parts = others if index else own
        parts.append(
            select(
                now.c.patient_id,
                sa.literal("trend").label("source"),
                sa.literal(outcome.code).label("reads"),
                (now.c.value - before.c.value).label("value"),
                _no_code(),
                now.c.at,
                now.c.rn,
            )
            .select_from(now)
            .join(before, before.c.patient_id == now.c.patient_id)
            .where(now.c.rn == 1, before.c.rn == 1)
        )
    return own, others


def comparison_statement(
    outcome_set: OutcomeSet,
    patient: Patient,
    care_group_id: int,
    today: date,
    *,
    snapshot: bool = False,
) -> sa.Select:
    """One SELECT: per outcome the patient's latest and previous value and the counts of
    comparable patients doing worse, the same and better (by value), with their group size.
    With ``snapshot`` the comparable patients' values are the night's counts of today (one
    key range), else worked out live; the patient's own values are live either way."""
    rule = outcome_set.rule
    since = _utc_start(months_before(today, rule.window_months))
    if snapshot:
        own_parts, _ = _ranked_parts(outcome_set, today, since, patient_id=patient.id, cohort=None)
        others = snapshot_others(outcome_set, patient, care_group_id, today).subquery("others")
    else:
        # A CTE as well: the population is found once, not once per part that reads it.
        cohort_rows = comparable_patients(outcome_set, patient, care_group_id, today).cte("cohort")
        own_parts, others_parts = _ranked_parts(
            outcome_set, today, since, patient_id=patient.id, cohort=select(cohort_rows.c.id)
        )
        # The others' rows once (a CTE), their latest in the window.
        others_ranked = sa.union_all(*others_parts).cte("others_ranked")
        others = (
            select(
                others_ranked.c.source,
                others_ranked.c.reads,
                others_ranked.c.value,
                sa.literal(1).label("weight"),
            )
            .where(others_ranked.c.rn == 1, others_ranked.c.at >= since)
            .subquery("others")
        )
    # A CTE: the patient's own rows (a few) read by mine and previous.
    ranked = sa.union_all(*own_parts).cte("ranked")
    mine = (
        select(ranked.c.source, ranked.c.reads, ranked.c.value, ranked.c.code, ranked.c.at)
        .where(ranked.c.rn == 1)
        .subquery("mine")
    )
    previous = (
        select(ranked.c.source, ranked.c.reads, ranked.c.value, ranked.c.code, ranked.c.at)
        .where(ranked.c.rn == 2)
        .subquery("previous")
    )

    # Each row of ``others`` stands for ``weight`` patients (1 live; the snapshot's counts).
    def count_when(condition) -> sa.ColumnElement:
        return func.coalesce(func.sum(sa.case((condition, others.c.weight), else_=0)), 0)

    return (
        select(
            mine.c.source,
            mine.c.reads,
            mine.c.value,
            mine.c.code,
            mine.c.at,
            previous.c.value.label("previous_value"),
            previous.c.code.label("previous_code"),
            previous.c.at.label("previous_at"),
            func.coalesce(func.sum(others.c.weight), 0).label("group_size"),
            count_when(others.c.value < mine.c.value).label("lower"),
            count_when(others.c.value == mine.c.value).label("equal"),
            count_when(others.c.value > mine.c.value).label("higher"),
        )
        .select_from(mine)
        .outerjoin(
            previous,
            sa.and_(previous.c.source == mine.c.source, previous.c.reads == mine.c.reads),
        )
        .outerjoin(
            others,
            sa.and_(
                others.c.source == mine.c.source,
                others.c.reads == mine.c.reads,
                mine.c.at >= since,
            ),
        )
        .group_by(
            mine.c.source,
            mine.c.reads,
            mine.c.value,
            mine.c.code,
            mine.c.at,
            previous.c.value,
            previous.c.code,
            previous.c.at,
        )
    )


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _change(outcome: Outcome, value: float, row) -> Change | None:
    previous, previous_at = row.previous_value, row.previous_at
    if previous is None or previous_at is None:
        return None
    previous = float(previous)
    difference = value - previous
    code = row.previous_code
    if difference == 0:
        return Change(previous, _as_utc(previous_at), 0.0, "same", "same", code)
    improved = (difference > 0) == outcome.higher_is_better
    return Change(
        previous,
        _as_utc(previous_at),
        difference,
        "up" if difference > 0 else "down",
        "better" if improved else "worse",
        code,
    )


def programme_outcomes(
    session: Session,
    outcome_set: OutcomeSet,
    patient: Patient,
    care_group_id: int,
    today: date,
    *,
    snapshot: bool = False,
) -> ProgrammeOutcomes:
    """The comparison for one programme, in one query (the patient is loaded and audited);
    ``snapshot``: the care group has the night's snapshot of ``today``."""
    rule = outcome_set.rule
    since = _utc_start(months_before(today, rule.window_months))
    statement = comparison_statement(outcome_set, patient, care_group_id, today, snapshot=snapshot)
    rows = {_key(row.source, row.reads): row for row in session.execute(statement)}
    results = []
    for outcome in outcome_set.outcomes:
        row = rows.get(outcome_key(outcome))
        if row is None:
            reason = NO_TREND if outcome.is_trend else NO_VALUE
            results.append(OutcomeResult(outcome, None, None, None, None, 0, None, None, reason))
            continue
        at = _as_utc(row.at)
        value = float(row.value)
        if at < since:
            results.append(OutcomeResult(outcome, None, None, at, None, 0, None, None, NO_RECENT))
            continue
        change = _change(outcome, value, row)
        size = int(row.group_size)
        if size < rule.minimum_group:
            results.append(
                OutcomeResult(outcome, value, at, None, change, size, None, None, TOO_FEW, row.code)
            )
            continue
        if outcome.is_coded:
            # The others in the good state: those equal to a good patient, higher than a not.
            good = int(row.equal) if value == 1 else int(row.higher)
            results.append(
                OutcomeResult(
                    outcome,
                    value,
                    at,
                    None,
                    change,
                    size,
                    None,
                    None,
                    NOT_A_NUMBER,
                    row.code,
                    shown_share(good, size),
                )
            )
            continue
        worse = int(row.higher) if not outcome.higher_is_better else int(row.lower)
        exact = percentile(worse, int(row.equal), size)
        results.append(
            OutcomeResult(
                outcome,
                value,
                at,
                None,
                change,
                size,
                shown_percentile(exact),
                label_for(exact, rule.as_band),
                None,
            )
        )
    return ProgrammeOutcomes(
        outcome_set=outcome_set,
        results=results,
        age_band=age_band(patient, today, rule.age_band_years),
        same_sex=rule.same_sex,
    )


def dashboard(session: Session, actor: Actor, *, patient_id: int, today: date) -> Dashboard:
    """Every programme the patient is enrolled in today that has an outcome set.

    The patient themself, or a professional who may reach them; care-group staff and
    administrators never see an individual's outcomes.
    """
    if not (actor.is_patient or actor.is_professional):
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    patient = get_patient_for(session, actor, patient_id, object_type="Outcomes")
    care_group_id = care_group_of_practice(session, patient.practice_id)
    programmes = session.exec(
        select(Enrolment.programme)
        .where(Enrolment.patient_id == patient.id, enrolment_active_on(today))
        .distinct()
    ).all()
    sets = outcome_sets()
    chosen = [sets[Programme(p)] for p in programmes if Programme(p) in sets]
    chosen.sort(key=lambda s: list(Programme).index(s.programme))
    if care_group_id is None:
        return Dashboard(patient, [])
    # Imported here: likeme and snapshot build on this module's cohort and rounding.
    from zelfzorg.outcomes.likeme import open_measurable_goals, patients_like_me
    from zelfzorg.outcomes.snapshot import taken

    goals = open_measurable_goals(session, patient.id) if chosen else []
    snapshot = bool(chosen) and taken(session, care_group_id, today)
    return Dashboard(
        patient,
        [
            programme_outcomes(session, s, patient, care_group_id, today, snapshot=snapshot)
            for s in chosen
        ],
        patients_like_me(session, goals, chosen, patient, care_group_id, today, snapshot=snapshot),
    )
