"""Transaction Bundle import: round trip, all or nothing with every invalid entry named,
idempotent re-import, the practice period of a new patient, the CLI."""

from __future__ import annotations

import copy
import json
import time
from datetime import timedelta

from sqlmodel import Session, func, select

from tests.fhir.helpers import auth, token_for
from tests.fhir.test_api import validate
from zelfzorg.audit.models import AuditEntry
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.models import Notification
from zelfzorg.patients.models import Condition, Enrolment, Patient
from zelfzorg.telemonitoring.models import Alert, Measurement

HIS = "urn:zelfzorg:his-number"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def bundle() -> dict:
    def entry(full_url, resource):
        return {
            "fullUrl": full_url,
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }

    patient = "urn:uuid:0b0e7c1a-0000-4000-8000-000000000001"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            entry(
                patient,
                {
                    "resourceType": "Patient",
                    "identifier": [{"system": HIS, "value": "HIS-1001"}],
                    "name": [{"family": "Jansen", "given": ["Anna"]}],
                    "gender": "female",
                    "birthDate": "1950-06-01",
                },
            ),
            entry(
                "urn:uuid:c1",
                {
                    "resourceType": "Condition",
                    "subject": {"reference": patient},
                    "code": {
                        "coding": [
                            {"system": "http://hl7.org/fhir/sid/icpc-1-nl", "code": "T90.02"}
                        ]
                    },
                },
            ),
            entry(
                "urn:uuid:e1",
                {
                    "resourceType": "EpisodeOfCare",
                    "status": "active",
                    "patient": {"reference": patient},
                    "type": [{"coding": [{"system": "urn:zelfzorg:programme", "code": "DM2"}]}],
                    "period": {"start": "2024-02-01"},
                },
            ),
            entry(
                "urn:uuid:o1",
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "subject": {"reference": patient},
                    "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
                    "effectiveDateTime": "2026-01-05T08:00:00+01:00",
                    "valueQuantity": {"value": 82.5, "unit": "kg", "system": UCUM, "code": "kg"},
                },
            ),
            entry(
                "urn:uuid:o2",
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "subject": {"reference": patient},
                    "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
                    "effectiveDateTime": "2026-01-05T08:05:00+01:00",
                    "component": [
                        {
                            "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                            "valueQuantity": {"value": 142, "system": UCUM, "code": "mm[Hg]"},
                        },
                        {
                            "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                            "valueQuantity": {"value": 88, "system": UCUM, "code": "mm[Hg]"},
                        },
                    ],
                },
            ),
        ],
    }


def counts(db) -> tuple:
    db.expire_all()
    result = tuple(
        db.exec(select(func.count()).select_from(model)).one()
        for model in (Patient, Condition, Enrolment, Measurement)
    )
    db.commit()
    return result


def _post(client, token, body):
    return client.post(
        "/fhir/",
        data=json.dumps(body),
        headers=auth(token) | {"Content-Type": "application/fhir+json"},
    )


def test_import_round_trip_and_idempotent_re_import(client, db, world):
    token = token_for(db, world, world.poh, scopes=("user/*.read", "user/*.write"))
    before = counts(db)
    response = _post(client, token, bundle())
    assert response.status_code == 200, response.get_json(force=True)
    body = response.get_json(force=True)
    validate(body)
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created"] * 5
    assert counts(db) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 3)
    pid = body["entry"][0]["response"]["location"].split("/")[1]
    patient = db.get(Patient, int(pid))
    assert patient.practice_id == world.practice.id and patient.his_number == "HIS-1001"
    db.commit()
    # read every resource back
    everything = client.get(f"/fhir/Patient/{pid}/$everything", headers=auth(token)).get_json(
        force=True
    )
    validate(everything)
    types = sorted(e["resource"]["resourceType"] for e in everything["entry"])
    assert types == ["Condition", "EpisodeOfCare", "Observation", "Observation", "Patient"]
    panel = next(
        e["resource"]
        for e in everything["entry"]
        if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "85354-9"
    )
    assert [c["valueQuantity"]["value"] for c in panel["component"]] == [142, 88]
    # the same bundle again changes nothing
    after = counts(db)
    again = _post(client, token, bundle())
    assert again.status_code == 200
    assert [e["response"]["status"] for e in again.get_json(force=True)["entry"]] == ["200 OK"] * 5
    assert counts(db) == after


def test_invalid_entries_are_all_named_and_nothing_is_stored(client, db, world):
    token = token_for(db, world, world.poh, scopes=("user/*.write",))
    bad = bundle()
    entries = bad["entry"]
    entries[1]["resource"]["code"]["coding"][0]["code"] = "X99"  # unknown code
    entries[2]["resource"]["patient"]["reference"] = "urn:uuid:nobody"  # missing reference
    entries[3]["resource"]["valueQuantity"]["code"] = "[lb_av]"  # wrong unit
    entries[4]["resource"]["component"][0]["valueQuantity"]["value"] = 420  # implausible
    far = copy.deepcopy(bundle()["entry"][3])
    far["resource"]["subject"]["reference"] = f"Patient/{world.far_patient.id}"
    entries.append(far)  # a patient of another practice
    before = counts(db)
    audit_before = db.exec(select(func.count()).select_from(AuditEntry)).one()
    db.commit()
    response = _post(client, token, bad)
    assert response.status_code == 422
    outcome = response.get_json(force=True)
    validate(outcome)
    expressions = [i["expression"][0] for i in outcome["issue"]]
    assert expressions == [
        "Bundle.entry[1].resource.code",
        "Bundle.entry[2].resource.patient.reference",
        "Bundle.entry[3].resource.valueQuantity.code",
        "Bundle.entry[4].resource.component[0].valueQuantity.value",
        "Bundle.entry[5].resource.subject.reference",
    ]
    assert "andere praktijk" in outcome["issue"][4]["diagnostics"]
    assert counts(db) == before
    db.expire_all()
    assert db.exec(select(func.count()).select_from(AuditEntry)).one() >= audit_before


def test_import_needs_a_write_token_of_a_professional(client, db, world):
    read_only = token_for(db, world, world.poh)
    assert _post(client, read_only, bundle()).status_code == 403
    patient = token_for(db, world, world.patient_user)
    assert _post(client, patient, bundle()).status_code == 403
    writer = token_for(db, world, world.poh, scopes=("user/*.write",))
    for body in ({"resourceType": "Patient"}, {"resourceType": "Bundle", "type": "batch"}, None):
        response = _post(client, writer, body)
        assert response.status_code == 422
        validate(response.get_json(force=True))


def test_cli_fhir_import_with_progress(app, db, world, runner, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle()), encoding="utf-8")
    args = ["zelfzorg", "fhir-import", "--practice", str(world.practice.id), str(path)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "5/5 entries" in result.output and "5 created" in result.output
    again = runner.invoke(args=args)
    assert "0 created, 5 unchanged" in again.output
    bad = bundle()
    bad["entry"][3]["resource"]["valueQuantity"]["value"] = -5
    path.write_text(json.dumps(bad), encoding="utf-8")
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1
    assert "Bundle.entry[3].resource.valueQuantity.value" in refused.output


def test_an_imported_patient_gets_its_practice_period(client, db, world):
    from zelfzorg.patients import practice_history

    token = token_for(db, world, world.poh, scopes=("user/*.write",))
    body = _post(client, token, bundle()).get_json(force=True)
    pid = int(body["entry"][0]["response"]["location"].split("/")[1])
    periods = practice_history.periods_of(db, pid)
    assert [(p.practice_id, p.end_date) for p in periods] == [(world.practice.id, None)]


def test_a_re_import_with_new_details_raises_the_patients_version(client, db, world):
    """An open details form (optimistic locking) must not silently undo an import."""
    token = token_for(db, world, world.poh, scopes=("user/*.read", "user/*.write"))
    body = _post(client, token, bundle()).get_json(force=True)
    pid = int(body["entry"][0]["response"]["location"].split("/")[1])
    db.commit()
    assert db.get(Patient, pid).version == 1
    db.commit()
    changed = bundle()
    changed["entry"][0]["resource"]["name"] = [{"family": "Jansen-Smit", "given": ["Anna"]}]
    assert _post(client, token, changed).status_code == 200
    db.expire_all()
    saved = db.get(Patient, pid)
    assert (saved.family_name, saved.version) == ("Jansen-Smit", 2)
    db.commit()


def _blood_pressure(patient_ref: str, at: str, systolic: float, diastolic: float) -> dict:
    return {
        "fullUrl": f"urn:uuid:bp-{at}",
        "request": {"method": "POST", "url": "Observation"},
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "subject": {"reference": patient_ref},
            "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
            "effectiveDateTime": at,
            "component": [
                {
                    "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                    "valueQuantity": {"value": systolic, "system": UCUM, "code": "mm[Hg]"},
                },
                {
                    "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                    "valueQuantity": {"value": diastolic, "system": UCUM, "code": "mm[Hg]"},
                },
            ],
        },
    }


def test_an_imported_urgent_observation_opens_an_alert_like_any_other_reading(client, db, world):
    """A FHIR Observation is a reading like one entered or sent by a device: an urgent value
    opens an alert on the stored measurement and notifies the POH; a re-import adds none."""
    token = token_for(db, world, world.poh, ("user/*.write",))
    now = utcnow().replace(microsecond=0).isoformat()
    body = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [_blood_pressure(f"Patient/{world.patient.id}", now, 205, 125)],
    }
    assert _post(client, token, body).status_code == 200
    db.expire_all()
    alerts = db.exec(select(Alert).where(Alert.severity == "urgent")).all()
    assert {a.type_code for a in alerts} >= {"bp_systolic"}
    for alert in alerts:
        assert alert.patient_id == world.patient.id
        reading = db.get(Measurement, alert.measurement_id)
        assert reading is not None, alert
        assert (reading.type_code, reading.value) == (alert.type_code, alert.last_value)
    notified = db.exec(select(Notification).where(Notification.user_id == world.poh.id)).all()
    assert notified
    db.commit()
    assert _post(client, token, body).status_code == 200  # the same bundle again
    db.expire_all()
    again = db.exec(select(Alert).where(Alert.severity == "urgent")).all()
    assert [(a.id, a.occurrences) for a in again] == [(a.id, a.occurrences) for a in alerts]
    db.commit()


def test_an_old_imported_urgent_observation_is_history_not_an_alert(client, db, world):
    token = token_for(db, world, world.poh, ("user/*.write",))
    body = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            _blood_pressure(f"Patient/{world.patient.id}", "2025-01-05T08:00:00+01:00", 205, 125)
        ],
    }
    assert _post(client, token, body).status_code == 200
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Alert)).one() == 0
    assert db.exec(select(func.count()).select_from(Measurement)).one() == 2
    db.commit()


def test_a_bundle_of_stored_new_and_repeated_observations(client, db, world):
    """Stored before: 200 OK with the stored id; new: 201 Created with its own id; the same
    new one twice in the bundle: created once, the repeat 200 OK with that id. Only the new
    readings raise alerts and are audited as created."""
    token = token_for(db, world, world.poh, ("user/*.write",))
    ref = f"Patient/{world.patient.id}"
    now = utcnow().replace(microsecond=0)
    earlier = _blood_pressure(ref, (now - timedelta(hours=2)).isoformat(), 205, 125)
    assert (
        _post(
            client, token, {"resourceType": "Bundle", "type": "transaction", "entry": [earlier]}
        ).status_code
        == 200
    )
    db.expire_all()
    stored_ids = {m.id for m in db.exec(select(Measurement)).all()}
    alerts_before = [(a.id, a.occurrences) for a in db.exec(select(Alert)).all()]
    audited_before = db.exec(select(func.max(AuditEntry.id))).one() or 0
    db.commit()
    new = _blood_pressure(ref, (now - timedelta(hours=1)).isoformat(), 120, 80)
    body = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [earlier, new, copy.deepcopy(new)],
    }
    response = _post(client, token, body)
    assert response.status_code == 200, response.get_json(force=True)
    entries = response.get_json(force=True)["entry"]
    statuses = [e["response"]["status"] for e in entries]
    assert statuses == ["200 OK", "201 Created", "200 OK"]
    ids = [int(e["response"]["location"].split("/")[1]) for e in entries]
    db.expire_all()
    rows = {m.id: m for m in db.exec(select(Measurement)).all()}
    assert ids[0] in stored_ids and ids[1] not in stored_ids and ids[2] == ids[1]
    assert (rows[ids[1]].type_code, rows[ids[1]].value) == ("bp_systolic", 120)
    assert len(rows) == len(stored_ids) + 2  # the new reading's two halves, once
    # the stored urgent reading raised nothing again; the new one is not urgent
    assert [(a.id, a.occurrences) for a in db.exec(select(Alert)).all()] == alerts_before
    created = db.exec(
        select(AuditEntry).where(
            AuditEntry.id > audited_before, AuditEntry.object_type == "Measurement"
        )
    ).all()
    assert [e.detail for e in created] == ["FHIR import: 1 Observation(s)"]
    db.commit()


def test_two_imports_of_the_same_bundle_at_once_store_it_once(engine, db, world):
    """Both transactions run at the same time (the second one's insert meets the first one's
    rows): the readings are stored once, one import says 201 Created and audits them, the
    other 200 OK with the same ids (on PostgreSQL the second waits on the unique key; on
    SQLite it waits for the write lock)."""
    import threading

    from zelfzorg.audit.services import AuditSubject
    from zelfzorg.fhir.importer import import_bundle

    moment = utcnow().replace(microsecond=0)
    entries = [
        _blood_pressure(
            f"Patient/{world.patient.id}", (moment - timedelta(hours=h)).isoformat(), 120 + h, 80
        )
        for h in range(1, 4)
    ]
    body = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    practice = world.patient.practice_id
    before = db.exec(select(func.count()).select_from(Measurement)).one()
    audited = db.exec(select(func.max(AuditEntry.id))).one() or 0
    db.commit()
    first_stored = threading.Event()
    results: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def run(name: str, hold: bool) -> None:
        try:
            with Session(engine) as session:
                result = import_bundle(
                    session,
                    body,
                    practice_id=practice,
                    subject=AuditSubject(None, f"test {name}", "system", "", ""),
                    created_by_id=None,
                    now=utcnow(),
                )
                if hold:  # keep the rows uncommitted while the other import starts
                    first_stored.set()
                    time.sleep(0.5)
                session.commit()
                results[name] = [(o.status, o.rid) for o in result.outcomes]
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            first_stored.set()

    first = threading.Thread(target=run, args=("first", True))
    first.start()
    assert first_stored.wait(10)
    second = threading.Thread(target=run, args=("second", False))
    second.start()
    first.join(20)
    second.join(20)
    assert not errors, errors
    assert [s for s, _ in results["first"]] == ["201 Created"] * 3
    assert [s for s, _ in results["second"]] == ["200 OK"] * 3
    assert [r for _, r in results["second"]] == [r for _, r in results["first"]]
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Measurement)).one() == before + 6
    created = db.exec(
        select(AuditEntry.user_name).where(
            AuditEntry.id > audited,
            AuditEntry.object_type == "Measurement",
            AuditEntry.action == "create",
        )
    ).all()
    assert created == ["test first"]
    db.commit()
