"""list indexes: latest reading per type with its tie-break, enrolments active on a day

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-02

* ``measurement (patient_id, type_code, measured_at, id)`` replaces
  ``(patient_id, type_code, measured_at)``: the newest reading of a type
  (``ORDER BY measured_at DESC, id DESC LIMIT 1``, the overview, the dashboard, the
  worklist's latest value, the lifestyle criteria) is one backward index step; PostgreSQL no
  longer sorts the rows of the same moment (incremental sort). Same number of indexes, so
  imports maintain no extra one. Not partial on ``superseded_at IS NULL``: the history and
  the import's lookups read superseded rows too.
* ``enrolment (patient_id, start_date, end_date)`` replaces ``(patient_id)``: the population
  test "an enrolment active on day d" per patient is answered from the index alone
  (covering on SQLite, index-only on PostgreSQL).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_measurement_patient_type_time_id",
        "measurement",
        ["patient_id", "type_code", "measured_at", "id"],
    )
    op.drop_index("ix_measurement_patient_type_time", table_name="measurement")
    op.create_index(
        "ix_enrolment_patient_dates", "enrolment", ["patient_id", "start_date", "end_date"]
    )
    op.drop_index("ix_enrolment_patient_id", table_name="enrolment")


def downgrade() -> None:
    op.create_index("ix_enrolment_patient_id", "enrolment", ["patient_id"])
    op.drop_index("ix_enrolment_patient_dates", table_name="enrolment")
    op.create_index(
        "ix_measurement_patient_type_time",
        "measurement",
        ["patient_id", "type_code", "measured_at"],
    )
    op.drop_index("ix_measurement_patient_type_time_id", table_name="measurement")
