"""Who may see a care group's aggregate report.

TEMPORARY: ``care_group_scope`` has the name and signature the access layer
(``zelfzorg.accounts.scope``, branch ``access``) plans; replace this module's function with
that one when it lands on main.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import CareGroup, Practice, Role
from zelfzorg.accounts.scope import Actor, audit
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.errors import N_, Forbidden, NotFound


@dataclass(frozen=True)
class CareGroupScope:
    care_group_id: int
    practice_ids: frozenset[int]  # the practices whose rows the actor may see


def care_group_scope(
    session: Session, actor: Actor, care_group_id: int | None = None
) -> CareGroupScope:
    """The care group (and practices) the actor may see aggregates of, audited as an
    aggregate read. Caregroup users: their own care group, every practice. Professionals:
    the care group of their practice(s), their own practices only. Nobody else."""
    user = actor.user
    if user.role == Role.caregroup and user.care_group_id is not None:
        own = user.care_group_id
    elif user.role == Role.professional and actor.practice_ids:
        groups = set(
            session.exec(
                select(Practice.care_group_id).where(
                    col(Practice.id).in_(sorted(actor.practice_ids))
                )
            ).all()
        )
        own = care_group_id if care_group_id in groups else min(groups) if groups else None
    else:
        own = None
    if own is None or (care_group_id is not None and care_group_id != own):
        audit(
            session,
            actor,
            action=AuditAction.read,
            object_type="CareGroupReport",
            object_id=care_group_id,
            outcome=AuditOutcome.denied,
        )
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    if session.get(CareGroup, own) is None:
        raise NotFound(N_("Deze zorggroep bestaat niet."))
    practices = set(session.exec(select(Practice.id).where(Practice.care_group_id == own)).all())
    if user.role == Role.professional:
        practices &= set(actor.practice_ids)
    audit(session, actor, action=AuditAction.read, object_type="CareGroupReport", object_id=own)
    return CareGroupScope(own, frozenset(p for p in practices if p is not None))
