"""Patients, their conditions, care-programme enrolments and care team."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.models_base import RECORD_NOT_FOUND, PatientRecord, enum_column, utc_column, utcnow


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class Programme(StrEnum):
    """Care programmes (ketenzorg) a practice enrols patients in."""

    DM2 = "DM2"
    COPD = "COPD"
    astma = "astma"
    CVRM = "CVRM"
    hartfalen = "hartfalen"


# ICPC codes of the condition each programme treats (REFERENCE.md, "Codes").
PROGRAMME_CONDITION = {
    Programme.DM2: ("T90.02", "Diabetes mellitus type 2"),
    Programme.COPD: ("R95", "COPD"),
    Programme.astma: ("R96", "Astma"),
    Programme.CVRM: ("K86", "Hypertensie / cardiovasculair risico"),
    Programme.hartfalen: ("K77", "Hartfalen"),
}


class CareTeamRole(StrEnum):
    hoofdbehandelaar = "hoofdbehandelaar"
    contactpersoon = "contactpersoon"
    member = "member"


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        sa.UniqueConstraint("practice_id", "his_number", name="uq_patient_practice_his"),
    )

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100, index=True)
    date_of_birth: date
    sex: Sex = Field(sa_column=enum_column(Sex))
    his_number: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    # No foreign key: user_account already points at patient (a patient's own account);
    # the creator is also in the audit log.
    created_by_id: int | None = Field(default=None)
    is_demo: bool = Field(default=False)
    # Optimistic locking of the details form: two people editing at once lose nothing.
    version: int = Field(default=1)
    # Set when the patient's data was erased on request (zelfzorg.privacy): the row stays as a
    # pseudonymous stub (no name, birth date or HIS number) for the audit log and the request.
    erased_at: datetime | None = Field(default=None, sa_column=utc_column())

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - int(before_birthday)


class Condition(SQLModel, table=True):
    __tablename__ = "condition"
    __table_args__ = (sa.UniqueConstraint("patient_id", "code", name="uq_condition_patient_code"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord("Condition", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    onset_date: date | None = None
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class Enrolment(SQLModel, table=True):
    """A patient's enrolment in a care programme; ended, never deleted."""

    __tablename__ = "enrolment"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        # "Active on day d" per patient from the index alone (population; migration 0027).
        sa.Index("ix_enrolment_patient_dates", "patient_id", "start_date", "end_date"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "Enrolment", N_("Deze inschrijving bestaat niet.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    programme: Programme = Field(sa_column=enum_column(Programme, index=True))
    start_date: date
    end_date: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class CareTeamMember(SQLModel, table=True):
    __tablename__ = "care_team_member"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "user_id", "role", name="uq_care_team_member"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord("CareTeam", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    role: CareTeamRole = Field(sa_column=enum_column(CareTeamRole))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class PracticePeriod(SQLModel, table=True):
    """The practice a patient belonged to from ``start_date`` up to (not including)
    ``end_date``; the open period (no end) matches ``Patient.practice_id``. Reports count a
    patient for the practice of the reference date (DESIGN.md section 4)."""

    __tablename__ = "patient_practice_period"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name="dates_ordered"),
        sa.Index("ix_patient_practice_period_patient_start", "patient_id", "start_date"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord("PracticePeriod", RECORD_NOT_FOUND)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    start_date: date
    end_date: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
