"""Honest progress in the review (issue 15, part 5): the readings since the last review with
the rule shown, the professional's choice saved as chosen and checked against the decision,
the interval text equal to what is saved, and moved reviews updating their reminders."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlmodel import select

from tests.assessment.helpers import LEVEL_1, complete
from tests.izp.helpers import NOW, TODAY, active_goal, goal_input
from zelfzorg.errors import ValidationError
from zelfzorg.izp import goals, reviews
from zelfzorg.izp.jobs import CLOSED, MOVED, REVIEWED, UNPLANNED, review_reminders
from zelfzorg.izp.models import Goal, GoalReview
from zelfzorg.notifications.models import Notification
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.web import today


def reading(db, world, value: float, at) -> None:
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


def review(db, world, goal, **overrides):
    values = {
        "professional_view": "",
        "achievement": "in-progress",
        "decision": "continue",
        "next_review": None,
        "token": "t1",
        "today": TODAY,
    }
    values.update(overrides)
    return reviews.review_goal(db, world.actor(world.poh), goal.id, **values)


# --- services ----------------------------------------------------------------------------------


def test_one_good_reading_after_four_high_ones_is_not_proposed_as_achieved(db, world):
    goal = active_goal(db, world)
    for day, value in enumerate([152, 149, 151, 148, 138], start=1):
        reading(db, world, value, NOW + timedelta(days=day))
    progress = reviews.goal_progress(db, goal)
    assert progress is not None
    assert progress.latest == 138.0 and progress.on_target == 1 and progress.window == 5
    assert progress.suggested.value != "achieved"
    texts = [m.text() for m in progress.messages]
    assert "1 van de laatste 5 metingen sinds de start van het doel halen het doel." in texts[1]
    assert texts[-1].startswith("Rekenregel voor het voorstel")


def test_progress_counts_only_the_readings_since_the_last_review(db, world):
    goal = active_goal(db, world)
    for day in range(1, 6):
        reading(db, world, 150, NOW + timedelta(days=day))
    review(
        db,
        world,
        goal,
        today=TODAY + timedelta(days=6),
        now=NOW + timedelta(days=6),
        next_review=TODAY + timedelta(days=60),
    )
    later = NOW + timedelta(days=6, hours=1)
    for hour, value in enumerate([135, 136, 134]):
        reading(db, world, value, later + timedelta(hours=hour))
    progress = reviews.goal_progress(db, goal)
    assert progress is not None and progress.since_review
    assert progress.count == 3 and progress.on_target == 3
    assert progress.suggested.value == "achieved"
    assert "sinds de vorige evaluatie" in progress.verdict.text()  # type: ignore[union-attr]


def test_the_professionals_choice_is_saved_as_chosen_even_against_the_suggestion(db, world):
    goal = active_goal(db, world)
    for day, value in enumerate([130, 131, 132], start=1):
        reading(db, world, value, NOW + timedelta(days=day))
    assert reviews.goal_progress(db, goal).suggested.value == "achieved"  # type: ignore[union-attr]
    saved, _ = review(db, world, goal, achievement="no-change", decision="adjust")
    assert saved.achievement == "no-change" and goal.achievement == "no-change"
    assert saved.progress["suggested"] == "achieved"  # the suggestion is kept beside it


@pytest.mark.parametrize(
    ("achievement", "decision", "message"),
    [
        (None, "adjust", "Kies hoe het met het doel gaat."),
        (None, "continue", "Kies hoe het met het doel gaat."),
        ("achieved", "adjust", 'U kiest "Doel of acties aanpassen", maar ook'),
        ("improving", "achieved", 'U kiest "Doel gehaald, afronden", maar'),
        ("achieved", "stop", "Een gehaald doel stopt u niet"),
    ],
)
def test_status_and_decision_that_contradict_are_refused_and_change_nothing(
    db, world, achievement, decision, message
):
    goal = active_goal(db, world)
    version = goal.version
    with pytest.raises(ValidationError) as error:
        review(db, world, goal, achievement=achievement, decision=decision)
    assert error.value.message.startswith(message)
    assert error.value.field == "achievement"
    assert goal.version == version and goal.lifecycle == "active"
    assert db.exec(select(GoalReview).where(GoalReview.decision.is_not(None))).all() == []  # type: ignore[union-attr]


def test_achieved_and_stop_without_a_status_imply_one(db, world):
    goal = active_goal(db, world)
    saved, _ = review(db, world, goal, achievement=None, decision="achieved")
    assert saved.achievement == "achieved" and goal.lifecycle == "completed"
    other = active_goal(db, world, title="Tweede")
    saved, _ = review(db, world, other, achievement="worsening", decision="stop", token="t2")
    assert saved.achievement == "worsening" and other.lifecycle == "cancelled"


def test_a_moved_review_updates_the_reminder_already_sent(db, world):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=5))
    assert review_reminders(db, TODAY) == "1 reminders"
    new_date = TODAY + timedelta(days=40)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(review_date=new_date),
        version=goal.version,
        today=TODAY,
    )
    note = db.exec(select(Notification).where(Notification.kind == "izp_review_due")).one()
    assert note.message == MOVED
    assert note.params["date"] == {"nl": "9 januari 2027", "en": "9 January 2027"}
    assert note.read_at is None
    # A week before the new date the patient is reminded again.
    assert review_reminders(db, new_date - timedelta(days=7)) == "1 reminders"


def reminders(db) -> list[Notification]:
    return list(
        db.exec(
            select(Notification)
            .where(Notification.kind == "izp_review_due")
            .order_by(Notification.id)  # type: ignore[arg-type]
        ).all()
    )


def shown_dates(db) -> list[str]:
    """Every date a review reminder shows, in either language."""
    return [d for n in reminders(db) if "date" in n.params for d in n.params["date"].values()]


def test_a_held_review_rewrites_its_reminder_to_the_next_date(db, world):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=5))
    review_reminders(db, TODAY)
    next_date = TODAY + timedelta(days=84)
    review(db, world, goal, next_review=next_date, today=TODAY + timedelta(days=5))
    (note,) = reminders(db)
    assert note.message == REVIEWED
    assert shown_dates(db) == ["22 februari 2027", "22 February 2027"]
    # The job reminds of the next review a week ahead, once.
    assert review_reminders(db, next_date - timedelta(days=7)) == "1 reminders"
    assert review_reminders(db, next_date - timedelta(days=6)) == "0 reminders"


def test_a_review_held_and_planned_on_the_same_date_still_reminds_of_the_next_one(db, world):
    day = TODAY + timedelta(days=5)
    goal = active_goal(db, world, review_date=day)
    review_reminders(db, TODAY)
    later = day + timedelta(days=70)
    review(db, world, goal, next_review=later, today=day)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(review_date=day),  # moved back to the day just reviewed
        version=goal.version,
        today=TODAY,
    )
    assert {n.message for n in reminders(db)} == {MOVED}
    assert review_reminders(db, TODAY) == "1 reminders"


@pytest.mark.parametrize("decision", ["achieved", "stop"])
def test_a_closed_goal_leaves_no_reminder_with_a_date(db, world, decision):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=5))
    review_reminders(db, TODAY)
    achievement = "achieved" if decision == "achieved" else "no-change"
    review(db, world, goal, achievement=achievement, decision=decision)
    (note,) = reminders(db)
    assert note.message == CLOSED and shown_dates(db) == []
    assert review_reminders(db, TODAY) == "0 reminders"


def test_a_review_date_removed_says_a_new_date_follows(db, world):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=5))
    review_reminders(db, TODAY)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(review_date=None),
        version=goal.version,
        today=TODAY,
    )
    (note,) = reminders(db)
    assert note.message == UNPLANNED and shown_dates(db) == []


def test_the_reminder_page_shows_the_new_date_in_the_patients_language(db, world, login):
    goal = active_goal(db, world, review_date=today() + timedelta(days=5))
    review_reminders(db, today())
    new_date = today() + timedelta(days=40)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(review_date=new_date),
        version=goal.version,
        today=today(),
    )
    world.patient_user.locale = "en"
    db.commit()
    page = login(world.patient_user).get("/meldingen").get_data(as_text=True)
    assert format_date(new_date, "long", locale="en_GB") in page
    assert format_date(today() + timedelta(days=5), "long", locale="en_GB") not in page
    assert "moved" in page


def test_an_unchanged_review_date_leaves_the_reminder_alone(db, world):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=5))
    review_reminders(db, TODAY)
    goals.edit_goal(
        db,
        world.actor(world.poh),
        goal.id,
        goal_input(title="Bloeddruk lager", review_date=goal.review_date),
        version=goal.version,
        today=TODAY,
    )
    note = db.exec(select(Notification).where(Notification.kind == "izp_review_due")).one()
    assert note.message != MOVED


# --- HTTP --------------------------------------------------------------------------------------


def form_token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_review_form_preselects_no_status_and_shows_the_rule(db, world, login):
    goal = active_goal(db, world, review_date=today() + timedelta(days=3))
    for day, value in enumerate([130, 131, 132], start=1):
        reading(db, world, value, NOW + timedelta(days=day))
    db.commit()
    page = login(world.poh).get(f"/doelen/{goal.id}/evaluatie").text
    assert "Rekenregel voor het voorstel" in page
    assert "Voorstel uit de metingen: Gehaald." in page
    assert "Dit is alleen een voorstel" in page
    # The empty choice is the first one and nothing else is selected.
    select_html = page[page.index('name="achievement"') : page.index("</select>")]
    assert "selected" not in select_html.replace('<option selected value="">', "")
    assert "Zoals berekend" not in page
    assert 'name="decision" type="radio" value="continue" checked' not in page


def test_posting_adjust_with_the_default_status_is_refused_with_a_message(
    db, world, login, no_csrf
):
    goal = active_goal(db, world, review_date=today() + timedelta(days=3))
    for day, value in enumerate([130, 131, 132], start=1):
        reading(db, world, value, NOW + timedelta(days=day))
    db.commit()
    client = login(world.poh)
    page = client.get(f"/doelen/{goal.id}/evaluatie").text
    data = {"token": form_token(page), "decision": "adjust", "achievement": ""}
    response = client.post(f"/doelen/{goal.id}/evaluatie", data=data)
    assert response.status_code == 400 and "Kies hoe het met het doel gaat." in response.text
    data["achievement"] = "achieved"
    response = client.post(f"/doelen/{goal.id}/evaluatie", data=data)
    assert response.status_code == 400
    assert "Doel of acties aanpassen" in response.text and "maar ook" in response.text
    db.expire_all()
    assert db.get(Goal, goal.id).achievement == "in-progress"  # type: ignore[union-attr]
    db.commit()  # end the read, so the next request may write
    data["achievement"] = "no-change"
    assert client.post(f"/doelen/{goal.id}/evaluatie", data=data).status_code == 302
    db.expire_all()
    assert db.get(Goal, goal.id).achievement == "no-change"  # type: ignore[union-attr]


def test_the_interval_the_form_names_is_the_interval_it_saves(db, world, login, no_csrf):
    complete(db, world, LEVEL_1)  # level 1: a shorter interval than the default 12 weeks
    goal = active_goal(db, world, review_date=today() + timedelta(days=3))
    db.commit()
    weeks = reviews.default_review_interval(db, world.patient.id)
    assert weeks != goals.REVIEW_INTERVAL_WEEKS
    db.commit()  # end the read, so the requests may write
    expected = today() + timedelta(weeks=weeks)
    client = login(world.poh)
    page = client.get(f"/doelen/{goal.id}/evaluatie").text
    shown = format_date(expected, "medium", locale="nl")
    assert f"Leeg laten: over {weeks} weken, op {shown}." in page
    assert f"volgende evaluatie over {weeks} weken, op {shown}." in page
    assert "over 12 weken" not in page
    data = {"token": form_token(page), "decision": "continue", "achievement": "in-progress"}
    assert client.post(f"/doelen/{goal.id}/evaluatie", data=data).status_code == 302
    db.expire_all()
    assert db.get(Goal, goal.id).review_date == expected  # type: ignore[union-attr]
