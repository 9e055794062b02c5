"""Contracting: the care group's records for 004 clauses 2.1 and 2.4, contracts as data,
stored reports, and the dated history the indicators need (queryable in SQL).

Care-group records are *versioned rows*: every save inserts a new row and nothing is updated
in place, so "what did the policy say on d" is a query and every change is kept.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.models_base import (
    RECORD_NOT_FOUND,
    PatientRecord,
    enum_column,
    utc_column,
    utcnow,
)

TEXT_MAX = 20_000
PDF_MAX_BYTES = 5 * 1024 * 1024


class PolicyStatus(StrEnum):
    draft = "draft"
    in_development = "in_development"
    adopted = "adopted"


class ActionKind(StrEnum):
    training = "training"
    competence_scan = "competence_scan"
    improvement_plan = "improvement_plan"


class PolicyVersion(SQLModel, table=True):
    """One saved version of the care group's self-management vision/policy (V1, 004 2.1)."""

    __tablename__ = "contracting_policy_version"
    __table_args__ = (
        sa.Index("ix_contracting_policy_group_effective", "care_group_id", "effective_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id")
    title: str = Field(max_length=200)
    status: PolicyStatus = Field(sa_column=enum_column(PolicyStatus))
    effective_on: date  # the status holds from this day
    adopted_on: date | None = None
    text: str = Field(default="", max_length=TEXT_MAX)
    covers_patient_involvement: bool = Field(default=False)
    patient_involvement_text: str = Field(default="", max_length=TEXT_MAX)
    covers_incentives: bool = Field(default=False)
    incentives_text: str = Field(default="", max_length=TEXT_MAX)
    pdf_name: str | None = Field(default=None, max_length=200)
    pdf_data: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class DevelopmentAction(SQLModel, table=True):
    """One saved version of a dated action of the development plan for affiliated
    professionals (V2, 004 2.1). ``action_key`` groups the versions of one action; the row
    with the highest id is current; ``deleted`` marks a removal (kept as a version too)."""

    __tablename__ = "contracting_development_action"

    id: int | None = Field(default=None, primary_key=True)
    action_key: str = Field(max_length=36, index=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    kind: ActionKind = Field(sa_column=enum_column(ActionKind))
    title: str = Field(max_length=200)
    on_date: date
    practice_id: int | None = Field(default=None, foreign_key="practice.id")
    discipline: str | None = Field(default=None, max_length=30)
    note: str = Field(default="", max_length=2000)
    deleted: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class PlatformStatement(SQLModel, table=True):
    """The care group's statement that its platform is on the ZO! list (P0, 004 2.4);
    versioned rows, the latest one stated on or before d counts."""

    __tablename__ = "contracting_platform_statement"

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    on_list: bool
    stated_on: date
    note: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class Contract(SQLModel, table=True):
    """A contract with an insurer for one year: which indicators count, and their targets."""

    __tablename__ = "contracting_contract"
    __table_args__ = (
        sa.UniqueConstraint("care_group_id", "insurer", "year", name="uq_contracting_contract"),
    )

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    insurer: str = Field(max_length=200)
    year: int
    definition_version: int = Field(default=2015)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class ContractTerm(SQLModel, table=True):
    """Per indicator of a contract: does it count, its target percentage, its kind."""

    __tablename__ = "contracting_contract_term"
    __table_args__ = (sa.UniqueConstraint("contract_id", "indicator", name="uq_contracting_term"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracting_contract.id", index=True)
    indicator: str = Field(max_length=10)
    counts: bool = Field(default=True)
    target: Decimal | None = Field(default=None, sa_column=sa.Column(sa.Numeric(5, 1)))
    kind: str = Field(max_length=20)


class StoredReport(SQLModel, table=True):
    """A generated report: its figures, definition version and fingerprint, so a later
    regeneration of the same period can say what changed instead of silently differing."""

    __tablename__ = "contracting_stored_report"
    __table_args__ = (
        sa.Index("ix_contracting_report_period", "care_group_id", "period_start", "period_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id")
    period_start: date
    period_end: date
    definition_version: int
    contract_id: int | None = Field(default=None, foreign_key="contracting_contract.id")
    fingerprint: str = Field(max_length=64)
    figures: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    generated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    generated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class GoalStatusHistory(SQLModel, table=True):
    """A goal's lifecycle status and agreement over time: one row per stretch of days
    [valid_from, valid_to) (days in Europe/Amsterdam; valid_to None = still so). The state
    of a day is the state at its end. ``agreed`` is sticky: once both parties agreed, a later
    request to agree again does not undo it (DESIGN.md section 4). ``programmes`` is the
    goal's linked programmes as ``|DM2|CVRM|`` so SQL can test membership with LIKE."""

    __tablename__ = "goal_status_history"
    __table_args__ = (
        sa.Index("ix_goal_status_history_goal", "goal_id", "valid_from"),
        sa.Index("ix_goal_status_history_patient", "patient_id", "valid_from"),
    )
    patient_record: ClassVar[PatientRecord] = PatientRecord("GoalStatusHistory", RECORD_NOT_FOUND)

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id")
    patient_id: int = Field(foreign_key="patient.id")
    status: str = Field(max_length=20)
    agreed_by_patient: bool = Field(default=False)
    agreed_by_professional: bool = Field(default=False)
    agreed: bool = Field(default=False)
    agreed_on: date | None = None  # the last day both agreed (again)
    programmes: str = Field(default="", max_length=200)
    valid_from: date
    valid_to: date | None = None


class PatientActivityDay(SQLModel, table=True):
    """What a patient did on the platform on a day (P2), apart from the security audit log."""

    __tablename__ = "patient_activity_day"
    __table_args__ = (sa.UniqueConstraint("patient_id", "day", name="uq_patient_activity_day"),)
    patient_record: ClassVar[PatientRecord] = PatientRecord("PatientActivityDay", RECORD_NOT_FOUND)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    day: date = Field(index=True)
    logged_in: bool = Field(default=False)
    measurement: bool = Field(default=False)
    action: bool = Field(default=False)
    questionnaire: bool = Field(default=False)
    review_preparation: bool = Field(default=False)
