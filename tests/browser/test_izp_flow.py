"""Care plan (IZP) flows in real Chromium: the patient on a phone proposes a goal in their own
words, logs an action on an agreed goal and prepares its review; the POH agrees the patient's
proposal, reviews a measurable goal (patient's view, progress from the shared measurements,
activation and lifestyle panels), decides "adjust", changes the target and sees the review in
the goal's timeline and the plan history; the plan PDF downloads. axe checks every page."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from tests.browser.conftest import browser_login, main_menu, submit, visit
from tests.browser.test_foundation_flows import assert_no_horizontal_scroll
from tests.leefstijl.helpers import add_measurement as add_lifestyle_measurement
from tests.leefstijl.helpers import make_intervention
from zelfzorg.assessment import services as assessment
from zelfzorg.izp import actions, goals, reviews
from zelfzorg.izp.models import ActionLog, Goal, GoalReview
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.web import today as app_today

GLI_CVRM_BMI = {
    "all": [
        {"programme_in": ["CVRM"]},
        {"measurement": "bmi", "op": ">=", "value": 25},
    ]
}


def bp_goal_input(**overrides) -> goals.GoalInput:
    values = {
        "title": "Mijn bloeddruk omlaag",
        "domain": "health",
        "programmes": ["CVRM"],
        "target_type": "bp_systolic",
        "target_comparator": "<",
        "target_value": "140",
        "target_unit": "mmHg",
        "review_date": app_today() + timedelta(days=7),
    }
    values.update(overrides)
    return goals.GoalInput(**values)


def agreed_goal(db, world, data: goals.GoalInput, *, days_ago: int = 0) -> Goal:
    """Proposed by the POH and agreed by the patient (active), ``days_ago`` days back."""
    now = utcnow() - timedelta(days=days_ago)
    goal = goals.propose_goal(
        db, world.actor(world.poh), world.patient.id, data, today=app_today(), now=now
    )
    goals.agree_goal(db, world.actor(world.patient_user), goal.id, today=app_today(), now=now)
    return goal


def add_systolic(db, world, value: float, days_ago: int) -> None:
    db.add(
        Measurement(
            patient_id=world.patient.id,
            type_code="bp_systolic",
            value=value,
            unit="mm[Hg]",
            measured_at=utcnow() - timedelta(days=days_ago),
            source=MeasurementSource.patient,
        )
    )
    db.flush()


def fetch(db, query):
    rows = list(db.exec(query.execution_options(populate_existing=True)))
    db.commit()  # end the read transaction: the live server shares the database
    return rows


def test_patient_proposes_a_goal_logs_an_action_and_prepares_a_review_on_a_phone(
    phone_page, live_url, world, db
):
    walk = agreed_goal(db, world, goals.GoalInput(title="Elke dag wandelen", domain="lifestyle"))
    actions.add_action(
        db, world.actor(world.poh), walk.id, what="30 minuten wandelen", how_often="elke dag"
    )
    db.commit()

    page = phone_page
    browser_login(page, live_url, world.patient_user)
    nav = main_menu(page)
    submit(page, nav.get_by_role("link", name="Mijn plan"))
    assert page.url == f"{live_url}/mijn/plan"
    assert page.locator("h1").inner_text() == "Mijn plan"
    goals_region = page.get_by_role("region", name="Mijn doelen")
    assert (
        "Actief"
        in goals_region.locator("li.card").filter(has_text="Elke dag wandelen").inner_text()
    )
    assert_no_horizontal_scroll(page)

    # A goal in the patient's own words, linked to a condition.
    propose = page.get_by_role("region", name="Een doel voorstellen")
    propose.get_by_label("Mijn doel, in mijn eigen woorden").fill(
        "Ik wil weer naar de markt kunnen lopen"
    )
    propose.get_by_label("Gebied").select_option(label="Meedoen (werk, hobby, contact)")
    propose.get_by_label("Diabetes type 2").check()
    submit(page, propose.get_by_role("button", name="Doel voorstellen"))
    assert page.locator("h1").inner_text() == "Ik wil weer naar de markt kunnen lopen"
    main = page.locator("main").inner_text()
    assert "Uw voorstel is opgeslagen. Uw zorgverlener kijkt ernaar." in main
    facts = page.locator("dl.izp-facts").inner_text()
    assert "Voorgesteld" in facts and "Diabetes type 2" in facts
    assert "Meedoen (werk, hobby, contact)" in facts

    submit(page, page.get_by_role("link", name="Terug naar mijn plan"))
    card = goals_region.locator("li.card").filter(has_text="Ik wil weer naar de markt kunnen lopen")
    assert "Voorgesteld" in card.inner_text()
    # Written to the patient, not about them.
    assert "U bent akkoord. Uw zorgverlener kijkt nog naar dit doel." in card.inner_text()
    assert "Patiënt is akkoord" not in card.inner_text()
    assert card.get_by_role("button", name="Ik ben akkoord met dit doel").count() == 0

    # Log the action on the agreed goal as done today.
    submit(page, goals_region.get_by_role("link", name="Elke dag wandelen"))
    actions_region = page.get_by_role("region", name="Acties")
    action = actions_region.locator("li.card").filter(has_text="30 minuten wandelen")
    assert action.get_by_label("Gedaan op").input_value() == app_today().isoformat()
    action.get_by_label("Opmerking").fill("Met de buurvrouw")
    submit(page, action.get_by_role("button", name="Gedaan"))
    assert "Goed bezig! We hebben het genoteerd." in page.locator("main").inner_text()
    done = page.get_by_role("region", name="Wat er gedaan is").inner_text()
    assert "Met de buurvrouw" in done
    assert_no_horizontal_scroll(page)
    [log] = fetch(db, select(ActionLog))
    assert log.goal_id == walk.id and log.done_on == app_today()

    # Prepare the review of that goal for the next consultation.
    submit(page, page.get_by_role("link", name="Evaluatie voorbereiden"))
    assert page.locator("h1").inner_text() == "Evaluatie voorbereiden"
    page.get_by_role("group", name="Hoe gaat het met dit doel?").get_by_label(
        "4", exact=True
    ).check()
    page.get_by_label("Wat hielp?").fill("Samen lopen met de buurvrouw")
    page.get_by_label("Wat was moeilijk?").fill("Regenachtige dagen")
    assert_no_horizontal_scroll(page)
    submit(page, page.get_by_role("button", name="Opslaan"))
    assert page.url == f"{live_url}/doelen/{walk.id}"
    main = page.locator("main").inner_text()
    assert "Dank u. Uw zorgverlener ziet dit bij het volgende gesprek." in main
    timeline = page.get_by_role("region", name="Tijdlijn van de evaluaties").inner_text()
    assert "Door u voorbereid" in timeline and "4 / 5" in timeline
    [review] = fetch(db, select(GoalReview))
    assert (review.goal_id, review.patient_score, review.decision) == (walk.id, 4, None)


def test_poh_agrees_a_proposal_reviews_with_adjust_changes_target_and_downloads_pdf(
    page, live_url, world, db
):
    patient, patient_actor = world.patient, world.actor(world.patient_user)
    # The patient's own proposal, waiting for the POH.
    proposal = goals.propose_goal(
        db,
        patient_actor,
        patient.id,
        goals.GoalInput(
            title="Ik wil weer naar de markt kunnen lopen",
            domain="participation",
            programmes=["DM2"],
        ),
        today=app_today(),
    )
    # A measurable goal agreed a month ago, with readings before and after, prepared by the
    # patient for the review.
    goal = agreed_goal(db, world, bp_goal_input(), days_ago=30)
    add_systolic(db, world, 150, days_ago=35)  # the baseline, before the goal started
    add_systolic(db, world, 146, days_ago=20)
    add_systolic(db, world, 143, days_ago=3)
    reviews.prepare_review(
        db,
        patient_actor,
        goal.id,
        score=3,
        helped="Minder zout",
        hard="Elke dag meten",
        token="prep-1",
    )
    # An activation level (assessment) and an eligible lifestyle intervention (leefstijl).
    now = utcnow()
    response = assessment.start_response(
        db, patient_actor, patient_id=patient.id, instrument_code="activation", now=now
    )
    answers = {f"a{i:02d}": 3 for i in range(1, 14)}
    assessment.save_answers(db, patient_actor, response_id=response.id, answers=answers, now=now)
    assessment.submit_response(db, patient_actor, response_id=response.id, now=now)
    make_intervention(db, world.care_group.id, name="CooL", criteria=GLI_CVRM_BMI)
    add_lifestyle_measurement(db, patient.id, "bmi", 28.5, at=now - timedelta(days=10))
    db.commit()
    next_review = app_today() + timedelta(weeks=8)

    # The POH opens the plan from the patient's record and agrees the patient's proposal.
    browser_login(page, live_url, world.poh)
    visit(page, f"{live_url}/patienten/{patient.id}")
    submit(page, page.get_by_role("link", name="Zorgplan (IZP)"))
    assert page.locator("h1").inner_text() == "Zorgplan van Gerda Willemsen"
    goals_region = page.get_by_role("region", name="Doelen", exact=True)
    card = goals_region.locator("li.card").filter(has_text="Ik wil weer naar de markt kunnen lopen")
    text = card.inner_text()
    assert "Voorgesteld" in text and "Patiënt is akkoord." in text
    submit(page, card.get_by_role("button", name="Ik ben akkoord met dit doel"))
    assert page.url == f"{live_url}/doelen/{proposal.id}"
    main = page.locator("main").inner_text()
    assert "U heeft allebei akkoord gegeven. Het doel is nu actief." in main
    assert "Actief" in page.locator("dl.izp-facts").inner_text()

    # The goals due for review lead to the review of the blood pressure goal.
    nav = main_menu(page)
    submit(page, nav.get_by_role("link", name="Evaluaties"))
    row = page.locator("main table tbody tr").filter(has_text="Mijn bloeddruk omlaag")
    assert "Gerda Willemsen" in row.inner_text()
    submit(page, row.get_by_role("link", name="Mijn bloeddruk omlaag"))
    assert page.url == f"{live_url}/doelen/{goal.id}/evaluatie"
    assert page.locator("h1").inner_text() == "Evaluatie van een doel"

    view = page.get_by_role("region", name="Hoe de patiënt het ziet").inner_text()
    assert "3 / 5" in view and "Minder zout" in view and "Elke dag meten" in view
    progress = page.get_by_role("region", name="Voortgang uit de metingen").inner_text()
    assert "Laatste waarde 143 mmHg (doel: lager dan 140)." in progress
    # Two readings since the start: too few to call it; the median (144,5) against the start.
    assert "zijn er 2 metingen. Dat is te weinig voor een voorstel" in progress
    assert "Dat is beter dan bij de start (150 mmHg)." in progress
    assert "Rekenregel voor het voorstel" in progress
    assert "Voorstel: Gaat beter" in progress
    activation = page.get_by_role("region", name="Zelfmanagement").inner_text()
    assert "Activatieniveau" in activation and "Advies voor de begeleiding:" in activation
    lifestyle = page.get_by_role("region", name="Leefstijlinterventies").inner_text()
    assert "CooL: komt in aanmerking" in lifestyle

    # Decide: adjust, with the next review date.
    decide = page.get_by_role("region", name="Beoordeling en besluit")
    decide.get_by_label("Uw beoordeling als zorgverlener").fill(
        "Daalt mooi, 140 is nog te ver weg: eerst onder 145."
    )
    decide.get_by_label("Hoe gaat het met het doel?").select_option(label="Gaat beter")
    decide.get_by_role("group", name="Besluit").get_by_label("Doel of acties aanpassen").check()
    decide.get_by_label("Volgende evaluatie").fill(next_review.isoformat())
    submit(page, decide.get_by_role("button", name="Evaluatie opslaan"))
    assert page.url == f"{live_url}/doelen/{goal.id}/bewerken"
    assert page.locator("h1").inner_text() == "Doel aanpassen"
    main = page.locator("main").inner_text()
    assert "Evaluatie opgeslagen." in main and "Pas nu het doel of de acties aan." in main

    value = page.get_by_label("Waarde", exact=True)
    assert value.input_value() == "140"
    value.fill("145")
    submit(page, page.get_by_role("button", name="Opslaan"))
    assert page.url == f"{live_url}/doelen/{goal.id}"
    assert "Doel opgeslagen." in page.locator("main").inner_text()
    facts = page.locator("dl.izp-facts").inner_text()
    assert "lager dan 145 mmHg" in facts and "Actief" in facts and "Gaat beter" in facts
    progress = page.get_by_role("region", name="Voortgang uit de metingen").inner_text()
    assert "Er zijn geen nieuwe metingen sinds de vorige evaluatie." in progress
    timeline = page.get_by_role("region", name="Tijdlijn van de evaluaties").inner_text()
    assert "Besluit: Doel of acties aanpassen" in timeline
    assert "Sanne POH" in timeline and "Minder zout" in timeline
    assert "Daalt mooi, 140 is nog te ver weg: eerst onder 145." in timeline
    assert "te weinig voor een voorstel" in timeline  # the progress as it was at the review
    [done] = fetch(db, select(GoalReview).where(GoalReview.decision.is_not(None)))
    assert (done.goal_id, done.decision, done.next_review_date) == (
        goal.id,
        "adjust",
        next_review,
    )

    # The plan history shows the review's changes and the new target.
    submit(page, page.get_by_role("link", name="Terug naar het zorgplan"))
    submit(page, page.get_by_role("link", name="Geschiedenis en plan op datum"))
    changes = page.get_by_role("table", name="Wijzigingen aan plan, doelen en acties").inner_text()
    assert "Sanne POH" in changes
    rows = page.locator("main table tbody tr")
    assert rows.filter(has_text="Waarde").filter(has_text="145").count() == 1
    assert rows.filter(has_text="Voortgang").filter(has_text="Gaat beter").count() >= 1

    # The plan as a PDF (a download, not a page: no axe).
    submit(page, page.get_by_role("link", name="Terug naar het zorgplan"))
    with page.expect_download() as info:
        page.get_by_role("link", name="Plan als PDF").click()
    download = info.value
    assert download.suggested_filename == f"zorgplan-{patient.id}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    response = page.request.get(f"{live_url}/patienten/{patient.id}/plan.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
