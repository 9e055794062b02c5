"""The FHIR API takes bearer tokens only: a cookie session (every persona of the matrix) is
refused with 401, so no persona is "allowed" here; metadata is public. Token access per role
is tested in tests/fhir/test_api.py."""

import uuid

from tests.access import EVERYONE_LOGGED_IN, PUBLIC, Rule

TOKEN_USERS = frozenset({"patient", "patient_other", "professional", "professional_other"})


def resource_params(world, _db):
    return {"resource_type": "Patient", "rid": str(world.patient.id)}


def token_params(world, db):
    from zelfzorg.accounts.models import ApiToken
    from zelfzorg.models_base import utcnow

    row = ApiToken(
        user_id=world.patient_user.id,
        token_hash=uuid.uuid4().hex * 2,
        label="App",
        scopes="patient/*.read",
        expires_at=utcnow(),
    )
    db.add(row)
    db.flush()
    return {"token_id": row.id}


RULES = {
    "fhir.metadata": Rule(PUBLIC),
    "fhir.read": Rule(frozenset(), params=resource_params),
    "fhir.search_type": Rule(frozenset(), params=lambda w, d: {"resource_type": "Patient"}),
    "accounts.api_tokens": Rule(
        TOKEN_USERS, data={"label": "App", "scopes": "user/*.read", "days": "30"}
    ),
    # Only the owner may revoke; the matrix's token belongs to the patient.
    "accounts.revoke_api_token": Rule(frozenset({"patient"}), params=token_params),
}
assert EVERYONE_LOGGED_IN >= TOKEN_USERS

RULES |= {
    "fhir.patient_everything": Rule(frozenset(), params=lambda w, d: {"patient_id": w.patient.id}),
    "fhir_download.my_data": Rule(frozenset({"patient", "patient_other"})),
}

RULES |= {
    "fhir.put_goal": Rule(frozenset(), params=lambda w, d: {"rid": 1}),
}

RULES |= {"fhir.transaction": Rule(frozenset())}

# Bulk export: bearer tokens only (cookie sessions get 401); token access in test_bulk.py.
RULES |= {
    "fhir.group_export": Rule(frozenset(), params=lambda w, d: {"rid": str(w.practice.id)}),
    "fhir.export_status": Rule(frozenset(), params=lambda w, d: {"key": "k"}),
    "fhir.export_cancel": Rule(frozenset(), params=lambda w, d: {"key": "k"}),
    "fhir.export_download": Rule(
        frozenset(), params=lambda w, d: {"key": "k", "resource_type": "Patient"}
    ),
}
