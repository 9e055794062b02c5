"""Transaction import of Goal and QuestionnaireResponse: a goal in the patient's one IZP (the
plan made when there is none), a response of a known instrument scored by the app's own
scoring, every invalid entry named by index and path, re-posting changes nothing."""

from __future__ import annotations

import copy

from sqlmodel import func, select

from tests.fhir.helpers import token_for
from tests.fhir.test_api import validate
from tests.fhir.test_import import _post, bundle
from zelfzorg.assessment.models import AssessmentResponse
from zelfzorg.assessment.versions import sync_builtins
from zelfzorg.izp.models import CarePlan, Goal

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PATIENT = "urn:uuid:0b0e7c1a-0000-4000-8000-000000000001"
SEMCD = "urn:zelfzorg:instrument:semcd6|1.0"


def goal_entry(subject=PATIENT, **changes) -> dict:
    resource = {
        "resourceType": "Goal",
        "identifier": [{"system": "urn:his:goal", "value": "G-1"}],
        "lifecycleStatus": "active",
        "category": [{"coding": [{"system": "urn:zelfzorg:goal-domain", "code": "health"}]}],
        "description": {"text": "HbA1c onder 53"},
        "subject": {"reference": subject},
        "target": [
            {
                "measure": {"coding": [{"system": LOINC, "code": "59261-8"}]},
                "detailQuantity": {
                    "value": 53,
                    "comparator": "<",
                    "unit": "mmol/mol",
                    "system": UCUM,
                    "code": "mmol/mol",
                },
                "dueDate": "2026-12-31",
            }
        ],
    }
    resource.update(changes)
    return {"fullUrl": "urn:uuid:g1", "resource": resource, "request": {"method": "POST"}}


def response_entry(subject=PATIENT, value=7, questionnaire=SEMCD) -> dict:
    items = [
        {"linkId": f"s{n}", "answer": [{"valueCoding": {"code": str(value)}}]} for n in range(1, 7)
    ]
    resource = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": "urn:his:qr", "value": "Q-1"},
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": {"reference": subject},
        "author": {"reference": subject},
        "authored": "2026-01-05T09:00:00+01:00",
        "item": items,
    }
    return {"fullUrl": "urn:uuid:q1", "resource": resource, "request": {"method": "POST"}}


def full_bundle() -> dict:
    body = bundle()
    body["entry"] += [goal_entry(), response_entry()]
    return body


def counts(db) -> tuple:
    db.expire_all()
    result = tuple(
        db.exec(select(func.count()).select_from(m)).one()
        for m in (CarePlan, Goal, AssessmentResponse)
    )
    db.commit()
    return result


def test_goal_and_questionnaire_response_import_and_idempotent_re_post(client, db, world):
    sync_builtins(db)
    db.commit()
    token = token_for(db, world, world.poh, scopes=("user/*.read", "user/*.write"))
    response = _post(client, token, full_bundle())
    assert response.status_code == 200, response.get_json(force=True)
    entries = response.get_json(force=True)["entry"]
    assert [e["response"]["status"] for e in entries] == ["201 Created"] * 7
    goal_id = int(entries[5]["response"]["location"].split("/")[1])
    qr_id = int(entries[6]["response"]["location"].split("/")[1])
    goal = db.get(Goal, goal_id)
    plan = db.exec(select(CarePlan).where(CarePlan.patient_id == goal.patient_id)).one()
    assert goal.plan_id == plan.id  # the plan was made, as the UI does
    assert (goal.title, goal.target_type, goal.target_comparator, goal.target_value) == (
        "HbA1c onder 53",
        "hba1c",
        "<",
        53.0,
    )
    assert goal.lifecycle == "active" and goal.agreed_by_professional_id == world.poh.id
    first_version = goal.version
    scored = db.get(AssessmentResponse, qr_id)
    assert scored.status == "completed" and scored.score == 7.0 and scored.scorable
    assert scored.filled_by_role == "patient" and scored.answers == {
        f"s{n}": 7 for n in range(1, 7)
    }
    db.commit()
    read = client.get(f"/fhir/Goal/{goal_id}", headers={"Authorization": f"Bearer {token}"})
    validate(read.get_json(force=True))
    qr = client.get(
        f"/fhir/QuestionnaireResponse/{qr_id}", headers={"Authorization": f"Bearer {token}"}
    ).get_json(force=True)
    validate(qr)
    assert {"linkId": "score", "answer": [{"valueDecimal": 7.0}]} in qr["item"]

    before = counts(db)
    again = _post(client, token, full_bundle())
    assert [e["response"]["status"] for e in again.get_json(force=True)["entry"]] == ["200 OK"] * 7
    assert counts(db) == before
    db.expire_all()
    assert db.get(Goal, goal_id).version == first_version
    db.commit()  # end the read transaction before the request writes

    # the same identifier with a new description updates the goal (one more version)
    changed = full_bundle()
    changed["entry"][5]["resource"]["description"]["text"] = "HbA1c onder 50 mmol/mol"
    statuses = [e["response"]["status"] for e in _post(client, token, changed).get_json()["entry"]]
    assert statuses == ["200 OK"] * 7
    db.expire_all()
    updated = db.get(Goal, goal_id)
    assert updated.title == "HbA1c onder 50 mmol/mol" and updated.version == first_version + 1
    assert counts(db) == before


def test_a_goal_joins_the_existing_plan(client, db, world):
    from tests.fhir.helpers import add_plan_with_goal

    plan, _goal = add_plan_with_goal(db, world.patient)
    db.commit()
    token = token_for(db, world, world.poh, scopes=("user/*.write",))
    body = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [goal_entry(subject=f"Patient/{world.patient.id}")],
    }
    response = _post(client, token, body)
    assert response.status_code == 200, response.get_json(force=True)
    goal_id = int(response.get_json()["entry"][0]["response"]["location"].split("/")[1])
    db.expire_all()
    assert db.get(Goal, goal_id).plan_id == plan.id
    assert db.exec(select(func.count()).select_from(CarePlan)).one() == 1


def test_invalid_goal_and_response_entries_are_named_and_nothing_is_stored(client, db, world):
    sync_builtins(db)
    db.commit()
    token = token_for(db, world, world.poh, scopes=("user/*.write",))
    bad = bundle()
    wrong_unit = goal_entry()
    wrong_unit["resource"]["target"][0]["detailQuantity"]["code"] = "%"
    implausible = goal_entry()
    implausible["resource"]["target"][0]["detailQuantity"]["value"] = 900
    unknown_code = goal_entry()
    unknown_code["resource"]["target"][0]["measure"]["coding"][0]["code"] = "0000-0"
    no_title = goal_entry(description={"text": ""})
    far_goal = goal_entry(subject=f"Patient/{(world.far_patient.id)}")
    missing_ref = goal_entry(subject="urn:uuid:nobody")
    bad_answer = response_entry(value=42)
    unknown_instrument = response_entry(questionnaire="urn:zelfzorg:instrument:nope|9")
    extra_item = response_entry()
    extra_item["resource"]["item"].append(
        {"linkId": "x9", "answer": [{"valueCoding": {"code": "1"}}]}
    )
    bad["entry"] += [
        wrong_unit,
        implausible,
        unknown_code,
        no_title,
        far_goal,
        missing_ref,
        bad_answer,
        unknown_instrument,
        extra_item,
    ]
    before = counts(db)
    response = _post(client, token, bad)
    assert response.status_code == 422
    outcome = response.get_json(force=True)
    validate(outcome)
    expressions = [i["expression"][0] for i in outcome["issue"]]
    assert expressions == [
        "Bundle.entry[5].resource.target[0].detailQuantity.code",
        "Bundle.entry[6].resource.target[0].detailQuantity.value",
        "Bundle.entry[7].resource.target[0].measure",
        "Bundle.entry[8].resource.description.text",
        "Bundle.entry[9].resource.subject.reference",
        "Bundle.entry[10].resource.subject.reference",
        "Bundle.entry[11].resource.item[0].answer[0]",
        "Bundle.entry[11].resource.item[1].answer[0]",
        "Bundle.entry[11].resource.item[2].answer[0]",
        "Bundle.entry[11].resource.item[3].answer[0]",
        "Bundle.entry[11].resource.item[4].answer[0]",
        "Bundle.entry[11].resource.item[5].answer[0]",
        "Bundle.entry[12].resource.questionnaire",
        "Bundle.entry[13].resource.item[6].linkId",
    ]
    assert counts(db) == before


def test_the_cli_refuses_goals_without_a_professional(app, db, world, runner, tmp_path):
    import json

    body = copy.deepcopy(full_bundle())
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    result = runner.invoke(
        args=["zelfzorg", "fhir-import", "--practice", str(world.practice.id), str(path)]
    )
    assert result.exit_code == 1
    assert "Bundle.entry[5].resource.resourceType" in result.output
    assert counts(db) == (0, 0, 0)


def test_the_cli_imports_goals_in_the_name_of_a_professional_of_the_practice(
    app, db, world, runner, tmp_path
):
    import json

    sync_builtins(db)
    db.commit()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(copy.deepcopy(full_bundle())), encoding="utf-8")
    # Read before counts() expires the objects (a reload would hold SQLite's write lock).
    practice, poh_email, poh_id = str(world.practice.id), world.poh.email, world.poh.id
    # A professional of another practice, or an unknown address, imports nothing.
    for email in (world.other_poh.email, "nobody@example.test"):
        result = runner.invoke(
            args=["zelfzorg", "fhir-import", "--practice", practice, "--as", email, str(path)]
        )
        assert result.exit_code == 1 and "no active professional" in result.output
        assert counts(db) == (0, 0, 0)
    args = ["zelfzorg", "fhir-import", "--practice", practice, "--as", poh_email, str(path)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert counts(db) == (1, 1, 1)
    goal = db.exec(select(Goal)).one()
    assert goal.agreed_by_professional_id == poh_id
    db.commit()
    # Again: nothing changes.
    assert runner.invoke(args=args).exit_code == 0
    assert counts(db) == (1, 1, 1)
