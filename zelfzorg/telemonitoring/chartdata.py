"""Chart series from the database: the bucket from ``charts.choose_bucket`` and the
aggregation per day, ISO week or month in Dutch time done in SQL (one query).

PostgreSQL: ``date_trunc(bucket, measured_at AT TIME ZONE 'Europe/Amsterdam')``.
SQLite has no time-zone database: the UTC offset of Europe/Amsterdam is computed in Python for
the requested period (a short CASE over the few DST changes in it) and applied with
``datetime(measured_at, '+N seconds')``; then ``strftime`` groups. Both give the same buckets
as the reference ``charts.aggregate(points, bucket, tz=Europe/Amsterdam)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from zelfzorg.telemonitoring.charts import Bucket, Point, choose_bucket, render_svg
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.targets import effective_target
from zelfzorg.telemonitoring.types import get_type

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_SQLITE_FMT = "%Y-%m-%d %H:%M:%S"
#: The phone layout of a chart: about the width of a 360 px screen, so its text is not
#: scaled down.
PHONE_WIDTH, PHONE_HEIGHT = 340, 260


def _current(patient_id: int, type_code: str, start: datetime, end: datetime):
    return (
        col(Measurement.patient_id) == patient_id,
        col(Measurement.type_code) == type_code,
        col(Measurement.superseded_at).is_(None),
        col(Measurement.value).is_not(None),
        col(Measurement.measured_at) >= start,
        col(Measurement.measured_at) <= end,
    )


def offset_changes(start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(UTC moment, offset in seconds from then on) for Amsterdam over [start, end]:
    the first entry is the offset at ``start``; then one per DST change (found per hour)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)

    def offset(t: datetime) -> int:
        return int(t.astimezone(AMSTERDAM).utcoffset().total_seconds())  # type: ignore[union-attr]

    changes = [(start, offset(start))]
    # DST changes happen on the hour in UTC; scan days, then the hours of a changing day.
    day = start.replace(minute=0, second=0, microsecond=0)
    while day <= end:
        nxt = day + timedelta(days=1)
        if offset(nxt) != changes[-1][1]:
            t = day
            while offset(t) == changes[-1][1]:
                t += timedelta(hours=1)
            changes.append((t, offset(t)))
        day = nxt
    return changes


def _sqlite_local(changes: list[tuple[datetime, int]]):
    """SQL text for measured_at shifted to Amsterdam wall-clock time (SQLite)."""
    when = " ".join(
        f"WHEN measured_at < '{t.strftime(_SQLITE_FMT)}' THEN '{prev:+d} seconds'"
        for (t, _), (_, prev) in zip(changes[1:], changes[:-1], strict=True)
    )
    modifier = (
        f"CASE {when} ELSE '{changes[-1][1]:+d} seconds' END"
        if when
        else f"'{changes[-1][1]:+d} seconds'"
    )
    return f"datetime(measured_at, {modifier})"


def _bucket_key(dialect: str, bucket: Bucket, start: datetime, end: datetime):
    if dialect == "postgresql":
        local = sa.text("measured_at AT TIME ZONE 'Europe/Amsterdam'")
        # The bucket name is one of three literals (never user text): inline it.
        return func.date_trunc(sa.literal_column(f"'{bucket}'"), sa.literal_column(local.text))
    local = _sqlite_local(offset_changes(start, end))
    if bucket == "day":
        expr = f"date({local})"
    elif bucket == "week":
        # Monday of the ISO week: %w is 0 on Sunday.
        expr = (
            f"date({local}, '-' || ((CAST(strftime('%w', {local}) AS INTEGER) + 6) % 7) || ' days')"
        )
    else:
        expr = f"strftime('%Y-%m-01', {local})"
    return sa.literal_column(expr)


def _as_local_midnight(value) -> datetime:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return datetime(value.year, value.month, value.day, tzinfo=AMSTERDAM)


def aggregate_sql(
    session: Session,
    patient_id: int,
    type_code: str,
    start: datetime,
    end: datetime,
    bucket: Bucket,
) -> list[Point]:
    """Mean, min, max and count per bucket in SQL, in time order."""
    if bucket == "raw":
        rows = session.exec(
            select(Measurement.measured_at, Measurement.value)
            .where(*_current(patient_id, type_code, start, end))
            .order_by(col(Measurement.measured_at), col(Measurement.id))
        ).all()
        return [Point(t=t, value=v) for t, v in rows]
    dialect = session.get_bind().dialect.name
    key = _bucket_key(dialect, bucket, start, end).label("bucket")
    stmt = (
        sa.select(
            key,
            func.avg(Measurement.value),
            func.min(Measurement.value),
            func.max(Measurement.value),
            func.count(),
        )
        .where(*_current(patient_id, type_code, start, end))
        .group_by(sa.literal_column("bucket"))
        .order_by(sa.literal_column("bucket"))
    )
    return [
        Point(t=_as_local_midnight(k), value=float(avg), min=lo, max=hi, n=int(n))
        for k, avg, lo, hi, n in session.execute(stmt).all()
    ]


def series(
    session: Session, patient_id: int, type_code: str, start: datetime, end: datetime
) -> tuple[Bucket, list[Point]]:
    """The points to draw for [start, end]: raw readings when few, else buckets."""
    count = session.exec(
        select(func.count())
        .select_from(Measurement)
        .where(*_current(patient_id, type_code, start, end))
    ).one()
    bucket = choose_bucket(start, end, count)
    return bucket, aggregate_sql(session, patient_id, type_code, start, end, bucket)


def chart_svg(
    session: Session,
    patient_id: int,
    type_code: str,
    start: datetime,
    end: datetime,
    lang: str = "nl",
    *,
    points: tuple[Bucket, list[Point]] | None = None,
    width: int = 640,
    height: int = 320,
    compact: bool = False,
) -> str:
    """The SVG trend chart with the target band. The caller has authorised and audited
    access to the patient (the chart pages do it; the care-plan PDF does it for the plan).
    ``compact``: the phone layout (narrow, larger text, fewer dates on the axis)."""
    mtype = get_type(type_code)
    bucket, data = points or series(session, patient_id, type_code, start, end)
    target = effective_target(session, patient_id, type_code)
    return render_svg(
        data,
        title=mtype.label(lang),
        description=(
            f"Trend of {mtype.label(lang)}."
            if lang.startswith("en")
            else f"Verloop van {mtype.label(lang).lower()}."
        ),
        unit=mtype.unit_label(lang),
        target=target,
        lang=lang,
        decimals=mtype.decimals,
        bucket=bucket,
        tz=AMSTERDAM,
        chart_id=f"chart-{type_code.replace('_', '-')}" + ("-compact" if compact else ""),
        width=PHONE_WIDTH if compact else width,
        height=PHONE_HEIGHT if compact else height,
        font_size=14 if compact else 12,
        max_time_ticks=4 if compact else 9,
    )
