"""FHIR Bulk Data export (Group/{practice}/$export): kick-off, status, manifest, download,
_type/_since, cancel, expiry and cleanup, resume after an interrupted worker, access and audit.
The export job is called synchronously (as the scheduler would)."""

from __future__ import annotations

import fcntl
import json
from datetime import timedelta
from urllib.parse import urlsplit

from fhir.resources.R4B import get_fhir_model_class
from sqlmodel import select

from tests.fhir.helpers import (
    add_bp,
    add_plan_with_goal,
    add_questionnaire_response,
    add_weight,
    auth,
    token_for,
)
from zelfzorg.accounts.models import ApiToken
from zelfzorg.accounts.tokens import hash_token
from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.fhir.bulk import delete_expired, run_exports
from zelfzorg.fhir.models import BulkExport, BulkExportFile, ExportStatus
from zelfzorg.models_base import utcnow

KICK_OFF = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def kick_off(client, token, practice_id, query="", headers=KICK_OFF):
    return client.get(
        f"/fhir/Group/{practice_id}/$export{query}", headers={**auth(token), **headers}
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def run_job(engine, folder, **kw):
    return run_exports(engine, folder=folder, worker="test-worker", **kw)


def read_ndjson(client, token, url) -> list[dict]:
    response = client.get(path_of(url), headers=auth(token))
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "application/fhir+ndjson"
    lines = response.get_data(as_text=True).splitlines()
    resources = [json.loads(line) for line in lines]
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resources


def make_practice_data(db, world):
    add_plan_with_goal(db, world.patient)
    add_questionnaire_response(db, world.patient, world.patient_user)
    add_weight(db, world.patient)
    add_bp(db, world.patient)
    add_weight(db, world.other_patient, value=91.0)
    add_weight(db, world.far_patient, value=70.0)  # another practice: never exported
    db.commit()


def test_kick_off_poll_manifest_and_download(client, engine, db, world, folder):
    make_practice_data(db, world)
    token = token_for(db, world, world.poh)
    response = kick_off(client, token, world.practice.id)
    assert response.status_code == 202, response.data
    status_url = path_of(response.headers["Content-Location"])
    assert status_url.startswith("/fhir/$export-status/")

    polled = client.get(status_url, headers=auth(token))
    assert polled.status_code == 202
    assert polled.headers["Retry-After"] == "5"
    assert "X-Progress" in polled.headers

    assert run_job(engine, folder) == "1 exports finished"
    done = client.get(status_url, headers=auth(token))
    assert done.status_code == 200
    assert done.headers["Content-Type"].startswith("application/json")
    manifest = done.get_json()
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"].endswith(f"/fhir/Group/{world.practice.id}/$export")
    assert manifest["transactionTime"].startswith(str(utcnow().year))
    by_type = {o["type"]: o for o in manifest["output"]}
    assert set(by_type) == {
        "Patient",
        "Condition",
        "EpisodeOfCare",
        "CarePlan",
        "Goal",
        "Observation",
        "QuestionnaireResponse",
    }
    patients = read_ndjson(client, token, by_type["Patient"]["url"])
    assert {p["id"] for p in patients} == {str(world.patient.id), str(world.other_patient.id)}
    assert by_type["Patient"]["count"] == 2
    observations = read_ndjson(client, token, by_type["Observation"]["url"])
    assert len(observations) == by_type["Observation"]["count"] == 3  # weight, bp panel, weight
    subjects = {o["subject"]["reference"] for o in observations}
    assert f"Patient/{world.far_patient.id}" not in subjects
    for entry in manifest["output"]:
        read_ndjson(client, token, entry["url"])
    # files live in the configured folder, one folder per export
    export = db.exec(select(BulkExport)).one()
    assert (folder / export.key / "Patient.ndjson").is_file()


def test_type_since_and_unsupported_parameters(client, engine, db, world, folder):
    make_practice_data(db, world)
    token = token_for(db, world, world.poh)
    response = kick_off(client, token, world.practice.id, "?_type=Patient,Observation")
    assert response.status_code == 202
    run_job(engine, folder)
    manifest = client.get(
        path_of(response.headers["Content-Location"]), headers=auth(token)
    ).get_json()
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Observation"]

    future = kick_off(client, token, world.practice.id, "?_since=2999-01-01T00:00:00Z")
    assert future.status_code == 202
    run_job(engine, folder)
    manifest = client.get(path_of(future.headers["Content-Location"]), headers=auth(token))
    assert manifest.get_json()["output"] == []

    for query in (
        "?patient=Patient/1",
        "?_typeFilter=Observation%3Fcode%3D1",
        "?_type=Medication",
        "?_since=yesterday",
        "?_outputFormat=text/csv",
    ):
        bad = kick_off(client, token, world.practice.id, query)
        assert bad.status_code == 400, query
        body = bad.get_json(force=True)
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["expression"]
    assert (
        kick_off(client, token, world.practice.id, headers={"Prefer": "respond-async"}).status_code
        == 400
    )
    assert (
        kick_off(
            client, token, world.practice.id, headers={"Accept": "application/fhir+json"}
        ).status_code
        == 400
    )


def test_since_keeps_only_changed_resources(client, engine, db, world, folder):
    old = add_weight(db, world.patient)
    old.created_at = utcnow() - timedelta(days=2)
    later = add_weight(db, world.patient, value=79.0)
    db.add(old)
    db.commit()
    token = token_for(db, world, world.poh)
    stamp = (utcnow() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    response = kick_off(client, token, world.practice.id, f"?_type=Observation&_since={stamp}")
    assert response.status_code == 202
    run_job(engine, folder)
    manifest = client.get(
        path_of(response.headers["Content-Location"]), headers=auth(token)
    ).get_json()
    ids = {r["id"] for o in manifest["output"] for r in read_ndjson(client, token, o["url"])}
    assert ids == {str(later.id)}


def test_cancel_expiry_and_cleanup(client, engine, db, world, folder):
    make_practice_data(db, world)
    token = token_for(db, world, world.poh)
    first = path_of(kick_off(client, token, world.practice.id).headers["Content-Location"])
    cancel = client.delete(first, headers=auth(token))
    assert cancel.status_code == 202
    assert client.get(first, headers=auth(token)).status_code == 404
    assert run_job(engine, folder) == "0 exports finished"  # a cancelled export is not run

    second = path_of(kick_off(client, token, world.practice.id).headers["Content-Location"])
    run_job(engine, folder)
    url = client.get(second, headers=auth(token)).get_json()["output"][0]["url"]
    export = db.exec(select(BulkExport).where(BulkExport.status == ExportStatus.completed)).one()
    assert export.expires_at - export.finished_at == timedelta(hours=24)
    directory = folder / export.key
    assert directory.is_dir()
    db.commit()
    # expired: 410 until the cleanup job deletes files and rows, then 404
    export.expires_at = utcnow() - timedelta(seconds=1)
    db.add(export)
    db.commit()
    assert client.get(second, headers=auth(token)).status_code == 410
    assert client.get(path_of(url), headers=auth(token)).status_code == 410
    assert delete_expired(engine, folder=folder) == "2 expired exports deleted"
    assert not directory.exists()
    db.expire_all()
    assert db.exec(select(BulkExport)).all() == []
    assert db.exec(select(BulkExportFile)).all() == []
    db.commit()
    assert client.get(second, headers=auth(token)).status_code == 404
    assert client.get(path_of(url), headers=auth(token)).status_code == 404


def test_an_interrupted_export_resumes_without_repeats(client, engine, db, world, folder):
    from tests.factories import make_patient

    for n in range(7):
        patient = make_patient(db, world.practice)
        add_weight(db, patient, value=70.0 + n)
    db.commit()
    token = token_for(db, world, world.poh)
    status = path_of(kick_off(client, token, world.practice.id).headers["Content-Location"])
    # a worker stops after two batches of 3 patients (its process died) ...
    run_job(engine, folder, batch_size=3, max_batches=2)
    export = db.exec(select(BulkExport)).one()
    assert export.patients_done == 6 and export.patients_total == 9
    db.commit()  # end the read transaction before the requests write
    progress = client.get(status, headers=auth(token))
    assert progress.status_code == 202 and progress.headers["X-Progress"].startswith("66%")
    # ... and half-written bytes after its last commit are cut off on resume
    with open(folder / export.key / "Observation.ndjson", "ab") as fh:
        fh.write(b'{"resourceType":"Observ')
    # another worker does not take it over while the lease is fresh
    assert run_exports(engine, folder=folder, worker="second") == "0 exports finished"
    later = utcnow() + timedelta(minutes=5)
    # while the first worker's process still holds the folder's lock, nothing is written
    with open(folder / export.key / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        size = (folder / export.key / "Observation.ndjson").stat().st_size
        assert run_exports(engine, folder=folder, worker="second", now=later) == (
            "0 exports finished"
        )
        assert (folder / export.key / "Observation.ndjson").stat().st_size == size
        fcntl.flock(held, fcntl.LOCK_UN)
    later += timedelta(minutes=5)
    assert run_exports(engine, folder=folder, worker="third", now=later, batch_size=3) == (
        "1 exports finished"
    )
    manifest = client.get(status, headers=auth(token)).get_json()
    by_type = {o["type"]: o for o in manifest["output"]}
    patients = read_ndjson(client, token, by_type["Patient"]["url"])
    assert len(patients) == len({p["id"] for p in patients}) == 9
    observations = read_ndjson(client, token, by_type["Observation"]["url"])
    assert len(observations) == len({o["id"] for o in observations}) == 7


def test_access_only_for_professionals_of_the_practice(client, engine, db, world, folder):
    make_practice_data(db, world)
    poh = token_for(db, world, world.poh)
    other = token_for(db, world, world.other_poh)
    patient = token_for(db, world, world.patient_user, scopes=("patient/*.read",))
    plain = "zzf_caregroup-token-for-the-test"
    db.add(
        ApiToken(
            user_id=world.caregroup_user.id,
            token_hash=hash_token(plain),
            label="x",
            scopes="user/*.read",
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    db.commit()
    assert kick_off(client, other, world.practice.id).status_code == 404  # wrong practice
    assert kick_off(client, patient, world.practice.id).status_code == 403
    assert kick_off(client, plain, world.practice.id).status_code == 403  # care group
    assert kick_off(client, poh, 999999).status_code == 404
    status = path_of(kick_off(client, poh, world.practice.id).headers["Content-Location"])
    run_job(engine, folder)
    url = client.get(status, headers=auth(poh)).get_json()["output"][0]["url"]
    # only the requester polls, downloads or cancels
    assert client.get(status, headers=auth(other)).status_code == 404
    assert client.get(path_of(url), headers=auth(other)).status_code == 404
    assert client.delete(status, headers=auth(other)).status_code == 404
    assert client.get(path_of(url)).status_code == 401
    assert client.get(path_of(url), headers=auth(poh)).status_code == 200
    # at most two running exports per user
    assert kick_off(client, poh, world.practice.id).status_code == 202
    assert kick_off(client, poh, world.practice.id).status_code == 202
    assert kick_off(client, poh, world.practice.id).status_code == 429
    db.expire_all()
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type.in_(["Group", "BulkExport", "BulkExportFile"]),
            AuditEntry.outcome == AuditOutcome.denied,
        )
    ).all()
    assert {e.user_id for e in denied} == {
        world.other_poh.id,
        world.caregroup_user.id,
        world.poh.id,
    }


def test_audit_one_kick_off_entry_per_job_and_one_per_exported_patient(
    client, engine, db, world, folder
):
    make_practice_data(db, world)
    token = token_for(db, world, world.poh)
    status = path_of(kick_off(client, token, world.practice.id).headers["Content-Location"])
    run_job(engine, folder)
    url = client.get(status, headers=auth(token)).get_json()["output"][0]["url"]
    client.get(path_of(url), headers=auth(token))
    db.expire_all()
    entries = db.exec(
        select(AuditEntry).where(AuditEntry.object_type.in_(["BulkExport", "BulkExportFile"]))
    ).all()
    kick = [e for e in entries if e.object_type == "BulkExport" and e.patient_id is None]
    assert len(kick) == 1 and kick[0].action == AuditAction.export
    assert f"Group/{world.practice.id}" in kick[0].detail
    per_patient = sorted(e.patient_id for e in entries if e.patient_id is not None)
    assert per_patient == sorted([world.patient.id, world.other_patient.id])
    assert all(e.user_id == world.poh.id for e in entries)
    downloads = [e for e in entries if e.object_type == "BulkExportFile"]
    assert len(downloads) == 1 and downloads[0].detail == "Patient 2"


def test_the_job_refuses_a_requester_who_left_the_practice(client, engine, db, world, folder):
    add_weight(db, world.patient)
    db.commit()
    token = token_for(db, world, world.poh)
    status = path_of(kick_off(client, token, world.practice.id).headers["Content-Location"])
    poh = db.get(type(world.poh), world.poh.id)
    poh.practice_id = world.other_practice.id
    db.add(poh)
    db.commit()
    run_job(engine, folder)
    export = db.exec(select(BulkExport)).one()
    db.refresh(export)
    assert export.status == ExportStatus.failed
    assert not (folder / export.key).exists()
    poh.practice_id = world.practice.id
    db.add(poh)
    db.commit()
    failed = client.get(status, headers=auth(token))
    assert failed.status_code == 500
    assert failed.get_json(force=True)["resourceType"] == "OperationOutcome"


def test_the_export_folder_may_not_be_web_served():
    import pytest

    from zelfzorg import create_app
    from zelfzorg.config import ROOT

    settings = {"SECRET_KEY": "s" * 40, "ENV_NAME": "test", "DATABASE_URL": "sqlite://"}
    with pytest.raises(RuntimeError, match="FHIR_EXPORT_DIR"):
        create_app(settings | {"FHIR_EXPORT_DIR": str(ROOT / "static" / "exports")})
