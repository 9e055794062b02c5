"""Care plan use cases: plan, goals, actions, reviews (PDCA), history, coverage.

Every function takes ``session, actor`` and keyword values, goes through ``get_patient_for``
(scope check and audit entry) and flushes, never commits. Plans and goals use optimistic
locking: the caller passes the version its form was based on; a stale one raises
:class:`Conflict` whose ``current`` is a :class:`ConflictInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.accounts.scope import Actor, audit, audit_shown, get_patient_for, not_found
from zelfzorg.assessment.services import invite_experience_questionnaire, latest_activation
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.contracting.history import record_activity, record_goal_state
from zelfzorg.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.izp import pdca
from zelfzorg.izp.models import (
    TEXT_MAX,
    ActionLog,
    CarePlan,
    Goal,
    GoalAction,
    GoalReview,
    PlanAgreement,
    Proposer,
    Revision,
    SelfManagementModule,
)
from zelfzorg.izp.progress import Progress, compute_progress
from zelfzorg.izp.revisions import FieldChange, diff_fields, state_at, to_json_value
from zelfzorg.izp.targets import MEASUREMENT_TYPES, normalise_unit
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.services import endpoint_link
from zelfzorg.patients.models import Enrolment, Patient, Programme
from zelfzorg.patients.population import enrolment_active_on
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.rules import make_target
from zelfzorg.telemonitoring.targets import active_goal_target, end_goal_target, set_goal_target
from zelfzorg.telemonitoring.types import get_type

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

#: Default weeks between reviews (the activation level will tailor this later).
REVIEW_INTERVAL_WEEKS = 12

PLAN_FIELDS = (
    "what_matters",
    "life_goals",
    "support_needs",
    "modules",
    "next_review_date",
    "conditions",
)
#: What a patient may change on their own plan: their own words.
PATIENT_PLAN_FIELDS = frozenset({"what_matters", "life_goals"})

GOAL_FIELDS = (
    "title",
    "domain",
    "programmes",
    "target_type",
    "target_comparator",
    "target_value",
    "target_unit",
    "due_date",
    "review_date",
    "lifecycle",
    "achievement",
    "agreed_by_patient_at",
    "agreed_by_professional_at",
)
#: What a patient may change on a goal (the rest is agreed with or set by the professional).
PATIENT_GOAL_FIELDS = frozenset({"title", "domain"})
GOAL_EDIT_FIELDS = (
    "title",
    "domain",
    "programmes",
    "target_type",
    "target_comparator",
    "target_value",
    "target_unit",
    "due_date",
    "review_date",
    "lifecycle",
)
#: What the goal *is*: a change to one of these by one party asks the other to agree again.
#: Review date, status and area are the practice's planning, not the substance.
SUBSTANCE_FIELDS = (
    "title",
    "programmes",
    "target_type",
    "target_comparator",
    "target_value",
    "target_unit",
    "due_date",
)
GOAL_CHANGED = N_(
    'Uw zorgverlener heeft uw doel "%(title)s" aangepast. Kijk of u het ermee eens bent en '
    "geef opnieuw akkoord in Mijn plan."
)
ACTION_FIELDS = ("what", "who", "how_often")
ACTION_TEXT_MAX = {"what": 200, "who": 100, "how_often": 100}
OPEN_LIFECYCLES = (
    pdca.GoalLifecycle.PROPOSED.value,
    pdca.GoalLifecycle.ACTIVE.value,
    pdca.GoalLifecycle.ON_HOLD.value,
)


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class PlanInput:
    what_matters: str = ""
    life_goals: str = ""
    support_needs: str = ""
    modules: list[str] = field(default_factory=list)
    next_review_date: date | None = None
    conditions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GoalInput:
    title: str | None = ""
    domain: str | None = ""
    programmes: list[str] = field(default_factory=list)
    target_type: str | None = ""
    target_comparator: str | None = ""
    target_value: str | float | None = ""
    target_unit: str | None = ""
    due_date: date | None = None
    review_date: date | None = None
    lifecycle: str | None = None  # edits only; None keeps the status


@dataclass(frozen=True)
class ConflictInfo:
    """What the other person saved: current values, the fields they changed, who and when."""

    values: dict
    changed_fields: list[str]
    changed_by: str
    changed_at: datetime | None
    version: int


def _text(value: str | None, field_name: str, max_length: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationError(
            N_("Deze tekst is te lang. Gebruik hoogstens %(max)d tekens."),
            field=field_name,
            max=max_length,
        )
    if "\x00" in text:
        raise ValidationError(
            N_("Deze tekst bevat een teken dat niet is toegestaan."), field=field_name
        )
    return text


def _programmes(values: list[str], field_name: str) -> list[str]:
    allowed = {p.value for p in Programme}
    if any(v not in allowed for v in values):
        raise ValidationError(N_("Kies alleen zorgprogramma's uit de lijst."), field=field_name)
    return sorted(set(values))


def clean_plan(data: PlanInput, *, today: date) -> dict:
    values = {
        name: _text(getattr(data, name), name)
        for name in ("what_matters", "life_goals", "support_needs")
    }
    modules = {m.value for m in SelfManagementModule}
    if any(m not in modules for m in data.modules):
        raise ValidationError(N_("Kies alleen modules uit de lijst."), field="modules")
    values["modules"] = sorted(set(data.modules))
    values["conditions"] = _programmes(list(data.conditions), "conditions")
    if data.next_review_date is not None and data.next_review_date < today:
        raise ValidationError(
            N_("De datum van de evaluatie ligt in het verleden. Kies vandaag of later."),
            field="next_review_date",
        )
    values["next_review_date"] = data.next_review_date
    return values


def clean_goal(data: GoalInput, *, today: date, check_dates: bool = True) -> dict:
    """Goal input as model values, or FormValidationError listing every wrong field."""
    errors: dict[str, ValidationError] = {}
    try:
        cleaned = pdca.validate_goal_input(
            data.title,
            data.domain,
            data.target_type,
            data.target_comparator,
            data.target_value,
            data.target_unit,
            data.due_date if check_dates else None,
            data.review_date if check_dates else None,
            today,
        )
    except pdca.FormValidationError as error:
        errors.update(error.errors)
        cleaned = None
    unit = None
    if cleaned is not None and cleaned.target is not None:
        if cleaned.target.measurement_type not in MEASUREMENT_TYPES:
            errors["target_type"] = ValidationError(
                N_("Kies een geldige soort meting."), field="target_type"
            )
        else:
            unit = normalise_unit(cleaned.target.measurement_type, cleaned.target.unit)
            if unit is None:
                kind = MEASUREMENT_TYPES[cleaned.target.measurement_type]
                errors["target_unit"] = ValidationError(
                    N_("Deze eenheid past niet bij deze meting. Gebruik %(unit)s."),
                    field="target_unit",
                    unit=kind.display_unit,
                )
            else:
                # The same check telemonitoring applies to a personal target: a value no
                # reading could ever reach is refused here, before anything is saved.
                try:
                    goal_target_bounds(
                        cleaned.target.measurement_type,
                        cleaned.target.comparator.value,
                        cleaned.target.value,
                    )
                except ValidationError as error:
                    errors["target_value"] = ValidationError(
                        error.message, field="target_value", **error.params
                    )
    try:
        programmes = _programmes(list(data.programmes), "programmes")
    except ValidationError as error:
        errors["programmes"] = error
        programmes = []
    if errors:
        raise pdca.FormValidationError(errors)
    assert cleaned is not None
    target = cleaned.target
    return {
        "title": cleaned.title,
        "domain": cleaned.domain.value,
        "programmes": programmes,
        "target_type": target.measurement_type if target else None,
        "target_comparator": target.comparator.value if target else None,
        "target_value": target.value if target else None,
        "target_unit": unit if target else None,
        "due_date": data.due_date,
        "review_date": data.review_date,
    }


# ---------------------------------------------------------------------------------------------
# Helpers: revisions, locking, loading


def _snapshot(obj: object, fields: tuple[str, ...]) -> dict:
    return {name: to_json_value(getattr(obj, name)) for name in fields}


def _write_revision(
    session: Session,
    actor: Actor,
    *,
    plan_id: int,
    patient_id: int,
    obj: CarePlan | Goal | GoalAction | PlanAgreement,
    changes: list[FieldChange],
    now: datetime,
) -> Revision | None:
    if not changes:
        return None
    revision = Revision(
        plan_id=plan_id,
        patient_id=patient_id,
        object_type=type(obj).__name__,
        object_id=obj.id,  # type: ignore[arg-type]
        version=getattr(obj, "version", 1),
        user_id=actor.user_id,
        user_name=actor.user.name,
        at=now,
        changes=[c.to_json() for c in changes],
    )
    session.add(revision)
    return revision


def _created(obj: object, fields: tuple[str, ...]) -> list[FieldChange]:
    return diff_fields({}, _snapshot(obj, fields), fields)


def _claim_version(session: Session, model: type, obj_id: int, expected: int) -> bool:
    """Compare-and-set the version in the database, so two writers can never both win."""
    result = session.execute(
        update(model)
        .where(model.id == obj_id, model.version == expected)  # type: ignore[attr-defined]
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _conflict(
    session: Session,
    obj: CarePlan | Goal | PlanAgreement,
    fields: tuple[str, ...],
    since_version: int,
) -> Conflict:
    session.refresh(obj)
    revisions = session.exec(
        select(Revision)
        .where(
            Revision.object_type == type(obj).__name__,
            Revision.object_id == obj.id,
            Revision.version > since_version,
        )
        .order_by(Revision.at, Revision.id)
    ).all()
    changed: list[str] = []
    for revision in revisions:
        for change in revision.changes:
            if change["field"] not in changed:
                changed.append(change["field"])
    last = revisions[-1] if revisions else None
    info = ConflictInfo(
        values=_snapshot(obj, fields),
        changed_fields=changed,
        changed_by=last.user_name if last else "",
        changed_at=last.at if last else None,
        version=obj.version,
    )
    return Conflict(
        N_(
            "Iemand anders heeft dit intussen ook aangepast. Wij hebben uw wijziging niet "
            "opgeslagen. Bekijk wat de ander veranderde en sla daarna opnieuw op."
        ),
        current=info,
    )


def _plan_for_patient(session: Session, patient_id: int) -> CarePlan | None:
    return session.exec(select(CarePlan).where(CarePlan.patient_id == patient_id)).first()


def _load_goal(
    session: Session, actor: Actor, goal_id: int, *, write: bool, action: AuditAction | None = None
) -> Goal:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise not_found(
            session,
            actor,
            object_type="Goal",
            object_id=goal_id,
            write=write,
            action=action,
            message=N_("Dit doel bestaat niet of u heeft er geen toegang toe."),
        )
    get_patient_for(
        session,
        actor,
        goal.patient_id,
        write=write,
        action=action,
        object_type="Goal",
        object_id=goal.id,
    )
    return goal


def _deny(session: Session, actor: Actor, *, object_type: str, object_id, patient_id, detail):
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        outcome=AuditOutcome.denied,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Plan


@dataclass
class PlanView:
    patient: Patient
    plan: CarePlan | None
    goals: list[Goal]
    actions: dict[int, list[GoalAction]]
    open_reviews: dict[int, GoalReview]
    programmes: list[Programme]  # active enrolments
    coverage: list[Coverage]
    agreements: list[PlanAgreement] = field(default_factory=list)


@dataclass(frozen=True)
class Coverage:
    programme: str
    goal_ids: list[int]
    in_plan: bool

    @property
    def uncovered(self) -> bool:
        return not self.goal_ids and not self.in_plan


def active_programmes(session: Session, patient_id: int, today: date) -> list[Programme]:
    rows = session.exec(
        select(Enrolment.programme)
        .where(Enrolment.patient_id == patient_id, enrolment_active_on(today))
        .order_by(Enrolment.programme)
    ).all()
    return sorted({Programme(p) for p in rows})


def coverage(
    plan: CarePlan | None, goals: list[Goal], programmes: list[Programme]
) -> list[Coverage]:
    """Per enrolled programme: which open or completed goals address it, and the plan's list."""
    result = []
    for programme in programmes:
        ids = [
            g.id
            for g in goals
            if programme.value in (g.programmes or []) and g.lifecycle != "cancelled"
        ]
        in_plan = plan is not None and programme.value in (plan.conditions or [])
        result.append(Coverage(programme.value, ids, in_plan))  # type: ignore[arg-type]
    return result


def open_plan(session: Session, actor: Actor, patient_id: int, *, today: date) -> PlanView:
    """The patient's plan with goals, actions, open reviews and coverage (audited read)."""
    patient = get_patient_for(session, actor, patient_id, object_type="CarePlan")
    plan = _plan_for_patient(session, patient.id)  # type: ignore[arg-type]
    goals: list[Goal] = []
    actions: dict[int, list[GoalAction]] = {}
    reviews: dict[int, GoalReview] = {}
    if plan is not None:
        goals = list(
            session.exec(
                select(Goal)
                .where(Goal.plan_id == plan.id)
                .order_by(col(Goal.review_date).is_(None), Goal.review_date, Goal.id)
            ).all()
        )
        for action in session.exec(
            select(GoalAction).where(GoalAction.patient_id == patient.id).order_by(GoalAction.id)
        ).all():
            actions.setdefault(action.goal_id, []).append(action)
        for review in session.exec(
            select(GoalReview).where(
                GoalReview.patient_id == patient.id, col(GoalReview.decision).is_(None)
            )
        ).all():
            reviews[review.goal_id] = review
    programmes = active_programmes(session, patient.id, today)  # type: ignore[arg-type]
    agreements = []
    if plan is not None:
        from zelfzorg.izp.agreements import agreements_for

        agreements = agreements_for(session, plan.id)  # type: ignore[arg-type]
    return PlanView(
        patient,
        plan,
        goals,
        actions,
        reviews,
        programmes,
        coverage(plan, goals, programmes),
        agreements,
    )


def _create_plan(session: Session, actor: Actor, patient: Patient, now: datetime) -> CarePlan:
    plan = CarePlan(
        patient_id=patient.id,  # type: ignore[arg-type]
        created_by_id=actor.user_id,
        updated_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(plan)
    except IntegrityError:  # someone created it at the same moment: one plan per patient
        existing = _plan_for_patient(session, patient.id)  # type: ignore[arg-type]
        assert existing is not None
        return existing
    _write_revision(
        session,
        actor,
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        obj=plan,
        changes=_created(plan, PLAN_FIELDS),
        now=now,
    )
    session.flush()
    return plan


def get_or_create_plan(
    session: Session, actor: Actor, patient_id: int, *, now: datetime | None = None
) -> CarePlan:
    """The patient's one plan; created when there is none (never a second one)."""
    patient = get_patient_for(
        session, actor, patient_id, write=True, object_type="CarePlan", action=AuditAction.update
    )
    plan = _plan_for_patient(session, patient.id)  # type: ignore[arg-type]
    if plan is not None:
        return plan
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type="CarePlan",
        patient_id=patient.id,
    )
    return _create_plan(session, actor, patient, now or utcnow())


def update_plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: PlanInput,
    *,
    version: int,
    today: date,
    now: datetime | None = None,
) -> CarePlan:
    """Save the plan fields; a patient changes only their own words (what matters, life goals)."""
    now = now or utcnow()
    patient = get_patient_for(session, actor, patient_id, write=True, object_type="CarePlan")
    plan = _plan_for_patient(session, patient.id)  # type: ignore[arg-type]
    if plan is None:
        raise NotFound(N_("Deze patiënt heeft nog geen plan."))
    values = clean_plan(data, today=today)
    if actor.is_patient:
        forbidden = [
            name
            for name in PLAN_FIELDS
            if name not in PATIENT_PLAN_FIELDS
            and to_json_value(values[name]) != to_json_value(getattr(plan, name))
        ]
        if forbidden:
            _deny(
                session,
                actor,
                object_type="CarePlan",
                object_id=plan.id,
                patient_id=patient.id,
                detail="professional-only fields: " + ",".join(forbidden),
            )
            raise Forbidden(N_("Dit deel van het plan past uw zorgverlener aan."))
    before = _snapshot(plan, PLAN_FIELDS)
    changes = diff_fields(before, values, PLAN_FIELDS)
    if version != plan.version:
        raise _conflict(session, plan, PLAN_FIELDS, version)
    if not changes:
        return plan
    if not _claim_version(session, CarePlan, plan.id, version):  # type: ignore[arg-type]
        raise _conflict(session, plan, PLAN_FIELDS, version)
    for name in PLAN_FIELDS:
        setattr(plan, name, values[name])
    plan.version = version + 1
    plan.updated_at = now
    plan.updated_by_id = actor.user_id
    session.add(plan)
    _write_revision(
        session, actor, plan_id=plan.id, patient_id=patient.id, obj=plan, changes=changes, now=now
    )
    session.flush()
    return plan


# ---------------------------------------------------------------------------------------------
# Goals


def propose_goal(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: GoalInput,
    *,
    today: date,
    now: datetime | None = None,
) -> Goal:
    """A new goal proposed by the patient or a professional; the proposer agrees with it."""
    now = now or utcnow()
    patient = get_patient_for(
        session, actor, patient_id, write=True, action=AuditAction.create, object_type="Goal"
    )
    if not (actor.is_patient or actor.is_professional):
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    values = clean_goal(data, today=today)
    plan = _plan_for_patient(session, patient.id) or _create_plan(  # type: ignore[arg-type]
        session, actor, patient, now
    )
    goal = Goal(
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        proposed_by=Proposer.patient if actor.is_patient else Proposer.professional,
        proposed_by_id=actor.user_id,
        lifecycle=pdca.GoalLifecycle.PROPOSED.value,
        achievement=pdca.AchievementStatus.IN_PROGRESS.value,
        created_at=now,
        updated_at=now,
        updated_by_id=actor.user_id,
        **values,
    )
    if actor.is_patient:
        goal.agreed_by_patient_at, goal.agreed_by_patient_id = now, actor.user_id
    else:
        goal.agreed_by_professional_at, goal.agreed_by_professional_id = now, actor.user_id
    session.add(goal)
    session.flush()
    _write_revision(
        session,
        actor,
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        obj=goal,
        changes=_created(goal, GOAL_FIELDS),
        now=now,
    )
    session.flush()
    record_goal_state(session, goal, now)
    return goal


def agree_goal(
    session: Session, actor: Actor, goal_id: int, *, today: date, now: datetime | None = None
) -> Goal:
    """The other party agrees; with both agreements a proposed goal becomes active."""
    now = now or utcnow()
    goal = _load_goal(session, actor, goal_id, write=True)
    if goal.lifecycle in (pdca.GoalLifecycle.COMPLETED, pdca.GoalLifecycle.CANCELLED):
        raise ValidationError(N_("Dit doel is afgerond of gestopt."))
    before = _snapshot(goal, GOAL_FIELDS)
    if actor.is_patient:
        if goal.agreed_by_patient_at is not None:
            return goal
        goal.agreed_by_patient_at, goal.agreed_by_patient_id = now, actor.user_id
    elif actor.is_professional:
        if goal.agreed_by_professional_at is not None:
            return goal
        goal.agreed_by_professional_at, goal.agreed_by_professional_id = now, actor.user_id
    else:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    if goal.lifecycle == pdca.GoalLifecycle.PROPOSED and pdca.is_agreed(
        goal.agreed_by_patient_at, goal.agreed_by_professional_at
    ):
        goal.lifecycle = pdca.GoalLifecycle.ACTIVE.value
        if goal.review_date is None or goal.review_date < today:
            goal.review_date = today + timedelta(weeks=REVIEW_INTERVAL_WEEKS)
    _save_goal(session, actor, goal, before, goal.version, now)
    return goal


def _save_goal(
    session: Session,
    actor: Actor,
    goal: Goal,
    before: dict,
    version: int,
    now: datetime,
    *,
    claimed: bool = False,
) -> None:
    changes = diff_fields(before, _snapshot(goal, GOAL_FIELDS), GOAL_FIELDS)
    if not changes and not claimed:
        return
    if not claimed and not _claim_version(session, Goal, goal.id, version):  # type: ignore[arg-type]
        session.expunge(goal)
        fresh = session.get(Goal, goal.id)
        assert fresh is not None
        raise _conflict(session, fresh, GOAL_EDIT_FIELDS, version)
    goal.version = version + 1
    goal.updated_at = now
    goal.updated_by_id = actor.user_id
    session.add(goal)
    sync_goal_target(session, goal, set_by_id=actor.user_id, now=now)
    _write_revision(
        session,
        actor,
        plan_id=goal.plan_id,
        patient_id=goal.patient_id,
        obj=goal,
        changes=changes,
        now=now,
    )
    session.flush()
    record_goal_state(session, goal, now)


def goal_target_bounds(type_code: str, comparator: str, value: float) -> tuple[float | None, ...]:
    """(low, high) of a goal target as a telemonitoring target; validates plausibility."""
    low, high = (None, value) if comparator in ("<", "<=") else (value, None)
    make_target(get_type(type_code), comparator, low=low, high=high)
    return low, high


def sync_goal_target(session: Session, goal: Goal, *, set_by_id: int | None, now: datetime) -> None:
    """An agreed, running goal with a measurable target is the patient's personal target for
    that measurement (shown with every value, used by the alert rules); otherwise it is not."""
    running = goal.lifecycle in (pdca.GoalLifecycle.ACTIVE, pdca.GoalLifecycle.ON_HOLD)
    agreed = pdca.is_agreed(goal.agreed_by_patient_at, goal.agreed_by_professional_at)
    if running and not agreed:
        return  # a change waits for the other party: the last agreed target stays in force
    if not (running and agreed and goal.target_type and goal.target_value is not None):
        end_goal_target(session, goal_id=goal.id, now=now)  # type: ignore[arg-type]
        return
    low, high = goal_target_bounds(goal.target_type, goal.target_comparator, goal.target_value)
    current = active_goal_target(session, goal.id)  # type: ignore[arg-type]
    if current is not None and (
        current.type_code,
        current.comparator,
        current.low,
        current.high,
    ) == (goal.target_type, goal.target_comparator, low, high):
        return
    set_goal_target(
        session,
        patient_id=goal.patient_id,
        goal_id=goal.id,  # type: ignore[arg-type]
        type_code=goal.target_type,
        comparator=goal.target_comparator,
        low=low,
        high=high,
        set_by_id=set_by_id,
        now=now,
    )


def edit_goal(
    session: Session,
    actor: Actor,
    goal_id: int,
    data: GoalInput,
    *,
    version: int,
    today: date,
    now: datetime | None = None,
) -> Goal:
    """Change a goal. A patient changes only title and area; a professional everything else,
    including a direct status change (pdca.check_lifecycle_transition)."""
    now = now or utcnow()
    goal = _load_goal(session, actor, goal_id, write=True)
    if goal.lifecycle in (pdca.GoalLifecycle.COMPLETED, pdca.GoalLifecycle.CANCELLED):
        raise ValidationError(
            N_(
                "Dit doel is afgerond of gestopt en kan niet meer veranderen. "
                "Maak zo nodig een nieuw doel."
            )
        )
    # Dates that were already set and did not change may lie in the past now; only new ones
    # must be today or later.
    values = clean_goal(data, today=today, check_dates=False)
    date_errors: dict[str, ValidationError] = {}
    if data.due_date is not None and data.due_date != goal.due_date and data.due_date < today:
        date_errors["due_date"] = ValidationError(
            N_("De streefdatum ligt in het verleden. Kies vandaag of later."), field="due_date"
        )
    if (
        data.review_date is not None
        and data.review_date != goal.review_date
        and data.review_date < today
    ):
        date_errors["review_date"] = ValidationError(
            N_("De datum van de evaluatie ligt in het verleden. Kies vandaag of later."),
            field="review_date",
        )
    if date_errors:
        raise pdca.FormValidationError(date_errors)
    values["lifecycle"] = goal.lifecycle
    if data.lifecycle and actor.is_professional:
        values["lifecycle"] = pdca.check_lifecycle_transition(
            goal.lifecycle,
            data.lifecycle,
            agreed=pdca.is_agreed(goal.agreed_by_patient_at, goal.agreed_by_professional_at),
        ).value
    if actor.is_patient:
        forbidden = [
            name
            for name in GOAL_EDIT_FIELDS
            if name not in PATIENT_GOAL_FIELDS
            and name in values
            and to_json_value(values[name]) != to_json_value(getattr(goal, name))
        ]
        if forbidden:
            _deny(
                session,
                actor,
                object_type="Goal",
                object_id=goal.id,
                patient_id=goal.patient_id,
                detail="professional-only fields: " + ",".join(forbidden),
            )
            raise Forbidden(N_("Dit deel van het doel past uw zorgverlener aan."))
    if version != goal.version:
        raise _conflict(session, goal, GOAL_EDIT_FIELDS, version)
    before = _snapshot(goal, GOAL_FIELDS)
    for name in GOAL_EDIT_FIELDS:
        setattr(goal, name, values[name])
    reagree = _ask_agreement_again(goal, actor, before, now)
    _save_goal(session, actor, goal, before, version, now)
    if reagree and actor.is_professional:
        _notify_patient_of_change(session, goal, now)
    return goal


def _ask_agreement_again(goal: Goal, actor: Actor, before: dict, now: datetime) -> bool:
    """A goal is agreed by both; when one party changes what it is, the other party's
    agreement no longer covers it. The editor agrees with their own version and the other's
    agreement is cleared, so both see "waiting for agreement" until they agree again.

    The goal stays active: actions, logging and the review date go on, and the personal
    target of the last agreed version stays in force (see :func:`sync_goal_target`)."""
    changed = [
        name
        for name in SUBSTANCE_FIELDS
        if to_json_value(before[name]) != to_json_value(getattr(goal, name))
    ]
    if not changed or not (goal.agreed_by_patient_at or goal.agreed_by_professional_at):
        return False
    if actor.is_patient:
        goal.agreed_by_patient_at, goal.agreed_by_patient_id = now, actor.user_id
        goal.agreed_by_professional_at, goal.agreed_by_professional_id = None, None
    else:
        goal.agreed_by_professional_at, goal.agreed_by_professional_id = now, actor.user_id
        goal.agreed_by_patient_at, goal.agreed_by_patient_id = None, None
    return True


def _notify_patient_of_change(session: Session, goal: Goal, now: datetime) -> None:
    from zelfzorg.notifications.services import notify

    for user_id in session.exec(
        select(User.id).where(
            User.patient_id == goal.patient_id,
            User.role == Role.patient,
            col(User.is_active).is_(True),
        )
    ).all():
        notify(
            session,
            user_id=user_id,  # type: ignore[arg-type]
            key=f"izp-goal-changed:{goal.id}:{goal.version}",
            kind="izp_goal_changed",
            message=GOAL_CHANGED,
            params={"title": goal.title},
            link=endpoint_link("izp.goal", goal_id=goal.id),
            patient_id=goal.patient_id,
            now=now,
        )


def goal_snapshot(goal: Goal) -> dict:
    return _snapshot(goal, GOAL_EDIT_FIELDS)


# ---------------------------------------------------------------------------------------------
# Actions (do)


def add_action(
    session: Session,
    actor: Actor,
    goal_id: int,
    *,
    what: str,
    who: str = "",
    how_often: str = "",
    now: datetime | None = None,
) -> GoalAction:
    now = now or utcnow()
    goal = _load_goal(session, actor, goal_id, write=True, action=AuditAction.create)
    if goal.lifecycle in (pdca.GoalLifecycle.COMPLETED, pdca.GoalLifecycle.CANCELLED):
        raise ValidationError(N_("Dit doel is afgerond of gestopt."), field="what")
    values = {
        name: _text(value, name, ACTION_TEXT_MAX[name])
        for name, value in (("what", what), ("who", who), ("how_often", how_often))
    }
    if not values["what"]:
        raise ValidationError(N_("Vul in wat u gaat doen."), field="what")
    action = GoalAction(
        goal_id=goal.id,  # type: ignore[arg-type]
        patient_id=goal.patient_id,
        created_at=now,
        created_by_id=actor.user_id,
        **values,
    )
    session.add(action)
    session.flush()
    _write_revision(
        session,
        actor,
        plan_id=goal.plan_id,
        patient_id=goal.patient_id,
        obj=action,
        changes=_created(action, ACTION_FIELDS),
        now=now,
    )
    session.flush()
    return action


def log_action(
    session: Session,
    actor: Actor,
    action_id: int,
    *,
    done_on: date | None,
    note: str = "",
    client_token: str,
    today: date,
    now: datetime | None = None,
) -> tuple[ActionLog, bool]:
    """The patient did an action. Returns (log, created); a repeated token returns the first."""
    now = now or utcnow()
    action = session.get(GoalAction, action_id)
    if action is None:
        raise not_found(
            session,
            actor,
            object_type="ActionLog",
            object_id=action_id,
            action=AuditAction.create,
            message=N_("Deze actie bestaat niet of u heeft er geen toegang toe."),
        )
    get_patient_for(
        session,
        actor,
        action.patient_id,
        write=True,
        action=AuditAction.create,
        object_type="ActionLog",
        object_id=action.id,
    )
    if not actor.is_patient:
        raise Forbidden(N_("Alleen de patiënt houdt bij wat hij of zij gedaan heeft."))
    token = (client_token or "").strip()
    if not token or len(token) > 64:
        raise ValidationError(N_("Het formulier is verlopen. Probeer het opnieuw."))
    existing = session.exec(select(ActionLog).where(ActionLog.client_token == token)).first()
    if existing is not None:
        if existing.patient_id != action.patient_id:
            raise ValidationError(N_("Het formulier is verlopen. Probeer het opnieuw."))
        return existing, False
    if done_on is None:
        raise ValidationError(N_("Vul de datum in."), field="done_on")
    if done_on > today:
        raise ValidationError(N_("De datum mag niet in de toekomst liggen."), field="done_on")
    if done_on < today - timedelta(days=366):
        raise ValidationError(N_("Kies een datum in het afgelopen jaar."), field="done_on")
    log = ActionLog(
        action_id=action.id,  # type: ignore[arg-type]
        goal_id=action.goal_id,
        patient_id=action.patient_id,
        done_on=done_on,
        note=_text(note, "note", 500),
        client_token=token,
        created_at=now,
        created_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(log)
        if actor.is_patient:
            record_activity(session, log.patient_id, "action", now)
    except IntegrityError:  # the same form arrived twice at the same moment
        first = session.exec(select(ActionLog).where(ActionLog.client_token == token)).one()
        return first, False
    return log, True


def action_logs(session: Session, goal_id: int, limit: int = 50) -> list[ActionLog]:
    return list(
        session.exec(
            select(ActionLog)
            .where(ActionLog.goal_id == goal_id)
            .order_by(col(ActionLog.done_on).desc(), col(ActionLog.id).desc())
            .limit(limit)
        ).all()
    )


# ---------------------------------------------------------------------------------------------
# Reviews (check + act)


def goal_progress(session: Session, goal: Goal) -> Progress | None:
    """Progress against the goal's target from the shared measurements; None without target."""
    if not goal.target_type or goal.target_value is None or not goal.target_comparator:
        return None
    rows = session.exec(
        select(Measurement.measured_at, Measurement.value)
        .where(
            Measurement.patient_id == goal.patient_id,
            Measurement.type_code == goal.target_type,
            Measurement.unit == goal.target_unit,
            col(Measurement.superseded_at).is_(None),
            col(Measurement.value).is_not(None),
        )
        .order_by(Measurement.measured_at)
    ).all()
    baseline = None
    values = []
    for measured_at, value in rows:
        if measured_at <= goal.created_at:
            baseline = value  # the last one before the goal started
        else:
            values.append((measured_at, value))
    return compute_progress(
        (goal.target_comparator, goal.target_value, goal.target_unit or ""), baseline, values
    )


def progress_json(progress: Progress | None) -> dict:
    if progress is None:
        return {}
    return {
        "count": progress.count,
        "latest": progress.latest,
        "latest_at": to_json_value(progress.latest_at),
        "unit": progress.unit,
        "target_met": progress.target_met,
        "baseline": progress.baseline,
        "suggested": progress.suggested.value,
        "messages": [{"msgid": m.msgid, "params": m.params} for m in progress.messages],
    }


def open_review(session: Session, goal_id: int) -> GoalReview | None:
    return session.exec(
        select(GoalReview).where(GoalReview.goal_id == goal_id, col(GoalReview.decision).is_(None))
    ).first()


def prepare_review(
    session: Session,
    actor: Actor,
    goal_id: int,
    *,
    score: int | None,
    helped: str = "",
    hard: str = "",
    token: str,
    now: datetime | None = None,
) -> GoalReview:
    """The patient's view before the consultation; one open review per goal, updated in place."""
    now = now or utcnow()
    goal = _load_goal(session, actor, goal_id, write=True, action=AuditAction.update)
    if not actor.is_patient:
        raise Forbidden(N_("Alleen de patiënt bereidt de evaluatie voor."))
    # Closed or not yet agreed goals are refused with a clear message.
    pdca.check_reviewable(goal.lifecycle)
    if score is None or not 1 <= score <= 5:
        raise ValidationError(N_("Kies een cijfer van 1 tot 5."), field="score")
    helped_text = _text(helped, "helped")
    hard_text = _text(hard, "hard")
    review = open_review(session, goal.id)  # type: ignore[arg-type]
    if review is None:
        review = GoalReview(
            goal_id=goal.id, patient_id=goal.patient_id, prepare_token=token or None, created_at=now
        )
    review.patient_score = score
    review.patient_helped = helped_text
    review.patient_hard = hard_text
    review.prepared_at = now
    session.add(review)
    session.flush()
    record_activity(session, goal.patient_id, "review_preparation", now)
    return review


def review_goal(
    session: Session,
    actor: Actor,
    goal_id: int,
    *,
    professional_view: str = "",
    achievement: str | None,
    decision: str | None,
    next_review: date | None,
    token: str,
    today: date,
    now: datetime | None = None,
    interval_weeks: int | None = None,
) -> tuple[GoalReview, bool]:
    """Complete a review with a decision. Returns (review, created); the same token twice
    returns the first review and changes nothing.

    Without a next review date the interval follows the patient's activation level (the
    assessment's advice), else REVIEW_INTERVAL_WEEKS. A completed review invites the patient
    to the shared-decision-making experience questionnaire."""
    now = now or utcnow()
    goal = _load_goal(session, actor, goal_id, write=True, action=AuditAction.update)
    if not actor.is_professional:
        raise Forbidden(N_("Alleen een zorgverlener rondt een evaluatie af."))
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise ValidationError(N_("Het formulier is verlopen. Probeer het opnieuw."))
    done = session.exec(select(GoalReview).where(GoalReview.submission_token == token)).first()
    if done is not None:
        if done.goal_id != goal.id:
            raise ValidationError(N_("Het formulier is verlopen. Probeer het opnieuw."))
        return done, False
    view = _text(professional_view, "professional_view")
    progress = goal_progress(session, goal)
    judged = achievement or (progress.suggested.value if progress else goal.achievement)
    try:
        judged = pdca.AchievementStatus(judged).value
    except ValueError:
        raise ValidationError(N_("Kies hoe het met het doel gaat."), field="achievement") from None
    if interval_weeks is None:
        interval_weeks = default_review_interval(session, goal.patient_id)
    outcome = pdca.apply_decision(
        goal.lifecycle,
        judged,
        decision or "",
        today=today,
        next_review=next_review,
        interval_weeks=interval_weeks,
    )
    version = goal.version
    # Claim the goal first: a concurrent review or edit makes this one a conflict before
    # anything is written.
    if not _claim_version(session, Goal, goal.id, version):  # type: ignore[arg-type]
        session.expire_all()
        first = session.exec(select(GoalReview).where(GoalReview.submission_token == token)).first()
        if first is not None:
            return first, False
        fresh = session.get(Goal, goal_id)
        assert fresh is not None
        raise _conflict(session, fresh, GOAL_EDIT_FIELDS, version)
    before = _snapshot(goal, GOAL_FIELDS)
    review = open_review(session, goal.id) or GoalReview(  # type: ignore[arg-type]
        goal_id=goal.id, patient_id=goal.patient_id, created_at=now
    )
    review.professional_view = view
    review.progress = progress_json(progress)
    review.achievement = outcome.achievement.value
    review.decision = pdca.ReviewDecision(decision).value
    review.next_review_date = outcome.next_review_date
    review.reviewer_id = actor.user_id
    review.reviewed_at = now
    review.submission_token = token
    session.add(review)
    goal.lifecycle = outcome.lifecycle.value
    goal.achievement = outcome.achievement.value
    goal.review_date = outcome.next_review_date
    _save_goal(session, actor, goal, before, version, now, claimed=True)
    invite_experience_questionnaire(
        session,
        patient_id=goal.patient_id,
        review_id=review.id,
        now=now,  # type: ignore[arg-type]
    )
    return review, True


def running_goals(session: Session, patient_id: int) -> list[Goal]:
    """A patient's proposed, active and on-hold goals, for other domains to link to (a
    lifestyle referral serving a goal). The caller has checked access to the patient."""
    return list(
        session.exec(
            select(Goal)
            .where(Goal.patient_id == patient_id)
            .where(col(Goal.lifecycle).in_(("proposed", "active", "on-hold")))
            .order_by(Goal.id)
        ).all()
    )


def default_review_interval(session: Session, patient_id: int) -> int:
    """Weeks until the next review: tailored to the latest activation level when known."""
    activation = latest_activation(session, patient_id)
    return activation.review_interval_weeks if activation else REVIEW_INTERVAL_WEEKS


def reviews_for(session: Session, goal_id: int) -> list[GoalReview]:
    return list(
        session.exec(
            select(GoalReview)
            .where(GoalReview.goal_id == goal_id)
            .order_by(col(GoalReview.reviewed_at).is_(None), GoalReview.reviewed_at, GoalReview.id)
        ).all()
    )


@dataclass
class GoalDetail:
    goal: Goal
    actions: list[GoalAction]
    logs: list[ActionLog]
    reviews: list[GoalReview]
    open_review: GoalReview | None
    progress: Progress | None
    revisions: list[Revision]
    names: dict[int, str]


def open_goal(session: Session, actor: Actor, goal_id: int) -> GoalDetail:
    goal = _load_goal(session, actor, goal_id, write=False)
    actions = list(
        session.exec(
            select(GoalAction).where(GoalAction.goal_id == goal.id).order_by(GoalAction.id)
        ).all()
    )
    reviews = reviews_for(session, goal.id)  # type: ignore[arg-type]
    revisions = list(
        session.exec(
            select(Revision)
            .where(Revision.object_type == "Goal", Revision.object_id == goal.id)
            .order_by(Revision.at, Revision.id)
        ).all()
    )
    ids = {r.reviewer_id for r in reviews if r.reviewer_id}
    ids |= {goal.agreed_by_patient_id, goal.agreed_by_professional_id} - {None}  # type: ignore[arg-type]
    names = {}
    if ids:
        names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all())
    return GoalDetail(
        goal=goal,
        actions=actions,
        logs=action_logs(session, goal.id),  # type: ignore[arg-type]
        reviews=[r for r in reviews if r.decision is not None],
        open_review=next((r for r in reviews if r.decision is None), None),
        progress=goal_progress(session, goal),
        revisions=revisions,
        names=names,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------------------
# History


def end_of_day_utc(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, AMSTERDAM).astimezone(
        UTC
    ) - timedelta(microseconds=1)


@dataclass
class PlanAt:
    at: datetime
    plan: dict | None
    goals: list[dict]
    actions: list[dict]
    agreements: list[dict] = field(default_factory=list)


def plan_history(session: Session, actor: Actor, patient_id: int) -> list[Revision]:
    patient = get_patient_for(session, actor, patient_id, object_type="CarePlanHistory")
    return list(
        session.exec(
            select(Revision)
            .where(Revision.patient_id == patient.id)
            .order_by(col(Revision.at).desc(), col(Revision.id).desc())
            .limit(500)
        ).all()
    )


def plan_at(session: Session, actor: Actor, patient_id: int, *, at: datetime) -> PlanAt:
    """The plan, goals and actions as they were at ``at``, rebuilt from the revisions."""
    patient = get_patient_for(session, actor, patient_id, object_type="CarePlanHistory")
    revisions = session.exec(
        select(Revision).where(Revision.patient_id == patient.id).order_by(Revision.at, Revision.id)
    ).all()
    per_object: dict[tuple[str, int], list[tuple[datetime, list[FieldChange]]]] = {}
    for revision in revisions:
        per_object.setdefault((revision.object_type, revision.object_id), []).append(
            (revision.at, [FieldChange.from_json(c) for c in revision.changes])
        )
    plan = None
    goals, actions, agreements = [], [], []
    for (kind, obj_id), changes in per_object.items():
        if changes[0][0] > at:
            continue  # did not exist yet
        state = state_at({}, changes, at)
        state["id"] = obj_id
        if kind == "CarePlan":
            plan = state
        elif kind == "Goal":
            goals.append(state)
        elif kind == "GoalAction":
            actions.append(state)
        elif kind == "PlanAgreement":
            agreements.append(state)
    goals.sort(key=lambda g: g["id"])
    agreements.sort(key=lambda a: a["id"])
    return PlanAt(at=at, plan=plan, goals=goals, actions=actions, agreements=agreements)


# ---------------------------------------------------------------------------------------------
# Goals due for review (professional)


@dataclass(frozen=True)
class DueGoal:
    goal: Goal
    patient: Patient
    overdue: bool


def goals_due(session: Session, actor: Actor, *, today: date, days: int = 14) -> list[DueGoal]:
    """Open goals of the actor's practices with a review date within ``days`` (overdue first)."""
    if not actor.is_professional or not actor.practice_ids:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    rows = session.exec(
        select(Goal, Patient)
        .join(Patient, col(Patient.id) == Goal.patient_id)
        .where(col(Patient.practice_id).in_(sorted(actor.practice_ids)))
        .where(
            col(Goal.lifecycle).in_(
                [pdca.GoalLifecycle.ACTIVE.value, pdca.GoalLifecycle.ON_HOLD.value]
            )
        )
        .where(
            col(Goal.review_date).is_not(None),
            col(Goal.review_date) <= today + timedelta(days=days),
        )
        .order_by(Goal.review_date, Patient.family_name, Goal.id)
        .limit(500)
    ).all()
    audit(
        session,
        actor,
        action=AuditAction.search,
        object_type="GoalsDue",
        detail=f"{len(rows)} goals",
    )
    audit_shown(session, actor, [p.id for _g, p in rows], object_type="GoalsDue")
    return [DueGoal(g, p, g.review_date < today) for g, p in rows]  # type: ignore[operator]
