"""Professionals in several practices: an administrator adds or removes the extra practices of
a professional (``PracticeMembership``), always practices of the care group of their home
practice. Their scope (``Actor.practice_ids``) is the union, built per request, so a change
takes effect on the professional's next page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Practice, PracticeMembership, Role, User
from zelfzorg.accounts.scope import Actor, audit
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Forbidden, NotFound, ValidationError

OBJECT = "PracticeMembership"


@dataclass(frozen=True)
class Memberships:
    user: User
    home: Practice
    extra: list[Practice]  # memberships besides the home practice, by name
    candidates: list[Practice]  # other practices of the same care group, not yet a membership


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(N_("Alleen beheerders mogen dit."))


def _professional(session: Session, user_id: int) -> tuple[User, Practice]:
    user = session.get(User, user_id)
    if user is None or user.role != Role.professional or user.practice_id is None:
        raise NotFound(N_("Deze zorgverlener bestaat niet."))
    home = session.get(Practice, user.practice_id)
    assert home is not None  # a foreign key
    return user, home


def memberships_of(session: Session, actor: Actor, user_id: int) -> Memberships:
    _require_admin(actor)
    user, home = _professional(session, user_id)
    extra = list(
        session.exec(
            select(Practice)
            .join(PracticeMembership, col(PracticeMembership.practice_id) == Practice.id)
            .where(PracticeMembership.user_id == user.id, Practice.id != home.id)
            .order_by(Practice.name, Practice.id)
        ).all()
    )
    taken = {home.id} | {p.id for p in extra}
    candidates = [
        p
        for p in session.exec(
            select(Practice)
            .where(Practice.care_group_id == home.care_group_id)
            .order_by(Practice.name, Practice.id)
        ).all()
        if p.id not in taken
    ]
    return Memberships(user, home, extra, candidates)


def add_membership(
    session: Session, actor: Actor, user_id: int, practice_id: int | None
) -> PracticeMembership:
    """The professional also works for this practice of their care group."""
    _require_admin(actor)
    user, home = _professional(session, user_id)
    practice = session.get(Practice, practice_id) if practice_id else None
    if practice is None:
        raise ValidationError(N_("Kies een praktijk."), field="practice_id")
    if practice.care_group_id != home.care_group_id:
        raise ValidationError(
            N_("Kies een praktijk van de zorggroep van deze zorgverlener."), field="practice_id"
        )
    if practice.id == home.id:
        raise ValidationError(
            N_("Dit is de eigen praktijk van deze zorgverlener."), field="practice_id"
        )
    if session.exec(
        select(PracticeMembership.id).where(
            PracticeMembership.user_id == user.id, PracticeMembership.practice_id == practice.id
        )
    ).first():
        raise ValidationError(
            N_("Deze zorgverlener werkt al voor deze praktijk."), field="practice_id"
        )
    membership = PracticeMembership(
        user_id=user.id,  # type: ignore[arg-type]
        practice_id=practice.id,  # type: ignore[arg-type]
        created_by_id=actor.user_id,
    )
    session.add(membership)
    session.flush()
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type=OBJECT,
        object_id=membership.id,
        detail=f"user {user.id} practice {practice.id}",
    )
    return membership


def remove_membership(session: Session, actor: Actor, user_id: int, practice_id: int) -> None:
    """The professional no longer works for this practice (their home practice stays)."""
    _require_admin(actor)
    user, _home = _professional(session, user_id)
    membership = session.exec(
        select(PracticeMembership).where(
            PracticeMembership.user_id == user.id, PracticeMembership.practice_id == practice_id
        )
    ).first()
    if membership is None:
        raise ValidationError(N_("Deze zorgverlener werkt niet voor deze praktijk."))
    audit(
        session,
        actor,
        action=AuditAction.delete,
        object_type=OBJECT,
        object_id=membership.id,
        detail=f"user {user.id} practice {practice_id}",
    )
    # A membership is an authorisation, not a medical record: it is removed, the audit log
    # keeps that it existed.
    session.delete(membership)
    session.flush()
