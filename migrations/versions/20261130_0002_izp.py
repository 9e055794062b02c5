"""izp

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import zelfzorg.models_base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("what_matters", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("life_goals", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("support_needs", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("agreements", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("next_review_date", sa.Date(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_care_plan_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_care_plan_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_care_plan_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan")),
        sa.UniqueConstraint("patient_id", name="uq_care_plan_patient_id"),
    )
    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("programmes", sa.JSON(), nullable=False),
        sa.Column("target_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("target_comparator", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("target_unit", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("lifecycle", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("achievement", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "agreed_by_patient_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("agreed_by_patient_id", sa.Integer(), nullable=True),
        sa.Column(
            "agreed_by_professional_at",
            zelfzorg.models_base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("agreed_by_professional_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreed_by_patient_id"],
            ["user_account.id"],
            name=op.f("fk_goal_agreed_by_patient_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["agreed_by_professional_id"],
            ["user_account.id"],
            name=op.f("fk_goal_agreed_by_professional_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_goal_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_goal_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["user_account.id"],
            name=op.f("fk_goal_proposed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"], name=op.f("fk_goal_updated_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_lifecycle"), ["lifecycle"], unique=False)
        batch_op.create_index("ix_goal_patient_review", ["patient_id", "review_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_review_date"), ["review_date"], unique=False)

    op.create_table(
        "izp_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_izp_revision_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_izp_revision_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_izp_revision_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_izp_revision")),
    )
    with op.batch_alter_table("izp_revision", schema=None) as batch_op:
        batch_op.create_index("ix_izp_revision_object", ["object_type", "object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_izp_revision_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "goal_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("how_often", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_goal_action_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_goal_action_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_goal_action_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_action")),
    )
    with op.batch_alter_table("goal_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_action_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_action_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "goal_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("patient_score", sa.Integer(), nullable=True),
        sa.Column("patient_helped", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("patient_hard", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("prepared_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("prepare_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "professional_view", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("achievement", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("next_review_date", sa.Date(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submission_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_goal_review_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_goal_review_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user_account.id"],
            name=op.f("fk_goal_review_reviewer_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_review")),
        sa.UniqueConstraint("prepare_token", name="uq_goal_review_prepare_token"),
        sa.UniqueConstraint("submission_token", name="uq_goal_review_submission_token"),
    )
    with op.batch_alter_table("goal_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_review_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_goal_review_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "action_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("client_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["goal_action.id"], name=op.f("fk_action_log_action_id_goal_action")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_action_log_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_action_log_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_action_log_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_log")),
        sa.UniqueConstraint("client_token", name="uq_action_log_client_token"),
    )
    with op.batch_alter_table("action_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_log_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_log_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_log_patient_id"), ["patient_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("action_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_log_patient_id"))
        batch_op.drop_index(batch_op.f("ix_action_log_goal_id"))
        batch_op.drop_index(batch_op.f("ix_action_log_action_id"))

    op.drop_table("action_log")
    with op.batch_alter_table("goal_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_review_patient_id"))
        batch_op.drop_index(batch_op.f("ix_goal_review_goal_id"))

    op.drop_table("goal_review")
    with op.batch_alter_table("goal_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_action_patient_id"))
        batch_op.drop_index(batch_op.f("ix_goal_action_goal_id"))

    op.drop_table("goal_action")
    with op.batch_alter_table("izp_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_izp_revision_plan_id"))
        batch_op.drop_index("ix_izp_revision_object")

    op.drop_table("izp_revision")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_review_date"))
        batch_op.drop_index(batch_op.f("ix_goal_plan_id"))
        batch_op.drop_index("ix_goal_patient_review")
        batch_op.drop_index(batch_op.f("ix_goal_lifecycle"))

    op.drop_table("goal")
    op.drop_table("care_plan")
    # ### end Alembic commands ###
