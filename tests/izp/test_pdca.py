"""Goal statuses, review decisions, lifecycle edits and goal input validation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from zelfzorg.errors import ValidationError
from zelfzorg.izp.pdca import (
    AchievementStatus,
    Comparator,
    DecisionOutcome,
    FormValidationError,
    GoalDomain,
    GoalInput,
    GoalLifecycle,
    ReviewDecision,
    Target,
    apply_decision,
    check_lifecycle_transition,
    is_agreed,
    validate_goal_input,
)

TODAY = date(2025, 3, 10)  # a Monday


# --- enums and labels ---------------------------------------------------------------------


def test_statuses_use_fhir_codes() -> None:
    assert [s.value for s in GoalLifecycle] == [
        "proposed",
        "active",
        "on-hold",
        "completed",
        "cancelled",
    ]
    assert [s.value for s in AchievementStatus] == [
        "in-progress",
        "improving",
        "worsening",
        "no-change",
        "achieved",
        "not-achieved",
    ]


def test_enums_are_strings() -> None:
    assert GoalLifecycle.ON_HOLD == "on-hold"
    assert GoalLifecycle("on-hold") is GoalLifecycle.ON_HOLD


@pytest.mark.parametrize(
    ("member", "dutch", "english"),
    [
        (GoalLifecycle.ON_HOLD, "Gepauzeerd", "On hold"),
        (GoalLifecycle.CANCELLED, "Gestopt", "Stopped"),
        (AchievementStatus.ACHIEVED, "Gehaald", "Achieved"),
        (ReviewDecision.ACHIEVED, "Doel gehaald, afronden", "Goal achieved, complete"),
        (GoalDomain.WELLBEING, "Welzijn", "Wellbeing"),
        (Comparator.LT, "lager dan", "below"),
        (Comparator.GE, "minstens", "at least"),
    ],
)
def test_labels_in_dutch_and_english(member, dutch: str, english: str) -> None:  # type: ignore[no-untyped-def]
    assert member.label == dutch
    assert member.label_in("nl") == dutch
    assert member.label_in("en") == english
    assert member.label_in("en_GB") == english


def test_members_with_equal_values_keep_their_own_labels() -> None:
    # "achieved" is both an achievement status and a decision.
    assert AchievementStatus.ACHIEVED.label != ReviewDecision.ACHIEVED.label


def test_every_member_has_a_label() -> None:
    for enum in (GoalLifecycle, AchievementStatus, ReviewDecision, GoalDomain, Comparator):
        for member in enum:
            assert member.label and member.label_in("en")


@pytest.mark.parametrize(
    ("comparator", "value", "met"),
    [
        (Comparator.LT, 139.0, True),
        (Comparator.LT, 140.0, False),
        (Comparator.LE, 140.0, True),
        (Comparator.LE, 140.5, False),
        (Comparator.GT, 140.5, True),
        (Comparator.GT, 140.0, False),
        (Comparator.GE, 140.0, True),
        (Comparator.GE, 139.9, False),
    ],
)
def test_comparator_is_met_against_140(comparator: Comparator, value: float, met: bool) -> None:
    assert comparator.is_met(value, 140.0) is met


# --- apply_decision -----------------------------------------------------------------------


def test_continue_keeps_goal_active_with_given_next_review() -> None:
    outcome = apply_decision(
        GoalLifecycle.ACTIVE,
        AchievementStatus.IMPROVING,
        ReviewDecision.CONTINUE,
        today=TODAY,
        next_review=date(2025, 6, 1),
    )
    assert outcome == DecisionOutcome(
        GoalLifecycle.ACTIVE, AchievementStatus.IMPROVING, date(2025, 6, 1)
    )


def test_continue_derives_next_review_from_interval() -> None:
    # 2025-03-10 + 12 weeks (84 days): 21 days left in March, 30 in April, 31 in May -> June 2.
    outcome = apply_decision("active", "in-progress", "continue", today=TODAY, interval_weeks=12)
    assert outcome.next_review_date == date(2025, 6, 2)
    assert outcome.lifecycle is GoalLifecycle.ACTIVE
    assert outcome.achievement is AchievementStatus.IN_PROGRESS


def test_given_next_review_wins_over_interval() -> None:
    outcome = apply_decision(
        "active",
        "no-change",
        "adjust",
        today=TODAY,
        next_review=date(2025, 4, 1),
        interval_weeks=12,
    )
    assert outcome.next_review_date == date(2025, 4, 1)


def test_adjust_keeps_goal_active_and_schedules_review() -> None:
    outcome = apply_decision(
        GoalLifecycle.ACTIVE,
        AchievementStatus.WORSENING,
        ReviewDecision.ADJUST,
        today=TODAY,
        interval_weeks=4,
    )
    assert outcome == DecisionOutcome(
        GoalLifecycle.ACTIVE, AchievementStatus.WORSENING, date(2025, 4, 7)
    )


def test_continue_on_a_goal_on_hold_makes_it_active_again() -> None:
    outcome = apply_decision("on-hold", "no-change", "continue", today=TODAY, next_review=TODAY)
    assert outcome.lifecycle is GoalLifecycle.ACTIVE
    assert outcome.next_review_date == TODAY


def test_achieved_completes_goal_without_next_review() -> None:
    outcome = apply_decision(
        "active", "improving", "achieved", today=TODAY, next_review=date(2025, 6, 1)
    )
    assert outcome == DecisionOutcome(GoalLifecycle.COMPLETED, AchievementStatus.ACHIEVED, None)


def test_stop_cancels_goal_keeping_the_judged_status_without_next_review() -> None:
    outcome = apply_decision("active", "worsening", "stop", today=TODAY, interval_weeks=4)
    assert outcome == DecisionOutcome(GoalLifecycle.CANCELLED, AchievementStatus.WORSENING, None)
    # A stopped goal is never "achieved".
    outcome = apply_decision("active", "achieved", "stop", today=TODAY, interval_weeks=4)
    assert outcome == DecisionOutcome(GoalLifecycle.CANCELLED, AchievementStatus.NOT_ACHIEVED, None)


@pytest.mark.parametrize(
    ("lifecycle", "fragment"),
    [
        (GoalLifecycle.COMPLETED, "al afgerond"),
        (GoalLifecycle.CANCELLED, "gestopt"),
        (GoalLifecycle.PROPOSED, "nog niet afgesproken"),
    ],
)
def test_review_of_a_closed_or_unagreed_goal_is_refused(
    lifecycle: GoalLifecycle, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        apply_decision(lifecycle, "in-progress", "continue", today=TODAY, interval_weeks=4)
    assert fragment in caught.value.message
    assert caught.value.field == "decision"


def test_next_review_in_the_past_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        apply_decision(
            "active", "in-progress", "continue", today=TODAY, next_review=date(2025, 3, 9)
        )
    assert caught.value.field == "next_review"
    assert "verleden" in caught.value.message


def test_continue_without_next_review_or_interval_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        apply_decision("active", "in-progress", "continue", today=TODAY)
    assert caught.value.field == "next_review"


def test_unknown_decision_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        apply_decision("active", "in-progress", "pause", today=TODAY, interval_weeks=4)
    assert caught.value.field == "decision"


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_weeks"):
        apply_decision("active", "in-progress", "continue", today=TODAY, interval_weeks=0)


# --- lifecycle edits ----------------------------------------------------------------------

AGREED_AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_is_agreed_needs_both_patient_and_professional() -> None:
    assert is_agreed(AGREED_AT, AGREED_AT) is True
    assert is_agreed(AGREED_AT, None) is False
    assert is_agreed(None, AGREED_AT) is False
    assert is_agreed(None, None) is False


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("active", "on-hold"),
        ("on-hold", "active"),
        ("proposed", "cancelled"),
        ("active", "cancelled"),
        ("on-hold", "cancelled"),
        ("active", "active"),
        ("completed", "completed"),
    ],
)
def test_allowed_lifecycle_transitions(old: str, new: str) -> None:
    assert check_lifecycle_transition(old, new) is GoalLifecycle(new)


def test_proposed_goal_becomes_active_once_agreed() -> None:
    assert (
        check_lifecycle_transition("proposed", "active", agreed=is_agreed(AGREED_AT, AGREED_AT))
        is GoalLifecycle.ACTIVE
    )


def test_proposed_goal_cannot_become_active_before_agreement() -> None:
    with pytest.raises(ValidationError) as caught:
        check_lifecycle_transition("proposed", "active", agreed=is_agreed(AGREED_AT, None))
    assert "afgesproken" in caught.value.message
    assert caught.value.field == "lifecycle"


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("completed", "active", "afgerond of gestopt"),
        ("cancelled", "active", "afgerond of gestopt"),
        ("cancelled", "proposed", "afgerond of gestopt"),
        ("active", "completed", "evaluatie"),
        ("on-hold", "completed", "evaluatie"),
        ("active", "proposed", "niet mogelijk"),
        ("proposed", "on-hold", "niet mogelijk"),
        ("active", "finished", "Kies een status"),
    ],
)
def test_refused_lifecycle_transitions(old: str, new: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_lifecycle_transition(old, new, agreed=True)
    assert fragment in caught.value.message
    assert caught.value.field == "lifecycle"


# --- validate_goal_input ------------------------------------------------------------------


def valid_input(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "  Mijn bloeddruk omlaag  ",
        "domain": "health",
        "target_type": "bp-systolic",
        "comparator": "<",
        "value": "140",
        "unit": "mmHg",
        "due_date": date(2025, 9, 1),
        "review_date": date(2025, 6, 1),
        "today": TODAY,
    }
    values.update(overrides)
    return values


def test_valid_goal_input_is_cleaned() -> None:
    result = validate_goal_input(**valid_input())  # type: ignore[arg-type]
    assert result == GoalInput(
        title="Mijn bloeddruk omlaag",
        domain=GoalDomain.HEALTH,
        target=Target("bp-systolic", Comparator.LT, 140.0, "mmHg"),
        due_date=date(2025, 9, 1),
        review_date=date(2025, 6, 1),
    )
    assert result.target is not None
    assert result.target.threshold == (Comparator.LT, 140.0, "mmHg")


def test_goal_without_target_is_valid() -> None:
    result = validate_goal_input(  # type: ignore[arg-type]
        **valid_input(target_type=None, comparator="", value=None, unit="  ", domain="wellbeing")
    )
    assert result.target is None
    assert result.domain is GoalDomain.WELLBEING


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("7,5", 7.5), (" 53 ", 53.0), (Decimal("6.25"), 6.25), (8, 8.0), (-2.5, -2.5)],
)
def test_target_value_accepts_numbers_and_decimal_comma(raw: object, expected: float) -> None:
    result = validate_goal_input(**valid_input(value=raw))  # type: ignore[arg-type]
    assert result.target is not None
    assert result.target.value == expected


def test_dates_today_are_allowed_and_dates_are_optional() -> None:
    assert validate_goal_input(**valid_input(due_date=TODAY, review_date=None)).due_date == TODAY  # type: ignore[arg-type]


def test_title_of_200_characters_is_accepted() -> None:
    result = validate_goal_input(**valid_input(title="a" * 200))  # type: ignore[arg-type]
    assert len(result.title) == 200


def errors_of(**overrides: object) -> dict[str, ValidationError]:
    with pytest.raises(FormValidationError) as caught:
        validate_goal_input(**valid_input(**overrides))  # type: ignore[arg-type]
    return caught.value.errors


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"title": "   "}, "title", "Vul een doel in"),
        ({"title": None}, "title", "Vul een doel in"),
        ({"title": "a" * 201}, "title", "te lang"),
        ({"title": "bloed\x00druk"}, "title", "niet is toegestaan"),
        ({"domain": "sport"}, "domain", "Kies een gebied"),
        ({"domain": None}, "domain", "Kies een gebied"),
        ({"unit": ""}, "target_unit", "eenheid"),
        ({"value": None}, "target_value", "streefwaarde"),
        ({"value": "veel"}, "target_value", "getal"),
        ({"value": "NaN"}, "target_value", "getal"),
        ({"value": "sNaN"}, "target_value", "getal"),
        ({"value": float("inf")}, "target_value", "getal"),
        ({"value": "1.000,5"}, "target_value", "getal"),
        ({"comparator": "=="}, "target_comparator", "verhoudt"),
        ({"comparator": None}, "target_comparator", "verhoudt"),
        ({"target_type": " "}, "target_type", "gemeten"),
        ({"unit": "x" * 33}, "target_unit", "geldige eenheid"),
        ({"due_date": date(2025, 3, 9)}, "due_date", "verleden"),
        ({"review_date": date(2024, 12, 31)}, "review_date", "verleden"),
    ],
)
def test_single_field_error_names_the_field(
    overrides: dict[str, object], field: str, fragment: str
) -> None:
    errors = errors_of(**overrides)
    assert list(errors) == [field]
    assert fragment in errors[field].message
    assert errors[field].field == field


def test_title_length_error_carries_the_maximum() -> None:
    error = errors_of(title="a" * 201)["title"]
    assert error.params == {"max": 200}
    assert str(error) == "Het doel is te lang. Gebruik hoogstens 200 tekens."


def test_all_field_errors_are_reported_together() -> None:
    with pytest.raises(FormValidationError) as caught:
        validate_goal_input(
            title="",
            domain="sport",
            target_type="bp-systolic",
            comparator=None,
            value="abc",
            unit=None,
            due_date=date(2025, 1, 1),
            review_date=date(2025, 2, 1),
            today=TODAY,
        )
    error = caught.value
    assert set(error.errors) == {
        "title",
        "domain",
        "target_comparator",
        "target_value",
        "target_unit",
        "due_date",
        "review_date",
    }
    # The error itself is a ValidationError about the first field, so generic handlers work.
    assert isinstance(error, ValidationError)
    assert error.field == "title"
    assert error.message == error.errors["title"].message


def test_partial_target_asks_for_every_missing_part() -> None:
    errors = errors_of(target_type=None, comparator=None, value="140", unit=None)
    assert set(errors) == {"target_type", "target_comparator", "target_unit"}


# --- translations -------------------------------------------------------------------------

IZP_DIR = Path(__file__).parents[2] / "zelfzorg" / "izp"
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def english_catalog() -> dict[str, str]:
    with (IZP_DIR / "translations/en/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    return {message.id: message.string for message in catalog if message.id}


def test_every_marked_message_has_an_english_translation_with_the_same_placeholders() -> None:
    catalog = english_catalog()
    marked = {
        message
        for module in ("pdca.py", "progress.py", "revisions.py")
        for _, message, _, _ in extract_from_file(
            "python", str(IZP_DIR / module), keywords={"N_": None}
        )
    }
    assert len(marked) > 50  # the extraction really found the N_ calls
    for msgid in marked:
        assert catalog.get(msgid), f"no English translation for {msgid!r}"
        assert set(PLACEHOLDER.findall(catalog[msgid])) == set(PLACEHOLDER.findall(msgid))


def test_english_labels_match_the_translation_catalog() -> None:
    catalog = english_catalog()
    for enum in (GoalLifecycle, AchievementStatus, ReviewDecision, GoalDomain, Comparator):
        for member in enum:
            assert catalog[member.label] == member.label_in("en")
