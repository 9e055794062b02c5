"""The access matrix: every route, per persona, allowed or denied.

Each domain lists its endpoints in ``tests/<domain>/access_rules.py`` as ``RULES = {endpoint:
Rule(...)}``. ``allowed`` names the personas (see ``tests.factories.PERSONAS``) that may use the
route; ``params`` builds the URL arguments from the world (it may create objects that belong to
``world.patient``). Everyone else must get 403/404 (or the login page when anonymous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from tests.factories import World

ParamsFactory = Callable[[World, Session], dict]

STAFF = frozenset({"professional", "professional_other"})
EVERYONE_LOGGED_IN = frozenset(
    {"patient", "patient_other", "professional", "professional_other", "caregroup", "admin"}
)
PUBLIC = EVERYONE_LOGGED_IN | {"anonymous"}


def no_params(_world: World, _db: Session) -> dict:
    return {}


def own_patient(world: World, _db: Session) -> dict:
    return {"patient_id": world.patient.id}


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    params: ParamsFactory = no_params
    # Query string or form data to send (e.g. a valid filter); empty by default.
    data: dict = field(default_factory=dict)
