"""izp: plan agreements as rows (who does what, by when, done) instead of free text

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Existing free-text agreements are kept: every non-empty line becomes one open agreement (what =
the line, who and date empty, for the POH to complete), each with a creation revision, and the
plan gets a revision that moves the text out, so the plan history stays true.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import zelfzorg.models_base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHAT_MAX = 500
MIGRATED_BY = "Zelfzorg (omzetting afspraken)"

care_plan = sa.table(
    "care_plan",
    sa.column("id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("agreements", sa.String),
    sa.column("version", sa.Integer),
)
plan_agreement = sa.table(
    "plan_agreement",
    sa.column("id", sa.Integer),
    sa.column("plan_id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("what", sa.String),
    sa.column("who", sa.String),
    sa.column("due_date", sa.Date),
    sa.column("status", sa.String),
    sa.column("version", sa.Integer),
    sa.column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True)),
    sa.column("updated_at", zelfzorg.models_base.UTCDateTime(timezone=True)),
)
izp_revision = sa.table(
    "izp_revision",
    sa.column("plan_id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("user_name", sa.String),
    sa.column("at", zelfzorg.models_base.UTCDateTime(timezone=True)),
    sa.column("changes", sa.JSON),
)


def _lines(text: str) -> list[str]:
    """Non-empty lines, a very long line split so nothing is lost."""
    parts = []
    for line in text.splitlines():
        line = line.strip()
        while line:
            parts.append(line[:WHAT_MAX])
            line = line[WHAT_MAX:].strip()
    return parts


def upgrade() -> None:
    op.create_table(
        "plan_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("done_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", zelfzorg.models_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_plan_agreement_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_plan_agreement_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_plan_agreement_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_plan_agreement_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_agreement")),
    )
    with op.batch_alter_table("plan_agreement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_agreement_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_agreement_plan_id"), ["plan_id"], unique=False)

    conn = op.get_bind()
    now = datetime.now(UTC)
    plans = conn.execute(
        sa.select(
            care_plan.c.id, care_plan.c.patient_id, care_plan.c.agreements, care_plan.c.version
        ).where(care_plan.c.agreements != "")
    ).all()
    for plan_id, patient_id, text, version in plans:
        for line in _lines(text or ""):
            agreement_id = conn.execute(
                plan_agreement.insert()
                .values(
                    plan_id=plan_id,
                    patient_id=patient_id,
                    what=line,
                    who="",
                    due_date=None,
                    status="open",
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                .returning(plan_agreement.c.id)
            ).scalar_one()
            created = [
                {"field": "what", "old": None, "new": line},
                {"field": "status", "old": None, "new": "open"},
            ]
            conn.execute(
                izp_revision.insert().values(
                    plan_id=plan_id,
                    patient_id=patient_id,
                    object_type="PlanAgreement",
                    object_id=agreement_id,
                    version=1,
                    user_id=None,
                    user_name=MIGRATED_BY,
                    at=now,
                    changes=created,
                )
            )
        conn.execute(
            izp_revision.insert().values(
                plan_id=plan_id,
                patient_id=patient_id,
                object_type="CarePlan",
                object_id=plan_id,
                version=version,
                user_id=None,
                user_name=MIGRATED_BY,
                at=now,
                changes=[{"field": "agreements", "old": text, "new": None}],
            )
        )

    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.drop_column("agreements")


def downgrade() -> None:
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "agreements",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            plan_agreement.c.plan_id,
            plan_agreement.c.what,
            plan_agreement.c.who,
            plan_agreement.c.due_date,
        )
        .where(plan_agreement.c.status != "cancelled")
        .order_by(plan_agreement.c.plan_id, plan_agreement.c.id)
    ).all()
    texts: dict[int, list[str]] = {}
    for plan_id, what, who, due_date in rows:
        line = " – ".join(part for part in (what, who, due_date and due_date.isoformat()) if part)
        texts.setdefault(plan_id, []).append(line)
    for plan_id, lines in texts.items():
        conn.execute(
            care_plan.update()
            .where(care_plan.c.id == plan_id)
            .values(agreements="\n".join(lines)[:2000])
        )
    conn.execute(
        izp_revision.delete().where(
            sa.or_(
                izp_revision.c.object_type == "PlanAgreement",
                izp_revision.c.user_name == MIGRATED_BY,
            )
        )
    )
    with op.batch_alter_table("plan_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_agreement_plan_id"))
        batch_op.drop_index(batch_op.f("ix_plan_agreement_patient_id"))
    op.drop_table("plan_agreement")
