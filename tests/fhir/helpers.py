from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from zelfzorg.accounts.tokens import create_api_token
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def token_for(db, world, user, scopes=("user/*.read",), days=30) -> str:
    plain, _row = create_api_token(
        db, world.actor(user), label="test", scopes=scopes, days=days, now=utcnow()
    )
    db.commit()
    return plain


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def add_bp(db, patient, at=AT, systolic=135.0, diastolic=85.0) -> Measurement:
    reading = uuid.uuid4().hex
    rows = [
        Measurement(
            patient_id=patient.id,
            type_code=code,
            value=value,
            unit="mm[Hg]",
            measured_at=at,
            source=MeasurementSource.patient,
            reading_id=reading,
        )
        for code, value in (("bp_systolic", systolic), ("bp_diastolic", diastolic))
    ]
    db.add_all(rows)
    db.flush()
    return rows[0]


def add_weight(db, patient, at=AT, value=80.0) -> Measurement:
    row = Measurement(
        patient_id=patient.id,
        type_code="weight",
        value=value,
        unit="kg",
        measured_at=at,
        source=MeasurementSource.patient,
    )
    db.add(row)
    db.flush()
    return row


def days(n: int) -> timedelta:
    return timedelta(days=n)


def add_plan_with_goal(db, patient, *, proposed_by="patient"):
    from zelfzorg.izp.models import CarePlan, Goal, PlanAgreement
    from zelfzorg.patients.models import Condition

    db.add(Condition(patient_id=patient.id, code="T90.02", name="Diabetes mellitus type 2"))
    db.add(Condition(patient_id=patient.id, code="K86", name="Hypertensie"))
    plan = CarePlan(patient_id=patient.id, what_matters="Wandelen met de kleinkinderen")
    db.add(plan)
    db.flush()
    goal = Goal(
        plan_id=plan.id,
        patient_id=patient.id,
        title="HbA1c onder 53",
        domain="health",
        programmes=["DM2"],
        target_type="hba1c",
        target_comparator="<",
        target_value=53.0,
        target_unit="mmol/mol",
        due_date=AT.date() + timedelta(days=90),
        lifecycle="active",
        achievement="improving",
        proposed_by=proposed_by,
    )
    db.add(goal)
    db.add(
        PlanAgreement(
            plan_id=plan.id, patient_id=patient.id, what="Elke dag 30 minuten lopen", who="Gerda"
        )
    )
    db.flush()
    return plan, goal


def add_questionnaire_response(db, patient, user):
    from pathlib import Path

    import yaml

    from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus

    path = Path(__file__).parents[2] / "zelfzorg/assessment/data/semcd6.yaml"
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    version = InstrumentVersion(
        code="semcd6", version="1.0", kind="self_efficacy", definition=definition, checksum="x" * 64
    )
    db.add(version)
    db.flush()
    response = AssessmentResponse(
        patient_id=patient.id,
        instrument_version_id=version.id,
        instrument_code="semcd6",
        instrument_version="1.0",
        status=ResponseStatus.completed,
        answers={f"s{n}": 7 for n in range(1, 7)},
        answered_count=6,
        scorable=True,
        raw_score=7.0,
        score=7.0,
        filled_by_id=user.id,
        filled_by_role="patient",
        completed_at=AT,
    )
    db.add(response)
    db.flush()
    return version, response


def add_referral(db, world):
    from zelfzorg.leefstijl.models import Intervention, Referral

    intervention = Intervention(
        care_group_id=world.care_group.id,
        name="GLI CooL",
        kind="gli",
        provider="Leefstijlcoach Oost",
        criteria={"programme_in": ["DM2"]},
    )
    db.add(intervention)
    db.flush()
    referral = Referral(
        patient_id=world.patient.id,
        intervention_id=intervention.id,
        state="offered",
        state_since=AT.date(),
    )
    db.add(referral)
    db.flush()
    return referral
