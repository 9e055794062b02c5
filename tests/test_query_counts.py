"""SQL that scales: the statement count of the hot paths does not grow with the data.

Sizes come from the generator; timings are never asserted (machines are noisy)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, text
from sqlmodel import Session, select

from tests.conftest import empty_database
from zelfzorg.accounts.models import User
from zelfzorg.accounts.scope import actor_for
from zelfzorg.assessment.jobs import remind_due_assessments
from zelfzorg.generator import generate
from zelfzorg.leefstijl.indicators import eligible_patient_ids
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.services import latest_values, overview

TODAY = date(2026, 12, 1)


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def at_two_sizes(engine, measure: Callable[[Session], int]) -> tuple[int, int]:
    """``measure`` on a small and a four times larger generated care group."""
    results = []
    for n in (15, 60):
        generate(engine, patients_n=n, practices_n=1, years=1, seed=n, today=TODAY)
        with Session(engine, expire_on_commit=False) as session:
            results.append(measure(session))
            session.commit()
        empty_database(engine)
    return results[0], results[1]


def test_lifestyle_eligibility_of_the_care_group_is_one_statement_at_any_size(engine):
    def measure(session: Session) -> int:
        group = session.execute(text("SELECT id FROM care_group")).scalar_one()
        session.execute(text("SELECT 1"))  # the transaction's BEGIN is not the query's
        with counting(engine) as statements:
            eligible_patient_ids(session, group, TODAY)
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 3


def test_reminder_rerun_that_sends_nothing_costs_the_same_at_any_size(engine):
    sent: list[str] = []

    def measure(session: Session) -> int:
        sent.append(remind_due_assessments(session, TODAY))
        with counting(engine) as statements:
            assert remind_due_assessments(session, TODAY) == "0 assessment reminders"
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 4
    # The first runs did send (generated patients with an account are due at some point).
    assert all(s != "0 assessment reminders" for s in sent), sent


def _telemonitored(session: Session) -> int:
    return session.execute(
        text("SELECT patient_id FROM measurement WHERE source = 'device' ORDER BY id LIMIT 1")
    ).scalar_one()


def test_measurement_overview_statements_do_not_grow_with_years_of_readings(engine):
    counts = []
    for years in (1, 3):
        generate(engine, patients_n=10, practices_n=1, years=years, seed=3, today=TODAY)
        with Session(engine, expire_on_commit=False) as session:
            patient_id = _telemonitored(session)
            poh = session.exec(select(User).where(User.email == "poh1@gen3.zelfzorg.test")).one()
            actor = actor_for(session, poh, "127.0.0.1")
            with counting(engine) as statements:
                view = overview(session, actor, patient_id)
            counts.append(len(statements))
            assert len(view.recent) == 30
            session.commit()
        empty_database(engine)
    assert counts[0] == counts[1]


def test_latest_values_picks_the_newest_current_row_per_type(db, world):
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    rows = [
        Measurement(
            patient_id=world.patient.id,
            type_code=code,
            value=value,
            unit="x",
            measured_at=start + timedelta(days=day),
            source="patient",
        )
        for code, value, day in [
            ("weight", 80, 0),
            ("weight", 81, 5),
            ("weight", 99, 9),  # corrected later: not current
            ("glucose", 6.0, 3),
            ("glucose", 7.0, 1),
        ]
    ]
    rows[2].superseded_at = start + timedelta(days=10)
    db.add_all(rows)
    db.add(
        Measurement(
            patient_id=world.other_patient.id,
            type_code="weight",
            value=70,
            unit="kg",
            measured_at=start + timedelta(days=20),
            source="patient",
        )
    )
    db.commit()
    with counting(db.get_bind()) as statements:
        latest = latest_values(db, world.patient.id)
    assert {code: row.value for code, row in latest.items()} == {"weight": 81, "glucose": 6.0}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert latest_values(db, world.patient.id, ["glucose"])["glucose"].value == 6.0
    db.commit()


def test_poh_worklist_is_a_handful_of_statements_for_10_and_200_patients(engine, db, world):
    """The worklist groups, orders and pages in SQL: the same statements at any size, at most
    10 (the practices' intervals, reasons per kind, the page, its reasons, one per kind of
    detail, the latest values). Every patient has alerts, no plan and a questionnaire due;
    every fifth proposed a goal."""
    from sqlalchemy import insert

    from tests.factories import make_patient, make_practice, make_user
    from tests.izp.helpers import goal_input
    from tests.telemonitoring.test_worklist import alert_rows
    from zelfzorg.accounts.models import Role
    from zelfzorg.izp import goals
    from zelfzorg.telemonitoring.models import Alert
    from zelfzorg.telemonitoring.services import latest_relevant_values
    from zelfzorg.worklist import worklist_page

    measured = []
    for n in (10, 200):
        practice = make_practice(db, world.care_group)
        rows = []
        for i in range(n):
            patient = make_patient(db, practice, given=f"P{i}", family=f"Size{n}")
            rows += alert_rows(patient.id, i)
            if i % 5 == 0:
                user = make_user(db, Role.patient, patient=patient)
                goals.propose_goal(db, world.actor(user), patient.id, goal_input(), today=TODAY)
        db.execute(insert(Alert), rows)
        db.commit()
        db.execute(text("SELECT 1"))  # the transaction's BEGIN is not the query's
        with counting(engine) as statements:
            page = worklist_page(
                db, [practice.id], TODAY, page_size=50, latest_values=latest_relevant_values
            )
        measured.append((len(statements), page))
        db.commit()
    (small, small_page), (large, large_page) = measured
    assert small == large <= 10, (small, large)
    # One row per patient with all its reasons; the larger practice fills the page.
    assert len(small_page.rows) == 10 and small_page.total == 10
    assert len({r.patient_id for r in large_page.rows}) == len(large_page.rows) == 50
    assert large_page.total == 200 and large_page.pages == 4
    kinds = {item.kind for row in large_page.rows for item in row.items}
    assert {"urgent_alert", "trend_alert", "goal_to_agree", "no_plan", "assessment_due"} <= kinds
    assert large_page.counts["goal_to_agree"] == 40


def test_review_reminder_rerun_is_one_statement_at_any_size(engine):
    """The goal review reminder finds the missing reminders in one statement (the key built
    in SQL, looked up in the notification index): a rerun sends nothing at the same cost."""
    from zelfzorg.izp.jobs import review_reminders

    sent: list[str] = []

    def measure(session: Session) -> int:
        # A day on which generated goals are due for review within the week.
        day = session.execute(
            text("SELECT min(review_date) FROM goal WHERE lifecycle IN ('active', 'on-hold')")
        ).scalar_one()
        day = date.fromisoformat(str(day)[:10]) - timedelta(days=3)
        sent.append(review_reminders(session, day))
        with counting(engine) as statements:
            assert review_reminders(session, day) == "0 reminders"
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 2
    assert all(s != "0 reminders" for s in sent), sent
