"""FHIR bulk exports (``Group/{practice}/$export``): the request, its progress and its files.

A row is the unit of work of the export job: a worker claims it with a lease in the database
(``heartbeat_at``), so several processes never run one export twice and a restarted worker
takes over an export whose lease ran out, resuming after the last finished patient batch
(``cursor_patient_id``; every file is cut back to its committed ``size``). Not patient-owned:
an export spans a practice; each exported patient is audited by the job.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.models_base import PatientRecord, enum_column, utc_column, utcnow


class ExportStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class BulkExport(SQLModel, table=True):
    __tablename__ = "fhir_bulk_export"

    id: int | None = Field(default=None, primary_key=True)
    # Random, in the status and file URLs (not guessable; only the requester may use them).
    key: str = Field(max_length=64, unique=True)
    requested_by_id: int = Field(foreign_key="user_account.id", index=True)
    practice_id: int = Field(foreign_key="practice.id")
    types: str = Field(max_length=300)  # comma-separated resource types
    since: datetime | None = Field(default=None, sa_column=utc_column())
    request_url: str = Field(max_length=2000)
    status: ExportStatus = Field(sa_column=enum_column(ExportStatus, nullable=False, index=True))
    transaction_time: datetime = Field(sa_column=utc_column(nullable=False))
    patients_total: int = 0
    patients_done: int = 0
    cursor_patient_id: int | None = None  # the last patient whose resources are all written
    claimed_by: str | None = Field(default=None, max_length=100)
    heartbeat_at: datetime | None = Field(default=None, sa_column=utc_column())
    attempts: int = 0
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))


class BulkExportFile(SQLModel, table=True):
    """One NDJSON file of an export: one per resource type."""

    __tablename__ = "fhir_bulk_export_file"
    __table_args__ = (
        sa.UniqueConstraint("export_id", "resource_type", name="uq_fhir_bulk_export_file_type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    export_id: int = Field(foreign_key="fhir_bulk_export.id", index=True)
    resource_type: str = Field(max_length=40)
    count: int = 0  # resources written and committed
    size: int = 0  # bytes written and committed (a resumed export cuts the file back to this)


class FhirImportKey(SQLModel, table=True):
    """Which record an imported Goal or QuestionnaireResponse became, by its identifier (or,
    without one, a key of its content): re-posting a bundle finds it and creates nothing."""

    __tablename__ = "fhir_import_key"
    __table_args__ = (
        sa.UniqueConstraint(
            "resource_type", "patient_id", "key", name="uq_fhir_import_key_resource"
        ),
    )
    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "FhirImportKey", N_("Deze resource bestaat niet of u heeft er geen toegang toe.")
    )

    id: int | None = Field(default=None, primary_key=True)
    resource_type: str = Field(max_length=40)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    key: str = Field(max_length=64)  # SHA-256 of the identifier (system|value) or content
    record_id: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
