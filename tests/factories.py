"""Factories and the standard personas used across tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from zelfzorg.accounts.models import CareGroup, Discipline, Practice, Role, User
from zelfzorg.accounts.scope import Actor, actor_for
from zelfzorg.accounts.services import SecurityPolicy, hash_password
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Enrolment, Patient, Programme, Sex
from zelfzorg.patients.practice_history import open_first_period

POLICY = SecurityPolicy(argon2_time_cost=1, argon2_memory_cost=1024)
PASSWORD = "correct-horse-battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = {"n": 0}


def _n() -> int:
    _counter["n"] += 1
    return _counter["n"]


def make_care_group(db: Session, name: str | None = None) -> CareGroup:
    group = CareGroup(name=name or f"Zorggroep {_n()}")
    db.add(group)
    db.flush()
    return group


def make_practice(db: Session, care_group: CareGroup, name: str | None = None) -> Practice:
    practice = Practice(care_group_id=care_group.id, name=name or f"Praktijk {_n()}")
    db.add(practice)
    db.flush()
    return practice


def make_user(
    db: Session,
    role: Role,
    *,
    email: str | None = None,
    name: str | None = None,
    practice: Practice | None = None,
    care_group: CareGroup | None = None,
    patient: Patient | None = None,
    totp: bool = True,
    discipline: Discipline | None = None,
) -> User:
    n = _n()
    user = User(
        email=email or f"{role}{n}@example.test",
        name=name or f"{role.title()} {n}",
        role=role,
        password_hash=hash_password(POLICY, PASSWORD),
        practice_id=practice.id if practice else (patient.practice_id if patient else None),
        care_group_id=care_group.id if care_group else None,
        patient_id=patient.id if patient else None,
        discipline=discipline or (Discipline.poh if role == Role.professional else None),
        totp_secret=TOTP_SECRET if totp and role != Role.patient else None,
        totp_enrolled_at=utcnow() if totp and role != Role.patient else None,
        activated_at=utcnow() if role == Role.patient else None,
    )
    db.add(user)
    db.flush()
    return user


def make_patient(
    db: Session,
    practice: Practice,
    *,
    given: str = "Jan",
    family: str | None = None,
    born: date = date(1955, 3, 14),
    sex: Sex = Sex.male,
    programmes: tuple[Programme, ...] = (Programme.DM2,),
    start: date = date(2020, 1, 1),
) -> Patient:
    patient = Patient(
        practice_id=practice.id,
        given_name=given,
        family_name=family or f"Patiënt{_n()}",
        date_of_birth=born,
        sex=sex,
    )
    db.add(patient)
    db.flush()
    open_first_period(db, patient)
    for programme in programmes:
        db.add(Enrolment(patient_id=patient.id, programme=programme, start_date=start))
    db.flush()
    return patient


@dataclass
class World:
    """Personas: a patient and their POH; another patient of the same practice; a POH of
    another practice with a patient there; care-group staff; an administrator."""

    care_group: CareGroup
    practice: Practice
    other_practice: Practice
    patient: Patient
    patient_user: User
    other_patient: Patient
    other_patient_user: User
    far_patient: Patient
    poh: User
    other_poh: User
    caregroup_user: User
    admin: User
    db: Session

    def user_for(self, persona: str) -> User | None:
        return {
            "anonymous": None,
            "patient": self.patient_user,
            "patient_other": self.other_patient_user,
            "professional": self.poh,
            "professional_other": self.other_poh,
            "caregroup": self.caregroup_user,
            "admin": self.admin,
        }[persona]

    def actor(self, user: User) -> Actor:
        return actor_for(self.db, user, "127.0.0.1")


PERSONAS = (
    "anonymous",
    "patient",
    "patient_other",
    "professional",
    "professional_other",
    "caregroup",
    "admin",
)


def build_world(db: Session) -> World:
    group = make_care_group(db)
    practice = make_practice(db, group, "De Linde")
    other_practice = make_practice(db, group, "Waalkade")
    patient = make_patient(
        db,
        practice,
        given="Gerda",
        family="Willemsen",
        sex=Sex.female,
        programmes=(Programme.DM2, Programme.CVRM),
    )
    other_patient = make_patient(
        db, practice, given="Kees", family="Bakker", programmes=(Programme.COPD,)
    )
    far_patient = make_patient(db, other_practice, given="Piet", family="Visser")
    world = World(
        care_group=group,
        practice=practice,
        other_practice=other_practice,
        patient=patient,
        patient_user=make_user(db, Role.patient, patient=patient),
        other_patient=other_patient,
        other_patient_user=make_user(db, Role.patient, patient=other_patient),
        far_patient=far_patient,
        poh=make_user(db, Role.professional, practice=practice, name="Sanne POH"),
        other_poh=make_user(db, Role.professional, practice=other_practice, name="Ricardo POH"),
        caregroup_user=make_user(db, Role.caregroup, care_group=group),
        admin=make_user(db, Role.admin),
        db=db,
    )
    return world
