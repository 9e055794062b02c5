"""Plan and goal history: what changed in a revision, and the values as they were at a moment.

Every change to a plan or goal is kept as a revision (who, when, what changed). The "what" is a
list of :class:`FieldChange` with JSON-safe values, so a revision row can store it in a JSON
column and :func:`state_at` can rebuild "the plan as it was on date X".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

JSONValue = None | bool | int | float | str | list[Any] | dict[str, Any]


@dataclasses.dataclass(frozen=True)
class FieldChange:
    """One field's value before and after a revision (JSON-safe values)."""

    field: str
    old: JSONValue
    new: JSONValue

    def to_json(self) -> dict[str, JSONValue]:
        return {"field": self.field, "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldChange:
        return cls(field=data["field"], old=data["old"], new=data["new"])


def to_json_value(value: object) -> JSONValue:
    """``value`` as plain JSON data: enums by value, dates/times ISO 8601, collections as lists.

    Aware datetimes are converted to UTC (times are stored in UTC); naive ones are taken as
    UTC already. Sets become sorted lists so that equal sets compare equal.
    """
    # Enums first: a StrEnum member is also a str, but must be stored as its plain value.
    if isinstance(value, Enum):
        return to_json_value(value.value)
    if value is None or isinstance(value, bool | str):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"not a finite number: {value!r}")
        return number
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json_value({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_json_value(item) for item in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    raise TypeError(f"cannot store {type(value).__name__} in a revision: {value!r}")


def diff_fields(
    old: Mapping[str, object], new: Mapping[str, object], fields: Iterable[str]
) -> list[FieldChange]:
    """The changes between ``old`` and ``new`` for ``fields``, in the order of ``fields``.

    Values are compared after conversion with :func:`to_json_value`, so a date and its ISO
    text are equal. A field missing from a mapping counts as None.
    """
    changes = []
    for name in fields:
        before = to_json_value(old.get(name))
        after = to_json_value(new.get(name))
        if before != after:
            changes.append(FieldChange(name, before, after))
    return changes


def state_at(
    initial: Mapping[str, object],
    changes: Sequence[tuple[datetime, Sequence[FieldChange]]],
    at: datetime,
) -> dict[str, JSONValue]:
    """The values as they were at ``at``: ``initial`` with every change made at or before it.

    ``initial`` is the state when the object was created; ``changes`` are (revision time,
    field changes) in any order, applied oldest first (equal times in the order given).
    """
    state: dict[str, JSONValue] = {name: to_json_value(value) for name, value in initial.items()}
    for changed_at, field_changes in sorted(changes, key=lambda revision: revision[0]):
        if changed_at > at:
            break
        for change in field_changes:
            state[change.field] = change.new
    return state
