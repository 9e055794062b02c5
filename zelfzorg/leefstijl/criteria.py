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
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, NamedTuple, TypeAlias

from babel.dates import format_date
from babel.numbers import format_decimal

from zelfzorg.errors import N_, ValidationError

# Codes match zelfzorg.patients.models.Programme and Sex (StrEnum values compare equal).
PROGRAMMES: tuple[str, ...] = ("DM2", "COPD", "astma", "CVRM", "hartfalen")
SEXES: tuple[str, ...] = ("female", "male")
SMOKING_STATUSES: tuple[str, ...] = ("current", "former", "never")
ACTIVATION_LEVELS: tuple[int, ...] = (1, 2, 3, 4)
MAX_AGE = 130
# Deeper trees are unreadable for professionals and would only come from a broken editor.
MAX_DEPTH = 10

Number: TypeAlias = int | float
Lang: TypeAlias = Literal["nl", "en"]


class MeasurementKind(NamedTuple):
    label_nl: str
    label_en: str
    unit: str  # display unit; BMI is conventionally said without one


# Codes must match the telemonitoring measurement type codes; extend here when a criterion
# needs another measurement.
MEASUREMENTS: dict[str, MeasurementKind] = {
    "bmi": MeasurementKind("BMI", "BMI", ""),
    "waist": MeasurementKind("buikomvang", "waist circumference", "cm"),
    "weight": MeasurementKind("gewicht", "weight", "kg"),
    "bp_systolic": MeasurementKind("systolische bloeddruk", "systolic blood pressure", "mmHg"),
    "bp_diastolic": MeasurementKind("diastolische bloeddruk", "diastolic blood pressure", "mmHg"),
    "hba1c": MeasurementKind("HbA1c", "HbA1c", "mmol/mol"),
    "glucose": MeasurementKind("glucose", "glucose", "mmol/L"),
    "ldl": MeasurementKind("LDL-cholesterol", "LDL cholesterol", "mmol/L"),
    "cholesterol_total": MeasurementKind("totaal cholesterol", "total cholesterol", "mmol/L"),
    "mrc": MeasurementKind("MRC-kortademigheid", "MRC dyspnoea", ""),
    "ccq": MeasurementKind("CCQ-score", "CCQ score", ""),
}

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}

# --- messages (Dutch msgids; English in translations/en/LC_MESSAGES/messages.po) ---------
E_NOT_OBJECT = N_("Bij %(path)s hoort een voorwaarde (een object), maar daar staat iets anders.")
E_NO_KIND = N_("Bij %(path)s staat geen soort voorwaarde. Kies een van: %(choices)s.")
E_TWO_KINDS = N_(
    "Bij %(path)s staan meerdere soorten voorwaarden tegelijk (%(keys)s). "
    "Zet ze samen in een 'all' of 'any'."
)
E_UNKNOWN_KEY = N_("Bij %(path)s staat een onbekende sleutel: '%(key)s'.")
E_MISSING_KEY = N_("Bij %(path)s ontbreekt '%(key)s'.")
E_NOT_LIST = N_("Bij %(path)s hoort een lijst.")
E_EMPTY_LIST = N_("De lijst bij %(path)s is leeg. Zet er minstens één waarde in.")
E_DUPLICATE = N_("De waarde '%(value)s' staat twee keer in de lijst bij %(path)s.")
E_UNKNOWN_PROGRAMME = N_("Onbekend zorgprogramma '%(value)s' bij %(path)s. Kies uit: %(choices)s.")
E_UNKNOWN_MEASUREMENT = N_("Onbekende meting '%(value)s' bij %(path)s. Kies uit: %(choices)s.")
E_BAD_OPERATOR = N_("Onbekende vergelijking '%(value)s' bij %(path)s. Kies uit: %(choices)s.")
E_VALUE_AND_BY_SEX = N_("Bij %(path)s staan 'value' en 'value_by_sex' allebei. Kies er één.")
E_NO_VALUE = N_("Bij %(path)s ontbreekt de grenswaarde: geef 'value' of 'value_by_sex'.")
E_NOT_NUMBER = N_("Bij %(path)s hoort een getal.")
E_UNKNOWN_SMOKING = N_("Onbekend rookgedrag '%(value)s' bij %(path)s. Kies uit: %(choices)s.")
E_UNKNOWN_LEVEL = N_("Onbekend activatieniveau '%(value)s' bij %(path)s. Kies uit: %(choices)s.")
E_AGE_PAIR = N_(
    "Bij %(path)s hoort een lijst met twee leeftijden: [van, tot en met]. "
    "Laat een grens open met null."
)
E_AGE_VALUE = N_("Bij %(path)s hoort een leeftijd in hele jaren van 0 tot en met 130, of null.")
E_AGE_OPEN = N_("Bij %(path)s zijn beide leeftijdsgrenzen leeg. Geef minstens één grens.")
E_AGE_REVERSED = N_("De leeftijden bij %(path)s staan omgekeerd: %(low)s is hoger dan %(high)s.")
E_TOO_DEEP = N_("De voorwaarden bij %(path)s zijn te diep genest (maximaal %(max)s niveaus).")

ROOT_PATH = "criteria"


# --- criterion tree -----------------------------------------------------------------------
@dataclass(frozen=True)
class AllOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class Not:
    item: Criterion


@dataclass(frozen=True)
class ProgrammeIn:
    programmes: tuple[str, ...]


@dataclass(frozen=True)
class MeasurementCompare:
    """``code op threshold``; the threshold is ``value`` or, per sex, ``value_by_sex``."""

    code: str
    op: str
    value: Number | None = None
    value_by_sex: tuple[tuple[str, Number], ...] | None = None  # pairs in SEXES order

    def thresholds(self) -> dict[str, Number]:
        return dict(self.value_by_sex or ())


@dataclass(frozen=True)
class Smoking:
    status: str


@dataclass(frozen=True)
class AgeBetween:
    low: int | None
    high: int | None


@dataclass(frozen=True)
class ActivationLevelIn:
    levels: tuple[int, ...]


Criterion: TypeAlias = (
    AllOf
    | AnyOf
    | Not
    | ProgrammeIn
    | MeasurementCompare
    | Smoking
    | AgeBetween
    | ActivationLevelIn
)

# Keys that may sit beside the kind key in the same object.
_COMPANIONS: dict[str, frozenset[str]] = {
    "all": frozenset(),
    "any": frozenset(),
    "not": frozenset(),
    "programme_in": frozenset(),
    "measurement": frozenset({"op", "value", "value_by_sex"}),
    "smoking": frozenset(),
    "age_between": frozenset(),
    "activation_level_in": frozenset(),
}
KINDS: tuple[str, ...] = tuple(_COMPANIONS)


# --- parsing ------------------------------------------------------------------------------
def parse_criteria(data: object) -> Criterion:
    """Validate JSON-able criteria data and build the criterion tree.

    Raises ``ValidationError`` whose ``field`` (and ``path`` parameter) names the place of the
    problem, e.g. ``criteria.all[1].op``.
    """
    return _parse(data, ROOT_PATH, 1)


def _fail(message: str, path: str, **params: object) -> ValidationError:
    return ValidationError(message, field=path, path=path, **params)


def _choices(values: tuple[object, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _parse(data: object, path: str, depth: int) -> Criterion:
    if depth > MAX_DEPTH:
        raise _fail(E_TOO_DEEP, path, max=MAX_DEPTH)
    if not isinstance(data, Mapping):
        raise _fail(E_NOT_OBJECT, path)
    kinds = [k for k in data if k in _COMPANIONS]
    if not kinds:
        if not data:
            raise _fail(E_NO_KIND, path, choices=_choices(KINDS))
        if set(data) <= _COMPANIONS["measurement"]:
            raise _fail(E_MISSING_KEY, path, key="measurement")
        raise _fail(E_UNKNOWN_KEY, path, key=next(k for k in data if k not in _COMPANIONS))
    if len(kinds) > 1:
        raise _fail(E_TWO_KINDS, path, keys=", ".join(kinds))
    kind = kinds[0]
    for key in data:
        if key != kind and key not in _COMPANIONS[kind]:
            raise _fail(E_UNKNOWN_KEY, path, key=key)
    body = data[kind]
    sub = f"{path}.{kind}"
    if kind in ("all", "any"):
        items = tuple(
            _parse(item, f"{sub}[{i}]", depth + 1) for i, item in enumerate(_list(body, sub))
        )
        return AllOf(items) if kind == "all" else AnyOf(items)
    if kind == "not":
        return Not(_parse(body, sub, depth + 1))
    if kind == "programme_in":
        return ProgrammeIn(_choice_list(body, sub, PROGRAMMES, E_UNKNOWN_PROGRAMME))
    if kind == "measurement":
        return _parse_measurement(data, path)
    if kind == "smoking":
        if not isinstance(body, str) or body not in SMOKING_STATUSES:
            raise _fail(E_UNKNOWN_SMOKING, sub, value=body, choices=_choices(SMOKING_STATUSES))
        return Smoking(body)
    if kind == "age_between":
        return _parse_age(body, sub)
    return ActivationLevelIn(_choice_list(body, sub, ACTIVATION_LEVELS, E_UNKNOWN_LEVEL))


def _list(body: object, path: str) -> list[object]:
    if not isinstance(body, list | tuple):
        raise _fail(E_NOT_LIST, path)
    if not body:
        raise _fail(E_EMPTY_LIST, path)
    return list(body)


def _choice_list(body: object, path: str, allowed: tuple, message: str) -> tuple:
    values = _list(body, path)
    seen: list[object] = []
    for i, value in enumerate(values):
        # Exact type: True and 1.0 must not pass as activation level 1.
        if type(value) is not type(allowed[0]) or value not in allowed:
            raise _fail(message, f"{path}[{i}]", value=value, choices=_choices(allowed))
        if value in seen:
            raise _fail(E_DUPLICATE, f"{path}[{i}]", value=value)
        seen.append(value)
    return tuple(seen)


def _number(value: object, path: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(E_NOT_NUMBER, path)
    if not math.isfinite(value):
        raise _fail(E_NOT_NUMBER, path)
    return value


def _parse_measurement(data: Mapping, path: str) -> MeasurementCompare:
    code = data["measurement"]
    if not isinstance(code, str) or code not in MEASUREMENTS:
        raise _fail(
            E_UNKNOWN_MEASUREMENT,
            f"{path}.measurement",
            value=code,
            choices=_choices(tuple(MEASUREMENTS)),
        )
    if "op" not in data:
        raise _fail(E_MISSING_KEY, path, key="op")
    op = data["op"]
    if not isinstance(op, str) or op not in OPERATORS:
        raise _fail(E_BAD_OPERATOR, f"{path}.op", value=op, choices=_choices(tuple(OPERATORS)))
    if "value" in data and "value_by_sex" in data:
        raise _fail(E_VALUE_AND_BY_SEX, path)
    if "value" in data:
        return MeasurementCompare(code, op, value=_number(data["value"], f"{path}.value"))
    if "value_by_sex" not in data:
        raise _fail(E_NO_VALUE, path)
    by_sex = data["value_by_sex"]
    sub = f"{path}.value_by_sex"
    if not isinstance(by_sex, Mapping):
        raise _fail(E_NOT_OBJECT, sub)
    for key in by_sex:
        if key not in SEXES:
            raise _fail(E_UNKNOWN_KEY, sub, key=key)
    for sex in SEXES:
        if sex not in by_sex:
            raise _fail(E_MISSING_KEY, sub, key=sex)
    pairs = tuple((sex, _number(by_sex[sex], f"{sub}.{sex}")) for sex in SEXES)
    return MeasurementCompare(code, op, value_by_sex=pairs)


def _parse_age(body: object, path: str) -> AgeBetween:
    if not isinstance(body, list | tuple) or len(body) != 2:
        raise _fail(E_AGE_PAIR, path)
    for i, bound in enumerate(body):
        valid_int = isinstance(bound, int) and not isinstance(bound, bool)
        if bound is not None and not (valid_int and 0 <= bound <= MAX_AGE):
            raise _fail(E_AGE_VALUE, f"{path}[{i}]")
    low, high = body
    if low is None and high is None:
        raise _fail(E_AGE_OPEN, path)
    if low is not None and high is not None and low > high:
        raise _fail(E_AGE_REVERSED, path, low=low, high=high)
    return AgeBetween(low, high)


def criteria_to_data(criterion: Criterion) -> dict[str, object]:
    """The JSON-able data of a criterion; ``parse_criteria`` of it gives the criterion back."""
    match criterion:
        case AllOf(items):
            return {"all": [criteria_to_data(item) for item in items]}
        case AnyOf(items):
            return {"any": [criteria_to_data(item) for item in items]}
        case Not(item):
            return {"not": criteria_to_data(item)}
        case ProgrammeIn(programmes):
            return {"programme_in": list(programmes)}
        case MeasurementCompare(code, op, value, by_sex):
            data: dict[str, object] = {"measurement": code, "op": op}
            if by_sex is None:
                data["value"] = value
            else:
                data["value_by_sex"] = dict(by_sex)
            return data
        case Smoking(status):
            return {"smoking": status}
        case AgeBetween(low, high):
            return {"age_between": [low, high]}
        case ActivationLevelIn(levels):
            return {"activation_level_in": list(levels)}
    raise TypeError(f"not a criterion: {criterion!r}")


def walk(criterion: Criterion) -> Iterator[Criterion]:
    """Every node of the tree, parents before children."""
    yield criterion
    if isinstance(criterion, AllOf | AnyOf):
        for item in criterion.items:
            yield from walk(item)
    elif isinstance(criterion, Not):
        yield from walk(criterion.item)


def measurement_codes(criterion: Criterion) -> frozenset[str]:
    """Measurement codes the criterion reads: the ones a service must load into the facts."""
    return frozenset(n.code for n in walk(criterion) if isinstance(n, MeasurementCompare))


# --- texts (both languages; criteria text is product text, not an error message) ---------
_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "and": "en",
        "or": "of",
        "not": "niet ({inner})",
        ">=": "{label} {value} of hoger",
        ">": "{label} hoger dan {value}",
        "<=": "{label} {value} of lager",
        "<": "{label} lager dan {value}",
        "by_sex": "{female} (vrouwen) / {male} (mannen)",
        "age_range": "leeftijd {low} tot en met {high} jaar",
        "age_min": "leeftijd {low} jaar of ouder",
        "age_max": "leeftijd {high} jaar of jonger",
        "levels": "activatieniveau {levels}",
        "current": "rookt",
        "former": "gestopt met roken",
        "never": "nooit gerookt",
        "met": "voldoet",
        "not_met": "voldoet niet",
        "unknown": "onbekend",
        "female": "vrouw",
        "male": "man",
        "programme": "zorgprogramma {programmes}",
        "programmes": "zorgprogramma's {programmes}",
        "no_programmes": "geen zorgprogramma",
        "age": "leeftijd {age}",
        "age_unknown": "leeftijd onbekend",
        "smoking_unknown": "rookgedrag onbekend",
        "level": "activatieniveau {level}",
        "level_unknown": "activatieniveau onbekend",
        "measured": "{label} {value} ({date})",
        "not_measured": "{label} niet gemeten",
        "too_old": "{label} {value} ({date}), te oud",
        "with_sex": "{text}, {sex}",
        "sex_unknown": "{text}, geslacht onbekend",
        "missing_measurement": "{label} (geen meting)",
        "missing_stale": "{label} (laatste meting van {date} is te oud)",
        "missing_age": "leeftijd",
        "missing_sex": "geslacht",
        "missing_smoking": "rookgedrag",
        "missing_activation_level": "activatieniveau",
    },
    "en": {
        "and": "and",
        "or": "or",
        "not": "not ({inner})",
        ">=": "{label} {value} or higher",
        ">": "{label} higher than {value}",
        "<=": "{label} {value} or lower",
        "<": "{label} lower than {value}",
        "by_sex": "{female} (women) / {male} (men)",
        "age_range": "age {low} to {high} years",
        "age_min": "age {low} years or older",
        "age_max": "age {high} years or younger",
        "levels": "activation level {levels}",
        "current": "smokes",
        "former": "former smoker",
        "never": "never smoked",
        "met": "met",
        "not_met": "not met",
        "unknown": "unknown",
        "female": "female",
        "male": "male",
        "programme": "care programme {programmes}",
        "programmes": "care programmes {programmes}",
        "no_programmes": "no care programme",
        "age": "age {age}",
        "age_unknown": "age unknown",
        "smoking_unknown": "smoking status unknown",
        "level": "activation level {level}",
        "level_unknown": "activation level unknown",
        "measured": "{label} {value} ({date})",
        "not_measured": "{label} not measured",
        "too_old": "{label} {value} ({date}), too old",
        "with_sex": "{text}, {sex}",
        "sex_unknown": "{text}, sex unknown",
        "missing_measurement": "{label} (no measurement)",
        "missing_stale": "{label} (latest measurement of {date} is too old)",
        "missing_age": "age",
        "missing_sex": "sex",
        "missing_smoking": "smoking status",
        "missing_activation_level": "activation level",
    },
}
_PROGRAMME_NAMES = {"en": {"astma": "asthma", "hartfalen": "heart failure"}}
# For patients: what the programme is about in everyday words, not the care group's codes.
_PLAIN_PROGRAMME_NAMES = {
    "nl": {
        "DM2": "diabetes type 2",
        "COPD": "de longziekte COPD",
        "astma": "astma",
        "CVRM": "een verhoogd risico op hart- en vaatziekten",
        "hartfalen": "hartfalen",
    },
    "en": {
        "DM2": "type 2 diabetes",
        "COPD": "the lung disease COPD",
        "astma": "asthma",
        "CVRM": "a raised risk of heart and vascular disease",
        "hartfalen": "heart failure",
    },
}
# Patient wording of texts whose professional wording is jargon.
_PLAIN_TEXT = {
    "nl": {
        "has": "u heeft {programmes}",
        "levels": "niveau {levels} op de vragenlijst over zelf omgaan met uw gezondheid",
        "current": "u rookt",
        "former": "u bent gestopt met roken",
        "never": "u heeft nooit gerookt",
    },
    "en": {
        "has": "you have {programmes}",
        "levels": "level {levels} on the questionnaire about managing your own health",
        "current": "you smoke",
        "former": "you have stopped smoking",
        "never": "you have never smoked",
    },
}
_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
_DATE_FORMATS = {"nl": "dd-MM-y", "en": "d MMM y"}


def _lang(lang: str) -> Lang:
    if lang not in _TEXT:
        raise ValueError(f"unsupported language {lang!r}; use 'nl' or 'en'")
    return lang  # type: ignore[return-value]


def format_number(value: Number, lang: str = "nl") -> str:
    """A number as people write it: ``27,4`` in Dutch, ``27.4`` in English. A number beyond
    Babel's decimal precision (stored before the form bounded them) is still shown."""
    try:
        return format_decimal(value, locale=_LOCALES[_lang(lang)])
    except (ArithmeticError, ValueError):
        return format_decimal(value, format="0.###E0", locale=_LOCALES[_lang(lang)])


def format_day(day: date, lang: str = "nl") -> str:
    """A date as ``12-03-2026`` (nl) or ``12 Mar 2026`` (en)."""
    return format_date(day, _DATE_FORMATS[_lang(lang)], locale=_LOCALES[_lang(lang)])


def _join(parts: list[str], word: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def _label(code: str, lang: Lang) -> str:
    kind = MEASUREMENTS[code]
    return kind.label_nl if lang == "nl" else kind.label_en


def _with_unit(value: Number, code: str, lang: Lang) -> str:
    unit = MEASUREMENTS[code].unit
    number = format_number(value, lang)
    return f"{number} {unit}" if unit else number


def _programme_name(code: str, lang: Lang, plain: bool = False) -> str:
    if plain:
        return _PLAIN_PROGRAMME_NAMES[lang].get(code, code)
    return _PROGRAMME_NAMES.get(lang, {}).get(code, code)


def describe(criterion: Criterion, lang: str = "nl", *, plain: bool = False) -> str:
    """Readable text, e.g. "BMI 25 of hoger en DM2 of CVRM" / "BMI 25 or higher and ...".

    ``plain`` is the patient's wording: programmes and activation levels in everyday words
    ("diabetes type 2" rather than "DM2").
    """
    text = _describe(criterion, _lang(lang), plain)
    return text[:1].upper() + text[1:]


def _describe(node: Criterion, lang: Lang, plain: bool = False) -> str:
    t = {**_TEXT[lang], **_PLAIN_TEXT[lang]} if plain else _TEXT[lang]
    match node:
        case AllOf(items) | AnyOf(items):
            word = t["and"] if isinstance(node, AllOf) else t["or"]
            return _join([_describe_child(item, node, lang, plain) for item in items], word)
        case Not(item):
            return t["not"].format(inner=_describe(item, lang, plain))
        case ProgrammeIn(programmes):
            names = _join([_programme_name(p, lang, plain) for p in programmes], t["or"])
            return t["has"].format(programmes=names) if plain else names
        case MeasurementCompare(code, op, value, by_sex):
            if by_sex is None:
                shown = _with_unit(value, code, lang)  # type: ignore[arg-type]
            else:
                limits = dict(by_sex)
                shown = t["by_sex"].format(
                    female=_with_unit(limits["female"], code, lang),
                    male=_with_unit(limits["male"], code, lang),
                )
            return t[op].format(label=_label(code, lang), value=shown)
        case Smoking(status):
            return t[status]
        case AgeBetween(low, high):
            key = "age_min" if high is None else "age_max" if low is None else "age_range"
            return t[key].format(low=low, high=high)
        case ActivationLevelIn(levels):
            return t["levels"].format(levels=_join([str(v) for v in levels], t["or"]))
    raise TypeError(f"not a criterion: {node!r}")


def _describe_child(child: Criterion, parent: AllOf | AnyOf, lang: Lang, plain: bool) -> str:
    text = _describe(child, lang, plain)
    # A group with the other connective needs brackets to keep its meaning.
    other = AnyOf if isinstance(parent, AllOf) else AllOf
    if isinstance(child, other) and len(child.items) > 1:
        return f"({text})"
    return text


# --- facts and evaluation -----------------------------------------------------------------
class Measurement(NamedTuple):
    """The latest value of one measurement and the local calendar date it was taken."""

    value: Number
    measured_at: date


@dataclass(frozen=True)
class PatientFacts:
    """What the engine knows about a patient on ``reference_date``.

    ``measurements`` maps a code to the latest ``Measurement`` (a plain ``(value, date)``
    tuple is accepted); an absent code or ``None`` means no measurement. A measurement older
    than ``max_measurement_age_days`` (overridden per code by ``max_age_days_by_code``)
    before ``reference_date`` counts as missing.
    """

    programmes: frozenset[str] = frozenset()
    age: int | None = None
    sex: str | None = None
    measurements: Mapping[str, Measurement | tuple[Number, date] | None] = field(
        default_factory=dict
    )
    smoking: str | None = None
    activation_level: int | None = None
    reference_date: date | None = None
    max_measurement_age_days: int | None = None
    max_age_days_by_code: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Programmes may come as any iterable (list of enrolment codes); keep a set.
        object.__setattr__(self, "programmes", frozenset(self.programmes))
        if self.smoking is not None and self.smoking not in SMOKING_STATUSES:
            raise ValueError(f"smoking must be one of {SMOKING_STATUSES} or None")
        if self.activation_level is not None and self.activation_level not in ACTIVATION_LEVELS:
            raise ValueError("activation_level must be 1-4 or None")
        if self.age is not None and self.age < 0:
            raise ValueError("age must not be negative")
        limits = [self.max_measurement_age_days, *self.max_age_days_by_code.values()]
        if any(v is not None for v in limits) and self.reference_date is None:
            raise ValueError("a maximum measurement age needs a reference_date")

    def max_age_days(self, code: str) -> int | None:
        return self.max_age_days_by_code.get(code, self.max_measurement_age_days)


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


Outcome: TypeAlias = Literal["eligible", "not_eligible", "unknown"]
_OUTCOMES: dict[Status, Outcome] = {
    Status.MET: "eligible",
    Status.NOT_MET: "not_eligible",
    Status.UNKNOWN: "unknown",
}

MissingKind: TypeAlias = Literal["measurement", "age", "sex", "smoking", "activation_level"]


@dataclass(frozen=True)
class MissingData:
    """A piece of data whose absence keeps the outcome unknown."""

    kind: MissingKind
    text: str  # e.g. "BMI (geen meting)"
    code: str | None = None  # measurement code, for kind "measurement"
    stale: bool = False  # a measurement exists but is too old


@dataclass(frozen=True)
class ExplanationLine:
    """One node of the criteria tree with its result; ``depth`` 0 is the whole rule."""

    depth: int
    criterion: str  # describe() of the node
    status: Status
    status_text: str  # "voldoet" / "met"
    value: str | None  # the data used, e.g. "BMI 27,4 (12-03-2026)"; None for all/any/not

    @property
    def text(self) -> str:
        """E.g. "BMI 27,4 (12-03-2026): voldoet"."""
        shown = self.value or self.criterion
        return f"{shown[:1].upper()}{shown[1:]}: {self.status_text}"


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome
    lines: tuple[ExplanationLine, ...]
    missing: tuple[MissingData, ...]

    @property
    def eligible(self) -> bool:
        return self.outcome == "eligible"


@dataclass
class _Node:
    status: Status
    line: ExplanationLine
    missing: list[MissingData]  # own missing data (leaves only)
    children: list[_Node]


def evaluate(criterion: Criterion, facts: PatientFacts, lang: str = "nl") -> Evaluation:
    """Decide eligibility with Kleene three-valued logic and explain each step.

    ``missing`` lists only data that could change the outcome: it is collected along the
    unknown branches, so it is empty when the outcome is decided (Kleene logic is monotone:
    filling in the blanks cannot change a decided node).
    """
    root = _evaluate(criterion, facts, _lang(lang), 0)
    lines: list[ExplanationLine] = []
    _collect_lines(root, lines)
    missing: dict[tuple[str, str | None], MissingData] = {}
    _collect_missing(root, missing)
    return Evaluation(_OUTCOMES[root.status], tuple(lines), tuple(missing.values()))


def _collect_lines(node: _Node, out: list[ExplanationLine]) -> None:
    out.append(node.line)
    for child in node.children:
        _collect_lines(child, out)


def _collect_missing(node: _Node, out: dict[tuple[str, str | None], MissingData]) -> None:
    if node.status is not Status.UNKNOWN:
        return
    for item in node.missing:
        out.setdefault((item.kind, item.code), item)
    for child in node.children:
        _collect_missing(child, out)


def _kleene_all(statuses: list[Status]) -> Status:
    if Status.NOT_MET in statuses:
        return Status.NOT_MET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.MET


def _kleene_any(statuses: list[Status]) -> Status:
    if Status.MET in statuses:
        return Status.MET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.NOT_MET


_NEGATE = {Status.MET: Status.NOT_MET, Status.NOT_MET: Status.MET, Status.UNKNOWN: Status.UNKNOWN}


def _status(ok: bool) -> Status:
    return Status.MET if ok else Status.NOT_MET


def _evaluate(node: Criterion, facts: PatientFacts, lang: Lang, depth: int) -> _Node:
    t = _TEXT[lang]
    children: list[_Node] = []
    missing: list[MissingData] = []
    value: str | None = None
    match node:
        case AllOf(items) | AnyOf(items):
            children = [_evaluate(item, facts, lang, depth + 1) for item in items]
            combine = _kleene_all if isinstance(node, AllOf) else _kleene_any
            status = combine([child.status for child in children])
        case Not(item):
            children = [_evaluate(item, facts, lang, depth + 1)]
            status = _NEGATE[children[0].status]
        case ProgrammeIn(programmes):
            status = _status(bool(facts.programmes & set(programmes)))
            # Show enrolments in the canonical programme order for a stable text.
            known = sorted(facts.programmes, key=lambda p: (p not in PROGRAMMES, _order(p)))
            names = ", ".join(_programme_name(p, lang) for p in known)
            key = "programme" if len(known) == 1 else "programmes"
            value = t[key].format(programmes=names) if known else t["no_programmes"]
        case MeasurementCompare():
            status, value, missing = _evaluate_measurement(node, facts, lang)
        case Smoking(wanted):
            if facts.smoking is None:
                status, value = Status.UNKNOWN, t["smoking_unknown"]
                missing = [MissingData("smoking", t["missing_smoking"])]
            else:
                status, value = _status(facts.smoking == wanted), t[facts.smoking]
        case AgeBetween(low, high):
            if facts.age is None:
                status, value = Status.UNKNOWN, t["age_unknown"]
                missing = [MissingData("age", t["missing_age"])]
            else:
                above = low is None or facts.age >= low
                below = high is None or facts.age <= high
                status, value = _status(above and below), t["age"].format(age=facts.age)
        case ActivationLevelIn(levels):
            if facts.activation_level is None:
                status, value = Status.UNKNOWN, t["level_unknown"]
                missing = [MissingData("activation_level", t["missing_activation_level"])]
            else:
                status = _status(facts.activation_level in levels)
                value = t["level"].format(level=facts.activation_level)
        case _:
            raise TypeError(f"not a criterion: {node!r}")
    text = _describe(node, lang)
    line = ExplanationLine(depth, text[:1].upper() + text[1:], status, t[status.value], value)
    return _Node(status, line, missing, children)


def _order(code: str) -> int | str:
    return PROGRAMMES.index(code) if code in PROGRAMMES else code


def _as_day(moment: date) -> date:
    # A datetime is a date subclass but cannot be subtracted from a date.
    return moment.date() if isinstance(moment, datetime) else moment


def _evaluate_measurement(
    node: MeasurementCompare, facts: PatientFacts, lang: Lang
) -> tuple[Status, str, list[MissingData]]:
    t = _TEXT[lang]
    label = _label(node.code, lang)
    thresholds = node.thresholds()
    sex = facts.sex or ""
    if node.value is not None:
        limits = [node.value]
    elif sex in thresholds:
        limits = [thresholds[sex]]
    else:
        limits = list(thresholds.values())
    # Without a known sex the result may still be decided when every threshold agrees.
    sex_missing = [MissingData("sex", t["missing_sex"])] if len(set(limits)) > 1 else []
    raw = facts.measurements.get(node.code)
    if raw is None:
        missing = [
            MissingData("measurement", t["missing_measurement"].format(label=label), node.code)
        ]
        return Status.UNKNOWN, t["not_measured"].format(label=label), missing + sex_missing
    measured = Measurement(*raw)
    day = _as_day(measured.measured_at)
    shown = {
        "label": label,
        "value": _with_unit(measured.value, node.code, lang),
        "date": format_day(day, lang),
    }
    max_days = facts.max_age_days(node.code)
    reference = facts.reference_date  # set whenever a max age is (checked in PatientFacts)
    if max_days is not None and reference is not None and (reference - day).days > max_days:
        text = t["missing_stale"].format(label=label, date=shown["date"])
        missing = [MissingData("measurement", text, node.code, stale=True)]
        return Status.UNKNOWN, t["too_old"].format(**shown), missing + sex_missing
    compare = OPERATORS[node.op]
    results = {compare(measured.value, limit) for limit in limits}
    value = t["measured"].format(**shown)
    if node.value_by_sex is not None and sex in thresholds:
        value = t["with_sex"].format(text=value, sex=t[sex])
    if len(results) > 1:
        return Status.UNKNOWN, t["sex_unknown"].format(text=value), sex_missing
    return _status(results.pop()), value, []
