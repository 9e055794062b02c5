"""measurement_latest: each patient's newest current reading per type, kept by triggers

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07

The outcome comparison and the contracting report read the latest value of every patient of a
care group: one index probe of ``measurement`` per patient and type (12,000 for one review
screen at 50,000 patients). This table holds that value; triggers on ``measurement`` keep it,
so every writer does (inserts, corrections, erasure, bulk loads, SQL by hand):

- an inserted current reading (not superseded, with ``value`` or ``value_code``) raises its
  pair's row when it is newer (``measured_at``, then ``id``);
- an update or delete that takes away the pair's newest reading moves the row to the newest
  current reading left (one probe of ``ix_measurement_patient_type_time_id``), or removes it;
  an update that leaves a current reading behaves as an insert.

PostgreSQL: statement triggers with transition tables (one set-based upsert per insert
statement, a bulk insert or COPY included). The upsert's ``WHERE newer`` is judged on the row
as committed when a concurrent writer of the same pair held it (``ON CONFLICT DO UPDATE``
locks and reads the current version), so two transactions adding readings of one pair keep the
newer. SQLite: row triggers (one writer at a time).
Downgrade drops the triggers and the table (nothing reads it but the app's own queries).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zelfzorg.models_base

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = "superseded_at IS NULL AND (value IS NOT NULL OR value_code IS NOT NULL)"
COLUMNS = "patient_id, type_code, measurement_id, measured_at, value, value_code"
NEWER = (
    "(excluded.measured_at, excluded.measurement_id) "
    "> (measurement_latest.measured_at, measurement_latest.measurement_id)"
)
UPSERT = (
    "ON CONFLICT (patient_id, type_code) DO UPDATE SET "
    "measurement_id = excluded.measurement_id, measured_at = excluded.measured_at, "
    f"value = excluded.value, value_code = excluded.value_code WHERE {NEWER}"
)


def _newest(patient: str, type_code: str) -> str:
    """The newest current reading of one pair: a subquery of (id, measured_at, value,
    value_code) on the (patient, type, time, id) index."""
    return (
        "SELECT id, measured_at, value, value_code FROM measurement "
        f"WHERE patient_id = {patient} AND type_code = {type_code} AND {CURRENT} "
        "ORDER BY measured_at DESC, id DESC LIMIT 1"
    )


# SQLite, inside a row trigger: the pair of OLD worked out again when OLD was its newest
# reading (the row moves to the newest current reading left, possibly OLD itself), and removed
# when no current reading is left; NEW raising its pair's row when it is newer.
_SQLITE_AGAIN = f"""
        UPDATE measurement_latest
            SET (measurement_id, measured_at, value, value_code) =
                ({_newest("OLD.patient_id", "OLD.type_code")})
            WHERE patient_id = OLD.patient_id AND type_code = OLD.type_code
              AND measurement_id = OLD.id;"""
_SQLITE_MOVE = f"""
        DELETE FROM measurement_latest
            WHERE patient_id = OLD.patient_id AND type_code = OLD.type_code
              AND measurement_id = OLD.id
              AND NOT EXISTS (SELECT 1 FROM measurement
                            WHERE patient_id = OLD.patient_id AND type_code = OLD.type_code
                              AND {CURRENT});{_SQLITE_AGAIN}"""
_SQLITE_RAISE = f"""
        INSERT INTO measurement_latest ({COLUMNS})
        VALUES (NEW.patient_id, NEW.type_code, NEW.id, NEW.measured_at, NEW.value,
                NEW.value_code)
        {UPSERT};"""
_NEW_CURRENT = "NEW.superseded_at IS NULL AND (NEW.value IS NOT NULL OR NEW.value_code IS NOT NULL)"

SQLITE = [
    f"""CREATE TRIGGER measurement_latest_insert AFTER INSERT ON measurement
    WHEN {_NEW_CURRENT}
    BEGIN{_SQLITE_RAISE}
    END""",
    # A reading that is no longer current (a correction, a change of its value).
    f"""CREATE TRIGGER measurement_latest_update_gone AFTER UPDATE ON measurement
    WHEN NOT ({_NEW_CURRENT})
    BEGIN{_SQLITE_MOVE}
    END""",
    # A reading that is (still) current after an update: its pair worked out again (its time
    # may have gone back), then as an insert.
    f"""CREATE TRIGGER measurement_latest_update_current AFTER UPDATE ON measurement
    WHEN {_NEW_CURRENT}
    BEGIN{_SQLITE_AGAIN}{_SQLITE_RAISE}
    END""",
    f"""CREATE TRIGGER measurement_latest_delete AFTER DELETE ON measurement
    BEGIN{_SQLITE_MOVE}
    END""",
]

# PostgreSQL: the pairs whose newest reading was changed or deleted (rows of the transition
# table ``old_rows`` that were a pair's newest) are worked out again: the row moves to the newest
# current reading left (possibly the same one), or goes when none is left.
_PG_MOVE = f"""
    UPDATE measurement_latest AS l
        SET measurement_id = n.id, measured_at = n.measured_at, value = n.value,
            value_code = n.value_code
        FROM old_rows AS o
        CROSS JOIN LATERAL ({_newest("o.patient_id", "o.type_code")}) AS n
        WHERE l.patient_id = o.patient_id AND l.type_code = o.type_code
          AND l.measurement_id = o.id;
    DELETE FROM measurement_latest AS l USING old_rows AS o
        WHERE l.patient_id = o.patient_id AND l.type_code = o.type_code
          AND l.measurement_id = o.id
          AND NOT EXISTS (SELECT 1 FROM measurement AS m
                          WHERE m.patient_id = o.patient_id AND m.type_code = o.type_code
                            AND m.superseded_at IS NULL
                            AND (m.value IS NOT NULL OR m.value_code IS NOT NULL));
"""


def _pg_raise(rows: str) -> str:
    return f"""
    INSERT INTO measurement_latest ({COLUMNS})
        SELECT DISTINCT ON (patient_id, type_code)
               patient_id, type_code, id, measured_at, value, value_code
        FROM {rows} WHERE {CURRENT}
        ORDER BY patient_id, type_code, measured_at DESC, id DESC
        {UPSERT};
"""


POSTGRESQL = [
    f"""CREATE FUNCTION measurement_latest_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_pg_raise("new_rows")}
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION measurement_latest_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_PG_MOVE}
        {_pg_raise("new_rows")}
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION measurement_latest_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_PG_MOVE}
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER measurement_latest_insert AFTER INSERT ON measurement "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION measurement_latest_inserted()",
    "CREATE TRIGGER measurement_latest_update AFTER UPDATE ON measurement "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION measurement_latest_updated()",
    "CREATE TRIGGER measurement_latest_delete AFTER DELETE ON measurement "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION measurement_latest_deleted()",
]

BACKFILL = f"""
INSERT INTO measurement_latest ({COLUMNS})
SELECT patient_id, type_code, id, measured_at, value, value_code FROM (
    SELECT patient_id, type_code, id, measured_at, value, value_code,
           ROW_NUMBER() OVER (PARTITION BY patient_id, type_code
                              ORDER BY measured_at DESC, id DESC) AS rn
    FROM measurement WHERE {CURRENT}
) AS ranked WHERE rn = 1
"""


def upgrade() -> None:
    op.create_table(
        "measurement_latest",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("measurement_id", sa.Integer(), nullable=False),
        sa.Column("measured_at", zelfzorg.models_base.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("patient_id", "type_code"),
    )
    op.execute(BACKFILL)
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update_gone", "update_current", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS measurement_latest_{name}")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS measurement_latest_{name} ON measurement")
        for name in ("inserted", "updated", "deleted"):
            op.execute(f"DROP FUNCTION IF EXISTS measurement_latest_{name}()")
    op.drop_table("measurement_latest")
