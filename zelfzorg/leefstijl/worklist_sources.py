"""Worklist: offers left unanswered and accepted interventions that did not start."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.errors import N_
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral
from zelfzorg.patients.models import Patient
from zelfzorg.patients.population import practice_on
from zelfzorg.worklist import RANKS, WorklistItem, register_source

KIND = "referral_waiting"
OFFER_WAIT_DAYS = 14
START_WAIT_DAYS = 28

MESSAGES = {
    rs.OFFERED: N_("%(name)s is %(days)s dagen geleden aangeboden en nog niet beantwoord."),
    rs.ACCEPTED: N_("%(name)s is %(days)s dagen geleden geaccepteerd maar nog niet gestart."),
}


def referral_waiting(
    session: Session, practice_ids: Collection[int], today: date
) -> list[WorklistItem]:
    """One query for the practices."""
    place = practice_on(today)
    rows = session.exec(
        select(Referral, Patient, Intervention.name, place.c.practice_id)
        .join(Patient, col(Patient.id) == Referral.patient_id)
        .join(place, place.c.patient_id == Patient.id)
        .join(Intervention, col(Intervention.id) == Referral.intervention_id)
        .where(place.c.practice_id.in_(list(practice_ids)))
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
    ).all()
    return [
        WorklistItem(
            patient_id=patient.id,  # type: ignore[arg-type]
            patient_name=patient.full_name,
            kind=KIND,
            rank=RANKS[KIND],
            message=MESSAGES[referral.state],
            params={"name": name, "days": (today - referral.state_since).days},
            endpoint="leefstijl.patient_overview",
            endpoint_args={"patient_id": patient.id},
            due=referral.state_since,
            practice_id=practice_id,
        )
        for referral, patient, name, practice_id in rows
    ]


register_source(KIND, referral_waiting, {KIND: N_("Verwijzing wacht op een volgende stap")})
