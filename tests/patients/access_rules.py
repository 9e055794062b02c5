from datetime import date

from tests.access import Rule, own_patient
from tests.factories import make_patient
from zelfzorg.patients.models import Enrolment, Patient, Programme

OWN_PRACTICE = frozenset({"professional"})


def enrolment_params(world, db):
    """A running enrolment of world.patient (a new one each time: ending it twice is refused)."""
    enrolment = Enrolment(
        patient_id=world.patient.id, programme=Programme.COPD, start_date=date(2020, 1, 1)
    )
    db.add(enrolment)
    db.flush()
    return {"patient_id": world.patient.id, "enrolment_id": enrolment.id}


def patient_edit(world, db, params) -> dict:
    """The details form as shown now (the version read afresh: each save raises it)."""
    patient = db.get(Patient, params["patient_id"])
    db.refresh(patient)
    return {
        "given_name": patient.given_name,
        "family_name": "Willemsen-de Boer",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": str(patient.sex),
        "his_number": "HIS-77",
        "practice_id": str(patient.practice_id),
        "move_on": "",
        "version": str(patient.version),
    }


RULES = {
    "patients.edit": Rule(OWN_PRACTICE, own_patient, data=patient_edit),
    # world.patient has an account: the practice gives a code to choose a new password.
    "patients.reset_code": Rule(OWN_PRACTICE, own_patient),
    # Lists and creation are for every professional (scoped to their own practice inside).
    "patients.index": Rule(frozenset({"professional", "professional_other"})),
    "patients.new": Rule(
        frozenset({"professional", "professional_other"}),
        data={
            "given_name": "Anna",
            "family_name": "de Vries",
            "date_of_birth": "1960-05-01",
            "sex": "female",
        },
    ),
    "patients.detail": Rule(OWN_PRACTICE, own_patient),
    "patients.enrol": Rule(
        OWN_PRACTICE, own_patient, data={"programme": "COPD", "start_date": "2024-01-01"}
    ),
    "patients.end_enrolment": Rule(OWN_PRACTICE, enrolment_params, data={"end_date": "2025-01-01"}),
    "patients.care_team": Rule(
        OWN_PRACTICE,
        own_patient,
        data=lambda w, db, p: {"user_id": str(w.poh.id), "role": "hoofdbehandelaar"},
    ),
    "patients.activation_code": Rule(OWN_PRACTICE, own_patient),
    # Without data the form is refused (400) for the own practice; a valid move would change
    # who may reach the record halfway through the personas (tested in test_practice_move.py).
    # A valid move changes who reaches the patient: each allowed request moves a fresh one.
    "patients.move": Rule(
        OWN_PRACTICE,
        lambda w, db: {"patient_id": make_patient(db, w.practice).id},
        data=lambda w, db, params: {
            "practice_id": str(w.other_practice.id),
            "on": date.today().isoformat(),
            "confirm": "y",
        },
    ),
    "patients.me": Rule(frozenset({"patient", "patient_other"})),
}
