"""What the plan, goal and due-goals pages show: view models with the rules the templates
used to decide (overdue, reviewable, agreed, ...)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import User
from zelfzorg.accounts.scope import (
    Actor,
    audit,
    audit_shown,
    get_patient_for,
    load_for,
    patients_query,
)
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Forbidden
from zelfzorg.izp import pdca
from zelfzorg.izp.actions import action_logs
from zelfzorg.izp.agreements import agreements_for, is_overdue
from zelfzorg.izp.models import (
    ActionLog,
    CarePlan,
    Goal,
    GoalAction,
    GoalReview,
    PlanAgreement,
    Revision,
)
from zelfzorg.izp.progress import Progress
from zelfzorg.izp.reviews import goal_progress, reviews_for
from zelfzorg.patients.models import Enrolment, Patient, Programme
from zelfzorg.patients.population import enrolment_active_on


@dataclass(frozen=True)
class GoalState:
    """What the goal pages offer, decided here (and by pdca) instead of in the templates."""

    is_agreed: bool  # both the patient and a professional agreed
    reviewable: bool  # active or on hold: prepare, review, log actions
    editable: bool  # not completed or cancelled
    waiting_for_agreement: bool  # running, but not (or no longer) agreed by both
    changed_after_agreement: bool  # waiting because one party changed an agreed goal
    can_agree: bool  # the actor's own agreement is missing


def goal_state(goal: Goal, actor: Actor) -> GoalState:
    agreed = pdca.is_agreed(goal.agreed_by_patient_at, goal.agreed_by_professional_at)
    waiting = not agreed and not pdca.is_closed(goal.lifecycle)
    own_missing = (actor.is_patient and goal.agreed_by_patient_at is None) or (
        actor.is_professional and goal.agreed_by_professional_at is None
    )
    return GoalState(
        is_agreed=agreed,
        reviewable=pdca.is_reviewable(goal.lifecycle),
        editable=not pdca.is_closed(goal.lifecycle),
        waiting_for_agreement=waiting,
        changed_after_agreement=waiting and goal.lifecycle != pdca.GoalLifecycle.PROPOSED,
        can_agree=waiting and own_missing,
    )


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
    goal_states: dict[int, GoalState] = field(default_factory=dict)
    overdue_agreement_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Coverage:
    programme: str
    goal_ids: list[int]
    in_plan: bool

    @property
    def uncovered(self) -> bool:
        return not self.goal_ids and not self.in_plan


@functools.cache
def _programmes_statement():
    """Built once per process (every plan page runs it): values as bind parameters."""
    return (
        select(Enrolment.programme)
        .where(
            Enrolment.patient_id == sa.bindparam("patient_id"),
            enrolment_active_on(sa.bindparam("today", type_=sa.Date)),  # type: ignore[arg-type]
        )
        .order_by(Enrolment.programme)
    )


def active_programmes(session: Session, patient_id: int, today: date) -> list[Programme]:
    rows = session.exec(
        _programmes_statement(), params={"patient_id": patient_id, "today": today}
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


def plan_tree(
    session: Session, patient_id: int
) -> tuple[CarePlan | None, list[Goal], dict[int, list[GoalAction]], dict[int, GoalReview]]:
    """The patient's plan, its goals (review date first, undated last), each goal's actions
    and its open review, in one statement (outer joins; a goal has a handful of actions and at
    most one open review, so the rows stay few)."""
    rows = session.exec(_plan_tree_statement(), params={"patient_id": patient_id}).all()
    plan = rows[0][0] if rows else None
    goals: dict[int, Goal] = {}
    actions: dict[int, list[GoalAction]] = {}
    seen_actions: set[int] = set()
    reviews: dict[int, GoalReview] = {}
    for row_plan, goal, action, review in rows:
        if row_plan is not plan or goal is None:
            continue
        goals.setdefault(goal.id, goal)  # type: ignore[arg-type]
        if action is not None and action.id not in seen_actions:
            seen_actions.add(action.id)  # type: ignore[arg-type]
            actions.setdefault(action.goal_id, []).append(action)
        if review is not None:
            reviews[review.goal_id] = review
    return plan, list(goals.values()), actions, reviews


@functools.cache
def _plan_tree_statement():
    """``plan_tree``'s statement, built once per process."""
    return (
        select(CarePlan, Goal, GoalAction, GoalReview)
        .select_from(CarePlan)
        .outerjoin(Goal, col(Goal.plan_id) == CarePlan.id)
        .outerjoin(GoalAction, col(GoalAction.goal_id) == Goal.id)
        .outerjoin(
            GoalReview,
            sa.and_(col(GoalReview.goal_id) == Goal.id, col(GoalReview.decision).is_(None)),
        )
        .where(CarePlan.patient_id == sa.bindparam("patient_id"))
        .order_by(
            CarePlan.id,
            col(Goal.review_date).is_(None),
            Goal.review_date,
            Goal.id,
            GoalAction.id,
            GoalReview.id,
        )
    )


def open_plan(session: Session, actor: Actor, patient_id: int, *, today: date) -> PlanView:
    """The patient's plan with goals, actions, open reviews and coverage (audited read)."""
    patient = get_patient_for(session, actor, patient_id, object_type="CarePlan")
    plan, goals, actions, reviews = plan_tree(session, patient.id)  # type: ignore[arg-type]
    programmes = active_programmes(session, patient.id, today)  # type: ignore[arg-type]
    agreements = []
    if plan is not None:
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
        {g.id: goal_state(g, actor) for g in goals},  # type: ignore[misc]
        frozenset(a.id for a in agreements if is_overdue(a, today)),  # type: ignore[misc]
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
    state: GoalState


def open_goal(session: Session, actor: Actor, goal_id: int) -> GoalDetail:
    goal = load_for(session, actor, Goal, goal_id, write=False)
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
        state=goal_state(goal, actor),
    )


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
        .where(col(Patient.id).in_(patients_query(actor).with_only_columns(col(Patient.id))))
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
