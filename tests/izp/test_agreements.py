"""Plan agreements (who does what, by when) and asking for agreement again after a goal
changes: services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.izp.helpers import NOW, TODAY, active_goal, goal_input
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.izp import agreements, goals, history, pages
from zelfzorg.izp.models import Goal, PlanAgreement, Revision
from zelfzorg.izp.pdca import FormValidationError
from zelfzorg.notifications.models import Notification
from zelfzorg.telemonitoring.targets import active_goal_target


def add(db, world, **overrides):
    values = {"what": "Bloeddruk 2 keer per week meten", "who": "Patiënt"}
    values.update(overrides)
    return agreements.add_agreement(
        db,
        world.actor(world.poh),
        world.patient.id,
        agreements.AgreementInput(**values),
        today=TODAY,
        now=NOW,
    )


# --- agreements ----------------------------------------------------------------------------


def test_poh_records_who_does_what_by_when_with_a_revision(db, world):
    agreement = add(db, world, due_date=TODAY + timedelta(days=28))
    assert (agreement.what, agreement.who, agreement.status) == (
        "Bloeddruk 2 keer per week meten",
        "Patiënt",
        "open",
    )
    view = pages.open_plan(db, world.actor(world.patient_user), world.patient.id, today=TODAY)
    assert [a.id for a in view.agreements] == [agreement.id]  # the plan was made for it
    revision = db.exec(select(Revision).where(Revision.object_type == "PlanAgreement")).one()
    assert {c["field"] for c in revision.changes} >= {"what", "who", "due_date", "status"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"what": ""}, "what"),
        ({"what": "x" * 501}, "what"),
        ({"who": "  "}, "who"),
        ({"who": "x" * 101}, "who"),
        ({"due_date": TODAY - timedelta(days=1)}, "due_date"),
    ],
)
def test_bad_agreement_input_is_refused_and_nothing_is_saved(db, world, overrides, field):
    with pytest.raises(FormValidationError) as error:
        add(db, world, **overrides)
    assert field in error.value.errors
    assert db.exec(select(PlanAgreement)).all() == []


def test_patient_cannot_record_or_change_agreements_but_ticks_them_off(db, world):
    agreement = add(db, world)
    patient = world.actor(world.patient_user)
    with pytest.raises(Forbidden):
        agreements.add_agreement(
            db, patient, world.patient.id, agreements.AgreementInput(what="x", who="y"), today=TODAY
        )
    with pytest.raises(Forbidden):
        agreements.update_agreement(
            db,
            patient,
            agreement.id,
            agreements.AgreementInput(what="Niets", who="Niemand"),
            version=agreement.version,
            today=TODAY,
        )
    done = agreements.mark_done(db, patient, agreement.id, today=TODAY, now=NOW)
    assert (done.status, done.done_date) == ("done", TODAY)
    again = agreements.mark_done(db, patient, agreement.id, today=TODAY, now=NOW)
    assert again.version == done.version  # a double click changes nothing
    reopened = agreements.mark_done(db, patient, agreement.id, done=False, today=TODAY, now=NOW)
    assert (reopened.status, reopened.done_date) == ("open", None)


def test_other_patient_and_other_practice_are_denied_and_audited(db, world):
    agreement = add(db, world)
    with pytest.raises(NotFound):
        agreements.mark_done(db, world.actor(world.other_patient_user), agreement.id, today=TODAY)
    with pytest.raises(NotFound):
        agreements.update_agreement(
            db,
            world.actor(world.other_poh),
            agreement.id,
            agreements.AgreementInput(what="x", who="y"),
            version=1,
            today=TODAY,
        )
    with pytest.raises(NotFound):
        agreements.mark_done(db, world.actor(world.poh), 99999, today=TODAY)
    denied = db.exec(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.denied)).all()
    assert len(denied) >= 3
    assert db.get(PlanAgreement, agreement.id).status == "open"


def test_stale_agreement_edit_is_a_conflict_naming_what_changed(db, world):
    agreement = add(db, world)
    poh = world.actor(world.poh)
    loaded = agreement.version
    agreements.update_agreement(
        db,
        poh,
        agreement.id,
        agreements.AgreementInput(what=agreement.what, who="POH"),
        version=loaded,
        today=TODAY,
    )
    with pytest.raises(Conflict) as error:
        agreements.update_agreement(
            db,
            poh,
            agreement.id,
            agreements.AgreementInput(what="Anders", who="Patiënt"),
            version=loaded,
            today=TODAY,
        )
    assert error.value.current.changed_fields == ["who"]
    assert db.get(PlanAgreement, agreement.id).what == "Bloeddruk 2 keer per week meten"


def test_cancelled_agreement_is_kept_and_cannot_be_ticked_off(db, world):
    agreement = add(db, world)
    agreements.update_agreement(
        db,
        world.actor(world.poh),
        agreement.id,
        agreements.AgreementInput(what=agreement.what, who=agreement.who, status="cancelled"),
        version=agreement.version,
        today=TODAY,
    )
    with pytest.raises(ValidationError):
        agreements.mark_done(db, world.actor(world.patient_user), agreement.id, today=TODAY)
    assert db.get(PlanAgreement, agreement.id).status == "cancelled"


def test_an_old_due_date_may_stay_when_other_fields_change(db, world):
    agreement = add(db, world, due_date=TODAY)
    later = TODAY + timedelta(days=10)
    saved = agreements.update_agreement(
        db,
        world.actor(world.poh),
        agreement.id,
        agreements.AgreementInput(what="Anders", who=agreement.who, due_date=TODAY),
        version=agreement.version,
        today=later,
    )
    assert saved.what == "Anders" and saved.due_date == TODAY


def test_plan_on_a_date_shows_the_agreements_of_that_day(db, world):
    agreement = add(db, world)
    agreements.update_agreement(
        db,
        world.actor(world.poh),
        agreement.id,
        agreements.AgreementInput(what="Later anders", who="POH"),
        version=agreement.version,
        today=TODAY,
        now=NOW + timedelta(days=2),
    )
    poh = world.actor(world.poh)
    then = history.plan_at(db, poh, world.patient.id, at=NOW + timedelta(hours=1))
    now = history.plan_at(db, poh, world.patient.id, at=NOW + timedelta(days=3))
    assert [a["what"] for a in then.agreements] == ["Bloeddruk 2 keer per week meten"]
    assert [(a["what"], a["who"]) for a in now.agreements] == [("Later anders", "POH")]


# --- changing an agreed goal asks the other party to agree again ---------------------------


def test_poh_changing_the_target_asks_the_patient_to_agree_again_and_goal_stays_active(db, world):
    goal = active_goal(db, world)
    old_target = active_goal_target(db, goal.id)
    assert old_target is not None and old_target.high == 140
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(target_value="130"),
        version=goal.version,
        today=TODAY,
        now=NOW + timedelta(hours=1),
    )
    db.refresh(goal)
    assert goal.lifecycle == "active"
    assert goal.agreed_by_patient_at is None
    assert goal.agreed_by_professional_at is not None
    # Until the patient agrees, the last agreed target stays the personal target.
    assert active_goal_target(db, goal.id).high == 140
    note = db.exec(select(Notification).where(Notification.user_id == world.patient_user.id)).one()
    assert note.kind == "izp_goal_changed" and note.link == f"endpoint:izp.goal?goal_id={goal.id}"
    goals.agree_goal(db, world.actor(world.patient_user), goal.id, today=TODAY)
    db.refresh(goal)
    assert goal.agreed_by_patient_at is not None and goal.lifecycle == "active"
    assert active_goal_target(db, goal.id).high == 130


def test_patient_changing_the_title_asks_the_professional_to_agree_again(db, world):
    goal = active_goal(db, world)
    goals.edit_goal(
        db,
        world.actor(world.patient_user),
        goal.id,
        goal_input(title="Mijn bloeddruk rustig omlaag"),
        version=goal.version,
        today=TODAY,
    )
    db.refresh(goal)
    assert goal.agreed_by_professional_at is None
    assert goal.agreed_by_patient_id == world.patient_user.id
    assert goal.lifecycle == "active"


@pytest.mark.parametrize(
    "change",
    [
        {"review_date": TODAY + timedelta(days=40)},
        {"domain": "lifestyle"},
    ],
)
def test_planning_changes_keep_both_agreements(db, world, change):
    goal = active_goal(db, world)
    goals.edit_goal(
        db, world.actor(world.poh), goal.id, goal_input(**change), version=goal.version, today=TODAY
    )
    db.refresh(goal)
    assert goal.agreed_by_patient_at is not None and goal.agreed_by_professional_at is not None


def test_linking_another_condition_is_a_change_of_substance(db, world):
    goal = active_goal(db, world)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(programmes=["CVRM", "DM2"]),
        version=goal.version,
        today=TODAY,
    )
    assert db.get(Goal, goal.id).agreed_by_patient_at is None
