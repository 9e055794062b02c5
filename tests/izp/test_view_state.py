"""Rules the templates used to decide, now fields of the view models (pages.GoalState,
PlanView.overdue_agreement_ids)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.izp.helpers import NOW, TODAY, active_goal, goal_input
from zelfzorg.izp import agreements, goals, pages, reviews


def test_a_proposal_waits_for_the_other_party_and_only_they_can_agree(db, world):
    goal = goals.propose_goal(
        db, world.actor(world.poh), world.patient.id, goal_input(), today=TODAY, now=NOW
    )
    for_poh = pages.goal_state(goal, world.actor(world.poh))
    for_patient = pages.goal_state(goal, world.actor(world.patient_user))
    assert not for_poh.is_agreed and for_poh.waiting_for_agreement
    assert not for_poh.changed_after_agreement and not for_poh.reviewable
    assert not for_poh.can_agree and for_patient.can_agree


def test_an_agreed_active_goal_is_reviewable_and_editable_until_it_stops(db, world):
    goal = active_goal(db, world)
    state = pages.goal_state(goal, world.actor(world.poh))
    assert state.is_agreed and state.reviewable and state.editable
    assert not state.waiting_for_agreement and not state.can_agree
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement=None,
        decision="stop",
        next_review=None,
        token="stop",
        today=TODAY,
        now=NOW,
    )
    stopped = pages.goal_state(goal, world.actor(world.poh))
    assert not stopped.reviewable and not stopped.editable and not stopped.waiting_for_agreement


def test_a_changed_agreed_goal_waits_again(db, world):
    goal = active_goal(db, world)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(target_value="130", lifecycle="active"),
        version=goal.version,
        today=TODAY,
        now=NOW,
    )
    state = pages.goal_state(goal, world.actor(world.patient_user))
    assert state.changed_after_agreement and state.can_agree and state.reviewable


def test_plan_view_lists_open_agreements_past_their_date_as_overdue(db, world):
    poh = world.actor(world.poh)
    today = date.today()
    due = agreements.add_agreement(
        db,
        poh,
        world.patient.id,
        agreements.AgreementInput(what="Lab", who="POH", due_date=today),
        today=today,
    )
    later = agreements.add_agreement(
        db,
        poh,
        world.patient.id,
        agreements.AgreementInput(what="Bellen", who="POH", due_date=today + timedelta(days=3)),
        today=today,
    )
    view = pages.open_plan(db, poh, world.patient.id, today=today + timedelta(days=1))
    assert view.overdue_agreement_ids == {due.id}
    agreements.mark_done(db, poh, due.id, today=today)
    view = pages.open_plan(db, poh, world.patient.id, today=today + timedelta(days=5))
    assert view.overdue_agreement_ids == {later.id}
    assert set(view.goal_states) == {g.id for g in view.goals}
