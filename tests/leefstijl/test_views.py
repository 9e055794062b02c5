"""Lifestyle pages through HTTP, per role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.leefstijl.helpers import add_measurement, make_intervention, make_referral
from zelfzorg.izp import goals
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.models_base import utcnow

pytestmark = pytest.mark.usefixtures("no_csrf")


def _state(db, referral_id):
    db.expire_all()
    state = db.get(Referral, referral_id).state
    db.rollback()  # end the read: SQLite's write lock must be free for the next request
    return state


def _text(response):
    return response.get_data(as_text=True)


def _without_tokens(page: str) -> str:
    # A random CSRF token can contain "DM2" or "CVRM" by chance (it did, on PostgreSQL).
    return re.sub(r'name="csrf_token"[^>]*', "", page)


# --- professional -------------------------------------------------------------------------------
def test_poh_sees_eligibility_with_explanation_and_missing_data(db, world, login):
    make_intervention(db, world.care_group.id, name="CooL")
    make_intervention(
        db,
        world.care_group.id,
        name="Stoppen",
        kind="smoking_cessation",
        criteria={"smoking": "current"},
    )
    add_measurement(db, world.patient.id, "bmi", 28.5, at=utcnow() - timedelta(days=3))
    db.commit()
    response = login(world.poh).get(f"/patienten/{world.patient.id}/leefstijl")
    body = _text(response)
    assert response.status_code == 200
    assert "CooL:" in body and "komt in aanmerking" in body
    assert "BMI 28,5" in body
    assert "nog niet te zeggen" in body
    assert "Ontbrekende gegevens:" in body and "rookgedrag" in body


def test_poh_proposes_and_offers_an_intervention(db, world, login):
    cool = make_intervention(db, world.care_group.id)
    db.commit()
    patient_id = world.patient.id
    client = login(world.poh)
    response = client.post(
        f"/patienten/{patient_id}/leefstijl/verwijzingen",
        data={"intervention_id": cool.id, "note": "Besproken op spreekuur"},
    )
    assert response.status_code == 302
    referral = db.exec(select(Referral)).one()
    referral_id, state = referral.id, referral.state
    db.rollback()
    assert state == rs.PROPOSED
    response = client.post(
        f"/patienten/{patient_id}/leefstijl/verwijzingen/{referral_id}/status",
        data={"to_state": "offered", "version": 1},
    )
    assert response.status_code == 302
    assert _state(db, referral_id) == rs.OFFERED


def test_referral_to_an_unknown_intervention_is_refused_with_a_message(db, world, login):
    make_intervention(db, world.care_group.id)
    db.commit()
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/leefstijl/verwijzingen", data={"intervention_id": 9999}
    )
    assert response.status_code == 400
    assert "actuele aanbod van uw zorggroep" in _text(response)
    assert db.exec(select(Referral)).all() == []


def test_invalid_transition_over_http_shows_the_rule_and_changes_nothing(db, world, login):
    referral = make_referral(db, world.patient.id, make_intervention(db, world.care_group.id))
    db.commit()
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/leefstijl/verwijzingen/{referral.id}/status",
        data={"to_state": "accepted"},
    )
    assert response.status_code == 400
    assert "kan alleen de status" in _text(response)
    assert _state(db, referral.id) == rs.PROPOSED


def test_stale_transition_gets_a_conflict_message(db, world, login):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.OFFERED
    )
    db.commit()
    seen = referral.version
    login(world.patient_user).post(
        f"/mijn/leefstijl/{referral.id}", data={"to_state": "accepted", "version": seen}
    )
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/leefstijl/verwijzingen/{referral.id}/status",
        data={"to_state": "declined", "version": seen},
    )
    assert response.status_code == 409
    assert "intussen door iemand anders bijgewerkt" in _text(response)
    assert _state(db, referral.id) == rs.ACCEPTED


def test_referral_of_another_patient_in_the_url_is_not_found(db, world, login):
    referral = make_referral(
        db, world.other_patient.id, make_intervention(db, world.care_group.id), rs.PROPOSED
    )
    db.commit()
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/leefstijl/verwijzingen/{referral.id}/status",
        data={"to_state": "offered"},
    )
    assert response.status_code == 404


def test_completion_asks_for_the_outcome_and_refuses_bad_input(db, world, login):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.STARTED
    )
    db.commit()
    client = login(world.poh)
    url = f"/patienten/{world.patient.id}/leefstijl/verwijzingen/{referral.id}/afronden"
    page = client.get(url)
    assert page.status_code == 200
    assert "Verandering in gewicht (kg)" in _text(page)
    version = referral.version
    response = client.post(url, data={"outcome_patient_rating": "4", "version": version})
    assert response.status_code == 400
    assert "Vul dit gegeven in." in _text(response)
    assert 'value="4"' in _text(response)  # what was typed stays
    assert _state(db, referral.id) == rs.STARTED
    response = client.post(
        url,
        data={
            "outcome_weight_change_kg": "-4,5",
            "outcome_patient_rating": "4",
            "version": version,
        },
    )
    assert response.status_code == 302
    db.expire_all()
    done = db.get(Referral, referral.id)
    assert done.state == rs.COMPLETED
    assert done.outcome == {"weight_change_kg": -4.5, "patient_rating": 4}


def test_practice_list_shows_eligible_patients_and_an_empty_state(db, world, login):
    make_intervention(db, world.care_group.id)
    db.commit()
    client = login(world.poh)
    assert "Geen patiënten die nu in aanmerking komen" in _text(client.get("/leefstijl/kansen"))
    add_measurement(db, world.patient.id, "bmi", 31, at=utcnow() - timedelta(days=2))
    db.commit()
    body = _text(client.get("/leefstijl/kansen"))
    assert "Willemsen, Gerda" in body and "CooL" in body


def test_worklist_shows_an_unanswered_offer(db, world, login):
    make_referral(
        db,
        world.patient.id,
        make_intervention(db, world.care_group.id),
        rs.OFFERED,
        start=utcnow() - timedelta(days=40),
    )
    db.commit()
    body = _text(login(world.poh).get("/werklijst"))
    assert "nog niet beantwoord" in body


# --- patient ------------------------------------------------------------------------------------
def test_patient_accepts_an_offer_in_plain_language(db, world, login):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.OFFERED
    )
    db.commit()
    client = login(world.patient_user)
    page = _text(client.get("/mijn/leefstijl"))
    assert "Twee jaar begeleiding" in page and "Ja, ik doe mee" in page
    response = client.post(
        f"/mijn/leefstijl/{referral.id}", data={"to_state": "accepted", "version": 2}
    )
    assert response.status_code == 302
    assert _state(db, referral.id) == rs.ACCEPTED
    event = db.exec(select(ReferralEvent).order_by(ReferralEvent.id.desc())).first()
    assert (event.actor_role, event.actor_id) == ("patient", world.patient_user.id)
    db.rollback()
    page = _text(client.get("/mijn/leefstijl"))
    assert "geaccepteerd" in page and "U heeft op dit moment geen aanbod" in page


def test_patient_cannot_record_a_professional_step(db, world, login):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.ACCEPTED
    )
    db.commit()
    response = login(world.patient_user).post(
        f"/mijn/leefstijl/{referral.id}", data={"to_state": "started"}
    )
    assert response.status_code == 403
    assert "Alleen een zorgverlener" in _text(response)
    assert _state(db, referral.id) == rs.ACCEPTED


def test_patient_page_has_an_empty_state(world, login):
    body = _text(login(world.patient_user).get("/mijn/leefstijl"))
    assert "Nog geen interventies waar u aan meedoet" in body


# --- catalogue ----------------------------------------------------------------------------------
def test_professionals_read_the_catalogue_without_edit_links(db, world, login):
    make_intervention(db, world.care_group.id)
    db.commit()
    body = _text(login(world.poh).get("/leefstijl/aanbod"))
    assert "DM2 of CVRM en BMI 25 of hoger" in body
    assert "Bewerken" not in body
    assert "DM2 of CVRM" in _text(login(world.caregroup_user).get("/leefstijl/aanbod"))


def test_empty_catalogue_says_so(world, login):
    assert "nog geen leefstijlinterventies" in _text(login(world.poh).get("/leefstijl/aanbod"))


def _form(world, **changes):
    data = {
        "care_group_id": world.care_group.id,
        "name": "Beweegkuur",
        "kind": "exercise",
        "provider": "Fysio Betuwe",
        "programmes": ["DM2", "COPD"],
        "description_nl": "Een half jaar bewegen onder begeleiding.",
        "criteria": '{"measurement": "bmi", "op": ">=", "value": 25}',
        "zorgstandaard_conform": "y",
        "active": "y",
    }
    data.update(changes)
    return data


def test_admin_adds_an_intervention(db, world, login):
    response = login(world.admin).post("/beheer/leefstijl/nieuw", data=_form(world))
    assert response.status_code == 302
    saved = db.exec(select(Intervention)).one()
    assert saved.programmes == ["DM2", "COPD"]
    assert saved.zorgstandaard_conform and not saved.internet_based


def test_admin_sees_criteria_errors_naming_the_path(db, world, login):
    response = login(world.admin).post(
        "/beheer/leefstijl/nieuw",
        data=_form(world, criteria='{"all": [{"measurement": "bmi", "op": "=>", "value": 25}]}'),
    )
    body = _text(response)
    assert response.status_code == 400
    assert "Onbekende vergelijking &#39;=&gt;&#39; bij criteria.all[0].op" in body
    assert 'role="alert"' in body
    assert db.exec(select(Intervention)).all() == []


def test_concurrent_catalogue_edit_shows_both_versions_and_keeps_the_input(db, world, login):
    intervention = make_intervention(db, world.care_group.id, name="CooL")
    db.commit()
    client = login(world.admin)
    url = f"/beheer/leefstijl/{intervention.id}"
    assert client.post(url, data=_form(world, name="CooL 2026", version="1")).status_code == 302
    response = client.post(url, data=_form(world, name="Mijn wijziging", version="1"))
    body = _text(response)
    assert response.status_code == 409
    assert "Iemand anders heeft deze interventie intussen gewijzigd" in body
    assert "CooL 2026" in body and 'value="Mijn wijziging"' in body
    db.expire_all()
    assert db.get(Intervention, intervention.id).name == "CooL 2026"


def test_admin_edit_form_shows_criteria_as_json(db, world, login):
    intervention = make_intervention(db, world.care_group.id)
    db.commit()
    body = _text(login(world.admin).get(f"/beheer/leefstijl/{intervention.id}"))
    assert "&#34;programme_in&#34;" in body or "&quot;programme_in&quot;" in body
    assert "Nu opgeslagen als:" in body


def test_care_group_staff_edit_their_own_catalogue(db, world, login):
    from tests.factories import make_care_group

    other_group = make_care_group(db, "Zorggroep Elders")
    theirs = make_intervention(db, other_group.id, name="Elders")
    db.commit()
    client = login(world.caregroup_user)
    form = _text(client.get("/beheer/leefstijl/nieuw"))
    assert world.care_group.name in form and "Zorggroep Elders" not in form
    assert client.post("/beheer/leefstijl/nieuw", data=_form(world)).status_code == 302
    saved = db.exec(select(Intervention).where(Intervention.name == "Beweegkuur")).one()
    assert (saved.care_group_id, saved.updated_by_id) == (
        world.care_group.id,
        world.caregroup_user.id,
    )
    db.commit()  # end the read transaction before the next requests
    catalogue = _text(client.get("/leefstijl/aanbod"))
    assert "Bewerken" in catalogue and "Elders" not in catalogue
    # Another group's entry: 404, and a crafted group choice is refused with a message.
    assert client.get(f"/beheer/leefstijl/{theirs.id}").status_code == 404
    refused = client.post(
        "/beheer/leefstijl/nieuw", data=_form(world, care_group_id=other_group.id, name="Stiekem")
    )
    assert refused.status_code == 400
    assert db.exec(select(Intervention).where(Intervention.name == "Stiekem")).all() == []


def test_professionals_cannot_open_the_catalogue_editor(world, login):
    assert login(world.poh).get("/beheer/leefstijl/nieuw").status_code == 403


def test_forms_need_a_csrf_token(app, db, world, login):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.OFFERED
    )
    db.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    response = login(world.patient_user).post(
        f"/mijn/leefstijl/{referral.id}", data={"to_state": "accepted"}
    )
    assert response.status_code == 400
    assert _state(db, referral.id) == rs.OFFERED


def test_pages_render_in_english(db, world, login):
    make_intervention(db, world.care_group.id)
    world.poh.locale = "en"
    db.add(world.poh)
    db.commit()
    body = _text(login(world.poh).get(f"/patienten/{world.patient.id}/leefstijl"))
    assert "DM2 or CVRM and BMI 25 or higher" in body


def test_poh_links_a_referral_to_a_care_plan_goal(db, world, login):
    from tests.izp.helpers import active_goal, goal_input

    goal = active_goal(db, world, title="Tien kilo lichter")
    theirs = goals.propose_goal(
        db,
        world.actor(world.poh),
        world.other_patient.id,
        goal_input(title="Niet van jou"),
        today=utcnow().date(),
    )
    cool = make_intervention(db, world.care_group.id)
    db.commit()
    goal_id, their_goal_id, cool_id = goal.id, theirs.id, cool.id
    client = login(world.poh)
    page = _text(client.get(f"/patienten/{world.patient.id}/leefstijl"))
    assert "Tien kilo lichter" in page and "Niet van jou" not in page
    url = f"/patienten/{world.patient.id}/leefstijl/verwijzingen"
    refused = client.post(url, data={"intervention_id": cool_id, "goal_id": their_goal_id})
    assert refused.status_code == 400
    assert "Kies een doel uit het zorgplan van deze patiënt." in _text(refused)
    assert db.exec(select(Referral)).all() == []
    db.rollback()  # release SQLite's write lock (every transaction begins IMMEDIATE)
    assert (
        client.post(url, data={"intervention_id": cool_id, "goal_id": goal_id}).status_code == 302
    )
    assert db.exec(select(Referral.goal_id)).one() == goal_id


def test_referral_card_shows_its_care_plan_goal_to_poh_and_patient(db, world, login):
    from tests.izp.helpers import active_goal

    goal = active_goal(db, world, title="Tien kilo lichter")
    cool = make_intervention(db, world.care_group.id)
    offered = make_referral(db, world.patient.id, cool, rs.OFFERED)
    offered.goal_id = goal.id
    walk = make_intervention(db, world.care_group.id, name="Wandelgroep")
    make_referral(db, world.patient.id, walk, rs.STARTED)  # no goal
    db.commit()
    poh_page = _text(login(world.poh).get(f"/patienten/{world.patient.id}/leefstijl"))
    assert poh_page.count("Hoort bij het doel:") == 1
    assert "Hoort bij het doel: Tien kilo lichter" in poh_page
    mine = _text(login(world.patient_user).get("/mijn/leefstijl"))
    assert "Dit past bij uw doel: <strong>Tien kilo lichter</strong>" in mine


def test_patient_reads_who_can_join_in_plain_words(db, world, login):
    criteria = {
        "all": [
            {"programme_in": ["DM2", "CVRM"]},
            {"measurement": "bmi", "op": ">=", "value": 25},
            {"activation_level_in": [1, 2]},
        ]
    }
    make_referral(
        db,
        world.patient.id,
        make_intervention(db, world.care_group.id, criteria=criteria),
        rs.OFFERED,
    )
    db.commit()
    client = login(world.patient_user)
    page = _without_tokens(_text(client.get("/mijn/leefstijl")))
    assert (
        "U heeft diabetes type 2 of een verhoogd risico op hart- en vaatziekten, BMI 25 of hoger "
        "en niveau 1 of 2 op de vragenlijst over zelf omgaan met uw gezondheid"
    ) in page
    assert "DM2" not in page and "CVRM" not in page and "activatieniveau" not in page
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    english = _without_tokens(_text(client.get("/mijn/leefstijl")))
    assert "You have type 2 diabetes or a raised risk of heart and vascular disease" in english
    assert "DM2" not in english and "CVRM" not in english
    # The professional keeps the short codes of the care group.
    staff = _text(login(world.poh).get(f"/patienten/{world.patient.id}/leefstijl"))
    assert "DM2 of CVRM, BMI 25 of hoger en activatieniveau 1 of 2" in staff


def test_practice_list_says_when_an_intervention_was_declined_before(db, world, login):
    cool = make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 28)
    make_referral(db, world.patient.id, cool, rs.DECLINED, start=utcnow() - timedelta(days=500))
    db.commit()
    page = _text(login(world.poh).get("/leefstijl/kansen"))
    assert "Eerder: afgewezen op" in page
    assert "staat hier na een jaar weer" in page


def test_opportunities_page_is_paged_and_a_bad_page_number_is_harmless(db, world, login):
    from tests.factories import make_patient
    from zelfzorg.leefstijl.services import OPPORTUNITIES_PER_PAGE

    intervention = make_intervention(db, world.care_group.id)
    for n in range(OPPORTUNITIES_PER_PAGE + 1):
        patient = make_patient(db, world.practice, given=f"P{n}", family=f"Naam {n:03d}")
        add_measurement(db, patient.id, "bmi", 31)
    db.commit()
    client = login(world.poh)
    first = _text(client.get("/leefstijl/kansen"))
    assert "Pagina 1 van 2" in first and "Volgende" in first
    second = _text(client.get("/leefstijl/kansen?page=2"))
    assert "Pagina 2 van 2" in second and "Vorige" in second
    assert intervention.name in second
    for bad in ("abc", "-3", "999"):
        response = client.get(f"/leefstijl/kansen?page={bad}")
        assert response.status_code == 200
    assert "Deze pagina bestaat niet" in _text(client.get("/leefstijl/kansen?page=999"))


def test_practice_list_shows_a_value_two_criteria_share_once(db, world, login):
    # BMI >= 25, or BMI >= 30 with a programme: both lines report the same BMI.
    criteria = {
        "any": [
            {"measurement": "bmi", "op": ">=", "value": 25},
            {
                "all": [
                    {"programme_in": ["DM2", "CVRM"]},
                    {"measurement": "bmi", "op": ">=", "value": 30},
                ]
            },
        ]
    }
    make_intervention(db, world.care_group.id, criteria=criteria)
    add_measurement(db, world.patient.id, "bmi", 31, at=utcnow() - timedelta(days=2))
    db.commit()
    body = _text(login(world.poh).get("/leefstijl/kansen"))
    assert "Willemsen, Gerda" in body
    assert body.count("BMI 31") == 1, body
