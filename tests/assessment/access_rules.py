from datetime import UTC, datetime

from tests.access import Rule, own_patient
from zelfzorg.assessment import services

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENTS = frozenset({"patient", "patient_other"})
OWN_PATIENT_OR_PROFESSIONAL = frozenset({"patient", "professional"})


def _response(world, db, *, submit: bool) -> int:
    actor = world.actor(world.patient_user)
    response = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    services.save_answers(db, actor, response_id=response.id, answers={"a01": 3}, now=NOW)
    if submit:
        services.submit_response(db, actor, response_id=response.id, now=NOW)
    return response.id


def draft(world, db) -> dict:
    return {"response_id": _response(world, db, submit=False)}


def completed(world, db) -> dict:
    return {"response_id": _response(world, db, submit=True)}


SETTINGS = {
    "due_months": "12",
    "max_1": "47,0",
    "max_2": "55.1",
    "max_3": "67.0",
    "weeks_1": "6",
    "weeks_2": "8",
    "weeks_3": "13",
    "weeks_4": "26",
}

RULES = {
    "assessment.mine": Rule(PATIENTS),
    "assessment.start": Rule(PATIENTS, lambda w, d: {"code": "activation"}),
    "assessment.fill": Rule(OWN_PATIENT_OR_PROFESSIONAL, draft),
    "assessment.discard": Rule(frozenset({"patient"}), draft),
    "assessment.result": Rule(OWN_PATIENT_OR_PROFESSIONAL, completed),
    "assessment.patient_overview": Rule(frozenset({"professional"}), own_patient),
    "assessment.caregroup_settings": Rule(frozenset({"caregroup"}), data=SETTINGS),
    "assessment.admin_settings_index": Rule(frozenset({"admin"})),
    "assessment.admin_settings": Rule(
        frozenset({"admin"}), lambda w, d: {"care_group_id": w.care_group.id}, data=SETTINGS
    ),
    "assessment.start_for_patient": Rule(
        frozenset({"professional"}), lambda w, d: {"patient_id": w.patient.id, "code": "semcd6"}
    ),
}
