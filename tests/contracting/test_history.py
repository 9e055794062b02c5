"""The dated history the indicators read is kept by the domains' services, and the
migration rebuilds it from revisions."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from tests.izp.helpers import NOW, TODAY, goal_input
from zelfzorg.accounts.services import complete_login
from zelfzorg.config import ROOT
from zelfzorg.contracting.models import GoalStatusHistory, PatientActivityDay
from zelfzorg.izp import goals, reviews
from zelfzorg.telemonitoring.services import ReadingsInput, record_readings


def history(db, goal_id):
    return db.exec(
        select(GoalStatusHistory)
        .where(GoalStatusHistory.goal_id == goal_id)
        .order_by(col(GoalStatusHistory.id))
    ).all()


def test_goal_changes_are_kept_as_dated_rows(db, world):
    poh, patient = world.actor(world.poh), world.actor(world.patient_user)
    goal = goals.propose_goal(db, poh, world.patient.id, goal_input(), today=TODAY, now=NOW)
    goals.agree_goal(db, patient, goal.id, today=TODAY, now=NOW + timedelta(hours=1))
    rows = history(db, goal.id)
    # Proposed and agreed on the same day: the day keeps its last state.
    assert [(r.status, r.agreed, r.valid_from, r.valid_to) for r in rows] == [
        ("active", True, TODAY, None)
    ]
    assert rows[0].programmes == "|CVRM|"
    later = NOW + timedelta(days=2)
    goals.edit_goal(
        db,
        poh,
        goal.id,
        goal_input(title="Bloeddruk onder 135", target_value="135"),
        version=goal.version,
        today=TODAY + timedelta(days=2),
        now=later,
    )
    reviews.review_goal(
        db,
        poh,
        goal.id,
        achievement="achieved",
        decision="achieved",
        next_review=None,
        token="r1",
        today=TODAY + timedelta(days=5),
        now=NOW + timedelta(days=5),
    )
    rows = history(db, goal.id)
    day2, day5 = TODAY + timedelta(days=2), TODAY + timedelta(days=5)
    assert [(r.status, r.agreed, r.agreed_by_patient, r.valid_from, r.valid_to) for r in rows] == [
        ("active", True, True, TODAY, day2),
        # Asked to agree again: not yet agreed by the patient, still an agreed goal.
        ("active", True, False, day2, day5),
        ("completed", True, False, day5, None),
    ]


def test_patient_activity_is_recorded(db, world):
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 in Amsterdam: the next day
    complete_login(db, world.patient_user, client_address="127.0.0.1", now=now)
    record_readings(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        ReadingsInput(values={"weight": "80"}, measured_at=now - timedelta(hours=1)),
        now=now,
    )
    complete_login(db, world.poh, client_address="127.0.0.1", now=now)  # not a patient
    rows = db.exec(select(PatientActivityDay)).all()
    assert [(r.patient_id, r.day, r.logged_in, r.measurement, r.action) for r in rows] == [
        (world.patient.id, date(2026, 12, 1), True, True, False)
    ]


def _migration():
    path = ROOT / "migrations" / "versions" / "20261201_0009_contracting_records_and_history.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_rebuilds_goal_history_from_revisions():
    at = datetime(2025, 3, 1, 9, tzinfo=UTC)
    goal = {"id": 7, "patient_id": 3, "lifecycle": "completed", "created_at": at}
    both = {"agreed_by_patient_at": at.isoformat(), "agreed_by_professional_at": at.isoformat()}
    revisions = [
        (at, [{"field": "lifecycle", "new": "proposed"}, {"field": "programmes", "new": ["DM2"]}]),
        (
            at + timedelta(hours=2),
            [{"field": "lifecycle", "new": "active"}]
            + [{"field": k, "new": v} for k, v in both.items()],
        ),
        (at + timedelta(days=3), [{"field": "agreed_by_patient_at", "new": None}]),
        (at + timedelta(days=9), [{"field": "lifecycle", "new": "completed"}]),
    ]
    rows = _migration()._goal_rows(goal, revisions)
    assert [(r["status"], r["agreed"], r["valid_from"], r["valid_to"]) for r in rows] == [
        ("active", True, date(2025, 3, 1), date(2025, 3, 4)),
        ("active", True, date(2025, 3, 4), date(2025, 3, 10)),
        ("completed", True, date(2025, 3, 10), None),
    ]
    assert rows[0]["programmes"] == "|DM2|"
    assert rows[0]["agreed_on"] == date(2025, 3, 1)
