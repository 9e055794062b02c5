"""Measurement types a goal target can use: the one list in the care plan.

Codes and units are those of the shared ``measurement`` table (UCUM units). The lead will
later point this at the telemonitoring type catalogue; until then it lives here only.
"""

from __future__ import annotations

from dataclasses import dataclass

from zelfzorg.errors import N_


@dataclass(frozen=True)
class TargetType:
    code: str
    label: str  # Dutch msgid
    unit: str  # UCUM, as stored on measurements
    display_unit: str  # what people read and may type


MEASUREMENT_TYPES: dict[str, TargetType] = {
    t.code: t
    for t in (
        TargetType("bp_systolic", N_("Bovendruk (bloeddruk)"), "mm[Hg]", "mmHg"),
        TargetType("bp_diastolic", N_("Onderdruk (bloeddruk)"), "mm[Hg]", "mmHg"),
        TargetType("weight", N_("Gewicht"), "kg", "kg"),
        TargetType("bmi", N_("BMI"), "kg/m2", "kg/m²"),
        TargetType("hba1c", N_("HbA1c"), "mmol/mol", "mmol/mol"),
        TargetType("glucose_fasting", N_("Nuchtere bloedsuiker"), "mmol/L", "mmol/L"),
        TargetType("steps", N_("Stappen per dag"), "/d", "stappen per dag"),
        TargetType("waist", N_("Buikomvang"), "cm", "cm"),
        TargetType("peak_flow", N_("Piekstroom"), "L/min", "L/min"),
        TargetType("spo2", N_("Zuurstof in het bloed"), "%", "%"),
    )
}


def normalise_unit(code: str, unit: str) -> str | None:
    """The UCUM unit for ``unit`` typed for measurement type ``code``; None if it does not fit."""
    kind = MEASUREMENT_TYPES.get(code)
    if kind is None:
        return None
    typed = unit.strip().lower().replace(" ", "")
    accepted = {kind.unit.lower().replace(" ", ""), kind.display_unit.lower().replace(" ", "")}
    if code == "steps":
        accepted |= {"stappen", "stappen/dag", "/dag", "perdag"}
    return kind.unit if typed in accepted else None


def display_unit(unit: str | None) -> str:
    for kind in MEASUREMENT_TYPES.values():
        if kind.unit == unit:
            return kind.display_unit
    return unit or ""
