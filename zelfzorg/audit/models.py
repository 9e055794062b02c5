"""Append-only, hash-chained access log (NEN 7513 style)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from zelfzorg.models_base import enum_column, utc_column, utcnow


class AuditAction(StrEnum):
    read = "read"
    create = "create"
    update = "update"
    delete = "delete"
    print = "print"
    export = "export"
    search = "search"
    login = "login"


class AuditOutcome(StrEnum):
    allowed = "allowed"
    denied = "denied"


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False, index=True))
    user_id: int | None = Field(default=None, index=True)
    user_name: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=20)
    organisation: str = Field(default="", max_length=200)
    patient_id: int | None = Field(default=None, index=True)
    action: AuditAction = Field(sa_column=enum_column(AuditAction))
    object_type: str = Field(max_length=50)
    object_id: str | None = Field(default=None, max_length=50)
    outcome: AuditOutcome = Field(sa_column=enum_column(AuditOutcome))
    client_address: str = Field(default="", max_length=64)
    detail: str = Field(default="", max_length=500)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
