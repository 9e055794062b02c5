"""Scoring answers: hand-computed scores, levels, exclusions, rounding and answer validation.

Activation (built-in): score = (mean of answered - 1) / 3 * 100, one decimal, half up.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from zelfzorg.assessment.instruments import (
    builtin_instruments,
    definition_to_dict,
    instrument_from_dict,
    load_instrument,
    with_cutoffs,
)
from zelfzorg.assessment.scoring import level_for, round_half_up, score
from zelfzorg.errors import ValidationError

FIXTURES = Path(__file__).parent / "fixtures"
ACTIVATION = builtin_instruments()["activation"]
SEMCD6 = builtin_instruments()["semcd6"]
SDM = builtin_instruments()["sdm_experience"]
MINI_V1 = load_instrument(FIXTURES / "mini_v1.yaml")
MINI_V2 = load_instrument(FIXTURES / "mini_v2.yaml")
NA = 0  # the "niet van toepassing" value in the activation and mini instruments


def activation(*values: int | None) -> dict[str, int | None]:
    """Answers a01, a02, ... in order; items after the given values are left out (missing)."""
    return {f"a{number:02d}": value for number, value in enumerate(values, start=1)}


def semcd6(*values: int | None) -> dict[str, int | None]:
    return {f"s{number}": value for number, value in enumerate(values, start=1)}


def mini(*values: int | None) -> dict[str, int | None]:
    return {f"q{number}": value for number, value in enumerate(values, start=1)}


# --- activation ----------------------------------------------------------------------------------


def test_activation_all_agree_scores_66_7_level_3() -> None:
    result = score(ACTIVATION, activation(*[3] * 13))
    # mean 3 -> (3 - 1) / 3 * 100 = 66.666... -> 66.7
    assert (result.scorable, result.score, result.level.number) == (True, 66.7, 3)
    assert (result.answered_count, result.raw) == (13, 39)
    assert (result.instrument_code, result.instrument_version) == ("activation", "1.0")
    assert (result.reason_code, result.reason) == (None, None)


def test_activation_all_disagree_is_scorable_33_3_level_1() -> None:
    result = score(ACTIVATION, activation(*[2] * 13))
    # mean 2 -> 1 / 3 * 100 = 33.333... -> 33.3; 2 is not an extreme answer
    assert (result.scorable, result.score, result.level.number) == (True, 33.3, 1)


def test_activation_with_ten_answered_and_three_not_applicable_is_scored() -> None:
    result = score(ACTIVATION, activation(*[2] * 5, *[3] * 5, NA, NA, NA))
    # mean (10 + 15) / 10 = 2.5 -> 1.5 / 3 * 100 = 50.0
    assert (result.scorable, result.score, result.level.number) == (True, 50.0, 2)
    assert (result.answered_count, result.not_applicable_count, result.missing_count) == (10, 3, 0)


def test_activation_with_ten_answered_and_three_missing_is_scored() -> None:
    result = score(ACTIVATION, activation(4, 4, 4, 4, 3, 3, 3, 3, 2, 2, None, None))
    # a13 left out, a11/a12 None; mean 32 / 10 = 3.2 -> 2.2 / 3 * 100 = 73.333... -> 73.3
    assert (result.score, result.level.number, result.missing_count) == (73.3, 4, 3)


def test_activation_with_nine_answered_and_four_not_applicable_is_not_scored() -> None:
    result = score(ACTIVATION, activation(*[3] * 9, NA, NA, NA, NA))
    assert not result.scorable
    assert (result.score, result.level, result.reason_code) == (None, None, "too_few_answers")
    assert result.reason_params == {"answered": 9, "total": 13, "minimum": 10}
    assert result.reason % result.reason_params == (
        "Geen score: 9 van de 13 vragen zijn beantwoord. Daarvan zijn er minstens 10 nodig."
    )
    assert (result.answered_count, result.not_applicable_count, result.raw) == (9, 4, 27)


def test_activation_with_nine_answered_and_four_missing_is_not_scored() -> None:
    result = score(ACTIVATION, activation(*[3] * 9))
    assert (result.scorable, result.reason_code, result.missing_count) == (
        False,
        "too_few_answers",
        4,
    )


def test_not_applicable_answers_are_left_out_of_the_mean() -> None:
    result = score(ACTIVATION, activation(*[4] * 11, 3, NA))
    # 12 answered, raw 47: (47/12 - 1) / 3 * 100 = 3500 / 36 = 97.22... -> 97.2
    # (counting N/A as 0 over 13 items would give (47/13 - 1) / 3 * 100 = 87.2)
    assert (result.score, result.answered_count, result.raw) == (97.2, 12, 47)


@pytest.mark.parametrize(
    "answers",
    [
        activation(*[1] * 13),
        activation(*[4] * 13),
        activation(*[4] * 10, NA, NA, NA),
        activation(*[1] * 11),
    ],
    ids=["all-1", "all-4", "all-4-with-not-applicable", "all-1-with-missing"],
)
def test_all_answers_at_one_extreme_are_not_scored(answers: dict[str, int | None]) -> None:
    result = score(ACTIVATION, answers)
    assert (result.scorable, result.score, result.reason_code) == (
        False,
        None,
        "all_same_extreme",
    )
    assert result.reason_params["answered"] == result.answered_count


def test_one_answer_off_the_extreme_makes_the_pattern_scorable() -> None:
    result = score(ACTIVATION, activation(*[4] * 12, 3))
    # raw 51: (51/13 - 1) / 3 * 100 = 3800 / 39 = 97.43... -> 97.4
    assert (result.scorable, result.score) == (True, 97.4)


def test_too_few_answers_is_reported_before_an_extreme_pattern() -> None:
    result = score(ACTIVATION, activation(*[4] * 9, NA, NA, NA, NA))
    assert result.reason_code == "too_few_answers"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, 1),
        (47.0, 1),
        (47.1, 2),
        (55.1, 2),
        (55.2, 3),
        (67.0, 3),
        (67.1, 4),
        (100.0, 4),
        (47.04, 1),
        (47.05, 2),  # rounds half up to 47.1
        (55.15, 3),
        (67.05, 4),
        (Decimal("55.14"), 2),
        (50, 2),
        (100.04, 4),  # rounds to 100.0, inside the range
    ],
)
def test_level_for_uses_the_cut_offs_at_one_decimal(value: float, expected: int) -> None:
    assert level_for(ACTIVATION, value).number == expected


@pytest.mark.parametrize("value", [100.1, -0.1, float("nan")])
def test_level_for_refuses_a_score_outside_the_range(value: float) -> None:
    with pytest.raises(ValidationError) as caught:
        level_for(ACTIVATION, value)
    assert caught.value.field == "score"


def test_level_for_an_instrument_without_levels_is_none() -> None:
    assert level_for(SEMCD6, 7.5) is None


@pytest.mark.parametrize(
    ("answers", "expected_score", "expected_level"),
    [
        # Exact cut-offs are unreachable with the linear mapping (100 * (raw - n) / (3n) is never
        # 47.0, 47.1, 55.1, 55.2, 67.0 or 67.1); these are the nearest patterns on either side.
        (activation(*[2] * 6, *[3] * 4, NA, NA, NA), 46.7, 1),  # n 10 raw 24: 1400/30
        (activation(*[2] * 7, *[3] * 5, NA), 47.2, 2),  # n 12 raw 29: 1700/36
        (activation(*[2] * 4, *[3] * 7, NA, NA), 54.5, 2),  # n 11 raw 29: 1800/33
        (activation(*[2] * 4, *[3] * 8, NA), 55.6, 3),  # n 12 raw 32: 2000/36
        (activation(*[3] * 13), 66.7, 3),  # n 13 raw 39: 2600/39
        (activation(*[3] * 12, 4), 69.2, 4),  # n 13 raw 40: 2700/39
    ],
)
def test_activation_patterns_next_to_each_cut_off_get_the_right_level(
    answers: dict[str, int | None], expected_score: float, expected_level: int
) -> None:
    result = score(ACTIVATION, answers)
    assert (result.score, result.level.number) == (expected_score, expected_level)


def test_care_group_cut_offs_change_the_level_of_the_same_answers() -> None:
    custom = with_cutoffs(ACTIVATION, {3: (55.2, 72.4), 4: (72.5, 100.0)})
    answers = activation(*[3] * 12, 4)  # 69.2
    assert score(ACTIVATION, answers).level.number == 4
    assert score(custom, answers).level.number == 3
    assert (level_for(custom, 72.4).number, level_for(custom, 72.5).number) == (3, 4)


# --- conversion tables -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected_score", "expected_level"),
    [
        (mini(2, 2, 2), 47.0, 1),  # 3 answered, raw 6
        (mini(2, 2, 3), 47.1, 2),  # raw 7
        (mini(2, 3, 3), 55.1, 2),  # raw 8
        (mini(3, 3, 3), 55.2, 3),  # raw 9
        (mini(3, 3, 4), 67.0, 3),  # raw 10
        (mini(3, 4, 4), 67.1, 4),  # raw 11
    ],
)
def test_conversion_table_scores_reach_each_cut_off_exactly(
    answers: dict[str, int | None], expected_score: float, expected_level: int
) -> None:
    result = score(MINI_V2, answers)
    assert (result.score, result.level.number) == (expected_score, expected_level)


def test_conversion_table_uses_the_sub_table_for_the_answered_count() -> None:
    result = score(MINI_V2, mini(2, 2, NA))
    # 2 answered, raw 4 -> table value 47.05 -> 47.1 half up (the 3-answered table has 20.0)
    assert (result.answered_count, result.raw) == (2, 4)
    assert (result.score, result.level.number) == (47.1, 2)


def test_conversion_table_instrument_still_needs_its_minimum_answers() -> None:
    result = score(MINI_V2, mini(2, None, NA))
    assert (result.scorable, result.reason_code) == (False, "too_few_answers")


def test_conversion_table_keyed_by_raw_sum() -> None:
    raw_demo = load_instrument(FIXTURES / "by_raw_sum.yaml")
    assert score(raw_demo, {"r1": 1, "r2": 2}).score == 2.0  # raw 3
    assert score(raw_demo, {"r1": 3, "r2": 3}).score == 10.0  # raw 6
    assert score(raw_demo, {"r1": 3}).reason_code == "too_few_answers"


def test_two_versions_of_one_instrument_score_the_same_answers_differently() -> None:
    answers = mini(2, 3, 3)
    first, second = score(MINI_V1, answers), score(MINI_V2, answers)
    # v1: mean 8/3 -> (8/3 - 1) / 3 * 100 = 500/9 = 55.55... -> 55.6, level 3
    # v2: table, 3 answered, raw 8 -> 55.1, level 2
    assert (first.instrument_version, first.score, first.level.number) == ("1", 55.6, 3)
    assert (second.instrument_version, second.score, second.level.number) == ("2", 55.1, 2)


# --- rounding and other methods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [((1, 1, 1, 2), 1.3), ((2, 2, 2, 3), 2.3), ((1, 2, 2, 2), 1.8), ((1, 1, 1, 1), 1.0)],
)
def test_means_are_rounded_half_up_not_to_even(values: tuple[int, ...], expected: float) -> None:
    rounding = load_instrument(FIXTURES / "rounding.yaml")
    answers = {f"x{n}": v for n, v in enumerate(values, start=1)}
    # 5/4 = 1.25 -> 1.3 (round() would give 1.2); 9/4 = 2.25 -> 2.3 (round(): 2.2); 7/4 -> 1.8
    assert score(rounding, answers).score == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (Fraction(1, 8), 2, "0.13"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("0.5"), 0, "1"),
        (Fraction(-5, 2), 0, "-3"),
        (Fraction(2, 3), 1, "0.7"),
        (7, 2, "7.00"),
    ],
)
def test_round_half_up(value: Fraction | Decimal | int, decimals: int, expected: str) -> None:
    assert round_half_up(value, decimals) == Decimal(expected)
    assert str(round_half_up(value, decimals)) == expected


def test_sum_method_adds_the_answered_values() -> None:
    data = definition_to_dict(load_instrument(FIXTURES / "rounding.yaml"))
    data["scoring"].update(method="sum", decimals=0, score_range={"min": 4, "max": 16})
    summed = instrument_from_dict(data, source="sum")
    assert score(summed, {"x1": 1, "x2": 2, "x3": 3, "x4": 4}).score == 10.0


# --- SEMCD-6 and SDM -----------------------------------------------------------------------------


def test_semcd6_all_answered_is_the_mean_with_two_decimals() -> None:
    result = score(SEMCD6, semcd6(7, 8, 6, 5, 9, 7))
    assert (result.score, result.level, result.raw) == (7.0, None, 42)  # 42 / 6


def test_semcd6_with_two_missing_is_scored_over_the_four_answered() -> None:
    result = score(SEMCD6, semcd6(7, 8, None, 5, None, 6))
    assert (result.scorable, result.score, result.answered_count) == (True, 6.5, 4)  # 26 / 4


def test_semcd6_with_three_missing_is_not_scored() -> None:
    result = score(SEMCD6, semcd6(7, 8, None, None, None, 6))
    assert (result.scorable, result.reason_code) == (False, "too_few_answers")
    assert result.reason_params == {"answered": 3, "total": 6, "minimum": 4}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((1, 2, 2, 2, 2, 2), 1.83),  # 11/6 = 1.8333
        ((1, 1, 1, 1, 1, 2), 1.17),  # 7/6 = 1.1666
        ((1, 1, 1, 1, 1, 1), 1.0),  # no extreme-pattern rule in SEMCD-6
        ((10, 10, 10, 10, 10, 10), 10.0),
    ],
)
def test_semcd6_rounds_to_two_decimals(values: tuple[int, ...], expected: float) -> None:
    assert score(SEMCD6, semcd6(*values)).score == expected


def test_sdm_experience_is_the_mean_of_three() -> None:
    result = score(SDM, {"e1": 5, "e2": 4, "e3": 4})
    assert (result.score, result.level) == (4.33, None)  # 13 / 3 = 4.333


def test_sdm_experience_with_a_missing_item_is_not_scored() -> None:
    result = score(SDM, {"e1": 5, "e2": 5, "e3": None})
    assert (result.scorable, result.reason_code) == (False, "too_few_answers")
    assert result.reason_params == {"answered": 2, "total": 3, "minimum": 3}
    assert score(SDM, {"e1": 5, "e3": 4}).missing_count == 1


# --- answer validation -------------------------------------------------------------------------


def test_an_unknown_item_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        score(ACTIVATION, {**activation(*[3] * 13), "a14": 3})
    assert (caught.value.field, caught.value.params["item"]) == ("a14", "a14")
    assert "a14" in str(caught.value)


@pytest.mark.parametrize(
    ("definition", "answers", "item"),
    [
        (ACTIVATION, activation(3, 3, 5), "a03"),
        (ACTIVATION, activation(3, True), "a02"),
        (ACTIVATION, activation("3"), "a01"),
        (SEMCD6, semcd6(5, 0), "s2"),  # SEMCD-6 has no "not applicable"
        (SEMCD6, semcd6(11), "s1"),
    ],
)
def test_a_value_that_is_not_an_option_is_refused_naming_the_item(
    definition: object, answers: dict[str, object], item: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        score(definition, answers)
    assert caught.value.field == item
    assert f"bij vraag {item} is geen geldige keuze" in str(caught.value)
