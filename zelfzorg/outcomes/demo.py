"""Demo outcomes: WHO-5 well-being over time, and patients like the demo patient.

The demo patient (Gerda, DM2 and CVRM) should see a real comparison: every comparable DM2
patient of the care group (same sex, same 10-year age band) gets recent HbA1c, blood pressure,
BMI, activation and WHO-5 values, and a few comparable patients are added when that closes the
gap to the privacy floor (at most 5% of the demo's patients: the default demo of 150 gets a
handful, a small demo keeps its size and shows "too few comparable patients" honestly, as the
CVRM block may). Own random stream: nothing seeded before changes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import care_group_of_practice
from zelfzorg.assessment.demo import LEVEL_MEANS, _answers, _response
from zelfzorg.assessment.versions import current_version, definition_of, sync_builtins
from zelfzorg.outcomes.services import age_band, comparable_patients, years_before
from zelfzorg.outcomes.sets import outcome_sets
from zelfzorg.patients.models import PROGRAMME_CONDITION, Condition, Enrolment, Patient, Programme
from zelfzorg.patients.practice_history import open_first_period
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.telemonitoring.plausibility import bmi

MARGIN = 3  # comparable patients beyond the privacy floor
MAX_EXTRA_SHARE = 0.05
FAMILY = ["Aarts", "Bosman", "Claassen", "Evers", "Franken", "Gerritsen", "Hermans", "Kuipers"]
GIVEN = ["Els", "Ria", "Tineke", "Margriet", "Henny", "Wil", "Nel", "Lies", "Bep", "Corry"]


def _who5_answers(rng: random.Random, level: float) -> dict[str, int]:
    return {f"w{n}": max(0, min(5, round(rng.gauss(level, 0.7)))) for n in range(1, 6)}


def _born_in_band(rng: random.Random, today: date, band: tuple[int, int]) -> date:
    """A birth date whose age on ``today`` is inside [band[0], band[1])."""
    age = rng.randint(band[0], band[1] - 1)
    return years_before(today, age) - timedelta(days=rng.randint(1, 364))


def seed(session: Session, ctx) -> None:
    rng = random.Random(20261602)
    sync_builtins(session)
    who5 = current_version(session, "who5", None)
    activation = current_version(session, "activation", None)
    assert who5 and activation
    act_def = definition_of(activation)
    demo = ctx.demo_patient
    band = age_band(demo, ctx.today, 10) or (60, 70)
    rows = 0

    # WHO-5 over time for the demo patient (two scores) and for many patients in care.
    for months, level in ((14, 2.4), (7, 2.8), (1, 3.2)):
        user = ctx.patient_users.get(demo.id)
        at = ctx.now - timedelta(days=30 * months)
        _response(
            session,
            who5,
            demo.id,
            _who5_answers(rng, level),
            at,
            filled_by_id=user.id if user else None,
            role=Role.patient,
        )
        rows += 1
    for patient in ctx.patients:
        if patient.id == demo.id or rng.random() < 0.5:
            continue
        at = ctx.now - timedelta(days=rng.randint(20, 500))
        _response(
            session,
            who5,
            patient.id,
            _who5_answers(rng, rng.uniform(1.5, 4.2)),
            at,
            filled_by_id=None,
            role=Role.professional,
        )
        rows += 1

    # Patients like the demo patient: every comparable DM2 patient gets recent values, and a
    # few are added when that closes the gap to the privacy floor (at most 5% of the demo's
    # patients, so a small demo keeps its size and honestly shows "too few").
    session.flush()
    care_group_id = care_group_of_practice(session, demo.practice_id)
    outcome_set = outcome_sets()[Programme.DM2]
    existing = (
        [
            pid
            for pid in session.exec(
                comparable_patients(outcome_set, demo, care_group_id, ctx.today)
            ).all()
            if pid != demo.id
        ]
        if care_group_id is not None
        else []
    )
    needed = outcome_set.rule.minimum_group + MARGIN - len(existing)
    extra = max(0, needed)
    if extra > len(ctx.patients) * MAX_EXTRA_SHARE:
        ctx.progress(f"  {rows} WHO-5 scores; too few comparable patients for a comparison")
        return
    added = [_add_patient(session, ctx, rng, index, band) for index in range(extra)]
    for patient_id in existing + added:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        rows += _recent_values(session, ctx, rng, patient, who5, activation, act_def)
    session.flush()
    ctx.progress(
        f"  {len(existing)} comparable patients with recent values, {extra} added, {rows} values"
    )


def _add_patient(session: Session, ctx, rng: random.Random, index: int, band) -> int:
    demo = ctx.demo_patient
    practice = ctx.practices[index % len(ctx.practices)]
    poh = ctx.pohs[practice.id]
    patient = Patient(
        practice_id=practice.id,
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=_born_in_band(rng, ctx.today, band),
        sex=demo.sex,
        his_number=f"{9000 + index}",
        is_demo=True,
        created_by_id=poh.id,
    )
    session.add(patient)
    session.flush()
    open_first_period(session, patient, created_by_id=poh.id)
    start = ctx.today - timedelta(days=rng.randint(400, 3000))
    session.add(
        Enrolment(
            patient_id=patient.id,
            programme=Programme.DM2,
            start_date=start,
            created_by_id=poh.id,
        )
    )
    code, name = PROGRAMME_CONDITION[Programme.DM2]
    session.add(Condition(patient_id=patient.id, code=code, name=name, onset_date=start))
    session.flush()
    assert patient.id is not None
    return patient.id


def _recent_values(session, ctx, rng, patient: Patient, who5, activation, act_def) -> int:
    """A recent HbA1c, systolic pressure, BMI, WHO-5 and activation score (two of each
    measurement, so the change shows)."""
    poh = ctx.pohs[patient.practice_id]
    rows = 0
    height = round(rng.gauss(164, 6))
    weight = rng.gauss(82, 12)
    for days_ago in (300, 120):
        at = ctx.now - timedelta(days=days_ago + rng.randint(0, 30))
        values = {
            "hba1c": ("mmol/mol", round(rng.gauss(55, 8))),
            "bp_systolic": ("mm[Hg]", round(rng.gauss(138, 12))),
            "weight": ("kg", round(weight, 1)),
            "bmi": ("kg/m2", bmi(weight, height)),
        }
        for code, (unit, value) in values.items():
            session.add(
                Measurement(
                    patient_id=patient.id,
                    type_code=code,
                    value=value,
                    unit=unit,
                    measured_at=at,
                    source=MeasurementSource.professional,
                    source_id=f"outcome-demo-{patient.id}-{code}-{days_ago}",
                    entered_by_id=poh.id,
                )
            )
            rows += 1
        weight += rng.gauss(-0.5, 1.5)
    at = ctx.now - timedelta(days=rng.randint(20, 300))
    for version, answers in (
        (who5, _who5_answers(rng, rng.uniform(1.5, 4.2))),
        (activation, _answers(rng, act_def, LEVEL_MEANS[1 + patient.id % 4])),
    ):
        _response(
            session, version, patient.id, answers, at, filled_by_id=poh.id, role=Role.professional
        )
        rows += 1
    return rows
