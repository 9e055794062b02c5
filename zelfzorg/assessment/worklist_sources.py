"""Worklist: patients whose activation assessment is due (or due within two weeks)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlmodel import Session

from zelfzorg.assessment.services import due_assessments
from zelfzorg.errors import N_
from zelfzorg.worklist import RANKS, WorklistItem, register_source

KIND = "assessment_due"
HORIZON_DAYS = 14  # show upcoming ones, so the POH can plan them into a consultation


def assessment_due(
    session: Session, practice_ids: Collection[int], today: date
) -> list[WorklistItem]:
    """Two queries for the practices (see ``due_assessments``)."""
    return [
        WorklistItem(
            patient_id=due.patient_id,
            patient_name=due.patient_name,
            kind=KIND,
            rank=RANKS[KIND],
            message=(
                N_("Vragenlijst zelfmanagement is aan de beurt.")
                if due.due <= today
                else N_("Vragenlijst zelfmanagement is binnenkort aan de beurt.")
            ),
            endpoint="assessment.patient_overview",
            endpoint_args={"patient_id": due.patient_id},
            due=due.due,
            practice_id=due.practice_id,
        )
        for due in due_assessments(
            session, today=today, practice_ids=practice_ids, horizon_days=HORIZON_DAYS
        )
    ]


register_source("assessment", assessment_due, {KIND: N_("Vragenlijst zelfmanagement")})
