"""A goal the patient proposed or changed reaches the care team (issue 15, part 4): a
notification for the care providers and a reason on the worklist until one of them agrees."""

from __future__ import annotations

from sqlmodel import select

from tests.factories import make_user
from tests.izp.helpers import NOW, TODAY, active_goal, goal_input
from zelfzorg.accounts.models import Role
from zelfzorg.izp import goals
from zelfzorg.notifications.models import Notification
from zelfzorg.patients.models import CareTeamMember, CareTeamRole
from zelfzorg.web import today
from zelfzorg.worklist import worklist_page


def to_agree(db, user_id: int) -> list[Notification]:
    return list(
        db.exec(
            select(Notification).where(
                Notification.kind == "izp_goal_to_agree", Notification.user_id == user_id
            )
        ).all()
    )


def reasons_of(db, world, patient_id: int) -> list[str]:
    rows = worklist_page(db, [world.practice.id], TODAY, page_size=None).rows
    return [i.kind for r in rows if r.patient_id == patient_id for i in r.items]


def test_a_patient_proposed_goal_notifies_the_practice_and_is_a_worklist_reason(db, world):
    goal = goals.propose_goal(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        goal_input(title="Elke dag wandelen"),
        today=TODAY,
        now=NOW,
    )
    notes = to_agree(db, world.poh.id)
    assert len(notes) == 1
    assert notes[0].params == {"patient": world.patient.full_name, "title": "Elke dag wandelen"}
    assert notes[0].link == f"endpoint:izp.goal?goal_id={goal.id}"
    assert to_agree(db, world.other_poh.id) == []  # another practice hears nothing
    assert "goal_to_agree" in reasons_of(db, world, world.patient.id)
    # Once the care provider agrees it is no longer work.
    goals.agree_goal(db, world.actor(world.poh), goal.id, today=TODAY, now=NOW)
    assert "goal_to_agree" not in reasons_of(db, world, world.patient.id)


def test_a_goal_the_professional_proposes_is_no_reason_and_notifies_no_care_provider(db, world):
    goals.propose_goal(
        db, world.actor(world.poh), world.patient.id, goal_input(), today=TODAY, now=NOW
    )
    assert to_agree(db, world.poh.id) == []
    assert "goal_to_agree" not in reasons_of(db, world, world.patient.id)


def test_a_patient_change_to_an_agreed_goal_asks_the_care_team_again(db, world):
    goal = active_goal(db, world)
    # The patient's own care team: only that care provider hears of it.
    colleague = make_user(db, Role.professional, practice=world.practice)
    db.add(
        CareTeamMember(
            patient_id=world.patient.id, user_id=colleague.id, role=CareTeamRole.contactpersoon
        )
    )
    db.flush()
    goals.edit_goal(
        db,
        world.actor(world.patient_user),
        goal.id,
        goal_input(title="Bloeddruk lager dan 140"),
        version=goal.version,
        today=TODAY,
        now=NOW,
    )
    assert [n.params["title"] for n in to_agree(db, colleague.id)] == ["Bloeddruk lager dan 140"]
    assert to_agree(db, world.poh.id) == []
    assert "goal_to_agree" in reasons_of(db, world, world.patient.id)


def test_the_worklist_page_shows_the_patients_goal_with_a_link_to_agree(db, world, login):
    goal = goals.propose_goal(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        goal_input(title="Minder zout", review_date=None),
        today=today(),
    )
    db.commit()
    page = login(world.poh).get("/werklijst").text
    assert 'class="reason-goal_to_agree"' in page
    assert 'Patiënt stelt het doel "Minder zout" voor' in page or (
        "Patiënt stelt het doel &#34;Minder zout&#34; voor" in page
    )
    assert f"/doelen/{goal.id}" in page and ">Doel wacht op uw akkoord<" in page
    filtered = login(world.poh).get("/werklijst?kind=goal_to_agree").text
    assert filtered.count('class="kind-') == 1
