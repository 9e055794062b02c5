"""Hand-built comparison groups for the outcome tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from tests.factories import make_patient
from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus
from zelfzorg.assessment.versions import current_version, sync_builtins
from zelfzorg.izp.models import CarePlan, Goal
from zelfzorg.patients.models import Patient, Programme, Sex
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.telemonitoring.types import load_types

TODAY = date(2026, 3, 2)
RECENT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
# world.patient: Gerda, female, born 1955-03-14, so 70 on TODAY: band 70-79.
PEER_BORN = date(1950, 6, 1)


def measure(
    db, patient: Patient, value: float | str, *, at: datetime = RECENT, code: str = "hba1c"
):
    """A current measurement; a str value is a coded state (smoking_status)."""
    mtype = load_types()[code]
    coded = isinstance(value, str)
    row = Measurement(
        patient_id=patient.id,
        type_code=code,
        value=None if coded else value,
        value_code=value if coded else None,
        unit=mtype.unit or "",
        measured_at=at,
        source=MeasurementSource.professional,
    )
    db.add(row)
    db.flush()
    return row


def peers(
    db,
    practice,
    values,
    *,
    sex: Sex = Sex.female,
    born: date = PEER_BORN,
    at: datetime = RECENT,
    code: str = "hba1c",
    programmes=(Programme.DM2,),
) -> list[Patient]:
    """One patient per value, each with that value as their latest measurement."""
    made = []
    for value in values:
        patient = make_patient(db, practice, sex=sex, born=born, programmes=programmes)
        if value is not None:
            measure(db, patient, value, at=at, code=code)
        made.append(patient)
    return made


def questionnaire(db, patient: Patient, score: float, *, code: str = "who5", at=RECENT):
    sync_builtins(db)
    version = current_version(db, code, None)
    assert version is not None
    row = AssessmentResponse(
        patient_id=patient.id,
        instrument_version_id=version.id,
        instrument_code=code,
        instrument_version=version.version,
        status=ResponseStatus.completed,
        answers={},
        answered_count=5,
        scorable=True,
        score=score,
        raw_score=score / 4,
        filled_by_role="patient",
        started_at=at,
        completed_at=at,
    )
    db.add(row)
    db.flush()
    return row


def goal(
    db,
    patient: Patient,
    *,
    type_code: str = "bp_systolic",
    comparator: str = "<",
    value: float = 140,
    created: datetime = datetime(2024, 6, 1, 9, 0, tzinfo=UTC),
    lifecycle: str = "active",
    programmes: tuple[str, ...] = ("CVRM",),
):
    """A goal with a measurable target, started (created) at ``created``."""
    plan = db.exec(select(CarePlan).where(CarePlan.patient_id == patient.id)).first()
    if plan is None:
        plan = CarePlan(patient_id=patient.id)
        db.add(plan)
        db.flush()
    row = Goal(
        plan_id=plan.id,
        patient_id=patient.id,
        title="Bloeddruk omlaag",
        domain="health",
        programmes=list(programmes),
        target_type=type_code,
        target_comparator=comparator,
        target_value=value,
        target_unit=load_types()[type_code].unit,
        lifecycle=lifecycle,
        proposed_by="professional",
        created_at=created,
        updated_at=created,
    )
    db.add(row)
    db.flush()
    return row
