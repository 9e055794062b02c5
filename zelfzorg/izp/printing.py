"""The plan as plain values for the PDF (templates get no ORM objects); printing is audited."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.audit.models import AuditAction
from zelfzorg.izp import services
from zelfzorg.patients.services import load_record


def plan_document(session: Session, actor: Actor, patient_id: int, *, today: date) -> dict:
    get_patient_for(session, actor, patient_id, action=AuditAction.print, object_type="CarePlan")
    view = services.open_plan(session, actor, patient_id, today=today)
    record = load_record(session, view.patient)
    plan = view.plan
    goals = []
    for goal in view.goals:
        if goal.lifecycle == "cancelled":
            continue
        goals.append(
            {
                "title": goal.title,
                "domain": goal.domain,
                "programmes": list(goal.programmes or []),
                "target_type": goal.target_type,
                "target_comparator": goal.target_comparator,
                "target_value": goal.target_value,
                "target_unit": goal.target_unit,
                "due_date": goal.due_date,
                "review_date": goal.review_date,
                "lifecycle": goal.lifecycle,
                "achievement": goal.achievement,
                "agreed": goal.agreed_by_patient_at is not None
                and goal.agreed_by_professional_at is not None,
                "actions": [
                    {"what": a.what, "who": a.who, "how_often": a.how_often}
                    for a in view.actions.get(goal.id, [])  # type: ignore[arg-type]
                ],
            }
        )
    return {
        "patient_name": view.patient.full_name,
        "date_of_birth": view.patient.date_of_birth,
        "printed_on": today,
        "has_plan": plan is not None,
        "what_matters": plan.what_matters if plan else "",
        "life_goals": plan.life_goals if plan else "",
        "support_needs": plan.support_needs if plan else "",
        "agreements": plan.agreements if plan else "",
        "modules": list(plan.modules) if plan else [],
        "conditions": [p.value for p in view.programmes],
        "next_review_date": plan.next_review_date if plan else None,
        "care_team": [(str(m.role), u.name) for m, u in record.care_team],
        "goals": goals,
    }
