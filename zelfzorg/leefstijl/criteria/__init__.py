"""Inclusion criteria of lifestyle interventions: schema, parsing, evaluation and text.

A catalogue entry stores its criteria as JSON-able data. Every node is an object with exactly
one kind key::

    {"all": [criterion, ...]}                 every item holds (Kleene AND)
    {"any": [criterion, ...]}                 at least one item holds (Kleene OR)
    {"not": criterion}                        the item does not hold
    {"programme_in": ["DM2", "CVRM"]}         enrolled in at least one of these care programmes
    {"measurement": "bmi", "op": ">=", "value": 25}
    {"measurement": "waist", "op": ">=", "value_by_sex": {"female": 88, "male": 102}}
    {"smoking": "current"}                    smoking status is current, former or never
    {"age_between": [18, 75]}                 inclusive; null leaves one bound open
    {"activation_level_in": [1, 2]}           activation (PAM-style) level 1-4

Evaluation is three-valued: data that is missing (or too old) and could change the result
gives ``unknown``, never ``not_eligible``.

Modules: ``schema`` (the tree), ``parsing``, ``texts``, ``evaluation`` and ``sql`` (the
same criteria compiled to SQL for population counts). The names below are the public API.
"""

from zelfzorg.leefstijl.criteria.evaluation import (
    Evaluation,
    ExplanationLine,
    Measurement,
    MissingData,
    MissingKind,
    Outcome,
    PatientFacts,
    Status,
    evaluate,
)
from zelfzorg.leefstijl.criteria.parsing import (
    criteria_to_data,
    measurement_codes,
    parse_criteria,
    walk,
)
from zelfzorg.leefstijl.criteria.schema import (
    ACTIVATION_LEVELS,
    COMPANIONS,
    E_AGE_OPEN,
    E_AGE_PAIR,
    E_AGE_REVERSED,
    E_AGE_VALUE,
    E_BAD_OPERATOR,
    E_DUPLICATE,
    E_EMPTY_LIST,
    E_MISSING_KEY,
    E_NO_KIND,
    E_NO_VALUE,
    E_NOT_LIST,
    E_NOT_NUMBER,
    E_NOT_OBJECT,
    E_TOO_DEEP,
    E_TWO_KINDS,
    E_UNKNOWN_KEY,
    E_UNKNOWN_LEVEL,
    E_UNKNOWN_MEASUREMENT,
    E_UNKNOWN_PROGRAMME,
    E_UNKNOWN_SMOKING,
    E_VALUE_AND_BY_SEX,
    KINDS,
    MAX_AGE,
    MAX_DEPTH,
    MEASUREMENTS,
    OPERATORS,
    PROGRAMMES,
    ROOT_PATH,
    SEXES,
    SMOKING_STATUSES,
    ActivationLevelIn,
    AgeBetween,
    AllOf,
    AnyOf,
    Criterion,
    Lang,
    MeasurementCompare,
    MeasurementKind,
    Not,
    Number,
    ProgrammeIn,
    Smoking,
)
from zelfzorg.leefstijl.criteria.texts import (
    TEXTS,
    code_label,
    describe,
    describe_node,
    format_day,
    format_number,
    programme_name,
    resolve_lang,
    with_unit,
)

__all__ = [
    "ACTIVATION_LEVELS",
    "ActivationLevelIn",
    "AgeBetween",
    "AllOf",
    "AnyOf",
    "COMPANIONS",
    "Criterion",
    "E_AGE_OPEN",
    "E_AGE_PAIR",
    "E_AGE_REVERSED",
    "E_AGE_VALUE",
    "E_BAD_OPERATOR",
    "E_DUPLICATE",
    "E_EMPTY_LIST",
    "E_MISSING_KEY",
    "E_NOT_LIST",
    "E_NOT_NUMBER",
    "E_NOT_OBJECT",
    "E_NO_KIND",
    "E_NO_VALUE",
    "E_TOO_DEEP",
    "E_TWO_KINDS",
    "E_UNKNOWN_KEY",
    "E_UNKNOWN_LEVEL",
    "E_UNKNOWN_MEASUREMENT",
    "E_UNKNOWN_PROGRAMME",
    "E_UNKNOWN_SMOKING",
    "E_VALUE_AND_BY_SEX",
    "Evaluation",
    "ExplanationLine",
    "KINDS",
    "Lang",
    "MAX_AGE",
    "MAX_DEPTH",
    "MEASUREMENTS",
    "Measurement",
    "MeasurementCompare",
    "MeasurementKind",
    "MissingData",
    "MissingKind",
    "Not",
    "Number",
    "OPERATORS",
    "Outcome",
    "PROGRAMMES",
    "PatientFacts",
    "ProgrammeIn",
    "ROOT_PATH",
    "SEXES",
    "SMOKING_STATUSES",
    "Smoking",
    "Status",
    "TEXTS",
    "code_label",
    "criteria_to_data",
    "describe",
    "describe_node",
    "evaluate",
    "format_day",
    "format_number",
    "measurement_codes",
    "parse_criteria",
    "programme_name",
    "resolve_lang",
    "walk",
    "with_unit",
]
