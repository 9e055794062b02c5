"""Plausibility of readings: refuse the impossible, explain likely typing mistakes, warn on doubt.

Every check returns a list of ``Problem``: ``severity="error"`` means the reading must not be
stored; ``"warning"`` means "ask the person to confirm". Nothing here raises for bad input; the
service decides (``problem.to_error()`` gives the ``ValidationError`` to raise).

Times must be all timezone-aware (UTC) or all naive; mixing them is a programming error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from zelfzorg.errors import N_, ValidationError
from zelfzorg.inputs import E_DATE_BEFORE_BIRTH, EARLIEST_DATE
from zelfzorg.telemonitoring.types import (
    MeasurementType,
    Text,
    format_number,
    format_plain,
    get_type,
    render_message,
)

Severity = Literal["error", "warning"]

#: Device and phone clocks drift; a reading a few minutes "in the future" is not a typo.
CLOCK_SKEW = timedelta(minutes=5)
#: Older readings are possible (history) but usually a typo in the year: ask to confirm.
MAX_AGE_YEARS = 5
#: mg/dL -> mmol/L for glucose (molar mass 180 g/mol; the factor labs and meters use).
GLUCOSE_MG_DL_PER_MMOL_L = 18.0
#: HbA1c % (NGSP/DCCT) -> mmol/mol (IFCC): mmol/mol = (% - 2.15) * 10.929.
HBA1C_NGSP_OFFSET = 2.15
HBA1C_IFCC_FACTOR = 10.929


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One finding about one form field; ``message`` is a Dutch msgid, ``params`` fill it."""

    field: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    severity: Severity = "error"
    code: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self, lang: str = "nl", translate: Callable[[str], str] | None = None) -> str:
        return render_message(self.message, self.params, lang, translate)

    def to_error(self) -> ValidationError:
        return ValidationError(self.message, field=self.field, **self.params)


@dataclass(frozen=True)
class PreviousReading:
    value: float
    measured_at: datetime


@dataclass(frozen=True)
class ReadingContext:
    """What a single check needs besides the reading itself."""

    field: str = "value"
    time_field: str = "measured_at"
    previous: PreviousReading | None = None
    clock_skew: timedelta = CLOCK_SKEW
    #: None switches the age warning off (e.g. for an import of historical data).
    max_age_years: int | None = MAX_AGE_YEARS


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


def check_reading(
    mtype: MeasurementType,
    value: float | str,
    measured_at: datetime,
    now: datetime,
    *,
    context: ReadingContext | None = None,
) -> list[Problem]:
    """All problems of one reading: its value (range, unit mix-up, jump) and its time."""
    ctx = context or ReadingContext()
    return check_value(
        mtype, value, field=ctx.field, previous=ctx.previous, measured_at=measured_at
    ) + check_time(
        measured_at,
        now,
        field=ctx.time_field,
        clock_skew=ctx.clock_skew,
        max_age_years=ctx.max_age_years,
    )


def check_bp(
    systolic: float,
    diastolic: float,
    measured_at: datetime,
    now: datetime,
    *,
    context: ReadingContext | None = None,
) -> list[Problem]:
    """A blood pressure reading (fields ``systolic`` and ``diastolic``) entered as one."""
    ctx = context or ReadingContext()
    problems = check_value(get_type("bp_systolic"), systolic, field="systolic")
    problems += check_value(get_type("bp_diastolic"), diastolic, field="diastolic")
    # Only compare two otherwise good values: one wrong number already has its own message.
    if not problems and diastolic >= systolic:
        problems.append(
            Problem(
                field="diastolic",
                code="diastolic_not_below_systolic",
                message=N_(
                    "De onderdruk (%(diastolic)s mmHg) moet lager zijn dan de bovendruk "
                    "(%(systolic)s mmHg). Heeft u ze misschien omgewisseld?"
                ),
                params={"systolic": _plain(systolic), "diastolic": _plain(diastolic)},
            )
        )
    return problems + check_time(
        measured_at,
        now,
        field=ctx.time_field,
        clock_skew=ctx.clock_skew,
        max_age_years=ctx.max_age_years,
    )


def check_value(
    mtype: MeasurementType,
    value: float | str,
    *,
    field: str = "value",
    previous: PreviousReading | None = None,
    measured_at: datetime | None = None,
) -> list[Problem]:
    """Problems of the value alone (and against ``previous`` when both times are known)."""
    if not mtype.is_quantity:
        if isinstance(value, str) and mtype.option(value) is not None:
            return []
        return [
            Problem(field=field, code="unknown_option", message=N_("Kies een van de antwoorden."))
        ]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return [Problem(field=field, code="not_a_number", message=N_("Vul een getal in."))]
    assert mtype.plausible is not None  # the loader guarantees it for quantity types
    if not mtype.plausible.contains(value):
        return [_unit_confusion(mtype, value, field) or _out_of_range(mtype, value, field)]
    if previous is not None and measured_at is not None:
        jump = _jump(mtype, value, measured_at, previous, field)
        if jump is not None:
            return [jump]
    return []


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
E_BEFORE_1900 = N_("Deze datum ligt voor 1900. Vul in wanneer u gemeten hebt.")


def check_time(
    measured_at: datetime,
    now: datetime,
    *,
    field: str = "measured_at",
    clock_skew: timedelta = CLOCK_SKEW,
    max_age_years: int | None = MAX_AGE_YEARS,
    born: date | None = None,
) -> list[Problem]:
    """A time in the future is an error, and so is one before 1900 or before the patient's
    birth; a very old one is a warning (usually a wrong year)."""
    day = measured_at.astimezone(AMSTERDAM).date() if measured_at.tzinfo else measured_at.date()
    if day < EARLIEST_DATE:
        return [Problem(field=field, code="too_early", message=E_BEFORE_1900)]
    if born is not None and day < born:
        return [Problem(field=field, code="before_birth", message=E_DATE_BEFORE_BIRTH)]
    if measured_at > now + clock_skew:
        return [
            Problem(
                field=field,
                code="future",
                message=N_("Dit tijdstip ligt in de toekomst. Vul in wanneer u gemeten hebt."),
            )
        ]
    if max_age_years is not None and measured_at < _years_before(now, max_age_years):
        return [
            Problem(
                field=field,
                code="too_old",
                severity="warning",
                message=N_("Deze meting is meer dan %(years)s jaar oud. Klopt de datum?"),
                params={"years": max_age_years},
            )
        ]
    return []


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body mass index, kg/m², rounded to one decimal as it is reported."""
    if not (weight_kg > 0 and height_cm > 0):
        raise ValidationError(N_("Voor de BMI zijn een gewicht en een lengte nodig."), field="bmi")
    return round(weight_kg / (height_cm / 100) ** 2, 1)


def derive_value(mtype: MeasurementType, inputs: Mapping[str, float]) -> float:
    """The value of a derived type from the latest value of each of its inputs, by code."""
    if mtype.derived is None:
        raise ValueError(f"{mtype.code} is not a derived type")
    if mtype.derived.formula == "bmi":
        missing = [code for code in mtype.derived.inputs if inputs.get(code) is None]
        if missing:
            raise ValidationError(
                N_("Voor de BMI zijn een gewicht en een lengte nodig."), field=mtype.code
            )
        weight, height = (inputs[code] for code in mtype.derived.inputs)
        return bmi(weight, height)
    raise ValueError(f"unknown formula {mtype.derived.formula!r}")


# --- the individual rules --------------------------------------------------------------------


def _plain(value: float) -> Text:
    """A number as the person typed it, with the decimal mark of each language."""
    return Text(nl=format_plain(value, "nl"), en=format_plain(value, "en"))


def _number(value: float, decimals: int) -> Text:
    return Text(nl=format_number(value, decimals, "nl"), en=format_number(value, decimals, "en"))


def _out_of_range(mtype: MeasurementType, value: float, field: str) -> Problem:
    assert mtype.plausible is not None and mtype.display_unit is not None
    return Problem(
        field=field,
        code="out_of_range",
        message=N_(
            "%(value)s %(unit)s kan niet kloppen. Vul een waarde in tussen %(min)s en "
            "%(max)s %(unit)s."
        ),
        params={
            "value": _plain(value),
            "unit": mtype.display_unit,
            "min": _plain(mtype.plausible.min),
            "max": _plain(mtype.plausible.max),
        },
    )


# kind -> (conversion to the expected unit, message explaining it)
_CONVERSIONS: dict[str, tuple[Callable[[float], float], str]] = {
    "glucose_mg_dl": (
        lambda v: v / GLUCOSE_MG_DL_PER_MMOL_L,
        N_(
            "%(value)s mmol/L kan niet kloppen. Dit lijkt mg/dL; in mmol/L is dat ongeveer "
            "%(converted)s. Vul de waarde in mmol/L in."
        ),
    ),
    "hba1c_percent": (
        lambda v: (v - HBA1C_NGSP_OFFSET) * HBA1C_IFCC_FACTOR,
        N_(
            "%(value)s mmol/mol kan niet kloppen. Dit lijkt een percentage (%%). HbA1c vult u "
            "in als mmol/mol (IFCC): (%(value)s - 2,15) × 10,929 = ongeveer %(converted)s "
            "mmol/mol."
        ),
    ),
    "height_metres": (
        lambda v: v * 100,
        N_(
            "%(value)s cm kan niet kloppen. Dit lijkt een lengte in meters; in centimeters is "
            "dat %(converted)s cm. Vul de lengte in centimeters in."
        ),
    ),
}


def _unit_confusion(mtype: MeasurementType, value: float, field: str) -> Problem | None:
    confusion, plausible = mtype.unit_confusion, mtype.plausible
    if confusion is None or plausible is None or not confusion.covers(value):
        return None
    convert, message = _CONVERSIONS[confusion.kind]
    converted = convert(value)
    # Only suggest a conversion that gives a possible value; else the plain range message.
    if not plausible.contains(converted):
        return None
    return Problem(
        field=field,
        code="unit_confusion",
        message=message,
        params={"value": _plain(value), "converted": _number(converted, mtype.decimals)},
    )


def _jump(
    mtype: MeasurementType,
    value: float,
    measured_at: datetime,
    previous: PreviousReading,
    field: str,
) -> Problem | None:
    rule = mtype.jump
    if rule is None:
        return None
    elapsed_days = abs((measured_at - previous.measured_at).total_seconds()) / 86400
    # Within one period the full max_change is allowed; over longer spans it grows linearly.
    allowed = rule.max_change * max(1.0, elapsed_days / rule.per_days)
    change = value - previous.value
    if abs(change) <= allowed:
        return None
    return Problem(
        field=field,
        code="jump",
        severity="warning",
        message=(
            N_("Dit is %(change)s hoger dan de vorige meting (%(previous)s). Klopt dit?")
            if change > 0
            else N_("Dit is %(change)s lager dan de vorige meting (%(previous)s). Klopt dit?")
        ),
        params={
            "change": mtype.quantity_text(abs(change)),
            "previous": mtype.quantity_text(previous.value),
        },
    )


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year without one
        return moment.replace(year=moment.year - years, day=28)
