"""Computing eligibility for a care group grows linearly with its patients.

The facts statement once joined the latest activation level as a subquery of all listed
patients; SQLite materialised it without an index and scanned it once per patient, so a
catalogue change at 50,000 patients took 220 s (3 s now). Work is counted in SQLite
virtual-machine instructions (independent of the machine's speed) on its own SQLite file, as
the quadratic plan is SQLite's; the PostgreSQL suite runs the same on PostgreSQL's planner
through the other eligibility tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from tests.queries import sqlite_steps
from zelfzorg.db import make_engine
from zelfzorg.generator import generate
from zelfzorg.leefstijl import eligibility
from zelfzorg.patients.models import Patient

TODAY = date(2026, 12, 1)


def test_computing_a_care_group_grows_linearly_with_its_patients(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'scaling.db'}")
    import zelfzorg.models_registry  # noqa: F401 - every table in the metadata

    SQLModel.metadata.create_all(engine)
    generate(engine, patients_n=400, practices_n=1, years=1, seed=3, today=TODAY)
    with Session(engine) as db:
        db.execute(sa.text("ANALYZE"))  # the planner's statistics, as a database in use has
        group = db.execute(sa.text("SELECT id FROM care_group")).scalar_one()
        first = db.execute(sa.text("SELECT min(id) FROM patient")).scalar_one()
        work = {}
        for n in (100, 400):
            ids = select(Patient.id).where(Patient.id < first + n)
            with sqlite_steps(db) as steps:
                rows = eligibility.compute(db, group, ids, TODAY)
            assert len({r["patient_id"] for r in rows}) == n
            work[n] = steps[0]
        # Linear: 4x the patients, about 4x the work (a scan per patient would be 16x).
        print(work)
        assert work[400] < 6 * work[100], work
    engine.dispose()
