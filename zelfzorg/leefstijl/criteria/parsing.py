"""Criteria data (JSON-able) to the criterion tree and back, with every error located by
path."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from zelfzorg.errors import ValidationError
from zelfzorg.leefstijl.criteria.schema import (
    ACTIVATION_LEVELS,
    COMPANIONS,
    E_AGE_OPEN,
    E_AGE_PAIR,
    E_AGE_REVERSED,
    E_AGE_VALUE,
    E_BAD_OPERATOR,
    E_DUPLICATE,
    E_EMPTY_LIST,
    E_MISSING_KEY,
    E_NO_KIND,
    E_NO_VALUE,
    E_NOT_LIST,
    E_NOT_NUMBER,
    E_NOT_OBJECT,
    E_TOO_DEEP,
    E_TWO_KINDS,
    E_UNKNOWN_KEY,
    E_UNKNOWN_LEVEL,
    E_UNKNOWN_MEASUREMENT,
    E_UNKNOWN_PROGRAMME,
    E_UNKNOWN_SMOKING,
    E_VALUE_AND_BY_SEX,
    KINDS,
    MAX_AGE,
    MAX_DEPTH,
    MEASUREMENTS,
    OPERATORS,
    PROGRAMMES,
    ROOT_PATH,
    SEXES,
    SMOKING_STATUSES,
    ActivationLevelIn,
    AgeBetween,
    AllOf,
    AnyOf,
    Criterion,
    MeasurementCompare,
    Not,
    Number,
    ProgrammeIn,
    Smoking,
)


def parse_criteria(data: object) -> Criterion:
    """Validate JSON-able criteria data and build the criterion tree.

    Raises ``ValidationError`` whose ``field`` (and ``path`` parameter) names the place of the
    problem, e.g. ``criteria.all[1].op``.
    """
    return _parse(data, ROOT_PATH, 1)


def _fail(message: str, path: str, **params: object) -> ValidationError:
    return ValidationError(message, field=path, path=path, **params)


def _choices(values: tuple[object, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _parse(data: object, path: str, depth: int) -> Criterion:
    if depth > MAX_DEPTH:
        raise _fail(E_TOO_DEEP, path, max=MAX_DEPTH)
    if not isinstance(data, Mapping):
        raise _fail(E_NOT_OBJECT, path)
    kinds = [k for k in data if k in COMPANIONS]
    if not kinds:
        if not data:
            raise _fail(E_NO_KIND, path, choices=_choices(KINDS))
        if set(data) <= COMPANIONS["measurement"]:
            raise _fail(E_MISSING_KEY, path, key="measurement")
        raise _fail(E_UNKNOWN_KEY, path, key=next(k for k in data if k not in COMPANIONS))
    if len(kinds) > 1:
        raise _fail(E_TWO_KINDS, path, keys=", ".join(kinds))
    kind = kinds[0]
    for key in data:
        if key != kind and key not in COMPANIONS[kind]:
            raise _fail(E_UNKNOWN_KEY, path, key=key)
    body = data[kind]
    sub = f"{path}.{kind}"
    if kind in ("all", "any"):
        items = tuple(
            _parse(item, f"{sub}[{i}]", depth + 1) for i, item in enumerate(_list(body, sub))
        )
        return AllOf(items) if kind == "all" else AnyOf(items)
    if kind == "not":
        return Not(_parse(body, sub, depth + 1))
    if kind == "programme_in":
        return ProgrammeIn(_choice_list(body, sub, PROGRAMMES, E_UNKNOWN_PROGRAMME))
    if kind == "measurement":
        return _parse_measurement(data, path)
    if kind == "smoking":
        if not isinstance(body, str) or body not in SMOKING_STATUSES:
            raise _fail(E_UNKNOWN_SMOKING, sub, value=body, choices=_choices(SMOKING_STATUSES))
        return Smoking(body)
    if kind == "age_between":
        return _parse_age(body, sub)
    return ActivationLevelIn(_choice_list(body, sub, ACTIVATION_LEVELS, E_UNKNOWN_LEVEL))


def _list(body: object, path: str) -> list[object]:
    if not isinstance(body, list | tuple):
        raise _fail(E_NOT_LIST, path)
    if not body:
        raise _fail(E_EMPTY_LIST, path)
    return list(body)


def _choice_list(body: object, path: str, allowed: tuple, message: str) -> tuple:
    values = _list(body, path)
    seen: list[object] = []
    for i, value in enumerate(values):
        # Exact type: True and 1.0 must not pass as activation level 1.
        if type(value) is not type(allowed[0]) or value not in allowed:
            raise _fail(message, f"{path}[{i}]", value=value, choices=_choices(allowed))
        if value in seen:
            raise _fail(E_DUPLICATE, f"{path}[{i}]", value=value)
        seen.append(value)
    return tuple(seen)


def _number(value: object, path: str) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(E_NOT_NUMBER, path)
    if not math.isfinite(value):
        raise _fail(E_NOT_NUMBER, path)
    return value


def _parse_measurement(data: Mapping, path: str) -> MeasurementCompare:
    code = data["measurement"]
    if not isinstance(code, str) or code not in MEASUREMENTS:
        raise _fail(
            E_UNKNOWN_MEASUREMENT,
            f"{path}.measurement",
            value=code,
            choices=_choices(tuple(MEASUREMENTS)),
        )
    if "op" not in data:
        raise _fail(E_MISSING_KEY, path, key="op")
    op = data["op"]
    if not isinstance(op, str) or op not in OPERATORS:
        raise _fail(E_BAD_OPERATOR, f"{path}.op", value=op, choices=_choices(tuple(OPERATORS)))
    if "value" in data and "value_by_sex" in data:
        raise _fail(E_VALUE_AND_BY_SEX, path)
    if "value" in data:
        return MeasurementCompare(code, op, value=_number(data["value"], f"{path}.value"))
    if "value_by_sex" not in data:
        raise _fail(E_NO_VALUE, path)
    by_sex = data["value_by_sex"]
    sub = f"{path}.value_by_sex"
    if not isinstance(by_sex, Mapping):
        raise _fail(E_NOT_OBJECT, sub)
    for key in by_sex:
        if key not in SEXES:
            raise _fail(E_UNKNOWN_KEY, sub, key=key)
    for sex in SEXES:
        if sex not in by_sex:
            raise _fail(E_MISSING_KEY, sub, key=sex)
    pairs = tuple((sex, _number(by_sex[sex], f"{sub}.{sex}")) for sex in SEXES)
    return MeasurementCompare(code, op, value_by_sex=pairs)


def _parse_age(body: object, path: str) -> AgeBetween:
    if not isinstance(body, list | tuple) or len(body) != 2:
        raise _fail(E_AGE_PAIR, path)
    for i, bound in enumerate(body):
        valid_int = isinstance(bound, int) and not isinstance(bound, bool)
        if bound is not None and not (valid_int and 0 <= bound <= MAX_AGE):
            raise _fail(E_AGE_VALUE, f"{path}[{i}]")
    low, high = body
    if low is None and high is None:
        raise _fail(E_AGE_OPEN, path)
    if low is not None and high is not None and low > high:
        raise _fail(E_AGE_REVERSED, path, low=low, high=high)
    return AgeBetween(low, high)


def criteria_to_data(criterion: Criterion) -> dict[str, object]:
    """The JSON-able data of a criterion; ``parse_criteria`` of it gives the criterion back."""
    match criterion:
        case AllOf(items):
            return {"all": [criteria_to_data(item) for item in items]}
        case AnyOf(items):
            return {"any": [criteria_to_data(item) for item in items]}
        case Not(item):
            return {"not": criteria_to_data(item)}
        case ProgrammeIn(programmes):
            return {"programme_in": list(programmes)}
        case MeasurementCompare(code, op, value, by_sex):
            data: dict[str, object] = {"measurement": code, "op": op}
            if by_sex is None:
                data["value"] = value
            else:
                data["value_by_sex"] = dict(by_sex)
            return data
        case Smoking(status):
            return {"smoking": status}
        case AgeBetween(low, high):
            return {"age_between": [low, high]}
        case ActivationLevelIn(levels):
            return {"activation_level_in": list(levels)}
    raise TypeError(f"not a criterion: {criterion!r}")


def walk(criterion: Criterion) -> Iterator[Criterion]:
    """Every node of the tree, parents before children."""
    yield criterion
    if isinstance(criterion, AllOf | AnyOf):
        for item in criterion.items:
            yield from walk(item)
    elif isinstance(criterion, Not):
        yield from walk(criterion.item)


def measurement_codes(criterion: Criterion) -> frozenset[str]:
    """Measurement codes the criterion reads: the ones a service must load into the facts."""
    return frozenset(n.code for n in walk(criterion) if isinstance(n, MeasurementCompare))
