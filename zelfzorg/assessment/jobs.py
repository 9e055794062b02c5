"""Daily reminder to patients whose activation assessment is due; once per patient and due
date (the notification key), however often the job runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.assessment.services import DueAssessment, due_assessments
from zelfzorg.errors import N_
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import register_job
from zelfzorg.notifications.models import Notification
from zelfzorg.notifications.services import endpoint_link, notify

JOB_NAME = "assessment_due_reminders"
KIND = "assessment_due"
MESSAGE = N_("Het is tijd om de vragenlijst over zelfmanagement in te vullen.")


def remind_due_assessments(session: Session, today: date) -> str:
    """Set-based: one query for who is due, one for the reminders already sent, one insert of
    the missing ones; a rerun that sends nothing costs the first two queries."""
    due = due_assessments(session, today=today, horizon_days=0)
    return send_due_reminders(session, due, kind=KIND, message=MESSAGE, what="assessment")


def send_due_reminders(
    session: Session, due_list: list[DueAssessment], *, kind: str, message: str, what: str
) -> str:
    """One reminder per patient and due date (key ``<kind>:<patient>:<date>``) for the due
    questionnaires in ``due_list``; shared by the activation and well-being reminders."""
    wanted = {
        f"{kind}:{due.patient_id}:{due.due.isoformat()}": due
        for due in due_list
        if due.user_id is not None
    }
    if not wanted:
        return f"0 {what} reminders"
    # A reminder for due date D is created on or after D: older notifications cannot match.
    oldest = min(due.due for due in wanted.values()) - timedelta(days=1)
    sent_keys = set(
        session.exec(
            select(Notification.key).where(
                Notification.kind == kind,
                col(Notification.created_at) >= datetime.combine(oldest, time(0), UTC),
            )
        ).all()
    )
    missing = [(key, due) for key, due in wanted.items() if key not in sent_keys]
    if not missing:
        return f"0 {what} reminders"
    now = utcnow()
    rows = [
        {
            "user_id": due.user_id,
            "key": key,
            "kind": kind,
            "message": message,
            "params": {},
            "link": endpoint_link("assessment.mine"),
            "patient_id": due.patient_id,
            "created_at": now,
        }
        for key, due in missing
    ]
    try:
        with session.begin_nested():
            session.execute(insert(Notification.__table__), rows)
        sent = len(rows)
    except IntegrityError:  # another process sent some meanwhile: once per (user, key)
        sent = 0
        for row in rows:
            fields = {k: v for k, v in row.items() if k != "created_at"}
            sent += notify(session, **fields, now=now) is not None
    session.flush()
    return f"{sent} {what} reminders"


register_job(JOB_NAME, remind_due_assessments)
