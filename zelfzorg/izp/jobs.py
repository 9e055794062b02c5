"""Daily job: remind patients a week ahead that a goal will be reviewed (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.errors import N_
from zelfzorg.izp.models import Goal
from zelfzorg.notifications.jobs import register_job
from zelfzorg.notifications.services import endpoint_link, notify

REMIND_DAYS_AHEAD = 7
REMINDER = N_(
    'Over een week bespreekt u uw doel "%(title)s" met uw zorgverlener (op %(date)s). '
    "Bereid het gesprek voor in Mijn plan: hoe gaat het, wat hielp, wat was moeilijk?"
)


def review_reminders(session: Session, today: date) -> str:
    """Notify each patient (with an account) of goals reviewed within the coming week.

    The key holds the goal and its review date, so a rerun, a second process or a goal whose
    date did not change never reminds twice; a new review date reminds again.
    """
    rows = session.exec(
        select(Goal, User.id)
        .join(User, (col(User.patient_id) == Goal.patient_id) & (User.role == Role.patient))
        .where(col(User.is_active).is_(True))
        .where(col(Goal.lifecycle).in_(["active", "on-hold"]))
        .where(col(Goal.review_date) >= today)
        .where(col(Goal.review_date) <= today + timedelta(days=REMIND_DAYS_AHEAD))
        .order_by(Goal.id)
    ).all()
    sent = 0
    for goal, user_id in rows:
        note = notify(
            session,
            user_id=user_id,
            key=f"izp-review:{goal.id}:{goal.review_date.isoformat()}",  # type: ignore[union-attr]
            kind="izp_review_due",
            message=REMINDER,
            params={"title": goal.title, "date": goal.review_date.strftime("%d-%m-%Y")},  # type: ignore[union-attr]
            link=endpoint_link("izp.prepare_review", goal_id=goal.id),
            patient_id=goal.patient_id,
        )
        sent += note is not None
    session.flush()
    return f"{sent} reminders"


register_job("izp_review_reminders", review_reminders, hour=7)
