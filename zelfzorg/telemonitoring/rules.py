"""Targets and alert rules: which target applies, and when readings call for an alert.

Alert rules are data (the ``alert_rules`` section of the type file), expanded here to one
``AlertRule`` per rule and type. The evaluators are pure: the database layer feeds them the
reading(s), stores what they find, and keeps one open alert per ``dedup_key`` and patient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, cast, get_args

from zelfzorg.errors import N_, ValidationError
from zelfzorg.telemonitoring.types import (
    COMPARATOR_SYMBOLS,
    COMPARATORS,
    CatalogError,
    Comparator,
    MeasurementType,
    Text,
    Threshold,
    format_number,
    is_english,
    load_catalog,
    render_message,
)

TargetSource = Literal["default", "personal"]
AlertKind = Literal["urgent", "trend"]


@dataclass(frozen=True, kw_only=True)
class Target:
    """A target range for one type: ``value < high``, ``value >= low``, ``low <= value <= high``.

    ``<``/``<=`` use only ``high``, ``>``/``>=`` only ``low``, ``between`` both (inclusive).
    ``unit`` is the UCUM code of the type; ``unit_label`` and ``decimals`` are for ``text``.
    """

    comparator: Comparator
    low: float | None = None
    high: float | None = None
    unit: str
    source: TargetSource = "personal"
    unit_label: Text | None = None
    decimals: int = 1
    note: Text | None = None

    def __post_init__(self) -> None:
        if self.comparator not in COMPARATORS:
            raise ValidationError(
                N_("Kies hoe de waarde zich verhoudt tot het streefdoel: <, ≤, >, ≥ of tussen."),
                field="comparator",
            )
        needed = {
            "<": ("high",),
            "<=": ("high",),
            ">": ("low",),
            ">=": ("low",),
            "between": ("low", "high"),
        }[self.comparator]
        for name in ("low", "high"):
            bound = getattr(self, name)
            if name not in needed and bound is not None:
                raise ValueError(f"a {self.comparator!r} target has no {name} bound")
            if name in needed and (bound is None or not math.isfinite(bound)):
                raise ValidationError(N_("Vul een streefwaarde in."), field=name)
        low, high = self.low, self.high
        if self.comparator == "between" and low is not None and high is not None and low >= high:
            raise ValidationError(
                N_("De ondergrens moet lager zijn dan de bovengrens."), field="low"
            )
        if self.source not in get_args(TargetSource):
            raise ValueError(f"unknown target source {self.source!r}")

    def is_met(self, value: float) -> bool:
        # The unused side is open: -inf/inf keep one comparison per comparator.
        low = self.low if self.low is not None else -math.inf
        high = self.high if self.high is not None else math.inf
        match self.comparator:
            case "<":
                return value < high
            case "<=":
                return value <= high
            case ">":
                return value > low
            case ">=":
                return value >= low
        return low <= value <= high

    def text(self, lang: str = "nl") -> str:
        """ "< 140 mmHg", "tussen 4,5 en 8,0 mmol/L" / "between 4.5 and 8.0 mmol/L"."""
        unit = self.unit_label.get(lang) if self.unit_label else self.unit
        suffix = f" {unit}" if unit else ""

        def number(value: float | None) -> str:
            return format_number(value or 0.0, self.decimals, lang)

        if self.comparator == "between":
            template = "between {} and {}" if is_english(lang) else "tussen {} en {}"
            return template.format(number(self.low), number(self.high)) + suffix
        bound = self.high if self.comparator in ("<", "<=") else self.low
        return f"{COMPARATOR_SYMBOLS[self.comparator]} {number(bound)}{suffix}"

    def as_text(self) -> Text:
        return Text(nl=self.text("nl"), en=self.text("en"))


def make_target(
    mtype: MeasurementType,
    comparator: str,
    *,
    low: float | None = None,
    high: float | None = None,
    source: TargetSource = "personal",
    note: Text | None = None,
) -> Target:
    """A target for ``mtype`` in its unit; refuses bounds no reading could ever reach."""
    if not mtype.is_quantity or mtype.plausible is None or mtype.unit is None:
        raise ValidationError(
            N_("Voor dit meettype kunt u geen streefwaarde instellen."), field="comparator"
        )
    target = Target(
        comparator=cast(Comparator, comparator),  # Target refuses an unknown one
        low=low,
        high=high,
        unit=mtype.unit,
        source=source,
        unit_label=mtype.display_unit,
        decimals=mtype.decimals,
        note=note,
    )
    plausible = mtype.plausible
    for name, bound in (("low", target.low), ("high", target.high)):
        if bound is not None and not plausible.contains(bound):
            raise ValidationError(
                N_("Een streefwaarde moet tussen %(min)s en %(max)s %(unit)s liggen."),
                field=name,
                min=mtype.quantity_text(plausible.min, unit=False),
                max=mtype.quantity_text(plausible.max, unit=False),
                unit=mtype.display_unit,
            )
    return target


def default_target(mtype: MeasurementType) -> Target | None:
    """The zorgstandaard default of the type file, or None where none applies."""
    spec = mtype.target
    if spec is None:
        return None
    return make_target(
        mtype, spec.comparator, low=spec.low, high=spec.high, source="default", note=spec.source
    )


def effective_target(mtype: MeasurementType, personal: Target | None) -> Target | None:
    """The personal target from the plan wins over the default of the type."""
    if personal is None:
        return default_target(mtype)
    if personal.unit != mtype.unit:
        raise ValidationError(
            N_(
                "Het streefdoel heeft een andere eenheid (%(unit)s) dan het meettype "
                "(%(expected)s)."
            ),
            field="unit",
            unit=personal.unit,
            expected=mtype.unit,
        )
    return personal


# --- alert rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRule:
    """One rule applied to one type. ``trend``: at least ``min_off_target`` of the last
    ``window`` readings do not meet the target."""

    code: str
    kind: AlertKind
    type_code: str
    name: Text
    window: int = 1
    min_off_target: int = 1


@dataclass(frozen=True, kw_only=True)
class AlertFinding:
    rule_code: str
    type_code: str
    severity: AlertKind
    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        """Same rule, same type: the same open alert (the patient is the DB layer's part)."""
        return f"{self.rule_code}:{self.type_code}"

    def render(self, lang: str = "nl", translate: Callable[[str], str] | None = None) -> str:
        return render_message(self.message, self.params, lang, translate)


_RULE_KEYS = {"code", "kind", "name", "types", "window", "min_off_target"}


def _int(raw: Mapping[str, object], key: str, where: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogError(f"{where}.{key}: expected a whole number of at least 1")
    return value


def _parse_rule(raw: object, index: int, types: Mapping[str, MeasurementType]) -> list[AlertRule]:
    where = f"alert_rules[{index}]"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a mapping")
    if unknown := set(raw) - _RULE_KEYS:
        raise CatalogError(f"{where}: unknown key(s) {sorted(unknown)}")
    code, kind, name = raw.get("code"), raw.get("kind"), raw.get("name")
    if not isinstance(code, str) or not code:
        raise CatalogError(f"{where}.code: expected a non-empty string")
    if kind not in get_args(AlertKind):
        raise CatalogError(f"{where}.kind: expected one of {get_args(AlertKind)}")
    if not (isinstance(name, dict) and set(name) == {"nl", "en"}):
        raise CatalogError(f"{where}.name: expected nl and en texts")
    window = min_off = 1
    if kind == "trend":
        window, min_off = _int(raw, "window", where), _int(raw, "min_off_target", where)
        if min_off > window:
            raise CatalogError(f"{where}.min_off_target: cannot exceed window")
    elif "window" in raw or "min_off_target" in raw:
        raise CatalogError(f"{where}: window and min_off_target are for trend rules")
    type_codes = raw.get("types")
    if not isinstance(type_codes, list) or not type_codes:
        raise CatalogError(f"{where}.types: expected a non-empty list of type codes")
    rules = []
    for type_code in type_codes:
        mtype = types.get(type_code)
        if mtype is None or not mtype.is_quantity:
            raise CatalogError(f"{where}.types: {type_code!r} is not a quantity type")
        if kind == "urgent" and mtype.urgent is None:
            raise CatalogError(f"{where}.types: {type_code!r} has no urgent thresholds")
        rules.append(
            AlertRule(
                code=code,
                kind=kind,
                type_code=type_code,
                name=Text(nl=str(name["nl"]), en=str(name["en"])),
                window=window,
                min_off_target=min_off,
            )
        )
    return rules


@cache
def load_alert_rules(path: str | Path | None = None) -> tuple[AlertRule, ...]:
    """Every rule per type, from the type file; at most one rule per kind and type."""
    catalog = load_catalog(path)
    raw_rules = catalog.document.get("alert_rules") or []
    if not isinstance(raw_rules, list):
        raise CatalogError("alert_rules: expected a list")
    rules = [rule for i, raw in enumerate(raw_rules) for rule in _parse_rule(raw, i, catalog.types)]
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        if (rule.kind, rule.type_code) in seen:
            raise CatalogError(f"alert_rules: two {rule.kind} rules for {rule.type_code!r}")
        seen.add((rule.kind, rule.type_code))
    # Thresholds without a rule would be silently ignored: that is a mistake in the file.
    for mtype in catalog.types.values():
        if mtype.urgent is not None and ("urgent", mtype.code) not in seen:
            raise CatalogError(f"alert_rules: {mtype.code!r} has thresholds but no urgent rule")
    return tuple(rules)


def rule_for(
    type_code: str, kind: AlertKind, *, path: str | Path | None = None
) -> AlertRule | None:
    """The rule of ``kind`` that applies to the type, if any."""
    return next(
        (r for r in load_alert_rules(path) if r.type_code == type_code and r.kind == kind), None
    )


def evaluate_urgent(
    mtype: MeasurementType, value: float, *, rule: AlertRule | None = None
) -> AlertFinding | None:
    """An urgent finding when one reading is beyond a threshold of its type, else None.

    ``rule`` defaults to the urgent rule of the default type file for this type.
    """
    rule = rule if rule is not None else rule_for(mtype.code, "urgent")
    if rule is None or mtype.urgent is None:
        return None
    if rule.kind != "urgent" or rule.type_code != mtype.code:
        raise ValueError(f"rule {rule.code!r} is not the urgent rule of {mtype.code!r}")
    for threshold, message in (
        (mtype.urgent.high, N_("Zeer hoge waarde: %(value)s (grens: %(limit)s).")),
        (mtype.urgent.low, N_("Zeer lage waarde: %(value)s (grens: %(limit)s).")),
    ):
        if threshold is not None and threshold.is_beyond(value):
            return AlertFinding(
                rule_code=rule.code,
                type_code=mtype.code,
                severity="urgent",
                message=message,
                params={"value": mtype.quantity_text(value), "limit": _limit(mtype, threshold)},
            )
    return None


def evaluate_trend(
    rule: AlertRule, target: Target | None, last_values: Sequence[float]
) -> AlertFinding | None:
    """A trend finding when enough of the last readings miss the target, else None.

    ``last_values`` are in time order, oldest first; only the last ``rule.window`` count.
    With fewer readings than the window, the ones there are count (3 of 3 is still 3).
    """
    if rule.kind != "trend":
        raise ValueError(f"rule {rule.code!r} is not a trend rule")
    if target is None:
        return None
    recent = list(last_values)[-rule.window :]
    off_target = sum(1 for value in recent if not target.is_met(value))
    if off_target < rule.min_off_target:
        return None
    return AlertFinding(
        rule_code=rule.code,
        type_code=rule.type_code,
        severity="trend",
        message=N_(
            "%(off_target)s van de laatste %(count)s metingen halen het streefdoel niet "
            "(%(target)s)."
        ),
        params={"off_target": off_target, "count": len(recent), "target": target.as_text()},
    )


def _limit(mtype: MeasurementType, threshold: Threshold) -> Text:
    symbol = COMPARATOR_SYMBOLS[threshold.comparator]
    value = mtype.quantity_text(threshold.value)
    return Text(nl=f"{symbol} {value.nl}", en=f"{symbol} {value.en}")
