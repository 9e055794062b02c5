"""The fill-in flow and result pages through HTTP, per role."""

from __future__ import annotations

from sqlmodel import select

from tests.assessment.helpers import LEVEL_1, LEVEL_3, NOW, complete
from zelfzorg.assessment import services
from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus


def _response(db, patient_id):
    """Read fresh, then end the transaction so the app's requests are not locked out."""
    db.expire_all()
    row = db.exec(
        select(AssessmentResponse).where(AssessmentResponse.patient_id == patient_id)
    ).one()
    db.commit()
    return row


def test_patient_fills_in_page_by_page_saves_resumes_and_sees_the_level(db, world, login, no_csrf):
    client = login(world.patient_user)
    page = client.get("/vragenlijsten")
    assert page.status_code == 200 and "U heeft nog geen uitslag" in page.text
    started = client.post("/vragenlijsten/activation/starten")
    assert started.status_code == 302
    fill_url = started.headers["Location"]
    first = client.get(fill_url)
    assert "Pagina 1 van 4" in first.text and 'name="a01"' in first.text
    answers = list(LEVEL_3.items())
    nxt = client.post(fill_url, data={"page": 1, "action": "next", **dict(answers[:4])})
    assert nxt.status_code == 302 and "pagina=2" in nxt.headers["Location"]
    saved = client.post(fill_url, data={"page": 2, "action": "save", **dict(answers[4:8])})
    assert saved.headers["Location"].endswith("/vragenlijsten")
    db.expire_all()
    draft = _response(db, world.patient.id)
    assert draft.status == ResponseStatus.in_progress and draft.answered_count == 8
    assert "8 van de 13 vragen beantwoord" in client.get("/vragenlijsten").text
    # Resume: starting again opens the same response.
    assert client.post("/vragenlijsten/activation/starten").headers["Location"] == fill_url
    client.post(fill_url, data={"page": 3, "action": "next", **dict(answers[8:12])})
    done = client.post(fill_url, data={"page": 4, "action": "submit", **dict(answers[12:])})
    assert done.status_code == 302 and "/uitslag/" in done.headers["Location"]
    result = client.get(done.headers["Location"])
    assert "61.5" in result.text and "Niveau 3" in result.text and "versie 1.0" in result.text
    assert "Advies voor de ondersteuning" not in result.text
    mine = client.get("/vragenlijsten")
    assert "Niveau 3 van 4" in mine.text and "Mijn uitslagen" in mine.text


def test_invalid_answer_gets_a_message_and_changes_nothing(db, world, login, no_csrf):
    client = login(world.patient_user)
    fill_url = client.post("/vragenlijsten/activation/starten").headers["Location"]
    client.post(fill_url, data={"page": 1, "action": "save", "a01": "2"})
    bad = client.post(fill_url, data={"page": 1, "action": "next", "a01": "3", "a02": "9"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    assert "Kies bij deze vraag een van de antwoorden." in bad.text
    db.expire_all()
    assert _response(db, world.patient.id).answers == {"a01": 2}


def test_forms_without_a_csrf_token_are_refused_and_change_nothing(db, world, login):
    client = login(world.patient_user)
    assert client.post("/vragenlijsten/activation/starten").status_code == 400
    assert db.exec(select(AssessmentResponse)).first() is None


def test_professional_sees_level_advice_interval_and_fills_in_on_behalf(db, world, login, no_csrf):
    complete(db, world, LEVEL_1)
    db.commit()
    client = login(world.poh)
    page = client.get(f"/patienten/{world.patient.id}/zelfmanagement")
    assert page.status_code == 200
    assert "Niveau 1 van 4" in page.text and "Advies voor de ondersteuning" in page.text
    assert "6 weken" in page.text and "versie 1.0" in page.text
    started = client.post(f"/patienten/{world.patient.id}/zelfmanagement/semcd6/starten")
    fill_url = started.headers["Location"]
    assert "namens de patiënt" in client.get(fill_url).text
    answers = {f"s{n}": "7" for n in range(1, 7)}
    client.post(fill_url, data={"page": 1, "action": "next", **answers})
    done = client.post(fill_url, data={"page": 2, "action": "submit"})
    assert "/uitslag/" in done.headers["Location"]
    db.expire_all()
    semcd = db.exec(
        select(AssessmentResponse).where(AssessmentResponse.instrument_code == "semcd6")
    ).one()
    assert semcd.filled_by_role == "professional"


def test_professional_of_another_practice_and_care_group_staff_are_refused(db, world, login):
    response = complete(db, world, LEVEL_3)
    db.commit()
    for user in (world.other_poh, world.caregroup_user, world.admin, world.other_patient_user):
        client = login(user)
        assert client.get(f"/vragenlijsten/uitslag/{response.id}").status_code == 403
    assert (
        login(world.other_poh).get(f"/patienten/{world.patient.id}/zelfmanagement").status_code
        == 403
    )


def test_experience_invitation_is_filled_in_by_the_patient_only(db, world, login, no_csrf):
    invite = services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=7, now=NOW
    )
    db.commit()
    url = f"/vragenlijsten/antwoorden/{invite.id}"
    assert login(world.poh).get(url).status_code == 403
    client = login(world.patient_user)
    assert "Hoe ging het gesprek" in client.get(url).text
    done = client.post(url, data={"page": 1, "action": "submit", "e1": "5", "e2": "4", "e3": "4"})
    assert "/uitslag/" in done.headers["Location"]
    assert "4.33" in client.get(done.headers["Location"]).text


def test_pages_show_empty_states(db, world, login):
    page = login(world.poh).get(f"/patienten/{world.patient.id}/zelfmanagement")
    assert "Deze patiënt heeft nog geen vragenlijst ingevuld." in page.text
    assert "Er staat geen vragenlijst open." in page.text


def test_worklist_shows_assessment_due(db, world, login):
    page = login(world.poh).get("/werklijst?kind=assessment_due")
    assert page.status_code == 200
    assert "Vragenlijst zelfmanagement is aan de beurt." in page.text
    assert f"/patienten/{world.patient.id}/zelfmanagement" in page.text


def test_english_page_uses_english_instrument_texts(db, world, login, no_csrf):
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    client = login(world.patient_user)
    fill_url = client.post("/vragenlijsten/activation/starten").headers["Location"]
    assert "Strongly agree" in client.get(fill_url).text


def test_notification_paths_match_the_routes(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("assessment.fill", response_id=5) == services.FILL_PATH.format(id=5)
        assert url_for("assessment.mine") == services.HOME_PATH


def test_history_explains_a_response_without_score(db, world, login):
    complete(db, world, {f"a{n:02d}": 3 for n in range(1, 10)})  # 9 answered: too few
    db.commit()
    page = login(world.poh).get(f"/patienten/{world.patient.id}/zelfmanagement")
    assert "Geen score: 9 van de 13 vragen zijn beantwoord." in page.text
    assert "Er is nog geen vragenlijst over zelfmanagement met een score." in page.text
