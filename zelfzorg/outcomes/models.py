"""The night's snapshot of the comparison groups (``outcomes.snapshot``).

Every night the daily job ``outcome_cohorts`` writes, per care group, each programme's
population of that day (``outcome_cohort_member``: patient, sex, birth date) and the latest
value of each of its outcomes per patient (``outcome_cohort_value``), as the comparison reads
them for the others; ``outcome_snapshot`` says which care group has a snapshot of which day.
The outcome comparison and "patients like me" read the comparable patients from it on that
day (one key range per cohort) and work them out live on a day without one. The patient's own
values are always live.

The rows are keyed in the order they are read: care group, day, programme, sex, birth date;
SQLite keeps them in that order (``WITHOUT ROWID``), so a cohort is one range of the key."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlmodel import Field, SQLModel

from zelfzorg.models_base import RECORD_NOT_FOUND, PatientRecord, utc_column, utcnow


class CohortSnapshot(SQLModel, table=True):
    """A care group's snapshot of ``day`` is complete (written in the same transaction)."""

    __tablename__ = "outcome_snapshot"

    care_group_id: int = Field(foreign_key="care_group.id", primary_key=True)
    day: date = Field(primary_key=True)
    member_count: int = 0
    value_count: int = 0
    made_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class CohortMember(SQLModel, table=True):
    """A patient of a programme's population of the care group on ``day``."""

    __tablename__ = "outcome_cohort_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    patient_record: ClassVar[PatientRecord] = PatientRecord("OutcomeCohort", RECORD_NOT_FOUND)
    care_group_id: int = Field(foreign_key="care_group.id", primary_key=True)
    day: date = Field(primary_key=True)
    programme: str = Field(max_length=16, primary_key=True)
    sex: str = Field(max_length=16, primary_key=True)
    date_of_birth: date = Field(primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)


class CohortValue(SQLModel, table=True):
    """A member's latest value of one outcome in the programme's window on ``day`` (a reading,
    a questionnaire score, a coded state as 1 or 0, a trend), as the comparison counts it."""

    __tablename__ = "outcome_cohort_value"
    __table_args__ = ({"sqlite_with_rowid": False},)

    patient_record: ClassVar[PatientRecord] = PatientRecord("OutcomeCohort", RECORD_NOT_FOUND)
    care_group_id: int = Field(foreign_key="care_group.id", primary_key=True)
    day: date = Field(primary_key=True)
    programme: str = Field(max_length=16, primary_key=True)
    sex: str = Field(max_length=16, primary_key=True)
    date_of_birth: date = Field(primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    source: str = Field(max_length=16, primary_key=True)
    reads: str = Field(max_length=40, primary_key=True)
    value: float
