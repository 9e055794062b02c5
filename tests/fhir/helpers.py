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
