"""The criterion tree: node types, the measurements and values a criterion may name, and
the parse error messages."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeAlias

from zelfzorg.errors import N_

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
COMPANIONS: dict[str, frozenset[str]] = {
    "all": frozenset(),
    "any": frozenset(),
    "not": frozenset(),
    "programme_in": frozenset(),
    "measurement": frozenset({"op", "value", "value_by_sex"}),
    "smoking": frozenset(),
    "age_between": frozenset(),
    "activation_level_in": frozenset(),
}


KINDS: tuple[str, ...] = tuple(COMPANIONS)
