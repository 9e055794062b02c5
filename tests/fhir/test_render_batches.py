"""Observations rendered a batch at a time: a page of a search, of ``$everything``, of the
patient's download and of a bulk export reads the diastolic halves of its blood pressures in
one statement, not one per reading; ``$everything`` pages Observations in time order by an
index range, whatever order their ids are in."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.fhir.helpers import AT, add_bp, add_weight, auth, days, token_for
from tests.fhir.test_api import get, validate
from tests.fhir.test_bulk import kick_off, path_of, read_ndjson, run_job
from tests.fhir.test_everything import _walk
from tests.queries import count_statements
from zelfzorg.telemonitoring.models import Measurement

SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"


def _pressures(db, patient, n: int, start: int = 0) -> None:
    for k in range(start, start + n):
        add_bp(db, patient, at=AT + timedelta(hours=k), systolic=120 + k, diastolic=70 + k)
    db.commit()


def _diastolics(resources: list[dict]) -> dict[int, float]:
    """Systolic value -> diastolic value of every blood pressure panel."""
    found = {}
    for resource in resources:
        parts = {c["code"]["coding"][0]["code"]: c for c in resource.get("component", [])}
        if SYSTOLIC in parts:
            diastolic = parts.get(DIASTOLIC)
            found[parts[SYSTOLIC]["valueQuantity"]["value"]] = (
                diastolic["valueQuantity"]["value"] if diastolic else None
            )
    return found


def _search(client, db, world):
    token = token_for(db, world, world.poh)
    body = get(client, "/fhir/Observation?_count=500", token).get_json(force=True)
    validate(body)
    return [e["resource"] for e in body["entry"]]


def _everything(client, db, world):
    token = token_for(db, world, world.patient_user)
    url = f"/fhir/Patient/{world.patient.id}/$everything?_count=500&_type=Observation"
    body = get(client, url, token).get_json(force=True)
    validate(body)
    return [e["resource"] for e in body["entry"]]


def _download(client, db, world, login):
    response = login(world.patient_user).get("/mijn/gegevens.json")
    assert response.status_code == 200
    bundle = response.get_json(force=True)
    validate(bundle)
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]


def _bulk(client, db, world, engine, folder):
    token = token_for(db, world, world.poh)
    response = kick_off(client, token, world.practice.id, "?_type=Observation")
    assert response.status_code == 202, response.data
    assert run_job(engine, folder) == "1 exports finished"
    manifest = client.get(path_of(response.headers["Content-Location"]), headers=auth(token))
    (output,) = manifest.get_json()["output"]
    return read_ndjson(client, token, output["url"])


WAYS = ["search", "everything", "download", "bulk"]


def _read(way, client, db, world, login, engine, folder):
    if way == "search":
        return _search(client, db, world)
    if way == "everything":
        return _everything(client, db, world)
    if way == "download":
        return _download(client, db, world, login)
    return _bulk(client, db, world, engine, folder)


@pytest.mark.parametrize("way", WAYS)
def test_blood_pressures_cost_the_same_statements_however_many(
    way, client, engine, db, world, login, folder
):
    _pressures(db, world.patient, 2)
    _pressures(db, world.other_patient, 1, start=50)
    _read(way, client, db, world, login, engine, folder)  # warm caches (catalogues, tokens)
    with count_statements(engine) as few:
        small = _read(way, client, db, world, login, engine, folder)
    _pressures(db, world.patient, 40, start=2)
    _pressures(db, world.other_patient, 20, start=51)
    with count_statements(engine) as many:
        large = _read(way, client, db, world, login, engine, folder)
    assert len(large) >= len(small) + 40
    diastolics = _diastolics(large)
    assert diastolics[120] == 70 and diastolics[161] == 111  # each with its own half
    assert all(d is not None for d in diastolics.values())
    diastolic_reads = [s for s in many if "bp_diastolic" in s or "reading_id IN" in s]
    assert len(diastolic_reads) <= 2, diastolic_reads
    # A bulk export writes bookkeeping rows per file; the reads themselves do not grow.
    reads = [s for s in many if s.lstrip().upper().startswith("SELECT")]
    reads_before = [s for s in few if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == len(reads_before), "\n".join(reads)


@pytest.mark.parametrize("way", WAYS)
def test_a_diastolic_stored_at_another_time_or_missing_is_still_right(
    way, client, engine, db, world, login, folder
):
    _pressures(db, world.patient, 3)
    rows = db.exec(
        select(Measurement).where(
            Measurement.patient_id == world.patient.id, Measurement.type_code == "bp_diastolic"
        )
    ).all()
    by_value = {r.value: r for r in rows}
    by_value[70].measured_at = AT + days(40)  # far outside the batch's time span
    db.delete(by_value[72])  # a systolic without its diastolic
    db.commit()
    resources = _read(way, client, db, world, login, engine, folder)
    assert _diastolics(resources) == {120: 70, 121: 71, 122: None}
    lone = next(r for r in resources if _diastolics([r]) == {122: None})
    assert "profile" not in lone["meta"]  # not the nl-core profile without both halves


def test_everything_pages_observations_in_time_order_whatever_their_ids(client, db, world):
    # Stored newest first (history imported after the recent readings): ids against time.
    for n in range(25):
        add_weight(db, world.patient, at=AT - days(n), value=60 + n)
    for n in range(5):  # ties in time: the id decides
        add_weight(db, world.patient, at=AT - days(30), value=100 + n)
    db.commit()
    token = token_for(db, world, world.patient_user)
    url = f"/fhir/Patient/{world.patient.id}/$everything?_count=7&_type=Observation"
    seen, pages = _walk(client, token, url)
    assert len(seen) == len(set(seen)) == 30 and pages == 5
    rows = {
        str(m.id): m
        for m in db.exec(select(Measurement).where(Measurement.patient_id == world.patient.id))
    }
    order = [(rows[rid].measured_at, rows[rid].id) for _t, rid in seen]
    assert order == sorted(order)


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [
        ["Observation", 5],  # an Observation position needs its time
        ["Observation", 5, "2026-01-01T00:00:00"],  # without a time zone
        ["Observation", 5, "yesterday"],
        ["Observation", True, "2026-01-01T00:00:00+00:00"],
        ["Goal", 5, "2026-01-01T00:00:00+00:00"],  # other types: an id only
        ["Medication", 5],
        "not a list",
    ],
)
def test_a_forged_cursor_is_refused_and_changes_nothing(client, db, world, value):
    add_weight(db, world.patient)
    db.commit()
    token = token_for(db, world, world.patient_user)
    url = f"/fhir/Patient/{world.patient.id}/$everything?_cursor={_cursor(value)}"
    response = get(client, url, token)
    assert response.status_code == 400
    assert response.get_json(force=True)["resourceType"] == "OperationOutcome"
