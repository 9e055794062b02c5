from sqlmodel import select

from tests.access import Rule, own_patient
from zelfzorg.patients.models import Enrolment

OWN_PRACTICE = frozenset({"professional"})


def enrolment_params(world, db):
    enrolment = db.exec(select(Enrolment).where(Enrolment.patient_id == world.patient.id)).first()
    return {"patient_id": world.patient.id, "enrolment_id": enrolment.id}


RULES = {
    # Lists and creation are for every professional (scoped to their own practice inside).
    "patients.index": Rule(frozenset({"professional", "professional_other"})),
    "patients.new": Rule(frozenset({"professional", "professional_other"})),
    "patients.detail": Rule(OWN_PRACTICE, own_patient),
    "patients.enrol": Rule(OWN_PRACTICE, own_patient),
    "patients.end_enrolment": Rule(OWN_PRACTICE, enrolment_params),
    "patients.care_team": Rule(OWN_PRACTICE, own_patient),
    "patients.activation_code": Rule(OWN_PRACTICE, own_patient),
    # Without data the form is refused (400) for the own practice; a valid move would change
    # who may reach the record halfway through the personas (tested in test_practice_move.py).
    "patients.move": Rule(OWN_PRACTICE, own_patient),
    "patients.me": Rule(frozenset({"patient", "patient_other"})),
}
