"""The outcomes added to complete the sets of issue 16: LDL (CVRM), smoking status and lung
attacks (COPD), the heart-failure weight trend and symptom diary, on hand-built groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_patient
from tests.outcomes.helpers import PEER_BORN, TODAY, measure, peers, questionnaire
from zelfzorg.outcomes import services
from zelfzorg.outcomes.sets import outcome_sets
from zelfzorg.patients.models import Programme, Sex

COPD = (Programme.COPD,)
HF = (Programme.hartfalen,)
# Noon UTC on a day before TODAY (2026-03-02): inside the last 28 days, and the 28 before.
NOW_PERIOD = datetime(2026, 2, 27, 12, 0, tzinfo=UTC)
EARLIER_PERIOD = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)


def _subject(db, world, programmes):
    """A patient like the peers (female, 75) in ``programmes``, of the POH's practice."""
    return make_patient(db, world.practice, sex=Sex.female, born=PEER_BORN, programmes=programmes)


def _result(db, world, patient, code: str, programme: Programme):
    board = services.dashboard(db, world.actor(world.poh), patient_id=patient.id, today=TODAY)
    block = next(p for p in board.programmes if p.outcome_set.programme == programme)
    return next(r for r in block.results if r.outcome.code == code)


def test_every_outcome_the_issue_names_is_in_the_sets() -> None:
    sets = outcome_sets()
    codes = {p: [o.code for o in s.outcomes] for p, s in sets.items()}
    assert codes[Programme.DM2] == ["hba1c", "systolic_bp", "bmi", "activation", "well_being"]
    assert codes[Programme.COPD] == [
        "ccq",
        "smoking",
        "exacerbations",
        "activation",
        "well_being",
    ]
    assert codes[Programme.CVRM] == ["systolic_bp", "ldl", "bmi", "well_being"]
    assert codes[Programme.hartfalen] == ["weight_trend", "symptoms", "well_being", "activation"]
    by_code = {o.code: o for o in sets[Programme.hartfalen].outcomes}
    assert (by_code["weight_trend"].source, by_code["weight_trend"].days) == ("trend", 28)
    assert by_code["symptoms"].reads == "hf_symptoms" and by_code["symptoms"].better == "lower"
    assert "hf_symptoms" in sets[Programme.hartfalen].proms


# --- LDL if present ---------------------------------------------------------------------------


def test_ldl_is_compared_lower_is_better(db, world) -> None:
    peers(db, world.practice, [3.4] * 15 + [2.1] * 5, code="ldl", programmes=(Programme.CVRM,))
    measure(db, world.patient, 2.5, code="ldl")
    board = services.dashboard(db, world.actor(world.poh), patient_id=world.patient.id, today=TODAY)
    cvrm = next(p for p in board.programmes if p.outcome_set.programme == Programme.CVRM)
    ldl = next(r for r in cvrm.results if r.outcome.code == "ldl")
    # 15 of 20 higher (worse): percentile 75, better than the median.
    assert (ldl.value, ldl.percentile, ldl.label) == (2.5, 75, services.BETTER)


def test_without_ldl_the_page_says_no_value(db, world) -> None:
    board = services.dashboard(db, world.actor(world.poh), patient_id=world.patient.id, today=TODAY)
    cvrm = next(p for p in board.programmes if p.outcome_set.programme == Programme.CVRM)
    ldl = next(r for r in cvrm.results if r.outcome.code == "ldl")
    assert ldl.value is None and ldl.reason == services.NO_VALUE


# --- smoking status (coded) -------------------------------------------------------------------


def test_smoking_shows_the_share_of_non_smokers_not_a_percentile(db, world) -> None:
    group = peers(db, world.practice, [None] * 20, programmes=COPD)
    for index, peer in enumerate(group):
        measure(db, peer, "current" if index < 3 else ("never" if index % 2 else "former"),
                code="smoking_status")  # fmt: skip
    subject = _subject(db, world, COPD)
    measure(db, subject, "current", code="smoking_status", at=datetime(2025, 6, 1, tzinfo=UTC))
    measure(db, subject, "former", code="smoking_status")
    result = _result(db, world, subject, "smoking", Programme.COPD)
    assert (result.value, result.code) == (1.0, "former")
    assert result.percentile is None and result.label is None and not result.compared
    assert result.reason == services.NOT_A_NUMBER
    assert (result.group_size, result.share_good) == (20, 85)  # 17 of 20 do not smoke
    # Stopping is a change for the better.
    assert result.change is not None
    assert (result.change.previous_code, result.change.judgement) == ("current", "better")


def test_a_smoking_patient_sees_the_same_share(db, world) -> None:
    group = peers(db, world.practice, [None] * 20, programmes=COPD)
    for index, peer in enumerate(group):
        measure(db, peer, "current" if index < 3 else "never", code="smoking_status")
    subject = _subject(db, world, COPD)
    measure(db, subject, "never", code="smoking_status", at=datetime(2025, 6, 1, tzinfo=UTC))
    measure(db, subject, "current", code="smoking_status")
    result = _result(db, world, subject, "smoking", Programme.COPD)
    assert (result.value, result.code, result.share_good) == (0.0, "current", 85)
    assert result.change is not None and result.change.judgement == "worse"


def test_smoking_share_never_says_all_or_none(db, world) -> None:
    group = peers(db, world.practice, [None] * 20, programmes=COPD)
    for peer in group:
        measure(db, peer, "never", code="smoking_status")
    subject = _subject(db, world, COPD)
    measure(db, subject, "current", code="smoking_status")
    assert _result(db, world, subject, "smoking", Programme.COPD).share_good == 95
    assert services.shown_share(0, 20) == 5


@pytest.mark.parametrize(("count", "shared"), [(20, True), (19, False)])
def test_smoking_needs_twenty_comparable_patients(db, world, count, shared) -> None:
    for peer in peers(db, world.practice, [None] * count, programmes=COPD):
        measure(db, peer, "never", code="smoking_status")
    stale = peers(db, world.practice, [None] * 3, programmes=COPD)
    for peer in stale:  # older than 12 months: not counted
        measure(db, peer, "never", code="smoking_status", at=datetime(2024, 1, 1, tzinfo=UTC))
    subject = _subject(db, world, COPD)
    measure(db, subject, "never", code="smoking_status")
    result = _result(db, world, subject, "smoking", Programme.COPD)
    assert result.group_size == count
    assert (result.share_good is not None) is shared
    if not shared:
        assert result.reason == services.TOO_FEW


# --- lung attacks, if recorded ----------------------------------------------------------------


def test_exacerbations_when_recorded_lower_is_better(db, world) -> None:
    peers(db, world.practice, [2] * 16 + [0] * 4, code="exacerbations", programmes=COPD)
    subject = _subject(db, world, COPD)
    assert _result(db, world, subject, "exacerbations", Programme.COPD).reason == (
        services.NO_VALUE
    )
    measure(db, subject, 0, code="exacerbations")
    result = _result(db, world, subject, "exacerbations", Programme.COPD)
    # 16 worse (2 attacks), 4 tied at 0: (16 + 2) / 20 = 90.
    assert (result.percentile, result.label) == (90, services.BETTER)


# --- heart failure: weight trend and symptom diary ---------------------------------------------


def _weights(db, patient, earlier: float, now: float) -> None:
    measure(db, patient, earlier, code="weight", at=EARLIER_PERIOD)
    measure(db, patient, now, code="weight", at=NOW_PERIOD)


def test_weight_trend_is_the_change_over_four_weeks_lower_is_better(db, world) -> None:
    for gain in [3.0] * 10 + [-1.0] * 10:
        (peer,) = peers(db, world.practice, [None], programmes=HF)
        _weights(db, peer, 80.0, 80.0 + gain)
    # Not counted: only a recent weight; an earlier weight older than the 28 days before.
    (recent_only,) = peers(db, world.practice, [None], programmes=HF)
    measure(db, recent_only, 70.0, code="weight", at=NOW_PERIOD)
    (too_old,) = peers(db, world.practice, [None], programmes=HF)
    measure(db, too_old, 90.0, code="weight", at=EARLIER_PERIOD - timedelta(days=40))
    measure(db, too_old, 70.0, code="weight", at=NOW_PERIOD)
    subject = _subject(db, world, HF)
    # The newest of each period counts: 81.0 (not 79.0) in the earlier one.
    measure(db, subject, 79.0, code="weight", at=EARLIER_PERIOD - timedelta(days=2))
    _weights(db, subject, 81.0, 82.5)
    result = _result(db, world, subject, "weight_trend", Programme.hartfalen)
    assert result.value == pytest.approx(1.5)
    assert result.group_size == 20
    # 10 gained more (worse), 10 lost (better): the median.
    assert (result.percentile, result.label) == (50, services.AS)
    assert result.change is None  # a trend is itself a change


def test_weight_trend_needs_a_weight_in_both_periods(db, world) -> None:
    subject = _subject(db, world, HF)
    measure(db, subject, 82.0, code="weight", at=NOW_PERIOD)
    result = _result(db, world, subject, "weight_trend", Programme.hartfalen)
    assert result.value is None and result.reason == services.NO_TREND


def test_weight_loss_beats_gain(db, world) -> None:
    for _ in range(20):
        (peer,) = peers(db, world.practice, [None], programmes=HF)
        _weights(db, peer, 80.0, 81.0)
    subject = _subject(db, world, HF)
    _weights(db, subject, 80.0, 79.0)
    result = _result(db, world, subject, "weight_trend", Programme.hartfalen)
    assert (result.value, result.percentile, result.label) == (-1.0, 100, services.BETTER)


def test_symptom_diary_lower_is_better(db, world) -> None:
    for score in [12] * 16 + [2] * 4:
        (peer,) = peers(db, world.practice, [None], programmes=HF)
        questionnaire(db, peer, score, code="hf_symptoms")
    subject = _subject(db, world, HF)
    questionnaire(db, subject, 4, code="hf_symptoms", at=datetime(2025, 9, 1, tzinfo=UTC))
    questionnaire(db, subject, 6, code="hf_symptoms")
    result = _result(db, world, subject, "symptoms", Programme.hartfalen)
    assert (result.percentile, result.label) == (80, services.BETTER)
    assert result.change is not None
    assert (result.change.direction, result.change.judgement) == ("up", "worse")
