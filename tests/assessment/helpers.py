"""Shared arrangements for the assessment tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from zelfzorg.assessment import services

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Mean 2.846 -> (2.846 - 1) / 3 * 100 = 61.5: level 3 with the built-in cut-offs.
LEVEL_3 = {f"a{n:02d}": 3 for n in range(1, 12)} | {"a12": 2, "a13": 2}
# Mean 2.077 -> 35.9: level 1.
LEVEL_1 = {f"a{n:02d}": v for n, v in zip(range(1, 14), [2] * 6 + [1] * 3 + [3] * 4, strict=True)}


def complete(db, world, answers, *, now=NOW, code="activation", user=None):
    """Fill in and submit a questionnaire for world.patient; returns the response."""
    actor = world.actor(user or world.patient_user)
    response = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code=code, now=now
    )
    services.save_answers(db, actor, response_id=response.id, answers=answers, now=now)
    return services.submit_response(db, actor, response_id=response.id, now=now)
