"""The night's snapshot of the comparison groups (``outcomes.snapshot``).

Every night the daily job ``outcome_cohorts`` writes, per care group, each programme's
population of that day (``outcome_cohort_member``: patient, sex, birth date), each member's
latest value of each outcome (``outcome_cohort_value``) and, per cohort of the programme's rule
(sex, age band), how many members have each value (``outcome_cohort_count``), and the members'
similar goals for "patients like me" (``outcome_cohort_goal``);
``outcome_snapshot`` says which care group has a snapshot of which day. The outcome comparison
counts the comparable patients from the counts (the patient's own row taken off) and "patients
like me" from the goal rows, on that day; on a day without one both work them out
live. The patient's own values are always live.

The counts and the goal rows are keyed in the order a screen reads a cohort (care group, day,
programme, sex, then band or birth date), so a cohort is one key range; the members and their
values, written by the tens of thousands every night and read per patient, by patient. SQLite
keeps each table in its key's order (``WITHOUT ROWID``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
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
    """A patient of a programme's population of the care group on ``day``. Keyed by patient
    (a narrow key is cheap to write; the rows are read per care group and day, or a patient's
    own): a patient is in one care group on a day. No foreign keys: the rows are derived from
    existing ones by the job alone and rewritten every night, and checking two keys per row
    was a fifth of the job on PostgreSQL."""

    __tablename__ = "outcome_cohort_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    patient_record: ClassVar[PatientRecord] = PatientRecord("OutcomeCohort", RECORD_NOT_FOUND)
    patient_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    programme: str = Field(max_length=16, primary_key=True)
    care_group_id: int
    sex: str = Field(max_length=16)
    date_of_birth: date


class CohortValue(SQLModel, table=True):
    """A member's latest value of one outcome in the programme's window on ``day`` (a reading,
    a questionnaire score, a coded state as 1 or 0, a trend), as the comparison counts it: the
    source of the counts, and the patient's own row a screen takes off their cohort's counts.
    Keyed by patient and without foreign keys, as the members."""

    __tablename__ = "outcome_cohort_value"
    __table_args__ = ({"sqlite_with_rowid": False},)

    patient_record: ClassVar[PatientRecord] = PatientRecord("OutcomeCohort", RECORD_NOT_FOUND)
    patient_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    programme: str = Field(max_length=16, primary_key=True)
    source: str = Field(max_length=16, primary_key=True)
    reads: str = Field(max_length=40, primary_key=True)
    care_group_id: int
    sex: str = Field(max_length=16)
    date_of_birth: date
    value: float


class CohortCount(SQLModel, table=True):
    """How many members of one cohort (a programme's sex and age band by its rule on ``day``)
    have ``value`` as their latest value of one outcome: what a screen counts, a few hundred
    rows per cohort instead of a row per member. ``sex`` is empty when the rule does not
    compare by sex, ``band`` (the band's lowest age) -1 when it does not compare by age."""

    __tablename__ = "outcome_cohort_count"
    __table_args__ = ({"sqlite_with_rowid": False},)

    care_group_id: int = Field(foreign_key="care_group.id", primary_key=True)
    day: date = Field(primary_key=True)
    programme: str = Field(max_length=16, primary_key=True)
    sex: str = Field(max_length=16, primary_key=True)
    band: int = Field(primary_key=True)
    source: str = Field(max_length=16, primary_key=True)
    reads: str = Field(max_length=40, primary_key=True)
    value: float = Field(primary_key=True)
    patients: int


class CohortGoal(SQLModel, table=True):
    """A member with a goal "patients like me" counts (a measurable target of ``type_code`` in
    ``direction``, agreed, started at least a year before ``day``) and whether they reached it
    within a year (1 or 0; any of their similar goals). Keyed in the order a screen reads a
    cohort: care group, day, programme, sex, birth date."""

    __tablename__ = "outcome_cohort_goal"
    __table_args__ = (
        sa.Index("ix_outcome_cohort_goal_patient", "patient_id"),  # erasure
        {"sqlite_with_rowid": False},
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord("OutcomeCohort", RECORD_NOT_FOUND)
    care_group_id: int = Field(foreign_key="care_group.id", primary_key=True)
    day: date = Field(primary_key=True)
    programme: str = Field(max_length=16, primary_key=True)
    sex: str = Field(max_length=16, primary_key=True)
    date_of_birth: date = Field(primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    type_code: str = Field(max_length=40, primary_key=True)
    direction: str = Field(max_length=8, primary_key=True)
    reached: int
