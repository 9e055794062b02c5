"""Goal reviews (*check* and *act*): progress from measurements, the patient's preparation
and the professional's decision."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, func, select

from zelfzorg.accounts.scope import Actor, load_for
from zelfzorg.assessment.services import invite_experience_questionnaire, latest_activation
from zelfzorg.audit.models import AuditAction
from zelfzorg.contracting.history import record_activity
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.izp import pdca
from zelfzorg.izp.goals import (
    GOAL_EDIT_FIELDS,
    GOAL_FIELDS,
    REVIEW_INTERVAL_WEEKS,
    save_goal,
)
from zelfzorg.izp.history import claim_version, clean_text, conflict, snapshot
from zelfzorg.izp.models import (
    Goal,
    GoalReview,
)
from zelfzorg.izp.progress import Progress, compute_progress
from zelfzorg.izp.revisions import to_json_value
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring.models import Measurement


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
    # The check covers the readings since the last completed review (else since the start):
    # what happened before was judged then.
    last_review = session.exec(
        select(func.max(GoalReview.reviewed_at)).where(
            GoalReview.goal_id == goal.id, col(GoalReview.decision).is_not(None)
        )
    ).one()
    since = max(goal.created_at, last_review) if last_review is not None else goal.created_at
    baseline = None
    values = []
    for measured_at, value in rows:
        if measured_at <= goal.created_at:
            baseline = value  # the last one before the goal started
        elif measured_at > since:
            values.append((measured_at, value))
    return compute_progress(
        (goal.target_comparator, goal.target_value, goal.target_unit or ""),
        baseline,
        values,
        since_review=last_review is not None,
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
        "window": progress.window,
        "on_target": progress.on_target,
        "median": progress.median,
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
    goal = load_for(session, actor, Goal, goal_id, write=True, action=AuditAction.update)
    if not actor.is_patient:
        raise Forbidden(N_("Alleen de patiënt bereidt de evaluatie voor."))
    # Closed or not yet agreed goals are refused with a clear message.
    pdca.check_reviewable(goal.lifecycle)
    if score is None or not 1 <= score <= 5:
        raise ValidationError(N_("Kies een cijfer van 1 tot 5."), field="score")
    helped_text = clean_text(helped, "helped")
    hard_text = clean_text(hard, "hard")
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
    goal = load_for(session, actor, Goal, goal_id, write=True, action=AuditAction.update)
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
    view = clean_text(professional_view, "professional_view")
    progress = goal_progress(session, goal)
    pdca.check_reviewable(goal.lifecycle)  # a closed goal says so before anything else
    act = check_decision(achievement, decision)
    judged = achievement or (
        pdca.AchievementStatus.ACHIEVED.value
        if act is pdca.ReviewDecision.ACHIEVED
        else pdca.AchievementStatus.NOT_ACHIEVED.value
    )
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
    if not claim_version(session, Goal, goal.id, version):  # type: ignore[arg-type]
        session.expire_all()
        first = session.exec(select(GoalReview).where(GoalReview.submission_token == token)).first()
        if first is not None:
            return first, False
        fresh = session.get(Goal, goal_id)
        assert fresh is not None
        raise conflict(session, fresh, GOAL_EDIT_FIELDS, version)
    before = snapshot(goal, GOAL_FIELDS)
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
    save_goal(session, actor, goal, before, version, now, claimed=True, reviewed=True)
    invite_experience_questionnaire(
        session,
        patient_id=goal.patient_id,
        review_id=review.id,
        now=now,  # type: ignore[arg-type]
    )
    return review, True


def check_decision(achievement: str | None, decision: str | None) -> pdca.ReviewDecision:
    """The professional's status and decision must agree; the status is never filled in from
    the suggestion. Continue and adjust need a status; "achieved" and "stop" imply one (achieved,
    not achieved) when none is chosen."""
    try:
        act = pdca.ReviewDecision(decision or "")
    except ValueError:
        raise ValidationError(N_("Kies een besluit."), field="decision") from None
    chosen = None
    if achievement:
        try:
            chosen = pdca.AchievementStatus(achievement)
        except ValueError:
            raise ValidationError(
                N_("Kies hoe het met het doel gaat."), field="achievement"
            ) from None
    achieved = pdca.AchievementStatus.ACHIEVED
    if act in (pdca.ReviewDecision.CONTINUE, pdca.ReviewDecision.ADJUST) and chosen is None:
        raise ValidationError(N_("Kies hoe het met het doel gaat."), field="achievement")
    if act is pdca.ReviewDecision.ADJUST and chosen is achieved:
        raise ValidationError(
            N_(
                'U kiest "Doel of acties aanpassen", maar ook dat het doel gehaald is. Kies hoe '
                'het echt gaat, of kies het besluit "Doel gehaald, afronden".'
            ),
            field="achievement",
        )
    if act is pdca.ReviewDecision.ACHIEVED and chosen not in (None, achieved):
        raise ValidationError(
            N_(
                'U kiest "Doel gehaald, afronden", maar bij hoe het gaat niet "Gehaald". Kies '
                '"Gehaald", of kies een ander besluit.'
            ),
            field="achievement",
        )
    if act is pdca.ReviewDecision.STOP and chosen is achieved:
        raise ValidationError(
            N_(
                'Een gehaald doel stopt u niet: kies het besluit "Doel gehaald, afronden", of '
                "kies hoe het echt gaat."
            ),
            field="achievement",
        )
    return act


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
