"""Worklist source: open urgent and trend alerts of the practice (one reason per alert)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.telemonitoring.alerts import params_from_json
from zelfzorg.telemonitoring.models import Alert, AlertStatus
from zelfzorg.telemonitoring.types import load_types
from zelfzorg.worklist import (
    RANKS,
    Reason,
    WorklistItem,
    practice_place,
    reason_select,
    register_source,
)


def alert_reasons(session: Session, practice_ids: list[int], today: date) -> sa.Select:
    # Every patient of the practice, enrolled or not: an urgent value is never hidden.
    place = practice_place(practice_ids, today)
    urgent = Alert.severity == "urgent"
    return (
        select(
            *reason_select(
                patient_id=Alert.patient_id,
                practice_id=place.c.practice_id,
                kind=sa.case((urgent, "urgent_alert"), else_="trend_alert"),
                rank=sa.case((urgent, RANKS["urgent_alert"]), else_=RANKS["trend_alert"]),
                ref_id=Alert.id,
                at=Alert.last_at,
            )
        )
        .join(place, place.c.patient_id == Alert.patient_id)
        .where(Alert.status == AlertStatus.open)
    )


def describe_alerts(session: Session, reasons: Sequence[Reason], today: date) -> list[WorklistItem]:
    """One query for the alerts of the shown page."""
    found = {r.ref_id: r for r in reasons}
    alerts = session.exec(select(Alert).where(col(Alert.id).in_(list(found)))).all()
    types = load_types()
    items = []
    for alert in alerts:
        reason = found[alert.id]
        params = params_from_json(alert.params)
        params["type"] = (
            types[alert.type_code].name if alert.type_code in types else alert.type_code
        )
        items.append(
            WorklistItem(
                patient_id=alert.patient_id,
                patient_name="",
                kind=reason.kind,
                rank=reason.rank,
                message=alert.message,
                params=params,
                endpoint="telemonitoring.alert_detail",
                endpoint_args={"alert_id": alert.id},
                due=alert.last_at,
                practice_id=reason.practice_id,
                type_code=alert.type_code,
            )
        )
    return items


def alert_items(session: Session, practice_ids, today: date) -> list[WorklistItem]:
    """Every alert line of the practices (unpaged)."""
    from zelfzorg.worklist import source_items

    return source_items(session, "telemonitoring_alerts", practice_ids, today)


register_source(
    "telemonitoring_alerts",
    alert_reasons,
    describe_alerts,
    {
        "urgent_alert": N_("Dringend signaal"),
        "trend_alert": N_("Trendsignaal"),
    },
)
