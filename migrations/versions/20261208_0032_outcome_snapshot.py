"""The night's snapshot of the outcome comparison groups

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08

``outcome_snapshot`` marks a care group's day as complete; ``outcome_cohort_member`` holds each
programme's population of that day (sex, birth date), ``outcome_cohort_value`` each member's
latest value per outcome, ``outcome_cohort_count`` per cohort (sex, age band) how many members
have each value and ``outcome_cohort_goal`` the members' similar goals for "patients like me"
(``zelfzorg/outcomes/snapshot.py``). The counts and the goal rows are
keyed in the order a screen reads a cohort (care group, day, programme, sex, then band or birth
date); the members and values, written by the tens of thousands every night and read per
patient (the patient's own row, left out of their cohort's counts; erasure), by patient. SQLite
keeps each table in its key's order (``WITHOUT ROWID``). New tables, empty: the daily job fills
them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zelfzorg.models_base

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_snapshot",
        sa.Column("care_group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("value_count", sa.Integer(), nullable=False),
        sa.Column("made_at", zelfzorg.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["care_group_id"], ["care_group.id"]),
        sa.PrimaryKeyConstraint("care_group_id", "day"),
    )
    op.create_table(
        "outcome_cohort_member",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("programme", sa.String(length=16), nullable=False),
        sa.Column("care_group_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", "day", "programme"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "outcome_cohort_value",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("programme", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reads", sa.String(length=40), nullable=False),
        sa.Column("care_group_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", "day", "programme", "source", "reads"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "outcome_cohort_count",
        sa.Column("care_group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("programme", sa.String(length=16), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reads", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["care_group_id"], ["care_group.id"]),
        sa.PrimaryKeyConstraint(
            "care_group_id", "day", "programme", "sex", "band", "source", "reads", "value"
        ),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "outcome_cohort_goal",
        sa.Column("care_group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("programme", sa.String(length=16), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["care_group_id"], ["care_group.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint(
            "care_group_id",
            "day",
            "programme",
            "sex",
            "date_of_birth",
            "patient_id",
            "type_code",
            "direction",
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_outcome_cohort_goal_patient", "outcome_cohort_goal", ["patient_id"])


def downgrade() -> None:
    op.drop_index("ix_outcome_cohort_goal_patient", table_name="outcome_cohort_goal")
    op.drop_table("outcome_cohort_goal")
    op.drop_table("outcome_cohort_count")
    op.drop_table("outcome_cohort_value")
    op.drop_table("outcome_cohort_member")
    op.drop_table("outcome_snapshot")
