import uuid
from datetime import UTC, datetime, timedelta

from tests.access import Rule, own_patient
from zelfzorg.telemonitoring.chartdata import AMSTERDAM
from zelfzorg.telemonitoring.models import (
    Alert,
    AlertStatus,
    DeviceToken,
    Measurement,
    MeasurementSource,
)

PATIENTS = frozenset({"patient", "patient_other"})
OWN_PRACTICE = frozenset({"professional"})
AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def measurement_params(world, db):
    row = Measurement(
        patient_id=world.patient.id,
        type_code="weight",
        value=80.0,
        unit="kg",
        measured_at=AT,
        source=MeasurementSource.patient,
        entered_by_id=world.patient_user.id,
    )
    db.add(row)
    db.flush()
    return {"measurement_id": row.id}


def alert_params(world, db):
    alert = Alert(
        patient_id=world.patient.id,
        rule_code="urgent",
        type_code="bp_systolic",
        dedup_key=f"urgent:bp_systolic:{uuid.uuid4().hex}",
        severity="urgent",
        status=AlertStatus.open,
        first_at=AT,
        last_at=AT,
        last_value=190.0,
        message="Zeer hoge waarde: %(value)s.",
        params={"value": {"nl": "190 mmHg", "en": "190 mmHg"}},
    )
    db.add(alert)
    db.flush()
    return {"alert_id": alert.id}


def token_params(world, db):
    token = DeviceToken(patient_id=world.patient.id, token_hash=uuid.uuid4().hex * 2, label="Meter")
    db.add(token)
    db.flush()
    return {"patient_id": world.patient.id, "token_id": token.id}


def now_fields() -> dict:
    local = datetime.now(AMSTERDAM) - timedelta(minutes=10)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}


def reading(_world, _db, _params) -> dict:
    return {**now_fields(), "weight": "80"}


def correction(_world, _db, _params) -> dict:
    return {**now_fields(), "value": "82", "note": "weegschaal"}


TARGET = {"type_code": "bp_systolic", "comparator": "<", "high": "150"}


def chart_params(world, db):
    return {"patient_id": world.patient.id, "type_code": "bp_systolic"}


RULES = {
    "telemonitoring.my_overview": Rule(PATIENTS),
    "telemonitoring.my_entry": Rule(PATIENTS, data=reading),
    "telemonitoring.my_chart": Rule(PATIENTS, lambda w, d: {"type_code": "weight"}),
    "telemonitoring.patient_overview": Rule(OWN_PRACTICE, own_patient),
    "telemonitoring.patient_entry": Rule(OWN_PRACTICE, own_patient, data=reading),
    "telemonitoring.patient_chart": Rule(OWN_PRACTICE, chart_params),
    "telemonitoring.set_target": Rule(OWN_PRACTICE, own_patient, data=TARGET),
    "telemonitoring.end_target": Rule(OWN_PRACTICE, own_patient, data={"type_code": "bp_systolic"}),
    "telemonitoring.create_token": Rule(OWN_PRACTICE, own_patient, data={"label": "Meter"}),
    "telemonitoring.revoke_token": Rule(OWN_PRACTICE, token_params),
    # The patient who entered it and their practice's professionals.
    "telemonitoring.correct": Rule(
        frozenset({"patient", "professional"}), measurement_params, data=correction
    ),
    "telemonitoring.alert_detail": Rule(OWN_PRACTICE, alert_params),
    "telemonitoring.acknowledge": Rule(OWN_PRACTICE, alert_params, data={"note": "Patiënt gebeld"}),
    # Token-authenticated only: a logged-in session without a device token gets 401.
    "telemonitoring.api_measurements": Rule(frozenset()),
}
