"""Updates through the API: ``PUT Goal/{id}`` with ``If-Match`` (optimistic locking on the
goal's version, as the UI does), through the same service as the UI (izp.goals.edit_goal),
so the same rules (who may change what, status transitions) and audit apply. No Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from zelfzorg.accounts.scope import Actor, load_for
from zelfzorg.errors import N_, DomainError, ValidationError
from zelfzorg.izp.goals import GoalInput, edit_goal
from zelfzorg.izp.models import Goal
from zelfzorg.telemonitoring.types import type_for_loinc


class PreconditionFailed(DomainError):
    """If-Match names another version than the current one: HTTP 412."""


class PreconditionRequired(DomainError):
    """An update without If-Match: HTTP 428."""


class Unprocessable(ValidationError):
    """A well-formed resource we cannot apply (invalid value, unsupported change): HTTP 422."""


@dataclass(frozen=True)
class Updated:
    goal: Goal


def parse_if_match(header: str | None) -> int:
    if not header:
        raise PreconditionRequired(
            N_('Stuur If-Match met de versie die u wilt wijzigen (bijv. W/"3").')
        )
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(N_("If-Match is geen versie van deze resource."))
    return int(value)


def _unprocessable(message: str, path: str, **params) -> Unprocessable:
    return Unprocessable(message, field=path, **params)


def goal_input(goal: Goal, resource: dict) -> GoalInput:
    """The UI's goal input from a FHIR Goal: description, lifecycleStatus, the first target
    (LOINC measure, quantity with comparator and UCUM unit, dueDate); the rest is kept."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Goal":
        raise _unprocessable(N_("Stuur een Goal-resource."), "resourceType")
    if resource.get("id") not in (None, str(goal.id)):
        raise _unprocessable(N_("Het id in de resource is niet dat in de URL."), "Goal.id")
    title = (resource.get("description") or {}).get("text")
    if not isinstance(title, str) or not title.strip():
        raise _unprocessable(N_("Een doel heeft een omschrijving nodig."), "Goal.description.text")
    achievement = ((resource.get("achievementStatus") or {}).get("coding") or [{}])[0].get("code")
    if achievement not in (None, goal.achievement):
        raise _unprocessable(
            N_("De voortgang verandert bij een evaluatie, niet hier."),
            "Goal.achievementStatus",
        )
    data: dict = {
        "title": title,
        "domain": goal.domain,
        "programmes": list(goal.programmes),
        "review_date": goal.review_date,
        "lifecycle": resource.get("lifecycleStatus") or goal.lifecycle,
        "due_date": None,
    }
    targets = resource.get("target") or []
    if not isinstance(targets, list) or len(targets) > 1:
        raise _unprocessable(N_("Een doel heeft hoogstens één streefwaarde."), "Goal.target")
    if targets:
        target = targets[0]
        due = target.get("dueDate")
        try:
            data["due_date"] = date.fromisoformat(due) if due else None
        except (TypeError, ValueError):
            raise _unprocessable(
                N_("Geen geldige datum: %(value)s"), "Goal.target[0].dueDate", value=str(due)[:20]
            ) from None
        measure = ((target.get("measure") or {}).get("coding") or [{}])[0].get("code")
        quantity = target.get("detailQuantity")
        if measure or quantity:
            mtype = type_for_loinc(str(measure or ""))
            if mtype is None:
                raise _unprocessable(
                    N_("Onbekende LOINC-code: %(code)s"),
                    "Goal.target[0].measure",
                    code=str(measure)[:20],
                )
            if not isinstance(quantity, dict) or quantity.get("code", quantity.get("unit")) != (
                mtype.unit
            ):
                raise _unprocessable(
                    N_("De eenheid moet %(unit)s zijn (UCUM)."),
                    "Goal.target[0].detailQuantity.code",
                    unit=mtype.unit,
                )
            data["target_type"] = mtype.code
            data["target_comparator"] = quantity.get("comparator") or ""
            data["target_value"] = quantity.get("value")
            data["target_unit"] = mtype.unit
    return GoalInput(**data)


def update_goal(
    session: Session,
    actor: Actor,
    goal_id: int,
    resource: dict,
    *,
    if_match: str | None,
    today: date,
) -> Goal:
    version = parse_if_match(if_match)
    goal = load_for(session, actor, Goal, goal_id, write=True)
    if version != goal.version:
        raise PreconditionFailed(
            N_("Dit doel is intussen gewijzigd (nu versie %(version)s). Lees het opnieuw."),
            version=goal.version,
        )
    data = goal_input(goal, resource)
    try:
        return edit_goal(session, actor, goal_id, data, version=version, today=today)
    except ValidationError as error:
        if isinstance(error, Unprocessable):
            raise
        raise Unprocessable(error.message, field=error.field, **error.params) from error
