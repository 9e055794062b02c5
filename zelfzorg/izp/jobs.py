"""Daily job: remind patients a week ahead that a goal will be reviewed (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.errors import N_
from zelfzorg.izp.models import Goal
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import register_job
from zelfzorg.notifications.models import Notification
from zelfzorg.notifications.services import endpoint_link, notify

REMIND_DAYS_AHEAD = 7
KIND = "izp_review_due"
MOVED = N_(
    'Het gesprek over uw doel "%(title)s" is verplaatst naar %(date)s. '
    "U krijgt een week van tevoren weer een herinnering."
)
REMINDER = N_(
    'Over een week bespreekt u uw doel "%(title)s" met uw zorgverlener (op %(date)s). '
    "Bereid het gesprek voor in Mijn plan: hoe gaat het, wat hielp, wat was moeilijk?"
)


def review_reminders(session: Session, today: date) -> str:
    """Notify each patient (with an account) of goals reviewed within the coming week.

    The key holds the goal and its review date, so a rerun, a second process or a goal whose
    date did not change never reminds twice; a new review date reminds again. Set-based: one
    query for the goals whose reminder is missing (the key is built in SQL and looked up in
    the notification's (user, key) index), one insert of them; a rerun that sends nothing is
    that one query.
    """
    key = _reminder_key_sql(session)
    already = (
        select(Notification.id)
        .where(col(Notification.user_id) == User.id, col(Notification.key) == key)
        .exists()
    )
    rows = session.exec(
        select(Goal.id, Goal.patient_id, Goal.title, Goal.review_date, User.id)
        .join(User, (col(User.patient_id) == Goal.patient_id) & (User.role == Role.patient))
        .where(col(User.is_active).is_(True))
        .where(col(Goal.lifecycle).in_(["active", "on-hold"]))
        .where(col(Goal.review_date) >= today)
        .where(col(Goal.review_date) <= today + timedelta(days=REMIND_DAYS_AHEAD))
        .where(~already)
        .order_by(Goal.id)
    ).all()
    if not rows:
        return "0 reminders"
    now = utcnow()
    notes = [
        {
            "user_id": user_id,
            "key": reminder_key(goal_id, review_date),
            "kind": KIND,
            "message": REMINDER,
            "params": {"title": title, "date": date_param(review_date)},
            "link": endpoint_link("izp.prepare_review", goal_id=goal_id),
            "patient_id": patient_id,
            "created_at": now,
        }
        for goal_id, patient_id, title, review_date, user_id in rows
    ]
    try:
        with session.begin_nested():
            session.execute(insert(Notification.__table__), notes)
        sent = len(notes)
    except IntegrityError:  # another process sent some meanwhile: once per (user, key)
        sent = 0
        for note in notes:
            fields = {k: v for k, v in note.items() if k != "created_at"}
            sent += notify(session, **fields, now=now) is not None
    session.flush()
    return f"{sent} reminders"


def _reminder_key_sql(session: Session):
    """``reminder_key`` as an SQL expression over Goal (ISO date on both databases)."""
    if session.get_bind().dialect.name == "postgresql":
        day = sa.func.to_char(Goal.review_date, "YYYY-MM-DD")
    else:
        day = sa.func.strftime("%Y-%m-%d", Goal.review_date)
    return sa.literal("izp-review:") + sa.cast(Goal.id, sa.String) + sa.literal(":") + day


def reminder_key(goal_id: int, review_date: date) -> str:
    return f"izp-review:{goal_id}:{review_date.isoformat()}"


def date_param(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def move_review_reminders(session: Session, goal: Goal) -> int:
    """The review of ``goal`` was moved: a reminder sent for the old date now says the new
    date (and is shown as new again), so the patient never prepares for the wrong day. The
    job reminds again a week before the new date (its key holds the date)."""
    if goal.review_date is None:
        return 0
    current = reminder_key(goal.id, goal.review_date)  # type: ignore[arg-type]
    stale = session.exec(
        select(Notification).where(
            Notification.kind == KIND,
            col(Notification.key).startswith(f"izp-review:{goal.id}:"),
            Notification.key != current,
        )
    ).all()
    for note in stale:
        note.message = MOVED
        note.params = {"title": goal.title, "date": date_param(goal.review_date)}
        note.read_at = None
        session.add(note)
    session.flush()
    return len(stale)


register_job("izp_review_reminders", review_reminders, hour=7)
