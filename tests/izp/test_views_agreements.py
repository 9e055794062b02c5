"""Agreements, asking for agreement again, conditions and goals, and the issue's bad input
through the HTTP client, per role."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlmodel import func, select

from tests.izp.helpers import active_goal
from zelfzorg.izp import agreements, reviews
from zelfzorg.izp.models import Goal, GoalReview, PlanAgreement
from zelfzorg.web import today


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def add(db, world, **overrides):
    values = {"what": "Bloeddruk 2 keer per week meten", "who": "Patiënt"}
    values.update(overrides)
    agreement = agreements.add_agreement(
        db,
        world.actor(world.poh),
        world.patient.id,
        agreements.AgreementInput(**values),
        today=today(),
    )
    db.commit()
    return agreement


# --- agreements ----------------------------------------------------------------------------


def test_poh_adds_an_agreement_and_patient_sees_who_what_when(db, login, world, no_csrf):
    due = today() + timedelta(days=14)
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/plan/afspraken",
        data={"what": "Uitslag lab bespreken", "who": "POH", "due_date": due.isoformat()},
    )
    assert response.status_code == 302
    agreement = db.exec(select(PlanAgreement)).one()
    assert (agreement.what, agreement.who, agreement.due_date) == (
        "Uitslag lab bespreken",
        "POH",
        due,
    )
    db.commit()
    page = login(world.patient_user).get("/mijn/plan").text
    assert "Uitslag lab bespreken" in page and "POH" in page and "Nog te doen" in page
    editor = login(world.poh).get(f"/patienten/{world.patient.id}/plan").text
    assert "Afspraken: wie doet wat, wanneer" in editor and "Uitslag lab bespreken" in editor


def test_agreement_without_who_or_with_past_date_is_refused_with_messages(
    db, login, world, no_csrf
):
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/plan/afspraken",
        data={
            "what": "Uitslag bespreken",
            "who": "",
            "due_date": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Vul in wie dit doet" in response.text
    assert "Deze datum ligt in het verleden" in response.text
    assert "Uitslag bespreken" in response.text  # what was typed stays
    assert count(db, PlanAgreement) == 0


def test_patient_ticks_an_agreement_off_and_a_double_click_is_harmless(db, login, world, no_csrf):
    agreement = add(db, world)
    patient = login(world.patient_user)
    first = patient.post(f"/afspraken/{agreement.id}/gedaan", data={"done": "1"})
    second = patient.post(f"/afspraken/{agreement.id}/gedaan", data={"done": "1"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].startswith("/mijn/plan")
    assert "Toch nog niet gedaan" in patient.get("/mijn/plan").text
    db.expire_all()
    saved = db.get(PlanAgreement, agreement.id)
    assert saved.status == "done" and saved.version == 2


def test_patient_cannot_change_an_agreement_and_others_cannot_tick_it(db, login, world, no_csrf):
    agreement = add(db, world)
    data = {f"a{agreement.id}-what": "Niets", f"a{agreement.id}-who": "Niemand", "version": "1"}
    assert login(world.patient_user).post(f"/afspraken/{agreement.id}", data=data).status_code in (
        403,
        404,
    )
    other = login(world.other_patient_user).post(f"/afspraken/{agreement.id}/gedaan")
    assert other.status_code == 404
    db.expire_all()
    assert db.get(PlanAgreement, agreement.id).status == "open"


def test_stale_agreement_form_gets_409_and_keeps_typed_text(db, login, world, no_csrf):
    agreement = add(db, world)
    prefix = f"a{agreement.id}-"
    base = {prefix + "status": "open", prefix + "version": "1"}
    poh = login(world.poh)
    first = poh.post(
        f"/afspraken/{agreement.id}",
        data=base | {prefix + "what": agreement.what, prefix + "who": "Huisarts"},
    )
    assert first.status_code == 302
    stale = poh.post(
        f"/afspraken/{agreement.id}",
        data=base | {prefix + "what": "Mijn nieuwe tekst", prefix + "who": "Diëtist"},
    )
    assert stale.status_code == 409
    assert "Iemand anders heeft dit intussen ook aangepast" in stale.text
    assert "Mijn nieuwe tekst" in stale.text and "Huisarts" in stale.text
    db.expire_all()
    assert db.get(PlanAgreement, agreement.id).who == "Huisarts"


# --- asking for agreement again ------------------------------------------------------------


def test_poh_changing_an_agreed_goal_shows_both_that_the_patient_must_agree_again(
    db, login, world, no_csrf
):
    goal = active_goal(db, world, review_date=today() + timedelta(days=30), due_date=None)
    goal_id, title, version = goal.id, goal.title, goal.version
    review_date = goal.review_date.isoformat()
    db.commit()
    poh = login(world.poh)
    edit = poh.get(f"/doelen/{goal_id}/bewerken").text
    assert "opnieuw akkoord" in edit  # the editor is told before saving
    response = poh.post(
        f"/doelen/{goal_id}/bewerken",
        data={
            "title": title,
            "domain": "health",
            "programmes": ["CVRM"],
            "target_type": "bp_systolic",
            "target_comparator": "<",
            "target_value": "130",
            "target_unit": "mmHg",
            "review_date": review_date,
            "lifecycle": "active",
            "version": version,
        },
    )
    assert response.status_code == 302
    assert "Wacht opnieuw op akkoord van de patiënt" in poh.get(f"/doelen/{goal_id}").text
    patient = login(world.patient_user)
    mine = patient.get("/mijn/plan").text
    assert "Dit doel is aangepast" in mine and "Ik ben akkoord met dit doel" in mine
    assert "aangepast" in patient.get("/meldingen").text
    assert patient.post(f"/doelen/{goal_id}/akkoord").status_code == 302
    assert "Wacht opnieuw" not in patient.get(f"/doelen/{goal_id}").text
    db.expire_all()
    goal = db.get(Goal, goal_id)
    assert goal.agreed_by_patient_at is not None and goal.lifecycle == "active"


# --- conditions and goals ------------------------------------------------------------------


def test_patient_sees_per_condition_which_goals_address_it(db, login, world):
    active_goal(db, world, programmes=["CVRM"])
    db.commit()
    page = login(world.patient_user).get("/mijn/plan").text
    section = page[page.index("Mijn aandoeningen en mijn doelen") :]
    cvrm = re.search(r"Cardiovasculair[^<]*</strong>:(.*?)</li>", section, re.S)
    dm2 = re.search(r"Diabetes[^<]*</strong>:(.*?)</li>", section, re.S)
    assert cvrm and "Mijn bloeddruk omlaag" in cvrm.group(1)
    assert dm2 and "nog geen doel" in dm2.group(1)


def test_poh_plan_editor_names_the_goals_per_condition_and_flags_the_uncovered_one(
    db, login, world
):
    active_goal(db, world, programmes=["CVRM"])
    db.commit()
    page = login(world.poh).get(f"/patienten/{world.patient.id}/plan").text
    rows = re.findall(
        r"<tr( class=\"izp-uncovered\")?>\s*<th scope=\"row\">([^<]*)</th>(.*?)</tr>", page, re.S
    )
    by_name = {name.strip(): (flag, rest) for flag, name, rest in rows}
    dm2 = next(v for k, v in by_name.items() if k.startswith("Diabetes"))
    cvrm = next(v for k, v in by_name.items() if k.startswith("Cardiovasculair"))
    assert dm2[0] and "Nog niet besproken" in dm2[1]
    assert not cvrm[0] and "Mijn bloeddruk omlaag" in cvrm[1]


# --- bad input through the HTTP client -----------------------------------------------------


def test_poh_overlong_and_empty_titles_are_refused(db, login, world, no_csrf):
    poh = login(world.poh)
    for title, message in (("", "Vul een doel in"), ("x" * 201, "te lang")):
        response = poh.post(
            f"/patienten/{world.patient.id}/plan/doelen", data={"title": title, "domain": "health"}
        )
        assert response.status_code == 400 and message in response.text
    assert count(db, Goal) == 0


def test_preparing_a_review_of_a_cancelled_goal_is_refused(db, login, world, no_csrf):
    goal = active_goal(db, world, review_date=today() + timedelta(days=5), due_date=None)
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement=None,
        decision="stop",
        next_review=None,
        token="stop",
        today=today(),
    )
    db.commit()
    response = login(world.patient_user).post(
        f"/doelen/{goal.id}/voorbereiden", data={"score": "3", "token": "p"}
    )
    assert response.status_code == 400
    assert "Dit doel is gestopt" in response.text
    assert count(db, GoalReview) == 1  # only the review that stopped it


def test_double_submitted_preparation_keeps_one_open_review(db, login, world, no_csrf):
    goal = active_goal(db, world, review_date=today() + timedelta(days=5), due_date=None)
    db.commit()
    patient = login(world.patient_user)
    data = {"score": "4", "helped": "Wandelen", "token": "same"}
    assert patient.post(f"/doelen/{goal.id}/voorbereiden", data=data).status_code == 302
    assert patient.post(f"/doelen/{goal.id}/voorbereiden", data=data).status_code == 302
    assert count(db, GoalReview) == 1


HTML = '<script>alert(1)</script><img src="file:///etc/passwd">'


def test_html_in_agreements_professional_view_and_goal_form_is_escaped(db, login, world, no_csrf):
    goal = active_goal(
        db, world, title=HTML[:150], review_date=today() + timedelta(days=5), due_date=None
    )
    add(db, world, what=HTML, who=HTML[:90])
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        professional_view=HTML,
        achievement="in-progress",
        decision="continue",
        next_review=today() + timedelta(days=5),
        token="r",
        today=today(),
    )
    db.commit()
    pages = [
        login(world.poh).get(f"/patienten/{world.patient.id}/plan"),
        login(world.poh).get(f"/doelen/{goal.id}"),
        login(world.poh).get(f"/doelen/{goal.id}/bewerken"),
        login(world.poh).get("/evaluaties"),
        login(world.patient_user).get("/mijn/plan"),
        login(world.patient_user).get(f"/doelen/{goal.id}"),
        login(world.poh).get(
            f"/patienten/{world.patient.id}/plan/geschiedenis",
            query_string={"datum": today().isoformat()},
        ),
    ]
    for page in pages:
        assert page.status_code == 200, page.request.path
        assert "<script>alert(1)</script>" not in page.text, page.request.path
        assert "&lt;script&gt;" in page.text, page.request.path
    body = login(world.poh).get(f"/patienten/{world.patient.id}/plan.pdf").data
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert text.count("<script>alert(1)</script>") >= 2  # the goal and the agreement, as text
    assert "root:x:0:0" not in text
