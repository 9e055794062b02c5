"""The one population definition: hand-built cases and a plain-Python reference."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.factories import make_care_group, make_patient, make_practice, make_user
from zelfzorg.accounts.models import PracticeMembership, Role
from zelfzorg.audit.models import AuditEntry
from zelfzorg.errors import Forbidden, ValidationError
from zelfzorg.patients import population as pop
from zelfzorg.patients.models import Enrolment, Patient, PracticePeriod, Programme
from zelfzorg.patients.practice_history import move_patient, periods_of

D = date(2026, 6, 30)


def rows(db, stmt) -> set[tuple[int, int]]:
    return {(r[0], r[1]) for r in db.exec(stmt).all()}


def test_enrolment_boundaries_start_counts_end_does_not(db):
    group = make_care_group(db)
    practice = make_practice(db, group)
    starts_on_d = make_patient(db, practice, start=D)
    ends_on_d = make_patient(db, practice, start=date(2020, 1, 1))
    ends_after_d = make_patient(db, practice, start=date(2020, 1, 1))
    starts_after = make_patient(db, practice, start=D + timedelta(days=1))
    for patient, end in ((ends_on_d, D), (ends_after_d, D + timedelta(days=1))):
        enrolment = db.exec(select(Enrolment).where(Enrolment.patient_id == patient.id)).one()
        enrolment.end_date = end
        db.add(enrolment)
    db.flush()
    counted = {pid for pid, _ in rows(db, pop.population(D, care_group_id=group.id))}
    assert counted == {starts_on_d.id, ends_after_d.id}
    assert starts_after.id not in counted


def test_multimorbid_needs_two_active_programmes_and_programme_filter(db):
    group = make_care_group(db)
    practice = make_practice(db, group)
    multi = make_patient(db, practice, programmes=(Programme.DM2, Programme.CVRM))
    single = make_patient(db, practice, programmes=(Programme.COPD,))
    assert {p for p, _ in rows(db, pop.population(D, multimorbid=True))} == {multi.id}
    copd = {p for p, _ in rows(db, pop.population(D, programmes=[Programme.COPD]))}
    assert copd == {single.id}


def test_population_of_a_practice_and_care_group_excludes_others(db):
    group, other_group = make_care_group(db), make_care_group(db)
    a, b = make_practice(db, group), make_practice(db, group)
    far = make_practice(db, other_group)
    pa, pb, pf = make_patient(db, a), make_patient(db, b), make_patient(db, far)
    assert rows(db, pop.population(D, care_group_id=group.id)) == {(pa.id, a.id), (pb.id, b.id)}
    assert rows(db, pop.population(D, practice_ids=[b.id])) == {(pb.id, b.id)}
    assert rows(db, pop.population(D, practice_ids=[])) == set()
    assert dict(db.exec(pop.count_by_practice(D, care_group_id=other_group.id)).all()) == {
        far.id: 1
    }
    assert pf.id not in {p for p, _ in rows(db, pop.population(D, care_group_id=group.id))}


def test_moved_patient_counts_for_old_practice_before_and_new_after(db):
    group = make_care_group(db)
    old, new = make_practice(db, group, "Oud"), make_practice(db, group, "Nieuw")
    poh = make_user(db, Role.professional, practice=old)
    patient = make_patient(db, old, start=date(2020, 1, 1))
    db.commit()
    from tests.factories import World  # noqa: F401  (actor_for is what the app uses)
    from zelfzorg.accounts.scope import actor_for

    actor = actor_for(db, poh, "127.0.0.1")
    move_day = date(2026, 3, 1)
    move_patient(db, actor, patient.id, practice_id=new.id, on=move_day, today=D)
    db.commit()
    before = rows(db, pop.population(move_day - timedelta(days=1), care_group_id=group.id))
    on_move = rows(db, pop.population(move_day, care_group_id=group.id))
    assert before == {(patient.id, old.id)}
    assert on_move == {(patient.id, new.id)}
    assert [(p.practice_id, p.start_date, p.end_date) for p in periods_of(db, patient.id)] == [
        (old.id, patient.date_of_birth, move_day),
        (new.id, move_day, None),
    ]
    assert db.get(Patient, patient.id).practice_id == new.id
    entry = db.exec(select(AuditEntry).where(AuditEntry.object_type == "PracticePeriod")).one()
    assert (entry.patient_id, entry.action, entry.outcome) == (patient.id, "update", "allowed")


def test_move_refuses_other_care_group_future_date_and_same_practice(db):
    group, other_group = make_care_group(db), make_care_group(db)
    practice, far = make_practice(db, group), make_practice(db, other_group)
    poh = make_user(db, Role.professional, practice=practice)
    patient = make_patient(db, practice)
    db.commit()
    from zelfzorg.accounts.scope import actor_for

    actor = actor_for(db, poh)
    with pytest.raises(ValidationError):
        move_patient(db, actor, patient.id, practice_id=far.id, on=D, today=D)
    with pytest.raises(ValidationError):
        move_patient(db, actor, patient.id, practice_id=practice.id, on=D, today=D)
    sibling = make_practice(db, group)
    with pytest.raises(ValidationError):
        move_patient(db, actor, patient.id, practice_id=sibling.id, on=D + timedelta(1), today=D)
    caregroup = make_user(db, Role.caregroup, care_group=group)
    with pytest.raises(Forbidden):
        move_patient(
            db, actor_for(db, caregroup), patient.id, practice_id=sibling.id, on=D, today=D
        )
    assert len(periods_of(db, patient.id)) == 1


def test_professional_in_two_practices_sees_both_and_nothing_else(db):
    from zelfzorg.accounts.scope import actor_for, may_access_patient, patients_query

    group = make_care_group(db)
    home, extra, third = (make_practice(db, group) for _ in range(3))
    dietitian = make_user(db, Role.professional, practice=home)
    db.add(PracticeMembership(user_id=dietitian.id, practice_id=extra.id))
    patients = {p.id: make_patient(db, p) for p in (home, extra, third)}
    db.flush()
    actor = actor_for(db, dietitian)
    assert actor.practice_ids == {home.id, extra.id}
    assert may_access_patient(actor, patients[home.id]) and may_access_patient(
        actor, patients[extra.id]
    )
    assert not may_access_patient(actor, patients[third.id])
    listed = {p.id for p in db.exec(patients_query(actor)).all()}
    assert listed == {patients[home.id].id, patients[extra.id].id}


def reference_population(patients, enrolments, periods, practices_of_group, day, multimorbid):
    """Plain Python: the DESIGN.md section 4 definition, row by row."""
    result = set()
    for patient_id in patients:
        active = {
            prog
            for (pid, prog, start, end) in enrolments
            if pid == patient_id and start <= day and (end is None or end > day)
        }
        place = [
            practice
            for (pid, practice, start, end) in periods
            if pid == patient_id and start <= day and (end is None or end > day)
        ]
        if not active or not place or place[0] not in practices_of_group:
            continue
        if multimorbid and len(active) < 2:
            continue
        result.add((patient_id, place[0]))
    return result


def test_population_agrees_with_python_reference_on_generated_data(db):
    rng = random.Random(20261201)
    group = make_care_group(db)
    practices = [make_practice(db, group) for _ in range(3)]
    outsider = make_practice(db, make_care_group(db))
    all_practices = [*practices, outsider]
    programmes = list(Programme)
    for _ in range(60):
        home = rng.choice(all_practices)
        patient = make_patient(db, home, programmes=())
        for programme in rng.sample(programmes, rng.randint(0, 3)):
            start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 900))
            end = start + timedelta(days=rng.randint(1, 500)) if rng.random() < 0.4 else None
            db.add(
                Enrolment(
                    patient_id=patient.id, programme=programme, start_date=start, end_date=end
                )
            )
        if rng.random() < 0.3:  # moved once, directly in the history table
            period = db.exec(
                select(PracticePeriod).where(PracticePeriod.patient_id == patient.id)
            ).one()
            move = date(2025, 1, 1) + timedelta(days=rng.randint(0, 500))
            target = rng.choice(all_practices)
            period.end_date = move
            db.add(period)
            db.add(PracticePeriod(patient_id=patient.id, practice_id=target.id, start_date=move))
    db.flush()
    patients = [p.id for p in db.exec(select(Patient)).all()]
    enrolments = [
        (e.patient_id, e.programme, e.start_date, e.end_date) for e in db.exec(select(Enrolment))
    ]
    periods = [
        (p.patient_id, p.practice_id, p.start_date, p.end_date)
        for p in db.exec(select(PracticePeriod))
    ]
    group_ids = {p.id for p in practices}
    for day in (date(2024, 6, 30), date(2025, 1, 1), date(2025, 12, 31), date(2026, 6, 30)):
        for multimorbid in (False, True):
            expected = reference_population(
                patients, enrolments, periods, group_ids, day, multimorbid
            )
            got = rows(db, pop.population(day, care_group_id=group.id, multimorbid=multimorbid))
            assert got == expected
        assert expected  # the generated set exercises real rows
