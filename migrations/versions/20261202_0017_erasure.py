"""privacy: erasure requests, and the erased stub mark on patients

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import zelfzorg.models_base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True)
        )
    text = sqlmodel.sql.sqltypes.AutoString
    utc = zelfzorg.models_base.UTCDateTime
    op.create_table(
        "erasure_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", text(length=2000), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_role", text(length=20), nullable=False),
        sa.Column("requested_at", utc(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", utc(timezone=True), nullable=True),
        sa.Column("decision_reason", text(length=2000), nullable=False),
        sa.Column("executed_by_id", sa.Integer(), nullable=True),
        sa.Column("executed_at", utc(timezone=True), nullable=True),
        sa.Column("summary", text(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status in ('requested','approved','rejected','executed')",
            name=op.f("ck_erasure_request_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_erasure_request_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["executed_by_id"],
            ["user_account.id"],
            name=op.f("fk_erasure_request_executed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_erasure_request_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_erasure_request_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_erasure_request_requested_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_request")),
    )
    with op.batch_alter_table("erasure_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erasure_request_practice_status", ["practice_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_erasure_request_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("erasure_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_request_patient_id"))
        batch_op.drop_index("ix_erasure_request_practice_status")
    op.drop_table("erasure_request")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
