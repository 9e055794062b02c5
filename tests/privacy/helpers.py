"""Arranging erasure requests directly (the services are tested in test_erasure.py)."""

from __future__ import annotations

from sqlmodel import Session

from tests.factories import World, make_patient, make_user
from zelfzorg.accounts.models import Role, User
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Patient
from zelfzorg.privacy.models import ErasureRequest, ErasureStatus


def second_poh(db: Session, world: World) -> User:
    return make_user(db, Role.professional, practice=world.practice, name="Tweede POH")


def make_request(
    db: Session,
    world: World,
    *,
    patient: Patient | None = None,
    status: ErasureStatus = ErasureStatus.requested,
    decided_by: User | None = None,
) -> ErasureRequest:
    patient = patient or make_patient(db, world.practice)
    request = ErasureRequest(
        patient_id=patient.id,
        practice_id=patient.practice_id,
        status=status,
        reason="Ik gebruik de app niet meer.",
        requested_by_id=world.patient_user.id,
        requested_by_role="patient",
        decided_by_id=decided_by.id if decided_by else None,
        decided_at=utcnow() if decided_by else None,
        decision_reason="Geen bezwaar." if decided_by else "",
    )
    db.add(request)
    db.flush()
    return request
