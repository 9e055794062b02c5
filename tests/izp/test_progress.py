"""Progress against a measurable target, with hand-computed expectations."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from zelfzorg.izp.pdca import AchievementStatus, Comparator
from zelfzorg.izp.progress import (
    NO_MEASUREMENTS,
    NO_MEASUREMENTS_SINCE_REVIEW,
    Message,
    compute_progress,
)

PO_FILE = Path(__file__).parents[2] / "zelfzorg/izp/translations/en/LC_MESSAGES/messages.po"


def at(day: int) -> datetime:
    return datetime(2025, 3, day, 8, 0, tzinfo=UTC)


def english() -> GNUTranslations:
    with PO_FILE.open("rb") as po:
        catalog = read_po(po)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return GNUTranslations(buffer)


RULE_NL = (
    'Rekenregel voor het voorstel: "gehaald" als minstens 80 procent van de laatste 5 metingen '
    "het doel haalt (minstens 3 metingen). Anders vergelijken we de middelste waarde met de "
    "start. Eén meting beslist nooit. U kiest zelf."
)


def readings(*values: float) -> list[tuple[datetime, float]]:
    return [(at(i + 1), v) for i, v in enumerate(values)]


def test_four_of_five_on_target_is_achieved_with_the_rule_shown() -> None:
    progress = compute_progress(("<", 140, "mmHg"), 150.0, readings(145, 138, 136, 135, 139))

    assert progress.count == 5 and progress.window == 5 and progress.on_target == 4
    assert progress.median == 138.0
    assert progress.latest == 139.0 and progress.latest_at == at(5)
    assert progress.target_met is True
    assert progress.suggested is AchievementStatus.ACHIEVED
    assert progress.summary.text() == "Laatste waarde 139 mmHg (doel: lager dan 140)."
    assert progress.verdict is not None and progress.verdict.text() == (
        "4 van de laatste 5 metingen sinds de start van het doel halen het doel. "
        "De middelste waarde (mediaan) is 138 mmHg."
    )
    # Median 138 against the start 150: better.
    assert progress.trend is not None
    assert progress.trend.text() == "Dat is beter dan bij de start (150 mmHg)."
    assert progress.rule is not None and progress.rule.text() == RULE_NL
    assert progress.messages == [progress.summary, progress.verdict, progress.trend, progress.rule]


def test_one_good_reading_does_not_outvote_four_above_target() -> None:
    # The case: 138 mmHg last, while 4 of the last 5 are above the target.
    progress = compute_progress(
        ("<", 140, "mmHg"), 150.0, readings(152, 149, 151, 148, 138), since_review=True
    )
    assert progress.on_target == 1 and progress.target_met is False
    assert progress.suggested is not AchievementStatus.ACHIEVED
    assert progress.verdict is not None
    assert progress.verdict.text().startswith(
        "1 van de laatste 5 metingen sinds de vorige evaluatie halen het doel."
    )
    # Median 149 against 150: within the 2% band.
    assert progress.suggested is AchievementStatus.NO_CHANGE


def test_only_the_last_five_readings_count() -> None:
    values = readings(160, 160, 160, 135, 135, 135, 135, 150)
    progress = compute_progress(("<", 140, "mmHg"), None, values)
    assert progress.count == 8 and progress.window == 5 and progress.on_target == 4
    assert progress.target_met is True


def test_latest_value_is_chosen_by_time_not_by_position() -> None:
    progress = compute_progress(
        (Comparator.LT, 140.0, "mmHg"), None, [(at(9), 150.0), (at(2), 135.0), (at(5), 142.0)]
    )
    assert progress.latest == 150.0
    assert progress.latest_at == at(9)
    # The first reading by time (135) is the reference; the median is 142.
    assert progress.baseline == 135.0 and progress.median == 142.0
    assert progress.target_met is False and progress.on_target == 1


def test_on_equal_times_the_last_value_given_counts() -> None:
    progress = compute_progress(("<", 140.0, "mmHg"), None, [(at(3), 141.0), (at(3), 139.0)])
    assert progress.latest == 139.0


def test_too_few_readings_give_no_verdict_but_a_trend() -> None:
    progress = compute_progress(("<", 140.0, "mmHg"), 160.0, [(at(4), 150.0)])

    assert progress.target_met is None
    assert progress.direction is AchievementStatus.IMPROVING
    assert progress.suggested is AchievementStatus.IMPROVING
    assert progress.summary.text() == "Laatste waarde 150 mmHg (doel: lager dan 140)."
    assert progress.verdict is not None and progress.verdict.text() == (
        "Sinds de start van het doel zijn er 1 metingen. Dat is te weinig voor een voorstel "
        "(minstens 3 nodig)."
    )


def test_single_value_meeting_the_target_is_not_achieved() -> None:
    progress = compute_progress(("<", 140.0, "mmHg"), None, [(at(4), 132.0)])
    assert progress.suggested is AchievementStatus.IN_PROGRESS
    assert progress.target_met is None


def test_rising_hba1c_against_at_most_target_is_worsening() -> None:
    # Band 2% of 55 = 1.1; median 60 - 55 = +5 goes away from a "<=" target.
    progress = compute_progress(("<=", 53.0, "mmol/mol"), 55.0, readings(59, 60, 61))

    assert progress.direction is AchievementStatus.WORSENING
    assert progress.suggested is AchievementStatus.WORSENING
    assert progress.summary.text() == "Laatste waarde 61 mmol/mol (doel: 53 of lager)."
    assert progress.trend is not None
    assert progress.trend.text() == "Dat is slechter dan bij de start (55 mmol/mol)."


def test_change_of_exactly_the_default_band_is_no_change() -> None:
    # 2% of 150 = 3.0; the median 147 is 3.0 lower.
    progress = compute_progress(("<", 140.0, "mmHg"), 150.0, readings(146, 147, 148))

    assert progress.direction is AchievementStatus.NO_CHANGE
    assert progress.suggested is AchievementStatus.NO_CHANGE
    assert progress.trend is not None
    assert progress.trend.text() == "Dat is ongeveer gelijk aan de start (150 mmHg)."


def test_change_just_beyond_the_default_band_counts() -> None:
    progress = compute_progress(("<", 140.0, "mmHg"), 150.0, [(at(4), 146.9)])
    assert progress.direction is AchievementStatus.IMPROVING


def test_explicit_tolerance_replaces_the_default_band() -> None:
    # 146 - 150 = -4: beyond the default 3.0, within a tolerance of 5.
    values = [(at(4), 146.0)]
    assert (
        compute_progress(("<", 140.0, "mmHg"), 150.0, values).direction
        is AchievementStatus.IMPROVING
    )
    assert (
        compute_progress(("<", 140.0, "mmHg"), 150.0, values, tolerance=5.0).direction
        is AchievementStatus.NO_CHANGE
    )


def test_higher_is_better_for_at_least_targets() -> None:
    # Steps: band 2% of 4000 = 80; median 5000 - 4000 = +1000 upwards with ">=".
    progress = compute_progress((">=", 6000.0, "stappen"), 4000.0, readings(4800, 5000, 6100))

    assert progress.direction is AchievementStatus.IMPROVING
    assert progress.target_met is False and progress.on_target == 1
    assert progress.summary.text() == "Laatste waarde 6.100 stappen (doel: 6.000 of hoger)."


def test_falling_value_with_above_target_is_worsening() -> None:
    progress = compute_progress((">", 400.0, "L/min"), 450.0, [(at(4), 380.0)])
    assert progress.direction is AchievementStatus.WORSENING
    assert progress.summary.text() == "Laatste waarde 380 L/min (doel: hoger dan 400)."


def test_without_baseline_the_first_measurement_is_the_reference() -> None:
    progress = compute_progress(
        ("<=", 7.0, "mmol/L"), None, [(at(1), 8.2), (at(3), 7.9), (at(6), 7.5)]
    )
    # Band 2% of 8.2 = 0.164; median 7.9 - 8.2 = -0.3 downwards with "<=".
    assert progress.baseline == 8.2
    assert progress.direction is AchievementStatus.IMPROVING
    assert progress.summary.text() == "Laatste waarde 7,5 mmol/L (doel: 7 of lager)."
    assert progress.trend is not None
    assert progress.trend.text() == "Dat is beter dan bij de start (8,2 mmol/L)."


def test_single_value_without_baseline_has_no_direction() -> None:
    progress = compute_progress(("<", 140.0, "mmHg"), None, [(at(4), 145.0)])

    assert progress.direction is None
    assert progress.trend is None
    assert progress.baseline is None
    assert progress.suggested is AchievementStatus.IN_PROGRESS
    assert progress.messages == [progress.summary, progress.verdict, progress.rule]


def test_no_measurements_yet() -> None:
    progress = compute_progress(("<", 140.0, "mmHg"), 150.0, [])

    assert progress.count == 0
    assert progress.latest is None
    assert progress.latest_at is None
    assert progress.target_met is None
    assert progress.direction is None
    assert progress.suggested is AchievementStatus.IN_PROGRESS
    assert progress.summary == Message(NO_MEASUREMENTS)
    assert progress.summary.text() == "Er zijn nog geen metingen voor dit doel."
    assert progress.trend is None
    since = compute_progress(("<", 140.0, "mmHg"), 150.0, [], since_review=True)
    assert since.summary == Message(NO_MEASUREMENTS_SINCE_REVIEW)


def test_summary_in_english_uses_english_text_and_numbers() -> None:
    progress = compute_progress(("<=", 7.0, "mmol/L"), 8.2, readings(7.4, 7.5, 7.6))
    translations = english()

    assert progress.summary.text(translations.gettext, locale="en") == (
        "Latest value 7.6 mmol/L (target: 7 or lower)."
    )
    assert progress.verdict is not None
    assert progress.verdict.text(translations.gettext, locale="en") == (
        "0 of the last 3 readings since the start of the goal reach the target. "
        "The middle value (median) is 7.5 mmol/L."
    )
    assert progress.trend is not None
    assert progress.trend.text(translations.gettext, locale="en") == (
        "That is better than at the start (8.2 mmol/L)."
    )


def test_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        compute_progress(("<", 140.0, "mmHg"), None, [(at(4), float("nan"))])


def test_unknown_comparator_is_refused() -> None:
    with pytest.raises(ValueError):
        compute_progress(("==", 140.0, "mmHg"), None, [(at(4), 120.0)])
