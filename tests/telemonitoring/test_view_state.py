"""Who may correct a reading (telemonitoring.services.can_correct): the overview offers it
only where the correction service accepts it."""

from __future__ import annotations

from datetime import UTC, datetime

from zelfzorg.telemonitoring import services
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _row(db, world, *, source, type_code="weight", unit="kg", value=80.0) -> Measurement:
    row = Measurement(
        patient_id=world.patient.id,
        type_code=type_code,
        value=value,
        unit=unit,
        measured_at=AT,
        source=source,
    )
    db.add(row)
    db.flush()
    return row


def test_patients_correct_only_their_own_entries_and_professionals_any(db, world):
    own = _row(db, world, source=MeasurementSource.patient)
    device = _row(db, world, source=MeasurementSource.device)
    patient, poh = world.actor(world.patient_user), world.actor(world.poh)
    assert services.can_correct(patient, own) and not services.can_correct(patient, device)
    assert services.can_correct(poh, own) and services.can_correct(poh, device)
    overview = services.overview(db, patient, world.patient.id)
    assert overview.correctable == {own.id}


def test_derived_and_superseded_values_are_not_offered(db, world):
    bmi = _row(db, world, source=MeasurementSource.professional, type_code="bmi", unit="kg/m2")
    old = _row(db, world, source=MeasurementSource.professional)
    old.superseded_at = AT
    poh = world.actor(world.poh)
    assert not services.can_correct(poh, bmi) and not services.can_correct(poh, old)
