from sqlmodel import col, select

from tests.access import STAFF, Rule, own_patient
from tests.leefstijl.helpers import make_intervention, make_referral
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral

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


def intervention_form(world, _db=None, _params=None) -> dict:
    return {
        "care_group_id": world.care_group.id,
        "name": "Beweegkuur",
        "kind": "exercise",
        "programmes": ["DM2", "COPD"],
        "description_nl": "Een half jaar bewegen onder begeleiding.",
        "criteria": '{"measurement": "bmi", "op": ">=", "value": 25}',
        "active": "y",
    }


def referral_form(_world, db, _params) -> dict:
    newest = db.exec(select(Intervention).order_by(col(Intervention.id).desc())).first()
    return {"intervention_id": newest.id}


def outcome_form(_world, db, params) -> dict:
    referral = db.get(Referral, params["referral_id"])
    return {
        "outcome_weight_change_kg": "-4,5",
        "outcome_patient_rating": "4",
        "version": referral.version,
    }


RULES = {
    "leefstijl.catalogue": Rule(STAFF | {"caregroup", "admin"}),
    # Care-group staff keep their own group's catalogue (world.care_group).
    "leefstijl.admin_new": Rule(frozenset({"admin", "caregroup"}), data=intervention_form),
    "leefstijl.admin_edit": Rule(
        frozenset({"admin", "caregroup"}),
        intervention_params,
        data=lambda w, db, p: intervention_form(w) | {"version": "1"},
    ),
    "leefstijl.opportunities": Rule(STAFF),
    "leefstijl.patient_overview": Rule(OWN_PRACTICE, own_patient),
    "leefstijl.create_referral": Rule(OWN_PRACTICE, new_referral_params, data=referral_form),
    "leefstijl.transition": Rule(
        OWN_PRACTICE, referral_params(rs.PROPOSED), data={"to_state": "offered"}
    ),
    "leefstijl.complete": Rule(OWN_PRACTICE, referral_params(rs.STARTED), data=outcome_form),
    "leefstijl.mine": Rule(OWN_PATIENT | {"patient_other"}),
    "leefstijl.answer": Rule(OWN_PATIENT, answer_params, data={"to_state": "accepted"}),
}
