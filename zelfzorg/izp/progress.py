"""Progress of a measurable goal: the *check* of PDCA, computed from logged measurements."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from babel.numbers import format_decimal

from zelfzorg.errors import N_
from zelfzorg.izp.pdca import AchievementStatus, Comparator

#: Default "no change" band around the baseline, relative to it (2%: 140 mmHg -> 2.8 mmHg).
DEFAULT_RELATIVE_TOLERANCE = 0.02
# Absorbs float rounding so a change of exactly the tolerance counts as no change.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Message:
    """A Dutch msgid with its parameters; numbers are formatted when the text is made."""

    msgid: str
    params: dict[str, object] = field(default_factory=dict)

    def text(self, translate: Callable[[str], str] | None = None, *, locale: str = "nl") -> str:
        """The message in the reader's language: ``m.text(gettext, locale=str(get_locale()))``.

        Floats are formatted for ``locale`` (7,5 in Dutch, 7.5 in English).
        """
        template = translate(self.msgid) if translate is not None else self.msgid
        params = {
            key: format_decimal(value, locale=locale) if isinstance(value, float) else value
            for key, value in self.params.items()
        }
        return template % params if params else template


@dataclass(frozen=True)
class Progress:
    """Where a goal stands against its target.

    ``baseline`` is the reference for ``direction``: the one given, else the first
    measurement. ``direction`` is None when there is nothing to compare with; ``target_met`` is
    None without measurements. ``suggested`` is only a suggestion for the review.
    """

    count: int
    latest: float | None
    latest_at: datetime | None
    unit: str
    target_met: bool | None
    baseline: float | None
    direction: AchievementStatus | None
    suggested: AchievementStatus
    summary: Message
    trend: Message | None

    @property
    def messages(self) -> list[Message]:
        """Summary, then trend when there is one: what a screen or PDF shows."""
        return [self.summary] if self.trend is None else [self.summary, self.trend]


_SUMMARY: dict[tuple[Comparator, bool], str] = {
    (Comparator.LT, True): N_(
        "Laatste waarde %(value)s %(unit)s (doel: lager dan %(target)s): doel gehaald."
    ),
    (Comparator.LT, False): N_(
        "Laatste waarde %(value)s %(unit)s (doel: lager dan %(target)s): doel nog niet gehaald."
    ),
    (Comparator.LE, True): N_(
        "Laatste waarde %(value)s %(unit)s (doel: %(target)s of lager): doel gehaald."
    ),
    (Comparator.LE, False): N_(
        "Laatste waarde %(value)s %(unit)s (doel: %(target)s of lager): doel nog niet gehaald."
    ),
    (Comparator.GT, True): N_(
        "Laatste waarde %(value)s %(unit)s (doel: hoger dan %(target)s): doel gehaald."
    ),
    (Comparator.GT, False): N_(
        "Laatste waarde %(value)s %(unit)s (doel: hoger dan %(target)s): doel nog niet gehaald."
    ),
    (Comparator.GE, True): N_(
        "Laatste waarde %(value)s %(unit)s (doel: %(target)s of hoger): doel gehaald."
    ),
    (Comparator.GE, False): N_(
        "Laatste waarde %(value)s %(unit)s (doel: %(target)s of hoger): doel nog niet gehaald."
    ),
}

_TREND: dict[AchievementStatus, str] = {
    AchievementStatus.IMPROVING: N_("Dat is beter dan bij de start (%(baseline)s %(unit)s)."),
    AchievementStatus.WORSENING: N_("Dat is slechter dan bij de start (%(baseline)s %(unit)s)."),
    AchievementStatus.NO_CHANGE: N_("Dat is ongeveer gelijk aan de start (%(baseline)s %(unit)s)."),
}

NO_MEASUREMENTS = N_("Er zijn nog geen metingen voor dit doel.")


def compute_progress(
    target: tuple[Comparator | str, float, str],
    baseline: float | None,
    values: Sequence[tuple[datetime, float]],
    *,
    tolerance: float | None = None,
) -> Progress:
    """Progress of the goal ``target`` = (comparator, value, unit) from measured ``values``.

    ``values`` are (measured at, value) in the target's unit, in any order; the latest by time
    counts (on equal times, the last one given). Direction compares the latest value with
    ``baseline`` (or, without one, the first measurement when there are two or more): within
    ``tolerance`` (default 2% of the baseline) is no change; towards the target side is
    improving. Suggested status: achieved when met, else the direction, else in progress.
    """
    comparator = Comparator(target[0])
    target_value = _finite(float(target[1]), "target value")
    unit = target[2]
    if not values:
        return Progress(
            count=0,
            latest=None,
            latest_at=None,
            unit=unit,
            target_met=None,
            baseline=baseline,
            direction=None,
            suggested=AchievementStatus.IN_PROGRESS,
            summary=Message(NO_MEASUREMENTS),
            trend=None,
        )

    # sorted() is stable, so among equal times the last one given ends up last.
    ordered = sorted(values, key=lambda item: item[0])
    latest_at, latest = ordered[-1][0], _finite(float(ordered[-1][1]), "measured value")
    met = comparator.is_met(latest, target_value)

    reference = baseline if baseline is not None else (ordered[0][1] if len(ordered) > 1 else None)
    direction = None
    if reference is not None:
        reference = _finite(float(reference), "baseline")
        direction = _direction(comparator, reference, latest, tolerance)

    if met:
        suggested = AchievementStatus.ACHIEVED
    elif direction is not None:
        suggested = direction
    else:
        suggested = AchievementStatus.IN_PROGRESS

    summary = Message(
        _SUMMARY[(comparator, met)], {"value": latest, "unit": unit, "target": target_value}
    )
    trend = (
        Message(_TREND[direction], {"baseline": reference, "unit": unit})
        if direction is not None
        else None
    )
    return Progress(
        count=len(ordered),
        latest=latest,
        latest_at=latest_at,
        unit=unit,
        target_met=met,
        baseline=reference,
        direction=direction,
        suggested=suggested,
        summary=summary,
        trend=trend,
    )


def _direction(
    comparator: Comparator, baseline: float, latest: float, tolerance: float | None
) -> AchievementStatus:
    band = abs(baseline) * DEFAULT_RELATIVE_TOLERANCE if tolerance is None else tolerance
    if band < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance}")
    change = latest - baseline
    if abs(change) <= band + _EPSILON:
        return AchievementStatus.NO_CHANGE
    went_down = change < 0
    if went_down == comparator.lower_is_better:
        return AchievementStatus.IMPROVING
    return AchievementStatus.WORSENING


def _finite(number: float, what: str) -> float:
    # NaN would make every comparison false and every summary wrong: refuse it loudly.
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {number}")
    return number
