"""Patients like me: how many comparable patients with a similar goal reached it within a
year, on hand-built groups (the privacy threshold, what is similar, what is "within a year")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.outcomes.helpers import TODAY, goal, measure, peers
from tests.queries import count_statements
from zelfzorg.outcomes import likeme, services
from zelfzorg.patients.models import Programme, Sex

CVRM = (Programme.CVRM,)
START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def _like_me(db, world):
    board = services.dashboard(db, world.actor(world.poh), patient_id=world.patient.id, today=TODAY)
    return board.like_me


def _peers_with_goals(db, world, reached: int, missed: int, **goal_args):
    """Comparable patients with a similar goal: ``reached`` met it within a year, ``missed``
    met it only after the year (or never)."""
    made = []
    for index in range(reached + missed):
        (peer,) = peers(db, world.practice, [None], programmes=CVRM)
        goal(db, peer, created=START, **goal_args)
        if index < reached:
            measure(db, peer, 132, code="bp_systolic", at=START + timedelta(days=100))
        else:
            measure(db, peer, 150, code="bp_systolic", at=START + timedelta(days=100))
            measure(db, peer, 132, code="bp_systolic", at=START + timedelta(days=400))
        made.append(peer)
    return made


def test_share_of_comparable_patients_who_reached_a_similar_goal(db, world) -> None:
    _peers_with_goals(db, world, reached=9, missed=11)
    mine = goal(db, world.patient, comparator="<=", value=130, created=datetime.now(UTC))
    (result,) = _like_me(db, world)
    assert result.goal.id == mine.id and result.direction == likeme.LOWER
    assert result.outcome_set.programme == Programme.CVRM
    assert (result.group_size, result.share, result.reason) == (20, 45, None)


@pytest.mark.parametrize(("count", "said"), [(20, True), (19, False)])
def test_twenty_comparable_patients_with_a_similar_goal_are_needed(db, world, count, said):
    _peers_with_goals(db, world, reached=count // 2, missed=count - count // 2)
    goal(db, world.patient, created=datetime.now(UTC))
    (result,) = _like_me(db, world)
    assert result.group_size == count
    assert (result.share is not None) is said
    if not said:
        assert result.reason == likeme.TOO_FEW_GOALS


def test_only_similar_goals_of_comparable_patients_count(db, world) -> None:
    _peers_with_goals(db, world, reached=19, missed=0)
    # Not similar or not comparable: the other direction, another type, started less than a
    # year ago, never agreed, another sex, another programme.
    _peers_with_goals(db, world, reached=1, missed=0, comparator=">", value=100)
    (peer,) = peers(db, world.practice, [None], programmes=CVRM)
    goal(db, peer, type_code="weight", value=80, created=START)
    (peer,) = peers(db, world.practice, [None], programmes=CVRM)
    goal(db, peer, created=datetime(2025, 6, 1, tzinfo=UTC))
    (peer,) = peers(db, world.practice, [None], programmes=CVRM)
    goal(db, peer, created=START, lifecycle="proposed")
    (peer,) = peers(db, world.practice, [None], programmes=CVRM, sex=Sex.male)
    goal(db, peer, created=START)
    (peer,) = peers(db, world.practice, [None], programmes=(Programme.COPD,))
    goal(db, peer, created=START)
    goal(db, world.patient, created=datetime.now(UTC))
    (result,) = _like_me(db, world)
    assert result.group_size == 19 and result.share is None


def test_a_patient_counts_once_and_reached_when_any_similar_goal_was(db, world) -> None:
    group = _peers_with_goals(db, world, reached=0, missed=20)
    # The first peer has a second, later similar goal that was reached.
    second_start = START + timedelta(days=200)
    goal(db, group[0], created=second_start)
    measure(db, group[0], 120, code="bp_systolic", at=second_start + timedelta(days=10))
    goal(db, world.patient, created=datetime.now(UTC))
    (result,) = _like_me(db, world)
    assert (result.group_size, result.share) == (20, 5)  # 1 of 20, shown as 5


def test_within_a_year_means_at_most_365_days_after_the_start(db, world) -> None:
    # Identical on SQLite and PostgreSQL: the day arithmetic is done per database.
    for index in range(20):
        (peer,) = peers(db, world.practice, [None], programmes=CVRM)
        goal(db, peer, created=START)
        late = timedelta(days=365) + (timedelta(hours=1) if index % 2 else timedelta(0))
        measure(db, peer, 132, code="bp_systolic", at=START + late)
        # Before the goal started: does not count.
        measure(db, peer, 120, code="bp_systolic", at=START - timedelta(days=1))
    goal(db, world.patient, created=datetime.now(UTC))
    (result,) = _like_me(db, world)
    assert (result.group_size, result.share) == (20, 50)


def test_no_measurable_goal_no_like_me_and_closed_goals_are_left_out(db, world) -> None:
    _peers_with_goals(db, world, reached=20, missed=0)
    goal(db, world.patient, created=datetime.now(UTC), lifecycle="completed")
    assert _like_me(db, world) == []


def test_one_statement_for_all_goals_whatever_the_group_size(db, world, engine) -> None:
    _peers_with_goals(db, world, reached=5, missed=20)
    goal(db, world.patient, created=datetime.now(UTC))
    goal(db, world.patient, type_code="weight", comparator="<", value=75, created=START)
    db.commit()
    actor = world.actor(world.poh)

    def like_me_statements():
        with count_statements(engine) as seen:
            board = services.dashboard(db, actor, patient_id=world.patient.id, today=TODAY)
        assert len(board.like_me) == 2
        return [s for s in seen if "per_patient" in s]

    small = like_me_statements()
    _peers_with_goals(db, world, reached=10, missed=10)
    db.commit()
    assert len(like_me_statements()) == len(small) == 1
