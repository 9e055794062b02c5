"""The generator: bulk inserts only, deterministic per seed, data the app itself can use."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event, inspect, text
from sqlmodel import Session, func, select

from tests.conftest import empty_database
from tests.telemonitoring.latest_helpers import kept, truth
from zelfzorg.accounts.models import User
from zelfzorg.generator import generate
from zelfzorg.izp.models import CarePlan, Goal
from zelfzorg.patients.models import Enrolment, Patient
from zelfzorg.telemonitoring.models import Measurement

TODAY = date(2026, 12, 1)
SMALL = {"patients_n": 60, "practices_n": 2, "years": 1, "today": TODAY}


def fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in sorted(inspect(engine).get_table_names()):
            if table in ("alembic_version", "instrument_version"):
                continue
            # The eligibility, latest-reading and snapshot tables have no id.
            order = {
                "lifestyle_eligibility": "patient_id, intervention_id",
                "lifestyle_eligibility_queue": "patient_id",
                "measurement_latest": "patient_id, type_code",
                "outcome_snapshot": "care_group_id, day",
                "outcome_cohort_member": "programme, patient_id",
                "outcome_cohort_value": "programme, patient_id, source, reads",
                "outcome_cohort_count": "programme, sex, band, source, reads, value",
                "outcome_cohort_goal": "programme, patient_id, type_code, direction",
            }.get(table, "id")
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_generated_care_group_has_the_mix_the_issue_asks_for(engine):
    counts = generate(engine, seed=5, **SMALL)
    assert counts["patient"] == 60 and counts["practice"] == 2
    with Session(engine) as session:
        enrolled = session.exec(select(func.count(func.distinct(Enrolment.patient_id)))).one()
        plans = session.exec(select(func.count()).select_from(CarePlan)).one()
        per_plan = session.exec(select(func.count()).select_from(Goal).group_by(Goal.plan_id)).all()
        telemonitored = session.exec(
            select(func.count(func.distinct(Measurement.patient_id))).where(
                Measurement.source == "device"
            )
        ).one()
        multimorbid = session.exec(
            text(
                "SELECT count(*) FROM (SELECT patient_id FROM condition GROUP BY patient_id "
                "HAVING count(*) > 1) m"
            )
        ).one()[0]
    assert 0.8 * enrolled <= plans <= enrolled
    assert set(per_plan) <= {1, 2, 3, 4}
    assert 2 <= telemonitored <= 25  # 20% of 60, give or take chance
    assert multimorbid > 5
    for table in ("assessment_response", "lifestyle_referral", "action_log", "goal_review"):
        assert counts[table] > 0, table


def test_rows_are_written_in_batches_not_one_by_one(engine):
    inserts: list[str] = []
    listener = lambda _c, _cur, statement, *_a: inserts.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        counts = generate(engine, seed=6, **SMALL)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    rows = sum(counts.values())
    statements = [s for s in inserts if s.lstrip().upper().startswith("INSERT")]
    assert rows > 5000
    assert len(statements) < 100


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not(engine):
    generate(engine, seed=7, **SMALL)
    first = fingerprint(engine)
    empty_database(engine)
    generate(engine, seed=7, **SMALL)
    assert fingerprint(engine) == first
    empty_database(engine)
    generate(engine, seed=8, **SMALL)
    assert fingerprint(engine) != first


def test_the_bulk_load_leaves_the_latest_readings_kept_and_the_trigger_back(engine):
    """The generator sets the insert trigger of measurement_latest aside for its load and
    works the table out once: afterwards it holds every patient's newest reading, and an
    ordinary insert keeps it again."""
    generate(engine, seed=11, **SMALL)
    with Session(engine) as session:
        assert kept(session) == truth(session)
        assert kept(session)
        patient_id, code = session.execute(
            sa.text("SELECT patient_id, type_code FROM measurement_latest LIMIT 1")
        ).one()
        session.execute(
            sa.insert(Measurement.__table__).values(
                patient_id=patient_id, type_code=code, value=1.0, unit="x", source="device",
                measured_at=datetime(2100, 1, 1, tzinfo=UTC), created_at=datetime.now(UTC),
            )
        )  # fmt: skip
        assert kept(session) == truth(session)
        session.rollback()


def test_the_app_works_on_generated_data(engine, login):
    generate(engine, seed=9, **SMALL)
    with Session(engine, expire_on_commit=False) as session:
        poh = session.exec(select(User).where(User.email == "poh1@gen9.zelfzorg.test")).one()
        patient = session.exec(
            select(Patient).where(Patient.practice_id == poh.practice_id).order_by(Patient.id)
        ).first()
        # Sequences follow the explicit ids (PostgreSQL): an ordinary insert still works.
        session.add(
            Patient(
                practice_id=poh.practice_id,
                given_name="N",
                family_name="Nieuw",
                date_of_birth=date(1960, 1, 1),
                sex="female",
            )
        )
        session.commit()
    client = login(poh)
    assert client.get(f"/patienten/{patient.id}").status_code == 200
    assert client.get("/werklijst").status_code == 200
    assert client.get(f"/patienten/{patient.id}/metingen").status_code == 200


def test_cli_refuses_a_second_care_group_with_the_same_seed(engine, runner):
    args = [
        "zelfzorg",
        "generate",
        "--patients",
        "20",
        "--practices",
        "1",
        "--years",
        "1",
        "--seed",
        "4",
        "--today",
        "2026-12-01",
    ]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "measurement" in first.output
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert "bestaat al" in again.output


def test_a_second_care_group_with_another_seed_goes_beside_the_first(engine):
    """Steps that read back what they wrote (goal history, activity days) read only this
    run's care group, so a second one in the same database is stored beside the first."""
    generate(engine, seed=11, **SMALL)
    generate(engine, seed=12, **SMALL)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Patient)).one() == 120
        # Each patient's activity days once: the unique key would have refused a second copy.
        days = session.exec(
            text(
                "SELECT (SELECT count(*) FROM patient_activity_day), (SELECT count(*) FROM "
                "(SELECT DISTINCT patient_id, day FROM patient_activity_day) d)"
            )
        ).one()
        assert days[0] == days[1] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "0"], "minstens 1"),
        (["--years", "0"], "minstens 1"),
        (["--years", "100000"], "--years is hoogstens 50"),
        (["--patients", "100000000"], "--patients is hoogstens 1.000.000"),
        (["--patients", "10", "--practices", "20"], "--practices is hoogstens"),
    ],
)
def test_cli_refuses_impossible_sizes_with_a_message_and_writes_nothing(
    engine, runner, args, message
):
    result = runner.invoke(args=["zelfzorg", "generate", "--seed", "3", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Patient)).one() == 0


def test_cli_default_day_is_the_apps_amsterdam_day_not_the_machines(engine, runner, monkeypatch):
    """Without --today the care group is generated as of the day the pages and the scheduler
    read (Amsterdam's): at 23:30 UTC on 7 December that is already 8 December, and rows made
    for the machine's day would have expired for every page."""
    import zelfzorg.generator.build as build
    import zelfzorg.web as web

    late_evening = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return late_evening.astimezone(tz) if tz else late_evening.replace(tzinfo=None)

    seen = {}

    def fake_generate(_engine, **kwargs):
        seen.update(kwargs)
        return {}

    monkeypatch.setattr(web, "datetime", Clock)
    monkeypatch.setattr(build, "generate", fake_generate)
    result = runner.invoke(args=["zelfzorg", "generate", "--patients", "5", "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert seen["today"] == date(2026, 12, 8)
