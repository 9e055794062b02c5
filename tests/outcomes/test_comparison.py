"""The comparison rule on hand-built groups: percentile, label, privacy threshold, staleness."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.outcomes.helpers import TODAY, measure, peers, questionnaire
from tests.queries import count_statements
from zelfzorg.errors import Forbidden
from zelfzorg.outcomes import services
from zelfzorg.patients.models import Programme, Sex


def _result(db, world, code: str = "hba1c", programme=Programme.DM2):
    board = services.dashboard(db, world.actor(world.poh), patient_id=world.patient.id, today=TODAY)
    block = next(p for p in board.programmes if p.outcome_set.programme == programme)
    return next(r for r in block.results if r.outcome.code == code)


def test_lower_is_better_percentile_and_label(db, world) -> None:
    # 20 peers: 10 worse (higher HbA1c), 10 better: the patient is the median.
    peers(db, world.practice, [60] * 10 + [40] * 10)
    measure(db, world.patient, 50)
    result = _result(db, world)
    assert (result.group_size, result.percentile, result.label) == (20, 50, services.AS)
    assert result.value == 50


def test_lower_is_better_low_value_is_better(db, world) -> None:
    # 16 of 20 have a higher (worse) HbA1c: percentile 80, better than the median.
    peers(db, world.practice, [70] * 16 + [30] * 4)
    measure(db, world.patient, 45)
    result = _result(db, world)
    assert (result.percentile, result.label) == (80, services.BETTER)


def test_higher_is_better_reverses_the_direction(db, world) -> None:
    # WHO-5: 16 of 20 peers score higher (better) than 40: percentile 20, worse.
    for score in [80] * 16 + [20] * 4:
        (peer,) = peers(db, world.practice, [None])
        questionnaire(db, peer, score)
    questionnaire(db, world.patient, 40)
    result = _result(db, world, "well_being")
    assert (result.percentile, result.label) == (20, services.WORSE)


def test_ties_count_half(db, world) -> None:
    # Everyone has the same value: percentile 50, "as the median".
    peers(db, world.practice, [53] * 20)
    measure(db, world.patient, 53)
    result = _result(db, world)
    assert (result.percentile, result.label) == (50, services.AS)
    # 14 worse and 6 tied: (14 + 3) / 20 = 85.
    assert services.percentile(14, 6, 20) == 85.0


def test_label_band_edges() -> None:
    assert services.label_for(60.0, 10) == services.AS
    assert services.label_for(60.1, 10) == services.BETTER
    assert services.label_for(40.0, 10) == services.AS
    assert services.label_for(39.9, 10) == services.WORSE
    assert services.shown_percentile(62.5) == 65
    assert services.shown_percentile(62.4) == 60


@pytest.mark.parametrize(("count", "compared"), [(20, True), (19, False)])
def test_exactly_twenty_comparable_patients_are_needed(db, world, count, compared) -> None:
    peers(db, world.practice, [60] * count)
    measure(db, world.patient, 50)
    result = _result(db, world)
    assert result.group_size == count
    assert result.compared is compared
    if not compared:
        assert result.percentile is None and result.label is None
        assert result.reason == services.TOO_FEW


def test_only_comparable_patients_count(db, world) -> None:
    peers(db, world.practice, [60] * 19)
    # Not comparable: other sex, other age band, another programme, another care group.
    peers(db, world.practice, [60], sex=Sex.male)
    peers(db, world.practice, [60], born=datetime(1980, 1, 1).date())
    peers(db, world.practice, [60], programmes=(Programme.COPD,))
    from tests.factories import make_care_group, make_practice

    elsewhere = make_practice(db, make_care_group(db))
    peers(db, elsewhere, [60])
    measure(db, world.patient, 50)
    assert _result(db, world).group_size == 19


def test_stale_values_are_excluded(db, world) -> None:
    old = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)  # more than 12 months before TODAY
    peers(db, world.practice, [60] * 20)
    peers(db, world.practice, [30] * 5, at=old)
    measure(db, world.patient, 50)
    result = _result(db, world)
    assert result.group_size == 20  # the five old values do not count
    assert result.percentile == 100


def test_the_patients_own_stale_value_gives_no_comparison(db, world) -> None:
    peers(db, world.practice, [60] * 20)
    measure(db, world.patient, 50, at=datetime(2024, 12, 1, tzinfo=UTC))
    result = _result(db, world)
    assert result.value is None and not result.compared
    assert result.stale_at == datetime(2024, 12, 1, tzinfo=UTC)
    assert result.reason == services.NO_RECENT


def test_change_since_the_previous_measurement(db, world) -> None:
    measure(db, world.patient, 58, at=datetime(2025, 6, 1, tzinfo=UTC))
    measure(db, world.patient, 52, at=datetime(2025, 12, 1, tzinfo=UTC))
    result = _result(db, world)
    assert result.change is not None
    assert (result.change.previous, result.change.difference) == (58, -6)
    assert (result.change.direction, result.change.judgement) == ("down", "better")
    # Higher systolic pressure is worse.
    measure(db, world.patient, 130, code="bp_systolic", at=datetime(2025, 6, 1, tzinfo=UTC))
    measure(db, world.patient, 138, code="bp_systolic", at=datetime(2025, 12, 1, tzinfo=UTC))
    bp = _result(db, world, "systolic_bp")
    assert (bp.change.direction, bp.change.judgement, bp.change.difference) == ("up", "worse", 8)


def test_a_corrected_value_is_not_used(db, world) -> None:
    row = measure(db, world.patient, 90, at=datetime(2026, 2, 1, tzinfo=UTC))
    row.superseded_at = datetime(2026, 2, 2, tzinfo=UTC)
    measure(db, world.patient, 50, at=datetime(2026, 2, 1, tzinfo=UTC))
    assert _result(db, world).value == 50


def test_no_value_yet(db, world) -> None:
    result = _result(db, world)
    assert result.value is None and result.reason == services.NO_VALUE


def test_one_query_per_programme_whatever_the_group_size(db, world, engine) -> None:
    peers(db, world.practice, [60] * 30)
    measure(db, world.patient, 50)
    db.commit()
    actor = world.actor(world.poh)
    with count_statements(engine) as small:
        services.dashboard(db, actor, patient_id=world.patient.id, today=TODAY)
    peers(db, world.practice, [40] * 30)
    db.commit()
    with count_statements(engine) as large:
        services.dashboard(db, actor, patient_id=world.patient.id, today=TODAY)

    def selects(statements):
        return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]

    assert len(selects(large)) == len(selects(small))
    # One comparison statement per programme (DM2 and CVRM), not one per patient.
    assert sum("row_number() OVER" in s for s in large) == 2


def test_care_group_staff_and_admins_see_no_individual_outcomes(db, world) -> None:
    for user in (world.caregroup_user, world.admin):
        with pytest.raises(Forbidden):
            services.dashboard(db, world.actor(user), patient_id=world.patient.id, today=TODAY)


def test_decimal_values_and_ties_give_the_same_numbers_on_both_databases(db, world) -> None:
    # Run on SQLite and PostgreSQL alike (TEST_DATABASE_URL): exact float ties must match.
    peers(db, world.practice, [27.3] * 5 + [27.35] * 5 + [30.1] * 10, code="bmi")
    measure(db, world.patient, 27.35, code="bmi")
    result = _result(db, world, "bmi")
    # Lower is better: 10 worse, 5 tied, 5 better -> (10 + 2.5) / 20 = 62.5 -> shown 65.
    assert (result.group_size, result.percentile, result.label) == (20, 65, services.BETTER)


def test_a_peer_counts_with_their_newest_current_reading_in_the_window(db, world) -> None:
    """Each comparable patient's latest value is their newest current reading (measured_at,
    then id) when it is in the window: corrected readings, older readings, ties in time and
    a newest reading outside the window (none counts then, not an older one) all as the rule."""
    old = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)  # before the 12-month window
    late = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    peers(db, world.practice, [60] * 17)  # 17 worse
    (corrected,) = peers(db, world.practice, [40])  # older reading 40 (better) ...
    newer = measure(db, corrected, 70, at=late)
    newer.superseded_at = late  # ... its newer reading was corrected away: 40 counts
    (tied,) = peers(db, world.practice, [None])
    measure(db, tied, 70, at=late)
    measure(db, tied, 30, at=late)  # same time, higher id: 30 (better) counts, not 70
    (stale,) = peers(db, world.practice, [None])
    measure(db, stale, 30, at=old)  # only an old reading: not in the group
    (other_type,) = peers(db, world.practice, [None])
    measure(db, other_type, 30, code="bmi")  # no HbA1c at all
    (previous,) = peers(db, world.practice, [45])  # an older reading 80, newest 45 (better)
    measure(db, previous, 80, at=datetime(2025, 12, 1, tzinfo=UTC))
    measure(db, world.patient, 50)
    result = _result(db, world)
    # 20 in the group: 17 worse (60), 3 better (40, 30, 45): 85. Counting the corrected or
    # the tied 70 would give 90; counting the old reading 21 patients.
    assert result.group_size == 20
    assert result.percentile == 85
