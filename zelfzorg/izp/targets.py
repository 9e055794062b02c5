"""Measurement types a goal target can use, taken from the telemonitoring type catalogue.

Codes and UCUM units are those of the shared ``measurement`` table, so progress against a
target is computed from the same rows the patient enters or a device sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from zelfzorg.telemonitoring.types import load_types
from zelfzorg.texts import Text, is_english

# The catalogue types that make sense as a personal goal target, in the order offered.
TARGET_CODES = (
    "bp_systolic", "bp_diastolic", "weight", "bmi", "hba1c", "glucose_fasting", "steps",
    "waist", "peak_flow", "spo2",
)  # fmt: skip


@dataclass(frozen=True)
class TargetType:
    code: str
    name: Text  # nl and en
    unit: str  # UCUM, as stored on measurements
    display_units: tuple[str, ...]  # what people read and may type (nl, en)

    @property
    def display_unit(self) -> str:
        return self.display_units[0]

    def label(self, lang: str = "nl") -> str:
        return self.name.get(lang)


def _target_types() -> dict[str, TargetType]:
    catalogue = load_types()
    types = {}
    for code in TARGET_CODES:
        kind = catalogue[code]
        assert kind.unit is not None, f"{code} is not a quantity"
        units = tuple(dict.fromkeys((kind.unit_label("nl"), kind.unit_label("en"))))
        types[code] = TargetType(code, kind.name, kind.unit, units)
    return types


MEASUREMENT_TYPES: dict[str, TargetType] = _target_types()


def _squash(text: str) -> str:
    return text.strip().lower().replace(" ", "")


def normalise_unit(code: str, unit: str) -> str | None:
    """The UCUM unit for ``unit`` typed for measurement type ``code``; None if it does not fit."""
    kind = MEASUREMENT_TYPES.get(code)
    if kind is None:
        return None
    accepted = {_squash(kind.unit), *(_squash(u) for u in kind.display_units)}
    if code == "steps":
        accepted |= {"/d", "stappen/dag", "/dag", "perdag", "steps/day"}
    return kind.unit if _squash(unit) in accepted else None


def display_unit(unit: str | None, lang: str = "nl") -> str:
    """The unit as people write it in ``lang`` ("stappen" / "steps" for "{steps}")."""
    for kind in MEASUREMENT_TYPES.values():
        if kind.unit == unit:
            return kind.display_units[-1] if is_english(lang) else kind.display_unit
    return unit or ""
