"""The plan as plain values for the PDF (templates get no ORM objects); printing is audited."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.audit.models import AuditAction
from zelfzorg.izp import pages
from zelfzorg.patients.services import load_record
from zelfzorg.telemonitoring.chartdata import chart_svg, series

CHART_MONTHS = 12
MAX_CHARTS = 3  # PDFs stay short: WeasyPrint time grows faster than pages


def _charts(
    session: Session, patient_id: int, type_codes: list[str], today: date, lang: str
) -> dict[str, str]:
    """A trend chart (SVG as a data: URI) per target measurement with readings this year."""
    end = datetime.combine(today, time.max, UTC)
    start = end - timedelta(days=CHART_MONTHS * 31)
    charts: dict[str, str] = {}
    for code in dict.fromkeys(type_codes):
        if len(charts) == MAX_CHARTS:
            break
        points = series(session, patient_id, code, start, end)
        if not points[1]:
            continue
        svg = chart_svg(session, patient_id, code, start, end, lang, points=points)
        charts[code] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return charts


def plan_document(
    session: Session, actor: Actor, patient_id: int, *, today: date, lang: str = "nl"
) -> dict:
    get_patient_for(session, actor, patient_id, action=AuditAction.print, object_type="CarePlan")
    view = pages.open_plan(session, actor, patient_id, today=today)
    record = load_record(session, view.patient)
    plan = view.plan
    goals = []
    titles = {g.id: g.title for g in view.goals}
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
        "agreements": [
            {
                "what": a.what,
                "who": a.who,
                "due_date": a.due_date,
                "done": a.status == "done",
                "done_date": a.done_date,
            }
            for a in view.agreements
            if a.status != "cancelled"
        ],
        "coverage": [
            {
                "programme": c.programme,
                "goals": [titles[i] for i in c.goal_ids if i in titles],
            }
            for c in view.coverage
        ],
        "modules": list(plan.modules) if plan else [],
        "conditions": [p.value for p in view.programmes],
        "next_review_date": plan.next_review_date if plan else None,
        "care_team": [(str(m.role), u.name) for m, u in record.care_team],
        "goals": goals,
        # Access to the patient was checked and the print audited above.
        "charts": _charts(
            session,
            view.patient.id,
            [g["target_type"] for g in goals if g["target_type"]],
            today,
            lang,
        ),
    }
