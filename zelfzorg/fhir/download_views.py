"""The patient's own download (a cookie-session page of the patient, so not under /fhir/,
where only bearer tokens authenticate)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice

from flask import Blueprint, Response
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.db import get_session
from zelfzorg.fhir import resources
from zelfzorg.fhir.everything import stream_all
from zelfzorg.fhir.http import FHIR_JSON
from zelfzorg.models_base import utcnow
from zelfzorg.web import current_actor, roles_required, today

bp = Blueprint("fhir_download", __name__)


def bundle_chunks(entries: Iterator[dict], timestamp: str, batch: int = 500) -> Iterator[str]:
    """A collection Bundle as JSON text, ``batch`` entries at a time (one encoder call per
    batch; memory of one batch)."""
    head = {"resourceType": "Bundle", "type": "collection", "timestamp": timestamp}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "entry": ['
    iterator = iter(entries)
    separator = ""
    while chunk := list(islice(iterator, batch)):
        text = json.dumps([{"resource": r} for r in chunk], ensure_ascii=False)[1:-1]
        yield separator + text
        separator = ", "
    yield "]}"


@bp.get("/mijn/gegevens.json")
@roles_required(Role.patient)
def my_data():
    """Right of access: everything in the record as one FHIR Bundle (collection) to save,
    streamed (the record of years of readings is never held in memory whole)."""
    session = get_session()
    actor = current_actor()
    day = today()
    # Checked and audited here; the request's commit (after_request) appends the entry before
    # the first byte is sent. The pages are read afterwards, in a read transaction of their own
    # on the same session, closed when the stream ends.
    entries = stream_all(
        session,
        actor,
        current_user.patient_id,
        lambda type_name, row: resources.to_resource(session, type_name, row, day),
    )

    def body() -> Iterator[str]:
        try:
            yield from bundle_chunks(entries, resources.instant(utcnow()))
        finally:
            session.close()

    response = Response(body(), content_type=FHIR_JSON)
    response.headers["Content-Disposition"] = 'attachment; filename="mijn-gegevens-zelfzorg.json"'
    return response
