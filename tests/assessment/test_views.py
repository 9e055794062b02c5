"""The fill-in flow and result pages through HTTP, per role."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlmodel import select
from werkzeug.datastructures import MultiDict

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
    assert "61,5" in result.text and "Niveau 3" in result.text and "versie 1.0" in result.text
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
    # Out of scope reads as absent; roles that never see answers are refused outright.
    for user, status in (
        (world.other_poh, 404),
        (world.other_patient_user, 404),
        (world.caregroup_user, 403),
        (world.admin, 403),
    ):
        client = login(user)
        assert client.get(f"/vragenlijsten/uitslag/{response.id}").status_code == status
    assert (
        login(world.other_poh).get(f"/patienten/{world.patient.id}/zelfmanagement").status_code
        == 404
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
    assert "4,33" in client.get(done.headers["Location"]).text


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


def test_notification_links_lead_to_the_questionnaire(db, world, login):
    from zelfzorg.notifications.services import endpoint_link, notify

    notify(
        db,
        user_id=world.patient_user.id,
        key="k",
        kind="test",
        message="Vul in",
        link=endpoint_link("assessment.fill", response_id=5),
    )
    db.commit()
    page = login(world.patient_user).get("/meldingen").text
    assert 'href="/vragenlijsten/antwoorden/5"' in page


def test_history_explains_a_response_without_score(db, world, login):
    complete(db, world, {f"a{n:02d}": 3 for n in range(1, 10)})  # 9 answered: too few
    db.commit()
    page = login(world.poh).get(f"/patienten/{world.patient.id}/zelfmanagement")
    assert "Geen score: 9 van de 13 vragen zijn beantwoord." in page.text
    assert "Er is nog geen vragenlijst over zelfmanagement met een score." in page.text


class _FormFields(HTMLParser):
    """The fields a browser would send from the answer form: hidden inputs and radio names."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: list[tuple[str, str]] = []
        self.radios: dict[str, list[str]] = {}
        self.actions: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and "/antwoorden/" in a.get("action", ""):
            self._in_form = True
        elif self._in_form and tag == "input" and a.get("type") == "hidden":
            self.hidden.append((a["name"], a.get("value") or ""))
        elif self._in_form and tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a["value"])
        elif self._in_form and tag == "button" and a.get("name") == "action":
            self.actions.append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False


def _browser_post(client, url, page_html, *, action, choose):
    """Submit the form as the browser does: every hidden field as rendered, one radio per
    question chosen with ``choose(item_code, values)`` (None: left open), and the button pressed."""
    fields = _FormFields()
    fields.feed(page_html)
    assert action in fields.actions
    data = MultiDict(fields.hidden)
    for name, values in fields.radios.items():
        value = choose(name, values)
        if value is not None:  # a question left open sends nothing
            data.add(name, value)
    data.add("action", action)
    return client.post(url, data=data), fields


def test_pager_keeps_earlier_pages_when_the_real_form_is_posted(db, world, login):
    """Regression: the form once sent ``page`` twice (an empty one first), so page 2's post was
    read as page 1 and erased its answers. Post exactly what the template renders, CSRF
    included."""
    client = login(world.patient_user)
    mine = client.get("/vragenlijsten").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', mine).group(1)
    fill_url = client.post("/vragenlijsten/activation/starten", data={"csrf_token": token})
    fill_url = fill_url.headers["Location"]

    page1 = client.get(fill_url).text
    sent, fields = _browser_post(client, fill_url, page1, action="next", choose=lambda n, v: "3")
    names = [name for name, _value in fields.hidden]
    assert names.count("page") == 1 and ("page", "1") in fields.hidden
    assert sorted(fields.radios) == ["a01", "a02", "a03", "a04"]
    assert sent.status_code == 302 and "pagina=2" in sent.headers["Location"]

    page2 = client.get(sent.headers["Location"]).text
    assert "Pagina 2 van 4" in page2
    sent, fields = _browser_post(client, fill_url, page2, action="next", choose=lambda n, v: "2")
    assert ("page", "2") in fields.hidden and sorted(fields.radios) == ["a05", "a06", "a07", "a08"]
    assert "pagina=3" in sent.headers["Location"]
    answers = _response(db, world.patient.id).answers
    assert answers == {f"a0{n}": 3 for n in range(1, 5)} | {f"a0{n}": 2 for n in range(5, 9)}

    # Back to page 2 and forward again: the radios come back checked, nothing is lost.
    page3 = client.get(sent.headers["Location"]).text
    back, _fields = _browser_post(
        client, fill_url, page3, action="previous", choose=lambda n, v: None
    )
    assert "pagina=2" in back.headers["Location"]
    again = client.get(back.headers["Location"]).text
    assert again.count(" checked>") == 4
    assert _response(db, world.patient.id).answers == answers


def test_draft_card_counts_not_applicable_as_answered_and_says_so(db, world, login):
    actor = world.actor(world.patient_user)
    draft = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    answers = {f"a0{n}": 3 for n in range(1, 6)} | {"a06": 0}  # 0 = "niet van toepassing"
    services.save_answers(db, actor, response_id=draft.id, answers=answers, now=NOW)
    db.commit()
    mine = login(world.patient_user).get("/vragenlijsten").text
    assert "6 van de 13 vragen beantwoord." in mine
    assert "Bij 1 vraag koos u “niet van toepassing”; die telt niet mee voor de score." in mine
    staff = login(world.poh).get(f"/patienten/{world.patient.id}/zelfmanagement").text
    assert "6 van de 13 vragen beantwoord." in staff
    assert "Bij 1 vraag is “niet van toepassing” gekozen" in staff


def test_result_over_time_shows_a_chart_and_arrows_with_instrument_and_version(db, world, login):
    complete(db, world, LEVEL_1, now=NOW.replace(year=2024))  # 35.9
    complete(db, world, {f"a{n:02d}": 3 for n in range(1, 10)}, now=NOW.replace(year=2025))
    complete(db, world, LEVEL_3)  # 61.5
    db.commit()
    for user, url in (
        (world.patient_user, "/vragenlijsten"),
        (world.poh, f"/patienten/{world.patient.id}/zelfmanagement"),
    ):
        page = login(user).get(url).text
        assert "door de tijd" in page
        section = page.split('aria-labelledby="trend-1-h"')[1].split("</section>")[0]
        assert "Vragenlijst zelfmanagement (activatie)" in section
        assert "Berekend met versie 1.0." in section
        # One chart for a wide screen and one with larger text for a phone (CSS shows one).
        assert section.count('role="img"') == 2 and section.count("<desc") == 2
        assert 'id="trend-1-compact-title"' in section
        assert "2 scores van 2 mrt 2024 tot 2 mrt 2026. Laatste score: 61,5." in section
        # The response without a score is left out; the change is said in words too.
        assert section.count("<tr>") == 3  # header and two scores
        assert "eerste score" in section and "↑" in section
        assert "hoger dan de vorige keer" in section
