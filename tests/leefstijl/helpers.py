"""Factories for lifestyle tests: catalogue entries, measurements, referrals in a state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)

GLI_CRITERIA = {
    "all": [
        {"programme_in": ["DM2", "CVRM"]},
        {"measurement": "bmi", "op": ">=", "value": 25},
    ]
}

# The path from a new referral to each state, through the lifecycle.
PATH = {
    rs.PROPOSED: [],
    rs.OFFERED: [rs.OFFERED],
    rs.ACCEPTED: [rs.OFFERED, rs.ACCEPTED],
    rs.STARTED: [rs.OFFERED, rs.ACCEPTED, rs.STARTED],
    rs.COMPLETED: [rs.OFFERED, rs.ACCEPTED, rs.STARTED, rs.COMPLETED],
    rs.STOPPED: [rs.OFFERED, rs.ACCEPTED, rs.STARTED, rs.STOPPED],
    rs.DECLINED: [rs.OFFERED, rs.DECLINED],
}


def make_intervention(
    db: Session,
    care_group_id: int,
    *,
    name: str = "CooL",
    kind: str = "gli",
    criteria: dict | None = None,
    internet_based: bool = False,
    conform: bool = True,
    programmes: tuple[str, ...] = ("DM2", "CVRM"),
    active: bool = True,
) -> Intervention:
    intervention = Intervention(
        care_group_id=care_group_id,
        name=name,
        kind=kind,
        provider="Leefstijlcoach Tiel",
        internet_based=internet_based,
        zorgstandaard_conform=conform,
        insured=True,
        programmes=list(programmes),
        description_nl="Twee jaar begeleiding bij gezonder eten en meer bewegen.",
        description_en="Two years of coaching on healthier eating and more exercise.",
        criteria=criteria or GLI_CRITERIA,
        active=active,
    )
    db.add(intervention)
    db.flush()
    return intervention


def add_measurement(
    db: Session,
    patient_id: int,
    code: str,
    value: float | None = None,
    *,
    value_code: str | None = None,
    at: datetime = NOW - timedelta(days=30),
    superseded: bool = False,
    unit: str = "kg/m2",
) -> Measurement:
    row = Measurement(
        patient_id=patient_id,
        type_code=code,
        value=value,
        value_code=value_code,
        unit=unit,
        measured_at=at,
        source=MeasurementSource.professional,
        superseded_at=at + timedelta(days=1) if superseded else None,
    )
    db.add(row)
    db.flush()
    return row


def add_activation(
    db: Session, patient_id: int, level: int, *, at: datetime = NOW, code: str = "activation"
) -> None:
    version = InstrumentVersion(
        code=code,
        version=f"t{patient_id}-{level}-{at.timestamp()}",
        kind="activation",
        definition={},
        checksum="x",
    )
    db.add(version)
    db.flush()
    db.add(
        AssessmentResponse(
            patient_id=patient_id,
            instrument_version_id=version.id,
            instrument_code=code,
            instrument_version=version.version,
            status=ResponseStatus.completed,
            scorable=True,
            score=50.0,
            level=level,
            filled_by_role="patient",
            completed_at=at,
        )
    )
    db.flush()


def make_referral(
    db: Session,
    patient_id: int,
    intervention: Intervention,
    state: str = rs.PROPOSED,
    *,
    start: datetime = NOW - timedelta(days=60),
    step: timedelta = timedelta(days=7),
    outcome: dict | None = None,
    actor_id: int | None = None,
) -> Referral:
    """A referral with a consistent event history ending in ``state``."""
    history = [rs.PROPOSED, *PATH[state]]
    moments = [start + step * i for i in range(len(history))]
    referral = Referral(
        patient_id=patient_id,
        intervention_id=intervention.id,
        state=state,
        state_since=moments[-1].date(),
        outcome=outcome if state == rs.COMPLETED else None,
        created_at=start,
        updated_at=moments[-1],
        version=len(history),
    )
    if state == rs.COMPLETED and outcome is None:
        referral.outcome = {"weight_change_kg": -4.5, "patient_rating": 4}
    db.add(referral)
    db.flush()
    previous = None
    for moment, to_state in zip(moments, history, strict=True):
        db.add(
            ReferralEvent(
                referral_id=referral.id,
                from_state=previous,
                to_state=to_state,
                at=moment,
                on_date=moment.date(),
                actor_id=actor_id,
                actor_role="professional",
            )
        )
        previous = to_state
    db.flush()
    return referral
