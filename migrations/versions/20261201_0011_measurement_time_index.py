"""measurement index for a patient's latest entries of every type

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_measurement_patient_time",
        "measurement",
        ["patient_id", "measured_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_measurement_patient_time", table_name="measurement")
