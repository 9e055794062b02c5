"""Stored instrument versions and questionnaire responses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.models_base import PatientRecord, enum_column, utc_column, utcnow


class InstrumentVersion(SQLModel, table=True):
    """One version of an instrument definition, kept forever so old responses rescore."""

    __tablename__ = "instrument_version"
    __table_args__ = (sa.UniqueConstraint("code", "version", name="uq_instrument_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=50, index=True)
    version: str = Field(max_length=20)
    kind: str = Field(max_length=30)
    definition: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    checksum: str = Field(max_length=64)
    care_group_id: int | None = Field(default=None, foreign_key="care_group.id")
    is_current: bool = Field(default=True)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class ResponseStatus(StrEnum):
    in_progress = "in_progress"
    completed = "completed"


class AssessmentResponse(SQLModel, table=True):
    __tablename__ = "assessment_response"
    __table_args__ = (
        sa.Index(
            "ix_assessment_response_patient_code", "patient_id", "instrument_code", "completed_at"
        ),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "AssessmentResponse", N_("Deze vragenlijst bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    instrument_version_id: int = Field(foreign_key="instrument_version.id")
    instrument_code: str = Field(max_length=50)
    instrument_version: str = Field(max_length=20)
    status: ResponseStatus = Field(sa_column=enum_column(ResponseStatus))
    answers: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    answered_count: int = 0
    scorable: bool | None = None
    not_scorable_reason: str | None = Field(default=None, max_length=50)
    raw_score: float | None = None
    score: float | None = None
    level: int | None = None
    filled_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    filled_by_role: str = Field(max_length=20)  # patient, or professional on behalf
    context: str | None = Field(default=None, max_length=50)  # e.g. "review:12"
    started_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())


class AssessmentSetting(SQLModel, table=True):
    """A care group's assessment settings; defaults apply when there is no row.

    Level cut-offs are not stored here but as a care-group instrument version (so every
    response keeps the cut-offs that scored it); ``cutoffs`` records what was asked for.
    """

    __tablename__ = "assessment_setting"

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id", sa_column_kwargs={"unique": True})
    due_interval_months: int = 12
    # {"1": 6, "2": 8, ...}: goal review interval (weeks) per activation level; empty = defaults
    review_interval_weeks: dict = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    # {"3": [55.2, 72.4], ...} as last set; the instrument version is what scores
    cutoffs: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
