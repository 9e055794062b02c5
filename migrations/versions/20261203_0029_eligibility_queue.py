"""lifestyle eligibility queue: large changes recompute in the background

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03

A change that touches more patients than ``eligibility.INLINE_LIMIT`` (an import, a catalogue
change of a large care group) removes their eligibility rows and queues them here; the
interval job ``lifestyle_eligibility_queue`` recomputes them in short transactions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zelfzorg.models_base

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lifestyle_eligibility_queue",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("queued_at", zelfzorg.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("patient_id"),
    )


def downgrade() -> None:
    # Queued patients have no rows; without the queue they are evaluated live (readers never
    # need the queue) until ``flask --app wsgi zelfzorg lifestyle-eligibility`` rebuilds.
    op.drop_table("lifestyle_eligibility_queue")
