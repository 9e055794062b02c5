"""An erasure request and its states: requested -> approved | rejected; approved -> executed.

The request row is part of the stub kept after erasure (who asked, who decided, who confirmed,
when), so it is not deleted with the patient's other data; the patient's own free-text reason
is cleared at execution (it may hold health details)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.models_base import PatientRecord, enum_column, utc_column, utcnow


class ErasureStatus(StrEnum):
    requested = "requested"
    approved = "approved"
    rejected = "rejected"
    executed = "executed"


OPEN_STATUSES = (ErasureStatus.requested, ErasureStatus.approved)


class ErasureRequest(SQLModel, table=True):
    __tablename__ = "erasure_request"
    __table_args__ = (
        sa.CheckConstraint(
            "status in ('requested','approved','rejected','executed')", name="status_valid"
        ),
        sa.Index("ix_erasure_request_practice_status", "practice_id", "status"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "ErasureRequest", N_("Dit verzoek bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    # The practice that reviews it (the patient's practice when filed).
    practice_id: int = Field(foreign_key="practice.id")
    status: ErasureStatus = Field(sa_column=enum_column(ErasureStatus))
    reason: str = Field(default="", max_length=2000)
    requested_by_id: int = Field(foreign_key="user_account.id")
    requested_by_role: str = Field(max_length=20)  # patient, or professional on their behalf
    requested_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column())
    decision_reason: str = Field(default="", max_length=2000)
    executed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    executed_at: datetime | None = Field(default=None, sa_column=utc_column())
    # What execution removed, per table ("goal=3 measurement=120"), for accountability.
    summary: str = Field(default="", max_length=2000)
    version: int = Field(default=1)
