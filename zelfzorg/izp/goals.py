"""Personal goals: proposing, agreeing (and agreeing again after a substantive change),
editing, and the personal telemonitoring target an agreed goal sets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.accounts.scope import (
    Actor,
    audit_denied,
    get_patient_for,
    load_for,
)
from zelfzorg.audit.models import AuditAction
from zelfzorg.contracting.history import record_goal_state
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.izp import pdca
from zelfzorg.izp.history import claim_version, conflict, created_changes, snapshot, write_revision
from zelfzorg.izp.models import (
    Goal,
    Proposer,
)
from zelfzorg.izp.plans import clean_programmes, create_plan, plan_for_patient
from zelfzorg.izp.revisions import diff_fields, to_json_value
from zelfzorg.izp.targets import MEASUREMENT_TYPES, normalise_unit
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.services import endpoint_link
from zelfzorg.patients.models import CareTeamMember, Patient
from zelfzorg.telemonitoring.rules import make_target
from zelfzorg.telemonitoring.targets import active_goal_target, end_goal_target, set_goal_target
from zelfzorg.telemonitoring.types import get_type

#: Default weeks between reviews (the activation level will tailor this later).
REVIEW_INTERVAL_WEEKS = 12


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


GOAL_PROPOSED_BY_PATIENT = N_(
    '%(patient)s stelt een nieuw doel voor: "%(title)s". Bespreek het en geef akkoord.'
)
GOAL_CHANGED_BY_PATIENT = N_(
    '%(patient)s heeft het doel "%(title)s" aangepast. Bekijk het en geef opnieuw akkoord.'
)


OPEN_LIFECYCLES = (
    pdca.GoalLifecycle.PROPOSED.value,
    pdca.GoalLifecycle.ACTIVE.value,
    pdca.GoalLifecycle.ON_HOLD.value,
)


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
        programmes = clean_programmes(list(data.programmes), "programmes")
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
    plan = plan_for_patient(session, patient.id) or create_plan(  # type: ignore[arg-type]
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
    write_revision(
        session,
        actor,
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,  # type: ignore[arg-type]
        obj=goal,
        changes=created_changes(goal, GOAL_FIELDS),
        now=now,
    )
    session.flush()
    record_goal_state(session, goal, now)
    if actor.is_patient:
        notify_care_team(session, goal, patient, GOAL_PROPOSED_BY_PATIENT, now)
    return goal


def care_team_recipients(session: Session, patient: Patient) -> list[int]:
    """Who hears about the patient's own changes: the active professionals of the patient's
    care team who work for the patient's practice; without one, the practice's staff."""
    from zelfzorg.accounts.services import practice_staff

    staff = {u.id for u in practice_staff(session, patient.practice_id)}
    team = session.exec(
        select(CareTeamMember.user_id).where(CareTeamMember.patient_id == patient.id)
    ).all()
    chosen = sorted({uid for uid in team if uid in staff})
    return chosen or sorted(uid for uid in staff if uid is not None)


def notify_care_team(
    session: Session, goal: Goal, patient: Patient, message: str, now: datetime
) -> None:
    """A patient proposed or changed a goal: it waits for a care provider's agreement."""
    from zelfzorg.notifications.services import notify

    for user_id in care_team_recipients(session, patient):
        notify(
            session,
            user_id=user_id,
            key=f"izp-goal-patient:{goal.id}:{goal.version}",
            kind="izp_goal_to_agree",
            message=message,
            params={"patient": patient.full_name, "title": goal.title},
            link=endpoint_link("izp.goal", goal_id=goal.id),
            patient_id=goal.patient_id,
            now=now,
        )


def agree_goal(
    session: Session, actor: Actor, goal_id: int, *, today: date, now: datetime | None = None
) -> Goal:
    """The other party agrees; with both agreements a proposed goal becomes active."""
    now = now or utcnow()
    goal = load_for(session, actor, Goal, goal_id, write=True)
    if pdca.is_closed(goal.lifecycle):
        raise ValidationError(N_("Dit doel is afgerond of gestopt."))
    before = snapshot(goal, GOAL_FIELDS)
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
    save_goal(session, actor, goal, before, goal.version, now)
    return goal


def save_goal(
    session: Session,
    actor: Actor,
    goal: Goal,
    before: dict,
    version: int,
    now: datetime,
    *,
    claimed: bool = False,
    reviewed: bool = False,
) -> None:
    """Write a changed goal (version, revision, target, history). A moved, held (``reviewed``)
    or closed review rewrites the reminders already sent, whoever changed it and how."""
    changes = diff_fields(before, snapshot(goal, GOAL_FIELDS), GOAL_FIELDS)
    if not changes and not claimed:
        return
    if not claimed and not claim_version(session, Goal, goal.id, version):  # type: ignore[arg-type]
        session.expunge(goal)
        fresh = session.get(Goal, goal.id)
        assert fresh is not None
        raise conflict(session, fresh, GOAL_EDIT_FIELDS, version)
    goal.version = version + 1
    goal.updated_at = now
    goal.updated_by_id = actor.user_id
    session.add(goal)
    sync_goal_target(session, goal, set_by_id=actor.user_id, now=now)
    write_revision(
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
    if reviewed or {c.field for c in changes} & {"review_date", "lifecycle"}:
        from zelfzorg.izp.jobs import update_review_reminders

        update_review_reminders(session, goal, reviewed=reviewed)


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
    goal = load_for(session, actor, Goal, goal_id, write=True)
    if pdca.is_closed(goal.lifecycle):
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
            audit_denied(
                session,
                actor,
                object_type="Goal",
                object_id=goal.id,
                patient_id=goal.patient_id,
                detail="professional-only fields: " + ",".join(forbidden),
            )
            raise Forbidden(N_("Dit deel van het doel past uw zorgverlener aan."))
    if version != goal.version:
        raise conflict(session, goal, GOAL_EDIT_FIELDS, version)
    before = snapshot(goal, GOAL_FIELDS)
    for name in GOAL_EDIT_FIELDS:
        setattr(goal, name, values[name])
    reagree = _ask_agreement_again(goal, actor, before, now)
    save_goal(session, actor, goal, before, version, now)
    if reagree and actor.is_professional:
        _notify_patient_of_change(session, goal, now)
    elif reagree and actor.is_patient:
        patient = session.get(Patient, goal.patient_id)
        assert patient is not None
        notify_care_team(session, goal, patient, GOAL_CHANGED_BY_PATIENT, now)
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
    return snapshot(goal, GOAL_EDIT_FIELDS)


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
