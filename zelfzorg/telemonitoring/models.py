"""Measurements. Corrections are new rows that supersede the old one; nothing is
overwritten. ``source_id`` makes device imports idempotent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.models_base import RECORD_NOT_FOUND, PatientRecord, enum_column, utc_column, utcnow


class MeasurementSource(StrEnum):
    patient = "patient"
    professional = "professional"
    device = "device"


class Measurement(SQLModel, table=True):
    __tablename__ = "measurement"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "source_id", name="uq_measurement_patient_source_id"),
        # The newest reading of a type: ORDER BY measured_at DESC, id DESC LIMIT 1 (migration 0027).
        sa.Index(
            "ix_measurement_patient_type_time_id", "patient_id", "type_code", "measured_at", "id"
        ),
        # A patient's latest entries of every type (the overview), newest first.
        sa.Index("ix_measurement_patient_time", "patient_id", "measured_at", "id"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "Measurement", N_("Deze meting bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    type_code: str = Field(max_length=40)  # see telemonitoring/data/measurement_types.yaml
    value: float | None = None  # quantities
    value_code: str | None = Field(default=None, max_length=40)  # coded values (smoking)
    unit: str = Field(max_length=20)  # UCUM, explicit on every row
    measured_at: datetime = Field(sa_column=utc_column(nullable=False))
    source: MeasurementSource = Field(sa_column=enum_column(MeasurementSource))
    source_id: str | None = Field(default=None, max_length=100)
    reading_id: str | None = Field(default=None, max_length=40)  # groups a BP pair
    entered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    supersedes_id: int | None = Field(default=None, foreign_key="measurement.id")
    # Set when a correction replaces this row; current values have superseded_at NULL.
    superseded_at: datetime | None = Field(default=None, sa_column=utc_column())
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


def current_reading(table: sa.FromClause | None = None) -> sa.ColumnElement[bool]:
    """A reading that counts as a patient's value: not superseded, with a value or a coded
    value (``table``: an alias of ``measurement``). What ``measurement_latest`` holds the
    newest of; a row with neither is no reading."""
    c = (table if table is not None else Measurement.__table__).c
    return sa.and_(
        c.superseded_at.is_(None), sa.or_(c.value.is_not(None), c.value_code.is_not(None))
    )


def kept_or_earlier(
    kept_at: sa.ColumnElement,
    kept: sa.ColumnElement,
    before: datetime,
    earlier: sa.ColumnElement,
) -> sa.ColumnElement:
    """A column read from a patient's ``measurement_latest`` row (``kept``; its moment
    ``kept_at``, NULL without one) as of ``before``: that row is the newest reading of all,
    so when it is before ``before`` it answers; without one there is none; otherwise (a
    reading after ``before``: a report of an earlier period, criteria as of a past date)
    ``earlier``, the probe of ``measurement``, evaluated only for those patients (the ELSE of
    the CASE). The first branch gives the CASE its type, so a moment bound against it is
    converted."""
    return sa.case((kept_at < before, kept), (kept_at.is_(None), sa.null()), else_=earlier)


class MeasurementLatest(SQLModel, table=True):
    """Each patient's newest current reading of each type (``measured_at`` DESC, ``id`` DESC;
    not superseded, with a value or a coded value): what "the latest value" of a whole care
    group reads (the outcome comparison, the contracting report) instead of one index probe of
    ``measurement`` per patient and type.

    Kept by database triggers on ``measurement`` (migration 0030), so every writer keeps it:
    the record, corrections, both imports, the device API, erasure, the generator's bulk path
    and SQL typed by hand. An insert raises the pair's row to the new reading when it is newer;
    a correction (``superseded_at`` set) or a delete of the pair's newest reading moves the row
    to the newest current reading left, or removes it. Readers of a moment before the newest
    reading (a report of an earlier period) look that patient up in ``measurement`` itself."""

    __tablename__ = "measurement_latest"
    # SQLite: the rows stored in the key's order (migration 0031), one step per look-up.
    __table_args__ = ({"sqlite_with_rowid": False},)

    patient_record: ClassVar[PatientRecord] = PatientRecord("Measurement", RECORD_NOT_FOUND)
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    type_code: str = Field(max_length=40, primary_key=True)
    measurement_id: int  # no foreign key: the triggers move it before the row goes
    measured_at: datetime = Field(sa_column=utc_column(nullable=False))
    value: float | None = None
    value_code: str | None = Field(default=None, max_length=40)


class TargetOrigin(StrEnum):
    poh = "poh"  # set by a professional on the measurements page
    goal = "goal"  # the measurable target of a care-plan goal


class PersonalTarget(SQLModel, table=True):
    """A patient's own target for one type. Replaced, never edited: a new row is added and
    the previous one of the same origin set inactive, so the history stays readable."""

    __tablename__ = "personal_target"
    __table_args__ = (
        sa.Index("ix_personal_target_patient_type", "patient_id", "type_code", "active"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord("PersonalTarget", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    type_code: str = Field(max_length=40)
    comparator: str = Field(max_length=10)
    low: float | None = None
    high: float | None = None
    unit: str = Field(max_length=20)
    set_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    set_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    source: TargetOrigin = Field(sa_column=enum_column(TargetOrigin))
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    active: bool = Field(default=True)
    ended_at: datetime | None = Field(default=None, sa_column=utc_column())


class AlertStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"


class Alert(SQLModel, table=True):
    """One alert per (patient, rule, type) while open: repeats update it (no alert storms).

    ``open_slot`` is 1 while open and NULL once acknowledged; the unique constraint on
    (patient_id, dedup_key, open_slot) lets the database refuse a second open alert while
    acknowledged ones (NULLs are distinct) pile up as history.
    """

    __tablename__ = "alert"
    __table_args__ = (
        sa.UniqueConstraint(
            "patient_id", "dedup_key", "open_slot", name="uq_alert_patient_dedup_open"
        ),
        sa.Index("ix_alert_status_severity", "status", "severity"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "Alert", N_("Dit signaal bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    rule_code: str = Field(max_length=40)
    type_code: str = Field(max_length=40)
    dedup_key: str = Field(max_length=100)
    severity: str = Field(max_length=16)  # "urgent" or "trend"
    status: AlertStatus = Field(sa_column=enum_column(AlertStatus))
    open_slot: int | None = Field(default=1)
    first_at: datetime = Field(sa_column=utc_column(nullable=False))
    last_at: datetime = Field(sa_column=utc_column(nullable=False))
    occurrences: int = Field(default=1)
    last_value: float | None = None
    measurement_id: int | None = Field(default=None, foreign_key="measurement.id")
    # Dutch msgid plus params; bilingual params are stored as {"nl": ..., "en": ...}.
    message: str = Field(max_length=500)
    params: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    acknowledged_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    note: str = Field(default="", max_length=1000)


class DeviceToken(SQLModel, table=True):
    """A bearer token with which one patient's device posts readings; only its hash is kept."""

    __tablename__ = "device_token"

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "DeviceToken", N_("Dit apparaat bestaat niet.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    label: str = Field(default="", max_length=100)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())
