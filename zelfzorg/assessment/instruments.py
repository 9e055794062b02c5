"""Instrument definitions: questionnaires as validated, immutable data.

An instrument is a YAML file (built-ins in ``zelfzorg/assessment/data/``), so a care group that
holds a licence can load the official PAM-13 texts and calibration table without a code change.
The file format, with every field that exists::

    code: activation                 # [a-z][a-z0-9_]*, max 50; the same across versions
    version: "1.0"                   # text, max 20: quote it (YAML reads 1.10 as 1.1)
    kind: activation                 # activation | self_efficacy | experience | well_being |
                                     #   symptoms
    title: {nl: ..., en: ...}
    intro: {nl: ..., en: ...}
    notes: ...                       # optional, English, for administrators (source, licence)
    answer_options:                  # display order; integer values, unique
      - {value: 1, label: {nl: Helemaal oneens, en: Strongly disagree}}
      - {value: 0, label: {nl: Niet van toepassing, en: Not applicable}, not_applicable: true}
    items:                           # display order; codes unique
      - {code: a01, text: {nl: ..., en: ...}}
    scoring:
      method: mean_scaled            # mean | sum | mean_scaled | conversion_table
      min_answered: 10               # "answered" = not missing and not "not applicable"
      exclusions: {all_same_extreme: true}   # optional
      score_range: {min: 0, max: 100}
      decimals: 1                    # 0-4; scores are rounded half up to this many decimals
      conversion_table:              # only (and required) with method conversion_table
        keyed_by: answered_and_raw_sum   # or raw_sum
        scores:                      # answered_and_raw_sum: {answered count: {raw sum: score}}
          13: {13: 0.0, 14: 17.2}    # raw_sum: {raw sum: score}
    levels:                          # optional; contiguous cut-offs covering score_range
      - number: 1                    # 1, 2, 3 ... in order
        min: 0.0                     # at most `decimals` decimals; the next level starts
        max: 47.0                    #   exactly one step (0.1 for 1 decimal) above this max
        name: {nl: ..., en: ...}
        patient_explanation: {nl: ..., en: ...}
        professional_advice: {nl: ..., en: ...}
        review_interval_weeks: 6

The raw sum is the sum of the answered item values. A conversion table keyed by
``answered_and_raw_sum`` must hold a sub-table for every answered count from ``min_answered`` to
the number of items, each covering every raw sum that count can produce: for the official PAM-13
that is four sub-tables (10, 11, 12 and 13 answered). Table keys may be integers or digit strings
(so a definition survives a JSON round trip). Unknown fields are errors, so typos never pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

import yaml

from zelfzorg.errors import N_, ValidationError
from zelfzorg.texts import Text

DATA_DIR = Path(__file__).parent / "data"
MAX_DECIMALS = 4
# Lengths match the database columns (instrument_version.code 50, .version 20).
_CODE_RULE = "[a-z][a-z0-9_]*, max 50"
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_VERSION_RULE = "[A-Za-z0-9][A-Za-z0-9._+-]*, max 20"
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,19}$")
_E = TypeVar("_E", bound=StrEnum)


class InstrumentKind(StrEnum):
    ACTIVATION = "activation"
    SELF_EFFICACY = "self_efficacy"
    EXPERIENCE = "experience"
    WELL_BEING = "well_being"
    SYMPTOMS = "symptoms"


class ScoringMethod(StrEnum):
    MEAN = "mean"
    SUM = "sum"
    MEAN_SCALED = "mean_scaled"
    CONVERSION_TABLE = "conversion_table"


class TableKey(StrEnum):
    RAW_SUM = "raw_sum"
    ANSWERED_AND_RAW_SUM = "answered_and_raw_sum"


class InstrumentDefinitionError(ValidationError):
    """An invalid definition: ``source`` names the file, ``path`` the field (items[3].text.en)."""

    def __init__(self, message: str, *, source: str, path: str, **params: object) -> None:
        super().__init__(message, field=path, source=source, path=path, **params)
        self.source = source
        self.path = path


@dataclass(frozen=True)
class AnswerOption:
    value: int
    label: Text
    not_applicable: bool = False


@dataclass(frozen=True)
class Item:
    code: str
    text: Text


@dataclass(frozen=True)
class Level:
    number: int
    min: float
    max: float
    name: Text
    patient_explanation: Text
    professional_advice: Text
    review_interval_weeks: int


@dataclass(frozen=True)
class ScoreRange:
    min: float
    max: float


@dataclass(frozen=True)
class ConversionEntry:
    answered: int | None  # None when the table is keyed by raw sum only
    raw: int
    score: float


@dataclass(frozen=True)
class ConversionTable:
    keyed_by: TableKey
    entries: tuple[ConversionEntry, ...]

    @cached_property
    def _index(self) -> dict[tuple[int | None, int], float]:
        return {(entry.answered, entry.raw): entry.score for entry in self.entries}

    def lookup(self, answered: int, raw: int) -> float | None:
        key = (answered if self.keyed_by is TableKey.ANSWERED_AND_RAW_SUM else None, raw)
        return self._index.get(key)


@dataclass(frozen=True)
class Scoring:
    method: ScoringMethod
    min_answered: int
    score_range: ScoreRange
    decimals: int
    all_same_extreme: bool = False
    conversion_table: ConversionTable | None = None


@dataclass(frozen=True)
class InstrumentDefinition:
    code: str
    version: str
    kind: InstrumentKind
    title: Text
    intro: Text
    answer_options: tuple[AnswerOption, ...]
    items: tuple[Item, ...]
    scoring: Scoring
    levels: tuple[Level, ...] = ()
    notes: str = ""

    def option(self, value: int) -> AnswerOption | None:
        return next((o for o in self.answer_options if o.value == value), None)

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def scored_values(self) -> tuple[int, ...]:
        """Values of the options that count (not "not applicable"), ascending."""
        return tuple(sorted(o.value for o in self.answer_options if not o.not_applicable))

    @property
    def lowest_value(self) -> int:
        return self.scored_values[0]

    @property
    def highest_value(self) -> int:
        return self.scored_values[-1]


# --- validation -----------------------------------------------------------------------------

_TYPE_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    Decimal: "number",
    str: "text",
    list: "list",
    dict: "mapping",
    type(None): "empty",
}


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Reader:
    """Typed field access that fails with the source and the field path of the problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, path: str, **params: object) -> NoReturn:
        raise InstrumentDefinitionError(message, source=self.source, path=path, **params)

    def wrong_type(self, value: object, path: str, expected: str) -> NoReturn:
        self.fail(
            N_(
                "%(source)s: het veld %(path)s heeft het verkeerde type: verwacht %(expected)s, "
                "gevonden %(found)s."
            ),
            path,
            expected=expected,
            found=_type_name(value),
        )

    def mapping(self, value: object, path: str) -> dict[Any, Any]:
        if not isinstance(value, dict):
            self.wrong_type(value, path, "mapping")
        return value

    def fields(
        self, value: object, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        data = self.mapping(value, path)
        for key in data:
            if key not in required and key not in optional:
                self.fail(N_("%(source)s: onbekend veld %(path)s."), _join(path, str(key)))
        for key in required:
            if key not in data:
                self.fail(N_("%(source)s: het veld %(path)s ontbreekt."), _join(path, key))
        return data

    def sequence(self, value: object, path: str, *, allow_empty: bool = False) -> list[Any]:
        if not isinstance(value, list):
            self.wrong_type(value, path, "list")
        if not value and not allow_empty:
            self.fail(N_("%(source)s: het veld %(path)s mag niet leeg zijn."), path)
        return value

    def string(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.wrong_type(value, path, "text")
        if not value.strip():
            self.fail(N_("%(source)s: het veld %(path)s mag niet leeg zijn."), path)
        # Folded YAML blocks (>) end with a newline that nobody means.
        return value.strip()

    def pattern(self, value: object, path: str, regex: re.Pattern[str], rule: str) -> str:
        text = self.string(value, path)
        if not regex.match(text):
            self.fail(
                N_(
                    "%(source)s: het veld %(path)s heeft de ongeldige waarde %(value)s (regel: "
                    "%(rule)s)."
                ),
                path,
                value=text,
                rule=rule,
            )
        return text

    def choice(self, value: object, path: str, choices: type[_E]) -> _E:
        text = self.string(value, path)
        allowed = [member.value for member in choices]
        if text not in allowed:
            self.fail(
                N_(
                    "%(source)s: het veld %(path)s heeft de onbekende waarde %(value)s; "
                    "toegestaan: %(allowed)s."
                ),
                path,
                value=text,
                allowed=", ".join(allowed),
            )
        return choices(text)

    def integer(
        self, value: object, path: str, low: int | None = None, high: int | None = None
    ) -> int:
        # bool is a subclass of int; "true" is never a count or an answer value.
        if type(value) is not int:
            self.wrong_type(value, path, "integer")
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(
                N_(
                    "%(source)s: het veld %(path)s moet tussen %(low)s en %(high)s liggen, maar is "
                    "%(value)s."
                ),
                path,
                low=low,
                high=high,
                value=value,
            )
        return value

    def number(self, value: object, path: str) -> Decimal:
        if type(value) is int or type(value) is Decimal:
            number = Decimal(value)
        elif type(value) is float:
            # repr is the shortest text that reads back as this float: 47.1, not 47.100000000001
            number = Decimal(repr(value))
        else:
            self.wrong_type(value, path, "number")
        if not number.is_finite():
            self.wrong_type(value, path, "number")
        return number

    def places(self, number: Decimal, path: str, decimals: int) -> None:
        # normalize() drops trailing zeros (47.10 -> 47.1); no quantize, which fails on 1E+30.
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals:
            self.fail(
                N_(
                    "%(source)s: het veld %(path)s heeft meer dan %(decimals)s decimalen: "
                    "%(value)s."
                ),
                path,
                decimals=decimals,
                value=str(number),
            )

    def boolean(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            self.wrong_type(value, path, "boolean")
        return value

    def localized(self, value: object, path: str) -> Text:
        data = self.fields(value, path, ("nl", "en"))
        return Text(
            nl=self.string(data["nl"], f"{path}.nl"), en=self.string(data["en"], f"{path}.en")
        )

    def table_key(self, key: object, path: str) -> int:
        # JSON turns integer keys into strings; accept both so stored definitions reload.
        if type(key) is int:
            return key
        if isinstance(key, str) and key.isdigit():
            return int(key)
        self.wrong_type(key, f"{path}[{key}]", "integer")

    def duplicate(self, path: str, value: object, first: str) -> NoReturn:
        self.fail(
            N_("%(source)s: %(path)s: %(value)s komt dubbel voor (al gebruikt in %(first)s)."),
            path,
            value=value,
            first=first,
        )


def _parse_options(r: _Reader, value: object) -> tuple[AnswerOption, ...]:
    options: list[AnswerOption] = []
    seen: dict[int, str] = {}
    for index, raw in enumerate(r.sequence(value, "answer_options")):
        path = f"answer_options[{index}]"
        data = r.fields(raw, path, ("value", "label"), ("not_applicable",))
        option_value = r.integer(data["value"], f"{path}.value")
        if option_value in seen:
            r.duplicate(f"{path}.value", option_value, seen[option_value])
        seen[option_value] = f"{path}.value"
        options.append(
            AnswerOption(
                value=option_value,
                label=r.localized(data["label"], f"{path}.label"),
                not_applicable=r.boolean(
                    data.get("not_applicable", False), f"{path}.not_applicable"
                ),
            )
        )
    if sum(1 for option in options if not option.not_applicable) < 2:
        r.fail(
            N_(
                "%(source)s: %(path)s moet minstens twee antwoorden hebben die meetellen (niet "
                "'niet van toepassing')."
            ),
            "answer_options",
        )
    return tuple(options)


def _parse_items(r: _Reader, value: object) -> tuple[Item, ...]:
    items: list[Item] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(r.sequence(value, "items")):
        path = f"items[{index}]"
        data = r.fields(raw, path, ("code", "text"))
        code = r.pattern(data["code"], f"{path}.code", _CODE_RE, _CODE_RULE)
        if code in seen:
            r.duplicate(f"{path}.code", code, seen[code])
        seen[code] = f"{path}.code"
        items.append(Item(code=code, text=r.localized(data["text"], f"{path}.text")))
    return tuple(items)


def _reachable_sums(values: tuple[int, ...], count: int) -> list[set[int]]:
    """sums[k] = every raw sum that k answered items can produce."""
    sums = [{0}]
    for _ in range(count):
        sums.append({total + value for total in sums[-1] for value in values})
    return sums


def _parse_cells(
    r: _Reader,
    value: object,
    path: str,
    expected: set[int],
    answered: int | None,
    score_range: tuple[Decimal, Decimal],
) -> list[ConversionEntry]:
    cells: dict[int, Decimal] = {}
    for key, score in r.mapping(value, path).items():
        raw = r.table_key(key, path)
        cell = f"{path}[{raw}]"
        if raw in cells:
            r.duplicate(cell, raw, cell)
        if raw not in expected:
            r.fail(
                N_(
                    "%(source)s: %(path)s kan niet voorkomen: de ruwe score ligt hier tussen "
                    "%(low)s en %(high)s."
                ),
                cell,
                low=min(expected),
                high=max(expected),
            )
        number = r.number(score, cell)
        if not score_range[0] <= number <= score_range[1]:
            r.fail(
                N_(
                    "%(source)s: de score in %(path)s (%(value)s) valt buiten het scorebereik "
                    "%(min)s tot %(max)s."
                ),
                cell,
                value=str(number),
                min=str(score_range[0]),
                max=str(score_range[1]),
            )
        cells[raw] = number
    missing = sorted(expected - cells.keys())
    if missing:
        r.fail(
            N_(
                "%(source)s: de omrekentabel heeft een gat: %(path)s ontbreekt (ruwe score "
                "%(raw)s)."
            ),
            f"{path}[{missing[0]}]",
            raw=missing[0],
        )
    return [ConversionEntry(answered, raw, float(cells[raw])) for raw in sorted(cells)]


def _parse_table(
    r: _Reader,
    value: object,
    values: tuple[int, ...],
    min_answered: int,
    item_count: int,
    score_range: tuple[Decimal, Decimal],
) -> ConversionTable:
    path = "scoring.conversion_table"
    data = r.fields(value, path, ("keyed_by", "scores"))
    keyed_by = r.choice(data["keyed_by"], f"{path}.keyed_by", TableKey)
    scores = r.mapping(data["scores"], f"{path}.scores")
    sums = _reachable_sums(values, item_count)
    counts = range(min_answered, item_count + 1)
    if keyed_by is TableKey.RAW_SUM:
        expected = set().union(*(sums[count] for count in counts))
        entries = _parse_cells(r, scores, f"{path}.scores", expected, None, score_range)
        return ConversionTable(keyed_by, tuple(entries))

    by_count: dict[int, object] = {}
    for key, sub_table in scores.items():
        count = r.table_key(key, f"{path}.scores")
        if count in by_count:
            r.duplicate(f"{path}.scores[{count}]", count, f"{path}.scores[{count}]")
        if count not in counts:
            r.fail(
                N_(
                    "%(source)s: %(path)s kan niet voorkomen: er moeten %(low)s tot %(high)s "
                    "vragen beantwoord zijn."
                ),
                f"{path}.scores[{count}]",
                low=min_answered,
                high=item_count,
            )
        by_count[count] = sub_table
    all_entries: list[ConversionEntry] = []
    for count in counts:
        sub_path = f"{path}.scores[{count}]"
        if count not in by_count:
            r.fail(
                N_(
                    "%(source)s: de omrekentabel mist %(path)s: de scores bij %(answered)s "
                    "beantwoorde vragen."
                ),
                sub_path,
                answered=count,
            )
        all_entries += _parse_cells(r, by_count[count], sub_path, sums[count], count, score_range)
    return ConversionTable(keyed_by, tuple(all_entries))


def _possible_scores(
    method: ScoringMethod, values: tuple[int, ...], min_answered: int, item_count: int
) -> tuple[Decimal, Decimal] | None:
    """The scores a method can produce before any range applies (None: the range defines them)."""
    low, high = values[0], values[-1]
    if method is ScoringMethod.MEAN:
        return Decimal(low), Decimal(high)
    if method is ScoringMethod.SUM:
        counts = range(min_answered, item_count + 1)
        return Decimal(min(c * low for c in counts)), Decimal(max(c * high for c in counts))
    return None


def _parse_scoring(
    r: _Reader, value: object, items: tuple[Item, ...], options: tuple[AnswerOption, ...]
) -> Scoring:
    path = "scoring"
    data = r.fields(
        value,
        path,
        ("method", "min_answered", "score_range", "decimals"),
        ("exclusions", "conversion_table"),
    )
    method = r.choice(data["method"], f"{path}.method", ScoringMethod)
    min_answered = r.integer(data["min_answered"], f"{path}.min_answered", 1, len(items))
    decimals = r.integer(data["decimals"], f"{path}.decimals", 0, MAX_DECIMALS)

    range_data = r.fields(data["score_range"], f"{path}.score_range", ("min", "max"))
    low = r.number(range_data["min"], f"{path}.score_range.min")
    high = r.number(range_data["max"], f"{path}.score_range.max")
    r.places(low, f"{path}.score_range.min", decimals)
    r.places(high, f"{path}.score_range.max", decimals)
    if low >= high:
        r.fail(
            N_("%(source)s: in %(path)s moet min kleiner zijn dan max (nu %(min)s en %(max)s)."),
            f"{path}.score_range",
            min=str(low),
            max=str(high),
        )
    values = tuple(sorted(o.value for o in options if not o.not_applicable))
    possible = _possible_scores(method, values, min_answered, len(items))
    if possible is not None and not (low <= possible[0] and possible[1] <= high):
        r.fail(
            N_(
                "%(source)s: het scorebereik %(path)s (%(min)s tot %(max)s) bevat niet alle "
                "mogelijke scores (%(low)s tot %(high)s)."
            ),
            f"{path}.score_range",
            min=str(low),
            max=str(high),
            low=str(possible[0]),
            high=str(possible[1]),
        )

    exclusions = r.fields(
        data.get("exclusions", {}), f"{path}.exclusions", (), ("all_same_extreme",)
    )
    all_same_extreme = r.boolean(
        exclusions.get("all_same_extreme", False), f"{path}.exclusions.all_same_extreme"
    )

    table = None
    if "conversion_table" in data:
        if method is not ScoringMethod.CONVERSION_TABLE:
            r.fail(
                N_("%(source)s: %(path)s hoort alleen bij de scoremethode conversion_table."),
                f"{path}.conversion_table",
            )
        table = _parse_table(
            r, data["conversion_table"], values, min_answered, len(items), (low, high)
        )
    elif method is ScoringMethod.CONVERSION_TABLE:
        r.fail(N_("%(source)s: het veld %(path)s ontbreekt."), f"{path}.conversion_table")

    return Scoring(
        method=method,
        min_answered=min_answered,
        score_range=ScoreRange(float(low), float(high)),
        decimals=decimals,
        all_same_extreme=all_same_extreme,
        conversion_table=table,
    )


def _parse_levels(r: _Reader, value: object, scoring: Scoring) -> tuple[Level, ...]:
    step = Decimal(1).scaleb(-scoring.decimals)
    range_min = Decimal(repr(scoring.score_range.min))
    range_max = Decimal(repr(scoring.score_range.max))
    levels: list[Level] = []
    previous_max: Decimal | None = None
    entries = r.sequence(value, "levels", allow_empty=True)
    for index, raw in enumerate(entries):
        path = f"levels[{index}]"
        data = r.fields(
            raw,
            path,
            (
                "number",
                "min",
                "max",
                "name",
                "patient_explanation",
                "professional_advice",
                "review_interval_weeks",
            ),
        )
        number = r.integer(data["number"], f"{path}.number")
        if number != index + 1:
            r.fail(
                N_(
                    "%(source)s: %(path)s moet %(expected)s zijn: niveaus zijn genummerd vanaf 1, "
                    "in volgorde."
                ),
                f"{path}.number",
                expected=index + 1,
            )
        low = r.number(data["min"], f"{path}.min")
        high = r.number(data["max"], f"{path}.max")
        r.places(low, f"{path}.min", scoring.decimals)
        r.places(high, f"{path}.max", scoring.decimals)
        if low > high:
            r.fail(
                N_("%(source)s: in %(path)s is min (%(min)s) groter dan max (%(max)s)."),
                path,
                min=str(low),
                max=str(high),
            )
        if previous_max is None and low != range_min:
            r.fail(
                N_(
                    "%(source)s: %(path)s moet gelijk zijn aan de ondergrens van het scorebereik "
                    "(%(expected)s)."
                ),
                f"{path}.min",
                expected=str(range_min),
            )
        if previous_max is not None and low <= previous_max:
            r.fail(
                N_(
                    "%(source)s: %(path)s (%(value)s) overlapt met het vorige niveau, dat loopt "
                    "tot %(previous_max)s."
                ),
                f"{path}.min",
                value=str(low),
                previous_max=str(previous_max),
            )
        if previous_max is not None and low != previous_max + step:
            r.fail(
                N_(
                    "%(source)s: tussen het vorige niveau (tot %(previous_max)s) en %(path)s "
                    "(%(value)s) zit een gat; verwacht %(expected)s."
                ),
                f"{path}.min",
                value=str(low),
                previous_max=str(previous_max),
                expected=str(previous_max + step),
            )
        previous_max = high
        levels.append(
            Level(
                number=number,
                min=float(low),
                max=float(high),
                name=r.localized(data["name"], f"{path}.name"),
                patient_explanation=r.localized(
                    data["patient_explanation"], f"{path}.patient_explanation"
                ),
                professional_advice=r.localized(
                    data["professional_advice"], f"{path}.professional_advice"
                ),
                review_interval_weeks=r.integer(
                    data["review_interval_weeks"], f"{path}.review_interval_weeks", 1, 520
                ),
            )
        )
    if previous_max is not None and previous_max != range_max:
        r.fail(
            N_(
                "%(source)s: %(path)s moet gelijk zijn aan de bovengrens van het scorebereik "
                "(%(expected)s)."
            ),
            f"levels[{len(entries) - 1}].max",
            expected=str(range_max),
        )
    return tuple(levels)


def instrument_from_dict(data: object, *, source: str = "<definition>") -> InstrumentDefinition:
    """Validate a parsed definition (from YAML, or JSON stored in the database)."""
    r = _Reader(source)
    if not isinstance(data, dict):
        r.fail(
            N_(
                "%(source)s: dit is geen instrumentdefinitie; verwacht velden zoals code, version "
                "en items."
            ),
            "",
        )
    root = r.fields(
        data,
        "",
        ("code", "version", "kind", "title", "intro", "answer_options", "items", "scoring"),
        ("levels", "notes"),
    )
    code = r.pattern(root["code"], "code", _CODE_RE, _CODE_RULE)
    version = r.pattern(root["version"], "version", _VERSION_RE, _VERSION_RULE)
    kind = r.choice(root["kind"], "kind", InstrumentKind)
    title = r.localized(root["title"], "title")
    intro = r.localized(root["intro"], "intro")
    options = _parse_options(r, root["answer_options"])
    items = _parse_items(r, root["items"])
    scoring = _parse_scoring(r, root["scoring"], items, options)
    levels = _parse_levels(r, root.get("levels", []), scoring)
    notes = root.get("notes", "")
    if not isinstance(notes, str):
        r.wrong_type(notes, "notes", "text")
    return InstrumentDefinition(
        code=code,
        version=version,
        kind=kind,
        title=title,
        intro=intro,
        answer_options=options,
        items=items,
        scoring=scoring,
        levels=levels,
        notes=notes.strip(),
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _is_path(value: str | os.PathLike[str]) -> bool:
    if isinstance(value, os.PathLike):
        return True
    return "\n" not in value and value.strip().endswith((".yaml", ".yml"))


def load_instrument(
    path_or_text: str | os.PathLike[str], *, source: str | None = None
) -> InstrumentDefinition:
    """Load and validate a definition.

    A ``Path`` (or a one-line string ending in .yaml/.yml) is read as a UTF-8 file and errors
    name the file; any other string is YAML text and errors name ``source`` (default "<tekst>").
    """
    if _is_path(path_or_text):
        path = Path(path_or_text)
        name = source or path.name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InstrumentDefinitionError(
                N_("%(source)s: het bestand kan niet worden gelezen (%(detail)s)."),
                source=name,
                path="",
                detail=getattr(exc, "strerror", None) or str(exc),
            ) from exc
    else:
        text, name = str(path_or_text), source or "<tekst>"
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InstrumentDefinitionError(
            N_("%(source)s: geen geldige YAML op regel %(line)s: %(detail)s."),
            source=name,
            path="",
            line=mark.line + 1 if mark is not None else 1,
            detail=getattr(exc, "problem", None) or str(exc),
        ) from exc
    return instrument_from_dict(data, source=name)


# --- serialisation ----------------------------------------------------------------------------


def _text_dict(text: Text) -> dict[str, str]:
    return {"nl": text.nl, "en": text.en}


def _table_dict(table: ConversionTable) -> dict[str, Any]:
    # String keys: the dict must survive JSON unchanged (the checksum is taken over JSON).
    scores: dict[str, Any] = {}
    for entry in table.entries:
        if table.keyed_by is TableKey.RAW_SUM:
            scores[str(entry.raw)] = entry.score
        else:
            scores.setdefault(str(entry.answered), {})[str(entry.raw)] = entry.score
    return {"keyed_by": table.keyed_by.value, "scores": scores}


def definition_to_dict(definition: InstrumentDefinition) -> dict[str, Any]:
    """A JSON-safe dict in the file format; ``instrument_from_dict`` reads it back equal."""
    scoring = definition.scoring
    scoring_dict: dict[str, Any] = {
        "method": scoring.method.value,
        "min_answered": scoring.min_answered,
        "exclusions": {"all_same_extreme": scoring.all_same_extreme},
        "score_range": {"min": scoring.score_range.min, "max": scoring.score_range.max},
        "decimals": scoring.decimals,
    }
    if scoring.conversion_table is not None:
        scoring_dict["conversion_table"] = _table_dict(scoring.conversion_table)
    return {
        "code": definition.code,
        "version": definition.version,
        "kind": definition.kind.value,
        "title": _text_dict(definition.title),
        "intro": _text_dict(definition.intro),
        "notes": definition.notes,
        "answer_options": [
            {"value": o.value, "label": _text_dict(o.label), "not_applicable": o.not_applicable}
            for o in definition.answer_options
        ],
        "items": [{"code": i.code, "text": _text_dict(i.text)} for i in definition.items],
        "scoring": scoring_dict,
        "levels": [
            {
                "number": level.number,
                "min": level.min,
                "max": level.max,
                "name": _text_dict(level.name),
                "patient_explanation": _text_dict(level.patient_explanation),
                "professional_advice": _text_dict(level.professional_advice),
                "review_interval_weeks": level.review_interval_weeks,
            }
            for level in definition.levels
        ],
    }


def canonical_json(definition: InstrumentDefinition) -> str:
    """The definition as canonical JSON (sorted keys, no spaces): what the database stores."""
    return json.dumps(
        definition_to_dict(definition), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def checksum(definition: InstrumentDefinition) -> str:
    """SHA-256 (hex) of the canonical JSON: equal content gives an equal checksum."""
    return hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


# --- built-ins and care-group settings --------------------------------------------------------


@cache
def builtin_instruments() -> Mapping[str, InstrumentDefinition]:
    """The built-in instruments from ``data/``, by code (read-only)."""
    found: dict[str, InstrumentDefinition] = {}
    origin: dict[str, str] = {}
    for path in sorted(DATA_DIR.glob("*.yaml")):
        definition = load_instrument(path)
        if definition.code in found:
            raise InstrumentDefinitionError(
                N_("%(source)s: %(path)s: %(value)s komt dubbel voor (al gebruikt in %(first)s)."),
                source=path.name,
                path="code",
                value=definition.code,
                first=origin[definition.code],
            )
        found[definition.code] = definition
        origin[definition.code] = path.name
    return MappingProxyType(found)


def with_cutoffs(
    definition: InstrumentDefinition,
    cutoffs: Mapping[int, tuple[float | int | Decimal, float | int | Decimal]],
    *,
    version: str | None = None,
    source: str | None = None,
) -> InstrumentDefinition:
    """A copy with other level cut-offs ``{level number: (min, max)}``, validated like a file.

    Levels not named keep their cut-offs. Give ``version`` (e.g. "1.0+zg-west") when the copy
    must be told apart from the original; its checksum differs either way.
    """
    name = source or f"{definition.code} {definition.version}"
    data = definition_to_dict(definition)
    by_number = {level["number"]: level for level in data["levels"]}
    for number, (low, high) in cutoffs.items():
        if number not in by_number:
            raise InstrumentDefinitionError(
                N_("%(source)s: niveau %(level)s bestaat niet in %(path)s."),
                source=name,
                path="levels",
                level=number,
            )
        by_number[number]["min"] = low
        by_number[number]["max"] = high
    if version is not None:
        data["version"] = version
    return instrument_from_dict(data, source=name)
