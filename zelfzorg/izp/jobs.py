"""Daily job: remind patients a week ahead that a goal will be reviewed (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from babel.dates import format_date
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.errors import N_
from zelfzorg.izp.models import Goal
from zelfzorg.izp.pdca import is_closed
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import register_job
from zelfzorg.notifications.models import Notification
from zelfzorg.notifications.services import endpoint_link, notify
from zelfzorg.texts import format_locale

REMIND_DAYS_AHEAD = 7
KIND = "izp_review_due"
MOVED = N_(
    'Het gesprek over uw doel "%(title)s" is verplaatst naar %(date)s. '
    "U krijgt een week van tevoren weer een herinnering."
)
REVIEWED = N_(
    'Uw doel "%(title)s" is besproken. Het volgende gesprek is op %(date)s. '
    "U krijgt een week van tevoren weer een herinnering."
)
CLOSED = N_('Uw doel "%(title)s" is afgerond of gestopt. Er is geen gesprek meer over gepland.')
UNPLANNED = N_(
    'Het gesprek over uw doel "%(title)s" gaat niet door op de eerder genoemde datum. '
    "Uw zorgverlener spreekt een nieuwe datum met u af."
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


def date_param(day: date) -> dict[str, str]:
    """The date as each language writes it (Babel), stored with the notification."""
    return {
        "nl": format_date(day, "long", locale=format_locale("nl")),
        "en": format_date(day, "long", locale=format_locale("en")),
    }


def update_review_reminders(session: Session, goal: Goal, *, reviewed: bool = False) -> int:
    """The review of ``goal`` was moved, held (``reviewed``) or will not happen (goal closed):
    every reminder sent for another date, or for the review just held, is rewritten to say
    what is planned now, so no reminder names a stale date. A moved review shows as new again.
    The job reminds again a week before the new date (its key holds the date)."""
    closed = is_closed(goal.lifecycle)
    current = (
        None
        if goal.review_date is None or closed or reviewed
        else reminder_key(goal.id, goal.review_date)  # type: ignore[arg-type]
    )
    stale = session.exec(
        select(Notification).where(
            Notification.kind == KIND,
            col(Notification.key).startswith(f"izp-review:{goal.id}:"),
        )
    ).all()
    changed = 0
    for note in stale:
        if note.key == current:
            continue
        if closed:
            message, params = CLOSED, {"title": goal.title}
        elif goal.review_date is None:
            message, params = UNPLANNED, {"title": goal.title}
        else:
            message = REVIEWED if reviewed else MOVED
            params = {"title": goal.title, "date": date_param(goal.review_date)}
        if note.message == message and note.params == params:
            continue
        # Its date's key is freed: a review planned on that date again reminds again.
        note.key = f"izp-review:{goal.id}:rewritten:{note.id}"
        note.message, note.params = message, params
        if message == MOVED:
            note.read_at = None
        session.add(note)
        changed += 1
    session.flush()
    return changed


register_job("izp_review_reminders", review_reminders, hour=7)
