"""The patient's own download (a cookie-session page of the patient, so not under /fhir/,
where only bearer tokens authenticate)."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.db import get_session
from zelfzorg.fhir import resources
from zelfzorg.fhir.everything import all_of
from zelfzorg.fhir.http import fhir_response
from zelfzorg.models_base import utcnow
from zelfzorg.web import current_actor, roles_required, today

bp = Blueprint("fhir_download", __name__)


@bp.get("/mijn/gegevens.json")
@roles_required(Role.patient)
def my_data():
    """Right of access: everything in the record as one FHIR Bundle (collection) to save."""
    session = get_session()
    actor = current_actor()
    day = today()
    entries = all_of(
        session,
        actor,
        current_user.patient_id,
        lambda type_name, row: resources.to_resource(session, type_name, row, day),
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": resources.instant(utcnow()),
        "entry": [{"resource": r} for r in entries],
    }
    response = fhir_response(bundle)
    response.headers["Content-Disposition"] = 'attachment; filename="mijn-gegevens-zelfzorg.json"'
    return response
