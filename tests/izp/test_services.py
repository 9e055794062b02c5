"""Care plan services: one plan, goals, agreement, locking, PDCA reviews, history, coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from tests.izp.helpers import NOW, TODAY, active_goal, goal_input
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.izp import actions, goals, history, pages, plans, reviews
from zelfzorg.izp.models import ActionLog, CarePlan, Goal, GoalReview, Revision
from zelfzorg.izp.pdca import FormValidationError
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def plan_input(plan: CarePlan, **overrides) -> plans.PlanInput:
    values = {name: getattr(plan, name) for name in plans.PLAN_FIELDS}
    values.update(overrides)
    return plans.PlanInput(**values)


# --- one plan per patient ------------------------------------------------------------------


def test_get_or_create_plan_never_makes_a_second_plan(db, world):
    poh = world.actor(world.poh)
    first = plans.get_or_create_plan(db, poh, world.patient.id, now=NOW)
    second = plans.get_or_create_plan(db, poh, world.patient.id, now=NOW)
    assert first.id == second.id
    assert count(db, CarePlan) == 1


def test_database_refuses_a_second_plan_for_a_patient(db, world):
    from sqlalchemy.exc import IntegrityError

    db.add(CarePlan(patient_id=world.patient.id))
    db.flush()
    db.add(CarePlan(patient_id=world.patient.id))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_multimorbid_patient_has_one_plan_with_goals_for_several_programmes(db, world):
    active_goal(db, world, programmes=["CVRM", "DM2"])
    active_goal(
        db,
        world,
        title="Meer bewegen",
        programmes=["DM2"],
        target_type="",
        target_comparator="",
        target_value="",
        target_unit="",
    )
    view = pages.open_plan(db, world.actor(world.poh), world.patient.id, today=TODAY)
    assert count(db, CarePlan) == 1
    assert len(view.goals) == 2
    by_programme = {c.programme: c for c in view.coverage}
    assert len(by_programme["DM2"].goal_ids) == 2
    assert len(by_programme["CVRM"].goal_ids) == 1
    assert not any(c.uncovered for c in view.coverage)


def test_coverage_flags_enrolled_programme_without_goal_or_plan_section(db, world):
    active_goal(db, world, programmes=["DM2"])
    view = pages.open_plan(db, world.actor(world.poh), world.patient.id, today=TODAY)
    flagged = [c.programme for c in view.coverage if c.uncovered]
    assert flagged == ["CVRM"]
    plan = view.plan
    plans.update_plan(
        db,
        world.actor(world.poh),
        world.patient.id,
        plan_input(plan, conditions=["CVRM"]),
        version=plan.version,
        today=TODAY,
    )
    view = pages.open_plan(db, world.actor(world.poh), world.patient.id, today=TODAY)
    assert not [c for c in view.coverage if c.uncovered]


# --- goal input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"target_unit": ""}, "target_unit"),
        ({"target_unit": "kg"}, "target_unit"),
        ({"target_type": "cholesterol"}, "target_type"),
        ({"due_date": TODAY - timedelta(days=1)}, "due_date"),
        ({"review_date": TODAY - timedelta(days=1)}, "review_date"),
        ({"programmes": ["XYZ"]}, "programmes"),
        ({"domain": "money"}, "domain"),
    ],
)
def test_bad_goal_input_is_refused_and_changes_nothing(db, world, overrides, field):
    with pytest.raises(FormValidationError) as error:
        goals.propose_goal(
            db,
            world.actor(world.patient_user),
            world.patient.id,
            goal_input(**overrides),
            today=TODAY,
            now=NOW,
        )
    assert field in error.value.errors
    assert count(db, Goal) == 0
    assert count(db, CarePlan) == 0


def test_target_unit_is_stored_in_ucum(db, world):
    goal = active_goal(db, world)
    assert goal.target_unit == "mm[Hg]"
    assert goal.target_value == 140.0


# --- agreement -----------------------------------------------------------------------------


def test_patient_proposes_and_professional_agrees_then_goal_is_active(db, world):
    goal = goals.propose_goal(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        goal_input(review_date=None),
        today=TODAY,
        now=NOW,
    )
    assert goal.lifecycle == "proposed"
    assert goal.proposed_by == "patient"
    assert goal.agreed_by_patient_at is not None and goal.agreed_by_professional_at is None
    goals.agree_goal(db, world.actor(world.poh), goal.id, today=TODAY, now=NOW)
    assert goal.lifecycle == "active"
    assert goal.agreed_by_professional_id == world.poh.id
    assert goal.review_date == TODAY + timedelta(weeks=goals.REVIEW_INTERVAL_WEEKS)


def test_proposer_agreeing_again_keeps_goal_proposed(db, world):
    goal = goals.propose_goal(
        db, world.actor(world.poh), world.patient.id, goal_input(), today=TODAY, now=NOW
    )
    goals.agree_goal(db, world.actor(world.poh), goal.id, today=TODAY, now=NOW)
    assert goal.lifecycle == "proposed"


# --- access --------------------------------------------------------------------------------


def test_patient_editing_another_patients_goal_is_denied_and_audited(db, world):
    goal = active_goal(db, world)
    db.commit()
    intruder = world.actor(world.other_patient_user)
    with pytest.raises(NotFound):
        goals.edit_goal(
            db, intruder, goal.id, goal_input(title="Gehackt"), version=goal.version, today=TODAY
        )
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.user_id == world.other_patient_user.id,
            AuditEntry.outcome == AuditOutcome.denied,
            AuditEntry.object_type == "Goal",
        )
    ).all()
    assert denied and denied[0].patient_id == world.patient.id
    db.refresh(goal)
    assert goal.title == "Mijn bloeddruk omlaag"


def test_professional_of_other_practice_cannot_read_plan(db, world):
    active_goal(db, world)
    with pytest.raises(NotFound):
        pages.open_plan(db, world.actor(world.other_poh), world.patient.id, today=TODAY)


def test_unknown_goal_is_not_found(db, world):
    with pytest.raises(NotFound):
        pages.open_goal(db, world.actor(world.poh), 999_999)


def test_patient_cannot_change_professional_only_goal_fields(db, world):
    goal = active_goal(db, world)
    with pytest.raises(Forbidden):
        goals.edit_goal(
            db,
            world.actor(world.patient_user),
            goal.id,
            goal_input(target_value="160"),
            version=goal.version,
            today=TODAY,
        )
    assert goal.target_value == 140.0


def test_patient_may_change_the_title_in_own_words(db, world):
    goal = active_goal(db, world)
    goals.edit_goal(
        db,
        world.actor(world.patient_user),
        goal.id,
        goal_input(title="Bloeddruk onder de 140"),
        version=goal.version,
        today=TODAY,
    )
    assert goal.title == "Bloeddruk onder de 140"


def test_patient_cannot_change_professional_only_plan_fields(db, world):
    plan = plans.get_or_create_plan(db, world.actor(world.poh), world.patient.id, now=NOW)
    with pytest.raises(Forbidden):
        plans.update_plan(
            db,
            world.actor(world.patient_user),
            world.patient.id,
            plan_input(plan, support_needs="Ik hoef niets"),
            version=plan.version,
            today=TODAY,
        )
    plans.update_plan(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        plan_input(plan, what_matters="Mijn kleinkinderen"),
        version=plan.version,
        today=TODAY,
    )
    assert plan.what_matters == "Mijn kleinkinderen"


# --- optimistic locking --------------------------------------------------------------------


def test_stale_goal_edit_raises_conflict_with_other_persons_changes(db, world):
    goal = active_goal(db, world)
    loaded_version = goal.version
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(target_value="135"),
        version=loaded_version,
        today=TODAY,
    )
    with pytest.raises(Conflict) as error:
        goals.edit_goal(
            db,
            world.actor(world.patient_user),
            goal.id,
            goal_input(title="Iets anders", target_value="135"),
            version=loaded_version,
            today=TODAY,
        )
    info = error.value.current
    # The POH's new target asks the patient to agree again: that shows as a change too.
    assert info.changed_fields[0] == "target_value"
    assert "agreed_by_patient_at" in info.changed_fields
    assert info.values["target_value"] == 135.0
    assert info.changed_by == world.poh.name
    db.refresh(goal)
    assert goal.title == "Mijn bloeddruk omlaag"


def test_stale_plan_edit_raises_conflict(db, world):
    poh = world.actor(world.poh)
    plan = plans.get_or_create_plan(db, poh, world.patient.id, now=NOW)
    plans.update_plan(
        db, poh, world.patient.id, plan_input(plan, support_needs="A"), version=1, today=TODAY
    )
    with pytest.raises(Conflict) as error:
        plans.update_plan(
            db, poh, world.patient.id, plan_input(plan, support_needs="B"), version=1, today=TODAY
        )
    assert error.value.current.changed_fields == ["support_needs"]
    assert plan.support_needs == "A"


# --- do: actions ---------------------------------------------------------------------------


def test_logging_an_action_twice_with_one_token_makes_one_log(db, world):
    goal = active_goal(db, world)
    action = actions.add_action(
        db,
        world.actor(world.poh),
        goal.id,
        what="Elke dag wandelen",
        who="Gerda",
        how_often="dagelijks",
    )
    patient = world.actor(world.patient_user)
    first, created = actions.log_action(
        db, patient, action.id, done_on=TODAY, note="fijn", client_token="tok-1", today=TODAY
    )
    again, created_again = actions.log_action(
        db, patient, action.id, done_on=TODAY, note="fijn", client_token="tok-1", today=TODAY
    )
    assert created and not created_again and first.id == again.id
    assert count(db, ActionLog) == 1


def test_action_log_in_the_future_is_refused(db, world):
    goal = active_goal(db, world)
    action = actions.add_action(db, world.actor(world.poh), goal.id, what="Wandelen")
    with pytest.raises(ValidationError):
        actions.log_action(
            db,
            world.actor(world.patient_user),
            action.id,
            done_on=TODAY + timedelta(days=1),
            client_token="t",
            today=TODAY,
        )


def test_empty_action_is_refused(db, world):
    goal = active_goal(db, world)
    with pytest.raises(ValidationError) as error:
        actions.add_action(db, world.actor(world.poh), goal.id, what="  ")
    assert error.value.field == "what"


# --- check + act: reviews ------------------------------------------------------------------


def add_measurement(db, world, value, at):
    db.add(
        Measurement(
            patient_id=world.patient.id,
            type_code="bp_systolic",
            value=value,
            unit="mm[Hg]",
            measured_at=at,
            source=MeasurementSource.patient,
        )
    )
    db.flush()


def test_review_computes_progress_from_measurements_and_adjust_starts_next_cycle(db, world):
    goal = active_goal(db, world)
    add_measurement(db, world, 156, NOW - timedelta(days=3))
    add_measurement(db, world, 150, NOW + timedelta(days=10))
    add_measurement(db, world, 145, NOW + timedelta(days=20))
    reviews.prepare_review(
        db,
        world.actor(world.patient_user),
        goal.id,
        score=3,
        helped="Wandelen",
        hard="Zout laten staan",
        token="p1",
    )
    review, created = reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        professional_view="Goed op weg",
        achievement="improving",
        decision="adjust",
        next_review=None,
        token="r1",
        today=TODAY + timedelta(days=30),
    )
    assert created
    assert review.patient_score == 3 and review.patient_helped == "Wandelen"
    assert review.progress["latest"] == 145.0
    assert review.progress["baseline"] == 156.0
    assert review.progress["suggested"] == "improving"  # too few readings: the median's trend
    assert review.achievement == "improving"
    assert goal.lifecycle == "active"
    assert goal.review_date == TODAY + timedelta(days=30, weeks=goals.REVIEW_INTERVAL_WEEKS)
    assert count(db, GoalReview) == 1


def test_double_submitted_review_makes_one_review(db, world):
    goal = active_goal(db, world)
    kwargs = {
        "professional_view": "",
        "achievement": "improving",
        "decision": "continue",
        "next_review": None,
        "token": "same",
        "today": TODAY,
    }
    first, created = reviews.review_goal(db, world.actor(world.poh), goal.id, **kwargs)
    again, created_again = reviews.review_goal(db, world.actor(world.poh), goal.id, **kwargs)
    assert created and not created_again and first.id == again.id
    assert count(db, GoalReview) == 1


def test_review_of_cancelled_goal_is_refused(db, world):
    goal = active_goal(db, world)
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement=None,
        decision="stop",
        next_review=None,
        token="a",
        today=TODAY,
    )
    assert goal.lifecycle == "cancelled" and goal.achievement == "not-achieved"
    with pytest.raises(ValidationError):
        reviews.review_goal(
            db,
            world.actor(world.poh),
            goal.id,
            achievement=None,
            decision="continue",
            next_review=None,
            token="b",
            today=TODAY,
        )
    assert count(db, GoalReview) == 1


def test_review_decision_achieved_completes_the_goal(db, world):
    goal = active_goal(db, world)
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement=None,
        decision="achieved",
        next_review=None,
        token="a",
        today=TODAY,
    )
    assert (goal.lifecycle, goal.achievement, goal.review_date) == ("completed", "achieved", None)


def test_review_with_next_date_in_past_is_refused(db, world):
    goal = active_goal(db, world)
    with pytest.raises(ValidationError):
        reviews.review_goal(
            db,
            world.actor(world.poh),
            goal.id,
            achievement=None,
            decision="continue",
            next_review=TODAY - timedelta(days=1),
            token="a",
            today=TODAY,
        )
    assert count(db, GoalReview) == 0


def test_patient_cannot_complete_a_review(db, world):
    goal = active_goal(db, world)
    with pytest.raises(Forbidden):
        reviews.review_goal(
            db,
            world.actor(world.patient_user),
            goal.id,
            achievement=None,
            decision="achieved",
            next_review=None,
            token="a",
            today=TODAY,
        )


def test_prepared_review_of_proposed_goal_is_refused(db, world):
    goal = goals.propose_goal(
        db, world.actor(world.patient_user), world.patient.id, goal_input(), today=TODAY, now=NOW
    )
    with pytest.raises(ValidationError):
        reviews.prepare_review(db, world.actor(world.patient_user), goal.id, score=3, token="x")


# --- history -------------------------------------------------------------------------------


def test_every_change_writes_a_revision_with_old_and_new_values(db, world):
    goal = active_goal(db, world)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(target_value="135"),
        version=goal.version,
        today=TODAY,
        now=NOW + timedelta(hours=1),
    )
    revisions = db.exec(
        select(Revision).where(Revision.object_type == "Goal").order_by(Revision.id)
    ).all()
    assert len(revisions) == 3  # proposed, agreed, edited
    last = revisions[-1]
    assert last.user_id == world.poh.id
    assert last.changes[0] == {"field": "target_value", "old": 140.0, "new": 135.0}
    # ...and the patient's agreement, which covered the old target, is cleared in the record.
    assert {"field": "agreed_by_patient_at", "old": "2026-11-30T09:00:00+00:00", "new": None} in (
        last.changes
    )


def test_plan_on_a_date_shows_the_values_of_that_day(db, world):
    day1 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    day2 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    poh = world.actor(world.poh)
    goal = active_goal(db, world, now=day1)
    plan = db.get(CarePlan, goal.plan_id)
    plans.update_plan(
        db,
        poh,
        world.patient.id,
        plan_input(plan, support_needs="Eerste"),
        version=plan.version,
        today=TODAY,
        now=day1,
    )
    goals.edit_goal(
        db,
        poh,
        goal.id,
        goal_input(target_value="130"),
        version=goal.version,
        today=TODAY,
        now=day2,
    )
    plans.update_plan(
        db,
        poh,
        world.patient.id,
        plan_input(plan, support_needs="Tweede"),
        version=plan.version,
        today=TODAY,
        now=day2,
    )
    later = goals.propose_goal(
        db, poh, world.patient.id, goal_input(title="Later doel"), today=TODAY, now=day2
    )
    before = history.plan_at(
        db, poh, world.patient.id, at=history.end_of_day_utc(date(2026, 12, 1))
    )
    assert before.plan["support_needs"] == "Eerste"
    assert [g["target_value"] for g in before.goals] == [140.0]
    assert later.id not in [g["id"] for g in before.goals]
    after = history.plan_at(
        db, poh, world.patient.id, at=history.end_of_day_utc(date(2026, 12, 10))
    )
    assert after.plan["support_needs"] == "Tweede"
    assert [g["target_value"] for g in after.goals] == [130.0, 140.0]


def test_goals_due_lists_own_practice_goals_within_two_weeks(db, world):
    active_goal(db, world, review_date=TODAY + timedelta(days=5))
    active_goal(db, world, title="Later", review_date=TODAY + timedelta(days=60))
    due = pages.goals_due(db, world.actor(world.poh), today=TODAY)
    assert [d.goal.title for d in due] == ["Mijn bloeddruk omlaag"]
    assert pages.goals_due(db, world.actor(world.other_poh), today=TODAY) == []


def _activation(db, world, value: int) -> None:
    """A scored activation assessment: all answers ``value`` except one lower."""
    from zelfzorg.assessment import services as assessment

    actor = world.actor(world.patient_user)
    response = assessment.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    answers = {f"a{i:02d}": value for i in range(1, 14)}
    answers["a01"] = value - 1
    assessment.save_answers(db, actor, response_id=response.id, answers=answers, now=NOW)
    assessment.submit_response(db, actor, response_id=response.id, now=NOW)


def test_next_review_follows_the_activation_level_when_no_date_is_given(db, world):
    goal = active_goal(db, world)
    _activation(db, world, 2)  # mean 1.92 -> score 30.8 -> level 1: review after 6 weeks
    review, _ = reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement="improving",
        decision="continue",
        next_review=None,
        token="lvl1",
        today=TODAY,
    )
    assert review.next_review_date == TODAY + timedelta(weeks=6)
    _activation(db, world, 4)  # mean 3.92 -> level 4: the patient leads, 26 weeks
    assert reviews.default_review_interval(db, world.patient.id) == 26


def test_without_an_assessment_the_standard_interval_applies(db, world):
    assert reviews.default_review_interval(db, world.patient.id) == goals.REVIEW_INTERVAL_WEEKS


def test_a_completed_review_invites_the_patient_to_the_experience_questionnaire_once(db, world):
    from zelfzorg.assessment.models import AssessmentResponse

    goal = active_goal(db, world)
    kwargs = {
        "achievement": "improving",
        "decision": "continue",
        "next_review": None,
        "token": "sdm",
        "today": TODAY,
    }
    review, _ = reviews.review_goal(db, world.actor(world.poh), goal.id, **kwargs)
    reviews.review_goal(db, world.actor(world.poh), goal.id, **kwargs)  # double submit
    invites = db.exec(
        select(AssessmentResponse).where(AssessmentResponse.context == f"review:{review.id}")
    ).all()
    assert [(i.instrument_code, i.status) for i in invites] == [("sdm_experience", "in_progress")]
