"""The patient's home page: the view model (each item, empty states, only the patient's own
data) through the service, and the page through HTTP."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, func, select

from tests.izp.helpers import active_goal, goal_input
from zelfzorg.accounts.practices import clean_phone, tel_href
from zelfzorg.assessment import services as assessment
from zelfzorg.audit.models import AuditEntry
from zelfzorg.errors import Forbidden, ValidationError
from zelfzorg.home.services import patient_home
from zelfzorg.izp import goals, plans, reviews
from zelfzorg.notifications.services import mark_read, notify
from zelfzorg.telemonitoring import services as tm
from zelfzorg.telemonitoring.services import ReadingsInput

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def home(db, world, user=None):
    return patient_home(db, world.actor(user or world.patient_user), today=TODAY)


def enter(db, world, patient, user, *, at=NOW, **values):
    data = ReadingsInput(values={k: str(v) for k, v in values.items()}, measured_at=at)
    return tm.record_readings(db, world.actor(user), patient.id, data, now=NOW)


# --- empty states --------------------------------------------------------------------------


def test_a_new_patient_gets_empty_items_with_an_action_each(db, world):
    view = home(db, world)
    assert view.patient.id == world.patient.id
    assert view.next_review is None
    assert view.latest_values == [] and view.goals == [] and view.notifications == []
    assert view.unread == 0
    assert view.practice.name == "De Linde" and view.practice.phone == ""
    assert view.practice.tel == ""
    # The sections' own actions are what an empty section offers.
    assert view.enter_measurement.endpoint == "telemonitoring.my_entry"
    assert view.open_plan.endpoint == "izp.my_plan"
    # The patient is in care since today, so the first questionnaire is due.
    assert [q.action.endpoint for q in view.questionnaires] == ["assessment.mine"]
    assert view.todo_count == 1


def test_only_patients_have_a_home_page(db, world):
    with pytest.raises(Forbidden):
        patient_home(db, world.actor(world.poh), today=TODAY)


# --- each item -----------------------------------------------------------------------------


def test_practice_phone_number_with_a_call_link(db, world):
    world.practice.phone = "0344 61 23 45"
    db.flush()
    contact = home(db, world).practice
    assert contact.phone == "0344 61 23 45"
    assert contact.tel == "tel:0344612345"


def test_next_review_is_the_nearest_goal_review_and_offers_to_prepare_it(db, world):
    later = active_goal(db, world, title="Later doel", review_date=date(2027, 3, 1))
    soon = active_goal(db, world, title="Eerst dit", review_date=date(2026, 12, 10))
    plan = plans.plan_for_patient(db, world.patient.id)
    plan.next_review_date = date(2027, 1, 15)
    db.flush()
    review = home(db, world).next_review
    assert review.day == date(2026, 12, 10) and review.goal_title == "Eerst dit"
    assert not review.overdue and not review.prepared
    assert review.action.endpoint == "izp.prepare_review"
    assert review.action.params == {"goal_id": soon.id}
    assert later.id != soon.id


def test_a_prepared_review_is_no_longer_to_prepare(db, world):
    goal = active_goal(db, world, review_date=date(2026, 12, 5))
    reviews.prepare_review(
        db, world.actor(world.patient_user), goal.id, score=4, token="t1", now=NOW
    )
    view = home(db, world)
    assert view.next_review.action.endpoint == "izp.goal" and view.next_review.prepared
    assert view.goals == []


def test_the_plan_review_date_when_no_goal_has_one(db, world):
    active_goal(db, world, review_date=None)
    plan = plans.plan_for_patient(db, world.patient.id)
    plan.next_review_date = date(2026, 11, 1)
    db.flush()
    view = home(db, world)
    review = view.next_review
    assert review.goal_title is None and review.overdue
    assert review.action.endpoint == "izp.my_plan"
    assert view.todo_count == len(view.questionnaires) + 1  # a plan review that is past


def test_goals_to_update_waiting_for_agreement_and_review_coming_up(db, world):
    waiting = goals.propose_goal(
        db,
        world.actor(world.poh),
        world.patient.id,
        goal_input(title="Voorstel van de POH", review_date=date(2027, 5, 1)),
        today=TODAY,
        now=NOW,
    )
    due = active_goal(db, world, title="Bijna evaluatie", review_date=TODAY + timedelta(days=7))
    active_goal(db, world, title="Nog lang niet", review_date=TODAY + timedelta(days=60))
    items = home(db, world).goals
    # In order of review date.
    assert [(g.title, g.reason) for g in items] == [
        ("Bijna evaluatie", "prepare"),
        ("Voorstel van de POH", "agree"),
    ]
    view = home(db, world)
    # Two goals and the questionnaire that is due; the review of the first goal is not
    # counted twice.
    assert view.todo_count == len(view.goals) + len(view.questionnaires) == 3
    by_reason = {g.reason: g for g in items}
    assert by_reason["agree"].action.endpoint == "izp.goal"
    assert by_reason["agree"].action.params == {"goal_id": waiting.id}
    assert by_reason["prepare"].action.endpoint == "izp.prepare_review"
    assert by_reason["prepare"].action.params == {"goal_id": due.id}


def test_a_goal_the_patient_proposed_waits_for_the_professional_not_for_the_patient(db, world):
    goals.propose_goal(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        goal_input(title="Mijn eigen voorstel", review_date=None),
        today=TODAY,
        now=NOW,
    )
    assert home(db, world).goals == []


def test_latest_values_against_the_target_newest_first(db, world):
    enter(db, world, world.patient, world.patient_user, at=NOW - timedelta(days=2), weight=82)
    enter(db, world, world.patient, world.patient_user, systolic=150, diastolic=85)
    values = home(db, world).latest_values
    codes = [v.mtype.code for v in values]
    # The blood pressure of today before the weight of two days ago.
    assert set(codes[:2]) == {"bp_systolic", "bp_diastolic"} and codes[2] == "weight"
    systolic = next(v for v in values if v.mtype.code == "bp_systolic")
    assert systolic.measurement.value == 150
    assert systolic.target is not None and systolic.on_target is False
    assert systolic.action.endpoint == "telemonitoring.my_chart"
    assert systolic.action.params == {"type_code": "bp_systolic"}


def test_open_questionnaire_sent_after_a_review_is_shown_to_fill_in(db, world):
    response = assessment.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=1, now=NOW
    )
    items = home(db, world).questionnaires
    fill = [q for q in items if q.action.endpoint == "assessment.fill"]
    assert len(fill) == 1 and fill[0].action.params == {"response_id": response.id}
    assert not fill[0].started
    # The invitation also is an unread notification.
    assert home(db, world).unread == 1


def test_a_started_self_management_questionnaire_replaces_the_due_reminder(db, world):
    actor = world.actor(world.patient_user)
    response = assessment.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    items = home(db, world).questionnaires
    assert [q.action.endpoint for q in items] == ["assessment.fill"]
    assert items[0].action.params == {"response_id": response.id}


def test_unread_notifications_newest_three(db, world):
    for i in range(4):
        notify(
            db,
            user_id=world.patient_user.id,
            key=f"k{i}",
            kind="test",
            message="Melding %(n)s",
            params={"n": i},
            now=NOW + timedelta(minutes=i),
        )
    view = home(db, world)
    assert view.unread == 4
    assert [n.params["n"] for n in view.notifications] == [3, 2, 1]
    mark_read(db, world.patient_user.id)
    assert home(db, world).unread == 0


# --- another patient's data never shows ------------------------------------------------------


def test_another_patients_data_never_shows(db, world):
    other = world.other_patient
    enter(db, world, other, world.other_patient_user, weight=95)
    goals.propose_goal(
        db,
        world.actor(world.poh),
        other.id,
        goal_input(title="Doel van Kees", review_date=TODAY + timedelta(days=3)),
        today=TODAY,
        now=NOW,
    )
    assessment.invite_experience_questionnaire(db, patient_id=other.id, review_id=7, now=NOW)
    notify(db, user_id=world.other_patient_user.id, key="x", kind="test", message="Voor Kees")
    view = home(db, world)
    assert view.latest_values == [] and view.goals == [] and view.next_review is None
    assert view.unread == 0 and view.notifications == []
    assert all(q.action.endpoint != "assessment.fill" for q in view.questionnaires)
    # And Kees sees his own.
    kees = home(db, world, world.other_patient_user)
    assert [v.measurement.value for v in kees.latest_values] == [95]
    assert [g.title for g in kees.goals] == ["Doel van Kees"]


def test_the_home_page_is_one_audited_read_of_the_own_record(db, world):
    def entries():
        return db.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.patient_id) == world.patient.id)
        ).one()

    before = entries()
    home(db, world)
    db.commit()  # audit entries are written at commit
    assert entries() == before + 1


# --- practice phone number -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0344 61 23 45", "0344 61 23 45"),
        ("  0344-612345 ", "0344-612345"),
        ("+31 344 61 23 45", "+31 344 61 23 45"),
        ("", ""),
    ],
)
def test_phone_numbers_as_typed(typed, kept):
    assert clean_phone(typed) == kept


@pytest.mark.parametrize("bad", ["12345", "bel ons", "0344 61 23 45 ext 3", "0344\x0061"])
def test_phone_numbers_that_are_no_phone_number_are_refused(bad):
    with pytest.raises(ValidationError) as info:
        clean_phone(bad)
    assert info.value.field == "phone"


def test_tel_link_keeps_only_digits_and_a_leading_plus():
    assert tel_href("+31 (0)344-61.23.45") == "tel:+310344612345"
    assert tel_href("") == ""


# --- the page --------------------------------------------------------------------------------


def test_home_page_shows_each_item_with_its_action(db, world, login):
    world.practice.phone = "0344 61 23 45"
    goal = active_goal(db, world, title="Elke dag wandelen", review_date=date.today())
    enter(db, world, world.patient, world.patient_user, weight=82)
    db.commit()
    page = login(world.patient_user).get("/mijn").get_data(as_text=True)
    assert 'href="tel:0344612345"' in page and "Bel 0344 61 23 45" in page
    assert f'href="/doelen/{goal.id}/voorbereiden"' in page  # prepare the review
    assert "Evaluatie van uw doel “Elke dag wandelen”" in page
    assert "Gewicht: 82,0 kg" in page and 'href="/mijn/metingen/grafiek/weight"' in page
    assert 'href="/mijn/metingen/nieuw"' in page
    # Jargon explained where it is shown.
    assert "Cardiovasculair risicomanagement" in page
    assert "kans op hart- en vaatziekten" in page
    assert "Kees" not in page and "Bakker" not in page


def test_home_page_empty_states_in_english(db, world, login):
    world.patient_user.locale = "en"
    db.commit()
    page = login(world.patient_user).get("/mijn").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "You have not entered any readings yet." in page
    assert "No review has been planned yet." in page
    assert "You have no new notifications." in page
    assert "Your practice's phone number is not here yet." in page


def test_admin_sets_the_practice_phone_number(db, world, login):
    client = login(world.admin)
    url = f"/beheer/praktijken/{world.practice.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="De Linde"' in page
    token = CSRF.search(page).group(1)
    data = {"name": "De Linde", "city": "Tiel", "phone": "0344 61 23 45", "version": "1"}
    refused = client.post(url, data={**data, "phone": "bel ons", "csrf_token": token})
    assert refused.status_code == 400
    assert "Vul een telefoonnummer in van 10 cijfers" in refused.get_data(as_text=True)
    saved = client.post(url, data={**data, "csrf_token": token})
    assert saved.status_code == 302
    db.refresh(world.practice)
    assert (world.practice.phone, world.practice.city, world.practice.version) == (
        "0344 61 23 45",
        "Tiel",
        2,
    )
    db.commit()  # end the read, so the next request may write (SQLite)
    # A second save on the old version is refused and keeps what the first one saved.
    stale = client.post(url, data={**data, "phone": "0344 99 99 99", "csrf_token": token})
    assert stale.status_code == 409
    stale_page = stale.get_data(as_text=True)
    assert "Iemand anders heeft deze praktijk intussen gewijzigd" in stale_page
    assert "<dd>0344 61 23 45</dd>" in stale_page  # what is saved now
    assert 'value="0344 99 99 99"' in stale_page  # and what was typed, kept
    assert 'name="version" type="hidden" value="2"' in stale_page
    db.refresh(world.practice)
    assert world.practice.phone == "0344 61 23 45"
    db.commit()
    assert "0344 61 23 45" in client.get("/beheer").get_data(as_text=True)


def test_only_an_admin_edits_a_practice(db, world, login):
    url = f"/beheer/praktijken/{world.practice.id}"
    assert login(world.poh).get(url).status_code == 403
    assert login(world.admin).get("/beheer/praktijken/999999").status_code == 404


def test_home_statements_do_not_grow_with_goals_readings_or_notifications(db, world, engine):
    from tests.queries import count_statements

    def statements() -> int:
        db.commit()
        db.expire_all()
        with count_statements(engine) as sent:
            home(db, world)
        db.commit()
        return len(sent)

    active_goal(db, world, review_date=TODAY + timedelta(days=3))
    enter(db, world, world.patient, world.patient_user, weight=80)
    few = statements()
    assert few > 0
    for i in range(4):
        active_goal(db, world, title=f"Doel {i}", review_date=TODAY + timedelta(days=i))
        enter(
            db, world, world.patient, world.patient_user, at=NOW - timedelta(days=i + 1), weight=81
        )
        notify(db, user_id=world.patient_user.id, key=f"n{i}", kind="test", message="Melding")
    enter(db, world, world.patient, world.patient_user, systolic=130, diastolic=80)
    assert statements() == few
