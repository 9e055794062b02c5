"""Lifestyle intervention catalogue, referrals and their dated status history."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Field, SQLModel

from zelfzorg.errors import N_
from zelfzorg.leefstijl.criteria import criteria_to_data, parse_criteria
from zelfzorg.models_base import RECORD_NOT_FOUND, PatientRecord, utc_column, utcnow
from zelfzorg.texts import is_english


class Intervention(SQLModel, table=True):
    """One entry of a care group's catalogue; withdrawn by ``active = False``, never deleted."""

    __tablename__ = "lifestyle_intervention"

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)  # referral_states.INTERVENTION_KINDS
    provider: str = Field(default="", max_length=200)
    internet_based: bool = Field(default=False)
    zorgstandaard_conform: bool = Field(default=False)
    insured: bool = Field(default=False)
    # Care programme codes (Programme values) whose programme includes this intervention.
    programmes: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    description_nl: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    description_en: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    criteria: dict = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    active: bool = Field(default=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")

    def description(self, lang: str) -> str:
        return (self.description_en if is_english(lang) else "") or self.description_nl


@event.listens_for(Intervention, "before_insert")
@event.listens_for(Intervention, "before_update")
def _normalise_criteria(_mapper, _connection, target: Intervention) -> None:
    # Criteria are data that eligibility trusts: whatever path saves them (form, demo, import)
    # must store a valid, normalised tree.
    target.criteria = criteria_to_data(parse_criteria(target.criteria))


class Referral(SQLModel, table=True):
    __tablename__ = "lifestyle_referral"
    __table_args__ = (sa.Index("ix_lifestyle_referral_state_since", "state", "state_since"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "LifestyleReferral", N_("Deze verwijzing bestaat niet.")
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    intervention_id: int = Field(foreign_key="lifestyle_intervention.id", index=True)
    state: str = Field(max_length=20)  # referral_states.STATES
    # Local calendar date of the latest status change (worklist: offers left unanswered).
    state_since: date
    # Care-plan goal this referral serves; the foreign key to the goal table comes at merge.
    goal_id: int | None = Field(default=None, foreign_key="goal.id", index=True)
    outcome: dict | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    version: int = Field(default=1)


class ReferralEvent(SQLModel, table=True):
    """One status change of a referral: the dated history indicator L2 counts."""

    __tablename__ = "lifestyle_referral_event"
    __table_args__ = (sa.Index("ix_lifestyle_referral_event_day", "on_date", "to_state"),)

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "LifestyleReferralEvent", RECORD_NOT_FOUND, via=("referral_id", Referral)
    )
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="lifestyle_referral.id", index=True)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    on_date: date  # the local (Europe/Amsterdam) calendar date of ``at``
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    actor_role: str = Field(max_length=20)
    note: str = Field(default="", max_length=1000)


class Eligibility(SQLModel, table=True):
    """The outcome of one intervention's criteria for one patient, maintained by
    ``leefstijl.eligibility`` (recomputed when the facts or the catalogue change).

    A row answers for a reference date d with ``computed_on <= d < valid_until``: the first
    day on which the outcome could change without any data changing (a birthday, a
    measurement growing too old, an enrolment starting or ending). Outside that window, or
    without a row, the criteria are evaluated live."""

    __tablename__ = "lifestyle_eligibility"
    __table_args__ = (
        sa.Index("ix_lifestyle_eligibility_intervention", "intervention_id", "outcome"),
        sa.Index("ix_lifestyle_eligibility_valid_until", "valid_until"),
        # SQLite: the rows stored in the key's order (migration 0031), so a patient's rows
        # lie together and a pass grouped by patient reads them in order.
        {"sqlite_with_rowid": False},
    )

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "LifestyleEligibility", RECORD_NOT_FOUND
    )
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    intervention_id: int = Field(foreign_key="lifestyle_intervention.id", primary_key=True)
    outcome: str = Field(max_length=15)  # eligible, unknown, not_eligible
    computed_on: date
    valid_until: date
    computed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class EligibilityQueue(SQLModel, table=True):
    """Patients whose eligibility rows were taken away by a change too large to recompute in
    its own transaction (an import, a catalogue change of a large care group): until the
    interval job ``lifestyle_eligibility_queue`` has recomputed them, readers evaluate them
    live (they have no rows). ``generation`` grows with every new change to the patient, so
    the job removes only the entries it computed (``leefstijl.eligibility``)."""

    __tablename__ = "lifestyle_eligibility_queue"

    patient_record: ClassVar[PatientRecord] = PatientRecord(
        "LifestyleEligibility", RECORD_NOT_FOUND
    )
    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    generation: int = Field(default=1)
    queued_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
