"""Scheduled contracting exports: what a care group asked for, and the files the job made.

Files are kept in the database (not on a local disk), so every app process serves the same
downloads; a report of 30 practices is a few hundred kilobytes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.models_base import enum_column, utc_column, utcnow


class Frequency(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"


class ExportSchedule(SQLModel, table=True):
    """A care group's standing order: after each month or quarter, the report in these
    formats. Deleting stops it (``active`` False); the files made so far stay downloadable."""

    __tablename__ = "contracting_export_schedule"

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    frequency: Frequency = Field(sa_column=enum_column(Frequency, nullable=False))
    formats: str = Field(max_length=40)  # comma-separated, e.g. "pdf,csv"
    lang: str = Field(default="nl", max_length=5)
    delimiter: str = Field(default=";", max_length=1)
    # The first period reported is the first that ends on or after this day.
    starts_on: date
    active: bool = Field(default=True)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=utc_column())
    ended_by_id: int | None = Field(default=None, foreign_key="user_account.id")

    @property
    def format_list(self) -> list[str]:
        return [f for f in self.formats.split(",") if f]


class ExportFile(SQLModel, table=True):
    """A generated report file; one per schedule, period and format (the unique key makes a
    rerun or a second process a no-op)."""

    __tablename__ = "contracting_export_file"
    __table_args__ = (
        sa.UniqueConstraint(
            "schedule_id", "period_start", "format", name="uq_contracting_export_file_period"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="contracting_export_schedule.id", index=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    period_start: date
    period_end: date
    format: str = Field(max_length=10)
    filename: str = Field(max_length=120)
    mimetype: str = Field(max_length=60)
    size: int
    fingerprint: str = Field(default="", max_length=100)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
