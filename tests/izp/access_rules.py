import uuid
from datetime import date, timedelta

from sqlmodel import select

from tests.access import Rule, own_patient
from tests.izp.helpers import active_goal
from zelfzorg.izp import actions, agreements
from zelfzorg.izp.models import CarePlan, Goal, PlanAgreement

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


def token(_world=None, _db=None, _params=None) -> str:
    return uuid.uuid4().hex


def plan_data(world, db, params):
    plan = db.exec(select(CarePlan).where(CarePlan.patient_id == params["patient_id"])).one()
    return {"support_needs": "Steun bij bewegen", "version": str(plan.version)}


def goal_data(world, db, params):
    goal = db.get(Goal, params["goal_id"])
    return {
        "title": goal.title,
        "domain": goal.domain,
        "programmes": goal.programmes,
        "target_type": goal.target_type,
        "target_comparator": goal.target_comparator,
        "target_value": str(goal.target_value),
        "target_unit": goal.target_unit,
        "due_date": goal.due_date.isoformat(),
        "review_date": goal.review_date.isoformat(),
        "lifecycle": goal.lifecycle,
        "version": str(goal.version),
    }


def agreement_data(world, db, params):
    agreement = db.get(PlanAgreement, params["agreement_id"])
    prefix = f"a{agreement.id}-"
    return {
        prefix + "what": agreement.what,
        prefix + "who": "Huisarts",
        prefix + "status": "open",
        prefix + "version": str(agreement.version),
    }


NEW_GOAL = {"title": "Weer naar de markt lopen", "domain": "participation", "programmes": ["CVRM"]}
AGREEMENT = {"what": "Uitslag lab bespreken", "who": "POH"}


RULES = {
    "izp.my_plan": Rule(PATIENTS),
    "izp.propose_goal": Rule(BOTH, own_patient, data=NEW_GOAL),
    "izp.plan": Rule(OWN_PRACTICE, plan_params, data=plan_data),
    "izp.create_plan": Rule(OWN_PRACTICE, own_patient),
    "izp.add_agreement": Rule(OWN_PRACTICE, own_patient, data=AGREEMENT),
    "izp.edit_agreement": Rule(OWN_PRACTICE, agreement_params, data=agreement_data),
    "izp.agreement_done": Rule(BOTH, agreement_params, data={"done": "1"}),
    "izp.goal": Rule(BOTH, goal_params),
    "izp.edit_goal": Rule(BOTH, goal_params, data=goal_data),
    "izp.agree_goal": Rule(BOTH, goal_params),
    "izp.add_action": Rule(BOTH, goal_params, data={"what": "Elke dag wandelen"}),
    "izp.log_action": Rule(
        OWN_PATIENT,
        action_params,
        data=lambda w, db, p: {"done_on": date.today().isoformat(), "token": token()},
    ),
    "izp.prepare_review": Rule(
        OWN_PATIENT, goal_params, data=lambda w, db, p: {"score": "4", "token": token()}
    ),
    "izp.review": Rule(
        OWN_PRACTICE,
        goal_params,
        data=lambda w, db, p: {
            "decision": "continue",
            "achievement": "improving",
            "next_review": (date.today() + timedelta(weeks=12)).isoformat(),
            "token": token(),
        },
    ),
    "izp.due": Rule(STAFF),
    "izp.history": Rule(OWN_PRACTICE, own_patient, data={"datum": "2026-12-01"}),
    "izp.pdf": Rule(BOTH, plan_params),
}
