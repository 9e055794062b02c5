"""Hand-built comparison groups for the outcome tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.factories import make_patient
from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus
from zelfzorg.assessment.versions import current_version, sync_builtins
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
