"""Alerts in the database: evaluate the rules on new readings, keep one open alert per
(patient, rule, type), notify the practice's POHs of new urgent alerts, acknowledge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Discipline, User
from zelfzorg.accounts.scope import Actor, get_patient_for, not_found
from zelfzorg.accounts.services import practice_staff
from zelfzorg.errors import N_, Conflict, Forbidden, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.services import endpoint_link, notify
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.models import Alert, AlertStatus, Measurement
from zelfzorg.telemonitoring.rules import AlertFinding, evaluate_trend, evaluate_urgent, rule_for
from zelfzorg.telemonitoring.targets import effective_target
from zelfzorg.telemonitoring.types import get_type
from zelfzorg.texts import Text

#: A single urgent reading older than this is history (an import of old data), not a call
#: to act now: it raises no urgent alert. Trends are always evaluated on the latest readings.
URGENT_MAX_AGE = timedelta(days=30)
NOTE_MAX = 1000


def params_to_json(params: Mapping[str, object]) -> dict:
    return {k: ({"nl": v.nl, "en": v.en} if isinstance(v, Text) else v) for k, v in params.items()}


def params_from_json(params: Mapping[str, object]) -> dict:
    """Stored params back to message params: {"nl", "en"} pairs become ``Text``."""
    return {
        k: Text(nl=str(v["nl"]), en=str(v["en"]))
        if isinstance(v, dict) and set(v) == {"nl", "en"}
        else v
        for k, v in (params or {}).items()
    }


def _poh_recipients(session: Session, practice_id: int) -> list[int]:
    # Everyone working for the practice, members from elsewhere included.
    staff = [(u.id, u.discipline) for u in practice_staff(session, practice_id)]
    pohs = [uid for uid, discipline in staff if discipline == Discipline.poh]
    # A practice without a POH account still hears about urgent values.
    return pohs or [uid for uid, _ in staff]


def record_finding(
    session: Session,
    *,
    patient: Patient,
    finding: AlertFinding,
    value: float | None,
    measurement_id: int | None,
    at: datetime,
) -> Alert:
    """Open an alert for the finding, or update the open one of the same rule and type."""
    key = finding.dedup_key
    params = params_to_json(finding.params)

    def open_alert() -> Alert | None:
        return session.exec(
            select(Alert).where(
                Alert.patient_id == patient.id, Alert.dedup_key == key, Alert.open_slot == 1
            )
        ).first()

    def bump(alert: Alert) -> Alert:
        alert.last_at = max(alert.last_at, at)
        alert.occurrences += 1
        alert.last_value = value
        alert.measurement_id = measurement_id
        alert.message = finding.message
        alert.params = params
        session.add(alert)
        session.flush()
        return alert

    existing = open_alert()
    if existing is not None:
        return bump(existing)
    alert = Alert(
        patient_id=patient.id,
        rule_code=finding.rule_code,
        type_code=finding.type_code,
        dedup_key=key,
        severity=finding.severity,
        status=AlertStatus.open,
        open_slot=1,
        first_at=at,
        last_at=at,
        occurrences=1,
        last_value=value,
        measurement_id=measurement_id,
        message=finding.message,
        params=params,
    )
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:  # another request opened it in between: update that one
        existing = open_alert()
        if existing is None:
            raise
        return bump(existing)
    if finding.severity == "urgent":
        for user_id in _poh_recipients(session, patient.practice_id):
            notify(
                session,
                user_id=user_id,
                key=f"alert:{alert.id}",
                kind="urgent_alert",
                message=N_("Dringend signaal bij %(patient)s: een zeer hoge of lage meting."),
                params={"patient": patient.full_name},
                link=endpoint_link("telemonitoring.alert_detail", alert_id=alert.id),
                patient_id=patient.id,
            )
    return alert


def evaluate_new_readings(
    session: Session,
    patient: Patient,
    type_code: str,
    new_rows: Sequence[Measurement],
    *,
    now: datetime,
) -> list[Alert]:
    """Run the urgent rule on each new reading and the trend rule on the latest readings."""
    mtype = get_type(type_code)
    if not mtype.is_quantity:
        return []
    alerts: list[Alert] = []
    urgent = rule_for(type_code, "urgent")
    if urgent is not None:
        for row in sorted(new_rows, key=lambda r: r.measured_at):
            if row.value is None or row.measured_at < now - URGENT_MAX_AGE:
                continue
            finding = evaluate_urgent(mtype, row.value, rule=urgent)
            if finding is not None:
                alerts.append(
                    record_finding(
                        session,
                        patient=patient,
                        finding=finding,
                        value=row.value,
                        measurement_id=row.id,
                        at=row.measured_at,
                    )
                )
    trend = rule_for(type_code, "trend")
    if trend is not None and new_rows:
        target = effective_target(session, patient.id, type_code)
        if target is not None:
            recent = session.exec(
                select(Measurement.id, Measurement.value, Measurement.measured_at)
                .where(
                    Measurement.patient_id == patient.id,
                    Measurement.type_code == type_code,
                    col(Measurement.superseded_at).is_(None),
                    col(Measurement.value).is_not(None),
                )
                .order_by(col(Measurement.measured_at).desc(), col(Measurement.id).desc())
                .limit(trend.window)
            ).all()
            values = [v for _id, v, _t in reversed(recent)]
            finding = evaluate_trend(trend, target, values)
            if finding is not None and recent:
                latest_id, latest_value, latest_at = recent[0]
                alerts.append(
                    record_finding(
                        session,
                        patient=patient,
                        finding=finding,
                        value=latest_value,
                        measurement_id=latest_id,
                        at=latest_at,
                    )
                )
    return alerts


def evaluate_rows(session: Session, rows: Iterable[Measurement], *, now: datetime) -> list[Alert]:
    """Group new rows per (patient, type) and evaluate each group once."""
    groups: dict[tuple[int, str], list[Measurement]] = {}
    for row in rows:
        groups.setdefault((row.patient_id, row.type_code), []).append(row)
    patients = (
        {
            p.id: p
            for p in session.exec(
                select(Patient).where(col(Patient.id).in_({pid for pid, _ in groups}))
            ).all()
        }
        if groups
        else {}
    )
    alerts: list[Alert] = []
    for (pid, code), members in groups.items():
        alerts += evaluate_new_readings(session, patients[pid], code, members, now=now)
    return alerts


def load_alert(session: Session, actor: Actor, alert_id: int, *, write: bool = False) -> Alert:
    """An alert of a patient the professional may reach (audited)."""
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise not_found(
            session,
            actor,
            object_type="Alert",
            object_id=alert_id,
            write=write,
            message=N_("Dit signaal bestaat niet of u heeft er geen toegang toe."),
        )
    get_patient_for(
        session,
        actor,
        alert.patient_id,
        write=write,
        object_type="Alert",
        object_id=alert.id,
    )
    return alert


def acknowledge(
    session: Session, actor: Actor, alert_id: int, *, note: str, now: datetime | None = None
) -> Alert:
    """The POH has seen the alert and says what was done; a later reading opens a new one."""
    alert = load_alert(session, actor, alert_id, write=True)
    note = (note or "").strip()
    if not note or len(note) > NOTE_MAX:
        raise ValidationError(
            N_("Schrijf kort op wat u met dit signaal gedaan hebt (hoogstens 1000 tekens)."),
            field="note",
        )
    now = now or utcnow()
    # Conditional update: of two people acknowledging at once, exactly one wins.
    result = session.execute(
        sa.update(Alert)
        .where(col(Alert.id) == alert.id, col(Alert.status) == AlertStatus.open)
        .values(
            status=AlertStatus.acknowledged,
            open_slot=None,
            acknowledged_by_id=actor.user_id,
            acknowledged_at=now,
            note=note,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(alert)
    if result.rowcount == 0:
        who = session.get(User, alert.acknowledged_by_id) if alert.acknowledged_by_id else None
        raise Conflict(
            N_("Dit signaal is al afgehandeld door %(name)s. Uw notitie is niet opgeslagen."),
            current=alert,
            name=who.name if who else "?",
        )
    return alert


def alerts_for_patient(session: Session, patient_id: int, *, limit: int = 20) -> list[Alert]:
    """Open alerts first, then the most recent acknowledged ones."""
    return list(
        session.exec(
            select(Alert)
            .where(Alert.patient_id == patient_id)
            .order_by(
                sa.case((col(Alert.status) == AlertStatus.open, 0), else_=1),
                sa.case((col(Alert.severity) == "urgent", 0), else_=1),
                col(Alert.last_at).desc(),
            )
            .limit(limit)
        ).all()
    )
