from tests.access import Rule, own_patient
from tests.privacy.helpers import make_request, second_poh
from zelfzorg.privacy.models import ErasureStatus

PATIENTS = frozenset({"patient", "patient_other"})
OWN_PRACTICE = frozenset({"professional"})


def _requested(world, db):
    return {"request_id": make_request(db, world).id}


def _approved(world, db):
    """Approved by a colleague, so world.poh may give the second confirmation."""
    request = make_request(
        db, world, status=ErasureStatus.approved, decided_by=second_poh(db, world)
    )
    return {"request_id": request.id}


RULES = {
    "privacy.my_data_pdf": Rule(PATIENTS),
    "privacy.patient_data_pdf": Rule(OWN_PRACTICE, own_patient),
    "privacy.my_erasure": Rule(PATIENTS, data={"reason": "Ik stop ermee.", "confirm": "y"}),
    "privacy.patient_erasure": Rule(
        OWN_PRACTICE, own_patient, data={"reason": "Gevraagd aan de balie."}
    ),
    "privacy.requests": Rule(frozenset({"professional", "professional_other"})),
    "privacy.request_detail": Rule(OWN_PRACTICE, _requested),
    "privacy.review": Rule(
        OWN_PRACTICE,
        _requested,
        data={"decision": "reject", "decision_reason": "Nog in behandeling.", "version": "1"},
    ),
    "privacy.execute": Rule(OWN_PRACTICE, _approved, data={"confirm": "y", "version": "1"}),
}
