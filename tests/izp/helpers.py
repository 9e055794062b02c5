"""Building care plans and goals for tests through the services (so revisions exist)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from tests.factories import World
from zelfzorg.izp import goals
from zelfzorg.izp.models import Goal

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def goal_input(**overrides) -> goals.GoalInput:
    values = {
        "title": "Mijn bloeddruk omlaag",
        "domain": "health",
        "programmes": ["CVRM"],
        "target_type": "bp_systolic",
        "target_comparator": "<",
        "target_value": "140",
        "target_unit": "mmHg",
        "due_date": date(2027, 6, 1),
        "review_date": date(2027, 2, 1),
    }
    values.update(overrides)
    return goals.GoalInput(**values)


def active_goal(db: Session, world: World, *, now: datetime = NOW, **overrides) -> Goal:
    """A goal proposed by the POH and agreed by the patient: active."""
    goal = goals.propose_goal(
        db, world.actor(world.poh), world.patient.id, goal_input(**overrides), today=TODAY, now=now
    )
    goals.agree_goal(db, world.actor(world.patient_user), goal.id, today=TODAY, now=now)
    db.flush()
    return goal
