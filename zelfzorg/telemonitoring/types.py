"""Measurement types as data: ``data/measurement_types.yaml`` validated into frozen dataclasses.

``load_types()`` returns every type by code, ``get_type(code)`` one of them. A care group may
load its own file with ``load_types(path)``; a file that is wrong is refused as a whole with a
``CatalogError`` naming the place of the mistake, never half-loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import yaml

from zelfzorg.errors import N_, NotFound
from zelfzorg.texts import Text, is_english, localize_params

Comparator = Literal["<", "<=", ">", ">=", "between"]
COMPARATORS: tuple[str, ...] = get_args(Comparator)
ValueKind = Literal["quantity", "coded"]
# The kinds of unit mix-up plausibility.py knows how to convert and explain.
CONFUSION_KINDS = ("glucose_mg_dl", "hba1c_percent", "height_metres")
FORMULAS = ("bmi",)
COMPARATOR_SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


class CatalogError(ValueError):
    """The measurement type file is invalid (a configuration error, not a user error)."""


def _decimal_mark(text: str, lang: str) -> str:
    return text if is_english(lang) else text.replace(".", ",")


def format_number(value: float, decimals: int, lang: str = "nl") -> str:
    """``7.0`` with one decimal: "7,0" in Dutch, "7.0" in English."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]  # -0.0 after rounding reads as an error to people
    return _decimal_mark(text, lang)


def format_plain(value: float, lang: str = "nl") -> str:
    """A number as typed (no padding decimals): 126 -> "126", 7.25 -> "7,25" in Dutch."""
    text = str(int(value)) if float(value).is_integer() else repr(float(value))
    return _decimal_mark(text, lang)


def render_message(
    message: str,
    params: Mapping[str, object],
    lang: str = "nl",
    translate: Callable[[str], str] | None = None,
) -> str:
    """``translate(message) % params`` with ``Text`` params in ``lang`` (views pass gettext)."""
    template = translate(message) if translate is not None else message
    localized = localize_params(params, lang)
    return template % localized if localized else template


@dataclass(frozen=True)
class CodedOption:
    code: str
    label: Text


@dataclass(frozen=True)
class PlausibleRange:
    """Inclusive range of physically possible values."""

    min: float
    max: float

    def contains(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class TargetSpec:
    """A default target as written in the data file (rules.Target is the working form)."""

    comparator: Comparator
    low: float | None
    high: float | None
    source: Text


@dataclass(frozen=True)
class Threshold:
    """One side of the urgent range: ``value < 90`` or ``value >= 180``."""

    comparator: Comparator
    value: float

    def is_beyond(self, value: float) -> bool:
        match self.comparator:
            case "<":
                return value < self.value
            case "<=":
                return value <= self.value
            case ">":
                return value > self.value
            case ">=":
                return value >= self.value
        raise ValueError(f"threshold comparator {self.comparator!r} has no single bound")


@dataclass(frozen=True)
class UrgentThresholds:
    low: Threshold | None
    high: Threshold | None


@dataclass(frozen=True)
class Derivation:
    """A computed type: ``formula`` over the latest value of each input, when ``trigger`` is
    recorded (BMI from a new weight and the latest height)."""

    formula: str
    inputs: tuple[str, ...]
    trigger: str


@dataclass(frozen=True)
class UnitConfusion:
    """Out-of-range values between min and max are probably typed in another unit."""

    kind: str
    min: float | None
    max: float | None

    def covers(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class JumpRule:
    """Warn when a value moves more than ``max_change`` per ``per_days`` from the previous."""

    max_change: float
    per_days: float


@dataclass(frozen=True)
class Panel:
    """Several types entered as one reading (BP: systolic and diastolic)."""

    code: str
    loinc: str | None
    name: Text
    members: tuple[str, ...]


@dataclass(frozen=True)
class MeasurementType:
    code: str
    loinc: str | None
    name: Text
    kind: ValueKind = "quantity"
    unit: str | None = None
    display_unit: Text | None = None
    decimals: int = 0
    plausible: PlausibleRange | None = None
    target: TargetSpec | None = None
    urgent: UrgentThresholds | None = None
    options: tuple[CodedOption, ...] = ()
    loinc_aliases: tuple[str, ...] = ()
    derived: Derivation | None = None
    entered_with: str | None = None
    unit_confusion: UnitConfusion | None = None
    jump: JumpRule | None = None

    @property
    def is_quantity(self) -> bool:
        return self.kind == "quantity"

    def label(self, lang: str = "nl") -> str:
        return self.name.get(lang)

    def unit_label(self, lang: str = "nl") -> str:
        return self.display_unit.get(lang) if self.display_unit else ""

    def option(self, code: str) -> CodedOption | None:
        return next((o for o in self.options if o.code == code), None)

    def format_value(self, value: float | str, lang: str = "nl", *, unit: bool = True) -> str:
        """A stored value for people: "7,0 mmol/L", "Nooit gerookt"."""
        if not self.is_quantity:
            option = self.option(str(value))
            return option.label.get(lang) if option else str(value)
        text = format_number(float(value), self.decimals, lang)
        return f"{text} {self.unit_label(lang)}" if unit and self.display_unit else text

    def quantity_text(self, value: float, *, unit: bool = True) -> Text:
        """``format_value`` in both languages, for message params."""
        return Text(
            nl=self.format_value(value, "nl", unit=unit),
            en=self.format_value(value, "en", unit=unit),
        )


# --- loading -------------------------------------------------------------------------------


_TYPE_KEYS = {
    "code", "loinc", "loinc_aliases", "name", "kind", "unit", "display_unit", "decimals",
    "plausible", "target", "urgent", "options", "derived", "entered_with", "unit_confusion",
    "jump",
}  # fmt: skip
_QUANTITY_ONLY = (
    "unit", "display_unit", "plausible", "target", "urgent", "derived", "unit_confusion", "jump"
)  # fmt: skip


class _Node:
    """A mapping from the YAML file that knows where it is, for precise error messages."""

    def __init__(self, data: object, where: str, allowed: set[str] | None = None) -> None:
        if not isinstance(data, dict):
            raise CatalogError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.where = where
        if allowed is not None and (unknown := set(data) - allowed):
            raise CatalogError(f"{where}: unknown key(s) {sorted(unknown)}")

    def fail(self, key: str, reason: str) -> CatalogError:
        return CatalogError(f"{self.where}.{key}: {reason}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def node(self, key: str, allowed: set[str]) -> _Node:
        return _Node(self.data.get(key), f"{self.where}.{key}", allowed)

    def string(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty string")
        return value

    def optional_string(self, key: str) -> str | None:
        return self.string(key) if self.has(key) else None

    def number(self, key: str) -> float:
        value = self.data.get(key)
        # bool is an int in Python, but `true` as a number is a typo in the file.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "expected a number")
        if not math.isfinite(value):
            raise self.fail(key, "expected a finite number")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        return self.number(key) if self.has(key) else None

    def choice(self, key: str, choices: tuple[str, ...]) -> Any:
        value = self.data.get(key)
        if value not in choices:
            raise self.fail(key, f"expected one of {choices}")
        return value

    def text(self, key: str) -> Text:
        value = self.data.get(key)
        if isinstance(value, str) and value.strip():
            return Text.same(value)
        node = _Node(value, f"{self.where}.{key}", {"nl", "en"})
        return Text(nl=node.string("nl"), en=node.string("en"))

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "expected a list of strings")
        if len(set(value)) != len(value):
            raise self.fail(key, "contains duplicates")
        return tuple(value)


def _parse_target(parent: _Node) -> TargetSpec:
    node = parent.node("target", {"comparator", "value", "low", "high", "source"})
    comparator: Comparator = node.choice("comparator", COMPARATORS)
    low: float | None
    high: float | None
    if comparator == "between":
        if node.has("value"):
            raise node.fail("value", "use low and high with 'between'")
        low, high = node.number("low"), node.number("high")
        if low >= high:
            raise node.fail("low", "must be below high")
    else:
        if node.has("low") or node.has("high"):
            raise node.fail("value", f"use value (not low/high) with {comparator!r}")
        value = node.number("value")
        low, high = (None, value) if comparator in ("<", "<=") else (value, None)
    return TargetSpec(comparator=comparator, low=low, high=high, source=node.text("source"))


def _parse_threshold(parent: _Node, side: str) -> Threshold | None:
    if not parent.has(side):
        return None
    node = parent.node(side, {"comparator", "value"})
    comparator = node.choice("comparator", ("<", "<=") if side == "low" else (">", ">="))
    return Threshold(comparator=comparator, value=node.number("value"))


def _parse_urgent(parent: _Node) -> UrgentThresholds:
    node = parent.node("urgent", {"low", "high"})
    low, high = _parse_threshold(node, "low"), _parse_threshold(node, "high")
    if low is None and high is None:
        raise parent.fail("urgent", "needs low, high or both")
    if low is not None and high is not None and low.value >= high.value:
        raise node.fail("low", "must be below high")
    return UrgentThresholds(low=low, high=high)


def _parse_options(node: _Node) -> tuple[CodedOption, ...]:
    options = node.data.get("options")
    if not isinstance(options, list) or not options:
        raise node.fail("options", "a coded type needs a list of options")
    parsed = []
    for i, raw_option in enumerate(options):
        option = _Node(raw_option, f"{node.where}.options[{i}]", {"code", "label"})
        parsed.append(CodedOption(code=option.string("code"), label=option.text("label")))
    if len({o.code for o in parsed}) != len(parsed):
        raise node.fail("options", "codes must be unique")
    return tuple(parsed)


def _parse_type(raw: object, index: int) -> MeasurementType:
    node = _Node(raw, f"types[{index}]", _TYPE_KEYS)
    code = node.string("code")
    node.where = f"types[{index}] ({code})"
    kind: ValueKind = node.choice("kind", get_args(ValueKind)) if node.has("kind") else "quantity"
    if "loinc" not in node.data:
        raise node.fail("loinc", "is required (write null when there is no code)")
    common: dict[str, Any] = {
        "code": code,
        "loinc": node.optional_string("loinc"),
        "loinc_aliases": node.strings("loinc_aliases"),
        "name": node.text("name"),
        "kind": kind,
        "entered_with": node.optional_string("entered_with"),
    }
    if kind == "coded":
        if misplaced := [k for k in _QUANTITY_ONLY if node.has(k)]:
            raise node.fail(misplaced[0], "only applies to quantity types")
        return MeasurementType(**common, options=_parse_options(node))

    if node.has("options"):
        raise node.fail("options", "only applies to coded types")
    decimals = node.data.get("decimals")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 3:
        raise node.fail("decimals", "expected a whole number from 0 to 3")
    range_node = node.node("plausible", {"min", "max"})
    plausible = PlausibleRange(min=range_node.number("min"), max=range_node.number("max"))
    if plausible.min >= plausible.max:
        raise range_node.fail("min", "must be below max")
    if "target" not in node.data:
        raise node.fail("target", "is required (write null when no general target applies)")

    mtype = MeasurementType(
        **common,
        unit=node.string("unit"),
        display_unit=node.text("display_unit"),
        decimals=decimals,
        plausible=plausible,
        target=_parse_target(node) if node.has("target") else None,
        urgent=_parse_urgent(node) if node.has("urgent") else None,
        derived=_parse_derived(node) if node.has("derived") else None,
        unit_confusion=_parse_confusion(node) if node.has("unit_confusion") else None,
        jump=_parse_jump(node) if node.has("jump") else None,
    )
    _check_inside_plausible(node, mtype)
    return mtype


def _parse_derived(parent: _Node) -> Derivation:
    node = parent.node("derived", {"formula", "inputs", "trigger"})
    formula = node.choice("formula", FORMULAS)
    inputs, trigger = node.strings("inputs"), node.string("trigger")
    if trigger not in inputs:
        raise node.fail("trigger", "must be one of the inputs")
    return Derivation(formula=formula, inputs=inputs, trigger=trigger)


def _parse_confusion(parent: _Node) -> UnitConfusion:
    node = parent.node("unit_confusion", {"kind", "min", "max"})
    kind = node.choice("kind", CONFUSION_KINDS)
    low, high = node.optional_number("min"), node.optional_number("max")
    if low is not None and high is not None and low >= high:
        raise node.fail("min", "must be below max")
    return UnitConfusion(kind=kind, min=low, max=high)


def _parse_jump(parent: _Node) -> JumpRule:
    node = parent.node("jump", {"max_change", "per_days"})
    rule = JumpRule(max_change=node.number("max_change"), per_days=node.number("per_days"))
    if rule.max_change <= 0 or rule.per_days <= 0:
        raise node.fail("max_change", "max_change and per_days must be positive")
    return rule


def _check_inside_plausible(node: _Node, mtype: MeasurementType) -> None:
    """A target or threshold no reading can reach is a mistake in the file."""
    if mtype.plausible is None:
        return
    bounds: list[tuple[str, float | None]] = []
    if mtype.target:
        bounds += [("target", mtype.target.low), ("target", mtype.target.high)]
    if mtype.urgent:
        for side in (mtype.urgent.low, mtype.urgent.high):
            bounds.append(("urgent", side.value if side else None))
    for key, value in bounds:
        if value is not None and not mtype.plausible.contains(value):
            raise node.fail(key, f"{value} lies outside the plausible range")


@dataclass(frozen=True)
class Catalog:
    """Everything the type file defines, by code; the raw document is kept for rules.py."""

    types: Mapping[str, MeasurementType]
    panels: Mapping[str, Panel]
    document: Mapping[str, Any]
    #: Each LOINC code (a type's own or an alias) to the first type in file order that has it.
    by_loinc: Mapping[str, MeasurementType] = field(default_factory=lambda: MappingProxyType({}))


def _default_path() -> Path:
    return Path(str(resources.files("zelfzorg.telemonitoring") / "data" / "measurement_types.yaml"))


def _build_catalog(document: object) -> Catalog:
    root = _Node(document, "measurement_types", {"version", "panels", "types", "alert_rules"})
    if root.data.get("version") != 1:
        raise root.fail("version", "expected 1")
    raw_types = root.data.get("types")
    if not isinstance(raw_types, list) or not raw_types:
        raise root.fail("types", "expected a non-empty list")
    types: dict[str, MeasurementType] = {}
    for index, raw in enumerate(raw_types):
        mtype = _parse_type(raw, index)
        if mtype.code in types:
            raise CatalogError(f"types[{index}]: duplicate code {mtype.code!r}")
        types[mtype.code] = mtype

    loincs: dict[str, str] = {}
    for mtype in types.values():
        for loinc in (mtype.loinc, *mtype.loinc_aliases):
            if loinc is not None and loincs.setdefault(loinc, mtype.code) != mtype.code:
                raise CatalogError(f"LOINC {loinc} is used by {loincs[loinc]} and {mtype.code}")
        if mtype.derived:
            for code in mtype.derived.inputs:
                if code not in types or not types[code].is_quantity:
                    raise CatalogError(f"{mtype.code}.derived: unknown quantity type {code!r}")

    raw_panels = root.data.get("panels") or {}
    if not isinstance(raw_panels, dict):
        raise root.fail("panels", "expected a mapping")
    panels: dict[str, Panel] = {}
    for code, raw in raw_panels.items():
        node = _Node(raw, f"panels.{code}", {"loinc", "name"})
        members = tuple(t.code for t in types.values() if t.entered_with == code)
        if len(members) < 2:
            raise CatalogError(f"panels.{code}: needs at least two types entered with it")
        loinc = node.optional_string("loinc")
        if loinc is not None and loinc in loincs:
            raise CatalogError(f"panels.{code}: LOINC {loinc} is already used by a type")
        panels[code] = Panel(code=code, loinc=loinc, name=node.text("name"), members=members)
    for mtype in types.values():
        if mtype.entered_with is not None and mtype.entered_with not in panels:
            raise CatalogError(f"{mtype.code}.entered_with: unknown panel {mtype.entered_with!r}")
    by_loinc: dict[str, MeasurementType] = {}
    for mtype in types.values():
        for loinc in (mtype.loinc, *mtype.loinc_aliases):
            if loinc:
                by_loinc.setdefault(loinc, mtype)
    return Catalog(
        types=MappingProxyType(types),
        panels=MappingProxyType(panels),
        document=root.data,
        by_loinc=MappingProxyType(by_loinc),
    )


@cache
def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and validate the type file once (the default file when ``path`` is None)."""
    source = Path(path) if path is not None else _default_path()
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source.name}: not valid YAML: {exc}") from exc
    return _build_catalog(document)


def load_types(path: str | Path | None = None) -> Mapping[str, MeasurementType]:
    """All measurement types by code, in file order (read-only)."""
    return load_catalog(path).types


def get_type(code: str) -> MeasurementType:
    """One type of the default file; an unknown code is ``NotFound`` (it may come from a URL)."""
    try:
        return load_types()[code]
    except KeyError:
        raise NotFound(N_("Onbekend meettype: %(code)s."), field="type", code=code) from None


def get_panel(code: str) -> Panel:
    try:
        return load_catalog().panels[code]
    except KeyError:
        raise NotFound(N_("Onbekend meettype: %(code)s."), field="type", code=code) from None


def type_for_loinc(loinc: str) -> MeasurementType | None:
    """The type a LOINC code (its own or an alias) imports into, for CSV/FHIR import (the
    catalogue's index: an import asks for every row)."""
    return load_catalog(None).by_loinc.get(loinc)  # the same cached catalogue as load_types()
