"""Criteria compiled to SQL give the same patients as the Python engine (L2's denominator)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from tests.factories import make_patient
from tests.leefstijl.helpers import add_activation, add_measurement, make_intervention
from zelfzorg.leefstijl import indicators, services
from zelfzorg.leefstijl.criteria import evaluate, parse_criteria
from zelfzorg.leefstijl.criteria.sql import compile_criteria, facts_query, last_birth_date
from zelfzorg.patients.models import Enrolment, Patient, Programme, Sex

TODAY = date(2026, 11, 30)
PAST = date(2026, 2, 28)  # a period end: data from after it must not count
GRID = (24, 25, 26, 30, 88, 102, 140)  # values and thresholds meet, so ">=" vs ">" matters


def _moment(day: date, rng: random.Random) -> datetime:
    # Around local midnight too: the local calendar date decides freshness and "as of".
    hour = rng.choice([0, 1, 12, 22, 23])
    return datetime.combine(day, time(hour, 30), tzinfo=UTC)


def _population(db, world, rng: random.Random, size: int) -> None:
    programmes = list(Programme)
    for n in range(size):
        born = rng.choice(
            [
                date(1956, 2, 29),
                date(1958, TODAY.month, TODAY.day),
                date(1958, 12, 1),
                date(1990, 11, 30),
                date(1990, 2, 28),
                date(1951, 3, 1),
            ]
        )
        patient = make_patient(
            db,
            world.practice if n % 5 else world.other_practice,
            given=f"G{n}",
            born=born,
            sex=rng.choice(list(Sex)),
            programmes=tuple(rng.sample(programmes, rng.choice([0, 1, 1, 2]))),
            start=rng.choice([date(2020, 1, 1), date(2026, 6, 1)]),
        )
        if rng.random() < 0.2:  # an ended enrolment
            db.add(
                Enrolment(
                    patient_id=patient.id,
                    programme=rng.choice(programmes),
                    start_date=date(2019, 1, 1),
                    end_date=rng.choice([PAST, date(2026, 9, 1)]),
                )
            )
        for code in ("bmi", "waist", "bp_systolic"):
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                day = rng.choice([TODAY, PAST, PAST + timedelta(days=1), date(2025, 6, 1)])
                day -= timedelta(days=rng.choice([0, 30, 400, 401, 402]))
                add_measurement(
                    db,
                    patient.id,
                    code,
                    rng.choice([*GRID, None]),
                    at=_moment(day, rng),
                    superseded=rng.random() < 0.15,
                )
        for _ in range(rng.choice([0, 1, 2])):
            add_measurement(
                db,
                patient.id,
                "smoking_status",
                value_code=rng.choice(["current", "former", "never", "unsure"]),
                at=_moment(rng.choice([TODAY, PAST, date(2020, 1, 1)]), rng),
                unit="{status}",
            )
        answers = {
            (rng.choice([1, 2, 3, 4]), rng.choice([TODAY, PAST, PAST + timedelta(days=2)]))
            for _ in range(rng.choice([0, 1, 2]))
        }
        for level, day in sorted(answers):
            add_activation(db, patient.id, level, at=_moment(day, rng))
    db.flush()


def _leaf(rng: random.Random) -> dict:
    kind = rng.choice(["programme", "measurement", "by_sex", "smoking", "age", "level"])
    if kind == "programme":
        return {"programme_in": rng.sample([p.value for p in Programme], rng.choice([1, 2]))}
    if kind in ("measurement", "by_sex"):
        node = {"measurement": rng.choice(["bmi", "waist", "bp_systolic"])}
        node["op"] = rng.choice([">=", ">", "<=", "<"])
        if kind == "measurement":
            node["value"] = rng.choice(GRID)
        else:
            node["value_by_sex"] = {"female": rng.choice(GRID), "male": rng.choice(GRID)}
        return node
    if kind == "smoking":
        return {"smoking": rng.choice(["current", "former", "never"])}
    if kind == "age":
        low = rng.choice([None, 35, 36, 67, 68])
        high = rng.choice([None, 68, 75]) if low is not None else rng.choice([35, 67, 70])
        return {"age_between": [low, high]}
    return {"activation_level_in": rng.sample([1, 2, 3, 4], rng.choice([1, 2]))}


def _tree(rng: random.Random, depth: int = 0) -> dict:
    if depth >= 3 or rng.random() < 0.35:
        return _leaf(rng)
    kind = rng.choice(["all", "any", "not"])
    if kind == "not":
        return {"not": _tree(rng, depth + 1)}
    return {kind: [_tree(rng, depth + 1) for _ in range(rng.choice([1, 2, 3]))]}


def _compare(db, world, trees: list[dict], reference: date) -> None:
    parsed = [parse_criteria(t) for t in trees]
    ids = select(Patient.id).where(
        col(Patient.practice_id).in_([world.practice.id, world.other_practice.id])
    )
    patients = list(db.exec(select(Patient).where(col(Patient.id).in_(ids))))
    facts = services.load_facts(
        db, patients, ids, services.measurement_codes(_as_interventions(trees)), reference
    )
    stmt, columns = facts_query(
        parsed,
        ids,
        reference,
        zone=services.AMSTERDAM,
        max_age_days=services.MAX_MEASUREMENT_AGE_DAYS,
        smoking_code=services.SMOKING_CODE,
    )
    for data, tree in zip(trees, parsed, strict=True):
        met, not_met = compile_criteria(tree, columns)
        outcomes = {p.id: evaluate(tree, facts[p.id]).outcome for p in patients}
        expected_met = {pid for pid, o in outcomes.items() if o == "eligible"}
        expected_not = {pid for pid, o in outcomes.items() if o == "not_eligible"}
        assert set(db.execute(stmt.where(met)).scalars()) == expected_met, data
        assert set(db.execute(stmt.where(not_met)).scalars()) == expected_not, data


def _as_interventions(trees: list[dict]):
    class _Stub:
        def __init__(self, criteria):
            self.criteria = criteria

    return [_Stub(t) for t in trees]


@pytest.mark.parametrize("reference", [TODAY, PAST])
def test_compiled_criteria_match_the_python_engine_on_a_generated_population(db, world, reference):
    rng = random.Random(20261130)
    _population(db, world, rng, 60)
    trees = [_tree(rng) for _ in range(40)]
    trees.append(
        {
            "all": [
                {"programme_in": ["DM2", "CVRM"]},
                {"measurement": "bmi", "op": ">=", "value": 25},
            ]
        }
    )
    trees.append({"not": {"smoking": "current"}})
    _compare(db, world, trees, reference)


def test_l2_denominator_in_sql_equals_the_eligibility_the_poh_sees(db, world):
    rng = random.Random(7)
    _population(db, world, rng, 60)
    for n in range(4):
        make_intervention(db, world.care_group.id, name=f"I{n}", criteria=_tree(rng))
    make_intervention(db, world.care_group.id, name="oud", criteria=_leaf(rng), active=False)
    for reference in (TODAY, PAST):
        for practice_id in (None, world.practice.id):
            expected = set()
            interventions = services.active_interventions(db, world.care_group.id)
            trees = [parse_criteria(i.criteria) for i in interventions]
            enrolled = select(Enrolment.patient_id).where(
                col(Enrolment.start_date) <= reference,
                sa.or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) > reference),
            )
            ids = select(Patient.id).where(col(Patient.id).in_(enrolled))
            ids = ids.where(
                col(Patient.practice_id).in_(
                    [practice_id] if practice_id else [world.practice.id, world.other_practice.id]
                )
            )
            patients = list(db.exec(select(Patient).where(col(Patient.id).in_(ids))))
            facts = services.load_facts(
                db, patients, ids, services.measurement_codes(interventions), reference
            )
            expected = {
                p.id for p in patients if any(evaluate(t, facts[p.id]).eligible for t in trees)
            }
            found = indicators.eligible_patient_ids(
                db, world.care_group.id, reference, practice_id=practice_id
            )
            assert found == expected


def test_unknown_data_does_not_count_for_the_denominator(db, world):
    make_intervention(db, world.care_group.id)  # DM2 or CVRM and BMI >= 25
    make_patient(db, world.practice, given="Zonder meting")  # DM2, no BMI: unknown
    stale = make_patient(db, world.practice, given="Oude meting")
    add_measurement(db, stale.id, "bmi", 31, at=datetime(2025, 1, 1, 12, tzinfo=UTC))
    assert indicators.eligible_patient_ids(db, world.care_group.id, TODAY) == set()


@pytest.mark.parametrize(
    ("reference", "years"),
    [(date(2028, 2, 29), 3), (date(2028, 2, 29), 4), (date(2026, 11, 30), 68)],
)
def test_last_birth_date_agrees_with_age_on(reference, years):
    last = last_birth_date(reference, years)
    assert Patient(date_of_birth=last).age_on(reference) >= years
    assert Patient(date_of_birth=last + timedelta(days=1)).age_on(reference) < years
