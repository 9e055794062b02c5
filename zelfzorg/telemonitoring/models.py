"""Measurements. Corrections are new rows that supersede the old one; nothing is
overwritten. ``source_id`` makes device imports idempotent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.models_base import enum_column, utc_column, utcnow


class MeasurementSource(StrEnum):
    patient = "patient"
    professional = "professional"
    device = "device"


class Measurement(SQLModel, table=True):
    __tablename__ = "measurement"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "source_id", name="uq_measurement_patient_source_id"),
        sa.Index("ix_measurement_patient_type_time", "patient_id", "type_code", "measured_at"),
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
