"""A patient's practice over time: one period at a time, moved by a professional.

``Patient.practice_id`` is the practice today; ``PracticePeriod`` rows say which practice on any
past date, so a report for last year counts a moved patient for the practice of then
(DESIGN.md section 4). A patient's first period starts on their date of birth: the record holds
no earlier history, and an enrolment may start long before the record was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, insert
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Practice, User
from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Patient, PracticePeriod


def open_first_period(session: Session, patient: Patient, *, created_by_id: int | None = None):
    """Give a new patient (already flushed) its first practice period."""
    period = PracticePeriod(
        patient_id=patient.id,  # type: ignore[arg-type]
        practice_id=patient.practice_id,
        start_date=patient.date_of_birth,
        created_by_id=created_by_id,
    )
    session.add(period)
    session.flush()
    return period


def open_first_periods(
    session: Session, patients: list[Patient], *, created_by_id: int | None = None
) -> None:
    """``open_first_period`` for many new patients: one executemany."""
    if not patients:
        return
    now = utcnow()
    session.execute(
        insert(PracticePeriod.__table__),
        [
            {
                "patient_id": patient.id,
                "practice_id": patient.practice_id,
                "start_date": patient.date_of_birth,
                "end_date": None,
                "created_at": now,
                "created_by_id": created_by_id,
            }
            for patient in patients
        ],
    )


def periods_of(session: Session, patient_id: int) -> list[PracticePeriod]:
    return list(
        session.exec(
            select(PracticePeriod)
            .where(PracticePeriod.patient_id == patient_id)
            .order_by(col(PracticePeriod.start_date))
        ).all()
    )


@dataclass(frozen=True)
class PeriodRow:
    practice_id: int
    practice_name: str
    start_date: date
    end_date: date | None  # first day at the next practice; None: still there


_HISTORY = (
    select(PracticePeriod, Practice.name)
    .join(Practice, col(Practice.id) == PracticePeriod.practice_id)
    .where(PracticePeriod.patient_id == bindparam("patient_id"))
    .order_by(col(PracticePeriod.start_date).desc())
)


def history_of(session: Session, patient_id: int) -> list[PeriodRow]:
    """The patient's practices over time with their names, latest first (one query).

    No audit entry: callers loaded the patient through ``get_patient_for`` already."""
    rows = session.exec(_HISTORY, params={"patient_id": patient_id}).all()
    return [PeriodRow(p.practice_id, name, p.start_date, p.end_date) for p, name in rows]


_CURRENT = bindparam("practice_id")
_MOVE_TARGETS = (
    select(Practice)
    .where(
        Practice.care_group_id
        == select(Practice.care_group_id).where(Practice.id == _CURRENT).scalar_subquery(),
        Practice.id != _CURRENT,
    )
    .order_by(Practice.name, Practice.id)
)


def move_targets(session: Session, patient: Patient) -> list[Practice]:
    """The other practices of the patient's care group, by name (one statement)."""
    return list(session.exec(_MOVE_TARGETS, params={"practice_id": patient.practice_id}).all())


def move_patient(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    practice_id: int,
    on: date,
    today: date,
) -> PracticePeriod:
    """Move a patient to another practice of the same care group from ``on`` (<= today).

    The open period ends on ``on`` and a new one starts there; the patient's current practice
    changes with it, so from then on the old practice no longer reaches the record.
    """
    if not actor.is_professional:
        raise Forbidden(N_("Alleen een zorgverlener kan een patiënt verhuizen."))
    patient = get_patient_for(session, actor, patient_id, write=True, object_type="PracticePeriod")
    target = session.get(Practice, practice_id)
    current = session.get(Practice, patient.practice_id)
    if target is None or current is None or target.care_group_id != current.care_group_id:
        raise ValidationError(N_("Kies een praktijk van de zorggroep."), field="practice_id")
    if target.id == patient.practice_id:
        raise ValidationError(N_("De patiënt hoort al bij deze praktijk."), field="practice_id")
    open_period = session.exec(
        select(PracticePeriod).where(
            PracticePeriod.patient_id == patient.id, col(PracticePeriod.end_date).is_(None)
        )
    ).one()
    if on > today or on <= open_period.start_date:
        raise ValidationError(
            N_("Kies een verhuisdatum na %(start)s en uiterlijk vandaag."),
            field="on",
            start=open_period.start_date,
        )
    if (
        patient.his_number
        and session.exec(
            select(Patient.id).where(
                Patient.practice_id == target.id, Patient.his_number == patient.his_number
            )
        ).first()
    ):
        raise ValidationError(
            N_("In die praktijk heeft al een patiënt dit HIS-nummer."), field="practice_id"
        )
    open_period.end_date = on
    new_period = PracticePeriod(
        patient_id=patient.id,  # type: ignore[arg-type]
        practice_id=target.id,  # type: ignore[arg-type]
        start_date=on,
        created_by_id=actor.user_id,
    )
    patient.practice_id = target.id  # type: ignore[assignment]
    # The patient's own account names its practice in the audit log: the new one from now on.
    for account in session.exec(select(User).where(User.patient_id == patient.id)).all():
        account.practice_id = target.id
        session.add(account)
    session.add_all([open_period, new_period, patient])
    session.flush()
    return new_period
