"""fhir: bulk exports (Group/$export jobs, progress, NDJSON files) and import keys of
imported Goals and QuestionnaireResponses

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import zelfzorg.models_base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fhir_import_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_fhir_import_key_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_import_key")),
        sa.UniqueConstraint(
            "resource_type", "patient_id", "key", name="uq_fhir_import_key_resource"
        ),
    )
    with op.batch_alter_table("fhir_import_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fhir_import_key_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "fhir_bulk_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("types", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("since", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("request_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "transaction_time", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("patients_total", sa.Integer(), nullable=False),
        sa.Column("patients_done", sa.Integer(), nullable=False),
        sa.Column("cursor_patient_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("heartbeat_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_fhir_bulk_export_practice_id_practice")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_fhir_bulk_export_requested_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_bulk_export")),
        sa.UniqueConstraint("key", name=op.f("uq_fhir_bulk_export_key")),
    )
    with op.batch_alter_table("fhir_bulk_export", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fhir_bulk_export_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fhir_bulk_export_requested_by_id"), ["requested_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fhir_bulk_export_status"), ["status"], unique=False)

    op.create_table(
        "fhir_bulk_export_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["fhir_bulk_export.id"],
            name=op.f("fk_fhir_bulk_export_file_export_id_fhir_bulk_export"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_bulk_export_file")),
        sa.UniqueConstraint("export_id", "resource_type", name="uq_fhir_bulk_export_file_type"),
    )
    with op.batch_alter_table("fhir_bulk_export_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fhir_bulk_export_file_export_id"), ["export_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fhir_bulk_export_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_bulk_export_file_export_id"))

    op.drop_table("fhir_bulk_export_file")
    with op.batch_alter_table("fhir_bulk_export", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_bulk_export_status"))
        batch_op.drop_index(batch_op.f("ix_fhir_bulk_export_requested_by_id"))
        batch_op.drop_index(batch_op.f("ix_fhir_bulk_export_expires_at"))

    op.drop_table("fhir_bulk_export")
    with op.batch_alter_table("fhir_import_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_import_key_patient_id"))

    op.drop_table("fhir_import_key")
