"""Factories for contracting tests: goals with a dated status history, experience responses,
activity days, practice moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlmodel import Session, col, select

from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.assessment.services import EXPERIENCE_CODE
from zelfzorg.contracting.history import programmes_text
from zelfzorg.contracting.models import GoalStatusHistory, PatientActivityDay
from zelfzorg.izp.models import CarePlan, Goal, GoalReview
from zelfzorg.patients.models import Patient, PracticePeriod

START, END = date(2025, 1, 1), date(2025, 12, 31)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def add_goal(
    db: Session,
    patient: Patient,
    spans: list[tuple[str, date, date | None]],
    *,
    agreed_on: date | None = None,
    programmes: tuple[str, ...] = (),
) -> Goal:
    """A goal whose history is ``spans`` of (status, valid_from, valid_to); agreed by both
    from ``agreed_on`` on (None: never agreed)."""
    plan = db.exec(select(CarePlan).where(CarePlan.patient_id == patient.id)).first()
    if plan is None:
        plan = CarePlan(patient_id=patient.id)
        db.add(plan)
        db.flush()
    goal = Goal(
        plan_id=plan.id,
        patient_id=patient.id,
        title="Meer bewegen",
        domain="lifestyle",
        programmes=list(programmes),
        lifecycle=spans[-1][0],
        proposed_by="professional",
    )
    db.add(goal)
    db.flush()
    for status, valid_from, valid_to in spans:
        agreed = agreed_on is not None and agreed_on <= valid_from
        db.add(
            GoalStatusHistory(
                goal_id=goal.id,
                patient_id=patient.id,
                status=status,
                agreed_by_patient=agreed,
                agreed_by_professional=agreed,
                agreed=agreed,
                agreed_on=agreed_on if agreed else None,
                programmes=programmes_text(list(programmes)),
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )
    db.flush()
    return goal


def add_review(db: Session, goal: Goal, on: date) -> GoalReview:
    review = GoalReview(goal_id=goal.id, patient_id=goal.patient_id, reviewed_at=noon(on))
    db.add(review)
    db.flush()
    return review


def _experience_version(db: Session) -> InstrumentVersion:
    found = db.exec(
        select(InstrumentVersion).where(InstrumentVersion.version == "test-experience")
    ).first()
    if found:
        return found
    version = InstrumentVersion(
        code=EXPERIENCE_CODE,
        version="test-experience",
        kind="experience",
        definition={},
        checksum="x",
    )
    db.add(version)
    db.flush()
    return version


def add_experience(
    db: Session, patient_id: int, *, invited: date, completed: date | None, score: float = 70.0
) -> AssessmentResponse:
    version = _experience_version(db)
    response = AssessmentResponse(
        patient_id=patient_id,
        instrument_version_id=version.id,
        instrument_code=EXPERIENCE_CODE,
        instrument_version=version.version,
        status=ResponseStatus.completed if completed else ResponseStatus.in_progress,
        scorable=True if completed else None,
        score=score if completed else None,
        filled_by_role="patient",
        started_at=noon(invited),
        completed_at=noon(completed) if completed else None,
    )
    db.add(response)
    db.flush()
    return response


def add_activity(db: Session, patient_id: int, day: date, **kinds: bool) -> None:
    db.add(PatientActivityDay(patient_id=patient_id, day=day, **(kinds or {"logged_in": True})))
    db.flush()


def move(db: Session, patient: Patient, practice_id: int, on: date) -> None:
    current = db.exec(
        select(PracticePeriod).where(
            PracticePeriod.patient_id == patient.id, col(PracticePeriod.end_date).is_(None)
        )
    ).one()
    current.end_date = on
    db.add(current)
    db.add(PracticePeriod(patient_id=patient.id, practice_id=practice_id, start_date=on))
    patient.practice_id = practice_id
    db.add(patient)
    db.flush()
