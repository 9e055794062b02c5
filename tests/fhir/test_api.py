"""The FHIR API: tokens, read, search, paging, errors; every emitted resource is validated
with fhir.resources (R4B)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlmodel import select

from tests.fhir.helpers import (
    AT,
    add_bp,
    add_plan_with_goal,
    add_questionnaire_response,
    add_referral,
    add_weight,
    auth,
    days,
    token_for,
)
from zelfzorg.accounts.models import ApiToken
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import ValidationError
from zelfzorg.models_base import utcnow


def validate(resource: dict) -> None:
    """Parse with the R4B model of its type (raises on anything invalid), entries too."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    for entry in resource.get("entry", []):
        if "resource" in entry:
            validate(entry["resource"])


def get(client, url, token, **kw):
    response = client.get(url, headers=auth(token), **kw)
    assert response.headers["Content-Type"].startswith("application/fhir+json"), response.data
    return response


def test_metadata_is_public_and_a_valid_capability_statement(client):
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    body = response.get_json(force=True)
    validate(body)
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(types) == {
        "Patient",
        "Condition",
        "EpisodeOfCare",
        "Observation",
        "CarePlan",
        "Goal",
        "Questionnaire",
        "QuestionnaireResponse",
        "ServiceRequest",
        "AuditEvent",
    }
    assert body["rest"][0]["interaction"][0]["code"] == "transaction"
    assert types["Patient"]["operation"][0]["name"] == "everything"
    assert {"code": "update"} in types["Goal"]["interaction"]
    assert {"code": "update"} not in types["Patient"]["interaction"]
    obs = {p["name"] for p in types["Observation"]["searchParam"]}
    assert {"patient", "date", "code", "status", "_count", "_sort", "_lastUpdated"} <= obs


def test_no_token_expired_or_revoked_is_401_audited(client, db, world):
    assert get(client, "/fhir/Patient", "nonsense").status_code == 401
    response = client.get("/fhir/Patient")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    token = token_for(db, world, world.patient_user)
    row = db.exec(select(ApiToken)).one()
    row.revoked_at = utcnow()
    db.add(row)
    db.commit()
    assert get(client, "/fhir/Patient", token).status_code == 401
    row.revoked_at, row.expires_at = None, utcnow() - days(1)
    db.add(row)
    db.commit()
    assert get(client, "/fhir/Patient", token).status_code == 401
    details = [
        e.detail
        for e in db.exec(select(AuditEntry).where(AuditEntry.role == "api").order_by(AuditEntry.id))
    ]
    assert details == ["invalid token", "missing token", "revoked token", "expired token"]
    assert row.token_hash not in token and len(row.token_hash) == 64


def test_an_address_guessing_tokens_is_throttled(client, db, world):
    for _ in range(10):
        assert get(client, "/fhir/Patient", "guess").status_code == 401
    token = token_for(db, world, world.patient_user)
    response = get(client, "/fhir/Patient", token)
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_a_patients_token_reads_only_their_own_record(client, db, world):
    token = token_for(db, world, world.patient_user, scopes=("patient/*.read",))
    own = get(client, f"/fhir/Patient/{world.patient.id}", token)
    assert own.status_code == 200
    body = own.get_json(force=True)
    validate(body)
    assert body["name"][0]["family"] == "Willemsen"
    last = db.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    db.commit()  # end the read transaction before the request writes
    other = get(client, f"/fhir/Patient/{world.other_patient.id}", token)
    assert other.status_code == 404
    outcome = other.get_json(force=True)
    validate(outcome)
    assert outcome["issue"][0]["code"] == "not-found"
    denied = db.exec(
        select(AuditEntry).where(AuditEntry.id > last.id, AuditEntry.outcome == AuditOutcome.denied)
    ).all()
    assert [(e.patient_id, e.object_type) for e in denied] == [(world.other_patient.id, "Patient")]
    db.commit()
    search = get(client, "/fhir/Patient", token).get_json(force=True)
    assert [e["resource"]["id"] for e in search["entry"]] == [str(world.patient.id)]
    weight = add_weight(db, world.other_patient)
    db.commit()
    assert get(client, f"/fhir/Observation/{weight.id}", token).status_code == 404


def test_a_professional_reaches_their_practice_only(client, db, world):
    token = token_for(db, world, world.poh)
    body = get(client, "/fhir/Patient?_count=10", token).get_json(force=True)
    validate(body)
    ids = {e["resource"]["id"] for e in body["entry"]}
    assert ids == {str(world.patient.id), str(world.other_patient.id)}
    assert get(client, f"/fhir/Patient/{world.far_patient.id}", token).status_code == 404
    episodes = get(client, f"/fhir/EpisodeOfCare?patient=Patient/{world.patient.id}", token)
    body = episodes.get_json(force=True)
    validate(body)
    assert {e["resource"]["type"][0]["coding"][0]["code"] for e in body["entry"]} == {
        "DM2",
        "CVRM",
    }
    far = get(client, f"/fhir/EpisodeOfCare?patient={world.far_patient.id}", token)
    assert far.get_json(force=True)["total"] == 0


def test_blood_pressure_is_the_panel_with_two_components(client, db, world):
    bp = add_bp(db, world.patient)
    add_weight(db, world.patient)
    db.commit()
    token = token_for(db, world, world.patient_user)
    body = get(client, f"/fhir/Observation/{bp.id}", token).get_json(force=True)
    validate(body)
    assert body["code"]["coding"][0]["code"] == "85354-9"
    assert body["meta"]["profile"] == [
        "http://nictiz.nl/fhir/StructureDefinition/nl-core-BloodPressure"
    ]
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in body["component"]}
    assert components["8480-6"]["value"] == 135 and components["8462-4"]["value"] == 85
    assert components["8480-6"]["system"] == "http://unitsofmeasure.org"
    assert components["8480-6"]["code"] == "mm[Hg]"
    bundle = get(client, "/fhir/Observation?code=http://loinc.org|29463-7", token)
    bundle = bundle.get_json(force=True)
    validate(bundle)
    assert [e["resource"]["valueQuantity"]["code"] for e in bundle["entry"]] == ["kg"]
    # the diastolic row is a component, never a resource of its own
    assert get(client, "/fhir/Observation", token).get_json(force=True)["total"] == 2


def test_date_ranges_sort_and_status(client, db, world):
    for n in range(5):
        add_weight(db, world.patient, at=AT + days(n), value=80 + n)
    db.commit()
    token = token_for(db, world, world.patient_user)
    url = "/fhir/Observation?date=ge2026-01-06&date=lt2026-01-09&_sort=-date"
    body = get(client, url, token).get_json(force=True)
    assert [e["resource"]["valueQuantity"]["value"] for e in body["entry"]] == [83, 82, 81]
    body = get(client, "/fhir/Observation?date=2026-01-07", token).get_json(force=True)
    assert [e["resource"]["valueQuantity"]["value"] for e in body["entry"]] == [82]
    body = get(client, "/fhir/Observation?date=gt2026-01-08", token).get_json(force=True)
    assert [e["resource"]["valueQuantity"]["value"] for e in body["entry"]] == [84]
    active = get(client, "/fhir/EpisodeOfCare?status=active", token).get_json(force=True)
    assert active["total"] == 2
    finished = get(client, "/fhir/EpisodeOfCare?status=finished", token).get_json(force=True)
    assert finished["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "date=ge2026-13-01",
        "_count=501",
        "_count=abc",
        "_sort=family",
        "name=Willemsen",
        "_cursor=garbage",
        "patient=Group/1",
    ],
)
def test_bad_search_parameters_are_400_outcomes(client, db, world, query):
    token = token_for(db, world, world.patient_user)
    response = get(client, f"/fhir/Observation?{query}", token)
    assert response.status_code == 400, query
    body = response.get_json(force=True)
    validate(body)
    assert body["issue"][0]["code"] == "invalid"


def test_unknown_type_and_id_are_404_outcomes(client, db, world):
    token = token_for(db, world, world.patient_user)
    for url in ("/fhir/Medication", "/fhir/Patient/abc", "/fhir/Condition/999999"):
        response = get(client, url, token)
        assert response.status_code == 404, url
        validate(response.get_json(force=True))


def _walk(client, token, url, relation="next"):
    seen, pages = [], 0
    while url:
        body = get(client, url, token).get_json(force=True)
        seen += [int(e["resource"]["id"]) for e in body["entry"]]
        links = {link["relation"]: link["url"] for link in body["link"]}
        url = links.get(relation)
        if url:
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
        pages += 1
    return seen, pages, body


def test_paging_over_1000_resources_never_skips_or_repeats(client, db, world):
    rows = [
        add_weight(db, world.patient, at=AT + days(n % 7), value=70 + n % 30) for n in range(1050)
    ]
    db.commit()
    expected = sorted(r.id for r in rows)
    token = token_for(db, world, world.patient_user)
    seen, pages, _last = _walk(client, token, "/fhir/Observation?_count=100")
    assert seen == expected and pages == 11
    # sorted by a key with many ties (seven distinct dates), newest first
    seen, _, last = _walk(client, token, "/fhir/Observation?_count=97&_sort=-date")
    assert sorted(seen) == expected and len(seen) == len(set(seen))
    by_id = {r.id: r for r in rows}
    keys = [(by_id[i].measured_at, i) for i in seen]
    assert keys == sorted(keys, reverse=True)
    # and back again along the previous links from the last page
    links = {link["relation"]: link["url"] for link in last["link"]}
    parts = urlsplit(links["previous"])
    back, _, _ = _walk(client, token, f"{parts.path}?{parts.query}", relation="previous")
    assert len(back) == len(set(back)) and set(back) == set(seen) - {
        int(e["resource"]["id"]) for e in last["entry"]
    }


def test_rows_added_while_paging_are_neither_skipped_nor_repeated(client, db, world):
    first = [add_weight(db, world.patient, at=AT + days(n)) for n in range(10)]
    db.commit()
    token = token_for(db, world, world.patient_user)
    page = get(client, "/fhir/Observation?_count=4", token).get_json(force=True)
    seen = [int(e["resource"]["id"]) for e in page["entry"]]
    # new rows (higher ids) arrive between page requests; an offset would shift
    later = [add_weight(db, world.patient, at=AT - days(n + 1)) for n in range(3)]
    db.commit()
    next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
    parts = urlsplit(next_url)
    rest, _, _ = _walk(client, token, f"{parts.path}?{parts.query}")
    assert seen + rest == sorted(r.id for r in first + later)


def test_patients_may_not_get_write_tokens_and_scopes_are_checked(db, world):
    from zelfzorg.accounts.tokens import create_api_token

    actor = world.actor(world.patient_user)
    for scopes, days_ in (
        (["user/*.write"], 30),
        (["everything"], 30),
        ([], 30),
        (["user/*.read"], 0),
    ):
        with pytest.raises(ValidationError):
            create_api_token(db, actor, label="x", scopes=scopes, days=days_, now=utcnow())
    from zelfzorg.errors import Forbidden

    with pytest.raises(Forbidden):
        create_api_token(
            db, world.actor(world.caregroup_user), label="x", scopes=["user/*.read"], now=utcnow()
        )


def test_care_plan_and_goal_follow_the_izp(client, db, world):
    plan, goal = add_plan_with_goal(db, world.patient)
    db.commit()
    token = token_for(db, world, world.poh)
    response = get(client, f"/fhir/Goal/{goal.id}", token)
    assert response.headers["ETag"] == 'W/"1"'
    body = response.get_json(force=True)
    validate(body)
    assert body["lifecycleStatus"] == "active"
    assert body["achievementStatus"]["coding"][0]["code"] == "improving"
    target = body["target"][0]
    assert target["measure"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "59261-8",
        "display": target["measure"]["coding"][0]["display"],
    }
    assert target["detailQuantity"] == {
        "value": 53.0,
        "comparator": "<",
        "unit": "mmol/mol",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/mol",
    }
    assert target["dueDate"] == "2026-04-05"
    assert body["expressedBy"] == {"reference": f"Patient/{world.patient.id}"}
    assert len(body["addresses"]) == 1  # the DM2 condition, not hypertension
    assert body["meta"]["profile"] == [
        "http://nictiz.nl/fhir/StructureDefinition/nl-core-TreatmentObjective"
    ]
    care_plan = get(client, f"/fhir/CarePlan?patient={world.patient.id}", token)
    bundle = care_plan.get_json(force=True)
    validate(bundle)
    resource = bundle["entry"][0]["resource"]
    assert len(resource["addresses"]) == 2  # all conditions
    assert resource["goal"] == [{"reference": f"Goal/{goal.id}"}]
    assert resource["activity"][0]["detail"]["status"] == "not-started"
    assert resource["period"]["start"]
    search = get(client, "/fhir/Goal?lifecycle-status=active,on-hold", token).get_json(force=True)
    assert search["total"] == 1
    assert (
        get(client, "/fhir/Goal?lifecycle-status=completed", token).get_json(force=True)["total"]
        == 0
    )
    other = token_for(db, world, world.other_poh)
    assert get(client, f"/fhir/Goal/{goal.id}", other).status_code == 404


def test_questionnaire_response_carries_the_score(client, db, world):
    version, response = add_questionnaire_response(db, world.patient, world.patient_user)
    db.commit()
    token = token_for(db, world, world.patient_user)
    questionnaire = get(client, f"/fhir/Questionnaire/{version.id}", token).get_json(force=True)
    validate(questionnaire)
    assert [i["linkId"] for i in questionnaire["item"]][-1] == "score"
    body = get(client, f"/fhir/QuestionnaireResponse/{response.id}", token).get_json(force=True)
    validate(body)
    assert body["questionnaire"] == f"Questionnaire/{version.id}"
    assert {"linkId": "score", "answer": [{"valueDecimal": 7.0}]} in body["item"]
    found = get(
        client, f"/fhir/QuestionnaireResponse?questionnaire=Questionnaire/{version.id}", token
    ).get_json(force=True)
    validate(found)
    assert found["total"] == 1
    other = token_for(db, world, world.other_patient_user)
    assert get(client, f"/fhir/QuestionnaireResponse/{response.id}", other).status_code == 404
    bundle = get(client, "/fhir/Questionnaire?name=semcd6", other).get_json(force=True)
    assert bundle["total"] == 1  # definitions hold no patient data


def test_lifestyle_referral_is_a_service_request(client, db, world):
    referral = add_referral(db, world)
    db.commit()
    token = token_for(db, world, world.poh)
    body = get(client, f"/fhir/ServiceRequest/{referral.id}", token).get_json(force=True)
    validate(body)
    assert body["status"] == "active" and body["intent"] == "order"
    assert body["code"]["text"] == "GLI CooL"
    assert (
        get(client, "/fhir/ServiceRequest?status=active", token).get_json(force=True)["total"] == 1
    )
    assert (
        get(client, "/fhir/ServiceRequest?status=draft", token).get_json(force=True)["total"] == 0
    )


def test_audit_events_are_a_patients_own_access_log(client, db, world):
    poh = token_for(db, world, world.poh)
    assert get(client, f"/fhir/Patient/{world.patient.id}", poh).status_code == 200
    token = token_for(db, world, world.patient_user)
    body = get(client, "/fhir/AuditEvent?_sort=-date", token).get_json(force=True)
    validate(body)
    agents = [e["resource"]["agent"][0]["who"]["display"] for e in body["entry"]]
    assert "Sanne POH" in agents
    assert all(
        e["resource"]["entity"][0]["what"] == {"reference": f"Patient/{world.patient.id}"}
        for e in body["entry"]
    )
    one = body["entry"][0]["resource"]["id"]
    assert get(client, f"/fhir/AuditEvent/{one}", token).status_code == 200
    other = token_for(db, world, world.other_patient_user)
    assert get(client, f"/fhir/AuditEvent/{one}", other).status_code == 404
    # a professional reads records, not the patients' access logs
    assert get(client, "/fhir/AuditEvent", poh).get_json(force=True)["total"] == 0
