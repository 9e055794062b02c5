"""Scoring a set of answers with the instrument definition (and version) they were given to.

Rules, in this order:

1. Every answer must belong to an item of the instrument and be one of its option values
   (``None`` = not answered); otherwise a ``ValidationError`` names the item.
2. *Answered* items are those with a value that is not a "not applicable" option.
   Fewer than ``min_answered`` -> not scorable, reason ``too_few_answers``.
3. With ``all_same_extreme``: every answered item at the lowest option, or every one at the
   highest -> not scorable, reason ``all_same_extreme`` (a pattern that says nothing).
4. raw = sum of the answered values; then per method
   ``mean`` = raw / answered; ``sum`` = raw;
   ``mean_scaled`` = the mean mapped linearly from [lowest option, highest option] to the score
   range (activation: 1 -> 0, 4 -> 100, so score = (mean - 1) / 3 * 100);
   ``conversion_table`` = the table's score for (answered, raw) or for raw.
5. Computed exactly (fractions), then rounded to ``decimals`` with ROUND_HALF_UP (47.05 -> 47.1,
   never banker's rounding); the level is looked up with that rounded score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from zelfzorg.assessment.instruments import InstrumentDefinition, Level, ScoringMethod
from zelfzorg.errors import N_, ValidationError

ReasonCode = Literal["too_few_answers", "all_same_extreme"]

TOO_FEW_ANSWERS = N_(
    "Geen score: %(answered)s van de %(total)s vragen zijn beantwoord. "
    "Daarvan zijn er minstens %(minimum)s nodig."
)
ALL_SAME_EXTREME = N_(
    "Geen score: bij alle %(answered)s beantwoorde vragen is hetzelfde uiterste antwoord gekozen."
)


@dataclass(frozen=True)
class ScoreResult:
    """The outcome of scoring one response; ``reason % reason_params`` is the Dutch text."""

    instrument_code: str
    instrument_version: str
    scorable: bool
    reason_code: ReasonCode | None
    reason: str | None
    answered_count: int
    not_applicable_count: int
    missing_count: int
    raw: int  # sum of the answered values, also when not scorable
    score: float | None
    level: Level | None
    reason_params: dict[str, object] = field(default_factory=dict)


def round_half_up(value: Fraction | Decimal | int, decimals: int) -> Decimal:
    """Round half away from zero to ``decimals`` places (Python's round() rounds half to even)."""
    if isinstance(value, Fraction):
        # 60 digits: any exact half (x.x5) of our small denominators is a terminating decimal
        # and survives the division unrounded.
        with localcontext() as context:
            context.prec = 60
            value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _validate(definition: InstrumentDefinition, answers: Mapping[str, int | None]) -> None:
    item_codes = {item.code for item in definition.items}
    option_values = {option.value for option in definition.answer_options}
    for code, value in answers.items():
        if code not in item_codes:
            raise ValidationError(
                N_("Vraag %(item)s hoort niet bij deze vragenlijst."), field=str(code), item=code
            )
        # bool is an int subclass; True is not the answer "1".
        if value is not None and (type(value) is not int or value not in option_values):
            raise ValidationError(
                N_("Het antwoord %(value)s bij vraag %(item)s is geen geldige keuze."),
                field=code,
                item=code,
                value=value,
            )


def _exact_score(definition: InstrumentDefinition, answered: list[int], raw: int) -> Fraction:
    scoring = definition.scoring
    count = len(answered)
    if scoring.method is ScoringMethod.SUM:
        return Fraction(raw)
    if scoring.method is ScoringMethod.MEAN:
        return Fraction(raw, count)
    if scoring.method is ScoringMethod.MEAN_SCALED:
        low, high = definition.lowest_value, definition.highest_value
        target_min = Fraction(Decimal(repr(scoring.score_range.min)))
        target_max = Fraction(Decimal(repr(scoring.score_range.max)))
        return (Fraction(raw, count) - low) / (high - low) * (target_max - target_min) + target_min
    table = scoring.conversion_table
    # Loading guarantees a table with every (answered, raw) that passes min_answered.
    assert table is not None
    looked_up = table.lookup(count, raw)
    assert looked_up is not None
    return Fraction(Decimal(repr(looked_up)))


def score(definition: InstrumentDefinition, answers: Mapping[str, int | None]) -> ScoreResult:
    """Score ``answers`` ({item code: option value or None}); items left out count as missing."""
    _validate(definition, answers)
    not_applicable = {o.value for o in definition.answer_options if o.not_applicable}
    given = [answers.get(item.code) for item in definition.items]
    answered = [v for v in given if v is not None and v not in not_applicable]
    result = {
        "instrument_code": definition.code,
        "instrument_version": definition.version,
        "answered_count": len(answered),
        "not_applicable_count": sum(1 for v in given if v is not None and v in not_applicable),
        "missing_count": sum(1 for v in given if v is None),
        "raw": sum(answered),
    }

    def not_scorable(code: ReasonCode, message: str, **params: object) -> ScoreResult:
        return ScoreResult(
            **result,
            scorable=False,
            reason_code=code,
            reason=message,
            reason_params=params,
            score=None,
            level=None,
        )

    scoring = definition.scoring
    if len(answered) < scoring.min_answered:
        return not_scorable(
            "too_few_answers",
            TOO_FEW_ANSWERS,
            answered=len(answered),
            total=len(definition.items),
            minimum=scoring.min_answered,
        )
    extremes = (definition.lowest_value, definition.highest_value)
    if scoring.all_same_extreme and any(all(v == e for v in answered) for e in extremes):
        return not_scorable(
            "all_same_extreme", ALL_SAME_EXTREME, answered=len(answered), value=answered[0]
        )

    rounded = round_half_up(_exact_score(definition, answered, result["raw"]), scoring.decimals)
    return ScoreResult(
        **result,
        scorable=True,
        reason_code=None,
        reason=None,
        score=float(rounded),
        level=_level(definition, rounded),
    )


def _level(definition: InstrumentDefinition, rounded: Decimal) -> Level | None:
    for level in definition.levels:
        if Decimal(repr(level.min)) <= rounded <= Decimal(repr(level.max)):
            return level
    return None


def level_for(definition: InstrumentDefinition, score: float | Decimal | int) -> Level | None:
    """The level of a score, rounded half up to the instrument's decimals first (47.05 -> 47.1
    -> level 2); None if the instrument has no levels. Outside the score range: ValidationError."""
    # str(), not Decimal(float): 47.05 must be the decimal 47.05, not 47.0499999...
    value = Decimal(str(score)) if isinstance(score, float) else Decimal(score)
    score_range = definition.scoring.score_range
    if value.is_finite():
        value = round_half_up(value, definition.scoring.decimals)
    if not value.is_finite() or not (
        Decimal(repr(score_range.min)) <= value <= Decimal(repr(score_range.max))
    ):
        raise ValidationError(
            N_("De score %(score)s valt buiten het bereik van %(min)s tot %(max)s."),
            field="score",
            score=str(score),
            min=score_range.min,
            max=score_range.max,
        )
    return _level(definition, value)
