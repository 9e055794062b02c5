"""A practice's details as an administrator edits them: name, city, AGB code and the phone
number its patients see on their home page. Saved against the version the form was loaded
with, so two administrators editing at once never overwrite each other unseen."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from zelfzorg.accounts.models import Practice, Role
from zelfzorg.accounts.scope import Actor, audit
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.inputs import check_text

OBJECT = "Practice"
E_CONFLICT = N_(
    "Iemand anders heeft deze praktijk intussen gewijzigd. Uw wijziging is nog niet bewaard: "
    "controleer de gegevens hieronder en sla opnieuw op."
)
# Digits with the separators people type: spaces, hyphens, dots, brackets, a leading "+".
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]*$")


@dataclass(frozen=True)
class PracticeInput:
    name: str
    city: str = ""
    agb_code: str = ""
    phone: str = ""


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(N_("Alleen beheerders mogen dit."))


def clean_phone(value: str | None) -> str:
    """A phone number as typed, trimmed; '' for none. 10 to 15 digits (Dutch numbers have
    10, international ones up to 15) and only the usual separators."""
    text = " ".join(check_text(value, field="phone").split())
    if not text:
        return ""
    digits = sum(ch.isdigit() for ch in text)
    if len(text) > 20 or not _PHONE.match(text) or not 10 <= digits <= 15:
        raise ValidationError(
            N_("Vul een telefoonnummer in van 10 cijfers, bijvoorbeeld 0344 61 23 45."),
            field="phone",
        )
    return text


def tel_href(phone: str) -> str:
    """The ``tel:`` link of a phone number: its digits, with a leading + kept."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"tel:{'+' if phone.startswith('+') else ''}{digits}" if digits else ""


def _clean(data: PracticeInput) -> dict:
    name = " ".join(check_text(data.name, field="name").split())
    if not name or len(name) > 200:
        raise ValidationError(N_("Vul een naam in van hoogstens 200 tekens."), field="name")
    city = " ".join(check_text(data.city, field="city").split())
    if len(city) > 100:
        raise ValidationError(N_("Vul een plaats in van hoogstens 100 tekens."), field="city")
    agb = check_text(data.agb_code, field="agb_code").strip()
    if agb and (not agb.isdigit() or len(agb) != 8):
        raise ValidationError(N_("Een AGB-code bestaat uit 8 cijfers."), field="agb_code")
    return {"name": name, "city": city, "agb_code": agb or None, "phone": clean_phone(data.phone)}


def get_practice(session: Session, actor: Actor, practice_id: int) -> Practice:
    _require_admin(actor)
    practice = session.get(Practice, practice_id)
    if practice is None:
        raise NotFound(N_("Deze praktijk bestaat niet."))
    return practice


def update_practice(
    session: Session, actor: Actor, practice_id: int, data: PracticeInput, *, version: int
) -> Practice:
    """Save an edit made on ``version``; a newer saved version raises ``Conflict`` and
    changes nothing."""
    practice = get_practice(session, actor, practice_id)
    values = _clean(data)
    # The version check is in the UPDATE itself, so two simultaneous saves cannot both apply.
    result = session.execute(
        sa.update(Practice)
        .where(col(Practice.id) == practice_id, col(Practice.version) == version)
        .values(**values, version=version + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(practice)
    if result.rowcount != 1:
        raise Conflict(E_CONFLICT, current=practice)
    audit(session, actor, action=AuditAction.update, object_type=OBJECT, object_id=practice.id)
    return practice
