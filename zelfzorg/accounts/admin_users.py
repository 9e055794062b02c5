"""Administrators edit, deactivate and reactivate staff accounts.

Deactivating ends every session of the account (a new session nonce: the user loader refuses
the old cookie) and revokes its API tokens. Nobody deactivates themselves and the last active
administrator stays, so the platform can always be managed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import (
    ApiToken,
    CareGroup,
    Discipline,
    Practice,
    PracticeMembership,
    Role,
    User,
)
from zelfzorg.accounts.scope import Actor, audit, not_found
from zelfzorg.accounts.services import end_sessions, normalise_email
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Conflict, Forbidden, ValidationError

E_USER_CONFLICT = N_(
    "Iemand anders heeft deze gebruiker intussen gewijzigd. Uw invoer staat nog in het "
    "formulier; controleer het en sla opnieuw op."
)
STAFF_ROLES = (Role.professional, Role.caregroup, Role.admin)


@dataclass(frozen=True)
class UserInput:
    name: str
    email: str
    role: str
    discipline: str | None = None
    practice_id: int | None = None
    care_group_id: int | None = None


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(N_("Alleen beheerders mogen dit."))


def get_staff_user(session: Session, actor: Actor, user_id: int) -> User:
    """A staff account for an administrator; patients' accounts are not managed here."""
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None or user.role == Role.patient:
        raise not_found(
            session,
            actor,
            object_type="User",
            object_id=user_id,
            message=N_("Deze gebruiker bestaat niet."),
        )
    return user


def _clean(session: Session, user: User, data: UserInput) -> dict:
    name = (data.name or "").strip()
    email = normalise_email(data.email)
    if not name or len(name) > 200:
        raise ValidationError(N_("Vul een naam in van hoogstens 200 tekens."), field="name")
    if "@" not in email or len(email) > 254:
        raise ValidationError(N_("Vul een geldig e-mailadres in."), field="email")
    if session.exec(select(User.id).where(User.email == email, User.id != user.id)).first():
        raise ValidationError(N_("Met dit e-mailadres bestaat al een account."), field="email")
    if data.role not in {r.value for r in STAFF_ROLES}:
        raise ValidationError(N_("Kies een rol."), field="role")
    role = Role(data.role)
    discipline = None
    practice_id = care_group_id = None
    if role == Role.professional:
        if data.practice_id is None or session.get(Practice, data.practice_id) is None:
            raise ValidationError(
                N_("Kies de praktijk van deze zorgverlener."), field="practice_id"
            )
        if data.discipline not in {d.value for d in Discipline}:
            raise ValidationError(
                N_("Kies de discipline van deze zorgverlener."), field="discipline"
            )
        discipline, practice_id = Discipline(data.discipline), data.practice_id
    elif role == Role.caregroup:
        if data.care_group_id is None or session.get(CareGroup, data.care_group_id) is None:
            raise ValidationError(
                N_("Kies de zorggroep van deze medewerker."), field="care_group_id"
            )
        care_group_id = data.care_group_id
    return {
        "name": name,
        "email": email,
        "role": role,
        "discipline": discipline,
        "practice_id": practice_id,
        "care_group_id": care_group_id,
    }


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, col(User.is_active).is_(True))
    ).one()


def update_user(
    session: Session, actor: Actor, user_id: int, data: UserInput, *, version: int | None
) -> User:
    """Save the administrator's edit made on ``version``; a newer one raises ``Conflict``."""
    user = get_staff_user(session, actor, user_id)
    values = _clean(session, user, data)
    if user.role == Role.admin and values["role"] != Role.admin:
        if user.id == actor.user_id:
            raise ValidationError(N_("U kunt uw eigen beheerdersrol niet afnemen."), field="role")
        if user.is_active and _active_admins(session) <= 1:
            raise ValidationError(
                N_("Dit is de laatste actieve beheerder. Maak eerst iemand anders beheerder."),
                field="role",
            )
    expected = user.version if version is None else version
    changed = sorted(k for k, v in values.items() if getattr(user, k) != v)
    # The version check is in the UPDATE itself: of two simultaneous saves only one applies.
    result = session.execute(
        sa.update(User)
        .where(col(User.id) == user.id, col(User.version) == expected)
        .values(**values, version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user)
    if result.rowcount != 1:
        raise Conflict(E_USER_CONFLICT, current=user)
    if values["role"] != Role.professional:
        # Extra practices belong to professionals only.
        session.execute(
            sa.delete(PracticeMembership).where(col(PracticeMembership.user_id) == user.id)
        )
    elif "practice_id" in changed:
        # Extra practices stay within the home practice's care group, and are not the home.
        home = session.get(Practice, values["practice_id"])
        assert home is not None
        same_group = select(Practice.id).where(Practice.care_group_id == home.care_group_id)
        session.execute(
            sa.delete(PracticeMembership).where(
                col(PracticeMembership.user_id) == user.id,
                sa.or_(
                    col(PracticeMembership.practice_id).not_in(same_group),
                    col(PracticeMembership.practice_id) == home.id,
                ),
            )
        )
    if {"role", "practice_id", "care_group_id"} & set(changed):
        # A new role or organisation: sessions made under the old one end.
        end_sessions(session, user)
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="User",
        object_id=user.id,
        detail="changed " + ",".join(changed) if changed else "no change",
    )
    session.flush()
    return user


def deactivate_user(session: Session, actor: Actor, user_id: int, *, now: datetime) -> User:
    """The account can no longer log in; its sessions end and its API tokens stop working."""
    user = get_staff_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise ValidationError(N_("U kunt uw eigen account niet uitschakelen."))
    if not user.is_active:
        raise ValidationError(N_("Dit account is al uitgeschakeld."))
    if user.role == Role.admin and _active_admins(session) <= 1:
        raise ValidationError(N_("De laatste actieve beheerder kan niet worden uitgeschakeld."))
    user.is_active = False
    user.deactivated_at = now
    user.version += 1
    end_sessions(session, user)
    revoked = session.execute(
        sa.update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="User",
        object_id=user.id,
        detail=f"deactivated; sessions ended; {revoked.rowcount or 0} api tokens revoked",
    )
    session.flush()
    return user


def reactivate_user(session: Session, actor: Actor, user_id: int) -> User:
    """The account may log in again (with its own password and second factor)."""
    user = get_staff_user(session, actor, user_id)
    if user.is_active:
        raise ValidationError(N_("Dit account is al actief."))
    user.is_active = True
    user.deactivated_at = None
    user.failed_logins = 0
    user.locked_until = None
    user.version += 1
    session.add(user)
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="User",
        object_id=user.id,
        detail="reactivated",
    )
    session.flush()
    return user
