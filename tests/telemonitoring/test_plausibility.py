"""Plausibility checks: impossible values are refused, likely typing mistakes explained."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from zelfzorg.errors import ValidationError
from zelfzorg.telemonitoring.plausibility import (
    PreviousReading,
    Problem,
    ReadingContext,
    bmi,
    check_bp,
    check_reading,
    check_time,
    check_value,
    derive_value,
    has_errors,
)
from zelfzorg.telemonitoring.types import get_type

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
AN_HOUR_AGO = NOW - timedelta(hours=1)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("bp_systolic", 128),
        ("heart_rate", 64),
        ("weight", 82.4),
        ("height", 176),
        ("glucose", 7.2),
        ("hba1c", 53),
        ("spo2", 96),
        ("steps", 0),
        ("ccq", 1.4),
        ("smoking_status", "never"),
    ],
)
def test_a_normal_reading_has_no_problems(code: str, value: float | str) -> None:
    assert check_reading(get_type(code), value, AN_HOUR_AGO, NOW) == []


def test_systolic_400_is_refused_with_the_range_and_unit() -> None:
    problem = only(check_reading(get_type("bp_systolic"), 400, AN_HOUR_AGO, NOW))
    assert (problem.field, problem.code, problem.severity) == ("value", "out_of_range", "error")
    assert problem.render("nl") == (
        "400 mmHg kan niet kloppen. Vul een waarde in tussen 50 en 300 mmHg."
    )


@pytest.mark.parametrize(
    ("value", "plausible"), [(50, True), (300, True), (49.9, False), (300.5, False)]
)
def test_the_plausible_range_includes_its_bounds(value: float, plausible: bool) -> None:
    assert (check_value(get_type("bp_systolic"), value) == []) is plausible


def test_the_range_message_uses_the_unit_of_the_reader_language() -> None:
    problem = only(check_value(get_type("heart_rate"), 400.5))
    assert problem.render("nl") == (
        "400,5 slagen/min kan niet kloppen. Vul een waarde in tussen 20 en 250 slagen/min."
    )
    assert problem.params["unit"].en == "beats/min"


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "72"])
def test_a_quantity_must_be_a_finite_number(value: object) -> None:
    problem = only(check_value(get_type("weight"), value))  # type: ignore[arg-type]
    assert problem.code == "not_a_number"


@pytest.mark.parametrize("value", ["sometimes", 1, ""])
def test_a_coded_value_must_be_one_of_its_options(value: object) -> None:
    problem = only(check_value(get_type("smoking_status"), value))  # type: ignore[arg-type]
    assert (problem.code, problem.message) == ("unknown_option", "Kies een van de antwoorden.")


# --- blood pressure --------------------------------------------------------------------------


def test_a_normal_blood_pressure_has_no_problems() -> None:
    assert check_bp(135, 85, AN_HOUR_AGO, NOW) == []


@pytest.mark.parametrize(("systolic", "diastolic"), [(80, 120), (90, 90)])
def test_diastolic_not_below_systolic_is_refused(systolic: int, diastolic: int) -> None:
    problem = only(check_bp(systolic, diastolic, AN_HOUR_AGO, NOW))
    assert (problem.field, problem.code) == ("diastolic", "diastolic_not_below_systolic")
    assert problem.render("nl") == (
        f"De onderdruk ({diastolic} mmHg) moet lager zijn dan de bovendruk ({systolic} mmHg). "
        "Heeft u ze misschien omgewisseld?"
    )


def test_each_impossible_bp_value_is_reported_on_its_own_field() -> None:
    problems = check_bp(400, 10, AN_HOUR_AGO, NOW)
    assert [(p.field, p.code) for p in problems] == [
        ("systolic", "out_of_range"),
        ("diastolic", "out_of_range"),
    ]


def test_a_bp_in_the_future_is_refused_once_on_the_time_field() -> None:
    problem = only(check_bp(135, 85, NOW + timedelta(days=1), NOW))
    assert (problem.field, problem.code) == ("measured_at", "future")


# --- time ------------------------------------------------------------------------------------


def test_a_few_minutes_of_clock_skew_are_allowed() -> None:
    assert check_time(NOW + timedelta(minutes=5), NOW) == []


def test_a_time_in_the_future_is_refused() -> None:
    problem = only(check_time(NOW + timedelta(minutes=5, seconds=1), NOW))
    assert (problem.code, problem.severity) == ("future", "error")
    assert problem.message == "Dit tijdstip ligt in de toekomst. Vul in wanneer u gemeten hebt."


def test_a_reading_older_than_five_years_is_a_warning() -> None:
    five_years_ago = datetime(2019, 6, 15, 12, 0, tzinfo=UTC)
    assert check_time(five_years_ago, NOW) == []
    problem = only(check_time(five_years_ago - timedelta(seconds=1), NOW))
    assert (problem.code, problem.severity, problem.params) == ("too_old", "warning", {"years": 5})
    assert not has_errors([problem])


def test_the_age_warning_can_be_switched_off_for_imports() -> None:
    context = ReadingContext(max_age_years=None)
    old = datetime(2001, 1, 1, tzinfo=UTC)
    assert check_reading(get_type("weight"), 80, old, NOW, context=context) == []


def test_the_age_limit_handles_29_february() -> None:
    leap_day = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert check_time(datetime(2019, 2, 28, 12, 0, tzinfo=UTC), leap_day) == []
    assert only(check_time(datetime(2019, 2, 28, 11, 0, tzinfo=UTC), leap_day)).code == "too_old"


def test_fields_can_be_named_by_the_form() -> None:
    context = ReadingContext(field="weight", time_field="when")
    problems = check_reading(
        get_type("weight"), 500, NOW + timedelta(hours=1), NOW, context=context
    )
    assert [(p.field, p.code) for p in problems] == [("weight", "out_of_range"), ("when", "future")]


# --- unit mix-ups ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["glucose", "glucose_fasting"])
def test_glucose_typed_in_mg_dl_is_explained_with_the_mmol_value(code: str) -> None:
    problem = only(check_value(get_type(code), 126))
    assert (problem.code, problem.severity) == ("unit_confusion", "error")
    # 126 mg/dL / 18.0 = 7.0 mmol/L
    assert problem.render("nl") == (
        "126 mmol/L kan niet kloppen. Dit lijkt mg/dL; in mmol/L is dat ongeveer 7,0. "
        "Vul de waarde in mmol/L in."
    )
    assert problem.params["converted"].en == "7.0"


def test_glucose_at_the_top_of_the_range_is_accepted_as_mmol() -> None:
    assert check_value(get_type("glucose"), 35) == []
    # 36 / 18 = 2.0: possible in mmol/L, so probably mg/dL.
    assert only(check_value(get_type("glucose"), 36)).params["converted"].nl == "2,0"


def test_glucose_too_high_even_as_mg_dl_gets_the_range_message() -> None:
    # 700 / 18 = 38.9 mmol/L: not possible either.
    assert only(check_value(get_type("glucose"), 700)).code == "out_of_range"


@pytest.mark.parametrize(
    ("percent", "mmol_mol"),
    # (% - 2.15) * 10.929: 7 -> 53.006, 4 -> 20.219, 8.5 -> 69.399, 15 -> 140.438
    [(7, "53"), (4, "20"), (8.5, "69"), (15, "140")],
)
def test_hba1c_typed_in_percent_is_explained_with_the_ifcc_conversion(
    percent: float, mmol_mol: str
) -> None:
    problem = only(check_value(get_type("hba1c"), percent))
    assert problem.code == "unit_confusion"
    assert problem.params["converted"].nl == mmol_mol
    typed = str(percent).replace(".", ",")
    assert f"({typed} - 2,15) × 10,929 = ongeveer {mmol_mol} mmol/mol" in problem.render("nl")
    assert "percentage (%)" in problem.render("nl")


@pytest.mark.parametrize("value", [3.9, 16])
def test_hba1c_outside_the_percent_window_gets_the_range_message(value: float) -> None:
    assert only(check_value(get_type("hba1c"), value)).code == "out_of_range"


def test_height_typed_in_metres_is_explained_in_centimetres() -> None:
    problem = only(check_value(get_type("height"), 1.75))
    assert problem.code == "unit_confusion"
    assert problem.render("nl") == (
        "1,75 cm kan niet kloppen. Dit lijkt een lengte in meters; in centimeters is dat "
        "175 cm. Vul de lengte in centimeters in."
    )


def test_weight_in_pounds_cannot_be_detected_and_is_accepted() -> None:
    # 176 lb (80 kg) is also a possible weight in kg: no rule may refuse it.
    assert check_value(get_type("weight"), 176) == []


# --- jumps from the previous reading ---------------------------------------------------------


def test_a_weight_jump_of_more_than_5_kg_in_a_day_is_a_warning() -> None:
    previous = PreviousReading(value=80.0, measured_at=NOW - timedelta(hours=20))
    problem = only(check_value(get_type("weight"), 86, previous=previous, measured_at=NOW))
    assert (problem.code, problem.severity) == ("jump", "warning")
    assert problem.render("nl") == "Dit is 6,0 kg hoger dan de vorige meting (80,0 kg). Klopt dit?"


def test_a_weight_drop_gets_the_lower_message() -> None:
    previous = PreviousReading(value=80.0, measured_at=NOW - timedelta(hours=2))
    problem = only(check_value(get_type("weight"), 74.5, previous=previous, measured_at=NOW))
    assert problem.render("nl") == "Dit is 5,5 kg lager dan de vorige meting (80,0 kg). Klopt dit?"
    assert problem.params["change"].en == "5.5 kg"


def test_exactly_5_kg_in_a_day_is_no_warning() -> None:
    previous = PreviousReading(value=80.0, measured_at=NOW - timedelta(days=1))
    assert check_value(get_type("weight"), 85, previous=previous, measured_at=NOW) == []


def test_the_allowed_change_grows_with_the_days_between_readings() -> None:
    # Three days: 3 x 5 kg = 15 kg allowed.
    previous = PreviousReading(value=100.0, measured_at=NOW - timedelta(days=3))
    weight = get_type("weight")
    assert check_value(weight, 85, previous=previous, measured_at=NOW) == []
    assert only(check_value(weight, 84.9, previous=previous, measured_at=NOW)).code == "jump"


def test_a_jump_is_only_checked_through_the_reading_context() -> None:
    previous = PreviousReading(value=80.0, measured_at=AN_HOUR_AGO)
    context = ReadingContext(previous=previous)
    problem = only(check_reading(get_type("weight"), 90, NOW, NOW, context=context))
    assert problem.code == "jump"
    assert check_reading(get_type("weight"), 90, NOW, NOW) == []


def test_types_without_a_jump_rule_never_warn() -> None:
    previous = PreviousReading(value=120.0, measured_at=AN_HOUR_AGO)
    assert check_value(get_type("bp_systolic"), 175, previous=previous, measured_at=NOW) == []


# --- BMI and errors --------------------------------------------------------------------------


def test_bmi_is_weight_over_height_squared_rounded_to_one_decimal() -> None:
    assert bmi(80, 180) == 24.7  # 80 / 1.8^2 = 24.69
    assert bmi(95, 175) == 31.0  # 95 / 1.75^2 = 31.02


def test_bmi_without_a_height_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        bmi(80, 0)
    assert caught.value.message == "Voor de BMI zijn een gewicht en een lengte nodig."


def test_derived_bmi_uses_the_inputs_by_code() -> None:
    assert (
        derive_value(get_type("bmi"), {"weight": 72.0, "height": 165.0}) == 26.4
    )  # 72 / 1.65^2 = 26.446
    with pytest.raises(ValidationError):
        derive_value(get_type("bmi"), {"weight": 72.0})
    with pytest.raises(ValueError, match="not a derived type"):
        derive_value(get_type("weight"), {"weight": 72.0})


def test_a_problem_becomes_a_validation_error_for_its_field() -> None:
    problem = only(check_value(get_type("bp_systolic"), 400, field="systolic"))
    error = problem.to_error()
    assert isinstance(error, ValidationError)
    assert (error.field, error.message) == ("systolic", problem.message)
    assert str(error) == "400 mmHg kan niet kloppen. Vul een waarde in tussen 50 en 300 mmHg."
