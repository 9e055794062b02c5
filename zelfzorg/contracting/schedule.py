"""Scheduled exports: a caregroup user asks for the report after every month or quarter; a
daily job makes the files after each period end and keeps them for download.

The job claims its day in the database (``notifications.jobs.run_job``), and every file has a
unique (schedule, period, format) key, so a rerun, a restarted scheduler or a second process
makes nothing twice. Access: caregroup users of the schedule's own care group only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import Actor, audit, not_found, require_role
from zelfzorg.audit.models import AuditAction
from zelfzorg.contracting.exports import FORMATS, SYSTEM_SUBJECT, audit_export, export_report
from zelfzorg.contracting.report_data import ReportData
from zelfzorg.contracting.schedule_models import ExportFile, ExportSchedule, Frequency
from zelfzorg.errors import N_, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import register_job

JOB_NAME = "contracting_scheduled_exports"
MAX_CATCH_UP = 12  # periods per schedule and run, should the scheduler have been down long
NOT_FOUND = N_("Deze export bestaat niet of u heeft er geen toegang toe.")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(frequency: Frequency, day: date) -> tuple[date, date]:
    """The calendar month or quarter holding ``day``."""
    months = 1 if frequency == Frequency.monthly else 3
    start = _month_start(day)
    if months == 3:
        start = start.replace(month=(start.month - 1) // 3 * 3 + 1)
    return start, _add_months(start, months) - timedelta(days=1)


def periods_due(frequency: Frequency, starts_on: date, today: date) -> list[tuple[date, date]]:
    """Periods that ended before ``today`` and on or after ``starts_on``, oldest first (at
    most MAX_CATCH_UP, the latest ones)."""
    due = []
    start, end = period_of(frequency, today - timedelta(days=1))
    if end >= today:  # today's own period has not ended yet: step back one
        start, end = period_of(frequency, start - timedelta(days=1))
    while end >= starts_on and len(due) < MAX_CATCH_UP:
        due.append((start, end))
        start, end = period_of(frequency, start - timedelta(days=1))
    return list(reversed(due))


def own_care_group(session: Session, actor: Actor, care_group_id: int | None = None) -> int:
    """The care group a caregroup user exports for (audited as an aggregate read)."""
    from zelfzorg.accounts.scope import care_group_scope

    require_role(actor, Role.caregroup)
    return care_group_scope(
        session, actor, care_group_id, object_type="CareGroupReport"
    ).care_group_id


@dataclass(frozen=True)
class ScheduleInput:
    frequency: str
    formats: list[str]
    lang: str = "nl"
    delimiter: str = ";"


def create_schedule(
    session: Session, actor: Actor, data: ScheduleInput, *, today: date
) -> ExportSchedule:
    care_group_id = own_care_group(session, actor)
    if data.frequency not in {f.value for f in Frequency}:
        raise ValidationError(N_("Kies maandelijks of per kwartaal."), field="frequency")
    formats = [f for f in FORMATS if f in set(data.formats)]
    if not formats or len(formats) != len(set(data.formats)):
        raise ValidationError(N_("Kies een of meer bestandsvormen."), field="formats")
    if data.lang not in ("nl", "en") or data.delimiter not in (",", ";"):
        raise ValidationError(N_("Kies een taal en een scheidingsteken uit de lijst."))
    schedule = ExportSchedule(
        care_group_id=care_group_id,
        frequency=Frequency(data.frequency),
        formats=",".join(formats),
        lang=data.lang,
        delimiter=data.delimiter,
        starts_on=today,
        created_by_id=actor.user_id,
    )
    session.add(schedule)
    session.flush()
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type="ExportSchedule",
        object_id=schedule.id,
        detail=f"{schedule.frequency} {schedule.formats}",
    )
    return schedule


def schedules_of(session: Session, actor: Actor) -> tuple[list[ExportSchedule], list[ExportFile]]:
    """The care group's active schedules and its files (newest first, content not loaded)."""
    care_group_id = own_care_group(session, actor)
    schedules = session.exec(
        select(ExportSchedule)
        .where(ExportSchedule.care_group_id == care_group_id, col(ExportSchedule.active))
        .order_by(col(ExportSchedule.id))
    ).all()
    files = session.exec(
        select(ExportFile)
        .options(defer(ExportFile.content))  # type: ignore[arg-type]
        .where(ExportFile.care_group_id == care_group_id)
        .order_by(col(ExportFile.period_start).desc(), col(ExportFile.id))
        .limit(200)
    ).all()
    return list(schedules), list(files)


def _schedule_for(session: Session, actor: Actor, schedule_id: int) -> ExportSchedule:
    care_group_id = own_care_group(session, actor)
    schedule = session.get(ExportSchedule, schedule_id)
    if schedule is None or schedule.care_group_id != care_group_id or not schedule.active:
        # Another care group's schedule is "not found": its existence is not revealed.
        raise not_found(
            session,
            actor,
            object_type="ExportSchedule",
            object_id=schedule_id,
            message=NOT_FOUND,
            write=True,
        )
    return schedule


def delete_schedule(session: Session, actor: Actor, schedule_id: int) -> None:
    """Stop a schedule; its files stay downloadable."""
    schedule = _schedule_for(session, actor, schedule_id)
    schedule.active = False
    schedule.ended_at = utcnow()
    schedule.ended_by_id = actor.user_id
    session.add(schedule)
    session.flush()
    audit(
        session,
        actor,
        action=AuditAction.delete,
        object_type="ExportSchedule",
        object_id=schedule.id,
    )


def file_for(session: Session, actor: Actor, file_id: int) -> ExportFile:
    """A stored file of the actor's care group, audited as an export."""
    care_group_id = own_care_group(session, actor)
    stored = session.get(ExportFile, file_id)
    if stored is None or stored.care_group_id != care_group_id:
        raise not_found(
            session,
            actor,
            object_type="ExportFile",
            object_id=file_id,
            message=NOT_FOUND,
            action=AuditAction.export,
        )
    audit(
        session,
        actor,
        action=AuditAction.export,
        object_type="ExportFile",
        object_id=stored.id,
        detail=f"{stored.format} {stored.period_start}..{stored.period_end} {stored.fingerprint}",
    )
    return stored


def run_scheduled_exports(session: Session, today: date) -> str:
    """Make every file that is due and not made yet (the job; idempotent)."""
    from zelfzorg.contracting.services import compute_report

    schedules = session.exec(
        select(ExportSchedule).where(col(ExportSchedule.active)).order_by(col(ExportSchedule.id))
    ).all()
    made = 0
    # One report per care group and period for the whole run: several schedules of a care
    # group (monthly and quarterly, another language or delimiter) export the same figures.
    reports: dict[tuple[int, date, date], ReportData] = {}
    for schedule in schedules:
        existing = {
            (start, fmt)
            for start, fmt in session.exec(
                select(ExportFile.period_start, ExportFile.format).where(
                    ExportFile.schedule_id == schedule.id
                )
            ).all()
        }
        for start, end in periods_due(schedule.frequency, schedule.starts_on, today):
            missing = [f for f in schedule.format_list if (start, f) not in existing]
            if not missing:
                continue
            key = (schedule.care_group_id, start, end)
            data = reports.get(key)
            if data is None:
                data = reports[key] = compute_report(
                    session, care_group_id=schedule.care_group_id, start=start, end=end
                )
            for fmt in missing:
                result = export_report(data, fmt, lang=schedule.lang, delimiter=schedule.delimiter)
                stored = ExportFile(
                    schedule_id=schedule.id,  # type: ignore[arg-type]
                    care_group_id=schedule.care_group_id,
                    period_start=start,
                    period_end=end,
                    format=fmt,
                    filename=result.filename,
                    mimetype=result.mimetype,
                    size=len(result.content),
                    fingerprint=data.fingerprint[:100],
                    content=result.content,
                )
                try:
                    with session.begin_nested():
                        session.add(stored)
                except IntegrityError:  # another process stored it in between
                    continue
                audit_export(session, SYSTEM_SUBJECT, data, fmt, detail=f"schedule {schedule.id}")
                made += 1
    session.flush()
    return f"{made} export files"


register_job(JOB_NAME, run_scheduled_exports, hour=5)
