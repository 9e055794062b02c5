"""Demo readings: about 40% of the demo patients telemonitor for two years (home blood
pressure weeks, daily weight in heart failure, fasting glucose and HbA1c in diabetes), some
out of range, with the alerts the rules raise; part of them acknowledged by the POH."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, select

from zelfzorg.patients.models import Programme
from zelfzorg.telemonitoring.alerts import evaluate_new_readings
from zelfzorg.telemonitoring.models import Alert, AlertStatus, Measurement, MeasurementSource
from zelfzorg.telemonitoring.plausibility import bmi

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")
DAYS = 730
NOTES = (
    "Patiënt gebeld; meet opnieuw over een week.",
    "Besproken op het spreekuur, medicatie aangepast.",
    "Meetfout: manchet verkeerd om. Opnieuw gemeten, waarde normaal.",
    "Huisarts ingelicht, controle volgende week.",
)


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM).astimezone(UTC)


def seed(session: Session, ctx) -> None:
    rng = ctx.rng
    chosen = [ctx.demo_patient] + [
        p for p in ctx.patients if p.id != ctx.demo_patient.id and rng.random() < 0.4
    ]
    rows: list[dict] = []
    last: dict[tuple[int, str], dict] = {}

    def add(patient_id: int, code: str, unit: str, value: float, at: datetime, source_id: str):
        if at > ctx.now:
            return
        row = {
            "patient_id": patient_id,
            "type_code": code,
            "value": round(value, 1),
            "unit": unit,
            "measured_at": at,
            "source": MeasurementSource.device
            if source_id.startswith("dev")
            else MeasurementSource.patient,
            "source_id": source_id,
            "note": "",
            "created_at": at,
        }
        rows.append(row)
        key = (patient_id, code)
        if key not in last or last[key]["measured_at"] <= at:
            last[key] = row

    start = ctx.today - timedelta(days=DAYS)
    for patient in chosen:
        pid = patient.id
        programmes = set(ctx.programmes.get(pid, []))
        height = rng.gauss(172 if patient.sex == "male" else 164, 7)
        add(pid, "height", "cm", round(height), _at(start, 10), f"h-{pid}")
        weight = rng.gauss(88, 14)
        # Blood pressure: a home measurement week every 3 months (2 morning + 2 evening).
        high_bp = rng.random() < 0.35
        sys_base = rng.gauss(152 if high_bp else 132, 6)
        for week in range(0, DAYS, 91):
            for d in range(7):
                day = start + timedelta(days=week + d)
                for n, (hour, minute) in enumerate(((7, 30), (7, 35), (21, 0), (21, 5))):
                    systolic = sys_base + rng.gauss(0, 8) - week / DAYS * 6
                    diastolic = systolic * 0.58 + rng.gauss(0, 4)
                    at = _at(day, hour, minute)
                    add(
                        pid,
                        "bp_systolic",
                        "mm[Hg]",
                        round(systolic),
                        at,
                        f"bp-{pid}-{week}-{d}-{n}s",
                    )
                    add(
                        pid,
                        "bp_diastolic",
                        "mm[Hg]",
                        round(diastolic),
                        at,
                        f"bp-{pid}-{week}-{d}-{n}d",
                    )
        if Programme.hartfalen in programmes:
            for d in range(DAYS):
                weight += rng.gauss(0, 0.35) + (0.6 if rng.random() < 0.01 else 0)
                add(
                    pid,
                    "weight",
                    "kg",
                    weight,
                    _at(start + timedelta(days=d), 7, 15),
                    f"dev-w-{pid}-{d}",
                )
        else:
            for month in range(0, DAYS, 30):
                weight += rng.gauss(-0.1, 0.8)
                day = start + timedelta(days=month + rng.randint(0, 5))
                at = _at(day, 8)
                add(pid, "weight", "kg", weight, at, f"w-{pid}-{month}")
                add(pid, "bmi", "kg/m2", bmi(weight, round(height)), at, f"bmi-{pid}-{month}")
        if Programme.DM2 in programmes:
            glucose_base = rng.gauss(7.8, 1.0)
            for d in range(0, DAYS, 2):
                value = max(3.2, glucose_base + rng.gauss(0, 1.1))
                add(
                    pid,
                    "glucose_fasting",
                    "mmol/L",
                    value,
                    _at(start + timedelta(days=d), 7, 45),
                    f"g-{pid}-{d}",
                )
            hba1c = rng.gauss(55, 7)
            d = rng.randint(0, 60)
            while d < DAYS:
                hba1c += rng.gauss(-0.5, 3)
                add(
                    pid,
                    "hba1c",
                    "mmol/mol",
                    round(hba1c),
                    _at(start + timedelta(days=d), 9),
                    f"a1c-{pid}-{d}",
                )
                d += rng.randint(90, 180)
        # A few patients measured a very high pressure in the last days.
        if rng.random() < 0.15:
            at = ctx.now - timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 10))
            add(pid, "bp_systolic", "mm[Hg]", rng.randint(182, 200), at, f"bp-{pid}-urgent-s")
            add(pid, "bp_diastolic", "mm[Hg]", rng.randint(95, 108), at, f"bp-{pid}-urgent-d")
    for i in range(0, len(rows), 5000):
        session.execute(insert(Measurement), rows[i : i + 5000])
    session.flush()

    # Let the rules decide which alerts the latest readings raise.
    patients = {p.id: p for p in chosen}
    for (pid, code), row in sorted(last.items()):
        reading = SimpleNamespace(id=None, value=row["value"], measured_at=row["measured_at"])
        evaluate_new_readings(session, patients[pid], code, [reading], now=ctx.now)  # type: ignore[list-item]
    session.flush()
    opened = session.exec(
        select(Alert).where(col(Alert.patient_id).in_(list(patients))).order_by(Alert.id)
    ).all()
    for alert in opened:
        if alert.patient_id != ctx.demo_patient.id and rng.random() < 0.4:
            alert.status = AlertStatus.acknowledged
            alert.open_slot = None
            alert.acknowledged_by_id = ctx.pohs[patients[alert.patient_id].practice_id].id
            alert.acknowledged_at = min(
                ctx.now, alert.last_at + timedelta(hours=rng.randint(2, 30))
            )
            alert.note = rng.choice(NOTES)
            session.add(alert)
    session.flush()
    ctx.progress(f"  {len(rows)} readings for {len(chosen)} patients, {len(opened)} alerts")
