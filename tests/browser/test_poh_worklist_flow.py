"""The POH's day in real Chromium (Dutch, desktop): the worklist shows one line per patient
with every reason, most urgent first, and the latest relevant value; the POH opens a patient
with several reasons, then reviews a goal whose suggestion follows the readings since the start
(not the one good last reading) and whose status is the POH's own choice. axe checks every
page."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import select

from tests.browser.conftest import browser_login, submit, visit
from tests.browser.test_izp_flow import add_systolic, agreed_goal, bp_goal_input, fetch
from tests.telemonitoring.test_worklist import alert_rows
from zelfzorg.izp import goals
from zelfzorg.izp.models import Goal
from zelfzorg.telemonitoring.models import Alert
from zelfzorg.web import today as app_today


def test_poh_works_through_the_worklist_per_patient_and_reviews_honestly(page, live_url, world, db):
    from datetime import timedelta

    patient = world.patient
    goal = agreed_goal(
        db, world, bp_goal_input(review_date=app_today() + timedelta(days=2)), days_ago=30
    )
    for days_ago, value in [(20, 152), (15, 149), (10, 151), (5, 148), (2, 138)]:
        add_systolic(db, world, value, days_ago=days_ago)
    goals.propose_goal(
        db,
        world.actor(world.patient_user),
        patient.id,
        goals.GoalInput(title="Elke dag een half uur wandelen", domain="lifestyle"),
        today=app_today(),
    )
    db.execute(insert(Alert), alert_rows(patient.id))  # an urgent and a trend alert
    db.commit()

    browser_login(page, live_url, world.poh)
    assert page.url == f"{live_url}/werklijst"
    worklist = page.locator("ol.worklist")
    rows = worklist.locator("> li")
    # Gerda first (urgent), once, with all her reasons; Kees after her.
    assert "Gerda Willemsen" in rows.nth(0).inner_text()
    gerda = rows.filter(has_text="Gerda Willemsen")
    assert gerda.count() == 1
    text = gerda.inner_text()
    for tag in ("Dringend signaal", "Trendsignaal", "Doel wacht op uw akkoord", "Doel evalueren"):
        assert tag in text, tag
    assert "Trendsignalen" not in page.locator("main").inner_text()
    assert "Laatste waarde Bovendruk: 138 mmHg" in text
    reasons = gerda.locator("ul.reasons > li")
    assert reasons.count() == 5  # the activation questionnaire is due too
    assert "Zeer hoge waarde" in reasons.nth(0).inner_text()
    assert 'Patiënt stelt het doel "Elke dag een half uur wandelen" voor' in text

    # The filter keeps Gerda (with every reason) for "goal waits for your agreement".
    page.get_by_role("group", name="Toon alleen patiënten met").get_by_label(
        "Doel wacht op uw akkoord"
    ).check()
    submit(page, page.get_by_role("button", name="Filteren"))
    assert rows.count() == 1 and gerda.locator("ul.reasons > li").count() == 5

    # The patient's record from the line.
    submit(page, gerda.get_by_role("link", name="Gerda Willemsen", exact=True))
    assert page.url == f"{live_url}/patienten/{patient.id}"
    assert "Gerda Willemsen" in page.locator("h1").inner_text()

    # Back to the worklist and to the review of the blood pressure goal.
    visit(page, f"{live_url}/werklijst")
    submit(page, gerda.get_by_role("link", name='Doel "Mijn bloeddruk omlaag" evalueren'))
    assert page.url == f"{live_url}/doelen/{goal.id}/evaluatie"
    progress = page.get_by_role("region", name="Voortgang uit de metingen").inner_text()
    assert "Laatste waarde 138 mmHg (doel: lager dan 140)." in progress
    assert "1 van de laatste 5 metingen sinds de start van het doel halen het doel." in progress
    assert "Rekenregel voor het voorstel" in progress
    assert "Voorstel: Gehaald" not in progress

    decide = page.get_by_role("region", name="Beoordeling en besluit")
    status = decide.get_by_label("Hoe gaat het met het doel?")
    assert status.input_value() == ""  # nothing chosen for the POH
    assert "weken, op" in decide.inner_text()
    decide.get_by_role("group", name="Besluit").get_by_label("Doel of acties aanpassen").check()
    submit(page, decide.get_by_role("button", name="Evaluatie opslaan"))
    assert "Kies hoe het met het doel gaat." in page.locator("main").inner_text()
    assert fetch(db, select(Goal).where(Goal.id == goal.id))[0].achievement == "in-progress"

    decide = page.get_by_role("region", name="Beoordeling en besluit")
    decide.get_by_label("Hoe gaat het met het doel?").select_option(label="Geen verandering")
    decide.get_by_role("group", name="Besluit").get_by_label("Doel of acties aanpassen").check()
    submit(page, decide.get_by_role("button", name="Evaluatie opslaan"))
    assert page.url == f"{live_url}/doelen/{goal.id}/bewerken"
    [saved] = fetch(db, select(Goal).where(Goal.id == goal.id))
    assert saved.achievement == "no-change"
