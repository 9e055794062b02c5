"""The maintained eligibility table: the same outcomes as the live criteria evaluation, kept
current by every path that changes a fact or the catalogue, and read by the lists."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from tests.conftest import empty_database
from tests.factories import make_patient
from tests.leefstijl.helpers import NOW, TODAY, add_measurement, make_intervention
from zelfzorg.accounts.models import User
from zelfzorg.accounts.scope import actor_for
from zelfzorg.generator import generate
from zelfzorg.leefstijl import eligibility, indicators, services
from zelfzorg.leefstijl.criteria import evaluate
from zelfzorg.leefstijl.criteria.sql import compile_criteria, facts_query
from zelfzorg.leefstijl.models import Eligibility, Intervention
from zelfzorg.patients.models import Patient, Programme

GEN_TODAY = date(2026, 12, 1)
BMI_AND_AGE = {
    "all": [
        {"programme_in": ["DM2", "CVRM"]},
        {"measurement": "bmi", "op": ">=", "value": 25},
        {"age_between": [18, 80]},
    ]
}


def _table(db: Session) -> dict[tuple[int, int], str]:
    return {
        (r.patient_id, r.intervention_id): r.outcome for r in db.exec(select(Eligibility)).all()
    }


def _live_python(db: Session, group: int, day: date) -> dict[tuple[int, int], str]:
    """Every patient of the care group evaluated by the screens' Python engine."""
    interventions = services.active_interventions(db, group)
    ids = list(db.exec(eligibility._group_patients(group)).all())
    patients = list(db.exec(select(Patient).where(Patient.id.in_(ids))).all())  # type: ignore[attr-defined]
    facts = services.load_facts(db, patients, ids, services.measurement_codes(interventions), day)
    return {
        (p.id, i.id): evaluate(services.parsed(i), facts[p.id], "nl").outcome  # type: ignore[index]
        for p in patients
        for i in interventions
    }


def _live_sql(db: Session, group: int, day: date) -> dict[tuple[int, int], str]:
    """The criteria compiled to SQL (indicator L2's way), met / not met / neither."""
    found = {}
    for intervention in services.active_interventions(db, group):
        tree = services.parsed(intervention)
        stmt, facts = facts_query(
            [tree],
            eligibility._group_patients(group),
            day,
            zone=services.AMSTERDAM,
            max_age_days=services.MAX_MEASUREMENT_AGE_DAYS,
            smoking_code=services.SMOKING_CODE,
        )
        met, not_met = compile_criteria(tree, facts)
        for pid, is_met, is_not in db.execute(
            stmt.add_columns(sa.case((met, 1), else_=0), sa.case((not_met, 1), else_=0))
        ):
            found[(pid, intervention.id)] = (
                "eligible" if is_met else "not_eligible" if is_not else "unknown"
            )
    return found


def test_the_table_the_generator_fills_equals_the_live_evaluation(engine):
    """A varied generated care group (ages, sexes, programmes, BMI, smoking, activation,
    stale and superseded values, 7 interventions): table == Python engine == SQL."""
    generate(engine, patients_n=80, practices_n=2, years=1, seed=7, today=GEN_TODAY)
    try:
        with Session(engine) as db:
            group = db.execute(sa.text("SELECT id FROM care_group")).scalar_one()
            table = _table(db)
            python = _live_python(db, group, GEN_TODAY)
            assert table == python == _live_sql(db, group, GEN_TODAY)
            outcomes = set(table.values())
            assert outcomes == {"eligible", "unknown", "not_eligible"}, outcomes
            # The lists read the table; with it emptied they evaluate live: the same answer.
            stored = indicators.eligible_patient_ids(db, group, GEN_TODAY)
            practice = db.execute(sa.text("SELECT min(id) FROM practice")).scalar_one()
            poh = db.exec(select(User).where(User.practice_id == practice)).first()
            actor = actor_for(db, poh)  # type: ignore[arg-type]
            day = GEN_TODAY + timedelta(days=1)
            listed = _pairs(db, actor, day)
            assert stored and listed
            db.execute(sa.delete(Eligibility))
            assert indicators.eligible_patient_ids(db, group, GEN_TODAY) == stored
            assert _pairs(db, actor, day) == listed
            db.rollback()
            # A rebuild for another day agrees with the live evaluation of that day.
            later = GEN_TODAY + timedelta(days=200)
            eligibility.rebuild(db, later)
            assert _table(db) == _live_python(db, group, later)
            db.rollback()
    finally:
        empty_database(engine)


def _pairs(db: Session, actor, day: date) -> list[tuple[int, int]]:
    page = services.practice_opportunities(db, actor, day, per_page=10_000)
    return [(o.patient.id, o.intervention.id) for o in page]


def test_rows_answer_only_inside_their_window(db, world):
    make_intervention(db, world.care_group.id, criteria=BMI_AND_AGE)
    patient = world.patient
    patient.date_of_birth = date(1946, 12, 10)  # turns 80 on 10 December: still in
    add_measurement(db, patient.id, "bmi", 28, at=NOW - timedelta(days=30))
    eligibility.patients_changed(db, [patient.id], TODAY)
    row = db.exec(select(Eligibility).where(Eligibility.patient_id == patient.id)).one()
    # The birthday comes before the BMI grows too old (400 days).
    assert (row.outcome, row.computed_on, row.valid_until) == (
        "eligible",
        TODAY,
        date(2026, 12, 10),
    )
    assert eligibility.uncovered_patients(db, select(Patient.id), [row.intervention_id], TODAY) == [
        p for p in sorted(db.exec(select(Patient.id)).all()) if p != patient.id
    ]
    # Past the window (and before it) the row is not used: evaluated live instead.
    for day in (TODAY - timedelta(days=1), date(2026, 12, 10)):
        assert patient.id in eligibility.uncovered_patients(
            db, select(Patient.id), [row.intervention_id], day
        )
    # The daily job recomputes it once the window ended.
    assert eligibility.refresh_expired(db, date(2026, 12, 10)).startswith("1 patients")
    row = db.exec(select(Eligibility).where(Eligibility.patient_id == patient.id)).one()
    db.refresh(row)
    # Now the BMI (31 October 2026) grows too old first: 401 days later.
    assert (row.computed_on, row.valid_until) == (date(2026, 12, 10), date(2027, 12, 6))


def test_a_reading_dated_after_today_ends_the_window_on_its_day(db, world):
    make_intervention(db, world.care_group.id, criteria=BMI_AND_AGE)
    patient = world.patient
    patient.date_of_birth = date(1960, 6, 1)
    add_measurement(db, patient.id, "bmi", 22, at=NOW - timedelta(days=30))
    # A device clock a few minutes ahead at midnight: dated tomorrow (Amsterdam) already.
    ahead = datetime.combine(TODAY + timedelta(days=1), time(0, 3), tzinfo=services.AMSTERDAM)
    add_measurement(db, patient.id, "bmi", 31, at=ahead)
    eligibility.patients_changed(db, [patient.id], TODAY)
    row = db.exec(select(Eligibility).where(Eligibility.patient_id == patient.id)).one()
    # Today only the BMI of 22 counts; tomorrow the 31 does, so the row holds until then.
    assert (row.outcome, row.valid_until) == ("not_eligible", TODAY + timedelta(days=1))
    tomorrow = TODAY + timedelta(days=1)
    assert patient.id in eligibility.uncovered_patients(
        db, select(Patient.id), [row.intervention_id], tomorrow
    )
    assert eligibility.refresh_expired(db, tomorrow).startswith("1 patients")
    db.expire_all()
    row = db.exec(select(Eligibility).where(Eligibility.patient_id == patient.id)).one()
    assert (row.outcome, row.computed_on) == ("eligible", tomorrow)
    assert _live_python(db, world.care_group.id, tomorrow)[(patient.id, row.intervention_id)] == (
        "eligible"
    )


def _outcome(db: Session, patient_id: int, intervention_id: int) -> str | None:
    db.expire_all()
    row = db.get(Eligibility, (patient_id, intervention_id))
    return row.outcome if row else None


def test_each_change_path_updates_the_table(db, world):
    from zelfzorg.patients import services as patients
    from zelfzorg.telemonitoring import services as telemonitoring

    poh = world.actor(world.poh)
    admin = world.actor(world.admin)
    cool = services.create_intervention(
        db,
        admin,
        services.InterventionInput(
            care_group_id=world.care_group.id,
            name="CooL",
            kind="gli",
            description_nl="Gezonder leven.",
            criteria_text='{"all": [{"programme_in": ["DM2"]}, '
            '{"measurement": "bmi", "op": ">=", "value": 25}]}',
        ),
        now=NOW,
    )
    # The catalogue change computed every patient of the care group, set-based.
    assert _outcome(db, world.patient.id, cool.id) == "unknown"  # DM2, no BMI yet
    assert _outcome(db, world.other_patient.id, cool.id) == "not_eligible"  # COPD only
    assert _outcome(db, world.far_patient.id, cool.id) is not None

    # A measurement recorded through the service.
    telemonitoring.record_readings(
        db,
        poh,
        world.patient.id,
        telemonitoring.ReadingsInput(
            values={"weight": "95", "height": "170"},
            measured_at=datetime.combine(TODAY, time(9), NOW.tzinfo),
        ),
        now=NOW,
        confirmed=True,
    )
    assert _outcome(db, world.patient.id, cool.id) == "eligible"

    # An enrolment ended, and a new one.
    enrolment = next(e for e in db.exec(select_enrolments(world.patient.id)).all())
    patients.end_enrolment(db, poh, world.patient.id, enrolment.id, end_date=TODAY, today=TODAY)
    assert _outcome(db, world.patient.id, cool.id) == "not_eligible"
    patients.enrol(db, poh, world.patient.id, programme="DM2", start_date=TODAY, today=TODAY)
    assert _outcome(db, world.patient.id, cool.id) == "eligible"

    # The catalogue entry edited: stricter criteria, then withdrawn.
    data = services.InterventionInput(
        care_group_id=world.care_group.id,
        name="CooL",
        kind="gli",
        description_nl="Gezonder leven.",
        criteria_text='{"all": [{"programme_in": ["DM2"]}, '
        '{"measurement": "bmi", "op": ">=", "value": 40}]}',
    )
    services.update_intervention(db, admin, cool.id, data, version=cool.version, now=NOW)
    assert _outcome(db, world.patient.id, cool.id) == "not_eligible"
    withdrawn = services.InterventionInput(**{**data.__dict__, "active": False})
    services.update_intervention(db, admin, cool.id, withdrawn, version=2, now=NOW)
    assert _outcome(db, world.patient.id, cool.id) is None
    db.rollback()


def select_enrolments(patient_id: int):
    from zelfzorg.patients.models import Enrolment

    return select(Enrolment).where(Enrolment.patient_id == patient_id, Enrolment.end_date == None)  # noqa: E711


def test_an_activation_assessment_and_a_birth_date_update_the_table(db, world):
    from tests.leefstijl.helpers import add_activation
    from zelfzorg.patients import services as patients

    cool = make_intervention(
        db,
        world.care_group.id,
        criteria={"all": [{"activation_level_in": [1, 2]}, {"age_between": [18, 60]}]},
    )
    add_activation(db, world.patient.id, 1)
    eligibility.changed_now(db, [world.patient.id], NOW)
    before = _outcome(db, world.patient.id, cool.id)
    patient = db.get(Patient, world.patient.id)
    born = date(TODAY.year - 30, 1, 1) if before == "not_eligible" else date(1930, 1, 1)
    data = patients.PatientInput(
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=born,
        sex=str(patient.sex),
        his_number=patient.his_number,
    )
    patients.update_patient(
        db, world.actor(world.poh), patient.id, data, today=TODAY, version=patient.version
    )
    after = _outcome(db, world.patient.id, cool.id)
    assert {before, after} == {"eligible", "not_eligible"}
    db.rollback()


def test_the_practice_list_reads_the_table(db, world):
    """A row in its window is the answer (here one that disagrees with the facts, to show
    that it is read); a referral still keeps the pair out, at read time."""
    from tests.leefstijl.helpers import make_referral
    from zelfzorg.leefstijl import referral_states as rs

    cool = make_intervention(db, world.care_group.id)
    for patient in (world.patient, world.other_patient):
        db.add(
            Eligibility(
                patient_id=patient.id,
                intervention_id=cool.id,
                outcome="eligible",
                computed_on=TODAY,
                valid_until=TODAY + timedelta(days=30),
            )
        )
    db.flush()
    actor = world.actor(world.poh)
    listed = [o.patient.id for o in services.practice_opportunities(db, actor, TODAY)]
    assert set(listed) == {world.patient.id, world.other_patient.id}
    assert indicators.eligible_patient_ids(db, world.care_group.id, TODAY) >= set(listed) - {
        world.other_patient.id
    }
    make_referral(db, world.other_patient.id, cool, rs.OFFERED)
    listed = [o.patient.id for o in services.practice_opportunities(db, actor, TODAY)]
    assert listed == [world.patient.id]
    db.rollback()


def test_a_new_patient_without_rows_is_evaluated_live(db, world):
    cool = make_intervention(db, world.care_group.id)
    eligibility.care_group_changed(db, world.care_group.id, TODAY)
    kees = make_patient(db, world.practice, given="Kees", programmes=(Programme.DM2,))
    add_measurement(db, kees.id, "bmi", 33)
    assert db.get(Eligibility, (kees.id, cool.id)) is None
    listed = services.practice_opportunities(db, world.actor(world.poh), TODAY)
    assert kees.id in {o.patient.id for o in listed}
    assert kees.id in indicators.eligible_patient_ids(db, world.care_group.id, TODAY)
    assert db.exec(select(Intervention)).all() == [cool]
    db.rollback()


def test_a_patient_is_covered_only_with_a_row_for_every_active_intervention(db, world):
    first = make_intervention(db, world.care_group.id, criteria=BMI_AND_AGE)
    add_measurement(db, world.patient.id, "bmi", 28, at=NOW - timedelta(days=30))
    eligibility.patients_changed(db, [world.patient.id], TODAY)
    second = make_intervention(db, world.care_group.id, name="Tweede", criteria=BMI_AND_AGE)
    # The second intervention came without rows (as if the catalogue changed after the
    # table was filled): the patient's one row no longer answers for both.
    db.exec(sa.delete(Eligibility).where(Eligibility.intervention_id == second.id))
    patients = select(Patient.id).where(Patient.id == world.patient.id)
    assert eligibility.uncovered_patients(db, patients, [first.id], TODAY) == []
    assert eligibility.uncovered_patients(db, patients, [first.id, second.id], TODAY) == [
        world.patient.id
    ]
    eligibility.patients_changed(db, [world.patient.id], TODAY)
    assert eligibility.uncovered_patients(db, patients, [first.id, second.id], TODAY) == []
    assert eligibility.uncovered_patients(db, patients, [], TODAY) == []
