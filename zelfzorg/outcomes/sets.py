"""Outcome sets per care programme: validated, immutable data (one YAML file per programme).

The file format, with every field that exists::

    programme: DM2                   # a Programme value; one file per programme
    title: {nl: ..., en: ...}
    comparison:                      # optional; these are the defaults
      same_sex: true                 # compare with patients of the same sex
      age_band_years: 10             # 10-year age bands (0-9, 10-19, ...); 0 = any age
      minimum_group: 20              # at least 20 comparable patients with a recent value;
                                     #   never lower than 20 (the privacy floor)
      window_months: 12              # a value counts when measured in the last 12 months
      as_band: 10                    # percentile 50 +/- 10 counts as "as the median"
    proms: [who5]                    # questionnaires asked on the programme's schedule
    outcomes:                        # display order; codes unique
      - code: hba1c                  # [a-z][a-z0-9_]*, max 40
        name: {nl: ..., en: ...}
        source: measurement          # measurement | questionnaire | trend | coded
        reads: hba1c                 # measurement type code or instrument code
        better: lower                # higher | lower (not with coded)
      - code: weight_trend           # trend: the change of a quantity over the last `days`
        source: trend                #   (newest value of the last 28 days minus the newest of
        reads: weight                #   the 28 days before); compared as a number
        days: 28                     # only (and required) with trend: 7-90
        better: lower
      - code: smoking                # coded: a coded measurement type; `good` lists the
        source: coded                #   option codes that count as the better state, and the
        reads: smoking_status        #   comparison is the share of comparable patients in
        good: [never, former]        #   it (no percentile: a state is not a number)
        good_label: {nl: roken niet, en: do not smoke}   # "About 85 of every 100 ... <label>"

Unknown fields are errors, so typos never pass; a measurement or trend type must be a quantity
of the telemonitoring catalogue, a coded one a coded type whose options include every `good`
code, and an instrument one of the built-in instruments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import yaml

from zelfzorg.assessment.instruments import builtin_instruments
from zelfzorg.errors import N_, ValidationError
from zelfzorg.patients.models import Programme
from zelfzorg.telemonitoring.types import load_types
from zelfzorg.texts import Text

DATA_DIR = Path(__file__).parent / "data"
PRIVACY_FLOOR = 20
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SOURCES = ("measurement", "questionnaire", "trend", "coded")
TREND_DAYS = (7, 90)
DIRECTIONS = ("higher", "lower")


class OutcomeSetError(ValidationError):
    """An invalid outcome set: ``source`` names the file, ``path`` the field."""

    def __init__(self, message: str, *, source: str, path: str, **params: object) -> None:
        super().__init__(message, field=path, source=source, path=path, **params)
        self.source = source
        self.path = path


@dataclass(frozen=True)
class ComparisonRule:
    same_sex: bool = True
    age_band_years: int = 10
    minimum_group: int = PRIVACY_FLOOR
    window_months: int = 12
    as_band: int = 10


@dataclass(frozen=True)
class Outcome:
    code: str
    name: Text
    source: str  # measurement | questionnaire | trend | coded
    reads: str
    better: str  # higher | lower (coded: higher, the good state counting 1)
    days: int = 0  # trend: the period in days
    good: tuple[str, ...] = ()  # coded: the option codes of the better state
    good_label: Text | None = None  # coded: the better state as a plural verb ("roken niet")

    @property
    def higher_is_better(self) -> bool:
        return self.better == "higher"

    @property
    def is_coded(self) -> bool:
        return self.source == "coded"

    @property
    def is_trend(self) -> bool:
        return self.source == "trend"

    @property
    def table(self) -> str:
        """Where the values live: ``measurement`` (measurement, trend, coded) or
        ``questionnaire``."""
        return "questionnaire" if self.source == "questionnaire" else "measurement"


@dataclass(frozen=True)
class OutcomeSet:
    programme: Programme
    title: Text
    rule: ComparisonRule
    proms: tuple[str, ...]
    outcomes: tuple[Outcome, ...]


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, path: str, **params: object) -> NoReturn:
        raise OutcomeSetError(message, source=self.source, path=path, **params)

    def fields(
        self, value: object, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(N_("%(source)s: het veld %(path)s moet een mapping zijn."), path or "/")
        for key in value:
            if key not in required and key not in optional:
                self.fail(N_("%(source)s: onbekend veld %(path)s."), f"{path}.{key}".lstrip("."))
        for key in required:
            if key not in value:
                self.fail(
                    N_("%(source)s: het veld %(path)s ontbreekt."), f"{path}.{key}".lstrip(".")
                )
        return value

    def string(self, value: object, path: str, allowed: tuple[str, ...] = ()) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(N_("%(source)s: het veld %(path)s moet een tekst zijn."), path)
        text = value.strip()
        if allowed and text not in allowed:
            self.fail(
                N_("%(source)s: het veld %(path)s heeft de onbekende waarde %(value)s."),
                path,
                value=text,
            )
        return text

    def text(self, value: object, path: str) -> Text:
        data = self.fields(value, path, ("nl", "en"))
        return Text(
            nl=self.string(data["nl"], f"{path}.nl"), en=self.string(data["en"], f"{path}.en")
        )

    def integer(self, value: object, path: str, low: int, high: int) -> int:
        if type(value) is not int or not low <= value <= high:
            self.fail(
                N_(
                    "%(source)s: het veld %(path)s moet een geheel getal van %(low)s tot "
                    "%(high)s zijn."
                ),
                path,
                low=low,
                high=high,
            )
        return value

    def boolean(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(N_("%(source)s: het veld %(path)s moet true of false zijn."), path)
        return value


def _rule(r: _Reader, value: object) -> ComparisonRule:
    default = ComparisonRule()
    data = r.fields(
        value,
        "comparison",
        (),
        ("same_sex", "age_band_years", "minimum_group", "window_months", "as_band"),
    )
    return ComparisonRule(
        same_sex=r.boolean(data.get("same_sex", default.same_sex), "comparison.same_sex"),
        age_band_years=r.integer(
            data.get("age_band_years", default.age_band_years), "comparison.age_band_years", 0, 50
        ),
        # The floor protects the individual: a smaller group is refused, not allowed.
        minimum_group=r.integer(
            data.get("minimum_group", default.minimum_group),
            "comparison.minimum_group",
            PRIVACY_FLOOR,
            100000,
        ),
        window_months=r.integer(
            data.get("window_months", default.window_months), "comparison.window_months", 1, 36
        ),
        as_band=r.integer(data.get("as_band", default.as_band), "comparison.as_band", 0, 40),
    )


def _outcomes(r: _Reader, value: object) -> tuple[Outcome, ...]:
    if not isinstance(value, list) or not value:
        r.fail(
            N_("%(source)s: het veld %(path)s moet een lijst zijn die niet leeg is."), "outcomes"
        )
    types = load_types()
    instruments = builtin_instruments()
    seen: set[str] = set()
    found = []
    for index, raw in enumerate(value):
        path = f"outcomes[{index}]"
        source = (
            r.string(raw.get("source"), f"{path}.source", SOURCES)
            if isinstance(raw, dict) and "source" in raw
            else None
        )
        required = {
            "coded": ("code", "name", "source", "reads", "good", "good_label"),
            "trend": ("code", "name", "source", "reads", "better", "days"),
        }.get(source or "", ("code", "name", "source", "reads", "better"))
        data = r.fields(raw, path, required)
        code = r.string(data["code"], f"{path}.code")
        if not _CODE_RE.match(code):
            r.fail(N_("%(source)s: het veld %(path)s is geen geldige code."), f"{path}.code")
        if code in seen:
            r.fail(
                N_("%(source)s: %(path)s: %(value)s komt dubbel voor."), f"{path}.code", value=code
            )
        seen.add(code)
        source = r.string(data["source"], f"{path}.source", SOURCES)
        reads = r.string(data["reads"], f"{path}.reads")
        good: tuple[str, ...] = ()
        days = 0
        if source in ("measurement", "trend") and (
            reads not in types or not types[reads].is_quantity
        ):
            r.fail(
                N_("%(source)s: %(path)s: %(value)s is geen meettype met een getal."),
                f"{path}.reads",
                value=reads,
            )
        if source == "questionnaire" and reads not in instruments:
            r.fail(
                N_("%(source)s: %(path)s: %(value)s is geen bekende vragenlijst."),
                f"{path}.reads",
                value=reads,
            )
        if source == "coded":
            if reads not in types or types[reads].is_quantity:
                r.fail(
                    N_("%(source)s: %(path)s: %(value)s is geen gecodeerd meettype."),
                    f"{path}.reads",
                    value=reads,
                )
            good = _good_codes(r, data["good"], f"{path}.good", types[reads])
        if source == "trend":
            days = r.integer(data["days"], f"{path}.days", *TREND_DAYS)
        found.append(
            Outcome(
                code=code,
                name=r.text(data["name"], f"{path}.name"),
                source=source,
                reads=reads,
                better=(
                    "higher"
                    if source == "coded"
                    else r.string(data["better"], f"{path}.better", DIRECTIONS)
                ),
                days=days,
                good=good,
                good_label=r.text(data["good_label"], f"{path}.good_label") if good else None,
            )
        )
    return tuple(found)


def _good_codes(r: _Reader, value: object, path: str, mtype) -> tuple[str, ...]:
    options = {option.code for option in mtype.options}
    if not isinstance(value, list) or not value:
        r.fail(N_("%(source)s: het veld %(path)s moet een lijst zijn die niet leeg is."), path)
    for index, code in enumerate(value):
        if code not in options:
            r.fail(
                N_("%(source)s: het veld %(path)s heeft de onbekende waarde %(value)s."),
                f"{path}[{index}]",
                value=str(code),
            )
    if len(set(value)) == len(options):
        # Every state "good" compares nothing.
        r.fail(N_("%(source)s: het veld %(path)s mag niet alle waarden bevatten."), path)
    return tuple(dict.fromkeys(value))


def outcome_set_from_dict(data: object, *, source: str = "<outcome set>") -> OutcomeSet:
    r = _Reader(source)
    root = r.fields(data, "", ("programme", "title", "outcomes"), ("comparison", "proms"))
    programme = r.string(root["programme"], "programme", tuple(p.value for p in Programme))
    proms = root.get("proms", [])
    if not isinstance(proms, list):
        r.fail(N_("%(source)s: het veld %(path)s moet een lijst zijn die niet leeg is."), "proms")
    instruments = builtin_instruments()
    for index, code in enumerate(proms):
        if code not in instruments:
            r.fail(
                N_("%(source)s: %(path)s: %(value)s is geen bekende vragenlijst."),
                f"proms[{index}]",
                value=str(code),
            )
    return OutcomeSet(
        programme=Programme(programme),
        title=r.text(root["title"], "title"),
        rule=_rule(r, root.get("comparison", {})),
        proms=tuple(proms),
        outcomes=_outcomes(r, root["outcomes"]),
    )


def load_outcome_set(path: Path) -> OutcomeSet:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OutcomeSetError(
            N_("%(source)s: het bestand kan niet worden gelezen (%(detail)s)."),
            source=path.name,
            path="",
            detail=str(exc),
        ) from exc
    return outcome_set_from_dict(data, source=path.name)


@cache
def outcome_sets() -> Mapping[Programme, OutcomeSet]:
    """The outcome set of every programme that has one, by programme (read-only)."""
    found: dict[Programme, OutcomeSet] = {}
    for path in sorted(DATA_DIR.glob("*.yaml")):
        loaded = load_outcome_set(path)
        if loaded.programme in found:
            raise OutcomeSetError(
                N_("%(source)s: %(path)s: %(value)s komt dubbel voor."),
                source=path.name,
                path="programme",
                value=loaded.programme.value,
            )
        found[loaded.programme] = loaded
    return MappingProxyType(found)
