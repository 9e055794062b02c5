"""Care plan pages through the HTTP client, per role."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import func, select

from tests.izp.helpers import active_goal
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.izp import actions, agreements, goals, plans, reviews
from zelfzorg.izp.models import ActionLog, CarePlan, Goal, GoalReview
from zelfzorg.web import today

HTML = '<script>alert(1)</script><img src="file:///etc/passwd">'


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def future(days=30) -> str:
    return (today() + timedelta(days=days)).isoformat()


@pytest.fixture()
def goal(db, world):
    g = active_goal(db, world, review_date=today() + timedelta(days=5), due_date=None)
    db.commit()
    return g


# --- patient -------------------------------------------------------------------------------


def test_patient_sees_empty_plan_with_invitation(login, world):
    page = login(world.patient_user).get("/mijn/plan")
    assert page.status_code == 200
    assert "U heeft nog geen doelen" in page.text
    assert "Mijn plan" in page.text  # nav item


def test_patient_proposes_a_goal_then_poh_agrees(db, login, world, no_csrf):
    patient = login(world.patient_user)
    response = patient.post(
        f"/patienten/{world.patient.id}/plan/doelen",
        data={
            "title": "Weer naar de markt lopen",
            "domain": "participation",
            "programmes": ["CVRM"],
        },
    )
    assert response.status_code == 302
    goal = db.exec(select(Goal)).one()
    assert goal.proposed_by == "patient" and goal.lifecycle == "proposed"
    db.commit()  # end the read transaction before the next request writes
    page = login(world.poh).get(f"/doelen/{goal.id}")
    assert "Ik ben akkoord met dit doel" in page.text
    assert login(world.poh).post(f"/doelen/{goal.id}/akkoord").status_code == 302
    db.refresh(goal)
    assert goal.lifecycle == "active"


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "Vul een doel in"), ("x" * 201, "te lang")],
)
def test_patient_bad_title_gets_message_and_nothing_changes(
    db, login, world, no_csrf, title, message
):
    response = login(world.patient_user).post(
        f"/patienten/{world.patient.id}/plan/doelen", data={"title": title, "domain": "health"}
    )
    assert response.status_code == 400
    assert message in response.text
    assert count(db, Goal) == 0


def test_poh_target_without_unit_and_past_due_date_are_refused(db, login, world, no_csrf):
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/plan/doelen",
        data={
            "title": "Bloeddruk",
            "domain": "health",
            "target_type": "bp_systolic",
            "target_comparator": "<",
            "target_value": "140",
            "target_unit": "",
            "due_date": (today() - timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Vul de eenheid van de streefwaarde in" in response.text
    assert "De streefdatum ligt in het verleden" in response.text
    assert count(db, Goal) == 0


def test_patient_logs_an_action_and_double_submit_logs_once(db, login, world, goal, no_csrf):
    action = actions.add_action(db, world.actor(world.poh), goal.id, what="Elke dag wandelen")
    db.commit()
    patient = login(world.patient_user)
    data = {"done_on": today().isoformat(), "note": "30 minuten", "token": "abc123"}
    assert patient.post(f"/acties/{action.id}/gedaan", data=data).status_code == 302
    assert patient.post(f"/acties/{action.id}/gedaan", data=data).status_code == 302
    assert count(db, ActionLog) == 1
    db.commit()
    assert "30 minuten" in patient.get(f"/doelen/{goal.id}").text


def test_patient_logging_other_patients_action_is_denied_and_audited(
    db, login, world, goal, no_csrf
):
    action = actions.add_action(db, world.actor(world.poh), goal.id, what="Wandelen")
    db.commit()
    response = login(world.other_patient_user).post(
        f"/acties/{action.id}/gedaan", data={"done_on": today().isoformat(), "token": "t"}
    )
    assert response.status_code == 404
    assert count(db, ActionLog) == 0


def test_patient_editing_other_patients_goal_is_denied_and_audited(db, login, world, goal, no_csrf):
    response = login(world.other_patient_user).post(
        f"/doelen/{goal.id}/bewerken",
        data={"title": "Gehackt", "domain": "health", "version": goal.version},
    )
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Goal, goal.id).title == "Mijn bloeddruk omlaag"
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.user_id == world.other_patient_user.id,
            AuditEntry.outcome == AuditOutcome.denied,
        )
    ).all()
    assert denied


def test_patient_prepares_review_and_poh_sees_it(db, login, world, goal, no_csrf):
    patient = login(world.patient_user)
    assert patient.get(f"/doelen/{goal.id}/voorbereiden").status_code == 200
    response = patient.post(
        f"/doelen/{goal.id}/voorbereiden",
        data={"score": "4", "helped": "Mijn buurvrouw", "hard": "Regen", "token": "p"},
    )
    assert response.status_code == 302
    page = login(world.poh).get(f"/doelen/{goal.id}/evaluatie")
    assert "Mijn buurvrouw" in page.text and "4 / 5" in page.text


def test_prepare_without_score_is_refused(db, login, world, goal, no_csrf):
    response = login(world.patient_user).post(
        f"/doelen/{goal.id}/voorbereiden", data={"helped": "x", "token": "p"}
    )
    assert response.status_code == 400
    assert "Kies een cijfer van 1 tot 5" in response.text
    assert count(db, GoalReview) == 0


# --- professional --------------------------------------------------------------------------


def test_poh_review_adjust_goes_to_goal_editor_and_double_submit_makes_one_review(
    db, login, world, goal, no_csrf
):
    poh = login(world.poh)
    data = {
        "professional_view": "Goed bezig",
        "decision": "adjust",
        "achievement": "improving",
        "token": "form-1",
    }
    first = poh.post(f"/doelen/{goal.id}/evaluatie", data=data)
    assert first.status_code == 302 and "/bewerken" in first.headers["Location"]
    second = poh.post(f"/doelen/{goal.id}/evaluatie", data=data)
    assert second.status_code == 302
    assert count(db, GoalReview) == 1
    db.commit()
    timeline = poh.get(f"/doelen/{goal.id}").text
    assert "Doel of acties aanpassen" in timeline and "Goed bezig" in timeline


def test_review_of_cancelled_goal_shows_message(db, login, world, goal, no_csrf):
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement=None,
        decision="stop",
        next_review=None,
        token="s",
        today=today(),
    )
    db.commit()
    response = login(world.poh).post(
        f"/doelen/{goal.id}/evaluatie", data={"decision": "continue", "token": "again"}
    )
    assert response.status_code == 400
    assert "Dit doel is gestopt" in response.text
    assert count(db, GoalReview) == 1


def test_stale_goal_form_gets_409_with_others_values_and_keeps_typed_text(
    db, login, world, goal, no_csrf
):
    loaded = goal.version
    base = {
        "domain": "health",
        "programmes": ["CVRM"],
        "target_type": "bp_systolic",
        "target_comparator": "<",
        "target_unit": "mmHg",
        "lifecycle": "active",
        "version": loaded,
    }
    poh = login(world.poh)
    assert (
        poh.post(
            f"/doelen/{goal.id}/bewerken",
            data=base | {"title": "Mijn bloeddruk omlaag", "target_value": "135"},
        ).status_code
        == 302
    )
    response = poh.post(
        f"/doelen/{goal.id}/bewerken",
        data=base | {"title": "Mijn eigen nieuwe titel", "target_value": "140"},
    )
    assert response.status_code == 409
    assert "Iemand anders heeft dit intussen ook aangepast" in response.text
    assert "Mijn eigen nieuwe titel" in response.text  # typed value kept in the form
    assert "135" in response.text  # the other person's value shown
    assert 'role="alert"' in response.text
    db.expire_all()
    assert db.get(Goal, goal.id).title == "Mijn bloeddruk omlaag"


def test_stale_plan_form_gets_409(db, login, world, goal, no_csrf):
    poh = login(world.poh)
    data = {"support_needs": "Eerste versie", "version": "1"}
    assert poh.post(f"/patienten/{world.patient.id}/plan", data=data).status_code == 302
    response = poh.post(
        f"/patienten/{world.patient.id}/plan",
        data={"support_needs": "Mijn versie", "version": "1"},
    )
    assert response.status_code == 409
    assert "Mijn versie" in response.text and "Eerste versie" in response.text
    assert db.exec(select(CarePlan)).one().support_needs == "Eerste versie"


def test_poh_plan_page_flags_uncovered_programme(login, world, goal):
    # The goal covers CVRM only; DM2 has no goal and is not in the plan.
    page = login(world.poh).get(f"/patienten/{world.patient.id}/plan")
    assert page.status_code == 200
    assert "Nog niet besproken" in page.text


def test_poh_without_plan_sees_create_button_and_creates_once(db, login, world, no_csrf):
    poh = login(world.poh)
    assert "Zorgplan maken" in poh.get(f"/patienten/{world.patient.id}/plan").text
    poh.post(f"/patienten/{world.patient.id}/plan/maken")
    poh.post(f"/patienten/{world.patient.id}/plan/maken")
    assert count(db, CarePlan) == 1


def test_due_list_shows_goal_and_empty_state(login, world, goal):
    assert "Mijn bloeddruk omlaag" in login(world.poh).get("/evaluaties").text
    assert "Er zijn geen doelen om te evalueren" in login(world.other_poh).get("/evaluaties").text


def test_history_shows_plan_on_a_date_and_bad_date_is_400(login, world, goal):
    poh = login(world.poh)
    page = poh.get(
        f"/patienten/{world.patient.id}/plan/geschiedenis",
        query_string={"datum": today().isoformat()},
    )
    assert page.status_code == 200
    assert "Mijn bloeddruk omlaag" in page.text
    bad = poh.get(
        f"/patienten/{world.patient.id}/plan/geschiedenis", query_string={"datum": "morgen"}
    )
    assert bad.status_code == 400


def test_patient_detail_and_me_link_to_the_plan(login, world):
    assert (
        f"/patienten/{world.patient.id}/plan"
        in login(world.poh).get(f"/patienten/{world.patient.id}").text
    )
    assert "/mijn/plan" in login(world.patient_user).get("/mijn").text


# --- HTML in every text field --------------------------------------------------------------


def test_html_in_every_text_field_is_escaped_on_pages_and_in_pdf(db, login, world, no_csrf):
    poh_actor, patient_actor = world.actor(world.poh), world.actor(world.patient_user)
    goal = goals.propose_goal(
        db,
        poh_actor,
        world.patient.id,
        goals.GoalInput(title=HTML[:150], domain="health", programmes=["DM2"]),
        today=today(),
    )
    goals.agree_goal(db, patient_actor, goal.id, today=today())
    plan = db.get(CarePlan, goal.plan_id)
    plans.update_plan(
        db,
        poh_actor,
        world.patient.id,
        plans.PlanInput(what_matters=HTML, life_goals=HTML, support_needs=HTML),
        version=plan.version,
        today=today(),
    )
    agreements.add_agreement(
        db,
        poh_actor,
        world.patient.id,
        agreements.AgreementInput(what=HTML, who=HTML[:90]),
        today=today(),
    )
    action = actions.add_action(
        db, poh_actor, goal.id, what=HTML[:150], who=HTML[:90], how_often=HTML[:90]
    )
    actions.log_action(
        db, patient_actor, action.id, done_on=today(), note=HTML, client_token="x", today=today()
    )
    reviews.prepare_review(db, patient_actor, goal.id, score=2, helped=HTML, hard=HTML, token="p")
    db.commit()
    pages = [
        login(world.poh).get(f"/patienten/{world.patient.id}/plan"),
        login(world.poh).get(f"/doelen/{goal.id}"),
        login(world.poh).get(f"/doelen/{goal.id}/evaluatie"),
        login(world.patient_user).get("/mijn/plan"),
        login(world.poh).get(
            f"/patienten/{world.patient.id}/plan/geschiedenis",
            query_string={"datum": today().isoformat()},
        ),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;" in page.text
    body = login(world.patient_user).get(f"/patienten/{world.patient.id}/plan.pdf")
    assert body.status_code == 200
    text = pdf_text(body.data)
    assert "<script>alert(1)</script>" in text  # printed as text, not markup
    assert "root:x:0:0" not in text
    assert not PdfReader(io.BytesIO(body.data)).attachments


# --- PDF -----------------------------------------------------------------------------------


def test_plan_pdf_contains_goals_agreements_team_and_next_review_and_is_audited(
    db, login, world, goal, no_csrf
):
    actions.add_action(db, world.actor(world.poh), goal.id, what="Minder zout eten")
    plan = db.get(CarePlan, goal.plan_id)
    plans.update_plan(
        db,
        world.actor(world.poh),
        world.patient.id,
        plans.PlanInput(next_review_date=today() + timedelta(days=90)),
        version=plan.version,
        today=today(),
    )
    agreements.add_agreement(
        db,
        world.actor(world.poh),
        world.patient.id,
        agreements.AgreementInput(
            what="Elke maand bloeddruk meten", who="Diëtist", due_date=date(2099, 3, 1)
        ),
        today=today(),
    )
    db.commit()
    response = login(world.poh).get(f"/patienten/{world.patient.id}/plan.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", pdf_text(response.data))
    assert "Mijn bloeddruk omlaag" in text
    assert "Minder zout eten" in text
    assert "Elke maand bloeddruk meten" in text
    assert "Diëtist" in text and "1 mrt 2099" in text  # who and by when
    assert "Mijn aandoeningen en mijn doelen" in text
    assert "Volgende bespreking" in text
    assert "Mijn zorgteam" in text
    printed = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == "print", AuditEntry.patient_id == world.patient.id
        )
    ).all()
    assert printed


def test_other_practice_cannot_download_pdf(login, world, goal):
    assert login(world.other_poh).get(f"/patienten/{world.patient.id}/plan.pdf").status_code == 404


def test_english_patient_sees_english_plan_page(db, login, world):
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    page = login(world.patient_user).get("/mijn/plan")
    assert "My plan" in page.text and "Propose a goal" in page.text


def test_plan_pdf_shows_the_trend_of_a_target_measurement(db, login, world, goal):
    from zelfzorg.izp.printing import plan_document
    from zelfzorg.telemonitoring.models import Measurement, MeasurementSource

    base = datetime.now(UTC) - timedelta(days=60)
    for day in range(0, 60, 3):
        db.add(
            Measurement(
                patient_id=world.patient.id,
                type_code="bp_systolic",
                value=150 - day / 3,
                unit="mm[Hg]",
                measured_at=base + timedelta(days=day),
                source=MeasurementSource.patient,
            )
        )
    db.commit()
    document = plan_document(db, world.actor(world.poh), world.patient.id, today=today())
    db.commit()
    chart = document["charts"]["bp_systolic"]
    svg = base64.b64decode(chart.removeprefix("data:image/svg+xml;base64,")).decode()
    assert "<title>" in svg and "Bovendruk" in svg
    without = login(world.other_poh)  # no access: no chart leaks through another practice
    assert without.get(f"/patienten/{world.patient.id}/plan.pdf").status_code == 404
    response = login(world.poh).get(f"/patienten/{world.patient.id}/plan.pdf")
    assert response.status_code == 200
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert page["/Resources"].get("/XObject"), "the chart is drawn into the page"


def test_plan_pdf_without_measurements_has_no_chart(db, world, goal):
    from zelfzorg.izp.printing import plan_document

    document = plan_document(db, world.actor(world.poh), world.patient.id, today=today())
    assert document["charts"] == {}
