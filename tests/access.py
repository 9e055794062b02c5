"""The access matrix: every route, per persona, allowed or denied.

Each domain lists its endpoints in ``tests/<domain>/access_rules.py`` as ``RULES = {endpoint:
Rule(...)}``. ``allowed`` names the personas (see ``tests.factories.PERSONAS``) that may use the
route; ``params`` builds the URL arguments from the world (it may create objects that belong to
``world.patient``). Everyone else must get 403/404 (or the login page when anonymous).

"Allowed" means the valid request succeeds (2xx or a redirect), so ``data`` is a valid request:
a dict, or ``data(world, db, params)`` when it depends on the objects ``params`` made. For an
unsafe method every allowed persona gets fresh ``params`` (the first one's change must not make
the second one's request invalid).

Routes with a patient id and a child id are also sent with the id of another patient of the
same practice: that must be a 404, audited as denied against the child's real patient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session

from tests.factories import World

ParamsFactory = Callable[[World, Session], dict]
DataFactory = Callable[[World, Session, dict], dict]

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
    # Query string or form data of a valid request (e.g. a valid filter); empty by default.
    data: dict | DataFactory = field(default_factory=dict)

    def data_for(self, world: World, db: Session, params: dict) -> dict:
        return self.data(world, db, params) if callable(self.data) else self.data
