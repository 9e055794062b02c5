"""Demo: the care group's policy (three versions over three years), a development plan with
dated actions, the platform statement, 2015-style contracts for the last three years with
rising targets, and the dated history the indicators read (goal status from the IZP
revisions, patient activity from what the demo patients did), so the report shows met and
unmet conditions and a trend."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from zelfzorg.assessment.models import AssessmentResponse
from zelfzorg.contracting.history import local_day, rebuild_goal_history
from zelfzorg.contracting.models import (
    ActionKind,
    Contract,
    ContractTerm,
    DevelopmentAction,
    PatientActivityDay,
    PlatformStatement,
    PolicyStatus,
    PolicyVersion,
)
from zelfzorg.contracting.records import default_terms
from zelfzorg.izp.models import ActionLog, GoalReview
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource

INVOLVEMENT = (
    "Patiënten stellen samen met hun POH hun eigen doelen op, in hun eigen woorden. Bij elke "
    "evaluatie geven zij eerst zelf aan wat hielp en wat lastig was."
)
INCENTIVES = (
    "Praktijken krijgen een opslag per patiënt met een actueel zorgplan en een jaarlijkse "
    "terugkoppeling van hun cijfers naast die van de zorggroep."
)
ACTIONS = [
    (ActionKind.competence_scan, "Competentiescan zelfmanagementondersteuning POH's", 3 * 365 - 60),
    (ActionKind.training, "Scholing motiverende gespreksvoering", 2 * 365 - 30),
    (ActionKind.improvement_plan, "Verbeterplan zorgplan bij multimorbiditeit", 2 * 365 - 200),
    (ActionKind.training, "Training samen beslissen voor huisartsen", 365 - 40),
    (ActionKind.training, "Scholing leefstijlgesprek voor diëtisten", 120),
]
# Contract targets per year offset (0 = this year): rising expectations.
TARGETS = {
    2: {"I1": "30", "I3": "20"},
    1: {"I1": "45", "I2": "25", "I3": "30"},
    0: {"I1": "60", "I2": "40", "I3": "50", "L2": "30"},
}


def _years_ago(today: date, years: int, days_before: int = 0) -> date:
    return date(today.year - years, 1, 15) - timedelta(days=days_before)


def seed(session: Session, ctx) -> None:
    today, group = ctx.today, ctx.care_group
    staff = ctx.gp
    patient_ids = [p.id for p in ctx.patients]

    rebuild_goal_history(session, patient_ids)
    _activity(session, ctx, patient_ids)

    versions = [
        (PolicyStatus.draft, _years_ago(today, 2, 60), None, False, False),
        (PolicyStatus.in_development, _years_ago(today, 2), None, True, False),
        (PolicyStatus.adopted, _years_ago(today, 1), _years_ago(today, 1), True, True),
    ]
    for status, effective, adopted, involvement, incentives in versions:
        session.add(
            PolicyVersion(
                care_group_id=group.id,
                title="Visie op zelfmanagement Zorggroep Rivierenland",
                status=status,
                effective_on=effective,
                adopted_on=adopted,
                text="Zelfmanagement is het uitgangspunt van onze ketenzorg: beperkt als het "
                "kan, uitgebreid als het moet.",
                covers_patient_involvement=involvement,
                patient_involvement_text=INVOLVEMENT if involvement else "",
                covers_incentives=incentives,
                incentives_text=INCENTIVES if incentives else "",
                created_by_id=staff.id if staff else None,
            )
        )
    for kind, title, days_ago in ACTIONS:
        session.add(
            DevelopmentAction(
                action_key=uuid.uuid4().hex,
                care_group_id=group.id,
                kind=kind,
                title=title,
                on_date=today - timedelta(days=days_ago),
                discipline="dietitian"
                if "diëtisten" in title
                else "poh"
                if "POH" in title
                else None,
            )
        )
    session.add(
        PlatformStatement(
            care_group_id=group.id,
            on_list=True,
            stated_on=_years_ago(today, 1, 30),
            note="Zelfzorg staat op de ZO!-lijst van systemen voor zelfmanagementondersteuning.",
        )
    )
    for offset, targets in TARGETS.items():
        contract = Contract(
            care_group_id=group.id, insurer="VGZ", year=today.year - offset, definition_version=2015
        )
        session.add(contract)
        session.flush()
        for indicator, (counts, target, kind) in default_terms().items():
            if indicator in targets:
                target = Decimal(targets[indicator])
            session.add(
                ContractTerm(
                    contract_id=contract.id,
                    indicator=indicator,
                    counts=counts,
                    target=target,
                    kind=kind,
                )
            )
    session.flush()


def _activity(session: Session, ctx, patient_ids: list[int]) -> None:
    """Patient activity days from what the demo wrote directly (it bypasses the services'
    hooks), plus logins in the last months."""
    days: dict[tuple[int, date], set[str]] = {}

    def mark(patient_id: int, day: date, kind: str) -> None:
        days.setdefault((patient_id, day), set()).add(kind)

    for patient_id, day in session.exec(
        select(ActionLog.patient_id, ActionLog.done_on).where(
            col(ActionLog.patient_id).in_(patient_ids)
        )
    ).all():
        mark(patient_id, day, "action")
    for patient_id, at in session.exec(
        select(Measurement.patient_id, Measurement.measured_at).where(
            col(Measurement.patient_id).in_(patient_ids),
            Measurement.source != MeasurementSource.professional,
        )
    ).all():
        mark(patient_id, local_day(at), "measurement")
    for patient_id, at in session.exec(
        select(AssessmentResponse.patient_id, AssessmentResponse.completed_at).where(
            col(AssessmentResponse.patient_id).in_(patient_ids),
            col(AssessmentResponse.completed_at).is_not(None),
            AssessmentResponse.filled_by_role == "patient",
        )
    ).all():
        mark(patient_id, local_day(at), "questionnaire")
    for patient_id, at in session.exec(
        select(GoalReview.patient_id, GoalReview.prepared_at).where(
            col(GoalReview.patient_id).in_(patient_ids), col(GoalReview.prepared_at).is_not(None)
        )
    ).all():
        mark(patient_id, local_day(at), "review_preparation")
    for patient_id in sorted(ctx.patient_users):
        if ctx.rng.random() < 0.6:
            mark(patient_id, ctx.today - timedelta(days=ctx.rng.randint(0, 120)), "logged_in")
    session.add_all(
        PatientActivityDay(patient_id=patient_id, day=day, **dict.fromkeys(kinds, True))
        for (patient_id, day), kinds in sorted(days.items())
    )
