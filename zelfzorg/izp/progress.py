"""Progress of a measurable goal: the *check* of PDCA, computed from logged measurements."""

from __future__ import annotations

import math
import statistics
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


#: The rule of the suggestion: the last WINDOW readings since the last review (or the start
#: of the goal), at least MIN_READINGS of them, and at least ACHIEVED_PERCENT % on target.
#: One reading never decides; the median says where the readings stand.
WINDOW = 5
MIN_READINGS = 3
ACHIEVED_PERCENT = 80


@dataclass(frozen=True)
class Progress:
    """Where a goal stands against its target, from the readings since the last review.

    ``window`` is the number of readings the suggestion uses (the last ``WINDOW``), of which
    ``on_target`` meet the target; ``median`` is their middle value. ``target_met`` follows
    the rule (see :data:`RULE`) and is None with too few readings. ``baseline`` is the
    reference for ``direction`` (median against it): the one given, else the first reading
    when there are two or more. ``suggested`` is only a suggestion for the review: the
    professional decides.
    """

    count: int  # readings since the last review (or the start)
    latest: float | None
    latest_at: datetime | None
    unit: str
    target_met: bool | None
    baseline: float | None
    direction: AchievementStatus | None
    suggested: AchievementStatus
    summary: Message
    trend: Message | None
    verdict: Message | None = None
    rule: Message | None = None
    window: int = 0
    on_target: int = 0
    median: float | None = None
    since_review: bool = False

    @property
    def messages(self) -> list[Message]:
        """Latest value, the count on target, the trend, then the rule: what a screen or PDF
        shows (the rule always with the suggestion)."""
        found = [self.summary, self.verdict, self.trend, self.rule]
        return [m for m in found if m is not None]


_SUMMARY: dict[Comparator, str] = {
    Comparator.LT: N_("Laatste waarde %(value)s %(unit)s (doel: lager dan %(target)s)."),
    Comparator.LE: N_("Laatste waarde %(value)s %(unit)s (doel: %(target)s of lager)."),
    Comparator.GT: N_("Laatste waarde %(value)s %(unit)s (doel: hoger dan %(target)s)."),
    Comparator.GE: N_("Laatste waarde %(value)s %(unit)s (doel: %(target)s of hoger)."),
}

_VERDICT = {
    True: N_(
        "%(on_target)s van de laatste %(window)s metingen sinds de vorige evaluatie halen het "
        "doel. De middelste waarde (mediaan) is %(median)s %(unit)s."
    ),
    False: N_(
        "%(on_target)s van de laatste %(window)s metingen sinds de start van het doel halen het "
        "doel. De middelste waarde (mediaan) is %(median)s %(unit)s."
    ),
}

_TOO_FEW = {
    True: N_(
        "Sinds de vorige evaluatie zijn er %(count)s metingen. Dat is te weinig voor een "
        "voorstel (minstens %(minimum)s nodig)."
    ),
    False: N_(
        "Sinds de start van het doel zijn er %(count)s metingen. Dat is te weinig voor een "
        "voorstel (minstens %(minimum)s nodig)."
    ),
}

RULE = N_(
    'Rekenregel voor het voorstel: "gehaald" als minstens %(percent)s procent van de laatste '
    "%(window)s metingen het doel haalt (minstens %(minimum)s metingen). Anders vergelijken we "
    "de middelste waarde met de start. Eén meting beslist nooit. U kiest zelf."
)

_TREND: dict[AchievementStatus, str] = {
    AchievementStatus.IMPROVING: N_("Dat is beter dan bij de start (%(baseline)s %(unit)s)."),
    AchievementStatus.WORSENING: N_("Dat is slechter dan bij de start (%(baseline)s %(unit)s)."),
    AchievementStatus.NO_CHANGE: N_("Dat is ongeveer gelijk aan de start (%(baseline)s %(unit)s)."),
}

NO_MEASUREMENTS = N_("Er zijn nog geen metingen voor dit doel.")
NO_MEASUREMENTS_SINCE_REVIEW = N_("Er zijn geen nieuwe metingen sinds de vorige evaluatie.")


def rule_message() -> Message:
    return Message(RULE, {"percent": ACHIEVED_PERCENT, "window": WINDOW, "minimum": MIN_READINGS})


def compute_progress(
    target: tuple[Comparator | str, float, str],
    baseline: float | None,
    values: Sequence[tuple[datetime, float]],
    *,
    tolerance: float | None = None,
    since_review: bool = False,
) -> Progress:
    """Progress of the goal ``target`` = (comparator, value, unit) from the readings
    ``values`` since the last review (``since_review``) or since the goal started.

    ``values`` are (measured at, value) in the target's unit, in any order (on equal times,
    the last one given is the later). The suggestion uses the last ``WINDOW`` readings: at
    least ``MIN_READINGS`` of them and ``ACHIEVED_PERCENT`` % on target is "achieved";
    otherwise the direction of their median against ``baseline`` (or, without one, the first
    reading when there are two or more): within ``tolerance`` (default 2% of the baseline) is
    no change, towards the target side is improving; otherwise in progress.
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
            summary=Message(NO_MEASUREMENTS_SINCE_REVIEW if since_review else NO_MEASUREMENTS),
            trend=None,
            rule=rule_message(),
            since_review=since_review,
        )

    # sorted() is stable, so among equal times the last one given ends up last.
    ordered = sorted(values, key=lambda item: item[0])
    numbers = [_finite(float(v), "measured value") for _, v in ordered]
    latest_at, latest = ordered[-1][0], numbers[-1]
    window = numbers[-WINDOW:]
    on_target = sum(comparator.is_met(v, target_value) for v in window)
    middle = float(statistics.median(window))
    enough = len(window) >= MIN_READINGS
    met = on_target * 100 >= ACHIEVED_PERCENT * len(window) if enough else None

    reference = baseline if baseline is not None else (numbers[0] if len(numbers) > 1 else None)
    direction = None
    if reference is not None:
        reference = _finite(float(reference), "baseline")
        direction = _direction(comparator, reference, middle, tolerance)

    if met:
        suggested = AchievementStatus.ACHIEVED
    elif direction is not None:
        suggested = direction
    else:
        suggested = AchievementStatus.IN_PROGRESS

    summary = Message(_SUMMARY[comparator], {"value": latest, "unit": unit, "target": target_value})
    if enough:
        verdict = Message(
            _VERDICT[since_review],
            {"on_target": on_target, "window": len(window), "median": middle, "unit": unit},
        )
    else:
        verdict = Message(_TOO_FEW[since_review], {"count": len(numbers), "minimum": MIN_READINGS})
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
        verdict=verdict,
        rule=rule_message(),
        window=len(window),
        on_target=on_target,
        median=middle,
        since_review=since_review,
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
