"""The authenticated pages a patient or POH opens most send a fixed, small number of SQL
statements whatever the record holds (issue 12: fewer round trips per page).

Each page is counted twice, on a small record and on one with more goals, actions,
agreements and measurements; the count must not change and must stay under the page's
budget. The budgets include the signed-in user (loaded once, in the same statement as the
menu's unread count) and the audit append (head and insert)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from tests.izp.helpers import active_goal
from tests.queries import count_statements
from zelfzorg.izp.actions import add_action
from zelfzorg.izp.agreements import AgreementInput, add_agreement
from zelfzorg.telemonitoring.models import Measurement

TODAY = date(2026, 11, 30)
START = datetime(2026, 1, 1, 7, tzinfo=UTC)
TYPES = [("weight", "kg", 80.0), ("glucose", "mmol/L", 6.5), ("bp_systolic", "mmHg", 135.0)]

# path (patient id filled in), who opens it, most statements it may send (SQLite counts its
# BEGIN; PostgreSQL one fewer). Before issue 12 round 3: 12, 21, 10 and 16; before the unread
# count and a professional's practices joined the user's statement and the move targets
# became one statement: 8, 19, 9 and 16.
PAGES = [
    ("/mijn/plan", "patient", 7),
    ("/mijn", "patient", 18),
    ("/mijn/metingen", "patient", 8),
    ("/patienten/{id}", "poh", 13),
]


def grow(db, world, goals: int, readings_per_type: int) -> None:
    """Add goals (two actions each), one agreement and readings to the patient's record."""
    for i in range(goals):
        goal = active_goal(db, world, title=f"Doel {i}")
        for j in range(2):
            add_action(db, world.actor(world.patient_user), goal.id, what=f"Stap {j}")
    add_agreement(
        db,
        world.actor(world.poh),
        world.patient.id,
        AgreementInput(what="Bellen", who="POH"),
        today=TODAY,
    )
    rows = [
        {
            "patient_id": world.patient.id,
            "type_code": code,
            "value": value + (n % 7) / 10,
            "unit": unit,
            "measured_at": START + timedelta(hours=6 * n),
            "source": "device",
            "created_at": START,
        }
        for code, unit, value in TYPES
        for n in range(readings_per_type)
    ]
    if rows:
        db.execute(insert(Measurement), rows)
    db.commit()


def statements_of(engine, client, path: str) -> list[str]:
    assert client.get(path).status_code == 200  # warm: first-use lookups are not the page's
    with count_statements(engine) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return [" ".join(s.split()) for s in statements]


@pytest.mark.parametrize(("path", "who", "budget"), PAGES)
def test_page_statements_do_not_grow_with_the_record(engine, db, world, login, path, who, budget):
    client = login(world.patient_user if who == "patient" else world.poh)
    url = path.format(id=world.patient.id)
    grow(db, world, goals=1, readings_per_type=4)
    small = statements_of(engine, client, url)
    grow(db, world, goals=3, readings_per_type=400)
    large = statements_of(engine, client, url)
    assert len(small) == len(large) <= budget, (len(small), len(large))
    # The signed-in user is loaded once (with a patient's own record), the menu's unread
    # count is counted once, in the same statement.
    users = [s for s in large if "WHERE user_account.id =" in s]
    unread = [s for s in large if "count(*)" in s and "FROM notification" in s]
    assert (len(users), len(unread)) == (1, 1)
    assert users == unread
    # A professional's practices (the access check) come with the user too.
    assert not any(s.startswith("SELECT practice_membership.") for s in large)
    if who == "patient":
        assert not any("FROM patient WHERE patient.id =" in s for s in large)
    # The audit append: the chain's head (with the lock on PostgreSQL) and one insert.
    inserts = [s for s in large if s.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY")]
    assert len(inserts) == 1
    if engine.dialect.name == "postgresql":
        assert sum("audit_chain_head_locked()" in s for s in large) == 1
        assert not any("pg_advisory_xact_lock" in s for s in large)


def test_my_plan_loads_plan_goals_actions_and_reviews_in_one_statement(engine, db, world, login):
    grow(db, world, goals=3, readings_per_type=0)
    statements = statements_of(engine, login(world.patient_user), "/mijn/plan")
    plan_reads = [s for s in statements if "FROM care_plan" in s]
    assert len(plan_reads) == 1
    assert all(t in plan_reads[0] for t in ("JOIN goal ", "JOIN goal_action ", "JOIN goal_review"))
    assert not any("FROM goal_action" in s or "FROM goal_review" in s for s in statements)


# --- the POH's list pages (issue 12: paged in SQL, no statement per patient) -------------------
# Most statements per page, PostgreSQL (SQLite counts its BEGIN too): the signed-in user with
# the menu's unread count, memberships and practice names; the list's own (worklist: settings,
# the page with its patients' reasons, one per kind of detail (assessments, goals, referrals,
# alerts), latest values; eligible: the practice's catalogue, uncovered patients, the page
# with its patients and their programmes, measurements, activation levels, earlier
# referrals); the audit append. Before issue 12 round 4: 13 and 16 (measured 11, 14); round
# 5, with every kind of detail on the page: 11 and 9.
LIST_PAGES = [("/werklijst", 10), ("/leefstijl/kansen", 9)]


def more_patients(db, world, n: int) -> None:
    """``n`` more patients of the POH's practice, each with alerts and a BMI that makes them
    eligible for the lifestyle intervention."""
    from tests.factories import make_patient
    from tests.leefstijl.helpers import add_measurement
    from tests.telemonitoring.test_worklist import alert_rows
    from zelfzorg.telemonitoring.models import Alert

    rows = []
    for i in range(n):
        patient = make_patient(db, world.practice, given=f"Lijst{i}", family=f"Groei {i}")
        add_measurement(db, patient.id, "bmi", 30)
        rows += alert_rows(patient.id, i)
    db.execute(insert(Alert), rows)
    db.commit()


@pytest.mark.parametrize(("path", "budget"), LIST_PAGES)
def test_list_pages_send_the_same_statements_for_5_and_60_patients(
    engine, db, world, login, path, budget
):
    from tests.leefstijl.helpers import make_intervention, make_referral
    from zelfzorg.leefstijl import referral_states as rs

    intervention = make_intervention(db, world.care_group.id)
    # Every kind of detail the worklist describes is on its first page: a goal to review and
    # one to agree (goals), a referral waiting (referrals), alerts, an assessment due.
    review = active_goal(db, world, title="Te evalueren")
    review.review_date = date.today() - timedelta(days=3)
    db.add(review)
    make_referral(db, world.patient.id, intervention, rs.OFFERED, start=START)
    db.commit()
    # ... and stays there: urgent too, and first by name of those in care as long.
    from tests.telemonitoring.test_worklist import alert_rows
    from zelfzorg.telemonitoring.models import Alert

    db.execute(insert(Alert), alert_rows(world.patient.id))
    world.patient.family_name = "Aalders"
    db.add(world.patient)
    db.commit()
    client = login(world.poh)
    more_patients(db, world, 3)
    small = statements_of(engine, client, path)
    more_patients(db, world, 57)
    large = statements_of(engine, client, path)
    budget += engine.dialect.name == "sqlite"  # its BEGIN
    assert len(small) == len(large) <= budget, (len(small), len(large))
    if path == "/werklijst":
        for table in ("goal", "lifestyle_referral", "alert", "measurement", "patient"):
            assert any(s.startswith(f"SELECT {table}.") for s in large), table
    # The shown patients are audited in one append, whatever the page holds.
    inserts = [s for s in large if s.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY")]
    assert len(inserts) == 1
