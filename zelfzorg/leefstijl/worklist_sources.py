"""Worklist: offers left unanswered and accepted interventions that did not start."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral
from zelfzorg.worklist import (
    RANKS,
    Reason,
    WorklistItem,
    practice_place,
    reason_select,
    register_source,
    source_items,
)

KIND = "referral_waiting"
OFFER_WAIT_DAYS = 14
START_WAIT_DAYS = 28

MESSAGES = {
    rs.OFFERED: N_("%(name)s is %(days)s dagen geleden aangeboden en nog niet beantwoord."),
    rs.ACCEPTED: N_("%(name)s is %(days)s dagen geleden geaccepteerd maar nog niet gestart."),
}


def referral_reasons(session: Session, practice_ids: list[int], today: date) -> sa.Select:
    place = practice_place(practice_ids, today)
    return (
        select(
            *reason_select(
                patient_id=Referral.patient_id,
                practice_id=place.c.practice_id,
                kind=KIND,
                rank=RANKS[KIND],
                ref_id=Referral.id,
                due=Referral.state_since,
            )
        )
        .join(place, place.c.patient_id == Referral.patient_id)
        .where(
            sa.or_(
                sa.and_(
                    Referral.state == rs.OFFERED,
                    col(Referral.state_since) <= today - timedelta(days=OFFER_WAIT_DAYS),
                ),
                sa.and_(
                    Referral.state == rs.ACCEPTED,
                    col(Referral.state_since) <= today - timedelta(days=START_WAIT_DAYS),
                ),
            )
        )
    )


def describe_referrals(
    session: Session, reasons: Sequence[Reason], today: date
) -> list[WorklistItem]:
    """One query for the referrals of the shown page."""
    found = {r.ref_id: r for r in reasons}
    rows = session.exec(
        select(Referral, Intervention.name)
        .join(Intervention, col(Intervention.id) == Referral.intervention_id)
        .where(col(Referral.id).in_(list(found)))
    ).all()
    return [
        WorklistItem(
            patient_id=referral.patient_id,
            patient_name="",
            kind=KIND,
            rank=RANKS[KIND],
            message=MESSAGES[referral.state],
            params={"name": name, "days": (today - referral.state_since).days},
            endpoint="leefstijl.patient_overview",
            endpoint_args={"patient_id": referral.patient_id},
            due=referral.state_since,
            practice_id=found[referral.id].practice_id,
        )
        for referral, name in rows
    ]


def referral_waiting(
    session: Session, practice_ids: Collection[int], today: date
) -> list[WorklistItem]:
    """Every waiting referral of the practices (unpaged)."""
    return source_items(session, KIND, practice_ids, today)


register_source(
    KIND,
    referral_reasons,
    describe_referrals,
    {KIND: N_("Verwijzing wacht op een volgende stap")},
)
