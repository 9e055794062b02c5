"""The contracting indicators of DESIGN.md section 4: one definition each, in SQL.

Every patient indicator is a *cell query*: one row per patient of the population on d
(``population_subquery``) with ``den`` and ``num`` (0 or 1) and an optional ``value``. The
engine (:mod:`zelfzorg.contracting.engine`) aggregates each cell query in ONE statement,
grouped by practice and stratum, so the number of queries depends on neither the number of
patients nor of practices. Statement indicators (V1, V2, P0) and L1 (pairs from the catalogue)
are one small query each for the whole care group.

Windows (days in Europe/Amsterdam): "in P" = start <= day <= end; "12 months up to d" =
(d minus one year, d]; "365 days up to d" = [d - 364, d]; "90 days up to d" = [d - 89, d].
Latest values per patient use indexed correlated subqueries (measurement and response tables
have an index on patient, type and time) or ROW_NUMBER windows, never a LEFT JOIN on a
materialised subquery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.assessment.services import EXPERIENCE_CODE, latest_activation_level
from zelfzorg.contracting.history import utc_end, utc_start
from zelfzorg.contracting.models import (
    DevelopmentAction,
    GoalStatusHistory,
    PatientActivityDay,
    PlatformStatement,
    PolicyStatus,
    PolicyVersion,
)
from zelfzorg.contracting.report_data import IndicatorInfo, IndicatorKind, IndicatorText
from zelfzorg.izp.models import GoalReview
from zelfzorg.leefstijl.criteria import parse_criteria
from zelfzorg.leefstijl.criteria.sql import compile_criteria, facts_query
from zelfzorg.leefstijl.indicators import offered_referrals
from zelfzorg.leefstijl.models import Intervention, Referral
from zelfzorg.leefstijl.services import (
    AMSTERDAM,
    MAX_MEASUREMENT_AGE_DAYS,
    SMOKING_CODE,
    active_interventions,
)
from zelfzorg.patients.models import Enrolment, Programme
from zelfzorg.patients.population import enrolment_active_on, population_subquery
from zelfzorg.telemonitoring.models import Measurement, kept_or_earlier

DEFINITION_VERSION = 2015
HBA1C_TARGET = 53.0  # mmol/mol, O1b
SYSTOLIC_TARGET = 140.0  # mm[Hg], O2b (below)
BMI_TARGET = 25.0  # O3b (below)
COUNTED_GOAL_STATUSES = ("active", "completed")


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Context:
    """What every indicator query needs: the care group and the period P = [start, end]."""

    session: Session
    care_group_id: int
    start: date
    end: date
    # The care group's active lifestyle catalogue when the caller has read it already
    # (the engine does, for its statement cache); None: read it when needed.
    interventions: tuple[Intervention, ...] | None = None
    # The engine's shared latest values (see ``LatestValues``): None, each condition reads
    # its own.
    latest: LatestValues | None = None

    @property
    def d(self) -> date:
        return self.end

    @property
    def twelve_months_from(self) -> date:
        return years_before(self.end, 1) + timedelta(days=1)


Condition = Callable[[Context, sa.ColumnElement], sa.ColumnElement[bool]]


class LatestValues(dict):
    """``{code: column}``: each patient's latest current value of ``code`` in the 12 months
    up to d, looked up once per patient for every condition of a statement that reads it.

    Several indicators read the same value (O1's "has an HbA1c" and O1b's "latest HbA1c on
    target"; O3b's BMI twice, its height twice): as separate subqueries each was a probe of
    the (patient, type, time) index per patient, 13 probes where 5 values are read. The
    engine builds its statement twice: first with an empty ``LatestValues``,
    which notes the codes asked for (``wanted``) while the conditions read their own, then
    with the columns of one MATERIALIZED row per patient."""

    def __init__(self, columns: dict | None = None) -> None:
        super().__init__(columns or {})
        self.wanted: list[tuple[str, str]] = []  # (code, "value" or "value_code")

    def column(self, code: str, field: str = "value") -> sa.ColumnElement | None:
        if (code, field) not in self.wanted:
            self.wanted.append((code, field))
        return self.get((code, field))


@dataclass(frozen=True)
class Definition:
    info: IndicatorInfo
    # Patient indicators: denominator and numerator conditions on the population's patient id
    # column (den None = the whole population); the numerator is always within the denominator.
    den: Condition | None = None
    num: Condition | None = None
    value: Callable[[Context, sa.ColumnElement], sa.ColumnElement] | None = None
    # Care-group indicators (statements, L1): one query giving (numerator, denominator) or a bool.
    group: Callable[[Context], tuple[int | None, int | None, bool | None]] | None = None
    split: str | None = None  # A2: figures per activation level instead of the usual strata


def _t(nl: str, en: str) -> IndicatorText:
    return IndicatorText(nl=nl, en=en)


# --- building blocks -------------------------------------------------------------------------


def goal_rows_on(day: date) -> sa.ColumnElement[bool]:
    """SQL: the goal_status_history row holds on ``day``."""
    return sa.and_(
        col(GoalStatusHistory.valid_from) <= day,
        sa.or_(col(GoalStatusHistory.valid_to).is_(None), col(GoalStatusHistory.valid_to) > day),
    )


def _agreed_goal_patients(ctx: Context, statuses: tuple[str, ...] | None) -> sa.Select:
    stmt = select(GoalStatusHistory.patient_id).where(
        goal_rows_on(ctx.d), col(GoalStatusHistory.agreed).is_(True)
    )
    if statuses:
        stmt = stmt.where(col(GoalStatusHistory.status).in_(statuses))
    return stmt


def _in(stmt: sa.Select) -> Condition:
    return lambda ctx, pid: pid.in_(stmt)


def _i1_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return pid.in_(_agreed_goal_patients(ctx, COUNTED_GOAL_STATUSES))


def _i1b_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    since = ctx.twelve_months_from
    agreed_recently = _agreed_goal_patients(ctx, COUNTED_GOAL_STATUSES).where(
        col(GoalStatusHistory.agreed_on) >= since
    )
    reviewed_recently = select(GoalReview.patient_id).where(
        col(GoalReview.reviewed_at) >= utc_start(since),
        col(GoalReview.reviewed_at) < utc_end(ctx.d),
    )
    return sa.or_(pid.in_(agreed_recently), pid.in_(reviewed_recently))


def _multimorbid(ctx: Context, pid) -> sa.ColumnElement[bool]:
    multi = (
        select(Enrolment.patient_id)
        .where(enrolment_active_on(ctx.d))
        .group_by(Enrolment.patient_id)
        .having(sa.func.count(sa.distinct(Enrolment.programme)) >= 2)
    )
    return pid.in_(multi)


def _i2_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    """Every programme the patient is enrolled in on d has a goal linked to it that is active
    or completed on d."""
    enrolment = aliased(Enrolment)
    covered = (
        sa.exists()
        .where(GoalStatusHistory.patient_id == enrolment.patient_id)
        .where(goal_rows_on(ctx.d))
        .where(col(GoalStatusHistory.status).in_(COUNTED_GOAL_STATUSES))
        .where(
            col(GoalStatusHistory.programmes).contains(
                sa.literal("|") + sa.cast(enrolment.programme, sa.String) + sa.literal("|"),
                autoescape=False,
            )
        )
    )
    uncovered = select(enrolment.patient_id).where(
        enrolment.start_date <= ctx.d,
        sa.or_(enrolment.end_date.is_(None), enrolment.end_date > ctx.d),
        ~covered,
    )
    return pid.not_in(uncovered)


def _i3_den(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return pid.in_(_agreed_goal_patients(ctx, None))


def _i3_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    reviewed = select(GoalReview.patient_id).where(
        col(GoalReview.reviewed_at) >= utc_start(ctx.start),
        col(GoalReview.reviewed_at) < utc_end(ctx.end),
    )
    return pid.in_(reviewed)


def _experience_responses(ctx: Context):
    return (
        select(AssessmentResponse.patient_id)
        .join(
            InstrumentVersion, col(InstrumentVersion.id) == AssessmentResponse.instrument_version_id
        )
        .where(InstrumentVersion.kind == "experience")
    )


def _i4_den(ctx: Context, pid) -> sa.ColumnElement[bool]:
    invited = _experience_responses(ctx).where(
        col(AssessmentResponse.started_at) >= utc_start(ctx.start),
        col(AssessmentResponse.started_at) < utc_end(ctx.end),
    )
    return sa.or_(pid.in_(invited), _i4_num(ctx, pid))


def _i4_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return pid.in_(_responded(ctx))


def _responded(ctx: Context) -> sa.Select:
    return _experience_responses(ctx).where(
        AssessmentResponse.status == ResponseStatus.completed,
        AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
        col(AssessmentResponse.score).is_not(None),
        col(AssessmentResponse.completed_at) >= utc_start(ctx.start),
        col(AssessmentResponse.completed_at) < utc_end(ctx.end),
    )


def _i4_value(ctx: Context, pid) -> sa.ColumnElement:
    """The patient's latest experience score completed in P (an indexed lookup per patient)."""
    return (
        select(AssessmentResponse.score)
        .where(
            AssessmentResponse.patient_id == pid,
            AssessmentResponse.instrument_code == EXPERIENCE_CODE,
            AssessmentResponse.status == ResponseStatus.completed,
            AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
            col(AssessmentResponse.score).is_not(None),
            col(AssessmentResponse.completed_at) >= utc_start(ctx.start),
            col(AssessmentResponse.completed_at) < utc_end(ctx.end),
        )
        .order_by(col(AssessmentResponse.completed_at).desc(), col(AssessmentResponse.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def _l1_group(ctx: Context) -> tuple[int | None, int | None, bool | None]:
    """(conform pairs, pairs): each active intervention of the care group's catalogue counts
    once per care programme it is offered in."""
    rows = ctx.session.exec(
        select(Intervention.programmes, Intervention.zorgstandaard_conform).where(
            Intervention.care_group_id == ctx.care_group_id,
            col(Intervention.active).is_(True),
        )
    ).all()
    pairs = conform = 0
    for programmes, is_conform in rows:
        count = len(set(programmes or []))
        pairs += count
        conform += count if is_conform else 0
    return conform, pairs, None


def _l2_den(ctx: Context, pid) -> sa.ColumnElement[bool]:
    """Eligible on d for >= 1 active catalogue intervention, as the lifestyle screens judge it
    (unknown is not eligible): the maintained eligibility table's answer for a patient it
    answers for on d (``leefstijl.eligibility``: every active intervention has a row valid on
    d), else the criteria compiled to SQL, evaluated only for the patients it does not answer
    for (a report of an earlier period, a patient queued after an import). The same patients
    as ``leefstijl.indicators.eligible_patients``."""
    from zelfzorg.leefstijl import eligibility

    interventions = _interventions(ctx)
    if not interventions:
        return sa.false()
    ids = [i.id for i in interventions]
    trees = [parse_criteria(i.criteria) for i in interventions]
    pop = population_subquery(ctx.d, care_group_id=ctx.care_group_id)
    # Set-based: the table's answers in one pass over its rows, read twice (a look-up per
    # patient of the population cost PostgreSQL 0.4 s at 50,000 patients, finding the
    # unanswered ones in a pass of their own another 0.1 s; SQLite 0.2 and 0.3 s).
    answers = eligibility.table_answers(ids, ctx.d, name="l2_table_answers")
    unanswered = select(pop.c.patient_id).where(
        pop.c.patient_id.not_in(select(answers.c.patient_id))
    )
    stmt, facts = facts_query(
        trees,
        unanswered,
        ctx.d,
        zone=AMSTERDAM,
        max_age_days=MAX_MEASUREMENT_AGE_DAYS,
        smoking_code=SMOKING_CODE,
    )
    live = pid.in_(stmt.where(sa.or_(sa.false(), *(compile_criteria(t, facts)[0] for t in trees))))
    # Two sets, each read as a hashed IN: those the table answers "eligible" for, and those
    # the criteria find eligible among the patients it does not answer for. Disjoint by
    # construction, so their union is the table's answer where it has one, else the criteria.
    return sa.or_(pid.in_(select(answers.c.patient_id).where(answers.c.eligible == 1)), live)


def _interventions(ctx: Context) -> list[Intervention]:
    if ctx.interventions is not None:
        return list(ctx.interventions)
    return active_interventions(ctx.session, ctx.care_group_id)


def _offered(ctx: Context, internet_only: bool) -> sa.Select:
    stmt = select(Referral.patient_id).where(
        col(Referral.id).in_(offered_referrals(ctx.start, ctx.end))
    )
    if internet_only:
        stmt = stmt.join(Intervention, col(Intervention.id) == Referral.intervention_id).where(
            col(Intervention.internet_based).is_(True)
        )
    return stmt


def _l2_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return pid.in_(_offered(ctx, False))


def _l3_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return pid.in_(_offered(ctx, True))


def _p1_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    activated = select(User.patient_id).where(
        User.role == Role.patient,
        col(User.patient_id).is_not(None),
        col(User.activated_at).is_not(None),
        col(User.activated_at) < utc_end(ctx.d),
    )
    return pid.in_(activated)


def _p2_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    """Active on a day of the 90 up to d: a correlated EXISTS, one probe of the unique
    (patient, day) index per patient. ``IN`` listed every active day of those 90 first
    (~900,000 rows at 50,000 patients on SQLite: ~0.8 s of the report against ~0.1 s)."""
    return (
        sa.exists()
        .where(
            PatientActivityDay.patient_id == pid,
            col(PatientActivityDay.day) >= ctx.d - timedelta(days=89),
            col(PatientActivityDay.day) <= ctx.d,
        )
        .correlate_except(PatientActivityDay)
    )


def _scored_activation(ctx: Context) -> sa.Select:
    return (
        select(AssessmentResponse.patient_id)
        .join(
            InstrumentVersion, col(InstrumentVersion.id) == AssessmentResponse.instrument_version_id
        )
        .where(
            InstrumentVersion.kind == "activation",
            AssessmentResponse.status == ResponseStatus.completed,
            AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
            col(AssessmentResponse.level).is_not(None),
            col(AssessmentResponse.completed_at) >= utc_start(ctx.d - timedelta(days=364)),
            col(AssessmentResponse.completed_at) < utc_end(ctx.d),
        )
    )


def _a1_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return pid.in_(_scored_activation(ctx))


def _a2_value(ctx: Context, pid) -> sa.ColumnElement:
    """Level of the patient's latest scored activation assessment up to d: the rows and order
    of ``latest_levels_subquery`` (assessment and lifestyle), as one indexed lookup per
    patient, because the engine asks it only for A1's patients."""
    return latest_activation_level(pid, before=utc_end(ctx.d))


def _enrolled(*programmes: Programme) -> Condition:
    def condition(ctx: Context, pid) -> sa.ColumnElement[bool]:
        return pid.in_(
            select(Enrolment.patient_id).where(
                enrolment_active_on(ctx.d),
                col(Enrolment.programme).in_([str(p) for p in programmes]),
            )
        )

    return condition


def _measured(ctx: Context, pid, code: str, field: str = "value") -> sa.ColumnElement[bool]:
    """The patient has a current ``code`` row in the 12 months up to d with ``field`` (the
    value, or the coded value) filled in: a correlated EXISTS, one probe of the (patient,
    type, time) index per patient, never the list of every such reading of the care group.
    With the engine's shared latest values, a value is there when the latest one is (the same
    rows: a type's readings are all numbers or all codes)."""
    if ctx.latest is not None:
        return _latest_value(ctx, pid, code, field).is_not(None)
    filled = col(getattr(Measurement, field))
    return (
        sa.exists()
        .where(
            Measurement.patient_id == pid,
            Measurement.type_code == code,
            col(Measurement.superseded_at).is_(None),
            filled.is_not(None),
            col(Measurement.measured_at) >= utc_start(ctx.twelve_months_from),
            col(Measurement.measured_at) < utc_end(ctx.d),
        )
        .correlate_except(Measurement)
    )


def _latest_value(ctx: Context, pid, code: str, field: str = "value") -> sa.ColumnElement:
    """The patient's latest current value (``field``: or coded value) of ``code`` in the 12
    months up to d (the engine's shared column when it has one)."""
    if ctx.latest is not None:
        shared = ctx.latest.column(code, field)
        if shared is not None:
            return shared
    return latest_value_subquery(ctx, pid, code, field)


def latest_value_subquery(ctx: Context, pid, code: str, field: str = "value") -> sa.ColumnElement:
    """:func:`_latest_value` as its own correlated subquery (one index probe per patient)."""
    filled = col(getattr(Measurement, field))
    return (
        select(filled)
        .where(
            Measurement.patient_id == pid,
            Measurement.type_code == code,
            col(Measurement.superseded_at).is_(None),
            filled.is_not(None),
            col(Measurement.measured_at) >= utc_start(ctx.twelve_months_from),
            col(Measurement.measured_at) < utc_end(ctx.d),
        )
        .order_by(col(Measurement.measured_at).desc(), col(Measurement.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def kept_latest_value(
    ctx: Context, pid, code: str, field: str, kept: sa.FromClause
) -> sa.ColumnElement:
    """:func:`latest_value_subquery` read from ``kept``: the patient's ``measurement_latest``
    row of ``code``, outer-joined (NULL columns without one). That row is the newest current
    reading of all, so before the end of d it answers at once (its value when it is in the 12
    months, else none); a newer reading (a report of an earlier period) leaves the patient to
    the probe of ``measurement``."""
    at = kept.c.measured_at
    in_window = sa.case((at >= utc_start(ctx.twelve_months_from), kept.c[field]))
    return kept_or_earlier(
        at, in_window, utc_end(ctx.d), latest_value_subquery(ctx, pid, code, field)
    )


def _with_value(code: str) -> Condition:
    return lambda ctx, pid: _measured(ctx, pid, code)


def _o1b_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return _latest_value(ctx, pid, "hba1c") <= HBA1C_TARGET


def _o2b_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return _latest_value(ctx, pid, "bp_systolic") < SYSTOLIC_TARGET


def _o3_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return sa.or_(
        _measured(ctx, pid, "bmi"),
        sa.and_(_measured(ctx, pid, "weight"), _measured(ctx, pid, "height")),
    )


def _o3b_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    """Latest BMI < 25; without a BMI, latest weight / (latest height in metres)^2 < 25
    (height in cm)."""
    bmi = _latest_value(ctx, pid, "bmi")
    weight = _latest_value(ctx, pid, "weight")
    height = _latest_value(ctx, pid, "height")
    computed = weight * 10000.0 < BMI_TARGET * height * height
    return sa.or_(bmi < BMI_TARGET, sa.and_(bmi.is_(None), computed))


def _o4_num(ctx: Context, pid) -> sa.ColumnElement[bool]:
    return _measured(ctx, pid, SMOKING_CODE, "value_code")


# --- statements ------------------------------------------------------------------------------


def _v1_group(ctx: Context) -> tuple[int | None, int | None, bool | None]:
    """The latest policy version effective on or before d has status in development or
    adopted and covers both patient involvement and incentives."""
    latest = ctx.session.exec(
        select(PolicyVersion)
        .where(
            PolicyVersion.care_group_id == ctx.care_group_id, PolicyVersion.effective_on <= ctx.d
        )
        .order_by(col(PolicyVersion.effective_on).desc(), col(PolicyVersion.id).desc())
        .limit(1)
    ).first()
    ok = bool(
        latest
        and latest.status in (PolicyStatus.in_development, PolicyStatus.adopted)
        and latest.covers_patient_involvement
        and latest.covers_incentives
    )
    return None, None, ok


def _v2_group(ctx: Context) -> tuple[int | None, int | None, bool | None]:
    """>= 1 development action (current version, not deleted) dated in P."""
    current = (
        select(sa.func.max(DevelopmentAction.id))
        .where(DevelopmentAction.care_group_id == ctx.care_group_id)
        .group_by(DevelopmentAction.action_key)
    )
    count = ctx.session.exec(
        select(sa.func.count())
        .select_from(DevelopmentAction)
        .where(
            col(DevelopmentAction.id).in_(current),
            col(DevelopmentAction.deleted).is_(False),
            DevelopmentAction.on_date >= ctx.start,
            DevelopmentAction.on_date <= ctx.end,
        )
    ).one()
    return None, None, count > 0


def _p0_group(ctx: Context) -> tuple[int | None, int | None, bool | None]:
    latest = ctx.session.exec(
        select(PlatformStatement.on_list)
        .where(
            PlatformStatement.care_group_id == ctx.care_group_id,
            PlatformStatement.stated_on <= ctx.d,
        )
        .order_by(col(PlatformStatement.stated_on).desc(), col(PlatformStatement.id).desc())
        .limit(1)
    ).first()
    return None, None, bool(latest)


# --- the registry ----------------------------------------------------------------------------

R, D, A, INFO = (
    IndicatorKind.requirement,
    IndicatorKind.desired,
    IndicatorKind.advice,
    IndicatorKind.informational,
)
POPULATION = _t("populatie", "population")


def _info(id_, clause, kind, title, numerator, denominator, statement=False) -> IndicatorInfo:
    return IndicatorInfo(
        id=id_,
        clause=clause,
        kind=kind,
        version=DEFINITION_VERSION,
        title=title,
        numerator=numerator,
        denominator=denominator,
        statement=statement,
    )


@dataclass(frozen=True)
class Both:
    """Both conditions hold. A condition (function) shared by several indicators, alone or in
    a ``Both``, is evaluated once per patient by the engine (one flag column) and reused."""

    first: Condition
    second: Condition

    def __call__(self, ctx: Context, pid) -> sa.ColumnElement[bool]:
        return sa.and_(self.first(ctx, pid), self.second(ctx, pid))


def parts(condition: Condition) -> list[Condition]:
    """The conditions that all must hold (a ``Both`` split into its parts)."""
    if isinstance(condition, Both):
        return parts(condition.first) + parts(condition.second)
    return [condition]


YES_NO = _t("ja/nee", "yes/no")
_dm2 = _enrolled(Programme.DM2)
_dm2_cvrm = _enrolled(Programme.DM2, Programme.CVRM)
_copd_astma = _enrolled(Programme.COPD, Programme.astma)
_o1 = _with_value("hba1c")
_o2 = _with_value("bp_systolic")

DEFINITIONS: list[Definition] = [
    Definition(
        _info(
            "V1",
            "2.1",
            R,
            _t("Visie op zelfmanagement", "Self-management vision"),
            _t(
                "beleid in ontwikkeling of vastgesteld op d, over betrokkenheid van patiënten "
                "en prikkels",
                "policy in development or adopted on d, covering patient involvement and "
                "incentives",
            ),
            YES_NO,
            statement=True,
        ),
        group=_v1_group,
    ),
    Definition(
        _info(
            "V2",
            "2.1",
            R,
            _t("Ontwikkelplan zorgverleners", "Development plan for professionals"),
            _t(
                "ontwikkelplan met >= 1 actie (scholing, competentiescan, verbeterplan) in P",
                "development plan with >= 1 action (training, competence scan, improvement "
                "plan) in P",
            ),
            YES_NO,
            statement=True,
        ),
        group=_v2_group,
    ),
    Definition(
        _info(
            "I1",
            "2.2",
            R,
            _t("Individueel zorgplan met afgesproken doel", "Care plan with an agreed goal"),
            _t(
                "populatie met >= 1 afgesproken doel dat op d actief of afgerond is",
                "population with >= 1 agreed goal active or completed on d",
            ),
            POPULATION,
        ),
        num=_i1_num,
    ),
    Definition(
        _info(
            "I1b",
            "2.2",
            INFO,
            _t("Levend zorgplan", "Living care plan"),
            _t(
                "van de teller van I1: doel afgesproken of geëvalueerd in de 12 maanden tot d",
                "of I1's numerator: goal agreed or reviewed in the 12 months up to d",
            ),
            _t("teller van I1", "I1 numerator"),
        ),
        den=_i1_num,
        num=_i1b_num,
    ),
    Definition(
        _info(
            "I2",
            "2.2",
            R,
            _t("Eén plan bij multimorbiditeit", "One plan for multimorbidity"),
            _t(
                "multimorbide populatie met voor elk programma >= 1 gekoppeld doel (actief of "
                "afgerond op d)",
                "multimorbid population with >= 1 linked goal per programme (active or "
                "completed on d)",
            ),
            _t("multimorbide populatie", "multimorbid population"),
        ),
        den=_multimorbid,
        num=_i2_num,
    ),
    Definition(
        _info(
            "I3",
            "2.2",
            R,
            _t("Evaluatie van doelen", "Goal review"),
            _t(
                "populatie met >= 1 doelevaluatie in P",
                "population with >= 1 goal review in P",
            ),
            _t("populatie met >= 1 afgesproken doel", "population with >= 1 agreed goal"),
        ),
        den=_i3_den,
        num=_i3_num,
    ),
    Definition(
        _info(
            "I4",
            "2.2",
            INFO,
            _t("Ervaren gedeelde besluitvorming", "Experienced shared decision making"),
            _t(
                "respondenten in P (gemiddelde score van hun laatste antwoord)",
                "respondents in P (mean score of their latest response)",
            ),
            _t("patiënten uitgenodigd in P", "patients invited in P"),
        ),
        den=_i4_den,
        num=_i4_num,
        value=_i4_value,
    ),
    Definition(
        _info(
            "L1",
            "2.3",
            R,
            _t("Interventies volgens de zorgstandaard", "Interventions conform the standard"),
            _t(
                "paren (interventie, programma) conform de zorgstandaard",
                "(intervention, programme) pairs conform the care standard",
            ),
            _t("aangeboden paren", "pairs offered"),
        ),
        group=_l1_group,
    ),
    Definition(
        _info(
            "L2",
            "2.3",
            D,
            _t("Leefstijlinterventie aangeboden", "Lifestyle intervention offered"),
            _t(
                "in aanmerking komende populatie met >= 1 aanbod in P",
                "eligible population offered >= 1 intervention in P",
            ),
            _t("populatie die in aanmerking komt op d", "population eligible on d"),
        ),
        den=_l2_den,
        num=_l2_num,
    ),
    Definition(
        _info(
            "L3",
            "2.3",
            D,
            _t("Internetondersteuning aangeboden", "Internet-based support offered"),
            _t(
                "van de teller van L2: aanbod van een internetinterventie",
                "of L2's numerator: offered an internet-based intervention",
            ),
            _t("teller van L2", "L2 numerator"),
        ),
        den=Both(_l2_den, _l2_num),
        num=_l3_num,
    ),
    Definition(
        _info(
            "P0",
            "2.4",
            A,
            _t("Platform op de ZO!-lijst", "Platform on the ZO! list"),
            _t(
                "verklaring dat het platform op de ZO!-lijst staat (met datum)",
                "statement that the platform is on the ZO! list (dated)",
            ),
            YES_NO,
            statement=True,
        ),
        group=_p0_group,
    ),
    Definition(
        _info(
            "P1",
            "2.4",
            INFO,
            _t("Geactiveerd account", "Activated account"),
            _t(
                "populatie met een geactiveerd account op d",
                "population with an activated account on d",
            ),
            POPULATION,
        ),
        num=_p1_num,
    ),
    Definition(
        _info(
            "P2",
            "2.4",
            INFO,
            _t("Actief op het platform", "Active on the platform"),
            _t(
                "populatie die in de 90 dagen tot d inlogde of gegevens invoerde",
                "population that logged in or entered data in the 90 days up to d",
            ),
            POPULATION,
        ),
        num=_p2_num,
    ),
    Definition(
        _info(
            "A1",
            "-",
            INFO,
            _t("Activatiemeting", "Activation assessment"),
            _t(
                "populatie met een gescoorde activatiemeting in de 365 dagen tot d",
                "population with a scored activation assessment in the 365 days up to d",
            ),
            POPULATION,
        ),
        num=_a1_num,
    ),
    Definition(
        _info(
            "A2",
            "-",
            INFO,
            _t("Activatieniveaus", "Activation levels"),
            _t(
                "verdeling over niveau 1-4 van de laatste gescoorde meting tot d",
                "distribution over levels 1-4 of the latest scored assessment up to d",
            ),
            _t("teller van A1", "A1 numerator"),
        ),
        den=_a1_num,
        num=_a1_num,
        value=_a2_value,
        split="level",
    ),
    Definition(
        _info(
            "O1",
            "(000)",
            INFO,
            _t("HbA1c gemeten", "HbA1c measured"),
            _t(
                "DM2-populatie met een HbA1c in de 12 maanden tot d",
                "DM2 population with an HbA1c in the 12 months up to d",
            ),
            _t("DM2-populatie", "DM2 population"),
        ),
        den=_dm2,
        num=_o1,
    ),
    Definition(
        _info(
            "O1b",
            "(000)",
            INFO,
            _t("HbA1c op streefwaarde", "HbA1c on target"),
            _t(
                "van de teller van O1: laatste HbA1c <= 53 mmol/mol",
                "of O1's numerator: latest HbA1c <= 53 mmol/mol",
            ),
            _t("teller van O1", "O1 numerator"),
        ),
        den=Both(_dm2, _o1),
        num=_o1b_num,
    ),
    Definition(
        _info(
            "O2",
            "(000)",
            INFO,
            _t("Bloeddruk gemeten", "Blood pressure measured"),
            _t(
                "DM2- en CVRM-populatie met een systolische bloeddruk in de 12 maanden tot d",
                "DM2 and CVRM population with a systolic BP in the 12 months up to d",
            ),
            _t("DM2- en CVRM-populatie", "DM2 and CVRM population"),
        ),
        den=_dm2_cvrm,
        num=_o2,
    ),
    Definition(
        _info(
            "O2b",
            "(000)",
            INFO,
            _t("Bloeddruk op streefwaarde", "Blood pressure on target"),
            _t(
                "van de teller van O2: laatste systolische bloeddruk < 140 mmHg",
                "of O2's numerator: latest systolic BP < 140 mmHg",
            ),
            _t("teller van O2", "O2 numerator"),
        ),
        den=Both(_dm2_cvrm, _o2),
        num=_o2b_num,
    ),
    Definition(
        _info(
            "O3",
            "(000)",
            INFO,
            _t("BMI bekend", "BMI recorded"),
            _t(
                "populatie met een BMI (of gewicht en lengte) in de 12 maanden tot d",
                "population with a BMI (or weight and height) in the 12 months up to d",
            ),
            POPULATION,
        ),
        num=_o3_num,
    ),
    Definition(
        _info(
            "O3b",
            "(000)",
            INFO,
            _t("BMI onder 25", "BMI below 25"),
            _t("van de teller van O3: BMI < 25", "of O3's numerator: BMI < 25"),
            _t("teller van O3", "O3 numerator"),
        ),
        den=_o3_num,
        num=_o3b_num,
    ),
    Definition(
        _info(
            "O4",
            "(000)",
            INFO,
            _t("Rookstatus bekend", "Smoking status known"),
            _t(
                "COPD- en astmapopulatie met bekende rookstatus in de 12 maanden tot d",
                "COPD and asthma population with known smoking status in the 12 months up to d",
            ),
            _t("COPD- en astmapopulatie", "COPD and asthma population"),
        ),
        den=_copd_astma,
        num=_o4_num,
    ),
]

REGISTRY: dict[str, Definition] = {d.info.id: d for d in DEFINITIONS}
INDICATOR_IDS = tuple(REGISTRY)


def definitions_for(version: int) -> list[Definition]:
    """The definitions a report of contract-year ``version`` uses: for each indicator the
    newest definition not newer than ``version`` (only version 2015 exists so far)."""
    return [d for d in DEFINITIONS if d.info.version <= version]
