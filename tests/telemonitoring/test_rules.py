"""Targets (default and personal) and the urgent and trend alert rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from zelfzorg.errors import ValidationError
from zelfzorg.telemonitoring.rules import (
    AlertRule,
    Target,
    default_target,
    effective_target,
    evaluate_trend,
    evaluate_urgent,
    load_alert_rules,
    make_target,
    rule_for,
)
from zelfzorg.telemonitoring.types import CatalogError, get_type
from zelfzorg.texts import Text

DEFAULT_FILE = Path(__file__).parents[2] / "zelfzorg/telemonitoring/data/measurement_types.yaml"

# --- targets ---------------------------------------------------------------------------------


def test_the_default_systolic_target_is_below_140_from_the_nhg() -> None:
    target = default_target(get_type("bp_systolic"))
    assert target is not None
    assert (target.comparator, target.low, target.high) == ("<", None, 140)
    assert (target.unit, target.source) == ("mm[Hg]", "default")
    assert target.note is not None and target.note.nl == "NHG: < 140 mmHg"
    assert target.text("nl") == "< 140 mmHg"


def test_a_personal_target_wins_over_the_default() -> None:
    hba1c = get_type("hba1c")
    personal = make_target(hba1c, "<=", high=58)
    chosen = effective_target(hba1c, personal)
    assert chosen is personal
    assert (chosen.high, chosen.source, chosen.text("en")) == (58, "personal", "≤ 58 mmol/mol")


def test_without_a_personal_target_the_default_applies() -> None:
    chosen = effective_target(get_type("hba1c"), None)
    assert chosen is not None and (chosen.high, chosen.source) == (53, "default")


def test_a_type_without_default_has_no_target_until_one_is_set() -> None:
    weight = get_type("weight")
    assert effective_target(weight, None) is None
    personal = make_target(weight, "<", high=85)
    assert effective_target(weight, personal) is personal


@pytest.mark.parametrize(
    ("comparator", "low", "high", "value", "met"),
    [
        ("<", None, 140, 139, True),
        ("<", None, 140, 140, False),
        ("<=", None, 53, 53, True),
        ("<=", None, 53, 54, False),
        (">", 6000, None, 6000, False),
        (">", 6000, None, 6001, True),
        (">=", 95, None, 95, True),
        (">=", 95, None, 94, False),
        ("between", 4.5, 8, 4.5, True),
        ("between", 4.5, 8, 8, True),
        ("between", 4.5, 8, 4.4, False),
        ("between", 4.5, 8, 8.1, False),
    ],
)
def test_is_met_at_and_around_the_bound(
    comparator: Any, low: float | None, high: float | None, value: float, met: bool
) -> None:
    target = Target(comparator=comparator, low=low, high=high, unit="x")
    assert target.is_met(value) is met


def test_a_between_target_reads_in_both_languages() -> None:
    target = default_target(get_type("glucose_fasting"))
    assert target is not None
    assert target.text("nl") == "tussen 4,5 en 8,0 mmol/L"
    assert target.text("en") == "between 4.5 and 8.0 mmol/L"
    assert target.as_text() == Text(nl="tussen 4,5 en 8,0 mmol/L", en="between 4.5 and 8.0 mmol/L")


def test_a_target_reads_its_unit_in_the_reader_language() -> None:
    target = make_target(get_type("steps"), ">=", low=7000)
    assert (target.text("nl"), target.text("en")) == ("≥ 7000 stappen", "≥ 7000 steps")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"comparator": "=", "high": 5}, "comparator", "Kies hoe de waarde"),
        ({"comparator": "<"}, "high", "Vul een streefwaarde in."),
        ({"comparator": ">="}, "low", "Vul een streefwaarde in."),
        ({"comparator": "between", "low": 4}, "high", "Vul een streefwaarde in."),
        ({"comparator": "between", "low": 8, "high": 4}, "low", "De ondergrens"),
        ({"comparator": "between", "low": 8, "high": 8}, "low", "De ondergrens"),
        ({"comparator": "<", "high": float("nan")}, "high", "Vul een streefwaarde in."),
    ],
)
def test_an_incomplete_target_is_refused(kwargs: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_target(get_type("glucose"), **kwargs)
    assert caught.value.field == field
    assert caught.value.message.startswith(message)


def test_a_target_with_a_bound_it_does_not_use_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no low bound"):
        Target(comparator="<", low=3, high=5, unit="mmol/L")


def test_a_target_no_reading_can_reach_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        make_target(get_type("bp_systolic"), "<", high=400)
    assert caught.value.field == "high"
    assert str(caught.value) == "Een streefwaarde moet tussen 50 en 300 mmHg liggen."


def test_a_coded_type_has_no_target() -> None:
    with pytest.raises(ValidationError, match="geen streefwaarde"):
        make_target(get_type("smoking_status"), "<", high=1)


def test_a_personal_target_in_another_unit_is_refused() -> None:
    in_percent = Target(comparator="<=", high=7, unit="%")
    with pytest.raises(ValidationError) as caught:
        effective_target(get_type("hba1c"), in_percent)
    assert caught.value.params == {"unit": "%", "expected": "mmol/mol"}


# --- urgent alerts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "urgent"),
    [
        ("bp_systolic", 180, True),  # >= 180
        ("bp_systolic", 179, False),
        ("bp_systolic", 90, False),  # < 90
        ("bp_systolic", 89, True),
        ("bp_diastolic", 110, True),
        ("bp_diastolic", 109, False),
        ("glucose", 20, False),  # > 20
        ("glucose", 20.1, True),
        ("glucose", 4.0, False),  # < 4.0
        ("glucose", 3.9, True),
        ("glucose_fasting", 3.9, True),
        ("spo2", 90, False),  # < 90
        ("spo2", 89, True),
        ("heart_rate", 130, False),  # > 130
        ("heart_rate", 131, True),
        ("weight", 300, False),  # no thresholds
    ],
)
def test_urgent_thresholds_at_the_boundary(code: str, value: float, urgent: bool) -> None:
    assert (evaluate_urgent(get_type(code), value) is not None) is urgent


def test_an_urgent_finding_names_value_and_limit() -> None:
    finding = evaluate_urgent(get_type("bp_systolic"), 180)
    assert finding is not None
    assert (finding.rule_code, finding.type_code, finding.severity) == (
        "urgent",
        "bp_systolic",
        "urgent",
    )
    assert finding.render("nl") == "Zeer hoge waarde: 180 mmHg (grens: ≥ 180 mmHg)."


def test_a_low_urgent_value_gets_the_low_message_with_a_decimal_comma() -> None:
    finding = evaluate_urgent(get_type("glucose"), 3.2)
    assert finding is not None
    assert finding.render("nl") == "Zeer lage waarde: 3,2 mmol/L (grens: < 4,0 mmol/L)."
    assert finding.params["value"].en == "3.2 mmol/L"


def test_the_dedup_key_is_stable_per_rule_and_type() -> None:
    first = evaluate_urgent(get_type("bp_systolic"), 185)
    second = evaluate_urgent(get_type("bp_systolic"), 70)
    assert first is not None and second is not None
    assert first.dedup_key == second.dedup_key == "urgent:bp_systolic"
    other = evaluate_urgent(get_type("bp_diastolic"), 120)
    assert other is not None and other.dedup_key == "urgent:bp_diastolic"


def test_an_urgent_rule_of_another_type_is_refused() -> None:
    rule = rule_for("glucose", "urgent")
    assert rule is not None
    with pytest.raises(ValueError, match="not the urgent rule"):
        evaluate_urgent(get_type("bp_systolic"), 200, rule=rule)


# --- trend alerts ----------------------------------------------------------------------------


def systolic_trend() -> tuple[AlertRule, Target]:
    rule, target = rule_for("bp_systolic", "trend"), default_target(get_type("bp_systolic"))
    assert rule is not None and target is not None
    return rule, target


def test_the_default_trend_rule_is_3_of_the_last_5() -> None:
    rule, _ = systolic_trend()
    assert (rule.code, rule.window, rule.min_off_target) == ("trend_3_of_5", 5, 3)


def test_3_of_the_last_5_above_target_is_a_trend() -> None:
    rule, target = systolic_trend()
    finding = evaluate_trend(rule, target, [150, 132, 145, 128, 141])
    assert finding is not None
    assert (finding.severity, finding.dedup_key) == ("trend", "trend_3_of_5:bp_systolic")
    assert finding.render("nl") == (
        "3 van de laatste 5 metingen halen het streefdoel niet (< 140 mmHg)."
    )


def test_2_of_the_last_5_above_target_is_no_trend() -> None:
    rule, target = systolic_trend()
    assert evaluate_trend(rule, target, [150, 132, 145, 128, 139]) is None


def test_a_value_exactly_at_a_strict_target_misses_it() -> None:
    rule, target = systolic_trend()
    assert evaluate_trend(rule, target, [140, 140, 140, 120, 120]) is not None


def test_only_the_last_window_of_readings_counts() -> None:
    rule, target = systolic_trend()
    # Oldest first: the three high readings are older than the last five.
    assert evaluate_trend(rule, target, [160, 160, 160, 130, 130, 130, 130, 150]) is None
    finding = evaluate_trend(rule, target, [130, 130, 130, 150, 130, 150, 150])
    assert finding is not None and finding.params["off_target"] == 3


def test_with_fewer_readings_than_the_window_the_ones_there_count() -> None:
    rule, target = systolic_trend()
    finding = evaluate_trend(rule, target, [150, 151, 152])
    assert finding is not None and (finding.params["off_target"], finding.params["count"]) == (3, 3)
    assert evaluate_trend(rule, target, [150, 151]) is None


def test_without_a_target_there_is_no_trend() -> None:
    rule = rule_for("weight", "trend")
    assert rule is not None
    assert evaluate_trend(rule, None, [120, 121, 122, 123, 124]) is None
    personal = make_target(get_type("weight"), "<", high=100)
    finding = evaluate_trend(rule, personal, [120, 121, 122, 123, 124])
    assert finding is not None and finding.render("nl").endswith("(< 100,0 kg).")


def test_hba1c_uses_2_of_the_last_3() -> None:
    rule = rule_for("hba1c", "trend")
    target = effective_target(get_type("hba1c"), None)
    assert rule is not None and (rule.window, rule.min_off_target) == (3, 2)
    assert evaluate_trend(rule, target, [60, 50, 54]) is not None
    assert evaluate_trend(rule, target, [60, 50, 53]) is None  # 53 meets <= 53


def test_a_trend_of_a_between_target_counts_both_sides() -> None:
    rule = rule_for("glucose_fasting", "trend")
    target = default_target(get_type("glucose_fasting"))
    assert rule is not None
    finding = evaluate_trend(rule, target, [4.2, 6.0, 8.5, 5.0, 9.1])
    assert finding is not None and finding.params["off_target"] == 3


def test_an_urgent_rule_cannot_evaluate_a_trend() -> None:
    rule = rule_for("bp_systolic", "urgent")
    assert rule is not None
    with pytest.raises(ValueError, match="not a trend rule"):
        evaluate_trend(rule, None, [1, 2, 3])


def test_coded_types_have_no_alert_rules() -> None:
    assert rule_for("smoking_status", "trend") is None
    assert rule_for("smoking_status", "urgent") is None
    assert all(r.type_code != "smoking_status" for r in load_alert_rules())


# --- alert rules are validated with their file -----------------------------------------------


def _write(tmp_path: Path, mutate: Any) -> Path:
    doc = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "types.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _rule(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in doc["alert_rules"] if r["code"] == code)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda d: _rule(d, "urgent")["types"].append("weight"), "no urgent thresholds"),
        (lambda d: _rule(d, "urgent")["types"].remove("spo2"), "no urgent rule"),
        (lambda d: _rule(d, "trend_3_of_5").update(min_off_target=6), "cannot exceed window"),
        (lambda d: _rule(d, "trend_2_of_3")["types"].append("weight"), "two trend rules"),
        (lambda d: _rule(d, "trend_2_of_3")["types"].append("smoking_status"), "not a quantity"),
        (lambda d: _rule(d, "urgent").update(kind="sometimes"), "kind"),
        (lambda d: _rule(d, "urgent").update(window=3), "for trend rules"),
    ],
)
def test_an_invalid_rule_is_refused(tmp_path: Path, mutate: Any, error: str) -> None:
    with pytest.raises(CatalogError, match=error):
        load_alert_rules(_write(tmp_path, mutate))


def test_rules_from_a_care_group_file_apply_to_its_types(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda d: _rule(d, "trend_3_of_5").update(window=4, code="trend_x"))
    rule = rule_for("bp_systolic", "trend", path=path)
    assert rule is not None and (rule.code, rule.window) == ("trend_x", 4)
