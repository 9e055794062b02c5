"""Daily reminder to patients whose activation assessment is due; once per patient and due
date (the notification key), however often the job runs."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from zelfzorg.assessment.services import due_assessments
from zelfzorg.errors import N_
from zelfzorg.notifications.jobs import register_job
from zelfzorg.notifications.services import endpoint_link, notify

JOB_NAME = "assessment_due_reminders"
MESSAGE = N_("Het is tijd om de vragenlijst over zelfmanagement in te vullen.")


def remind_due_assessments(session: Session, today: date) -> str:
    sent = 0
    for due in due_assessments(session, today=today, horizon_days=0):
        if due.user_id is None:
            continue
        note = notify(
            session,
            user_id=due.user_id,
            key=f"assessment_due:{due.patient_id}:{due.due.isoformat()}",
            kind="assessment_due",
            message=MESSAGE,
            link=endpoint_link("assessment.mine"),
            patient_id=due.patient_id,
        )
        sent += note is not None
    session.flush()
    return f"{sent} assessment reminders"


register_job(JOB_NAME, remind_due_assessments)
