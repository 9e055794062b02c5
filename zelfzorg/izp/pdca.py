"""Goal statuses, the PDCA review decision and the rules for goal input (pure, no database).

Statuses follow FHIR R4 Goal (a subset): ``lifecycleStatus`` says where the goal is in its life,
``achievementStatus`` how far it is reached. A review (*check*) ends in a decision (*act*) that
starts the next cycle or closes the goal; see :func:`apply_decision`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from zelfzorg import inputs
from zelfzorg.errors import N_, ValidationError

TITLE_MAX_LENGTH = 200
TARGET_TYPE_MAX_LENGTH = 64
UNIT_MAX_LENGTH = 32


class LabelledEnum(StrEnum):
    """A str enum whose members carry a Dutch label (a msgid) and its English text."""

    @property
    def label(self) -> str:
        """The Dutch label, marked for translation: show it with ``gettext(member.label)``."""
        return _LABELS[(type(self), self.value)][0]

    def label_in(self, language: str) -> str:
        """The label in ``language`` ("nl" or "en"), for output made without gettext."""
        dutch, english = _LABELS[(type(self), self.value)]
        return english if language.lower().startswith("en") else dutch


class GoalLifecycle(LabelledEnum):
    """FHIR Goal.lifecycleStatus values used by Zelfzorg."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AchievementStatus(LabelledEnum):
    """FHIR Goal.achievementStatus values used by Zelfzorg."""

    IN_PROGRESS = "in-progress"
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no-change"
    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not-achieved"


class ReviewDecision(LabelledEnum):
    """The *act* step of a review."""

    CONTINUE = "continue"
    ADJUST = "adjust"
    ACHIEVED = "achieved"
    STOP = "stop"


class GoalDomain(LabelledEnum):
    HEALTH = "health"
    LIFESTYLE = "lifestyle"
    PARTICIPATION = "participation"
    WELLBEING = "wellbeing"


class Comparator(LabelledEnum):
    """How a measured value must relate to the target value."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    @property
    def lower_is_better(self) -> bool:
        return self in (Comparator.LT, Comparator.LE)

    def is_met(self, value: float, target: float) -> bool:
        match self:
            case Comparator.LT:
                return value < target
            case Comparator.LE:
                return value <= target
            case Comparator.GT:
                return value > target
            case Comparator.GE:
                return value >= target
        raise AssertionError(self)  # pragma: no cover - the match is exhaustive


_LABELS: dict[tuple[type, str], tuple[str, str]] = {
    (GoalLifecycle, "proposed"): (N_("Voorgesteld"), "Proposed"),
    (GoalLifecycle, "active"): (N_("Actief"), "Active"),
    (GoalLifecycle, "on-hold"): (N_("Gepauzeerd"), "On hold"),
    (GoalLifecycle, "completed"): (N_("Afgerond"), "Completed"),
    (GoalLifecycle, "cancelled"): (N_("Gestopt"), "Stopped"),
    (AchievementStatus, "in-progress"): (N_("Bezig"), "In progress"),
    (AchievementStatus, "improving"): (N_("Gaat beter"), "Improving"),
    (AchievementStatus, "worsening"): (N_("Gaat slechter"), "Getting worse"),
    (AchievementStatus, "no-change"): (N_("Geen verandering"), "No change"),
    (AchievementStatus, "achieved"): (N_("Gehaald"), "Achieved"),
    (AchievementStatus, "not-achieved"): (N_("Niet gehaald"), "Not achieved"),
    (ReviewDecision, "continue"): (N_("Doorgaan zoals afgesproken"), "Continue as agreed"),
    (ReviewDecision, "adjust"): (N_("Doel of acties aanpassen"), "Adjust goal or actions"),
    (ReviewDecision, "achieved"): (N_("Doel gehaald, afronden"), "Goal achieved, complete"),
    (ReviewDecision, "stop"): (N_("Stoppen met dit doel"), "Stop this goal"),
    (GoalDomain, "health"): (N_("Gezondheid"), "Health"),
    (GoalDomain, "lifestyle"): (N_("Leefstijl"), "Lifestyle"),
    (GoalDomain, "participation"): (
        N_("Meedoen (werk, hobby, contact)"),
        "Participation (work, hobbies, contact)",
    ),
    (GoalDomain, "wellbeing"): (N_("Welzijn"), "Wellbeing"),
    (Comparator, "<"): (N_("lager dan"), "below"),
    (Comparator, "<="): (N_("niet hoger dan"), "at most"),
    (Comparator, ">"): (N_("hoger dan"), "above"),
    (Comparator, ">="): (N_("minstens"), "at least"),
}

_E = TypeVar("_E", bound=LabelledEnum)

FINAL_LIFECYCLES = frozenset({GoalLifecycle.COMPLETED, GoalLifecycle.CANCELLED})


class FormValidationError(ValidationError):
    """Several fields are wrong at once; ``errors`` holds one ValidationError per field.

    A form shows every problem together: for each field, ``gettext(e.message, **e.params)``.
    ``field`` (and the message) of the error itself are those of the first problem.
    """

    def __init__(self, errors: Mapping[str, ValidationError]) -> None:
        if not errors:
            raise ValueError("FormValidationError needs at least one field error")
        first = next(iter(errors.values()))
        super().__init__(first.message, field=first.field, **first.params)
        self.errors: dict[str, ValidationError] = dict(errors)


# ---------------------------------------------------------------------------------------------
# Review decision (act)


@dataclass(frozen=True)
class DecisionOutcome:
    """Statuses after a review decision; ``next_review_date`` is None when the goal closes."""

    lifecycle: GoalLifecycle
    achievement: AchievementStatus
    next_review_date: date | None


def apply_decision(
    lifecycle: GoalLifecycle | str,
    achievement: AchievementStatus | str,
    decision: ReviewDecision | str,
    *,
    today: date,
    next_review: date | None = None,
    interval_weeks: int | None = None,
) -> DecisionOutcome:
    """The goal's statuses and next review date after a review ending in ``decision``.

    ``achievement`` is the status judged in this review (e.g. the suggestion from
    ``progress.compute_progress``, possibly changed by the professional).

    * continue / adjust: the goal is (again) active and keeps ``achievement``; the next review
      is ``next_review`` or, when not given, ``today + interval_weeks`` weeks. Changing the
      target or actions on *adjust* is the caller's job (validate with ``validate_goal_input``).
    * achieved: completed + achieved, no next review.
    * stop: cancelled, keeps ``achievement`` (never achieved), no next review.

    Only active or on-hold goals can be reviewed: a proposed goal is not agreed yet, a completed
    or cancelled one is closed. A next review date must not be in the past.
    """
    current = GoalLifecycle(lifecycle)
    judged = AchievementStatus(achievement)
    act = _parse_enum(ReviewDecision, decision, "decision", N_("Kies een besluit."))
    _check_reviewable(current)

    if act is ReviewDecision.ACHIEVED:
        return DecisionOutcome(GoalLifecycle.COMPLETED, AchievementStatus.ACHIEVED, None)
    if act is ReviewDecision.STOP:
        # A stopped goal keeps how it went, as judged (not achieved unless said otherwise).
        kept = AchievementStatus.NOT_ACHIEVED if judged is AchievementStatus.ACHIEVED else judged
        return DecisionOutcome(GoalLifecycle.CANCELLED, kept, None)

    if next_review is None:
        if interval_weeks is None:
            raise ValidationError(
                N_("Kies een datum voor de volgende evaluatie."), field="next_review"
            )
        if interval_weeks < 1:
            raise ValueError(f"interval_weeks must be at least 1, got {interval_weeks}")
        next_review = today + timedelta(weeks=interval_weeks)
    elif next_review < today:
        raise ValidationError(
            N_("De datum voor de volgende evaluatie ligt in het verleden. Kies een latere datum."),
            field="next_review",
        )
    return DecisionOutcome(GoalLifecycle.ACTIVE, judged, next_review)


def is_reviewable(lifecycle: GoalLifecycle | str) -> bool:
    """Active and on-hold goals are reviewed (and their actions logged)."""
    return GoalLifecycle(lifecycle) in (GoalLifecycle.ACTIVE, GoalLifecycle.ON_HOLD)


def is_closed(lifecycle: GoalLifecycle | str) -> bool:
    """Completed and cancelled goals no longer change."""
    return GoalLifecycle(lifecycle) in (GoalLifecycle.COMPLETED, GoalLifecycle.CANCELLED)


def check_reviewable(lifecycle: GoalLifecycle | str) -> None:
    """Raise ValidationError unless a goal in ``lifecycle`` can be reviewed (active, on hold)."""
    _check_reviewable(GoalLifecycle(lifecycle))


def _check_reviewable(lifecycle: GoalLifecycle) -> None:
    if lifecycle is GoalLifecycle.COMPLETED:
        raise ValidationError(
            N_("Dit doel is al afgerond. U kunt het niet opnieuw evalueren."), field="decision"
        )
    if lifecycle is GoalLifecycle.CANCELLED:
        raise ValidationError(
            N_("Dit doel is gestopt. U kunt het niet meer evalueren."), field="decision"
        )
    if lifecycle is GoalLifecycle.PROPOSED:
        raise ValidationError(
            N_(
                "Dit doel is nog niet afgesproken. Spreek het eerst samen af, "
                "daarna kunt u het evalueren."
            ),
            field="decision",
        )


# ---------------------------------------------------------------------------------------------
# Direct status edits (outside a review)

# Completion happens only through a review ("achieved"), so that every completed goal has one.
_ALLOWED_TRANSITIONS: dict[GoalLifecycle, frozenset[GoalLifecycle]] = {
    GoalLifecycle.PROPOSED: frozenset({GoalLifecycle.ACTIVE, GoalLifecycle.CANCELLED}),
    GoalLifecycle.ACTIVE: frozenset({GoalLifecycle.ON_HOLD, GoalLifecycle.CANCELLED}),
    GoalLifecycle.ON_HOLD: frozenset({GoalLifecycle.ACTIVE, GoalLifecycle.CANCELLED}),
    GoalLifecycle.COMPLETED: frozenset(),
    GoalLifecycle.CANCELLED: frozenset(),
}


def is_agreed(
    agreed_by_patient_at: datetime | None, agreed_by_professional_at: datetime | None
) -> bool:
    """A goal is agreed when both the patient and a professional agreed (DESIGN.md section 4)."""
    return agreed_by_patient_at is not None and agreed_by_professional_at is not None


def check_lifecycle_transition(
    old: GoalLifecycle | str, new: GoalLifecycle | str, *, agreed: bool = False
) -> GoalLifecycle:
    """Check a direct status change and return the new status; raise ValidationError if refused.

    Allowed: proposed -> active (only when ``agreed``, see :func:`is_agreed`), active <->
    on-hold, and proposed/active/on-hold -> cancelled. Keeping the same status is allowed.
    Completing a goal goes through a review; completed and cancelled goals stay closed.
    """
    old = GoalLifecycle(old)
    new = _parse_enum(GoalLifecycle, new, "lifecycle", N_("Kies een status."))
    if new is old:
        return new
    if old in FINAL_LIFECYCLES:
        raise ValidationError(
            N_(
                "Dit doel is afgerond of gestopt en kan niet meer veranderen. "
                "Maak zo nodig een nieuw doel."
            ),
            field="lifecycle",
        )
    if new is GoalLifecycle.COMPLETED:
        raise ValidationError(
            N_("Rond een doel af met een evaluatie. Kies daar: doel gehaald."), field="lifecycle"
        )
    if new not in _ALLOWED_TRANSITIONS[old]:
        raise ValidationError(
            N_("Deze verandering van status is niet mogelijk."), field="lifecycle"
        )
    if old is GoalLifecycle.PROPOSED and new is GoalLifecycle.ACTIVE and not agreed:
        raise ValidationError(
            N_(
                "Dit doel kan pas actief worden als de patiënt en de zorgverlener "
                "het allebei hebben afgesproken."
            ),
            field="lifecycle",
        )
    return new


# ---------------------------------------------------------------------------------------------
# Goal input


@dataclass(frozen=True)
class Target:
    """A measurable target, e.g. systolic blood pressure < 140 mm[Hg]."""

    measurement_type: str
    comparator: Comparator
    value: float
    unit: str

    @property
    def threshold(self) -> tuple[Comparator, float, str]:
        """(comparator, value, unit), the form ``progress.compute_progress`` takes."""
        return (self.comparator, self.value, self.unit)


@dataclass(frozen=True)
class GoalInput:
    """Cleaned goal input."""

    title: str
    domain: GoalDomain
    target: Target | None
    due_date: date | None
    review_date: date | None


def validate_goal_input(
    title: str | None,
    domain: GoalDomain | str | None,
    target_type: str | None,
    comparator: Comparator | str | None,
    value: float | int | Decimal | str | None,
    unit: str | None,
    due_date: date | None,
    review_date: date | None,
    today: date,
) -> GoalInput:
    """Clean goal input, or raise FormValidationError listing every wrong field.

    The target is optional, but all-or-nothing: once one of ``target_type``, ``comparator``,
    ``value``, ``unit`` is filled in, each missing one is an error. ``value`` may be a number
    or text with a decimal comma ("7,5"). Error fields: title, domain, target_type,
    target_comparator, target_value, target_unit, due_date, review_date.
    """
    errors: dict[str, ValidationError] = {}

    def fail(field: str, message: str, **params: object) -> None:
        errors.setdefault(field, ValidationError(message, field=field, **params))

    clean_title = _clean_text(title)
    if not clean_title:
        fail("title", N_("Vul een doel in, in uw eigen woorden."))
    elif len(clean_title) > TITLE_MAX_LENGTH:
        fail(
            "title",
            N_("Het doel is te lang. Gebruik hoogstens %(max)d tekens."),
            max=TITLE_MAX_LENGTH,
        )
    elif "\x00" in clean_title:
        fail("title", N_("Het doel bevat een teken dat niet is toegestaan."))

    clean_domain: GoalDomain | None = None
    try:
        clean_domain = _parse_enum(GoalDomain, domain, "domain", N_("Kies een gebied."))
    except ValidationError as error:
        errors["domain"] = error

    target = _validate_target(target_type, comparator, value, unit, fail)

    if due_date is not None and due_date < today:
        fail("due_date", N_("De streefdatum ligt in het verleden. Kies vandaag of later."))
    if review_date is not None and review_date < today:
        fail(
            "review_date",
            N_("De datum van de evaluatie ligt in het verleden. Kies vandaag of later."),
        )

    if errors:
        raise FormValidationError(errors)
    assert clean_domain is not None  # no errors means the domain parsed
    return GoalInput(
        title=clean_title,
        domain=clean_domain,
        target=target,
        due_date=due_date,
        review_date=review_date,
    )


def _validate_target(
    target_type: str | None,
    comparator: Comparator | str | None,
    value: float | int | Decimal | str | None,
    unit: str | None,
    fail: Callable[..., None],
) -> Target | None:
    clean_type = _clean_text(target_type)
    clean_unit = _clean_text(unit)
    raw_comparator = _clean_text(comparator)
    raw_value = value.strip() if isinstance(value, str) else value
    if not (clean_type or raw_comparator or clean_unit or raw_value not in (None, "")):
        return None

    if not clean_type:
        fail("target_type", N_("Kies wat er gemeten wordt voor dit doel."))
    elif len(clean_type) > TARGET_TYPE_MAX_LENGTH or "\x00" in clean_type:
        fail("target_type", N_("Kies een geldige soort meting."))

    parsed_comparator: Comparator | None = None
    if not raw_comparator:
        fail("target_comparator", N_("Kies hoe de waarde zich tot het doel verhoudt."))
    else:
        try:
            parsed_comparator = Comparator(raw_comparator)
        except ValueError:
            fail("target_comparator", N_("Kies hoe de waarde zich tot het doel verhoudt."))

    parsed_value: float | None = None
    if raw_value is None or raw_value == "":
        fail("target_value", N_("Vul de streefwaarde in."))
    else:
        parsed_value = _parse_number(raw_value)
        if parsed_value is None:
            fail("target_value", N_("Vul bij de streefwaarde een getal in, bijvoorbeeld 7,5."))

    if not clean_unit:
        fail("target_unit", N_("Vul de eenheid van de streefwaarde in, bijvoorbeeld mmHg."))
    elif len(clean_unit) > UNIT_MAX_LENGTH or "\x00" in clean_unit:
        fail("target_unit", N_("Vul een geldige eenheid in."))

    if parsed_comparator is None or parsed_value is None:
        return None
    return Target(clean_type, parsed_comparator, parsed_value, clean_unit)


def _clean_text(text: object) -> str:
    return "" if text is None else str(text).strip()


def _parse_number(raw: float | int | Decimal | str) -> float | None:
    """A finite float from a number or Dutch/English decimal text; None if it is not one."""
    # Dutch users type a decimal comma; thousands separators are not accepted (ambiguous).
    try:
        return inputs.parse_number(float(raw) if isinstance(raw, Decimal) else raw)
    except (ValidationError, ValueError):
        return None


def _parse_enum(enum: type[_E], raw: object, field: str, message: str) -> _E:
    """Parse user input into ``enum``; empty or unknown input raises ValidationError(field)."""
    try:
        return enum(_clean_text(raw))
    except ValueError:
        raise ValidationError(message, field=field) from None
