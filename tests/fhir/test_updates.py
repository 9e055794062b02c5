"""PUT Goal with If-Match: optimistic locking as in the UI; 403/412/422/428 outcomes."""

from __future__ import annotations

from sqlmodel import select

from tests.fhir.helpers import add_plan_with_goal, auth, token_for
from tests.fhir.test_api import validate
from zelfzorg.izp.models import Goal


def _put(client, goal_id, token, body, if_match=None):
    headers = auth(token) | {"Content-Type": "application/fhir+json"}
    if if_match:
        headers["If-Match"] = if_match
    return client.put(f"/fhir/Goal/{goal_id}", json=body, headers=headers)


def test_update_with_if_match_and_a_stale_version_is_412(client, db, world):
    _plan, goal = add_plan_with_goal(db, world.patient, proposed_by="professional")
    goal.agreed_by_patient_at = goal.created_at
    goal.agreed_by_professional_at = goal.created_at
    db.commit()
    token = token_for(db, world, world.poh, scopes=("user/*.read", "user/*.write"))
    read = client.get(f"/fhir/Goal/{goal.id}", headers=auth(token))
    body = read.get_json(force=True)
    body["description"]["text"] = "HbA1c onder 50"
    body["target"][0]["detailQuantity"]["value"] = 50
    response = _put(client, goal.id, token, body, read.headers["ETag"])
    assert response.status_code == 200, response.get_json(force=True)
    assert response.headers["ETag"] == 'W/"2"'
    validate(response.get_json(force=True))
    db.expire_all()
    stored = db.get(Goal, goal.id)
    assert (stored.title, stored.target_value, stored.version) == ("HbA1c onder 50", 50.0, 2)
    db.commit()
    stale = _put(client, goal.id, token, body, 'W/"1"')
    assert stale.status_code == 412
    validate(stale.get_json(force=True))
    assert _put(client, goal.id, token, body).status_code == 428


def test_invalid_updates_are_422_and_change_nothing(client, db, world):
    _plan, goal = add_plan_with_goal(db, world.patient, proposed_by="professional")
    db.commit()
    token = token_for(db, world, world.poh, scopes=("user/*.read", "user/*.write"))
    body = client.get(f"/fhir/Goal/{goal.id}", headers=auth(token)).get_json(force=True)
    wrong_unit = {**body, "target": [{**body["target"][0]}]}
    wrong_unit["target"][0]["detailQuantity"] = {**body["target"][0]["detailQuantity"], "code": "%"}
    unknown_code = {
        **body,
        "target": [{**body["target"][0], "measure": {"coding": [{"code": "1-1"}]}}],
    }
    no_text = {**body, "description": {"text": ""}}
    for bad in (wrong_unit, unknown_code, no_text, {"resourceType": "Patient"}):
        response = _put(client, goal.id, token, bad, 'W/"1"')
        assert response.status_code == 422, response.get_json(force=True)
        issue = response.get_json(force=True)["issue"][0]
        assert issue["code"] == "processing" and issue["expression"]
    db.expire_all()
    assert db.exec(select(Goal.version, Goal.title)).one() == (1, "HbA1c onder 53")


def test_a_read_token_cannot_write_and_another_practice_cannot_reach(client, db, world):
    _plan, goal = add_plan_with_goal(db, world.patient)
    db.commit()
    read_only = token_for(db, world, world.poh)
    body = client.get(f"/fhir/Goal/{goal.id}", headers=auth(read_only)).get_json(force=True)
    response = _put(client, goal.id, read_only, body, 'W/"1"')
    assert response.status_code == 403
    assert response.get_json(force=True)["issue"][0]["code"] == "forbidden"
    other = token_for(db, world, world.other_poh, scopes=("user/*.write",))
    assert _put(client, goal.id, other, body, 'W/"1"').status_code == 404
