"""Worklist sources: open urgent and trend alerts of the practice (one query for both)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.alerts import params_from_json
from zelfzorg.telemonitoring.models import Alert, AlertStatus
from zelfzorg.telemonitoring.types import load_types
from zelfzorg.worklist import RANKS, WorklistItem, register_source


def alert_items(session: Session, practice_id: int, today: date) -> list[WorklistItem]:
    rows = session.exec(
        select(Alert, Patient.given_name, Patient.family_name)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .where(Patient.practice_id == practice_id, Alert.status == AlertStatus.open)
        .order_by(col(Alert.last_at).desc())
    ).all()
    types = load_types()
    items = []
    for alert, given, family in rows:
        kind = "urgent_alert" if alert.severity == "urgent" else "trend_alert"
        params = params_from_json(alert.params)
        params["type"] = (
            types[alert.type_code].name if alert.type_code in types else alert.type_code
        )
        items.append(
            WorklistItem(
                patient_id=alert.patient_id,
                patient_name=f"{given} {family}",
                kind=kind,
                rank=RANKS[kind],
                message=alert.message,
                params=params,
                endpoint="telemonitoring.alert_detail",
                endpoint_args={"alert_id": alert.id},
                due=alert.last_at,
            )
        )
    return items


register_source(
    "telemonitoring_alerts",
    alert_items,
    {
        "urgent_alert": N_("Dringende signalen"),
        "trend_alert": N_("Trendsignalen"),
    },
)
