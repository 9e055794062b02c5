"""A care group's assessment settings as its staff see and change them on a page.

Care-group staff change their own care group only, administrators any. The page asks for the
upper bound of every activation level but the last (each next level starts one step above), so
gaps and overlaps cannot be typed; Dutch decimal commas are accepted. Every change is audited
with what it was and what it became. New cut-offs make a care-group version of the activation
instrument (``set_care_group_settings``): earlier responses keep the version that scored them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from zelfzorg.accounts.models import CareGroup, Role
from zelfzorg.accounts.scope import Actor, audit, audit_denied, care_group_scope
from zelfzorg.assessment.models import InstrumentVersion
from zelfzorg.assessment.versions import (
    ACTIVATION_CODE,
    DEFAULT_DUE_MONTHS,
    current_version,
    definition_of,
    review_interval,
    set_care_group_settings,
    settings_for,
    sync_builtins,
)
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.inputs import parse_id, parse_number
from zelfzorg.texts import Text

OBJECT = "AssessmentSetting"
MAX_DUE_MONTHS = 60
MAX_REVIEW_WEEKS = 104


class SettingsInvalid(ValidationError):
    """Several fields are wrong at once: ``errors`` maps a field name to its error."""

    def __init__(self, errors: dict[str, ValidationError]) -> None:
        super().__init__(N_("Controleer de gemarkeerde velden. Er is niets veranderd."))
        self.errors = errors


@dataclass(frozen=True)
class LevelSetting:
    number: int
    name: Text
    min: float
    max: float
    review_weeks: int
    default_review_weeks: int


@dataclass(frozen=True)
class SettingsView:
    care_group: CareGroup
    due_interval_months: int
    levels: list[LevelSetting]
    instrument_title: Text
    instrument_version: str
    own_version: bool  # the care group's own version (other cut-offs or a licensed file)
    decimals: int
    score_min: float
    score_max: float
    updated_at: datetime | None


def _care_group(session: Session, actor: Actor, care_group_id: int, *, write: bool) -> CareGroup:
    """Care-group staff of this group and administrators (through the access layer)."""
    if actor.role not in (Role.caregroup, Role.admin):
        audit_denied(
            session,
            actor,
            object_type=OBJECT,
            object_id=care_group_id,
            patient_id=None,
            detail="role",
            action=AuditAction.update if write else AuditAction.read,
        )
        raise Forbidden(N_("U kunt alleen de instellingen van uw eigen zorggroep zien."))
    try:
        care_group_scope(
            session, actor, care_group_id, object_type=OBJECT, write=write, audit_allowed=False
        )
    except Forbidden:
        raise Forbidden(N_("U kunt alleen de instellingen van uw eigen zorggroep zien.")) from None
    group = session.get(CareGroup, care_group_id)
    assert group is not None  # the scope checked it exists
    return group


def _activation(session: Session, care_group_id: int) -> InstrumentVersion:
    sync_builtins(session)
    version = current_version(session, ACTIVATION_CODE, care_group_id)
    assert version is not None  # the built-in is always there after sync
    return version


def care_group_settings(session: Session, actor: Actor, *, care_group_id: int) -> SettingsView:
    group = _care_group(session, actor, care_group_id, write=False)
    setting = settings_for(session, care_group_id)
    version = _activation(session, care_group_id)
    definition = definition_of(version)
    return SettingsView(
        care_group=group,
        due_interval_months=setting.due_interval_months if setting else DEFAULT_DUE_MONTHS,
        levels=[
            LevelSetting(
                number=level.number,
                name=level.name,
                min=level.min,
                max=level.max,
                review_weeks=review_interval(setting, level.number, level.review_interval_weeks),
                default_review_weeks=level.review_interval_weeks,
            )
            for level in definition.levels
        ],
        instrument_title=definition.title,
        instrument_version=version.version,
        own_version=version.care_group_id is not None,
        decimals=definition.scoring.decimals,
        score_min=definition.scoring.score_range.min,
        score_max=definition.scoring.score_range.max,
        updated_at=setting.updated_at if setting else None,
    )


def _whole(raw: str, low: int, high: int, message: str) -> int | ValidationError:
    number = parse_id(raw)
    if number is None or not low <= number <= high:
        return ValidationError(message, low=low, high=high)
    return number


def _decimal(raw: str, decimals: int) -> Decimal | ValidationError:
    text = (raw or "").strip()
    try:  # the shared rules first: no exponent, underscores or non-ASCII digits
        value = Decimal(text.replace(",", ".")) if parse_number(text) is not None else None
    except (ValidationError, InvalidOperation):
        value = None
    exponent = value.as_tuple().exponent if value is not None and value.is_finite() else None
    if not isinstance(exponent, int) or -exponent > decimals:
        return ValidationError(
            N_("Vul een getal in, bijvoorbeeld 47,0 (hoogstens %(decimals)s decimalen)."),
            decimals=decimals,
        )
    return value  # type: ignore[return-value]


def change_care_group_settings(
    session: Session,
    actor: Actor,
    *,
    care_group_id: int,
    due_interval_months: str,
    review_weeks: Mapping[int, str],
    level_maxima: Mapping[int, str],
    now: datetime,
) -> list[str]:
    """Validate the page's fields (text as typed), store what changed and audit it.

    ``level_maxima`` holds the upper bound of every level but the last. Returns what changed
    (English, as written to the audit log); raises ``SettingsInvalid`` naming every bad field.
    """
    _care_group(session, actor, care_group_id, write=True)
    before = care_group_settings(session, actor, care_group_id=care_group_id)
    errors: dict[str, ValidationError] = {}

    months = _whole(
        due_interval_months,
        1,
        MAX_DUE_MONTHS,
        N_("Vul een heel aantal maanden in van %(low)s tot en met %(high)s."),
    )
    if isinstance(months, ValidationError):
        errors["due_months"] = months
    weeks: dict[int, int] = {}
    for level in before.levels:
        value = _whole(
            review_weeks.get(level.number, ""),
            1,
            MAX_REVIEW_WEEKS,
            N_("Vul een heel aantal weken in van %(low)s tot en met %(high)s."),
        )
        if isinstance(value, ValidationError):
            errors[f"weeks_{level.number}"] = value
        else:
            weeks[level.number] = value

    step = Decimal(1).scaleb(-before.decimals)
    floor = Decimal(repr(before.score_min))
    top = Decimal(repr(before.score_max))
    maxima: dict[int, Decimal] = {}
    for level in before.levels[:-1]:
        field = f"max_{level.number}"
        value = _decimal(level_maxima.get(level.number, ""), before.decimals)
        if isinstance(value, ValidationError):
            errors[field] = value
            continue
        lowest = floor if level.number == 1 else maxima.get(level.number - 1, floor) + step
        highest = top - step * (len(before.levels) - level.number)
        if not lowest <= value <= highest:
            errors[field] = ValidationError(
                N_(
                    "De bovengrens van niveau %(level)s moet tussen %(low)s en %(high)s liggen: "
                    "hoger dan die van het niveau ervoor en met ruimte voor de niveaus erna."
                ),
                level=level.number,
                low=str(lowest),
                high=str(highest),
            )
        maxima[level.number] = value
    if errors:
        raise SettingsInvalid(errors)

    cutoffs: dict[int, tuple[Decimal, Decimal]] = {}
    low = floor
    for level in before.levels:
        high = maxima.get(level.number, top)
        cutoffs[level.number] = (low, high)
        low = high + step
    changed_cutoffs = cutoffs != {
        lv.number: (Decimal(repr(lv.min)), Decimal(repr(lv.max))) for lv in before.levels
    }
    changed_weeks = {
        lv.number: weeks[lv.number] for lv in before.levels if weeks[lv.number] != lv.review_weeks
    }
    assert isinstance(months, int)
    changes: list[str] = []
    if months != before.due_interval_months:
        changes.append(f"due interval {before.due_interval_months} -> {months} months")
    for number, value in changed_weeks.items():
        old = next(lv.review_weeks for lv in before.levels if lv.number == number)
        changes.append(f"level {number} review {old} -> {value} weeks")
    if not changes and not changed_cutoffs:
        return []
    set_care_group_settings(
        session,
        care_group_id=care_group_id,
        due_interval_months=months,
        review_interval_weeks=changed_weeks,
        cutoffs=cutoffs if changed_cutoffs else None,
        now=now,
    )
    if changed_cutoffs:
        after = _activation(session, care_group_id)
        bounds = ", ".join(f"{n}: {lo}-{hi}" for n, (lo, hi) in cutoffs.items())
        changes.append(
            f"cut-offs {bounds} (activation {before.instrument_version} -> {after.version})"
        )
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type=OBJECT,
        object_id=care_group_id,
        detail="; ".join(changes)[:500],
    )
    return changes
