"""An unmodified FHIR client library (fhirpy) against a live server on 127.0.0.1: read,
search and page through the API."""

from __future__ import annotations

import threading

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import AuthorizationError, OperationOutcome, ResourceNotFound
from werkzeug.serving import make_server

from tests.fhir.helpers import AT, add_bp, add_weight, days, token_for


@pytest.fixture()
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/fhir"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_fhirpy_reads_searches_and_pages(live_url, db, world):
    rows = [add_weight(db, world.patient, at=AT + days(n % 10)) for n in range(230)]
    bp = add_bp(db, world.patient)
    add_weight(db, world.far_patient)
    db.commit()
    token = token_for(db, world, world.poh)
    client = SyncFHIRClient(live_url, authorization=f"Bearer {token}")

    patient = client.reference("Patient", world.patient.id).to_resource()
    assert patient["name"][0]["family"] == "Willemsen"

    search = client.resources("Observation").search(patient=world.patient.id, code="29463-7")
    assert search.count() == 230
    found = search.limit(50).fetch_all()  # follows the next links: five pages
    assert sorted(int(r["id"]) for r in found) == sorted(r.id for r in rows)
    newest = (
        client.resources("Observation")
        .search(patient=world.patient.id, date__ge="2026-01-14")
        .sort("-date")
        .limit(7)
        .fetch_all()
    )
    assert {r["effectiveDateTime"][:10] for r in newest} == {"2026-01-14"}
    assert len(newest) == 23
    panel = client.resources("Observation").search(code="85354-9").first()
    assert panel["id"] == str(bp.id) and len(panel["component"]) == 2

    with pytest.raises(ResourceNotFound):
        client.reference("Patient", world.far_patient.id).to_resource()
    with pytest.raises(OperationOutcome):
        client.resources("Observation").search(date="not-a-date").fetch()

    anonymous = SyncFHIRClient(live_url)
    with pytest.raises(AuthorizationError):
        anonymous.resources("Patient").fetch()


def test_bulk_export_over_http_follows_the_urls_it_is_given(live_url, engine, db, world, folder):
    """Kick-off, poll and download against the live server, following Content-Location and
    the manifest's absolute URLs as a bulk client does."""
    import requests

    from zelfzorg.fhir.bulk import run_exports

    add_weight(db, world.patient)
    db.commit()
    token = token_for(db, world, world.poh)
    headers = {"Authorization": f"Bearer {token}"}
    kick = requests.get(
        f"{live_url}/Group/{world.practice.id}/$export",
        headers=headers | {"Prefer": "respond-async", "Accept": "application/fhir+json"},
        timeout=30,
    )
    assert kick.status_code == 202
    status_url = kick.headers["Content-Location"]
    assert status_url.startswith(live_url)
    assert requests.get(status_url, headers=headers, timeout=30).status_code == 202
    run_exports(engine, folder=folder, worker="test")
    manifest = requests.get(status_url, headers=headers, timeout=30).json()
    urls = {o["type"]: o["url"] for o in manifest["output"]}
    download = requests.get(urls["Observation"], headers=headers, timeout=30)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/fhir+ndjson"
    assert len(download.text.splitlines()) == 1
    assert requests.get(urls["Observation"], timeout=30).status_code == 401
