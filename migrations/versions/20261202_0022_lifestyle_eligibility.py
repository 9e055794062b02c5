"""maintained lifestyle eligibility table; worklist indexes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zelfzorg.models_base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lifestyle_eligibility",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=15), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("computed_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["intervention_id"], ["lifestyle_intervention.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("patient_id", "intervention_id"),
    )
    op.create_index(
        "ix_lifestyle_eligibility_intervention",
        "lifestyle_eligibility",
        ["intervention_id", "outcome"],
    )
    op.create_index(
        "ix_lifestyle_eligibility_valid_until", "lifestyle_eligibility", ["valid_until"]
    )


def downgrade() -> None:
    op.drop_index("ix_lifestyle_eligibility_valid_until", table_name="lifestyle_eligibility")
    op.drop_index("ix_lifestyle_eligibility_intervention", table_name="lifestyle_eligibility")
    op.drop_table("lifestyle_eligibility")
