"""The night's snapshot of the comparison groups (``outcomes.snapshot``): on its day the
comparison and "patients like me" read the comparable patients from it, with the same answers
as the live statements; on another day, or for a care group without one, they are live; the
patient's own values are always live; the job writes each care group once a day."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from tests.factories import make_care_group, make_patient, make_practice
from tests.outcomes.helpers import TODAY, goal, measure, questionnaire
from tests.queries import count_statements
from zelfzorg.outcomes import services, snapshot
from zelfzorg.outcomes.models import CohortGoal, CohortMember, CohortSnapshot, CohortValue
from zelfzorg.outcomes.sets import outcome_sets
from zelfzorg.patients.models import Enrolment, Programme, Sex
from zelfzorg.privacy.erasure import erase_patient_data

EVERY = (Programme.DM2, Programme.COPD, Programme.CVRM, Programme.hartfalen)


def _board(db, world, patient, day: date = TODAY):
    return services.dashboard(db, world.actor(world.poh), patient_id=patient.id, today=day)


def _answers(board) -> list:
    """Everything a screen shows of the comparison and of "patients like me"."""
    shown = [
        (
            block.outcome_set.programme,
            result.outcome.code,
            result.value,
            result.group_size,
            result.percentile,
            result.label,
            result.reason,
            result.code,
            result.share_good,
            result.change,
        )
        for block in board.programmes
        for result in block.results
    ]
    liked = [(m.goal.id, m.direction, m.group_size, m.share, m.reason) for m in board.like_me]
    return shown + liked


def _moment(rng: random.Random) -> datetime:
    """Mostly in the 12-month window, some before it, a few in the last 28 days."""
    days = rng.choice([3, 10, 20, 40, 90, 200, 300, 420, 700])
    return datetime(2026, 3, 1, 10, 0, tzinfo=UTC) - timedelta(days=days, hours=rng.randint(0, 9))


def _random_care_group(db, world, rng: random.Random, n: int = 160) -> list:
    """``n`` patients of both practices in random programmes, sexes and ages (two age bands
    mostly), each with random readings, questionnaires, smoking states, weights and goals."""
    made = []
    for index in range(n):
        practice = world.practice if index % 3 else world.other_practice
        programmes = tuple(p for p in EVERY if rng.random() < 0.5) or (Programme.DM2,)
        patient = make_patient(
            db,
            practice,
            sex=rng.choice([Sex.female, Sex.female, Sex.male]),
            born=date(1950 + rng.choice([0, 3, 6, 8, 12]), rng.randint(1, 12), rng.randint(1, 28)),
            programmes=programmes,
        )
        for code, low, high in (
            ("hba1c", 40, 70),
            ("bp_systolic", 115, 165),
            ("ldl", 1.5, 4.0),
            ("bmi", 22, 36),
            ("ccq", 0.5, 4.5),
            ("exacerbations", 0, 3),
        ):
            for _ in range(rng.randint(0, 2)):
                measure(db, patient, round(rng.uniform(low, high)), code=code, at=_moment(rng))
        for _ in range(rng.randint(0, 2)):
            measure(
                db,
                patient,
                rng.choice(["current", "former", "never"]),
                code="smoking_status",
                at=_moment(rng),
            )
        if Programme.hartfalen in programmes:
            base = rng.uniform(70, 90)
            measure(
                db, patient, round(base), code="weight", at=datetime(2026, 1, 20, 12, tzinfo=UTC)
            )
            measure(
                db,
                patient,
                round(base + rng.choice([-2, 0, 1, 3])),
                code="weight",
                at=datetime(2026, 2, 27, 12, tzinfo=UTC),
            )
        for instrument in ("who5", "activation", "hf_symptoms"):
            if rng.random() < 0.5:
                questionnaire(
                    db, patient, rng.choice([30, 45, 50, 60, 75]), code=instrument, at=_moment(rng)
                )
        if rng.random() < 0.4:
            goal(db, patient, created=datetime(2024, 6, 1, 9, tzinfo=UTC), programmes=("CVRM",))
            measure(
                db,
                patient,
                rng.choice([128, 150]),
                code="bp_systolic",
                at=datetime(2024, 9, 1, 9, tzinfo=UTC),
            )
        if index % 17 == 0:  # an enrolment that ended: not in that programme's population
            enrolment = db.exec(select(Enrolment).where(Enrolment.patient_id == patient.id)).first()
            enrolment.end_date = TODAY - timedelta(days=10)
        made.append(patient)
    # Born on a band's first or last day (70 and 65 on TODAY, or the day after): the bands'
    # boundaries are the live rule's.
    for years in (65, 70):
        for shift in (0, 1):
            for _ in range(3):
                born = date(TODAY.year - years, TODAY.month, TODAY.day) + timedelta(days=shift)
                edge = make_patient(
                    db, world.practice, sex=Sex.female, born=born,
                    programmes=(Programme.DM2, Programme.CVRM),
                )  # fmt: skip
                measure(db, edge, rng.randint(40, 70), at=_moment(rng))
                measure(db, edge, rng.randint(115, 165), code="bp_systolic", at=_moment(rng))
    # Another care group's patients, like the others: never comparable.
    elsewhere = make_practice(db, make_care_group(db))
    for _ in range(25):
        stranger = make_patient(
            db, elsewhere, sex=Sex.female, born=date(1956, 5, 5), programmes=EVERY
        )
        measure(db, stranger, 99, code="hba1c", at=_moment(rng))
    db.commit()
    return made


RULES = [
    {},
    {"same_sex": False},
    {"age_band_years": 0},
    {"same_sex": False, "age_band_years": 0},
    {"age_band_years": 5},
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()))
def test_the_snapshot_gives_the_live_answers_for_every_outcome_and_like_me(
    db, world, monkeypatch, rule
) -> None:
    """Every outcome kind and "patients like me", for the default rule and rules that do not
    compare by sex or by age, or by another band width."""
    changed = {
        programme: dataclasses.replace(s, rule=dataclasses.replace(s.rule, **rule))
        for programme, s in outcome_sets().items()
    }
    for module in (services, snapshot):
        monkeypatch.setattr(module, "outcome_sets", lambda: changed)
    rng = random.Random(12)
    patients = _random_care_group(db, world, rng, n=160 if not rule else 100)
    subjects = [p for p in patients if p.practice_id == world.practice.id][:12] + [world.patient]
    for subject in subjects[:6]:
        goal(db, subject, created=datetime(2026, 2, 1, 9, tzinfo=UTC), programmes=("CVRM",))
    db.commit()
    live = {s.id: _answers(_board(db, world, s)) for s in subjects}
    compared = sum(1 for answers in live.values() for a in answers if a[4] is not None)
    assert compared > 10, compared  # the groups are large enough to compare

    members, values = snapshot.take(db, world.care_group.id, TODAY)
    db.commit()
    assert members > 100 and values > 300
    for subject in subjects:
        assert _answers(_board(db, world, subject)) == live[subject.id], subject.id


def test_on_its_day_the_comparison_reads_the_snapshot_not_the_live_values(db, world) -> None:
    rng = random.Random(3)
    _random_care_group(db, world, rng, n=60)
    peers = [
        make_patient(
            db, world.practice, sex=Sex.female, born=date(1952, 1, 1), programmes=(Programme.DM2,)
        )
        for _ in range(20)
    ]
    for peer in peers:
        measure(db, peer, 60, at=datetime(2026, 2, 1, tzinfo=UTC))
    measure(db, world.patient, 50, at=datetime(2026, 2, 2, tzinfo=UTC))
    db.commit()
    snapshot.take(db, world.care_group.id, TODAY)
    db.commit()

    def hba1c(day: date = TODAY):
        board = _board(db, world, world.patient, day)
        block = next(b for b in board.programmes if b.outcome_set.programme == Programme.DM2)
        return next(r for r in block.results if r.outcome.code == "hba1c")

    before = hba1c()
    # The peers' newer, better values come after the night: not counted today.
    for peer in peers:
        measure(db, peer, 40, at=datetime(2026, 3, 1, 20, tzinfo=UTC))
    db.commit()
    assert hba1c() == before
    # The patient's own new value is live.
    measure(db, world.patient, 45, at=datetime(2026, 3, 1, 21, tzinfo=UTC))
    db.commit()
    mine = hba1c()
    assert mine.value == 45 and mine.change is not None and mine.change.previous == 50
    # The next day has no snapshot: the comparison works the group out live.
    assert hba1c(TODAY + timedelta(days=1)).percentile < before.percentile
    # A new snapshot of today counts them.
    snapshot.take(db, world.care_group.id, TODAY)
    db.commit()
    assert hba1c().percentile < before.percentile


def test_the_screen_with_a_snapshot_sends_as_many_statements_whatever_the_group(
    db, world, engine
) -> None:
    rng = random.Random(5)

    def statements() -> int:
        snapshot.take(db, world.care_group.id, TODAY)
        db.commit()
        _board(db, world, world.patient)
        with count_statements(engine) as seen:
            _board(db, world, world.patient)
        return len(seen)

    _random_care_group(db, world, rng, n=20)
    small = statements()
    _random_care_group(db, world, rng, n=80)
    assert statements() == small


def test_the_job_writes_each_care_group_once_a_day_and_keeps_only_the_newest(db, world) -> None:
    _random_care_group(db, world, random.Random(7), n=30)
    first = snapshot.take_missing(db, TODAY - timedelta(days=1))
    db.commit()
    assert first.startswith("2 care group(s)")
    assert snapshot.take_missing(db, TODAY - timedelta(days=1)) == (
        "every care group has today's snapshot"
    )
    snapshot.take_missing(db, TODAY)
    db.commit()
    days = set(db.exec(select(CohortSnapshot.day)).all())
    assert days == {TODAY}
    for model in (CohortMember, CohortValue, CohortGoal):
        assert set(db.exec(select(model.day).distinct()).all()) == {TODAY}
    marked = db.exec(
        select(CohortSnapshot).where(CohortSnapshot.care_group_id == world.care_group.id)
    ).one()
    counted = db.exec(
        select(sa.func.count())
        .select_from(CohortValue)
        .where(CohortValue.care_group_id == world.care_group.id)
    ).one()
    assert marked.value_count == counted > 0
    # Yesterday's snapshot, where one is left, is never read today.
    assert not snapshot.taken(db, world.care_group.id, TODAY + timedelta(days=1))


def test_erasure_removes_the_patients_snapshot_rows(db, world) -> None:
    measure(db, world.patient, 50, at=datetime(2026, 2, 2, tzinfo=UTC))
    goal(db, world.patient, created=datetime(2024, 6, 1, 9, tzinfo=UTC))  # a like-me row
    db.commit()
    snapshot.take(db, world.care_group.id, TODAY)
    db.commit()
    for model in (CohortMember, CohortValue, CohortGoal):
        assert db.exec(select(model).where(model.patient_id == world.patient.id)).first()
    erase_patient_data(db, world.patient.id, now=datetime.now(UTC))
    db.commit()
    for model in (CohortMember, CohortValue, CohortGoal):
        assert db.exec(select(model).where(model.patient_id == world.patient.id)).first() is None
