"""Care plan tables: one plan per patient, goals, actions, action logs, reviews, revisions.

Plans and goals carry a ``version`` for optimistic locking: a save states the version it was
based on and is refused (Conflict) when someone else saved in between. Every change writes a
:class:`Revision` row, so the plan can be shown as it was on any date.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.models_base import RECORD_NOT_FOUND, PatientRecord, utc_column, utcnow

TEXT_MAX = 2000
AGREEMENT_WHAT_MAX = 500


class SelfManagementModule(StrEnum):
    education = "education"
    coaching = "coaching"
    telemonitoring = "telemonitoring"
    ehealth = "ehealth"


class AgreementStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"  # no longer applies; kept, never deleted


class Proposer(StrEnum):
    patient = "patient"
    professional = "professional"


def _json_list() -> sa.Column:
    return sa.Column(sa.JSON, nullable=False, default=list)


class CarePlan(SQLModel, table=True):
    __tablename__ = "care_plan"
    __table_args__ = (sa.UniqueConstraint("patient_id", name="uq_care_plan_patient_id"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord("CarePlan", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    what_matters: str = Field(default="", max_length=TEXT_MAX)
    life_goals: str = Field(default="", max_length=TEXT_MAX)
    support_needs: str = Field(default="", max_length=TEXT_MAX)
    modules: list[str] = Field(default_factory=list, sa_column=_json_list())
    next_review_date: date | None = None
    # Programme codes (patients.models.Programme) this plan addresses.
    conditions: list[str] = Field(default_factory=list, sa_column=_json_list())
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class PlanAgreement(SQLModel, table=True):
    """An agreement in the plan: who does what, by when, and whether it is done.

    Agreements are rows (not free text) so each one has an owner and a date, the patient can
    tick it off and a stale one shows. Versioned like plans and goals; never deleted: an
    agreement that no longer applies is cancelled.
    """

    __tablename__ = "plan_agreement"

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "PlanAgreement", N_("Deze afspraak bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="care_plan.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    what: str = Field(max_length=AGREEMENT_WHAT_MAX)
    who: str = Field(default="", max_length=100)
    due_date: date | None = None
    status: str = Field(default=AgreementStatus.open.value, max_length=20)
    done_date: date | None = None
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class Goal(SQLModel, table=True):
    __tablename__ = "goal"
    __table_args__ = (sa.Index("ix_goal_patient_review", "patient_id", "review_date"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "Goal", N_("Dit doel bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="care_plan.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    title: str = Field(max_length=200)
    domain: str = Field(max_length=20)
    programmes: list[str] = Field(default_factory=list, sa_column=_json_list())
    target_type: str | None = Field(default=None, max_length=64)
    target_comparator: str | None = Field(default=None, max_length=2)
    target_value: float | None = None
    target_unit: str | None = Field(default=None, max_length=32)
    due_date: date | None = None
    review_date: date | None = Field(default=None, index=True)
    lifecycle: str = Field(default="proposed", max_length=20, index=True)
    achievement: str = Field(default="in-progress", max_length=20)
    proposed_by: str = Field(max_length=20)
    proposed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    agreed_by_patient_at: datetime | None = Field(default=None, sa_column=utc_column())
    agreed_by_patient_id: int | None = Field(default=None, foreign_key="user_account.id")
    agreed_by_professional_at: datetime | None = Field(default=None, sa_column=utc_column())
    agreed_by_professional_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class GoalAction(SQLModel, table=True):
    """What someone does for a goal: what, who, how often."""

    __tablename__ = "goal_action"

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "GoalAction", N_("Deze actie bestaat niet of u heeft er geen toegang toe.")
    )
    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    what: str = Field(max_length=200)
    who: str = Field(default="", max_length=100)
    how_often: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ActionLog(SQLModel, table=True):
    """The *do* of PDCA: the patient did an action. The client token makes a resubmit harmless."""

    __tablename__ = "action_log"
    __table_args__ = (sa.UniqueConstraint("client_token", name="uq_action_log_client_token"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord("ActionLog", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="goal_action.id", index=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    done_on: date
    note: str = Field(default="", max_length=500)
    client_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class GoalReview(SQLModel, table=True):
    """*Check* and *act*: the patient's prepared view, the professional's view, the decision.

    A review is open (prepared by the patient, no decision yet) until a professional decides.
    ``prepare_token`` and ``submission_token`` make a double submit create one review.
    """

    __tablename__ = "goal_review"
    __table_args__ = (
        sa.UniqueConstraint("submission_token", name="uq_goal_review_submission_token"),
        sa.UniqueConstraint("prepare_token", name="uq_goal_review_prepare_token"),
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord("GoalReview", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    patient_score: int | None = None  # 1 (not at all) .. 5 (very well)
    patient_helped: str = Field(default="", max_length=TEXT_MAX)
    patient_hard: str = Field(default="", max_length=TEXT_MAX)
    prepared_at: datetime | None = Field(default=None, sa_column=utc_column())
    prepare_token: str | None = Field(default=None, max_length=64)
    professional_view: str = Field(default="", max_length=TEXT_MAX)
    progress: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    achievement: str | None = Field(default=None, max_length=20)
    decision: str | None = Field(default=None, max_length=20)
    next_review_date: date | None = None
    reviewer_id: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: datetime | None = Field(default=None, sa_column=utc_column())
    submission_token: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class Revision(SQLModel, table=True):
    """One change to a plan, goal or action: who, when, which fields (old and new values)."""

    __tablename__ = "izp_revision"
    __table_args__ = (sa.Index("ix_izp_revision_object", "object_type", "object_id"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord("CarePlanHistory", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="care_plan.id", index=True)
    patient_id: int = Field(foreign_key="patient.id")
    object_type: str = Field(max_length=20)
    object_id: int
    version: int = Field(default=1)  # the object's version after this change
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    user_name: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    changes: list = Field(default_factory=list, sa_column=_json_list())
