"""Actions of a goal (the *do* of PDCA) and the patient's log of what they did."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.scope import Actor, load_for
from zelfzorg.audit.models import AuditAction
from zelfzorg.contracting.history import record_activity
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.izp import pdca
from zelfzorg.izp.history import clean_text, created_changes, write_revision
from zelfzorg.izp.models import (
    ActionLog,
    Goal,
    GoalAction,
)
from zelfzorg.models_base import utcnow

ACTION_FIELDS = ("what", "who", "how_often")


ACTION_TEXT_MAX = {"what": 200, "who": 100, "how_often": 100}


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
    goal = load_for(session, actor, Goal, goal_id, write=True, action=AuditAction.create)
    if pdca.is_closed(goal.lifecycle):
        raise ValidationError(N_("Dit doel is afgerond of gestopt."), field="what")
    values = {
        name: clean_text(value, name, ACTION_TEXT_MAX[name])
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
    write_revision(
        session,
        actor,
        plan_id=goal.plan_id,
        patient_id=goal.patient_id,
        obj=action,
        changes=created_changes(action, ACTION_FIELDS),
        now=now,
    )
    session.flush()
    return action


def load_action(session: Session, actor: Actor, action_id: int) -> GoalAction:
    return load_for(session, actor, GoalAction, action_id)


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
    action = load_for(
        session,
        actor,
        GoalAction,
        action_id,
        write=True,
        action=AuditAction.create,
        object_type="ActionLog",
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
        note=clean_text(note, "note", 500),
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
