"""``measurement_latest`` for a bulk load (the generator): the insert trigger set aside for the
load, the table worked out afterwards in one statement for every patient who got readings.

The triggers (migration 0030) keep the table on every insert statement: for a load of millions
of readings in batches that is a sort and an upsert per batch (on PostgreSQL it made
generating 2,000 patients 70% slower). Inside the load's own transaction the insert trigger is
dropped (SQLite) or disabled (PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER``, which holds an
exclusive lock on ``measurement`` until the load commits; the generator is not run beside
users) and restored before the commit, so a load that fails rolls the trigger back with its
rows. Update and delete triggers stay on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

INSERT_TRIGGER = "measurement_latest_insert"

_REFRESH = """
INSERT INTO measurement_latest
    (patient_id, type_code, measurement_id, measured_at, value, value_code)
SELECT patient_id, type_code, id, measured_at, value, value_code FROM (
    SELECT patient_id, type_code, id, measured_at, value, value_code,
           ROW_NUMBER() OVER (PARTITION BY patient_id, type_code
                              ORDER BY measured_at DESC, id DESC) AS rn
    FROM measurement
    WHERE superseded_at IS NULL AND (value IS NOT NULL OR value_code IS NOT NULL)
      AND patient_id IN (SELECT DISTINCT patient_id FROM measurement WHERE id > :since)
) AS ranked WHERE rn = 1
ON CONFLICT (patient_id, type_code) DO UPDATE SET
    measurement_id = excluded.measurement_id, measured_at = excluded.measured_at,
    value = excluded.value, value_code = excluded.value_code
WHERE (excluded.measured_at, excluded.measurement_id)
    > (measurement_latest.measured_at, measurement_latest.measurement_id)
"""


def refresh_since(conn: sa.Connection, since_id: int) -> int:
    """Work out the rows of every patient with a reading whose id is above ``since_id``;
    returns the rows written."""
    return conn.execute(sa.text(_REFRESH), {"since": since_id}).rowcount


@dataclass
class BulkLoad:
    written: int = 0  # measurement_latest rows written on leaving the block


@contextmanager
def bulk_insert(conn: sa.Connection) -> Iterator[BulkLoad]:
    """Inserts into ``measurement`` inside this block (within ``conn``'s transaction) leave
    ``measurement_latest`` alone; on leaving it, the trigger is back and the table holds the
    newest reading of every patient who got readings (the ids above the largest before)."""
    load = BulkLoad()
    since = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM measurement")).scalar_one()
    # A schema made without the migrations (``create_all``) has no trigger to set aside.
    if conn.dialect.name == "postgresql":
        present = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_trigger WHERE tgname = :name "
                "AND tgrelid = 'measurement'::regclass"
            ),
            {"name": INSERT_TRIGGER},
        ).scalar_one()
        if present:
            conn.execute(sa.text(f"ALTER TABLE measurement DISABLE TRIGGER {INSERT_TRIGGER}"))
        yield load
        if present:
            conn.execute(sa.text(f"ALTER TABLE measurement ENABLE TRIGGER {INSERT_TRIGGER}"))
    else:
        definition = conn.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
            {"name": INSERT_TRIGGER},
        ).scalar()
        if definition is not None:
            conn.execute(sa.text(f"DROP TRIGGER {INSERT_TRIGGER}"))
        yield load
        if definition is not None:
            conn.execute(sa.text(definition))
    load.written = refresh_since(conn, since)
