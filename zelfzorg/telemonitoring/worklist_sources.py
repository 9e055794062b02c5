"""Worklist sources: open urgent and trend alerts of the practice (one query for both)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.patients.models import Patient
from zelfzorg.patients.population import practice_on
from zelfzorg.telemonitoring.alerts import params_from_json
from zelfzorg.telemonitoring.models import Alert, AlertStatus
from zelfzorg.telemonitoring.types import load_types
from zelfzorg.worklist import RANKS, WorklistItem, register_source


def alert_items(session: Session, practice_ids: Collection[int], today: date) -> list[WorklistItem]:
    # Every patient of the practice, enrolled or not: an urgent value is never hidden.
    place = practice_on(today)
    rows = session.exec(
        select(Alert, Patient.given_name, Patient.family_name, place.c.practice_id)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .join(place, place.c.patient_id == Patient.id)
        .where(place.c.practice_id.in_(list(practice_ids)), Alert.status == AlertStatus.open)
        .order_by(col(Alert.last_at).desc())
    ).all()
    types = load_types()
    items = []
    for alert, given, family, practice_id in rows:
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
                practice_id=practice_id,
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
