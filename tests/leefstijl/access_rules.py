from tests.access import STAFF, Rule, own_patient
from tests.leefstijl.helpers import make_intervention, make_referral
from zelfzorg.leefstijl import referral_states as rs

OWN_PRACTICE = frozenset({"professional"})
OWN_PATIENT = frozenset({"patient"})


def intervention_params(world, db):
    return {"intervention_id": make_intervention(db, world.care_group.id).id}


def referral_params(state):
    def params(world, db):
        intervention = make_intervention(db, world.care_group.id)
        referral = make_referral(db, world.patient.id, intervention, state)
        return {"patient_id": world.patient.id, "referral_id": referral.id}

    return params


def answer_params(world, db):
    intervention = make_intervention(db, world.care_group.id)
    return {"referral_id": make_referral(db, world.patient.id, intervention, rs.OFFERED).id}


def new_referral_params(world, db):
    make_intervention(db, world.care_group.id)
    return own_patient(world, db)


RULES = {
    "leefstijl.catalogue": Rule(STAFF | {"caregroup", "admin"}),
    "leefstijl.admin_new": Rule(frozenset({"admin"})),
    "leefstijl.admin_edit": Rule(frozenset({"admin"}), intervention_params),
    "leefstijl.opportunities": Rule(STAFF),
    "leefstijl.patient_overview": Rule(OWN_PRACTICE, own_patient),
    "leefstijl.create_referral": Rule(OWN_PRACTICE, new_referral_params),
    "leefstijl.transition": Rule(
        OWN_PRACTICE, referral_params(rs.PROPOSED), data={"to_state": "offered"}
    ),
    "leefstijl.complete": Rule(OWN_PRACTICE, referral_params(rs.STARTED)),
    "leefstijl.mine": Rule(OWN_PATIENT | {"patient_other"}),
    "leefstijl.answer": Rule(OWN_PATIENT, answer_params, data={"to_state": "accepted"}),
}
