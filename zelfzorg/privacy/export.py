"""Right of access: everything Zelfzorg keeps about a patient as plain values for one PDF.

Access is checked and audited once (an ``export`` entry for the patient); the sections then
read the patient's rows directly. Measurements are bounded so a patient with years of
telemonitoring still gets a PDF of reasonable length: every reading of the last
:data:`RECENT_DAYS` days as a table, a summary per type over all time, and before that a
monthly summary per type (count, average, lowest, highest) computed in SQL. The JSON download
(FHIR) holds every reading.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Practice, Role, User
from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.audit.models import AuditAction, AuditEntry
from zelfzorg.izp.models import ActionLog, CarePlan, Goal, GoalAction, GoalReview, PlanAgreement
from zelfzorg.izp.models import Revision as PlanRevision
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.notifications.models import Notification
from zelfzorg.patients.models import CareTeamMember, Condition, Enrolment, PracticePeriod
from zelfzorg.privacy.models import ErasureRequest
from zelfzorg.telemonitoring.chartdata import aggregate_sql
from zelfzorg.telemonitoring.models import Measurement, PersonalTarget
from zelfzorg.telemonitoring.types import load_types

#: Every reading of this many days before the download is listed one by one.
RECENT_DAYS = 90
#: Bounded lists (the JSON download has them all); the PDF says when a list was cut.
MAX_NOTIFICATIONS = 100
MAX_REVISIONS = 200
MAX_CHANGE_TEXT = 80


def short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_CHANGE_TEXT else text[: MAX_CHANGE_TEXT - 1] + "…"


def _by_patient(session: Session, model, patient_id: int, *order) -> list:
    return list(session.exec(select(model).where(model.patient_id == patient_id).order_by(*order)))


def data_document(
    session: Session, actor: Actor, patient_id: int, *, today: date, lang: str = "nl"
) -> dict:
    """All of the patient's data for the PDF (audited as an export of the record)."""
    patient = get_patient_for(
        session, actor, patient_id, action=AuditAction.export, object_type="PatientData"
    )
    account = session.exec(
        select(User).where(User.patient_id == patient_id, User.role == Role.patient)
    ).first()
    practice = session.get(Practice, patient.practice_id)
    return {
        "printed_on": today,
        "lang": lang,
        "identity": {
            "name": patient.full_name,
            "date_of_birth": patient.date_of_birth,
            "sex": str(patient.sex),
            "his_number": patient.his_number or "",
            "practice": practice.name if practice else "",
            "email": account.email if account else "",
            "activated_at": account.activated_at if account else None,
            "last_login_at": account.last_login_at if account else None,
        },
        "conditions": [
            {"code": c.code, "name": c.name, "onset": c.onset_date}
            for c in _by_patient(session, Condition, patient_id, Condition.code)
        ],
        "enrolments": [
            {"programme": str(e.programme), "start": e.start_date, "end": e.end_date}
            for e in _by_patient(session, Enrolment, patient_id, Enrolment.start_date)
        ],
        "practice_history": _practice_history(session, patient_id),
        "care_team": _care_team(session, patient_id),
        "plan": _plan(session, patient_id),
        "measurements": _measurements(session, patient_id, today, lang),
        "questionnaires": _questionnaires(session, patient_id, lang),
        "referrals": _referrals(session, patient_id),
        "notifications": _notifications(session, account),
        "access": _access_summary(session, patient_id),
        "erasure_requests": [
            {"status": str(r.status), "requested_at": r.requested_at, "decided_at": r.decided_at}
            for r in _by_patient(session, ErasureRequest, patient_id, ErasureRequest.requested_at)
        ],
    }


def _practice_history(session: Session, patient_id: int) -> list[dict]:
    rows = session.exec(
        select(PracticePeriod, Practice.name)
        .join(Practice, col(Practice.id) == PracticePeriod.practice_id)
        .where(PracticePeriod.patient_id == patient_id)
        .order_by(col(PracticePeriod.start_date))
    ).all()
    return [{"practice": name, "start": p.start_date, "end": p.end_date} for p, name in rows]


def _care_team(session: Session, patient_id: int) -> list[dict]:
    rows = session.exec(
        select(CareTeamMember.role, User.name)
        .join(User, col(User.id) == CareTeamMember.user_id)
        .where(CareTeamMember.patient_id == patient_id)
        .order_by(col(CareTeamMember.role), col(User.name))
    ).all()
    return [{"role": str(role), "name": name} for role, name in rows]


def _plan(session: Session, patient_id: int) -> dict:
    plan = session.exec(select(CarePlan).where(CarePlan.patient_id == patient_id)).first()
    goals = _by_patient(session, Goal, patient_id, Goal.created_at, Goal.id)
    actions = _by_patient(session, GoalAction, patient_id, GoalAction.id)
    reviews = _by_patient(session, GoalReview, patient_id, GoalReview.created_at, GoalReview.id)
    logs = session.exec(
        select(ActionLog.action_id, func.count(), func.max(ActionLog.done_on))
        .where(ActionLog.patient_id == patient_id)
        .group_by(ActionLog.action_id)
    ).all()
    done = {action_id: (n, last) for action_id, n, last in logs}
    revision_count = session.exec(
        select(func.count()).select_from(PlanRevision).where(PlanRevision.patient_id == patient_id)
    ).one()
    revisions = session.exec(
        select(PlanRevision)
        .where(PlanRevision.patient_id == patient_id)
        .order_by(col(PlanRevision.at).desc(), col(PlanRevision.id).desc())
        .limit(MAX_REVISIONS)
    ).all()
    return {
        "exists": plan is not None,
        "what_matters": plan.what_matters if plan else "",
        "life_goals": plan.life_goals if plan else "",
        "support_needs": plan.support_needs if plan else "",
        "modules": list(plan.modules) if plan else [],
        "next_review_date": plan.next_review_date if plan else None,
        "agreements": [
            {
                "what": a.what,
                "who": a.who,
                "due_date": a.due_date,
                "status": a.status,
                "done_date": a.done_date,
            }
            for a in _by_patient(session, PlanAgreement, patient_id, PlanAgreement.id)
        ],  # fmt: skip
        "goals": [
            {
                "title": g.title,
                "lifecycle": g.lifecycle,
                "achievement": g.achievement,
                "target_type": g.target_type,
                "target_comparator": g.target_comparator,
                "target_value": g.target_value,
                "target_unit": g.target_unit,
                "due_date": g.due_date,
                "review_date": g.review_date,
                "created_at": g.created_at,
                "actions": [
                    {
                        "what": a.what,
                        "who": a.who,
                        "how_often": a.how_often,
                        "done_count": done.get(a.id, (0, None))[0],
                        "last_done": done.get(a.id, (0, None))[1],
                    }
                    for a in actions
                    if a.goal_id == g.id
                ],
                "reviews": [
                    {
                        "at": r.reviewed_at or r.prepared_at or r.created_at,
                        "patient_score": r.patient_score,
                        "patient_helped": r.patient_helped,
                        "patient_hard": r.patient_hard,
                        "professional_view": r.professional_view,
                        "decision": r.decision or "",
                    }
                    for r in reviews
                    if r.goal_id == g.id
                ],
            }
            for g in goals
        ],
        "revision_count": revision_count,
        "revisions": [
            {
                "at": r.at,
                "who": r.user_name,
                "object_type": r.object_type,
                "changes": [
                    {"field": c.get("field"), "old": c.get("old"), "new": c.get("new")}
                    for c in r.changes
                    if isinstance(c, dict)
                ],
            }
            for r in revisions
        ],
    }


def _measurements(session: Session, patient_id: int, today: date, lang: str) -> dict:
    types = load_types()
    current = (
        col(Measurement.patient_id) == patient_id,
        col(Measurement.superseded_at).is_(None),
    )
    summary_rows = session.exec(
        select(
            Measurement.type_code,
            func.count(),
            func.min(Measurement.measured_at),
            func.max(Measurement.measured_at),
            func.min(Measurement.value),
            func.max(Measurement.value),
        )
        .where(*current)
        .group_by(Measurement.type_code)
        .order_by(Measurement.type_code)
    ).all()
    cutoff = datetime.combine(today - timedelta(days=RECENT_DAYS), time.min, UTC)

    def label(code: str) -> str:
        mtype = types.get(code)
        return mtype.label(lang) if mtype else code

    def value_text(code: str, value: float | None, value_code: str | None = None) -> str:
        mtype = types.get(code)
        raw = value if value is not None else value_code
        if raw is None:
            return ""
        return mtype.format_value(raw, lang) if mtype else str(raw)

    summary = []
    monthly = []
    for code, count, first, last, low, high in summary_rows:
        summary.append(
            {"type": label(code), "count": count, "first": first, "last": last,
             "low": value_text(code, low), "high": value_text(code, high)}
        )  # fmt: skip
        mtype = types.get(code)
        if first < cutoff and (mtype is None or mtype.is_quantity):
            before = cutoff - timedelta(microseconds=1)  # the recent table starts at cutoff
            for point in aggregate_sql(session, patient_id, code, first, before, "month"):
                monthly.append(
                    {"type": label(code), "month": point.t.date(), "count": point.n,
                     "mean": value_text(code, point.value), "low": value_text(code, point.min),
                     "high": value_text(code, point.max)}
                )  # fmt: skip
    monthly.sort(key=lambda m: (m["month"], m["type"]))
    recent = session.exec(
        select(Measurement)
        .where(*current, col(Measurement.measured_at) >= cutoff)
        .order_by(col(Measurement.measured_at), col(Measurement.id))
    ).all()
    targets = _by_patient(session, PersonalTarget, patient_id, PersonalTarget.id)
    return {
        "recent_days": RECENT_DAYS,
        "since": cutoff,
        "summary": summary,
        "monthly": monthly,
        "recent": [
            {
                "at": m.measured_at,
                "type": label(m.type_code),
                "value": value_text(m.type_code, m.value, m.value_code),
                "source": str(m.source),
                "note": m.note,
            }
            for m in recent
        ],  # fmt: skip
        "targets": [
            {
                "type": label(t.type_code),
                "comparator": t.comparator,
                "low": value_text(t.type_code, t.low),
                "high": value_text(t.type_code, t.high),
                "active": t.active,
                "set_at": t.set_at,
            }
            for t in targets
        ],  # fmt: skip
    }


def _questionnaires(session: Session, patient_id: int, lang: str) -> list[dict]:
    version = col(InstrumentVersion.id) == AssessmentResponse.instrument_version_id
    rows = session.exec(
        select(AssessmentResponse, InstrumentVersion.definition)
        .join(InstrumentVersion, version)
        .where(AssessmentResponse.patient_id == patient_id)
        .order_by(col(AssessmentResponse.started_at), col(AssessmentResponse.id))
    ).all()
    result = []
    for response, definition in rows:
        title = (definition or {}).get("title") or {}
        name = title.get(lang) or title.get("nl") if isinstance(title, dict) else str(title)
        result.append(
            {
                "title": name or response.instrument_code,
                "completed": response.status == ResponseStatus.completed,
                "started_at": response.started_at,
                "completed_at": response.completed_at,
                "score": response.score,
                "level": response.level,
                "answered": response.answered_count,
                "filled_by_role": response.filled_by_role,
            }
        )
    return result


def _referrals(session: Session, patient_id: int) -> list[dict]:
    rows = session.exec(
        select(Referral, Intervention.name)
        .join(Intervention, col(Intervention.id) == Referral.intervention_id)
        .where(Referral.patient_id == patient_id)
        .order_by(col(Referral.created_at), col(Referral.id))
    ).all()
    ids = [r.id for r, _ in rows]
    events = session.exec(
        select(ReferralEvent)
        .where(col(ReferralEvent.referral_id).in_(ids or [0]))
        .order_by(col(ReferralEvent.at), col(ReferralEvent.id))
    ).all()
    return [
        {
            "intervention": name,
            "state": r.state,
            "state_since": r.state_since,
            "events": [
                {"on": e.on_date, "from": e.from_state or "", "to": e.to_state, "note": e.note}
                for e in events
                if e.referral_id == r.id
            ],
        }
        for r, name in rows
    ]


def _notifications(session: Session, account: User | None) -> dict:
    if account is None:
        return {"total": 0, "entries": []}
    total = session.exec(
        select(func.count()).select_from(Notification).where(Notification.user_id == account.id)
    ).one()
    items = session.exec(
        select(Notification)
        .where(Notification.user_id == account.id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(MAX_NOTIFICATIONS)
    ).all()
    return {
        "total": total,
        "entries": [
            {
                "at": n.created_at,
                "message": n.message,
                "params": dict(n.params or {}),
                "read": n.read_at is not None,
            }
            for n in items
        ],  # fmt: skip
    }


def _access_summary(session: Session, patient_id: int) -> dict:
    """Who accessed the record: one line per person and organisation, with counts and the
    first and last time (the page "Wie bekeek mijn gegevens" lists the entries)."""
    who = (AuditEntry.user_name, AuditEntry.role, AuditEntry.organisation, AuditEntry.outcome)
    rows = session.exec(
        select(*who, func.count(), func.min(AuditEntry.at), func.max(AuditEntry.at))
        .where(AuditEntry.patient_id == patient_id)
        .group_by(*who)
        .order_by(sa.desc(func.max(AuditEntry.at)))
    ).all()
    outcomes: Counter[str] = Counter()
    lines = []
    for name, role, organisation, outcome, count, first, last in rows:
        outcomes[str(outcome)] += count
        lines.append(
            {"who": "" if role == Role.patient else name, "role": role,
             "organisation": organisation, "denied": str(outcome) == "denied", "count": count,
             "first": first, "last": last}
        )  # fmt: skip
    return {"total": sum(outcomes.values()), "lines": lines}
