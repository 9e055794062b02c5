"""Review reminders (idempotent) and the worklist source (constant number of queries)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import func, select

from tests.factories import make_patient
from tests.izp.helpers import TODAY, active_goal
from zelfzorg.izp import goals, reviews
from zelfzorg.izp.jobs import review_reminders
from zelfzorg.izp.worklist_sources import izp_items
from zelfzorg.notifications.jobs import run_job
from zelfzorg.notifications.models import Notification
from zelfzorg.web import today


def notifications(db) -> list[Notification]:
    """Review reminders only (a completed review also invites to a questionnaire)."""
    return list(db.exec(select(Notification).where(Notification.kind == "izp_review_due")).all())


def test_patient_is_reminded_a_week_ahead_once(db, world):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=7))
    active_goal(db, world, title="Later", review_date=TODAY + timedelta(days=30))
    assert review_reminders(db, TODAY) == "1 reminders"
    assert review_reminders(db, TODAY) == "0 reminders"
    assert review_reminders(db, TODAY + timedelta(days=1)) == "0 reminders"
    notes = notifications(db)
    assert len(notes) == 1
    assert notes[0].user_id == world.patient_user.id
    assert notes[0].params["title"] == goal.title
    assert notes[0].link == f"endpoint:izp.prepare_review?goal_id={goal.id}"


def test_new_review_date_reminds_again(db, world):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=3))
    review_reminders(db, TODAY)
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement="in-progress",
        decision="continue",
        next_review=TODAY + timedelta(days=10),
        token="t",
        today=TODAY,
    )
    assert review_reminders(db, TODAY + timedelta(days=5)) == "1 reminders"
    assert len(notifications(db)) == 2


def test_job_run_twice_creates_no_duplicates(db, world, engine):
    active_goal(db, world, review_date=TODAY + timedelta(days=2))
    db.commit()
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert run_job(engine, "izp_review_reminders", now=now) == "1 reminders"
    assert run_job(engine, "izp_review_reminders", now=now) is None
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Notification)).one() == 1


@contextmanager
def count_queries(engine):
    queries: list[str] = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):  # a CTE query reads too
            queries.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield queries
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_worklist_kinds_with_constant_queries(db, world, engine):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=3))
    overdue = active_goal(db, world, title="Te laat", review_date=TODAY + timedelta(days=1))
    overdue.review_date = TODAY - timedelta(days=2)
    db.add(overdue)
    # A plan with only a proposed goal: no agreed goal.
    goals.propose_goal(
        db,
        world.actor(world.poh),
        world.other_patient.id,
        goals.GoalInput(title="Stoppen met roken", domain="lifestyle"),
        today=TODAY,
    )
    db.commit()
    with count_queries(engine) as few:
        items = izp_items(db, [world.practice.id], TODAY)
    db.commit()
    by_kind = {(i.kind, i.patient_id) for i in items}
    assert ("review_due", world.patient.id) in by_kind
    assert ("no_agreed_goals", world.other_patient.id) in by_kind
    assert ("no_plan", world.patient.id) not in by_kind
    due = {i.endpoint_args["goal_id"]: i for i in items if i.kind == "review_due"}
    assert due[overdue.id].rank < due[goal.id].rank  # overdue first
    assert set(due) == {goal.id, overdue.id}

    for n in range(10):
        make_patient(db, world.practice, given=f"Extra{n}")
    db.commit()
    with count_queries(engine) as many:
        items = izp_items(db, [world.practice.id], TODAY)
    db.commit()
    assert len(many) == len(few) == 3
    assert sum(i.kind == "no_plan" for i in items) == 10


def test_worklist_page_shows_izp_items(db, world, login):
    goal = active_goal(db, world, review_date=TODAY + timedelta(days=1))
    goal.review_date = today() - timedelta(days=1)
    db.add(goal)
    db.commit()
    page = login(world.poh).get("/werklijst")
    assert "Mijn bloeddruk omlaag" in page.text
    assert "Geen zorgplan" in page.text  # filter label
