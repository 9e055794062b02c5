"""Round trip: import a transaction Bundle of every importable type, read every resource back,
then $everything and $export; every emitted resource is validated with fhir.resources (R4B)
and the three ways out give the same resources."""

from __future__ import annotations

from sqlmodel import select

from tests.fhir.helpers import auth, token_for
from tests.fhir.test_api import validate
from tests.fhir.test_bulk import KICK_OFF, path_of, read_ndjson, run_job
from tests.fhir.test_import import _post
from tests.fhir.test_import_goals import full_bundle
from zelfzorg.assessment.versions import sync_builtins
from zelfzorg.fhir.models import BulkExport


def _walk_everything(client, token, patient_id) -> list[dict]:
    url, out = f"/fhir/Patient/{patient_id}/$everything?_count=2", []
    while url:
        body = client.get(url, headers=auth(token)).get_json(force=True)
        validate(body)
        out += [e["resource"] for e in body["entry"]]
        url = next((path_of(x["url"]) for x in body["link"] if x["relation"] == "next"), None)
    return out


def test_import_read_everything_and_export_agree(client, engine, db, world, folder):
    sync_builtins(db)
    db.commit()
    token = token_for(db, world, world.poh, scopes=("user/*.read", "user/*.write"))
    imported = _post(client, token, full_bundle())
    assert imported.status_code == 200, imported.get_json(force=True)
    locations = [e["response"]["location"] for e in imported.get_json(force=True)["entry"]]
    assert [loc.split("/")[0] for loc in locations] == [
        "Patient",
        "Condition",
        "EpisodeOfCare",
        "Observation",
        "Observation",
        "Goal",
        "QuestionnaireResponse",
    ]
    read = {}
    for location in locations:
        response = client.get(f"/fhir/{location}", headers=auth(token))
        assert response.status_code == 200, location
        resource = response.get_json(force=True)
        validate(resource)
        read[(resource["resourceType"], resource["id"])] = resource
    patient_id = locations[0].split("/")[1]
    goal = read[("Goal", locations[5].split("/")[1])]
    assert goal["description"]["text"] == "HbA1c onder 53"
    assert goal["target"][0]["detailQuantity"]["comparator"] == "<"
    qr = read[("QuestionnaireResponse", locations[6].split("/")[1])]
    assert qr["questionnaire"].startswith("Questionnaire/")

    everything = {
        (r["resourceType"], r["id"]): r for r in _walk_everything(client, token, patient_id)
    }
    assert set(read) <= set(everything)
    assert {t for t, _ in everything} == {
        "Patient",
        "Condition",
        "EpisodeOfCare",
        "CarePlan",
        "Goal",
        "Observation",
        "QuestionnaireResponse",
    }

    kick = client.get(f"/fhir/Group/{world.practice.id}/$export", headers=auth(token) | KICK_OFF)
    assert kick.status_code == 202
    run_job(engine, folder)
    manifest = client.get(path_of(kick.headers["Content-Location"]), headers=auth(token))
    exported = {}
    for output in manifest.get_json()["output"]:
        for resource in read_ndjson(client, token, output["url"]):  # validated there
            exported[(resource["resourceType"], resource["id"])] = resource
    mine = {
        key: r
        for key, r in exported.items()
        if key == ("Patient", patient_id)
        or (r.get("subject") or r.get("patient") or {}).get("reference") == f"Patient/{patient_id}"
    }
    assert mine == everything  # the same resources, the same content
    for key, resource in read.items():
        assert exported[key] == resource
    db.expire_all()
    assert db.exec(select(BulkExport)).one().patients_done == 3  # the new one and the world's
