"""Referral lifecycle of lifestyle interventions, the L2 "offered" rule and outcome fields.

Lifecycle (who may make each step)::

    (new) ----------> proposed                     professional
    proposed -------> offered | declined           professional
    offered --------> accepted | declined          professional or the patient
    accepted -------> started | declined | stopped professional
    started --------> completed | stopped          professional
    completed, stopped, declined                   final

``proposed -> accepted`` is not allowed: an offer and its acceptance in one consultation are
recorded as two steps (offered, then accepted) so the date of the offer, which indicator L2
counts, is always in the history. ``proposed -> declined`` means the referral was never
offered (the professional or patient decided against it first); it does not count for L2.
A patient sees and answers offers only; everything else is the professional's to record.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from zelfzorg.errors import N_, Forbidden, ValidationError

PROPOSED = "proposed"
OFFERED = "offered"
ACCEPTED = "accepted"
STARTED = "started"
COMPLETED = "completed"
STOPPED = "stopped"
DECLINED = "declined"

STATES: tuple[str, ...] = (PROPOSED, OFFERED, ACCEPTED, STARTED, COMPLETED, STOPPED, DECLINED)
INITIAL_STATE = PROPOSED
FINAL_STATES = frozenset({COMPLETED, STOPPED, DECLINED})
# A referral in one of these states has been offered (L2). Declined counts only after an offer,
# see reached_offered().
OFFERED_OR_LATER = frozenset({OFFERED, ACCEPTED, STARTED, COMPLETED, STOPPED})

STATE_LABELS: dict[str, str] = {
    PROPOSED: N_("voorgesteld"),
    OFFERED: N_("aangeboden"),
    ACCEPTED: N_("geaccepteerd"),
    STARTED: N_("gestart"),
    COMPLETED: N_("afgerond"),
    STOPPED: N_("gestopt"),
    DECLINED: N_("afgewezen"),
}

PROFESSIONAL = "professional"
PATIENT = "patient"
_BOTH = frozenset({PROFESSIONAL, PATIENT})
_PRO = frozenset({PROFESSIONAL})

# current state -> {next state: roles that may make the step}; None is a new referral.
TRANSITIONS: dict[str | None, dict[str, frozenset[str]]] = {
    None: {PROPOSED: _PRO},
    PROPOSED: {OFFERED: _PRO, DECLINED: _PRO},
    OFFERED: {ACCEPTED: _BOTH, DECLINED: _BOTH},
    ACCEPTED: {STARTED: _PRO, DECLINED: _PRO, STOPPED: _PRO},
    STARTED: {COMPLETED: _PRO, STOPPED: _PRO},
    COMPLETED: {},
    STOPPED: {},
    DECLINED: {},
}

E_UNKNOWN_STATE = N_("Onbekende status van een verwijzing: '%(status)s'.")
# One fixed sentence per state, so the state names are translated with the message.
_E_FROM: dict[str | None, str] = {
    None: N_("Een nieuwe verwijzing krijgt altijd eerst de status 'voorgesteld'."),
    PROPOSED: N_(
        "Een verwijzing met status 'voorgesteld' kan alleen de status 'aangeboden' of "
        "'afgewezen' krijgen."
    ),
    OFFERED: N_(
        "Een verwijzing met status 'aangeboden' kan alleen de status 'geaccepteerd' of "
        "'afgewezen' krijgen."
    ),
    ACCEPTED: N_(
        "Een verwijzing met status 'geaccepteerd' kan alleen de status 'gestart', 'afgewezen' "
        "of 'gestopt' krijgen."
    ),
    STARTED: N_(
        "Een verwijzing met status 'gestart' kan alleen de status 'afgerond' of 'gestopt' krijgen."
    ),
    COMPLETED: N_("Een verwijzing met status 'afgerond' kan niet meer veranderen."),
    STOPPED: N_("Een verwijzing met status 'gestopt' kan niet meer veranderen."),
    DECLINED: N_("Een verwijzing met status 'afgewezen' kan niet meer veranderen."),
}
E_PROFESSIONAL_ONLY = N_("Alleen een zorgverlener kan deze status van de verwijzing vastleggen.")
E_NO_ROLE = N_(
    "Alleen een zorgverlener of de patiënt zelf kan de status van een verwijzing veranderen."
)


def _check_state(state: str, field: str = "status") -> None:
    if state not in STATE_LABELS:
        raise ValidationError(E_UNKNOWN_STATE, field=field, status=state)


def allowed_transitions(current: str | None, actor_role: str) -> tuple[str, ...]:
    """The states this actor may move a referral to (e.g. to show the right buttons)."""
    if current is not None:
        _check_state(current)
    return tuple(new for new, roles in TRANSITIONS[current].items() if actor_role in roles)


def check_transition(current: str | None, new: str, actor_role: str) -> None:
    """Refuse a status change the lifecycle or the actor's role does not allow.

    ``current`` is None for a new referral. Raises ``ValidationError`` for a step the
    lifecycle does not have, ``Forbidden`` when the step exists but not for this role.
    """
    if current is not None:
        _check_state(current)
    _check_state(new)
    roles = TRANSITIONS[current].get(new)
    if roles is None:
        raise ValidationError(_E_FROM[current], field="status")
    if actor_role not in roles:
        message = E_PROFESSIONAL_ONLY if actor_role == PATIENT else E_NO_ROLE
        raise Forbidden(message, field="status")


def reached_offered(history_states: Iterable[str]) -> bool:
    """Whether a referral with this status history (oldest first) counts as offered (L2).

    Offered or any later state counts; declined counts only after an offer, which the
    history then also holds.
    """
    states = list(history_states)
    for state in states:
        _check_state(state)
    return any(state in OFFERED_OR_LATER for state in states)


def reached_offered_in(history: Iterable[tuple[str, date]], start: date, end: date) -> bool:
    """Whether the referral reached offered or a later state on a day in [start, end] (L2).

    ``history`` holds (state, date) pairs, oldest first. A decline counts when it follows an
    offer, so an offer before the period and a decline within it counts for the period.
    """
    offered_before = False
    for state, day in history:
        _check_state(state)
        later = state in OFFERED_OR_LATER or (state == DECLINED and offered_before)
        if later and start <= day <= end:
            return True
        offered_before = offered_before or state in OFFERED_OR_LATER
    return False


# --- intervention kinds and outcomes ------------------------------------------------------
INTERVENTION_KINDS: dict[str, str] = {
    "gli": N_("gecombineerde leefstijlinterventie (GLI)"),
    "smoking_cessation": N_("stoppen met roken"),
    "exercise": N_("bewegen"),
    "diet": N_("voeding"),
    "education": N_("educatie"),
    "online_module": N_("online module"),
    "community": N_("aanbod in de wijk of gemeente"),
}

FieldType = Literal["number", "integer", "yes_no", "rating", "text"]


@dataclass(frozen=True)
class OutcomeField:
    """One outcome recorded at completion; ``label`` is a Dutch msgid."""

    key: str
    type: FieldType
    label: str
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None


RATING = OutcomeField(
    "patient_rating",
    "rating",
    N_("Waardering door de patiënt (1 tot en met 5)"),
    minimum=1,
    maximum=5,
)
NOTE = OutcomeField("note", "text", N_("Toelichting"), maximum=2000)
WEIGHT = OutcomeField(
    "weight_change_kg", "number", N_("Verandering in gewicht (kg)"), minimum=-50, maximum=50
)
WAIST = OutcomeField(
    "waist_change_cm", "number", N_("Verandering in buikomvang (cm)"), minimum=-50, maximum=50
)
STOPPED_SMOKING = OutcomeField("stopped_smoking", "yes_no", N_("Gestopt met roken"), True)
ACTIVE_MINUTES = OutcomeField(
    "active_minutes_per_week",
    "integer",
    N_("Minuten bewegen per week na afloop"),
    minimum=0,
    maximum=5000,
)
ALL_SESSIONS = OutcomeField("all_sessions_attended", "yes_no", N_("Alle bijeenkomsten gevolgd"))
MODULE_FINISHED = OutcomeField("module_finished", "yes_no", N_("Module helemaal doorlopen"))

# Weight change is the primary GLI outcome (zorgstandaard), so it is required there.
OUTCOME_FIELDS: dict[str, tuple[OutcomeField, ...]] = {
    "gli": (
        OutcomeField(WEIGHT.key, "number", WEIGHT.label, True, WEIGHT.minimum, WEIGHT.maximum),
        WAIST,
        RATING,
        NOTE,
    ),
    "smoking_cessation": (STOPPED_SMOKING, RATING, NOTE),
    "exercise": (ACTIVE_MINUTES, RATING, NOTE),
    "diet": (WEIGHT, RATING, NOTE),
    "education": (ALL_SESSIONS, RATING, NOTE),
    "online_module": (MODULE_FINISHED, RATING, NOTE),
    "community": (RATING, NOTE),
}

E_UNKNOWN_KIND = N_("Onbekende soort interventie: '%(kind)s'.")
E_OUTCOME_SHAPE = N_("De uitkomst van de verwijzing heeft een verkeerde vorm.")
E_UNKNOWN_FIELD = N_("Het gegeven '%(key)s' hoort niet bij de uitkomst van deze interventie.")
E_REQUIRED = N_("Vul dit gegeven in.")
E_NUMBER = N_("Vul een getal in.")
E_INTEGER = N_("Vul een heel getal in.")
E_RANGE = N_("Vul een getal in van %(min)s tot en met %(max)s.")
E_YES_NO = N_("Kies ja of nee.")
E_RATING = N_("Kies een waardering van 1 tot en met 5.")
E_TEXT = N_("Vul hier tekst in.")
E_TEXT_LONG = N_("Deze tekst is te lang. Gebruik maximaal %(max)s tekens.")


def validate_outcome(kind: str, data: Mapping[str, object]) -> dict[str, object]:
    """Check the outcome recorded when a referral of this kind is completed.

    Returns the cleaned outcome (JSON-able: float, int, bool, str; empty values left out).
    Raises ``ValidationError`` with ``field`` set to the offending key.
    """
    fields = OUTCOME_FIELDS.get(kind)
    if fields is None:
        raise ValidationError(E_UNKNOWN_KIND, field="kind", kind=kind)
    if not isinstance(data, Mapping):
        raise ValidationError(E_OUTCOME_SHAPE)
    by_key = {f.key: f for f in fields}
    for key in data:
        if key not in by_key:
            raise ValidationError(E_UNKNOWN_FIELD, field=str(key), key=key)
    cleaned: dict[str, object] = {}
    for spec in fields:
        raw = data.get(spec.key)
        if isinstance(raw, str) and not raw.strip():
            raw = None  # an emptied text box means "not filled in"
        if raw is None:
            if spec.required:
                raise ValidationError(E_REQUIRED, field=spec.key)
            continue
        cleaned[spec.key] = _clean(spec, raw)
    return cleaned


def _clean(spec: OutcomeField, raw: object) -> object:
    if spec.type == "yes_no":
        if not isinstance(raw, bool):
            raise ValidationError(E_YES_NO, field=spec.key)
        return raw
    if spec.type == "text":
        if not isinstance(raw, str):
            raise ValidationError(E_TEXT, field=spec.key)
        text = raw.strip()
        if spec.maximum is not None and len(text) > spec.maximum:
            raise ValidationError(E_TEXT_LONG, field=spec.key, max=spec.maximum)
        return text
    if spec.type == "rating":
        if type(raw) is not int or not spec.minimum <= raw <= spec.maximum:  # type: ignore[operator]
            raise ValidationError(E_RATING, field=spec.key)
        return raw
    number = _to_number(spec, raw)
    if spec.minimum is not None and spec.maximum is not None:
        if not spec.minimum <= number <= spec.maximum:
            raise ValidationError(E_RANGE, field=spec.key, min=spec.minimum, max=spec.maximum)
    return number


def _to_number(spec: OutcomeField, raw: object) -> int | float:
    if spec.type == "integer":
        if type(raw) is not int:
            raise ValidationError(E_INTEGER, field=spec.key)
        return raw
    # bool is an int subclass; "True kg" is not a weight change.
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise ValidationError(E_NUMBER, field=spec.key)
    number = float(raw)
    if not math.isfinite(number):
        raise ValidationError(E_NUMBER, field=spec.key)
    return number
