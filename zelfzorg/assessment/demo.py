"""Demo questionnaires: activation responses over several years at every level (some not
scorable, some filled in by the POH), SEMCD-6 responses, experience responses after reviews,
an open draft and an open invitation for the demo patient."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from zelfzorg.accounts.models import Role
from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.assessment.scoring import score
from zelfzorg.assessment.services import EXPERIENCE_CODE
from zelfzorg.assessment.versions import current_version, definition_of, sync_builtins

# Mean answer (1-4) that lands in each activation level with the own instrument.
LEVEL_MEANS = {1: 1.9, 2: 2.5, 3: 2.85, 4: 3.4}


def _answers(rng, definition, mean: float, *, answered: int | None = None) -> dict[str, int]:
    low, high = definition.lowest_value, definition.highest_value
    items = list(definition.items)
    if answered is not None:
        items = rng.sample(items, answered)
    return {item.code: max(low, min(high, round(rng.gauss(mean, 0.55)))) for item in items}


def _response(
    session: Session,
    version: InstrumentVersion,
    patient_id: int,
    answers: dict,
    at: datetime,
    *,
    filled_by_id: int | None,
    role: Role,
    context: str | None = None,
) -> AssessmentResponse:
    result = score(definition_of(version), answers)
    response = AssessmentResponse(
        patient_id=patient_id,
        instrument_version_id=version.id,
        instrument_code=version.code,
        instrument_version=version.version,
        status=ResponseStatus.completed,
        answers=answers,
        answered_count=result.answered_count,
        scorable=result.scorable,
        not_scorable_reason=result.reason_code,
        raw_score=float(result.raw),
        score=result.score,
        level=result.level.number if result.level else None,
        filled_by_id=filled_by_id,
        filled_by_role=str(role),
        context=context,
        started_at=at - timedelta(minutes=9),
        completed_at=at,
    )
    session.add(response)
    return response


def seed(session: Session, ctx) -> None:
    rng = ctx.rng
    sync_builtins(session)
    activation = current_version(session, "activation", None)
    semcd = current_version(session, "semcd6", None)
    experience = current_version(session, EXPERIENCE_CODE, None)
    assert activation and semcd and experience
    act_def, semcd_def, exp_def = (definition_of(v) for v in (activation, semcd, experience))
    counts = {"activation": 0, "not_scorable": 0, "semcd6": 0, "experience": 0}

    for index, patient in enumerate(ctx.patients):
        user = ctx.patient_users.get(patient.id)
        poh = ctx.pohs[patient.practice_id]
        if patient.id == ctx.demo_patient.id:
            continue
        if rng.random() < 0.15:  # never assessed: shows up as due on the worklist
            continue
        years = rng.randint(1, 4)
        level = 1 + index % 4  # every level is well represented
        for year in range(years, 0, -1):
            at = ctx.now - timedelta(days=365 * year - rng.randint(-40, 40) + 30)
            by_patient = user is not None and rng.random() < 0.7
            if rng.random() < 0.07:  # not scorable: too few answers, or all at an extreme
                answers = (
                    _answers(rng, act_def, 2.5, answered=rng.randint(5, 9))
                    if rng.random() < 0.6
                    else {item.code: 4 for item in act_def.items}
                )
                counts["not_scorable"] += 1
            else:
                answers = _answers(rng, act_def, LEVEL_MEANS[level])
                level = max(1, min(4, level + rng.choice([-1, 0, 0, 1])))
            _response(
                session,
                activation,
                patient.id,
                answers,
                at,
                filled_by_id=user.id if by_patient else poh.id,
                role=Role.patient if by_patient else Role.professional,
            )
            counts["activation"] += 1
        if user is not None and rng.random() < 0.3:
            at = ctx.now - timedelta(days=rng.randint(20, 400))
            answers = {item.code: rng.randint(4, 10) for item in semcd_def.items}
            _response(
                session, semcd, patient.id, answers, at, filled_by_id=user.id, role=Role.patient
            )
            counts["semcd6"] += 1
        if user is not None and rng.random() < 0.45:
            for n in range(rng.randint(1, 2)):
                at = ctx.now - timedelta(days=rng.randint(10, 700))
                answers = {item.code: rng.choice([3, 4, 4, 5, 5]) for item in exp_def.items}
                _response(
                    session,
                    experience,
                    patient.id,
                    answers,
                    at,
                    filled_by_id=user.id,
                    role=Role.patient,
                    context=f"review:demo-{patient.id}-{n}",
                )
                counts["experience"] += 1

    _seed_demo_patient(session, ctx, activation, semcd, experience)
    ctx.progress(
        "  {activation} activation responses ({not_scorable} not scorable), {semcd6} SEMCD-6, "
        "{experience} experience responses".format(**counts)
    )


def _seed_demo_patient(session, ctx, activation, semcd, experience) -> None:
    """Gerda: from level 1 four years ago to level 3 now, one not scorable, a draft and an
    open invitation, so every screen has something to show."""
    rng = ctx.rng
    patient = ctx.demo_patient
    user = ctx.patient_users[patient.id]
    poh = ctx.pohs[patient.practice_id]
    act_def = definition_of(activation)
    # Fixed answers, so the story is the same on every machine: 35.9, 51.3, 53.8, 61.5.
    story = (
        (4, [2] * 6 + [1] * 3 + [3] * 4),
        (3, [2] * 6 + [3] * 7),
        (2, [2] * 5 + [3] * 8),
        (1, [3] * 11 + [2] * 2),
    )
    for years_ago, values in story:
        at = ctx.now - timedelta(days=365 * years_ago - 20)
        answers = {item.code: v for item, v in zip(act_def.items, values, strict=True)}
        _response(
            session,
            activation,
            patient.id,
            answers,
            at,
            filled_by_id=poh.id,
            role=Role.professional,
        )
    too_few = _answers(rng, act_def, 2.8, answered=8)
    _response(
        session,
        activation,
        patient.id,
        too_few,
        ctx.now - timedelta(days=400),
        filled_by_id=user.id,
        role=Role.patient,
    )
    semcd_answers = {item.code: rng.randint(5, 9) for item in definition_of(semcd).items}
    _response(
        session,
        semcd,
        patient.id,
        semcd_answers,
        ctx.now - timedelta(days=200),
        filled_by_id=user.id,
        role=Role.patient,
    )
    exp_answers = {item.code: 4 for item in definition_of(experience).items}
    _response(
        session,
        experience,
        patient.id,
        exp_answers,
        ctx.now - timedelta(days=150),
        filled_by_id=user.id,
        role=Role.patient,
        context="review:demo-gerda-1",
    )
    session.add(
        AssessmentResponse(
            patient_id=patient.id,
            instrument_version_id=semcd.id,
            instrument_code=semcd.code,
            instrument_version=semcd.version,
            status=ResponseStatus.in_progress,
            answers=dict.fromkeys(list(semcd_answers)[:3], 7),
            answered_count=3,
            filled_by_id=user.id,
            filled_by_role=str(Role.patient),
            started_at=ctx.now - timedelta(days=2),
        )
    )
    session.add(
        AssessmentResponse(
            patient_id=patient.id,
            instrument_version_id=experience.id,
            instrument_code=experience.code,
            instrument_version=experience.version,
            status=ResponseStatus.in_progress,
            answers={},
            filled_by_id=user.id,
            filled_by_role=str(Role.patient),
            context="review:demo-gerda-2",
            started_at=ctx.now - timedelta(days=1),
        )
    )
