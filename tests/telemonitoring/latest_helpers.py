"""What ``measurement_latest`` holds against what ``measurement`` says it should hold."""

from __future__ import annotations

import sqlalchemy as sa

from zelfzorg.telemonitoring.models import MeasurementLatest

TRUTH = sa.text(
    """
    SELECT patient_id, type_code, id, value, value_code FROM (
        SELECT patient_id, type_code, id, value, value_code,
               ROW_NUMBER() OVER (PARTITION BY patient_id, type_code
                                  ORDER BY measured_at DESC, id DESC) AS rn
        FROM measurement
        WHERE superseded_at IS NULL AND (value IS NOT NULL OR value_code IS NOT NULL)
    ) AS ranked WHERE rn = 1
    """
)


def truth(session) -> set[tuple]:
    return {tuple(row) for row in session.execute(TRUTH)}


def kept(session) -> set[tuple]:
    table = MeasurementLatest.__table__
    rows = session.execute(
        sa.select(
            table.c.patient_id,
            table.c.type_code,
            table.c.measurement_id,
            table.c.value,
            table.c.value_code,
        )
    )
    return {tuple(row) for row in rows}
