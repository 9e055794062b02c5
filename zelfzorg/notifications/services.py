"""In-app notifications and run claims for idempotent jobs."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from zelfzorg.models_base import utcnow
from zelfzorg.notifications.models import JobRun, Notification

#: A stored link of the form ``endpoint:<endpoint>?<args>``: the web layer builds the URL, so
#: services (which know no Flask) never hard-code paths and the app may move its routes.
ENDPOINT_LINK = "endpoint:"


def endpoint_link(endpoint: str, **values: str | int) -> str:
    query = urlencode(sorted(values.items()))
    return f"{ENDPOINT_LINK}{endpoint}" + (f"?{query}" if query else "")


def notify(
    session: Session,
    *,
    user_id: int,
    key: str,
    kind: str,
    message: str,
    params: dict | None = None,
    link: str | None = None,
    patient_id: int | None = None,
    now: datetime | None = None,
) -> Notification | None:
    """Create a notification once per (user, key); returns None when it already existed."""
    exists = session.exec(
        select(Notification.id).where(Notification.user_id == user_id, Notification.key == key)
    ).first()
    if exists:
        return None
    note = Notification(
        user_id=user_id,
        key=key,
        kind=kind,
        message=message,
        params=params or {},
        link=link,
        patient_id=patient_id,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:  # another process created the same one in between
        return None
    return note


def unread_count(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    ).one()


def list_for_user(session: Session, user_id: int, *, limit: int = 50) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .limit(limit)
        ).all()
    )


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    query = select(Notification).where(
        Notification.user_id == user_id, col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    notes = session.exec(query).all()
    now = utcnow()
    for note in notes:
        note.read_at = now
        session.add(note)
    session.flush()
    return len(notes)


def claim_run(session: Session, *, job: str, run_key: str, worker: str) -> JobRun | None:
    """Claim one run of a job; None when another process (or an earlier run) claimed it."""
    run = JobRun(job=job, run_key=run_key, claimed_by=worker[:100])
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run


def finish_run(session: Session, run: JobRun, result: str = "") -> None:
    run.finished_at = utcnow()
    run.result = result[:500]
    session.add(run)
    session.flush()
