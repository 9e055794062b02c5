"""Benchmark: every contracting indicator for a care group and each of its practices.

    python bench/contracting.py [--patients 50000] [--practices 30] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless --database-url is given) with
enrolments, practice periods, goals with a status history, measurements, activity days and
activation assessments, then times ``compute_report`` (with and without strata) and counts
its SQL statements. Target (issue 12): <= 2 s on SQLite at 50,000 patients.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command  # noqa: E402
from alembic.config import Config as AlembicConfig  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from zelfzorg import create_app  # noqa: E402
from zelfzorg.accounts.models import CareGroup, Practice  # noqa: E402
from zelfzorg.config import ROOT, TestConfig  # noqa: E402
from zelfzorg.contracting.models import GoalStatusHistory, PatientActivityDay  # noqa: E402
from zelfzorg.contracting.services import compute_report  # noqa: E402
from zelfzorg.izp.models import CarePlan, Goal  # noqa: E402
from zelfzorg.patients.models import Enrolment, Patient, PracticePeriod, Sex  # noqa: E402
from zelfzorg.telemonitoring.models import Measurement  # noqa: E402

END = date(2026, 11, 30)


def build(session: Session, n: int, practices: int) -> int:
    rng = random.Random(12)
    group = CareGroup(name="Bench")
    session.add(group)
    session.flush()
    ids = []
    for i in range(practices):
        practice = Practice(care_group_id=group.id, name=f"Praktijk {i}")
        session.add(practice)
        session.flush()
        ids.append(practice.id)
    now = datetime.now(UTC)
    session.execute(
        insert(Patient),
        [
            {
                "practice_id": rng.choice(ids),
                "given_name": "P",
                "family_name": f"B{i}",
                "date_of_birth": date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 50)),
                "sex": rng.choice([Sex.male, Sex.female]).value,
                "created_at": now,
                "is_demo": False,
            }
            for i in range(n)
        ],
    )
    patients = session.execute(select(Patient.id, Patient.practice_id, Patient.date_of_birth)).all()
    session.execute(
        insert(PracticePeriod),
        [
            {"patient_id": p, "practice_id": pr, "start_date": b, "created_at": now}
            for p, pr, b in patients
        ],
    )
    enrolments, plans, measurements, activity = [], [], [], []
    for pid, _pr, _b in patients:
        for programme in rng.sample(["DM2", "CVRM", "COPD", "astma"], rng.choice([1, 1, 2])):
            enrolments.append(
                {
                    "patient_id": pid,
                    "programme": programme,
                    "start_date": date(2020, 1, 1),
                    "created_at": now,
                }
            )
        if rng.random() < 0.6:
            plans.append(
                {
                    "patient_id": pid,
                    "modules": [],
                    "conditions": [],
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for code, lo, hi in (("hba1c", 40, 70), ("bp_systolic", 120, 160), ("bmi", 20, 32)):
            for _ in range(rng.choice([0, 1, 2])):
                at = datetime.combine(
                    END - timedelta(days=rng.randrange(500)), datetime.min.time(), UTC
                )
                measurements.append(
                    {
                        "patient_id": pid,
                        "type_code": code,
                        "value": float(rng.randint(lo, hi)),
                        "unit": "x",
                        "measured_at": at,
                        "source": "professional",
                        "created_at": now,
                        "note": "",
                    }
                )
        if rng.random() < 0.4:
            activity.append(
                {
                    "patient_id": pid,
                    "day": END - timedelta(days=rng.randrange(200)),
                    "logged_in": True,
                    "measurement": False,
                    "action": False,
                    "questionnaire": False,
                    "review_preparation": False,
                }
            )
    session.execute(insert(Enrolment), enrolments)
    session.execute(insert(CarePlan), plans)
    session.execute(insert(Measurement), measurements)
    session.execute(insert(PatientActivityDay), activity)
    plan_rows = session.execute(select(CarePlan.id, CarePlan.patient_id)).all()
    session.execute(
        insert(Goal),
        [
            {
                "plan_id": plan,
                "patient_id": pid,
                "title": "Doel",
                "domain": "health",
                "programmes": ["DM2"],
                "lifecycle": "active",
                "achievement": "in-progress",
                "proposed_by": "professional",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for plan, pid in plan_rows
        ],
    )
    goals = session.execute(select(Goal.id, Goal.patient_id)).all()
    session.execute(
        insert(GoalStatusHistory),
        [
            {
                "goal_id": g,
                "patient_id": p,
                "status": rng.choice(["active", "completed", "on-hold"]),
                "agreed_by_patient": True,
                "agreed_by_professional": True,
                "agreed": rng.random() < 0.8,
                "agreed_on": date(2025, 1, 1),
                "programmes": "|DM2|",
                "valid_from": date(2025, 1, 1),
                "valid_to": None,
            }
            for g, p in goals
        ],
    )
    session.commit()
    return group.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--practices", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--per-indicator", action="store_true")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")

    class Config(TestConfig):
        DATABASE_URL = url

    app = create_app(Config)
    engine = app.extensions["zelfzorg_engine"]
    with Session(engine) as session:
        started = time.perf_counter()
        group_id = build(session, args.patients, args.practices)
        print(f"built {args.patients} patients in {time.perf_counter() - started:.1f} s")
        statements: list[str] = []
        timings: list[tuple[float, str]] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        event.listen(
            engine,
            "after_cursor_execute",
            lambda *a: timings.append((time.perf_counter() - started, a[2][:60])),
        )
        for strata in (False, True):
            statements.clear()
            started = time.perf_counter()
            compute_report(
                session, care_group_id=group_id, start=date(2026, 1, 1), end=END, strata=strata
            )
            took = time.perf_counter() - started
            print(f"strata={strata}: {took:.2f} s, {len(statements)} statements")
            marks = [0.0] + [t for t, _ in timings]
            slow = sorted(
                ((marks[i + 1] - marks[i], sql) for i, (_, sql) in enumerate(timings)), reverse=True
            )
            for seconds, sql in slow[:3]:
                print(f"    {seconds:.2f} s  {sql!r}")
            timings.clear()
        if args.per_indicator:
            from zelfzorg.contracting import engine as indicator_engine
            from zelfzorg.contracting.indicators import DEFINITIONS, Context

            ctx = Context(session, group_id, date(2026, 1, 1), END)
            practice_ids = list(session.exec(select(Practice.id)).scalars())
            for definition in DEFINITIONS:
                started = time.perf_counter()
                indicator_engine.compute(session, ctx, [definition], practice_ids, strata=False)
                print(f"  {definition.info.id}: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
