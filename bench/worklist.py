"""Benchmark: the POH worklist page for a practice of 2,000 enrolled patients.

    python bench/worklist.py [--patients 2000] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless --database-url is given), gives every
patient an enrolment and about a third an urgent and/or trend alert, then times GET /werklijst
and counts its SQL statements. The baseline is the bare SQL of the alert rows (the fastest
possible way to get the same data), so the page is reported as a ratio to it.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command  # noqa: E402
from alembic.config import Config as AlembicConfig  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from zelfzorg import create_app  # noqa: E402
from zelfzorg.accounts.models import CareGroup, Discipline, Practice, Role, User  # noqa: E402
from zelfzorg.config import ROOT, TestConfig  # noqa: E402
from zelfzorg.patients.models import (  # noqa: E402
    Enrolment,
    Patient,
    PracticePeriod,
    Programme,
    Sex,
)
from zelfzorg.telemonitoring.models import Alert  # noqa: E402


def build(session: Session, n: int) -> User:
    rng = random.Random(7)
    group = CareGroup(name="Bench")
    session.add(group)
    session.flush()
    practice = Practice(care_group_id=group.id, name="Bench practice")
    session.add(practice)
    session.flush()
    poh = User(
        email="poh@bench.test",
        name="POH",
        role=Role.professional,
        discipline=Discipline.poh,
        practice_id=practice.id,
    )
    session.add(poh)
    session.flush()
    now = datetime.now(UTC)
    session.execute(
        insert(Patient),
        [
            {
                "practice_id": practice.id,
                "given_name": "P",
                "family_name": f"Patient {i:05d}",
                "date_of_birth": date(1950, 1, 1),
                "sex": Sex.female,
                "is_demo": False,
                "created_at": now,
            }
            for i in range(n)
        ],
    )
    ids = [r[0] for r in session.execute(text("SELECT id FROM patient ORDER BY id"))]
    # Every patient belongs to the practice by a practice period (the worklist joins it).
    session.execute(
        insert(PracticePeriod),
        [
            {
                "patient_id": pid,
                "practice_id": practice.id,
                "start_date": date(1950, 1, 1),
                "created_at": now,
            }
            for pid in ids
        ],
    )
    session.execute(
        insert(Enrolment),
        [
            {
                "patient_id": pid,
                "programme": Programme.DM2,
                "start_date": date(2020, 1, 1),
                "created_at": now,
            }
            for pid in ids
        ],
    )
    alerts = []
    for pid in ids:
        roll = rng.random()
        at = now - timedelta(hours=rng.randint(1, 500))
        base = {
            "patient_id": pid,
            "status": "open",
            "open_slot": 1,
            "occurrences": 1,
            "first_at": at,
            "last_at": at,
            "note": "",
            "last_value": 190.0,
        }
        if roll < 0.15:
            alerts.append(
                dict(
                    base,
                    rule_code="urgent",
                    type_code="bp_systolic",
                    dedup_key="urgent:bp_systolic",
                    severity="urgent",
                    message="Zeer hoge waarde: %(value)s (grens: %(limit)s).",
                    params={
                        "value": {"nl": "190 mmHg", "en": "190 mmHg"},
                        "limit": {"nl": "≥ 180 mmHg", "en": "≥ 180 mmHg"},
                    },
                )
            )
        if roll < 0.35:
            alerts.append(
                dict(
                    base,
                    rule_code="trend_3_of_5",
                    type_code="bp_systolic",
                    dedup_key="trend_3_of_5:bp_systolic",
                    severity="trend",
                    message="%(off_target)s van de laatste %(count)s metingen halen "
                    "het streefdoel niet (%(target)s).",
                    params={
                        "off_target": 3,
                        "count": 5,
                        "target": {"nl": "< 140 mmHg", "en": "< 140 mmHg"},
                    },
                )
            )
    session.execute(insert(Alert), alerts)
    session.commit()
    return poh


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=10)
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
    with Session(engine, expire_on_commit=False) as session:
        poh = build(session, args.patients)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = poh.get_id()
        sess["_fresh"] = True
        sess["login_at"] = int(time.time())  # the absolute session limit starts at login

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client.get("/werklijst")  # warm up
    statements.clear()
    page_times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        response = client.get("/werklijst")
        page_times.append(time.perf_counter() - start)
        assert response.status_code == 200, f"GET /werklijst: {response.status_code}"
    queries = len(statements) // args.repeat
    items = response.text.count('<li class="kind-')

    base_times = []
    sql = text(
        "SELECT a.*, p.given_name, p.family_name FROM alert a JOIN patient p ON p.id = a.patient_id"
        " WHERE p.practice_id = :pr AND a.status = 'open' ORDER BY a.last_at DESC"
    )
    for _ in range(args.repeat):
        start = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(sql, {"pr": poh.practice_id}).all()
        base_times.append(time.perf_counter() - start)
    page, base = statistics.median(page_times), statistics.median(base_times)
    print(f"database        {engine.dialect.name}")
    print(f"patients        {args.patients}")
    total = re.search(r"(\d+) punten voor aandacht", response.text)
    print(f"worklist lines  {total.group(1) if total else items} (first page shows {items})")
    print(f"queries/page    {queries}")
    print(f"page time       {page * 1000:.1f} ms (median of {args.repeat})")
    print(f"bare SQL        {base * 1000:.2f} ms")
    print(f"ratio           {page / base:.1f}x the bare query")


if __name__ == "__main__":
    main()
