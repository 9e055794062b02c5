"""Inclusion criteria: parsing, three-valued evaluation and readable text."""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from zelfzorg.errors import ValidationError
from zelfzorg.leefstijl import criteria as c
from zelfzorg.leefstijl.criteria import (
    ActivationLevelIn,
    AgeBetween,
    AllOf,
    AnyOf,
    Measurement,
    MeasurementCompare,
    Not,
    PatientFacts,
    ProgrammeIn,
    Smoking,
    criteria_to_data,
    describe,
    evaluate,
    measurement_codes,
    parse_criteria,
)

PACKAGE = Path(c.__file__).parent.parent  # zelfzorg/leefstijl
BMI_25 = {"measurement": "bmi", "op": ">=", "value": 25}
WAIST = {"measurement": "waist", "op": ">=", "value_by_sex": {"female": 88, "male": 102}}
DAY = date(2026, 3, 12)


def rule(data: dict) -> c.Criterion:
    return parse_criteria(data)


# --- parsing: valid -------------------------------------------------------------------------
def test_full_example_parses_into_the_expected_tree() -> None:
    data = {
        "all": [
            {"programme_in": ["DM2", "CVRM"]},
            BMI_25,
            {"any": [{"smoking": "current"}, WAIST]},
            {"age_between": [18, 75]},
            {"activation_level_in": [1, 2]},
            {"not": {"programme_in": ["hartfalen"]}},
        ]
    }
    assert parse_criteria(data) == AllOf(
        (
            ProgrammeIn(("DM2", "CVRM")),
            MeasurementCompare("bmi", ">=", value=25),
            AnyOf(
                (
                    Smoking("current"),
                    MeasurementCompare("waist", ">=", value_by_sex=(("female", 88), ("male", 102))),
                )
            ),
            AgeBetween(18, 75),
            ActivationLevelIn((1, 2)),
            Not(ProgrammeIn(("hartfalen",))),
        )
    )


@pytest.mark.parametrize(
    "data",
    [
        {"all": [BMI_25, {"programme_in": ["DM2", "CVRM"]}]},
        {"any": [{"smoking": "former"}, {"not": WAIST}]},
        {"age_between": [None, 75]},
        {"age_between": [18, None]},
        {"measurement": "hba1c", "op": "<", "value": 53.5},
        {"activation_level_in": [4, 1]},
    ],
)
def test_criteria_data_round_trips(data: dict) -> None:
    parsed = parse_criteria(data)
    assert criteria_to_data(parsed) == data
    assert parse_criteria(criteria_to_data(parsed)) == parsed


def test_measurement_codes_lists_every_measurement_read() -> None:
    criterion = rule({"all": [BMI_25, {"any": [WAIST, {"not": BMI_25}]}, {"smoking": "current"}]})
    assert measurement_codes(criterion) == frozenset({"bmi", "waist"})


# --- parsing: invalid -------------------------------------------------------------------------
NESTED_TOO_DEEP: dict = {"smoking": "current"}
for _ in range(10):
    NESTED_TOO_DEEP = {"not": NESTED_TOO_DEEP}


@pytest.mark.parametrize(
    ("data", "message", "path", "params"),
    [
        ([BMI_25], c.E_NOT_OBJECT, "criteria", {}),
        (None, c.E_NOT_OBJECT, "criteria", {}),
        ({}, c.E_NO_KIND, "criteria", {}),
        ({"all": [BMI_25], "any": [BMI_25]}, c.E_TWO_KINDS, "criteria", {"keys": "all, any"}),
        ({"bmi": 25}, c.E_UNKNOWN_KEY, "criteria", {"key": "bmi"}),
        ({"smoking": "current", "op": ">="}, c.E_UNKNOWN_KEY, "criteria", {"key": "op"}),
        ({**BMI_25, "unit": "kg/m2"}, c.E_UNKNOWN_KEY, "criteria", {"key": "unit"}),
        ({"op": ">=", "value": 25}, c.E_MISSING_KEY, "criteria", {"key": "measurement"}),
        ({"all": BMI_25}, c.E_NOT_LIST, "criteria.all", {}),
        ({"all": []}, c.E_EMPTY_LIST, "criteria.all", {}),
        ({"any": [BMI_25, []]}, c.E_NOT_OBJECT, "criteria.any[1]", {}),
        ({"not": 5}, c.E_NOT_OBJECT, "criteria.not", {}),
        (
            {"all": [BMI_25, {"programme_in": ["DM2", "diabetes"]}]},
            c.E_UNKNOWN_PROGRAMME,
            "criteria.all[1].programme_in[1]",
            {"value": "diabetes"},
        ),
        (
            {"programme_in": ["DM2", "DM2"]},
            c.E_DUPLICATE,
            "criteria.programme_in[1]",
            {"value": "DM2"},
        ),
        ({"programme_in": []}, c.E_EMPTY_LIST, "criteria.programme_in", {}),
        (
            {"measurement": "bloodsugar", "op": ">=", "value": 7},
            c.E_UNKNOWN_MEASUREMENT,
            "criteria.measurement",
            {"value": "bloodsugar"},
        ),
        ({"measurement": "bmi", "value": 25}, c.E_MISSING_KEY, "criteria", {"key": "op"}),
        (
            {"measurement": "bmi", "op": "=>", "value": 25},
            c.E_BAD_OPERATOR,
            "criteria.op",
            {"value": "=>", "choices": ">=, >, <=, <"},
        ),
        ({**WAIST, "value": 90}, c.E_VALUE_AND_BY_SEX, "criteria", {}),
        ({"measurement": "bmi", "op": ">="}, c.E_NO_VALUE, "criteria", {}),
        ({**BMI_25, "value": "25"}, c.E_NOT_NUMBER, "criteria.value", {}),
        ({**BMI_25, "value": True}, c.E_NOT_NUMBER, "criteria.value", {}),
        ({**BMI_25, "value": float("nan")}, c.E_NOT_NUMBER, "criteria.value", {}),
        (
            {**WAIST, "value_by_sex": {"female": 88}},
            c.E_MISSING_KEY,
            "criteria.value_by_sex",
            {"key": "male"},
        ),
        (
            {**WAIST, "value_by_sex": {"female": 88, "male": 102, "other": 95}},
            c.E_UNKNOWN_KEY,
            "criteria.value_by_sex",
            {"key": "other"},
        ),
        ({**WAIST, "value_by_sex": [88, 102]}, c.E_NOT_OBJECT, "criteria.value_by_sex", {}),
        (
            {**WAIST, "value_by_sex": {"female": 88, "male": "102"}},
            c.E_NOT_NUMBER,
            "criteria.value_by_sex.male",
            {},
        ),
        ({"smoking": "yes"}, c.E_UNKNOWN_SMOKING, "criteria.smoking", {"value": "yes"}),
        ({"age_between": [18]}, c.E_AGE_PAIR, "criteria.age_between", {}),
        ({"age_between": "18-75"}, c.E_AGE_PAIR, "criteria.age_between", {}),
        ({"age_between": [18.5, 75]}, c.E_AGE_VALUE, "criteria.age_between[0]", {}),
        ({"age_between": [18, 131]}, c.E_AGE_VALUE, "criteria.age_between[1]", {}),
        ({"age_between": [-1, 75]}, c.E_AGE_VALUE, "criteria.age_between[0]", {}),
        ({"age_between": [True, 75]}, c.E_AGE_VALUE, "criteria.age_between[0]", {}),
        ({"age_between": [None, None]}, c.E_AGE_OPEN, "criteria.age_between", {}),
        (
            {"age_between": [75, 18]},
            c.E_AGE_REVERSED,
            "criteria.age_between",
            {"low": 75, "high": 18},
        ),
        (
            {"activation_level_in": [0]},
            c.E_UNKNOWN_LEVEL,
            "criteria.activation_level_in[0]",
            {"value": 0},
        ),
        (
            {"activation_level_in": [2, 1.0]},
            c.E_UNKNOWN_LEVEL,
            "criteria.activation_level_in[1]",
            {"value": 1.0},
        ),
        (
            {"activation_level_in": [True]},
            c.E_UNKNOWN_LEVEL,
            "criteria.activation_level_in[0]",
            {"value": True},
        ),
        (NESTED_TOO_DEEP, c.E_TOO_DEEP, "criteria" + ".not" * 10, {"max": 10}),
    ],
)
def test_invalid_criteria_are_refused_naming_the_path(
    data: object, message: str, path: str, params: dict
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_criteria(data)
    error = caught.value
    assert error.message == message
    assert error.field == path
    assert error.params["path"] == path
    assert params.items() <= error.params.items()
    assert path in str(error)


def test_reversed_age_message_reads_as_plain_dutch() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_criteria({"all": [BMI_25, {"age_between": [75, 18]}]})
    assert str(caught.value) == (
        "De leeftijden bij criteria.all[1].age_between staan omgekeerd: 75 is hoger dan 18."
    )


# --- evaluation: single criteria --------------------------------------------------------------
def facts(**kwargs: object) -> PatientFacts:
    return PatientFacts(**kwargs)  # type: ignore[arg-type]


def test_bmi_above_limit_is_eligible_with_dutch_explanation() -> None:
    result = evaluate(rule(BMI_25), facts(measurements={"bmi": Measurement(27.4, DAY)}))
    assert result.outcome == "eligible"
    assert result.eligible
    assert [line.text for line in result.lines] == ["BMI 27,4 (12-03-2026): voldoet"]
    assert result.lines[0].criterion == "BMI 25 of hoger"
    assert result.missing == ()


def test_explanation_in_english_uses_decimal_point_and_english_date() -> None:
    result = evaluate(rule(BMI_25), facts(measurements={"bmi": (24.9, DAY)}), lang="en")
    assert result.outcome == "not_eligible"
    assert [line.text for line in result.lines] == ["BMI 24.9 (12 Mar 2026): not met"]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">=", 25, "eligible"),
        (">=", 24.9, "not_eligible"),
        (">", 25, "not_eligible"),
        (">", 25.1, "eligible"),
        ("<=", 25, "eligible"),
        ("<=", 25.1, "not_eligible"),
        ("<", 25, "not_eligible"),
        ("<", 24.9, "eligible"),
    ],
)
def test_each_operator_compares_at_the_limit(op: str, value: float, expected: str) -> None:
    criterion = rule({"measurement": "bmi", "op": op, "value": 25})
    result = evaluate(criterion, facts(measurements={"bmi": (value, DAY)}))
    assert result.outcome == expected


@pytest.mark.parametrize("measurements", [{}, {"bmi": None}])
def test_missing_measurement_gives_unknown_never_not_eligible(measurements: dict) -> None:
    result = evaluate(rule(BMI_25), facts(measurements=measurements))
    assert result.outcome == "unknown"
    assert [line.text for line in result.lines] == ["BMI niet gemeten: onbekend"]
    assert [(m.kind, m.code, m.stale, m.text) for m in result.missing] == [
        ("measurement", "bmi", False, "BMI (geen meting)")
    ]


def test_measurement_exactly_at_max_age_still_counts() -> None:
    # 2024-06-01 to 2026-06-01 is 365 + 365 days (no 29 February in between).
    result = evaluate(
        rule(BMI_25),
        facts(
            measurements={"bmi": (27.0, date(2024, 6, 1))},
            reference_date=date(2026, 6, 1),
            max_measurement_age_days=730,
        ),
    )
    assert result.outcome == "eligible"


def test_stale_measurement_counts_as_missing() -> None:
    result = evaluate(
        rule(BMI_25),
        facts(
            measurements={"bmi": (27.0, date(2024, 5, 31))},
            reference_date=date(2026, 6, 1),
            max_measurement_age_days=730,
        ),
    )
    assert result.outcome == "unknown"
    assert result.lines[0].text == "BMI 27 (31-05-2024), te oud: onbekend"
    assert [(m.code, m.stale, m.text) for m in result.missing] == [
        ("bmi", True, "BMI (laatste meting van 31-05-2024 is te oud)")
    ]


def test_max_age_per_code_overrides_the_general_max_age() -> None:
    measured = {"bmi": (27.0, date(2025, 5, 1)), "waist": (110, date(2025, 5, 1))}
    criterion = rule({"all": [BMI_25, WAIST]})
    result = evaluate(
        criterion,
        facts(
            measurements=measured,
            reference_date=date(2026, 6, 1),
            max_measurement_age_days=730,
            max_age_days_by_code={"bmi": 365},
        ),
    )
    assert result.outcome == "unknown"
    assert [m.code for m in result.missing] == ["bmi"]


def test_max_age_without_reference_date_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        PatientFacts(max_measurement_age_days=730)


def test_datetime_measurement_is_shown_and_aged_by_its_date() -> None:
    result = evaluate(
        rule(BMI_25),
        facts(
            measurements={"bmi": (26, datetime(2026, 3, 12, 9, 30))},
            reference_date=date(2026, 3, 13),
            max_measurement_age_days=1,
        ),
    )
    assert result.lines[0].text == "BMI 26 (12-03-2026): voldoet"


@pytest.mark.parametrize(
    ("sex", "waist", "expected"),
    [
        ("female", 88, "eligible"),
        ("female", 87.9, "not_eligible"),
        ("male", 95, "not_eligible"),
        ("male", 102, "eligible"),
    ],
)
def test_waist_limit_depends_on_sex(sex: str, waist: float, expected: str) -> None:
    result = evaluate(rule(WAIST), facts(sex=sex, measurements={"waist": (waist, DAY)}))
    assert result.outcome == expected


def test_waist_explanation_names_the_sex_used() -> None:
    result = evaluate(rule(WAIST), facts(sex="female", measurements={"waist": (95, DAY)}))
    assert result.lines[0].text == "Buikomvang 95 cm (12-03-2026), vrouw: voldoet"


@pytest.mark.parametrize("sex", [None, "other", "unknown"])
def test_waist_between_limits_without_known_sex_is_unknown(sex: str | None) -> None:
    result = evaluate(rule(WAIST), facts(sex=sex, measurements={"waist": (95, DAY)}))
    assert result.outcome == "unknown"
    assert result.lines[0].text == "Buikomvang 95 cm (12-03-2026), geslacht onbekend: onbekend"
    assert [(m.kind, m.text) for m in result.missing] == [("sex", "geslacht")]


@pytest.mark.parametrize(("waist", "expected"), [(110, "eligible"), (80, "not_eligible")])
def test_waist_beyond_both_limits_is_decided_without_sex(waist: int, expected: str) -> None:
    result = evaluate(rule(WAIST), facts(measurements={"waist": (waist, DAY)}))
    assert result.outcome == expected
    assert result.missing == ()


def test_missing_waist_and_sex_are_both_reported() -> None:
    result = evaluate(rule(WAIST), facts())
    assert [(m.kind, m.code) for m in result.missing] == [("measurement", "waist"), ("sex", None)]


@pytest.mark.parametrize(
    ("age", "expected"),
    [(17, "not_eligible"), (18, "eligible"), (75, "eligible"), (76, "not_eligible")],
)
def test_age_bounds_are_inclusive(age: int, expected: str) -> None:
    assert evaluate(rule({"age_between": [18, 75]}), facts(age=age)).outcome == expected


@pytest.mark.parametrize(
    ("bounds", "age", "expected"),
    [
        ([None, 75], 0, "eligible"),
        ([None, 75], 76, "not_eligible"),
        ([18, None], 120, "eligible"),
        ([18, None], 17, "not_eligible"),
    ],
)
def test_open_age_bound_has_no_limit(bounds: list, age: int, expected: str) -> None:
    assert evaluate(rule({"age_between": bounds}), facts(age=age)).outcome == expected


def test_unknown_age_gives_unknown() -> None:
    result = evaluate(rule({"age_between": [18, 75]}), facts())
    assert result.outcome == "unknown"
    assert [m.kind for m in result.missing] == ["age"]


@pytest.mark.parametrize(
    ("programmes", "expected", "value"),
    [
        ({"COPD", "DM2"}, "eligible", "zorgprogramma's DM2, COPD"),
        ({"COPD"}, "not_eligible", "zorgprogramma COPD"),
        (set(), "not_eligible", "geen zorgprogramma"),
    ],
)
def test_programme_criterion_is_never_unknown(programmes: set, expected: str, value: str) -> None:
    result = evaluate(rule({"programme_in": ["DM2", "CVRM"]}), facts(programmes=programmes))
    assert result.outcome == expected
    assert result.lines[0].value == value


@pytest.mark.parametrize(
    ("smoking", "expected", "text"),
    [
        ("current", "eligible", "Rookt: voldoet"),
        ("former", "not_eligible", "Gestopt met roken: voldoet niet"),
        (None, "unknown", "Rookgedrag onbekend: onbekend"),
    ],
)
def test_smoking_criterion(smoking: str | None, expected: str, text: str) -> None:
    result = evaluate(rule({"smoking": "current"}), facts(smoking=smoking))
    assert result.outcome == expected
    assert result.lines[0].text == text


@pytest.mark.parametrize(
    ("level", "expected"),
    [(1, "eligible"), (2, "eligible"), (3, "not_eligible"), (None, "unknown")],
)
def test_activation_level_criterion(level: int | None, expected: str) -> None:
    result = evaluate(rule({"activation_level_in": [1, 2]}), facts(activation_level=level))
    assert result.outcome == expected


# --- evaluation: Kleene logic -----------------------------------------------------------------
# Leaf A is "smokes" and leaf B is "activation level 1"; each can be made T, F or U(nknown).
SMOKING_FOR = {"T": "current", "F": "never", "U": None}
LEVEL_FOR = {"T": 1, "F": 3, "U": None}
OUTCOME_FOR = {"T": "eligible", "F": "not_eligible", "U": "unknown"}
A = {"smoking": "current"}
B = {"activation_level_in": [1]}

KLEENE_AND = {
    "TT": "T", "TF": "F", "TU": "U",
    "FT": "F", "FF": "F", "FU": "F",
    "UT": "U", "UF": "F", "UU": "U",
}  # fmt: skip
KLEENE_OR = {
    "TT": "T", "TF": "T", "TU": "T",
    "FT": "T", "FF": "F", "FU": "U",
    "UT": "T", "UF": "U", "UU": "U",
}  # fmt: skip


def two_leaf_facts(pair: str) -> PatientFacts:
    return facts(smoking=SMOKING_FOR[pair[0]], activation_level=LEVEL_FOR[pair[1]])


@pytest.mark.parametrize(("pair", "expected"), KLEENE_AND.items())
def test_all_follows_kleene_and(pair: str, expected: str) -> None:
    result = evaluate(rule({"all": [A, B]}), two_leaf_facts(pair))
    assert result.outcome == OUTCOME_FOR[expected]


@pytest.mark.parametrize(("pair", "expected"), KLEENE_OR.items())
def test_any_follows_kleene_or(pair: str, expected: str) -> None:
    result = evaluate(rule({"any": [A, B]}), two_leaf_facts(pair))
    assert result.outcome == OUTCOME_FOR[expected]


@pytest.mark.parametrize(("value", "expected"), [("T", "F"), ("F", "T"), ("U", "U")])
def test_not_swaps_met_and_not_met_and_keeps_unknown(value: str, expected: str) -> None:
    result = evaluate(rule({"not": A}), facts(smoking=SMOKING_FOR[value]))
    assert result.outcome == OUTCOME_FOR[expected]


def test_decided_outcome_reports_no_missing_data() -> None:
    # Not enrolled in DM2 decides "not eligible" whatever the BMI is.
    result = evaluate(rule({"all": [{"programme_in": ["DM2"]}, BMI_25]}), facts())
    assert result.outcome == "not_eligible"
    assert result.missing == ()


def test_missing_data_only_from_branches_that_can_change_the_outcome() -> None:
    criterion = rule(
        {
            "all": [
                {"any": [{"smoking": "current"}, BMI_25]},
                {"any": [{"programme_in": ["DM2"]}, {"age_between": [18, 75]}]},
                {"activation_level_in": [1, 2]},
            ]
        }
    )
    # The second "any" is met through DM2, so the unknown age cannot matter.
    result = evaluate(criterion, facts(programmes={"DM2"}))
    assert result.outcome == "unknown"
    assert [m.kind for m in result.missing] == ["smoking", "measurement", "activation_level"]


def test_missing_data_is_listed_once() -> None:
    criterion = rule({"all": [BMI_25, {"not": {"measurement": "bmi", "op": ">", "value": 40}}]})
    result = evaluate(criterion, facts())
    assert [m.code for m in result.missing] == ["bmi"]


def test_explanation_lines_follow_the_tree_with_depth() -> None:
    criterion = rule({"all": [BMI_25, {"any": [{"programme_in": ["DM2", "CVRM"]}, A]}]})
    result = evaluate(
        criterion, facts(programmes={"CVRM"}, measurements={"bmi": (31.25, DAY)}, smoking=None)
    )
    assert result.outcome == "eligible"
    assert [(line.depth, line.text) for line in result.lines] == [
        (0, "BMI 25 of hoger en (DM2 of CVRM of rookt): voldoet"),
        (1, "BMI 31,25 (12-03-2026): voldoet"),
        (1, "DM2 of CVRM of rookt: voldoet"),
        (2, "Zorgprogramma CVRM: voldoet"),
        (2, "Rookgedrag onbekend: onbekend"),
    ]
    assert result.lines[2].value is None


# --- describe -------------------------------------------------------------------------------
def test_describe_example_in_dutch_and_english() -> None:
    criterion = rule({"all": [BMI_25, {"programme_in": ["DM2", "CVRM"]}]})
    assert describe(criterion) == "BMI 25 of hoger en DM2 of CVRM"
    assert describe(criterion, "en") == "BMI 25 or higher and DM2 or CVRM"


@pytest.mark.parametrize(
    ("data", "nl", "en"),
    [
        (
            {"measurement": "hba1c", "op": "<", "value": 53.5},
            "HbA1c lager dan 53,5 mmol/mol",
            "HbA1c lower than 53.5 mmol/mol",
        ),
        (
            {"measurement": "bp_systolic", "op": ">", "value": 140},
            "Systolische bloeddruk hoger dan 140 mmHg",
            "Systolic blood pressure higher than 140 mmHg",
        ),
        (
            {"measurement": "weight", "op": "<=", "value": 120.5},
            "Gewicht 120,5 kg of lager",
            "Weight 120.5 kg or lower",
        ),
        (
            WAIST,
            "Buikomvang 88 cm (vrouwen) / 102 cm (mannen) of hoger",
            "Waist circumference 88 cm (women) / 102 cm (men) or higher",
        ),
        ({"age_between": [18, 75]}, "Leeftijd 18 tot en met 75 jaar", "Age 18 to 75 years"),
        ({"age_between": [18, None]}, "Leeftijd 18 jaar of ouder", "Age 18 years or older"),
        ({"age_between": [None, 70]}, "Leeftijd 70 jaar of jonger", "Age 70 years or younger"),
        ({"smoking": "never"}, "Nooit gerookt", "Never smoked"),
        (
            {"activation_level_in": [1, 2, 3]},
            "Activatieniveau 1, 2 of 3",
            "Activation level 1, 2 or 3",
        ),
        (
            {"programme_in": ["astma", "hartfalen"]},
            "Astma of hartfalen",
            "Asthma or heart failure",
        ),
        ({"not": {"smoking": "current"}}, "Niet (rookt)", "Not (smokes)"),
        (
            {"any": [{"all": [BMI_25, {"smoking": "current"}]}, {"programme_in": ["COPD"]}]},
            "(BMI 25 of hoger en rookt) of COPD",
            "(BMI 25 or higher and smokes) or COPD",
        ),
        (
            {"all": [BMI_25, {"smoking": "current"}, {"age_between": [18, 75]}]},
            "BMI 25 of hoger, rookt en leeftijd 18 tot en met 75 jaar",
            "BMI 25 or higher, smokes and age 18 to 75 years",
        ),
    ],
)
def test_describe_in_both_languages(data: dict, nl: str, en: str) -> None:
    criterion = rule(data)
    assert describe(criterion, "nl") == nl
    assert describe(criterion, "en") == en


def test_describe_refuses_an_unsupported_language() -> None:
    with pytest.raises(ValueError):
        describe(rule(BMI_25), "de")


# --- translations ---------------------------------------------------------------------------
def n_messages(module: Path) -> list[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"
    ]


def test_every_criteria_message_has_an_english_translation_with_same_placeholders() -> None:
    po_path = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for path in (PACKAGE / "criteria").glob("*.py") for m in n_messages(path)]
    assert len(messages) >= 20
    for msgid in messages:
        entry = catalog.get(msgid)
        assert entry is not None and entry.string, msgid
        placeholders = re.compile(r"%\(\w+\)s")
        assert sorted(placeholders.findall(entry.string)) == sorted(placeholders.findall(msgid))
