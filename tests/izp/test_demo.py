"""Demo care plans: every state, review cycles, multimorbidity, the demo patient's rich plan."""

from __future__ import annotations

from sqlmodel import select

from tests.izp.helpers import TODAY
from zelfzorg.demo import seed_demo
from zelfzorg.izp import history
from zelfzorg.izp.models import CarePlan, Goal, GoalReview
from zelfzorg.izp.pdca import AchievementStatus, GoalLifecycle
from zelfzorg.patients.models import Patient


def test_demo_has_plans_goals_in_every_state_and_review_cycles(db, app):
    seed_demo(db, n_patients=40, progress=lambda _msg: None, today=TODAY)
    db.flush()
    plans = db.exec(select(CarePlan)).all()
    patients = db.exec(select(Patient)).all()
    assert len(plans) > len(patients) // 2
    assert len({p.patient_id for p in plans}) == len(plans)
    goals = db.exec(select(Goal)).all()
    assert {g.lifecycle for g in goals} == {s.value for s in GoalLifecycle}
    assert {g.achievement for g in goals} == {s.value for s in AchievementStatus}
    assert any(len(g.programmes) > 1 for g in goals)
    reviews = db.exec(select(GoalReview)).all()
    cycles = {}
    for review in reviews:
        cycles[review.goal_id] = cycles.get(review.goal_id, 0) + 1
    assert max(cycles.values()) >= 2

    demo = db.exec(select(Patient).where(Patient.given_name == "Gerda")).first()
    demo_goals = db.exec(select(Goal).where(Goal.patient_id == demo.id)).all()
    bp = next(g for g in demo_goals if g.target_type == "bp_systolic")
    assert (bp.target_comparator, bp.target_value, bp.target_unit) == ("<", 140.0, "mm[Hg]")
    assert bp.lifecycle == "active"
    # History rebuilds the demo plan.
    from zelfzorg.accounts.models import User
    from zelfzorg.accounts.scope import Actor

    poh = db.exec(select(User).where(User.email == "poh1@demo.zelfzorg.nl")).one()
    snapshot = history.plan_at(db, Actor(poh), demo.id, at=history.end_of_day_utc(TODAY))
    assert snapshot.plan is not None and len(snapshot.goals) == len(demo_goals)
    db.rollback()
