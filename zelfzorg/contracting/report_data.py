"""The plain values a contracting report is made of: what the indicator engine produces and
every view and export (HTML, PDF, CSV, FHIR MeasureReport) reads. No ORM objects, no Flask.

A report is a list of :class:`Figure` cells: one per indicator, per practice (``practice_id``
None is the whole care group) and per stratum (None is the whole population of the cell).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class IndicatorKind(StrEnum):
    """DESIGN.md section 4: only requirements and contract targets yield met / not met."""

    requirement = "requirement"
    desired = "desired"
    advice = "advice"
    informational = "informational"


class VerdictStatus(StrEnum):
    met = "met"
    not_met = "not_met"
    not_applicable = "not_applicable"  # e.g. a zero denominator: nothing to judge
    informational = "informational"


# Strata every indicator can be split by (besides practice).
STRATUM_KEYS = ("programme", "sex", "age_band")


@dataclass(frozen=True)
class Stratum:
    key: str  # one of STRATUM_KEYS, or an indicator's own split (e.g. "level" for A2)
    value: str


@dataclass(frozen=True)
class IndicatorText:
    nl: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if str(locale).startswith("en") else self.nl


@dataclass(frozen=True)
class IndicatorInfo:
    """What a report needs to say about one indicator definition (its version included)."""

    id: str  # "I1", "O1b", ...
    clause: str  # the 004 clause ("2.2") or "-" / "(000)"
    kind: IndicatorKind
    version: int  # the contract year of the definition (2015)
    title: IndicatorText
    numerator: IndicatorText
    denominator: IndicatorText
    statement: bool = False  # a yes/no indicator (V1, V2, P0) without a denominator


@dataclass(frozen=True)
class Figure:
    indicator: str
    practice_id: int | None
    stratum: Stratum | None
    numerator: int | None = None
    denominator: int | None = None
    statement: bool | None = None  # yes/no indicators
    mean: float | None = None  # e.g. I4's mean experience score

    @property
    def percentage(self) -> Decimal | None:
        """numerator / denominator x 100, one decimal; None ("n/a") for a zero denominator."""
        if self.numerator is None or not self.denominator:
            return None
        value = Decimal(self.numerator) * 100 / Decimal(self.denominator)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Verdict:
    """Per indicator for the care group: met / not met / ..., and why (a Dutch msgid with
    parameters, translated by whoever shows it), e.g. "I1 58,2% < doel 60%"."""

    indicator: str
    status: VerdictStatus
    reason: str
    params: dict[str, object] = field(default_factory=dict)
    target: Decimal | None = None


@dataclass(frozen=True)
class PracticeInfo:
    id: int
    name: str


@dataclass(frozen=True)
class ContractInfo:
    insurer: str
    year: int


@dataclass(frozen=True)
class ReportData:
    care_group_id: int
    care_group_name: str
    period_start: date
    period_end: date  # the reference date d
    definition_version: int
    contract: ContractInfo | None
    practices: list[PracticeInfo]
    indicators: list[IndicatorInfo]
    figures: list[Figure]
    verdicts: list[Verdict]
    generated_at: datetime
    fingerprint: str = ""

    @property
    def reference_date(self) -> date:
        return self.period_end

    def figure(
        self, indicator: str, practice_id: int | None = None, stratum: Stratum | None = None
    ) -> Figure | None:
        for fig in self.figures:
            if (fig.indicator, fig.practice_id, fig.stratum) == (indicator, practice_id, stratum):
                return fig
        return None
