"""The report's one patient-indicator statement is built once per care group, period and
catalogue, and the figures still follow the data and the catalogue."""

from __future__ import annotations

from datetime import date

import pytest

from tests.contracting.test_reference import END, START
from tests.factories import make_care_group, make_patient, make_practice
from tests.leefstijl.helpers import make_intervention
from zelfzorg.contracting import engine as report_engine
from zelfzorg.contracting.services import compute_report
from zelfzorg.patients.models import Programme


def total(report, indicator: str):
    return next(
        f
        for f in report.figures
        if f.indicator == indicator and f.practice_id is None and f.stratum is None
    )


@pytest.fixture
def builds(monkeypatch):
    report_engine._statements.clear()
    made: list[int] = []
    original = report_engine.combined_statement

    def counted(*args, **kwargs):
        made.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(report_engine, "combined_statement", counted)
    yield made
    report_engine._statements.clear()


def test_statement_is_built_once_per_care_group_period_and_catalogue(db, builds):
    group = make_care_group(db)
    practice = make_practice(db, group)
    make_patient(db, practice, born=date(1990, 1, 1))  # DM2
    make_patient(db, practice, born=date(1950, 1, 1), programmes=(Programme.CVRM,))
    intervention = make_intervention(db, group.id, criteria={"all": [{"programme_in": ["DM2"]}]})
    db.commit()

    first = compute_report(db, care_group_id=group.id, start=START, end=END)
    again = compute_report(db, care_group_id=group.id, start=START, end=END)
    assert len(builds) == 1
    assert again.figures == first.figures
    assert total(first, "L2").denominator == 1

    # New data: the same statement, new figures.
    make_patient(db, practice, born=date(1960, 1, 1))
    db.commit()
    more = compute_report(db, care_group_id=group.id, start=START, end=END)
    assert len(builds) == 1
    assert total(more, "L2").denominator == 2
    assert total(more, "P1").denominator == 3

    # Another catalogue (L2's criteria are compiled into the statement): a new statement.
    intervention.criteria = {"all": [{"programme_in": ["DM2", "CVRM"]}]}
    db.add(intervention)
    db.commit()
    changed = compute_report(db, care_group_id=group.id, start=START, end=END)
    assert len(builds) == 2
    assert total(changed, "L2").denominator == 3
    intervention.active = False
    db.add(intervention)
    db.commit()
    assert (
        total(compute_report(db, care_group_id=group.id, start=START, end=END), "L2").denominator
        == 0
    )
    assert len(builds) == 3

    # Another period or care group: a new statement each.
    compute_report(db, care_group_id=group.id, start=date(2025, 7, 1), end=END)
    other = make_care_group(db)
    make_patient(db, make_practice(db, other))
    db.commit()
    elsewhere = compute_report(db, care_group_id=other.id, start=START, end=END)
    assert len(builds) == 5
    assert total(elsewhere, "P1").denominator == 1


def test_statement_cache_keeps_the_latest_ones(db, builds, monkeypatch):
    monkeypatch.setattr(report_engine, "STATEMENT_CACHE_SIZE", 2)
    group = make_care_group(db)
    make_patient(db, make_practice(db, group))
    db.commit()
    for month in (1, 2, 3, 1):
        compute_report(db, care_group_id=group.id, start=date(2025, month, 1), end=END)
    assert len(builds) == 4  # January was dropped for March
    assert len(report_engine._statements) == 2


def test_each_latest_value_is_looked_up_once_per_patient(db, engine):
    """O1 ("has an HbA1c") and O1b ("the latest on target"), O3b's BMI, weight and height
    (and the smoking status, a coded value)
    read one shared latest value per patient (a MATERIALIZED row), not a probe each: the
    statement names each of those codes twice, in the join of the patient's
    ``measurement_latest`` row and in the probe of ``measurement`` for a patient whose newest
    reading is after d."""
    from zelfzorg.contracting.indicators import DEFINITIONS, Context

    group = make_care_group(db)
    make_patient(db, make_practice(db, group), born=date(1960, 1, 1))
    db.commit()
    ctx = Context(db, group.id, START, END, interventions=())
    compiled = report_engine.combined_statement(ctx, DEFINITIONS, strata=True).compile(engine)
    named = [value for value in compiled.params.values() if isinstance(value, str)]
    for code in ("hba1c", "bp_systolic", "bmi", "weight", "height", "smoking_status"):
        assert named.count(code) == 2, (code, named.count(code))
    assert "latest_values" in str(compiled)
    assert str(compiled).count("measurement_latest AS kept_") == 6
