"""Dated history for the indicators, kept up to date by one-line hooks in other domains.

* :func:`record_goal_state` after every change of a goal's status or agreement
  (``izp.goals``), so "the goal's status on d" is a query on ``goal_status_history``.
* :func:`record_activity` when a patient logs in or enters data (P2), apart from the audit log.

Days are calendar days in Europe/Amsterdam, like everywhere else in the app.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.contracting.models import GoalStatusHistory, PatientActivityDay
from zelfzorg.izp.models import Goal, Revision

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACTIVITY_KINDS = ("logged_in", "measurement", "action", "questionnaire", "review_preparation")


def local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(AMSTERDAM).date()


def utc_start(day: date) -> datetime:
    """The first moment of ``day`` in Amsterdam, in UTC."""
    return datetime.combine(day, time.min, AMSTERDAM).astimezone(UTC)


def utc_end(day: date) -> datetime:
    """The first moment after ``day`` in Amsterdam, in UTC (exclusive bound)."""
    return utc_start(day + timedelta(days=1))


def programmes_text(programmes: list[str] | None) -> str:
    return "".join(f"|{p}" for p in sorted(programmes or [])) + "|" if programmes else ""


def goal_state(goal, previous: GoalStatusHistory | None) -> dict:
    """The history columns for ``goal`` now; ``agreed`` stays once reached (DESIGN.md 4)."""
    by_patient = goal.agreed_by_patient_at is not None
    by_professional = goal.agreed_by_professional_at is not None
    both = by_patient and by_professional
    agreed_on = (
        local_day(max(goal.agreed_by_patient_at, goal.agreed_by_professional_at))
        if both
        else (previous.agreed_on if previous else None)
    )
    return {
        "status": str(goal.lifecycle),
        "agreed_by_patient": by_patient,
        "agreed_by_professional": by_professional,
        "agreed": both or bool(previous and previous.agreed),
        "agreed_on": agreed_on,
        "programmes": programmes_text(list(goal.programmes or [])),
    }


def record_goal_state(session: Session, goal, at: datetime) -> None:
    """Close the goal's open history row and open one with its state from ``at``'s day on.
    Several changes on one day: the day keeps the last state."""
    day = local_day(at)
    open_row = session.exec(
        select(GoalStatusHistory)
        .where(GoalStatusHistory.goal_id == goal.id, col(GoalStatusHistory.valid_to).is_(None))
        .order_by(col(GoalStatusHistory.id).desc())
    ).first()
    if open_row is not None and open_row.valid_from >= day:
        # Same day: the earlier state of that day never was the state at its end.
        earlier = session.exec(
            select(GoalStatusHistory)
            .where(GoalStatusHistory.goal_id == goal.id, GoalStatusHistory.valid_to == day)
            .order_by(col(GoalStatusHistory.id).desc())
        ).first()
        for name, value in goal_state(goal, earlier).items():
            setattr(open_row, name, value)
        session.add(open_row)
        session.flush()
        return
    state = goal_state(goal, open_row)
    if open_row is not None:
        if all(getattr(open_row, name) == value for name, value in state.items()):
            return
        open_row.valid_to = day
        session.add(open_row)
    session.add(
        GoalStatusHistory(goal_id=goal.id, patient_id=goal.patient_id, valid_from=day, **state)
    )
    session.flush()


def record_activity(session: Session, patient_id: int | None, kind: str, at: datetime) -> None:
    """Mark that the patient did ``kind`` (see ACTIVITY_KINDS) on ``at``'s day."""
    if patient_id is None:
        return
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind: {kind}")
    day = local_day(at)
    query = select(PatientActivityDay).where(
        PatientActivityDay.patient_id == patient_id, PatientActivityDay.day == day
    )
    row = session.exec(query).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(PatientActivityDay(patient_id=patient_id, day=day, **{kind: True}))
            return
        except IntegrityError:  # another request made the row for this day first
            row = session.exec(query).one()
    if not getattr(row, kind):
        setattr(row, kind, True)
        session.add(row)
        session.flush()


def goal_rows_from_revisions(goal, revisions) -> list[dict]:
    """Day-by-day history rows of one goal from its IZP revisions ((at, changes) oldest
    first); without revisions, one row from the goal as it is. The same rebuild migration
    0009 does (which keeps its own frozen copy)."""
    states: list[tuple[date, dict]] = []
    state: dict = {}
    for at, changes in revisions:
        for change in changes or []:
            state[change["field"]] = change["new"]
        states.append((local_day(at), dict(state)))
    if not states:
        states.append(
            (
                local_day(goal.created_at),
                {
                    "lifecycle": goal.lifecycle,
                    "programmes": goal.programmes,
                    "agreed_by_patient_at": goal.agreed_by_patient_at,
                    "agreed_by_professional_at": goal.agreed_by_professional_at,
                },
            )
        )
    by_day = dict(states)  # the last state of a day wins
    rows: list[dict] = []
    previous: dict | None = None
    for day in sorted(by_day):
        values = by_day[day]
        patient_at = _moment(values.get("agreed_by_patient_at"))
        professional_at = _moment(values.get("agreed_by_professional_at"))
        both = patient_at is not None and professional_at is not None
        row = {
            "goal_id": goal.id,
            "patient_id": goal.patient_id,
            "status": str(values.get("lifecycle") or "proposed"),
            "agreed_by_patient": patient_at is not None,
            "agreed_by_professional": professional_at is not None,
            "agreed": both or bool(previous and previous["agreed"]),
            "agreed_on": local_day(max(patient_at, professional_at))  # type: ignore[type-var]
            if both
            else (previous["agreed_on"] if previous else None),
            "programmes": programmes_text(list(values.get("programmes") or [])),
            "valid_from": day,
            "valid_to": None,
        }
        if previous is not None:
            if all(previous[k] == row[k] for k in row if k not in ("valid_from", "valid_to")):
                continue
            previous["valid_to"] = day
        rows.append(row)
        previous = row
    return rows


def _moment(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def rebuild_goal_history(session: Session, patient_ids) -> int:
    """(Re)build goal_status_history for the goals of ``patient_ids`` from their revisions
    (used by the demo, whose goals are written directly rather than through the services)."""
    ids = list(patient_ids)
    goals = session.exec(select(Goal).where(col(Goal.patient_id).in_(ids))).all()
    revisions: dict[int, list] = {}
    for revision in session.exec(
        select(Revision)
        .where(Revision.object_type == "Goal", col(Revision.patient_id).in_(ids))
        .order_by(col(Revision.at), col(Revision.id))
    ):
        revisions.setdefault(revision.object_id, []).append((revision.at, revision.changes))
    count = 0
    for goal in goals:
        for old in session.exec(
            select(GoalStatusHistory).where(GoalStatusHistory.goal_id == goal.id)
        ):
            session.delete(old)
        for row in goal_rows_from_revisions(goal, revisions.get(goal.id, [])):
            session.add(GoalStatusHistory(**row))
            count += 1
    session.flush()
    return count
