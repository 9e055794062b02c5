"""Patient/{id}/$everything: paging without a cap, _since, _type; the patient's download."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.fhir.helpers import (
    AT,
    add_bp,
    add_plan_with_goal,
    add_questionnaire_response,
    add_weight,
    days,
    token_for,
)
from tests.fhir.test_api import get, validate


def _walk(client, token, url):
    seen, pages = [], 0
    while url:
        body = get(client, url, token).get_json(force=True)
        validate(body)
        seen += [(e["resource"]["resourceType"], e["resource"]["id"]) for e in body["entry"]]
        nxt = next((lnk["url"] for lnk in body["link"] if lnk["relation"] == "next"), None)
        url = None
        if nxt:
            parts = urlsplit(nxt)
            url = f"{parts.path}?{parts.query}"
        pages += 1
    return seen, pages


def test_everything_pages_over_all_types_without_cap_or_repeats(client, db, world):
    add_plan_with_goal(db, world.patient)
    add_questionnaire_response(db, world.patient, world.patient_user)
    for n in range(620):
        add_weight(db, world.patient, at=AT + days(n % 30))
    add_bp(db, world.patient)
    add_weight(db, world.other_patient)
    db.commit()
    token = token_for(db, world, world.patient_user)
    seen, pages = _walk(client, token, f"/fhir/Patient/{world.patient.id}/$everything?_count=100")
    assert len(seen) == len(set(seen))
    kinds = [t for t, _ in seen]
    assert kinds.count("Observation") == 621 and kinds.count("Patient") == 1
    assert {"Condition", "EpisodeOfCare", "CarePlan", "Goal", "QuestionnaireResponse"} <= set(kinds)
    assert pages == -(-len(seen) // 100)
    # a page size that ends exactly at a type boundary still finds the next types
    exact, _ = _walk(client, token, f"/fhir/Patient/{world.patient.id}/$everything?_count=1")
    assert exact[:3] == seen[:3] and len(exact) == len(seen)


def test_everything_by_type_and_since(client, db, world):
    add_weight(db, world.patient)
    add_plan_with_goal(db, world.patient)
    db.commit()
    token = token_for(db, world, world.poh)
    url = f"/fhir/Patient/{world.patient.id}/$everything?_type=Goal,Observation"
    seen, _ = _walk(client, token, url)
    assert sorted({t for t, _ in seen}) == ["Goal", "Observation"]
    future = f"/fhir/Patient/{world.patient.id}/$everything?_since=2999-01-01T00:00:00Z"
    assert _walk(client, token, future)[0] == []
    bad = get(client, f"/fhir/Patient/{world.patient.id}/$everything?_type=Medication", token)
    assert bad.status_code == 400
    bad = get(client, f"/fhir/Patient/{world.patient.id}/$everything?_since=yesterday", token)
    assert bad.status_code == 400
    other = token_for(db, world, world.other_poh)
    assert get(client, f"/fhir/Patient/{world.patient.id}/$everything", other).status_code == 404


def test_a_patient_downloads_all_their_data(db, world, login):
    for n in range(700):
        add_weight(db, world.patient, at=AT + days(n % 30))
    add_weight(db, world.other_patient)
    db.commit()
    client = login(world.patient_user)
    page = client.get("/mijn").get_data(as_text=True)
    assert "Mijn gegevens downloaden" in page
    response = client.get("/mijn/gegevens.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    bundle = response.get_json(force=True)
    validate(bundle)
    observations = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert len(observations) == 700  # more than one page: no cap
    assert {o["resource"]["subject"]["reference"] for o in observations} == {
        f"Patient/{world.patient.id}"
    }
