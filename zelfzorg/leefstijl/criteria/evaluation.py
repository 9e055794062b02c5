"""Three-valued evaluation of a criterion on one patient's facts, with an explanation:
missing (or too old) data that could change the result gives ``unknown``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, NamedTuple, TypeAlias

from zelfzorg.leefstijl.criteria.schema import (
    ACTIVATION_LEVELS,
    OPERATORS,
    PROGRAMMES,
    SMOKING_STATUSES,
    ActivationLevelIn,
    AgeBetween,
    AllOf,
    AnyOf,
    Criterion,
    Lang,
    MeasurementCompare,
    Not,
    Number,
    ProgrammeIn,
    Smoking,
)
from zelfzorg.leefstijl.criteria.texts import (
    TEXTS,
    code_label,
    describe_node,
    format_day,
    programme_name,
    resolve_lang,
    with_unit,
)


class Measurement(NamedTuple):
    """The latest value of one measurement and the local calendar date it was taken."""

    value: Number
    measured_at: date


@dataclass(frozen=True)
class PatientFacts:
    """What the engine knows about a patient on ``reference_date``.

    ``measurements`` maps a code to the latest ``Measurement`` (a plain ``(value, date)``
    tuple is accepted); an absent code or ``None`` means no measurement. A measurement older
    than ``max_measurement_age_days`` (overridden per code by ``max_age_days_by_code``)
    before ``reference_date`` counts as missing.
    """

    programmes: frozenset[str] = frozenset()
    age: int | None = None
    sex: str | None = None
    measurements: Mapping[str, Measurement | tuple[Number, date] | None] = field(
        default_factory=dict
    )
    smoking: str | None = None
    activation_level: int | None = None
    reference_date: date | None = None
    max_measurement_age_days: int | None = None
    max_age_days_by_code: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Programmes may come as any iterable (list of enrolment codes); keep a set.
        object.__setattr__(self, "programmes", frozenset(self.programmes))
        if self.smoking is not None and self.smoking not in SMOKING_STATUSES:
            raise ValueError(f"smoking must be one of {SMOKING_STATUSES} or None")
        if self.activation_level is not None and self.activation_level not in ACTIVATION_LEVELS:
            raise ValueError("activation_level must be 1-4 or None")
        if self.age is not None and self.age < 0:
            raise ValueError("age must not be negative")
        limits = [self.max_measurement_age_days, *self.max_age_days_by_code.values()]
        if any(v is not None for v in limits) and self.reference_date is None:
            raise ValueError("a maximum measurement age needs a reference_date")

    def max_age_days(self, code: str) -> int | None:
        return self.max_age_days_by_code.get(code, self.max_measurement_age_days)


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


Outcome: TypeAlias = Literal["eligible", "not_eligible", "unknown"]


_OUTCOMES: dict[Status, Outcome] = {
    Status.MET: "eligible",
    Status.NOT_MET: "not_eligible",
    Status.UNKNOWN: "unknown",
}


MissingKind: TypeAlias = Literal["measurement", "age", "sex", "smoking", "activation_level"]


@dataclass(frozen=True)
class MissingData:
    """A piece of data whose absence keeps the outcome unknown."""

    kind: MissingKind
    text: str  # e.g. "BMI (geen meting)"
    code: str | None = None  # measurement code, for kind "measurement"
    stale: bool = False  # a measurement exists but is too old


@dataclass(frozen=True)
class ExplanationLine:
    """One node of the criteria tree with its result; ``depth`` 0 is the whole rule."""

    depth: int
    criterion: str  # describe() of the node
    status: Status
    status_text: str  # "voldoet" / "met"
    value: str | None  # the data used, e.g. "BMI 27,4 (12-03-2026)"; None for all/any/not

    @property
    def text(self) -> str:
        """E.g. "BMI 27,4 (12-03-2026): voldoet"."""
        shown = self.value or self.criterion
        return f"{shown[:1].upper()}{shown[1:]}: {self.status_text}"


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome
    lines: tuple[ExplanationLine, ...]
    missing: tuple[MissingData, ...]

    @property
    def eligible(self) -> bool:
        return self.outcome == "eligible"


@dataclass
class _Node:
    status: Status
    line: ExplanationLine
    missing: list[MissingData]  # own missing data (leaves only)
    children: list[_Node]


def evaluate(criterion: Criterion, facts: PatientFacts, lang: str = "nl") -> Evaluation:
    """Decide eligibility with Kleene three-valued logic and explain each step.

    ``missing`` lists only data that could change the outcome: it is collected along the
    unknown branches, so it is empty when the outcome is decided (Kleene logic is monotone:
    filling in the blanks cannot change a decided node).
    """
    root = _evaluate(criterion, facts, resolve_lang(lang), 0)
    lines: list[ExplanationLine] = []
    _collect_lines(root, lines)
    missing: dict[tuple[str, str | None], MissingData] = {}
    _collect_missing(root, missing)
    return Evaluation(_OUTCOMES[root.status], tuple(lines), tuple(missing.values()))


def _collect_lines(node: _Node, out: list[ExplanationLine]) -> None:
    out.append(node.line)
    for child in node.children:
        _collect_lines(child, out)


def _collect_missing(node: _Node, out: dict[tuple[str, str | None], MissingData]) -> None:
    if node.status is not Status.UNKNOWN:
        return
    for item in node.missing:
        out.setdefault((item.kind, item.code), item)
    for child in node.children:
        _collect_missing(child, out)


def _kleene_all(statuses: list[Status]) -> Status:
    if Status.NOT_MET in statuses:
        return Status.NOT_MET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.MET


def _kleene_any(statuses: list[Status]) -> Status:
    if Status.MET in statuses:
        return Status.MET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.NOT_MET


_NEGATE = {Status.MET: Status.NOT_MET, Status.NOT_MET: Status.MET, Status.UNKNOWN: Status.UNKNOWN}


def _status(ok: bool) -> Status:
    return Status.MET if ok else Status.NOT_MET


def _evaluate(node: Criterion, facts: PatientFacts, lang: Lang, depth: int) -> _Node:
    t = TEXTS[lang]
    children: list[_Node] = []
    missing: list[MissingData] = []
    value: str | None = None
    match node:
        case AllOf(items) | AnyOf(items):
            children = [_evaluate(item, facts, lang, depth + 1) for item in items]
            combine = _kleene_all if isinstance(node, AllOf) else _kleene_any
            status = combine([child.status for child in children])
        case Not(item):
            children = [_evaluate(item, facts, lang, depth + 1)]
            status = _NEGATE[children[0].status]
        case ProgrammeIn(programmes):
            status = _status(bool(facts.programmes & set(programmes)))
            # Show enrolments in the canonical programme order for a stable text.
            known = sorted(facts.programmes, key=lambda p: (p not in PROGRAMMES, _order(p)))
            names = ", ".join(programme_name(p, lang) for p in known)
            key = "programme" if len(known) == 1 else "programmes"
            value = t[key].format(programmes=names) if known else t["no_programmes"]
        case MeasurementCompare():
            status, value, missing = _evaluate_measurement(node, facts, lang)
        case Smoking(wanted):
            if facts.smoking is None:
                status, value = Status.UNKNOWN, t["smoking_unknown"]
                missing = [MissingData("smoking", t["missing_smoking"])]
            else:
                status, value = _status(facts.smoking == wanted), t[facts.smoking]
        case AgeBetween(low, high):
            if facts.age is None:
                status, value = Status.UNKNOWN, t["age_unknown"]
                missing = [MissingData("age", t["missing_age"])]
            else:
                above = low is None or facts.age >= low
                below = high is None or facts.age <= high
                status, value = _status(above and below), t["age"].format(age=facts.age)
        case ActivationLevelIn(levels):
            if facts.activation_level is None:
                status, value = Status.UNKNOWN, t["level_unknown"]
                missing = [MissingData("activation_level", t["missing_activation_level"])]
            else:
                status = _status(facts.activation_level in levels)
                value = t["level"].format(level=facts.activation_level)
        case _:
            raise TypeError(f"not a criterion: {node!r}")
    text = describe_node(node, lang)
    line = ExplanationLine(depth, text[:1].upper() + text[1:], status, t[status.value], value)
    return _Node(status, line, missing, children)


def _order(code: str) -> int | str:
    return PROGRAMMES.index(code) if code in PROGRAMMES else code


def _as_day(moment: date) -> date:
    # A datetime is a date subclass but cannot be subtracted from a date.
    return moment.date() if isinstance(moment, datetime) else moment


def _evaluate_measurement(
    node: MeasurementCompare, facts: PatientFacts, lang: Lang
) -> tuple[Status, str, list[MissingData]]:
    t = TEXTS[lang]
    label = code_label(node.code, lang)
    thresholds = node.thresholds()
    sex = facts.sex or ""
    if node.value is not None:
        limits = [node.value]
    elif sex in thresholds:
        limits = [thresholds[sex]]
    else:
        limits = list(thresholds.values())
    # Without a known sex the result may still be decided when every threshold agrees.
    sex_missing = [MissingData("sex", t["missing_sex"])] if len(set(limits)) > 1 else []
    raw = facts.measurements.get(node.code)
    if raw is None:
        missing = [
            MissingData("measurement", t["missing_measurement"].format(label=label), node.code)
        ]
        return Status.UNKNOWN, t["not_measured"].format(label=label), missing + sex_missing
    measured = Measurement(*raw)
    day = _as_day(measured.measured_at)
    shown = {
        "label": label,
        "value": with_unit(measured.value, node.code, lang),
        "date": format_day(day, lang),
    }
    max_days = facts.max_age_days(node.code)
    reference = facts.reference_date  # set whenever a max age is (checked in PatientFacts)
    if max_days is not None and reference is not None and (reference - day).days > max_days:
        text = t["missing_stale"].format(label=label, date=shown["date"])
        missing = [MissingData("measurement", text, node.code, stale=True)]
        return Status.UNKNOWN, t["too_old"].format(**shown), missing + sex_missing
    compare = OPERATORS[node.op]
    results = {compare(measured.value, limit) for limit in limits}
    value = t["measured"].format(**shown)
    if node.value_by_sex is not None and sex in thresholds:
        value = t["with_sex"].format(text=value, sex=t[sex])
    if len(results) > 1:
        return Status.UNKNOWN, t["sex_unknown"].format(text=value), sex_missing
    return _status(results.pop()), value, []
