"""Referral lifecycle, the L2 "offered" rule and outcome validation."""

from __future__ import annotations

import ast
import re
from datetime import date
from decimal import Decimal
from itertools import product
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from zelfzorg.errors import Forbidden, ValidationError
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.referral_states import (
    allowed_transitions,
    check_transition,
    reached_offered,
    reached_offered_in,
    validate_outcome,
)

STATES = ["proposed", "offered", "accepted", "started", "completed", "stopped", "declined"]
# Written out by hand from the lifecycle in the brief: (current, new) -> roles allowed.
ALLOWED = {
    ("proposed", "offered"): {"professional"},
    ("proposed", "declined"): {"professional"},
    ("offered", "accepted"): {"professional", "patient"},
    ("offered", "declined"): {"professional", "patient"},
    ("accepted", "started"): {"professional"},
    ("accepted", "declined"): {"professional"},
    ("accepted", "stopped"): {"professional"},
    ("started", "completed"): {"professional"},
    ("started", "stopped"): {"professional"},
}
ROLES = ["professional", "patient", "caregroup", "admin"]


# --- transitions ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "new", "role"),
    [(cur, new, role) for (cur, new), roles in ALLOWED.items() for role in sorted(roles)],
)
def test_allowed_transition_passes_for_allowed_role(current: str, new: str, role: str) -> None:
    check_transition(current, new, role)


@pytest.mark.parametrize(
    ("current", "new"), [pair for pair in product(STATES, STATES) if pair not in ALLOWED]
)
def test_transition_outside_the_lifecycle_is_refused(current: str, new: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_transition(current, new, "professional")
    assert caught.value.field == "status"


def test_proposed_cannot_jump_to_accepted() -> None:
    with pytest.raises(ValidationError) as caught:
        check_transition("proposed", "accepted", "professional")
    assert str(caught.value) == (
        "Een verwijzing met status 'voorgesteld' kan alleen de status 'aangeboden' of "
        "'afgewezen' krijgen."
    )


@pytest.mark.parametrize(
    ("final", "label"),
    [("completed", "afgerond"), ("stopped", "gestopt"), ("declined", "afgewezen")],
)
def test_final_state_cannot_change(final: str, label: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_transition(final, "started", "professional")
    assert str(caught.value) == f"Een verwijzing met status '{label}' kan niet meer veranderen."


@pytest.mark.parametrize(
    ("current", "new"), [pair for pair, roles in ALLOWED.items() if "patient" not in roles]
)
def test_patient_may_not_make_professional_steps(current: str, new: str) -> None:
    with pytest.raises(Forbidden) as caught:
        check_transition(current, new, "patient")
    assert caught.value.message == rs.E_PROFESSIONAL_ONLY


@pytest.mark.parametrize(
    ("current", "new", "role"),
    [(cur, new, role) for (cur, new) in ALLOWED for role in ("caregroup", "admin", "outsider")],
)
def test_other_roles_may_not_change_a_referral(current: str, new: str, role: str) -> None:
    with pytest.raises(Forbidden) as caught:
        check_transition(current, new, role)
    assert caught.value.message == rs.E_NO_ROLE


def test_lifecycle_error_comes_before_role_error() -> None:
    with pytest.raises(ValidationError):
        check_transition("completed", "started", "patient")


def test_new_referral_starts_as_proposed_by_a_professional() -> None:
    check_transition(None, "proposed", "professional")
    with pytest.raises(ValidationError) as caught:
        check_transition(None, "offered", "professional")
    assert caught.value.message == rs._E_FROM[None]
    with pytest.raises(Forbidden):
        check_transition(None, "proposed", "patient")


@pytest.mark.parametrize(("current", "new"), [("offerd", "accepted"), ("offered", "done")])
def test_unknown_state_is_refused(current: str, new: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_transition(current, new, "professional")
    assert caught.value.message == rs.E_UNKNOWN_STATE
    assert caught.value.params["status"] in {"offerd", "done"}


@pytest.mark.parametrize(
    ("current", "role", "expected"),
    [
        (None, "professional", ("proposed",)),
        ("proposed", "professional", ("offered", "declined")),
        ("proposed", "patient", ()),
        ("offered", "patient", ("accepted", "declined")),
        ("accepted", "professional", ("started", "declined", "stopped")),
        ("accepted", "patient", ()),
        ("started", "professional", ("completed", "stopped")),
        ("completed", "professional", ()),
        ("offered", "caregroup", ()),
    ],
)
def test_allowed_transitions_lists_the_actors_next_states(
    current: str | None, role: str, expected: tuple
) -> None:
    assert allowed_transitions(current, role) == expected


# --- L2: offered or later -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], False),
        (["proposed"], False),
        (["proposed", "declined"], False),
        (["proposed", "offered"], True),
        (["proposed", "offered", "declined"], True),
        (["proposed", "offered", "accepted", "declined"], True),
        (["proposed", "offered", "accepted", "started", "completed"], True),
        (["proposed", "offered", "accepted", "stopped"], True),
        (["accepted"], True),  # imported history that starts later still counts
    ],
)
def test_reached_offered(history: list[str], expected: bool) -> None:
    assert reached_offered(history) is expected


def test_reached_offered_refuses_unknown_states() -> None:
    with pytest.raises(ValidationError):
        reached_offered(["proposed", "sent"])


START, END = date(2025, 1, 1), date(2025, 12, 31)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([("offered", date(2025, 1, 1))], True),
        ([("offered", date(2025, 12, 31))], True),
        ([("offered", date(2024, 12, 31))], False),
        ([("offered", date(2026, 1, 1))], False),
        ([("proposed", date(2025, 3, 1)), ("declined", date(2025, 3, 2))], False),
        ([("offered", date(2024, 12, 20)), ("declined", date(2025, 1, 10))], True),
        ([("offered", date(2024, 11, 1)), ("accepted", date(2024, 12, 1))], False),
        (
            [
                ("offered", date(2024, 11, 1)),
                ("accepted", date(2024, 12, 1)),
                ("started", date(2025, 2, 1)),
            ],
            True,
        ),
        ([("proposed", date(2025, 5, 1))], False),
    ],
)
def test_reached_offered_in_period(history: list[tuple[str, date]], expected: bool) -> None:
    assert reached_offered_in(history, START, END) is expected


# --- outcomes -------------------------------------------------------------------------------
def test_every_kind_has_outcome_fields_and_a_patient_rating() -> None:
    assert set(rs.OUTCOME_FIELDS) == set(rs.INTERVENTION_KINDS)
    for fields in rs.OUTCOME_FIELDS.values():
        assert "patient_rating" in {f.key for f in fields}


def test_valid_gli_outcome_is_cleaned() -> None:
    cleaned = validate_outcome(
        "gli",
        {"weight_change_kg": -4.5, "waist_change_cm": None, "patient_rating": 4, "note": " goed "},
    )
    assert cleaned == {"weight_change_kg": -4.5, "patient_rating": 4, "note": "goed"}


def test_decimal_weight_change_is_stored_as_float() -> None:
    cleaned = validate_outcome("diet", {"weight_change_kg": Decimal("-2.5")})
    assert cleaned == {"weight_change_kg": -2.5}
    assert type(cleaned["weight_change_kg"]) is float


@pytest.mark.parametrize("stopped", [True, False])
def test_smoking_cessation_records_stopped_yes_or_no(stopped: bool) -> None:
    assert validate_outcome("smoking_cessation", {"stopped_smoking": stopped}) == {
        "stopped_smoking": stopped
    }


def test_community_outcome_may_be_empty_and_blank_note_is_dropped() -> None:
    assert validate_outcome("community", {"note": "   "}) == {}


@pytest.mark.parametrize(
    ("kind", "data", "message", "field", "params"),
    [
        ("yoga", {}, rs.E_UNKNOWN_KIND, "kind", {"kind": "yoga"}),
        ("gli", [("weight_change_kg", 1)], rs.E_OUTCOME_SHAPE, None, {}),
        ("gli", {}, rs.E_REQUIRED, "weight_change_kg", {}),
        ("gli", {"weight_change_kg": None}, rs.E_REQUIRED, "weight_change_kg", {}),
        ("smoking_cessation", {}, rs.E_REQUIRED, "stopped_smoking", {}),
        (
            "gli",
            {"weight_change_kg": -3, "stopped_smoking": True},
            rs.E_UNKNOWN_FIELD,
            "stopped_smoking",
            {"key": "stopped_smoking"},
        ),
        ("gli", {"weight_change_kg": "4"}, rs.E_NUMBER, "weight_change_kg", {}),
        ("gli", {"weight_change_kg": True}, rs.E_NUMBER, "weight_change_kg", {}),
        ("gli", {"weight_change_kg": float("inf")}, rs.E_NUMBER, "weight_change_kg", {}),
        (
            "gli",
            {"weight_change_kg": 50.5},
            rs.E_RANGE,
            "weight_change_kg",
            {"min": -50, "max": 50},
        ),
        (
            "gli",
            {"weight_change_kg": -2, "waist_change_cm": -51},
            rs.E_RANGE,
            "waist_change_cm",
            {"min": -50, "max": 50},
        ),
        ("smoking_cessation", {"stopped_smoking": "ja"}, rs.E_YES_NO, "stopped_smoking", {}),
        ("smoking_cessation", {"stopped_smoking": 1}, rs.E_YES_NO, "stopped_smoking", {}),
        ("community", {"patient_rating": 6}, rs.E_RATING, "patient_rating", {}),
        ("community", {"patient_rating": 0}, rs.E_RATING, "patient_rating", {}),
        ("community", {"patient_rating": 4.0}, rs.E_RATING, "patient_rating", {}),
        ("community", {"patient_rating": True}, rs.E_RATING, "patient_rating", {}),
        (
            "exercise",
            {"active_minutes_per_week": 150.5},
            rs.E_INTEGER,
            "active_minutes_per_week",
            {},
        ),
        (
            "exercise",
            {"active_minutes_per_week": -1},
            rs.E_RANGE,
            "active_minutes_per_week",
            {"min": 0, "max": 5000},
        ),
        ("community", {"note": 12}, rs.E_TEXT, "note", {}),
        ("community", {"note": "x" * 2001}, rs.E_TEXT_LONG, "note", {"max": 2000}),
        ("online_module", {"module_finished": "nee"}, rs.E_YES_NO, "module_finished", {}),
        ("education", {"all_sessions_attended": 0}, rs.E_YES_NO, "all_sessions_attended", {}),
    ],
)
def test_invalid_outcome_is_refused_on_the_right_field(
    kind: str, data: object, message: str, field: str | None, params: dict
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_outcome(kind, data)  # type: ignore[arg-type]
    assert caught.value.message == message
    assert caught.value.field == field
    assert caught.value.params == params


def test_note_of_exactly_the_maximum_length_is_accepted() -> None:
    assert validate_outcome("community", {"note": "x" * 2000}) == {"note": "x" * 2000}


# --- translations ---------------------------------------------------------------------------
def test_every_referral_message_and_label_has_an_english_translation() -> None:
    source = Path(rs.__file__)
    po_path = source.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    tree = ast.parse(source.read_text(encoding="utf-8"))
    messages = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"
    ]
    assert set(rs.STATE_LABELS.values()) <= set(messages)
    placeholders = re.compile(r"%\(\w+\)s")
    for msgid in messages:
        entry = catalog.get(msgid)
        assert entry is not None and entry.string, msgid
        assert sorted(placeholders.findall(entry.string)) == sorted(placeholders.findall(msgid))
