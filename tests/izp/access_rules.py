from datetime import date

from tests.access import Rule, own_patient
from tests.izp.helpers import active_goal
from zelfzorg.izp import actions, agreements

OWN_PRACTICE = frozenset({"professional"})
OWN_PATIENT = frozenset({"patient"})
BOTH = frozenset({"patient", "professional"})
STAFF = frozenset({"professional", "professional_other"})
PATIENTS = frozenset({"patient", "patient_other"})


def plan_params(world, db):
    active_goal(db, world)
    return {"patient_id": world.patient.id}


def goal_params(world, db):
    return {"goal_id": active_goal(db, world).id}


def action_params(world, db):
    goal = active_goal(db, world)
    action = actions.add_action(db, world.actor(world.poh), goal.id, what="Wandelen")
    return {"action_id": action.id}


def agreement_params(world, db):
    agreement = agreements.add_agreement(
        db,
        world.actor(world.poh),
        world.patient.id,
        agreements.AgreementInput(what="Bloeddruk meten", who="Patiënt"),
        today=date.today(),
    )
    return {"agreement_id": agreement.id}


RULES = {
    "izp.my_plan": Rule(PATIENTS),
    "izp.propose_goal": Rule(BOTH, own_patient),
    "izp.plan": Rule(OWN_PRACTICE, plan_params),
    "izp.create_plan": Rule(OWN_PRACTICE, own_patient),
    "izp.add_agreement": Rule(OWN_PRACTICE, own_patient),
    "izp.edit_agreement": Rule(OWN_PRACTICE, agreement_params),
    "izp.agreement_done": Rule(BOTH, agreement_params),
    "izp.goal": Rule(BOTH, goal_params),
    "izp.edit_goal": Rule(BOTH, goal_params),
    "izp.agree_goal": Rule(BOTH, goal_params),
    "izp.add_action": Rule(BOTH, goal_params),
    "izp.log_action": Rule(OWN_PATIENT, action_params),
    "izp.prepare_review": Rule(OWN_PATIENT, goal_params),
    "izp.review": Rule(OWN_PRACTICE, goal_params),
    "izp.due": Rule(STAFF),
    "izp.history": Rule(OWN_PRACTICE, own_patient, data={"datum": "2026-12-01"}),
    "izp.pdf": Rule(BOTH, plan_params),
}
