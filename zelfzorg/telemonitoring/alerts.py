"""Alerts in the database: evaluate the rules on new readings, keep one open alert per
(patient, rule, type), notify the practice's POHs of new urgent alerts, acknowledge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Discipline, User
from zelfzorg.accounts.scope import Actor, load_for
from zelfzorg.accounts.services import practice_staff
from zelfzorg.errors import N_, Conflict, Forbidden, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.services import endpoint_link, notify
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.models import Alert, AlertStatus, Measurement
from zelfzorg.telemonitoring.rules import AlertFinding, evaluate_trend, evaluate_urgent, rule_for
from zelfzorg.telemonitoring.targets import effective_targets
from zelfzorg.telemonitoring.types import load_types
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


class Reading(NamedTuple):
    """A new reading as a bulk import stored it (no ORM object, maybe no id yet): what
    :func:`evaluate_rows` reads. An urgent finding on a reading without an id is tied to its
    stored measurement by (patient, type, time, value)."""

    patient_id: int
    type_code: str
    value: float | None
    measured_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class _Hit:
    """One finding on one reading (or on the latest readings, for a trend)."""

    finding: AlertFinding
    value: float | None
    measurement_id: int | None
    at: datetime


CHUNK = 500  # keys per IN / VALUES list (two parameters each: within every limit)


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _open_alerts(session: Session, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Alert]:
    """The open alert of each (patient, dedup key) that has one: one query per chunk."""
    found: dict[tuple[int, str], Alert] = {}
    for chunk in _chunks(sorted(set(keys))):
        for alert in session.exec(
            select(Alert).where(
                sa.tuple_(Alert.patient_id, Alert.dedup_key).in_(chunk), Alert.open_slot == 1
            )
        ).all():
            found[(alert.patient_id, alert.dedup_key)] = alert
    return found


def _bump(session: Session, alert: Alert, hits: Sequence[_Hit]) -> Alert:
    """The findings of one (patient, rule, type), in time order, on its one open alert: as if
    each were recorded in turn (the count grows by one per finding, the last one is shown)."""
    last = hits[-1]
    alert.last_at = max(alert.last_at, *(h.at for h in hits))
    alert.occurrences += len(hits)
    alert.last_value = last.value
    alert.measurement_id = last.measurement_id
    alert.message = last.finding.message
    alert.params = params_to_json(last.finding.params)
    session.add(alert)
    return alert


def _new_alert(patient: Patient, hits: Sequence[_Hit]) -> Alert:
    first, last = hits[0], hits[-1]
    return Alert(
        patient_id=patient.id,
        rule_code=first.finding.rule_code,
        type_code=first.finding.type_code,
        dedup_key=first.finding.dedup_key,
        severity=first.finding.severity,
        status=AlertStatus.open,
        open_slot=1,
        first_at=first.at,
        last_at=max(h.at for h in hits),
        occurrences=len(hits),
        last_value=last.value,
        measurement_id=last.measurement_id,
        message=last.finding.message,
        params=params_to_json(last.finding.params),
    )


def _open_one(session: Session, patient: Patient, hits: Sequence[_Hit]) -> tuple[Alert, bool]:
    """A new open alert in its own savepoint; ``(alert, True)``. When another request opened
    it in between, its findings go on that one: ``(that alert, False)``."""
    alert = _new_alert(patient, hits)
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        found = session.exec(
            select(Alert).where(
                Alert.patient_id == patient.id,
                Alert.dedup_key == hits[0].finding.dedup_key,
                Alert.open_slot == 1,
            )
        ).first()
        if found is None:
            raise
        return _bump(session, found, hits), False
    return alert, True


def _apply_all(
    session: Session,
    applied: Sequence[tuple[Patient, Sequence[_Hit]]],
    existing: Mapping[tuple[int, str], Alert],
) -> list[Alert]:
    """Each (patient, findings) on its open alert, or on a new one. The new ones are inserted
    together in one savepoint (one flush); when one of them was opened by another request
    in between (the unique open slot), each is opened on its own as ``_open_one`` does."""
    alerts: list[Alert] = []
    fresh: list[tuple[int, Patient, Sequence[_Hit]]] = []
    for patient, hits in applied:
        found = existing.get((patient.id, hits[0].finding.dedup_key))  # type: ignore[arg-type]
        if found is not None:
            alerts.append(_bump(session, found, hits))
        else:
            fresh.append((len(alerts), patient, hits))
            alerts.append(None)  # type: ignore[arg-type]
    if not fresh:
        return alerts
    opened: list[tuple[Alert, Patient]] = []
    try:
        with session.begin_nested():
            made = [_new_alert(patient, hits) for _i, patient, hits in fresh]
            session.add_all(made)
        for (i, patient, _hits), alert in zip(fresh, made, strict=True):
            alerts[i] = alert
            opened.append((alert, patient))
    except IntegrityError:
        for i, patient, hits in fresh:
            alerts[i], new = _open_one(session, patient, hits)
            if new:
                opened.append((alerts[i], patient))
    for alert, patient in opened:
        if alert.severity == "urgent":
            _notify_urgent(session, patient, alert)
    return alerts


def _notify_urgent(session: Session, patient: Patient, alert: Alert) -> None:
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


def _recent_values(
    session: Session, keys: Sequence[tuple[int, str]], window: int
) -> dict[tuple[int, str], list[tuple[int, float, datetime]]]:
    """The latest ``window`` current readings with a value of each (patient, type), newest
    first: one statement per chunk of keys, each key read through the (patient, type, time)
    index with its own LIMIT (PostgreSQL: LATERAL; SQLite: a correlated rowid list)."""
    found: dict[tuple[int, str], list[tuple[int, float, datetime]]] = {k: [] for k in keys}
    latest = (
        "SELECT m2.{col} FROM measurement m2 WHERE m2.patient_id = k.pid AND "
        "m2.type_code = k.code AND m2.superseded_at IS NULL AND m2.value IS NOT NULL "
        "ORDER BY m2.measured_at DESC, m2.id DESC LIMIT :window"
    )
    postgresql = session.get_bind().dialect.name == "postgresql"
    for chunk in _chunks(sorted(set(keys))):
        params: dict[str, object] = {"window": window}
        values = []
        for n, (pid, code) in enumerate(chunk):
            params[f"p{n}"], params[f"c{n}"] = pid, code
            values.append(f"(:p{n}, :c{n})")
        head = f"WITH k(pid, code) AS (VALUES {', '.join(values)}) SELECT k.pid, k.code, "
        if postgresql:
            body = latest.replace("m2.{col}", "m2.id, m2.value, m2.measured_at")
            sql = f"{head}m.id, m.value, m.measured_at FROM k CROSS JOIN LATERAL ({body}) m"
        else:
            sql = (
                f"{head}m.id, m.value, m.measured_at FROM k JOIN measurement m "
                f"ON m.id IN ({latest.format(col='id')})"
            )
        statement = sa.text(sql).columns(
            sa.column("pid", sa.Integer),
            sa.column("code", sa.String),
            sa.column("id", sa.Integer),
            sa.column("value", sa.Float),
            Measurement.__table__.c.measured_at,
        )
        for pid, code, mid, value, at in session.execute(statement, params):
            found[(pid, code)].append((mid, value, at))
    for rows in found.values():
        rows.sort(key=lambda r: (r[2], r[0]), reverse=True)
    return found


def _with_measurement_ids(
    session: Session, hits: dict[tuple[int, str], list[_Hit]]
) -> dict[tuple[int, str], list[_Hit]]:
    """Urgent findings on readings a bulk import stored without reading their ids back: the
    id of the stored (current) measurement of that patient, type, time and value, one
    statement per chunk of findings. Findings are few; the import's rows are not read back."""
    wanted = [(pid, code, h) for (pid, code), found in hits.items() for h in found]
    wanted = [w for w in wanted if w[2].measurement_id is None]
    if not wanted:
        return hits
    ids: dict[tuple[int, str, datetime, float | None], int] = {}
    for chunk in _chunks(wanted):
        query = select(
            Measurement.id,
            Measurement.patient_id,
            Measurement.type_code,
            Measurement.measured_at,
            Measurement.value,
        ).where(
            col(Measurement.superseded_at).is_(None),
            sa.tuple_(
                col(Measurement.patient_id),
                col(Measurement.type_code),
                col(Measurement.measured_at),
            ).in_([(pid, code, h.at) for pid, code, h in chunk]),
        )
        for mid, pid, code, at, value in session.exec(query):
            key = (pid, code, at, value)
            ids[key] = max(mid, ids.get(key, mid))  # type: ignore[arg-type]
    return {
        (pid, code): [
            h
            if h.measurement_id is not None
            else replace(h, measurement_id=ids.get((pid, code, h.at, h.value)))
            for h in found
        ]
        for (pid, code), found in hits.items()
    }


def evaluate_new_readings(
    session: Session,
    patient: Patient,
    type_code: str,
    new_rows: Sequence[Measurement],
    *,
    now: datetime,
) -> list[Alert]:
    """Run the urgent rule on each new reading and the trend rule on the latest readings."""
    return _evaluate(session, {(patient.id, type_code): list(new_rows)}, {patient.id: patient}, now)  # type: ignore[dict-item]


def evaluate_rows(
    session: Session, rows: Iterable[Measurement | Reading], *, now: datetime
) -> list[Alert]:
    """Group new rows per (patient, type) and evaluate the groups together: the statement
    count grows with the number of (patient, type) pairs divided by the chunk and with the
    alerts found, not with the rows. Every path that stores readings (entry, correction,
    device API, CSV and FHIR import) calls this once with what it stored."""
    groups: dict[tuple[int, str], list[Measurement]] = {}
    for row in rows:
        groups.setdefault((row.patient_id, row.type_code), []).append(row)
    return _evaluate(session, groups, {}, now)


def _evaluate(
    session: Session,
    groups: Mapping[tuple[int, str], Sequence[Measurement]],
    patients: dict[int, Patient],
    now: datetime,
) -> list[Alert]:
    types = load_types()
    groups = {k: v for k, v in groups.items() if v and types[k[1]].is_quantity}
    hits: dict[tuple[int, str], list[_Hit]] = {}  # (patient, type) -> urgent findings
    for (pid, code), members in groups.items():
        urgent = rule_for(code, "urgent")
        if urgent is None:
            continue
        mtype = types[code]
        for row in sorted(members, key=lambda r: r.measured_at):
            if row.value is None or row.measured_at < now - URGENT_MAX_AGE:
                continue
            finding = evaluate_urgent(mtype, row.value, rule=urgent)
            if finding is not None:
                hits.setdefault((pid, code), []).append(
                    _Hit(finding, row.value, row.id, row.measured_at)
                )
    trends = {code: rule_for(code, "trend") for _pid, code in groups}
    trend_keys = [k for k in groups if trends[k[1]] is not None]
    targets: dict[tuple[int, str], object] = {}
    trend_codes = sorted({code for _pid, code in trend_keys})
    for chunk in _chunks(sorted({pid for pid, _code in trend_keys})):
        targets.update(effective_targets(session, chunk, trend_codes))
    trend_keys = [k for k in trend_keys if targets.get(k) is not None]
    window = max((trends[code].window for _pid, code in trend_keys), default=0)  # type: ignore[union-attr]
    recent = _recent_values(session, trend_keys, window) if trend_keys else {}
    trend_hits: dict[tuple[int, str], _Hit] = {}
    for key in trend_keys:
        rule = trends[key[1]]
        assert rule is not None
        latest = recent[key][: rule.window]
        finding = evaluate_trend(rule, targets[key], [v for _id, v, _t in reversed(latest)])  # type: ignore[arg-type]
        if finding is not None and latest:
            latest_id, latest_value, latest_at = latest[0]
            trend_hits[key] = _Hit(finding, latest_value, latest_id, latest_at)
    if not hits and not trend_hits:
        return []
    hits = _with_measurement_ids(session, hits)
    found_keys = [(pid, h[0].finding.dedup_key) for (pid, _c), h in hits.items()]
    found_keys += [(pid, h.finding.dedup_key) for (pid, _c), h in trend_hits.items()]
    existing = _open_alerts(session, found_keys)
    missing = sorted({pid for pid, _key in found_keys} - set(patients))
    for chunk in _chunks(missing):
        for p in session.exec(select(Patient).where(col(Patient.id).in_(chunk))).all():
            patients[p.id] = p  # type: ignore[index]
    applied: list[tuple[Patient, Sequence[_Hit]]] = []
    for key in groups:
        if key in hits:
            applied.append((patients[key[0]], hits[key]))
        if key in trend_hits:
            applied.append((patients[key[0]], [trend_hits[key]]))
    alerts = _apply_all(session, applied, existing)
    session.flush()
    return alerts


def load_alert(session: Session, actor: Actor, alert_id: int, *, write: bool = False) -> Alert:
    """An alert of a patient the professional may reach (audited)."""
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    return load_for(session, actor, Alert, alert_id, write=write)


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
