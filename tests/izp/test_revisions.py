"""Field diffs for revisions and rebuilding the values as they were at a moment."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from zelfzorg.izp.pdca import Comparator, GoalLifecycle, Target
from zelfzorg.izp.revisions import FieldChange, diff_fields, state_at, to_json_value

FIELDS = ["title", "lifecycle", "review_date", "conditions"]


def test_diff_lists_only_changed_fields_as_json_values() -> None:
    old = {
        "title": "Wandelen",
        "lifecycle": GoalLifecycle.PROPOSED,
        "review_date": date(2025, 6, 1),
        "conditions": ["T90.02"],
    }
    new = {
        "title": "Wandelen",
        "lifecycle": GoalLifecycle.ACTIVE,
        "review_date": date(2025, 7, 1),
        "conditions": ["T90.02", "K86"],
    }

    assert diff_fields(old, new, FIELDS) == [
        FieldChange("lifecycle", "proposed", "active"),
        FieldChange("review_date", "2025-06-01", "2025-07-01"),
        FieldChange("conditions", ["T90.02"], ["T90.02", "K86"]),
    ]


def test_enum_values_are_stored_as_plain_strings() -> None:
    (change,) = diff_fields(
        {"lifecycle": GoalLifecycle.ACTIVE}, {"lifecycle": GoalLifecycle.ON_HOLD}, ["lifecycle"]
    )
    assert type(change.old) is str
    assert type(change.new) is str


def test_diff_follows_the_order_of_fields_and_ignores_others() -> None:
    old = {"a": 1, "b": 1, "c": 1}
    new = {"a": 2, "b": 2, "c": 2}
    assert [change.field for change in diff_fields(old, new, ["c", "a"])] == ["c", "a"]


def test_equal_values_in_different_python_types_are_no_change() -> None:
    old = {"review_date": date(2025, 6, 1), "lifecycle": "active", "value": Decimal("140.0")}
    new = {"review_date": "2025-06-01", "lifecycle": GoalLifecycle.ACTIVE, "value": 140}
    assert diff_fields(old, new, ["review_date", "lifecycle", "value"]) == []


def test_missing_field_counts_as_none() -> None:
    assert diff_fields({}, {"due_date": date(2025, 9, 1)}, ["due_date"]) == [
        FieldChange("due_date", None, "2025-09-01")
    ]
    assert diff_fields({"due_date": None}, {}, ["due_date"]) == []


def test_aware_datetimes_are_stored_in_utc() -> None:
    amsterdam_winter = timezone(timedelta(hours=1))
    assert (
        to_json_value(datetime(2025, 3, 10, 9, 30, tzinfo=amsterdam_winter))
        == "2025-03-10T08:30:00+00:00"
    )
    assert to_json_value(datetime(2025, 3, 10, 8, 30)) == "2025-03-10T08:30:00"


def test_nested_values_become_json_data() -> None:
    target = Target("bp-systolic", Comparator.LT, 140.0, "mmHg")
    value = {
        "target": target,
        "modules": {"coaching", "education"},
        "actions": ({"what": "wandelen", "done": False, "by": date(2025, 4, 1)},),
        "amount": Decimal("7.50"),
    }

    converted = to_json_value(value)

    assert converted == {
        "target": {
            "measurement_type": "bp-systolic",
            "comparator": "<",
            "value": 140.0,
            "unit": "mmHg",
        },
        "modules": ["coaching", "education"],
        "actions": [{"what": "wandelen", "done": False, "by": "2025-04-01"}],
        "amount": 7.5,
    }
    assert json.loads(json.dumps(converted)) == converted


def test_values_that_json_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError):
        to_json_value(object())
    with pytest.raises(ValueError):
        to_json_value(float("inf"))


def test_field_change_round_trips_through_json() -> None:
    change = FieldChange("conditions", ["T90.02"], ["T90.02", "K86"])
    assert FieldChange.from_json(json.loads(json.dumps(change.to_json()))) == change


# --- state_at ------------------------------------------------------------------------------

INITIAL = {
    "title": "Wandelen",
    "lifecycle": GoalLifecycle.PROPOSED,
    "review_date": date(2025, 6, 1),
}
T1 = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
T2 = datetime(2025, 4, 1, 14, 0, tzinfo=UTC)
T3 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
HISTORY = [
    (T1, [FieldChange("lifecycle", "proposed", "active")]),
    (
        T2,
        [
            FieldChange("title", "Wandelen", "Elke dag 30 minuten wandelen"),
            FieldChange("review_date", "2025-06-01", "2025-07-01"),
        ],
    ),
    (T3, [FieldChange("lifecycle", "active", "on-hold")]),
]


def test_state_before_any_change_is_the_initial_state_as_json() -> None:
    assert state_at(INITIAL, HISTORY, datetime(2025, 3, 1, tzinfo=UTC)) == {
        "title": "Wandelen",
        "lifecycle": "proposed",
        "review_date": "2025-06-01",
    }


def test_change_made_exactly_at_the_moment_is_included() -> None:
    assert state_at(INITIAL, HISTORY, T1)["lifecycle"] == "active"
    assert state_at(INITIAL, HISTORY, T1 - timedelta(seconds=1))["lifecycle"] == "proposed"


def test_state_between_revisions() -> None:
    assert state_at(INITIAL, HISTORY, datetime(2025, 4, 15, tzinfo=UTC)) == {
        "title": "Elke dag 30 minuten wandelen",
        "lifecycle": "active",
        "review_date": "2025-07-01",
    }


def test_state_after_all_revisions() -> None:
    assert state_at(INITIAL, HISTORY, datetime(2025, 12, 31, tzinfo=UTC)) == {
        "title": "Elke dag 30 minuten wandelen",
        "lifecycle": "on-hold",
        "review_date": "2025-07-01",
    }


def test_revisions_given_out_of_order_are_applied_oldest_first() -> None:
    shuffled = [HISTORY[2], HISTORY[0], HISTORY[1]]
    at = datetime(2025, 12, 31, tzinfo=UTC)
    assert state_at(INITIAL, shuffled, at) == state_at(INITIAL, HISTORY, at)
    assert state_at(INITIAL, shuffled, at)["lifecycle"] == "on-hold"


def test_revisions_at_the_same_time_apply_in_the_order_given() -> None:
    same_time = [
        (T1, [FieldChange("title", "Wandelen", "Fietsen")]),
        (T1, [FieldChange("title", "Fietsen", "Zwemmen")]),
    ]
    assert state_at(INITIAL, same_time, T1)["title"] == "Zwemmen"


def test_fields_added_later_appear_from_their_revision_on() -> None:
    history = [(T2, [FieldChange("due_date", None, "2025-09-01")])]
    assert "due_date" not in state_at(INITIAL, history, T1)
    assert state_at(INITIAL, history, T2)["due_date"] == "2025-09-01"


def test_initial_mapping_is_not_changed() -> None:
    initial = dict(INITIAL)
    state_at(initial, HISTORY, T3)
    assert initial == INITIAL


def test_diff_then_state_at_rebuilds_each_version() -> None:
    v1 = {"title": "Wandelen", "lifecycle": GoalLifecycle.PROPOSED}
    v2 = {"title": "Wandelen", "lifecycle": GoalLifecycle.ACTIVE}
    v3 = {"title": "Fietsen", "lifecycle": GoalLifecycle.ACTIVE}
    history = [(T1, diff_fields(v1, v2, v1)), (T2, diff_fields(v2, v3, v2))]

    assert state_at(v1, history, T1) == to_json_value(v2)
    assert state_at(v1, history, T2) == to_json_value(v3)
