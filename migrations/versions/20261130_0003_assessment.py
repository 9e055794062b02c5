"""assessment: care-group assessment settings

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zelfzorg.models_base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("care_group_id", sa.Integer(), nullable=False),
        sa.Column("due_interval_months", sa.Integer(), nullable=False),
        sa.Column("review_interval_weeks", sa.JSON(), nullable=False),
        sa.Column("cutoffs", sa.JSON(), nullable=False),
        sa.Column("updated_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["care_group_id"],
            ["care_group.id"],
            name=op.f("fk_assessment_setting_care_group_id_care_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_setting")),
        sa.UniqueConstraint("care_group_id", name=op.f("uq_assessment_setting_care_group_id")),
    )


def downgrade() -> None:
    op.drop_table("assessment_setting")
