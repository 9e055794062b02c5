"""Assessment use cases: fill in (save, resume, submit), results, summaries, due dates, I4.

Services take ``session, actor`` and keyword values, never import Flask and flush, not commit.
Everything that touches a patient goes through ``get_patient_for`` (scope check + audit).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Practice, Role, User
from zelfzorg.accounts.scope import Actor, care_group_of_practice, get_patient_for, load_for
from zelfzorg.assessment.instruments import (
    InstrumentDefinition,
    InstrumentKind,
    Level,
    Text,
)
from zelfzorg.assessment.models import (
    AssessmentResponse,
    AssessmentSetting,
    InstrumentVersion,
    ResponseStatus,
)
from zelfzorg.assessment.scoring import round_half_up, score
from zelfzorg.assessment.trend import Trend, build_trend
from zelfzorg.assessment.versions import (
    DEFAULT_DUE_MONTHS,
    current_version,
    current_versions,
    definition_of,
    review_interval,
    sync_builtins,
)
from zelfzorg.audit.models import AuditAction
from zelfzorg.contracting.history import record_activity
from zelfzorg.errors import N_, Forbidden, NotFound, ValidationError
from zelfzorg.models_base import UTCDateTime
from zelfzorg.notifications.services import endpoint_link, notify
from zelfzorg.patients.models import Enrolment, Patient, Programme
from zelfzorg.patients.population import enrolment_active_on, population_subquery

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EXPERIENCE_CODE = "sdm_experience"
OBJECT = "AssessmentResponse"
# Paths for notification links (services know no Flask); tests check them against url_for.
_VERSION_JOIN = col(InstrumentVersion.id) == AssessmentResponse.instrument_version_id
# Kinds a patient or professional may start freely; experience comes by invitation only.
STARTABLE = (
    InstrumentKind.ACTIVATION,
    InstrumentKind.SELF_EFFICACY,
    InstrumentKind.WELL_BEING,
    InstrumentKind.SYMPTOMS,
)


def local_date(moment: datetime) -> date:
    return moment.astimezone(AMSTERDAM).date()


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time.min, AMSTERDAM).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


# --- filling in --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseView:
    """A response with the definition of its own version and what its score means."""

    response: AssessmentResponse
    definition: InstrumentDefinition
    level: Level | None
    reason: str | None  # Dutch msgid when not scorable
    reason_params: dict

    @property
    def kind(self) -> InstrumentKind:
        return self.definition.kind

    @property
    def given_count(self) -> int:
        """Questions with any answer, "not applicable" included (what the patient did)."""
        return sum(1 for value in self.response.answers.values() if value is not None)

    @property
    def not_applicable_count(self) -> int:
        """Answers "not applicable": given, but not counted towards a score."""
        skipped = {o.value for o in self.definition.answer_options if o.not_applicable}
        return sum(1 for value in self.response.answers.values() if value in skipped)


def _view(response: AssessmentResponse, version: InstrumentVersion) -> ResponseView:
    definition = definition_of(version)
    level = next((lv for lv in definition.levels if lv.number == response.level), None)
    reason, params = None, {}
    if response.status == ResponseStatus.completed and not response.scorable:
        result = score(definition, response.answers)  # rescored with its own version
        reason, params = result.reason, result.reason_params
    return ResponseView(response, definition, level, reason, params)


def _load_response(
    session: Session, actor: Actor, response_id: int, *, write: bool
) -> tuple[AssessmentResponse, InstrumentVersion, Patient]:
    # Writes lock the row: concurrent saves of one response are serialised.
    response = load_for(session, actor, AssessmentResponse, response_id, write=write, lock=write)
    patient = session.get(Patient, response.patient_id)
    assert patient is not None  # foreign key
    version = session.get(InstrumentVersion, response.instrument_version_id)
    assert version is not None  # foreign key
    return response, version, patient


def may_fill_in(actor: Actor, kind: str) -> bool:
    """The experience questionnaire asks the patient's own view: nobody fills it in for them."""
    return actor.is_patient or kind != InstrumentKind.EXPERIENCE


def may_discard(actor: Actor, response: AssessmentResponse) -> bool:
    """Patients may delete their own unfinished questionnaires (not invitations)."""
    return (
        actor.is_patient
        and response.status == ResponseStatus.in_progress
        and response.context is None
    )


def check_filler(actor: Actor, kind: str) -> None:
    if not may_fill_in(actor, kind):
        raise Forbidden(N_("Alleen de patiënt zelf vult deze vragenlijst in."))


def start_response(
    session: Session, actor: Actor, *, patient_id: int, instrument_code: str, now: datetime
) -> AssessmentResponse:
    """Start a questionnaire for a patient, or resume the one already in progress."""
    patient = get_patient_for(
        session, actor, patient_id, write=True, action=AuditAction.create, object_type=OBJECT
    )
    sync_builtins(session)
    version = current_version(
        session, instrument_code, care_group_of_practice(session, patient.practice_id)
    )
    if version is None or InstrumentKind(version.kind) not in STARTABLE:
        raise NotFound(N_("Deze vragenlijst bestaat niet."))
    draft = session.exec(
        select(AssessmentResponse)
        .where(
            AssessmentResponse.patient_id == patient.id,
            AssessmentResponse.instrument_code == instrument_code,
            AssessmentResponse.status == ResponseStatus.in_progress,
            col(AssessmentResponse.context).is_(None),
        )
        .order_by(col(AssessmentResponse.started_at).desc())
    ).first()
    if draft is not None:
        return draft
    response = AssessmentResponse(
        patient_id=patient.id,
        instrument_version_id=version.id,
        instrument_code=version.code,
        instrument_version=version.version,
        status=ResponseStatus.in_progress,
        answers={},
        filled_by_id=actor.user_id,
        filled_by_role=str(actor.role),
        started_at=now,
    )
    session.add(response)
    session.flush()
    return response


def open_response(session: Session, actor: Actor, response_id: int) -> ResponseView:
    response, version, _patient = _load_response(session, actor, response_id, write=False)
    return _view(response, version)


def _parse_answers(
    definition: InstrumentDefinition, answers: Mapping[str, object]
) -> dict[str, int | None]:
    parsed: dict[str, int | None] = {}
    values = {option.value for option in definition.answer_options}
    for code, raw in answers.items():
        if definition.item(code) is None:
            raise ValidationError(
                N_("Vraag %(item)s hoort niet bij deze vragenlijst."), field=code, item=code
            )
        if raw is None or raw == "":
            parsed[code] = None
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
        if value is None or value not in values:
            raise ValidationError(
                N_("Kies bij deze vraag een van de antwoorden."), field=code, item=code
            )
        parsed[code] = value
    return parsed


def save_answers(
    session: Session,
    actor: Actor,
    *,
    response_id: int,
    answers: Mapping[str, object],
    now: datetime,
) -> AssessmentResponse:
    """Merge answers ({item code: value, or None/"" to clear}) into a response in progress."""
    response, version, _patient = _load_response(session, actor, response_id, write=True)
    check_filler(actor, version.kind)
    if response.status == ResponseStatus.completed:
        raise ValidationError(
            N_("Deze vragenlijst is al verstuurd. De antwoorden kunnen niet meer veranderen.")
        )
    definition = definition_of(version)
    merged = dict(response.answers)
    for code, value in _parse_answers(definition, answers).items():
        if value is None:
            merged.pop(code, None)
        else:
            merged[code] = value
    response.answers = merged  # a new dict, so the JSON column is written
    response.answered_count = score(definition, merged).answered_count
    session.add(response)
    session.flush()
    return response


def submit_response(
    session: Session, actor: Actor, *, response_id: int, now: datetime
) -> AssessmentResponse:
    """Score with the response's own version and store score, level, or why it has none."""
    response, version, _patient = _load_response(session, actor, response_id, write=True)
    check_filler(actor, version.kind)
    if response.status == ResponseStatus.completed:
        raise ValidationError(N_("Deze vragenlijst is al verstuurd."))
    result = score(definition_of(version), response.answers)
    response.status = ResponseStatus.completed
    response.completed_at = now
    response.answered_count = result.answered_count
    response.scorable = result.scorable
    response.not_scorable_reason = result.reason_code
    response.raw_score = float(result.raw)
    response.score = result.score
    response.level = result.level.number if result.level else None
    response.filled_by_id = actor.user_id
    response.filled_by_role = str(actor.role)
    session.add(response)
    session.flush()
    if version.kind == InstrumentKind.ACTIVATION.value:
        # The activation level is a fact of the lifestyle criteria.
        from zelfzorg.leefstijl import eligibility

        eligibility.changed_now(session, [response.patient_id], now)
    if actor.is_patient:
        record_activity(session, response.patient_id, "questionnaire", now)
    return response


def discard_draft(session: Session, actor: Actor, *, response_id: int) -> None:
    """Patients may delete their own unfinished questionnaires (not invitations)."""
    response, _version, _patient = _load_response(session, actor, response_id, write=True)
    if not may_discard(actor, response):
        raise ValidationError(N_("Deze vragenlijst kan niet worden verwijderd."))
    session.delete(response)
    session.flush()


# --- summaries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationSummary:
    response_id: int
    score: float
    level: int
    level_name: Text
    advice: Text  # for the professional
    patient_explanation: Text
    review_interval_weeks: int
    instrument_code: str
    instrument_version: str
    instrument_title: Text
    completed_at: datetime
    previous_score: float | None = None
    previous_level: int | None = None

    @property
    def advice_nl(self) -> str:
        return self.advice.nl

    @property
    def advice_en(self) -> str:
        return self.advice.en

    @property
    def trend(self) -> str | None:
        """'up', 'down' or 'same' against the previous scored assessment."""
        if self.previous_score is None:
            return None
        if self.score > self.previous_score:
            return "up"
        return "down" if self.score < self.previous_score else "same"


def _scored_activation():
    return (
        select(AssessmentResponse, InstrumentVersion)
        .join(InstrumentVersion, _VERSION_JOIN)
        .where(
            AssessmentResponse.status == ResponseStatus.completed,
            AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
            InstrumentVersion.kind == InstrumentKind.ACTIVATION.value,
        )
    )


def latest_activation(session: Session, patient_id: int) -> ActivationSummary | None:
    """The latest scored activation assessment, its advice and review interval.

    No audit entry: callers have loaded the patient through ``get_patient_for`` already.
    """
    rows = session.exec(
        _scored_activation()
        .where(AssessmentResponse.patient_id == patient_id)
        .order_by(col(AssessmentResponse.completed_at).desc(), col(AssessmentResponse.id).desc())
        .limit(2)
    ).all()
    if not rows:
        return None
    response, version = rows[0]
    definition = definition_of(version)
    level = next((lv for lv in definition.levels if lv.number == response.level), None)
    if level is None or response.score is None or response.completed_at is None:
        return None
    setting = session.exec(
        select(AssessmentSetting)
        .join(Practice, col(Practice.care_group_id) == AssessmentSetting.care_group_id)
        .join(Patient, col(Patient.practice_id) == Practice.id)
        .where(Patient.id == patient_id)
    ).first()
    previous = rows[1][0] if len(rows) > 1 else None
    return ActivationSummary(
        response_id=response.id,
        score=response.score,
        level=level.number,
        level_name=level.name,
        advice=level.professional_advice,
        patient_explanation=level.patient_explanation,
        review_interval_weeks=review_interval(setting, level.number, level.review_interval_weeks),
        instrument_code=version.code,
        instrument_version=version.version,
        instrument_title=definition.title,
        completed_at=response.completed_at,
        previous_score=previous.score if previous else None,
        previous_level=previous.level if previous else None,
    )


def _scored_level_conditions(before: datetime | None) -> list[sa.ColumnElement[bool]]:
    """A completed, scored activation assessment (any activation instrument), completed
    before ``before`` when given (with the instrument version joined)."""
    conditions = [
        AssessmentResponse.status == ResponseStatus.completed,
        AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
        col(AssessmentResponse.level).is_not(None),
        InstrumentVersion.kind == InstrumentKind.ACTIVATION.value,
    ]
    if before is not None:
        conditions.append(col(AssessmentResponse.completed_at) < before)
    return conditions


def latest_levels_subquery(
    patient_ids: Iterable[int] | sa.Select, *, before: datetime | None = None
):
    """``(patient_id, level)`` of each patient's latest scored activation assessment (any
    activation instrument: the built-in one or a care group's licensed PAM-13), completed
    before ``before`` when given. The one definition lifestyle eligibility and indicators use."""
    conditions = [
        col(AssessmentResponse.patient_id).in_(
            patient_ids if isinstance(patient_ids, sa.Select) else list(patient_ids)
        ),
        *_scored_level_conditions(before),
    ]
    ranked = (
        select(
            col(AssessmentResponse.patient_id).label("patient_id"),
            col(AssessmentResponse.level).label("level"),
            func.row_number()
            .over(
                partition_by=AssessmentResponse.patient_id,
                order_by=(
                    col(AssessmentResponse.completed_at).desc(),
                    col(AssessmentResponse.id).desc(),
                ),
            )
            .label("rank"),
        )
        .join(InstrumentVersion, _VERSION_JOIN)
        .where(*conditions)
        .subquery()
    )
    return (
        select(ranked.c.patient_id, ranked.c.level)
        .where(ranked.c.rank == 1)
        .subquery("latest_activation")
    )


def latest_activation_id(
    patient_id: sa.ColumnElement, *, before: datetime | None = None
) -> sa.ScalarSelect:
    """Id of the patient's latest scored activation assessment (completed before ``before``
    when given): the rows and order of :func:`latest_levels_subquery` as a correlated scalar
    subquery on ``patient_id`` (a column of the outer query), one probe of the patient's
    responses per patient. Joining ``latest_levels_subquery`` instead is fine for a few
    patients, but SQLite materialises it without an index and scans it once per patient:
    quadratic over a care group (50,000 patients: minutes)."""
    return _latest_activation(col(AssessmentResponse.id), patient_id, before)


def latest_activation_level(
    patient_id: sa.ColumnElement, *, before: datetime | None = None
) -> sa.ScalarSelect:
    """Level of that same assessment (:func:`latest_activation_id`), one probe per patient."""
    return _latest_activation(col(AssessmentResponse.level), patient_id, before)


def _latest_activation(column, patient_id: sa.ColumnElement, before: datetime | None):
    return (
        select(column)
        .join(InstrumentVersion, _VERSION_JOIN)
        .where(AssessmentResponse.patient_id == patient_id, *_scored_level_conditions(before))
        .order_by(col(AssessmentResponse.completed_at).desc(), col(AssessmentResponse.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def latest_levels(session: Session, patient_ids: Iterable[int]) -> dict[int, int]:
    """Latest scored activation level per patient, in one query."""
    ids = list(patient_ids)
    if not ids:
        return {}
    latest = latest_levels_subquery(ids)
    rows = session.execute(select(latest.c.patient_id, latest.c.level)).all()
    return {int(patient_id): int(level) for patient_id, level in rows}


@dataclass(frozen=True)
class PatientAssessments:
    patient: Patient
    completed: list[ResponseView]  # newest first
    drafts: list[ResponseView]
    available: list[InstrumentVersion]  # may be started now
    latest: ActivationSummary | None
    next_due: date | None
    trends: list[Trend]  # per instrument with a score, activation first
    fillable: frozenset[int] = frozenset()  # drafts the actor may fill in (response ids)
    discardable: frozenset[int] = frozenset()  # drafts the actor may delete


def _trends(completed: list[ResponseView]) -> list[Trend]:
    """Scored responses per instrument code, oldest first, from the views already loaded."""
    by_code: dict[str, list[ResponseView]] = {}
    for view in reversed(completed):  # completed is newest first
        response = view.response
        if response.scorable and response.score is not None and response.completed_at:
            by_code.setdefault(response.instrument_code, []).append(view)
    order = {InstrumentKind.ACTIVATION: 0, InstrumentKind.SELF_EFFICACY: 1}
    codes = sorted(by_code, key=lambda c: (order.get(by_code[c][-1].kind, 9), c))
    return [
        build_trend(
            code,
            [
                (
                    local_date(v.response.completed_at),  # type: ignore[arg-type]
                    v.response.score,
                    v.response.level,
                    v.response.instrument_version,
                )
                for v in by_code[code]
            ],
            by_code[code][-1].definition,
        )
        for code in codes
    ]


def patient_assessments(
    session: Session, actor: Actor, *, patient_id: int, today: date
) -> PatientAssessments:
    """All of a patient's questionnaires, for the patient's own page or the professional's."""
    patient = get_patient_for(session, actor, patient_id, object_type=OBJECT)
    sync_builtins(session)
    rows = session.exec(
        select(AssessmentResponse, InstrumentVersion)
        .join(InstrumentVersion, _VERSION_JOIN)
        .where(AssessmentResponse.patient_id == patient.id)
        .order_by(
            col(AssessmentResponse.completed_at).desc(),
            col(AssessmentResponse.started_at).desc(),
            col(AssessmentResponse.id).desc(),
        )
    ).all()
    views = [_view(response, version) for response, version in rows]
    care_group_id = care_group_of_practice(session, patient.practice_id)
    due = due_assessments(session, today=today, patient_id=patient.id)
    completed = [v for v in views if v.response.status == ResponseStatus.completed]
    drafts = [v for v in views if v.response.status == ResponseStatus.in_progress]
    return PatientAssessments(
        patient=patient,
        completed=completed,
        drafts=drafts,
        available=current_versions(session, care_group_id, kinds=STARTABLE),
        latest=latest_activation(session, patient.id),
        next_due=due[0].due if due else None,
        trends=_trends(completed),
        fillable=frozenset(v.response.id for v in drafts if may_fill_in(actor, v.kind)),  # type: ignore[misc]
        discardable=frozenset(v.response.id for v in drafts if may_discard(actor, v.response)),  # type: ignore[misc]
    )


# --- shared-decision-making experience (indicator I4) -------------------------------------------


def invite_experience_questionnaire(
    session: Session, *, patient_id: int, review_id: int, now: datetime
) -> AssessmentResponse | None:
    """After a plan review: a pending experience questionnaire and a notification for the
    patient's account, once per review. None when the patient does not exist."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        return None
    context = f"review:{review_id}"
    existing = session.exec(
        select(AssessmentResponse).where(
            AssessmentResponse.patient_id == patient_id,
            AssessmentResponse.context == context,
        )
    ).first()
    account = session.exec(
        select(User).where(User.patient_id == patient_id, User.role == Role.patient)
    ).first()
    response = existing
    if response is None:
        sync_builtins(session)
        version = current_version(
            session, EXPERIENCE_CODE, care_group_of_practice(session, patient.practice_id)
        )
        if version is None:
            return None
        response = AssessmentResponse(
            patient_id=patient_id,
            instrument_version_id=version.id,
            instrument_code=version.code,
            instrument_version=version.version,
            status=ResponseStatus.in_progress,
            answers={},
            filled_by_id=account.id if account else None,
            filled_by_role=str(Role.patient),
            context=context,
            started_at=now,
        )
        session.add(response)
        session.flush()
    if account is not None and account.is_active and response.status == ResponseStatus.in_progress:
        notify(
            session,
            user_id=account.id,
            key=f"assessment:experience:{context}",
            kind="assessment_experience",
            message=N_("Hoe ging het gesprek over uw zorgplan? Vul drie korte vragen in."),
            link=endpoint_link("assessment.fill", response_id=response.id),
            patient_id=patient_id,
            now=now,
        )
    return response


@dataclass(frozen=True)
class ExperienceScore:
    mean: float | None  # two decimals; None without responses
    count: int


def _experience_query(start: date, end: date):
    return (
        select(func.avg(AssessmentResponse.score), func.count(col(AssessmentResponse.id)))
        .join(InstrumentVersion, _VERSION_JOIN)
        .join(Patient, col(Patient.id) == AssessmentResponse.patient_id)
        .where(
            InstrumentVersion.kind == InstrumentKind.EXPERIENCE.value,
            AssessmentResponse.status == ResponseStatus.completed,
            AssessmentResponse.scorable == True,  # noqa: E712 - SQL expression
            col(AssessmentResponse.completed_at) >= _utc_start(start),
            col(AssessmentResponse.completed_at) < _utc_start(end + timedelta(days=1)),
        )
    )


def _experience(mean: object, count: int) -> ExperienceScore:
    if not count or mean is None:
        return ExperienceScore(None, 0)
    return ExperienceScore(float(round_half_up(Decimal(str(mean)), 2)), int(count))


def experience_score(
    session: Session, *, start: date, end: date, practice_ids: Iterable[int] | None = None
) -> ExperienceScore:
    """Mean shared-decision experience score and response count, completed in [start, end]
    (days in Europe/Amsterdam); limited to patients of ``practice_ids`` when given."""
    query = _experience_query(start, end)
    if practice_ids is not None:
        query = query.where(col(Patient.practice_id).in_(list(practice_ids)))
    mean, count = session.exec(query).one()
    return _experience(mean, count)


def experience_scores_by_practice(
    session: Session, *, start: date, end: date, practice_ids: Iterable[int]
) -> dict[int, ExperienceScore]:
    """The same per practice, in one query; practices without responses get (None, 0)."""
    ids = list(practice_ids)
    rows = session.exec(
        _experience_query(start, end)
        .add_columns(Patient.practice_id)
        .where(col(Patient.practice_id).in_(ids))
        .group_by(Patient.practice_id)
    ).all()
    found = {practice_id: _experience(mean, count) for mean, count, practice_id in rows}
    return {pid: found.get(pid, ExperienceScore(None, 0)) for pid in ids}


# --- when is the next activation assessment due --------------------------------------------------


@dataclass(frozen=True)
class DueAssessment:
    patient_id: int
    patient_name: str
    practice_id: int
    due: date
    last_completed: date | None
    user_id: int | None  # the patient's active account, if any


def due_months(session: Session, practice_ids: Collection[int] | None = None) -> dict[int, int]:
    """{practice: months between activation assessments} (the care group's setting)."""
    months_query = select(Practice.id, AssessmentSetting.due_interval_months).outerjoin(
        AssessmentSetting, col(AssessmentSetting.care_group_id) == Practice.care_group_id
    )
    if practice_ids is not None:
        months_query = months_query.where(col(Practice.id).in_(list(practice_ids)))
    return {pid: m or DEFAULT_DUE_MONTHS for pid, m in session.exec(months_query).all()}


def next_due(
    *,
    since: date,
    last_completed: datetime | None,
    months: int,
    registered: datetime,
    today: date,
) -> date:
    """When the next activation assessment is due: ``months`` after the last completed one;
    without one, when care started, but never before the patient was registered here (a
    patient in care since 2018 who joined the platform last week is due now, not "overdue
    since 2018"). A registration after ``today`` (asked about a past day) is left out, so the
    date does not move with ``today``."""
    if last_completed is not None:
        return add_months(local_date(last_completed), months)
    joined = local_date(registered)
    return max(since, joined) if joined <= today else since


def in_care_since(today: date, patient_ids: sa.Select | None = None):
    """(patient_id, since): the start of the earliest enrolment active on ``today``
    (of the patients ``patient_ids`` selects, when given)."""
    stmt = select(Enrolment.patient_id, func.min(Enrolment.start_date).label("since")).where(
        enrolment_active_on(today)
    )
    if patient_ids is not None:
        stmt = stmt.where(col(Enrolment.patient_id).in_(patient_ids))
    return stmt.group_by(Enrolment.patient_id).subquery("in_care")


def last_activation_completed(
    kind: InstrumentKind = InstrumentKind.ACTIVATION, patient_ids: sa.Select | None = None
):
    """(patient_id, last): when each patient last completed an assessment of ``kind`` (of the
    patients ``patient_ids`` selects, when given)."""
    stmt = (
        select(
            AssessmentResponse.patient_id,
            func.max(AssessmentResponse.completed_at).label("last"),
        )
        .join(InstrumentVersion, _VERSION_JOIN)
        .where(
            AssessmentResponse.status == ResponseStatus.completed,
            InstrumentVersion.kind == kind.value,
        )
    )
    if patient_ids is not None:
        stmt = stmt.where(col(AssessmentResponse.patient_id).in_(patient_ids))
    return stmt.group_by(AssessmentResponse.patient_id).subquery("last_activation")


def _may_be_due_by(limit: date, months: Mapping[int, int], practice_id, in_care, last):
    """SQL that keeps every patient whose assessment can be due on or before ``limit`` (and
    drops nearly all others), so a daily job reads the few due rows instead of everyone.

    Due is ``months`` after the last completed one: ``add_months(d, m) <= limit`` holds for
    every local day ``d <= add_months(limit, -m)`` and for none more than 3 days after it (a
    month end: 31 January + 1 month is 28 February), so the cut is 4 days after that day, and
    :func:`next_due` decides exactly in Python. Without a completed one the due date is never
    before care started."""
    by_months: dict[int, list[int]] = {}
    for practice, m in months.items():
        by_months.setdefault(m, []).append(practice)

    def cutoff(m: int) -> datetime:
        return _utc_start(add_months(limit, -m) + timedelta(days=4))

    last_before = sa.case(
        *[
            (practice_id.in_(sorted(ids)), sa.literal(cutoff(m), UTCDateTime()))
            for m, ids in sorted(by_months.items())
        ],
        else_=sa.literal(cutoff(DEFAULT_DUE_MONTHS), UTCDateTime()),
    )
    return sa.or_(
        sa.and_(last.c.last.is_(None), in_care.c.since <= limit),
        last.c.last < last_before,
    )


def due_assessments(
    session: Session,
    *,
    today: date,
    practice_ids: Collection[int] | None = None,
    patient_id: int | None = None,
    horizon_days: int | None = None,
    kind: InstrumentKind = InstrumentKind.ACTIVATION,
    programmes: Collection[Programme] | None = None,
) -> list[DueAssessment]:
    """Patients in care (an active enrolment) and when their next activation assessment is due
    (see :func:`next_due`). Two queries in all. Patients count for their practice of ``today``
    (the population, limited to ``practice_ids``).

    With ``horizon_days`` only those due on or before today + horizon; otherwise everyone.
    ``kind`` asks the same for another kind of questionnaire (the outcome sets' well-being
    PROM follows the activation schedule), ``programmes`` limits to patients enrolled in one.
    """
    months = due_months(session, practice_ids)
    # One patient (the dashboard /mijn): their own enrolments and responses only, not a
    # GROUP BY over the whole care group joined to one row (1.4 s at 50,000 patients).
    only = select(sa.literal(patient_id, sa.Integer)) if patient_id is not None else None
    in_care = in_care_since(today, only)
    last = last_activation_completed(kind, only)
    pop = population_subquery(today, practice_ids=practice_ids, programmes=programmes)
    query = (
        select(
            Patient.id,
            Patient.given_name,
            Patient.family_name,
            Patient.created_at,
            pop.c.practice_id,
            in_care.c.since,
            last.c.last,
            User.id,
            User.is_active,
        )
        .join(pop, pop.c.patient_id == Patient.id)
        .join(in_care, in_care.c.patient_id == Patient.id)
        .outerjoin(last, last.c.patient_id == Patient.id)
        .outerjoin(User, col(User.patient_id) == Patient.id)
    )
    if patient_id is not None:
        query = query.where(Patient.id == patient_id)
    result = []
    limit = today + timedelta(days=horizon_days) if horizon_days is not None else None
    if limit is not None:
        query = query.where(_may_be_due_by(limit, months, pop.c.practice_id, in_care, last))
    for row in session.exec(query):
        pid, given, family, registered, practice, since, last_at, user_id, active = row
        due = next_due(
            since=since,
            last_completed=last_at,
            months=months.get(practice, DEFAULT_DUE_MONTHS),
            registered=registered,
            today=today,
        )
        if limit is not None and due > limit:
            continue
        result.append(
            DueAssessment(
                patient_id=pid,
                patient_name=f"{given} {family}",
                practice_id=practice,
                due=due,
                last_completed=local_date(last_at) if last_at is not None else None,
                user_id=user_id if active else None,
            )
        )
    return sorted(result, key=lambda d: (d.due, d.patient_name, d.patient_id))
