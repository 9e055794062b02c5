"""Trend charts as self-contained SVG (for pages and PDFs), readable over years of data.

``choose_bucket`` picks how to aggregate so a chart keeps under ~200 points; the database does
the bucketing in SQL, ``aggregate`` is the reference implementation of the same grouping.
``render_svg`` draws the points with the target band; it has no scripts and no external
references, and every text that goes in is escaped.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from zelfzorg.telemonitoring.rules import Target
from zelfzorg.telemonitoring.types import format_number
from zelfzorg.texts import Text, is_english

Bucket = Literal["raw", "day", "week", "month"]
#: Above this many points a line chart stops being readable (and an SVG gets heavy).
MAX_POINTS = 200
#: Times are stored in UTC and shown in Dutch time.
DISPLAY_TIMEZONE = "Europe/Amsterdam"

MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
TEXTS = {
    "empty": Text(nl="Nog geen metingen in deze periode.", en="No readings in this period yet."),
    "target": Text(nl="Streefwaarde: {target}", en="Target: {target}"),
    "summary": Text(
        nl="{count} metingen van {start} tot {end}. Laatste waarde: {last}.",
        en="{count} readings from {start} to {end}. Latest value: {last}.",
    ),
    "week_of": Text(nl="week van {date}", en="week of {date}"),
    "gaps": Text(
        nl="De lijn is onderbroken waar geen metingen zijn.",
        en="The line is broken where there are no readings.",
    ),
    "aggregated": Text(
        nl="{when}: gemiddeld {value} ({n} metingen, {low} tot {high})",
        en="{when}: average {value} ({n} readings, {low} to {high})",
    ),
}

# Layout in SVG units: room for y labels on the left, date labels below, a legend on top.
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 16, 32, 40
_COLOR_LINE, _COLOR_TARGET, _COLOR_AXIS, _COLOR_GRID, _COLOR_TEXT = (
    "#1f5f99",
    "#2e7d32",
    "#555555",
    "#dddddd",
    "#333333",
)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
# Characters XML 1.0 forbids even escaped: dropped so user text can never break the document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Point:
    """A plotted point: one reading (n=1) or the mean of n readings with their min and max."""

    t: datetime
    value: float
    min: float | None = None
    max: float | None = None
    n: int = 1

    @property
    def is_aggregated(self) -> bool:
        return self.n > 1 and self.min is not None and self.max is not None


# --- bucketing -------------------------------------------------------------------------------


def choose_bucket(
    start: datetime, end: datetime, n_points: int, *, max_points: int = MAX_POINTS
) -> Bucket:
    """The finest bucket that keeps the chart under ``max_points`` points.

    Raw readings while there are few enough; else per day, week or month, whichever is the
    first to give at most ``max_points`` buckets over ``[start, end]``.
    """
    if end < start:
        raise ValueError("end lies before start")
    if n_points <= max_points:
        return "raw"
    days = (end - start).total_seconds() / 86400
    # +1: a span of 7 days touches 8 calendar days; +2 for weeks cut at both ends.
    if math.floor(days) + 1 <= max_points:
        return "day"
    if math.floor(days / 7) + 2 <= max_points:
        return "week"
    return "month"


def bucket_start(t: datetime, bucket: Bucket) -> datetime:
    """Midnight at the start of the day, ISO week (Monday) or month that holds ``t``."""
    day = t.date()
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    elif bucket == "month":
        day = day.replace(day=1)
    elif bucket != "day":
        raise ValueError(f"{bucket!r} is not an aggregating bucket")
    return datetime(day.year, day.month, day.day, tzinfo=t.tzinfo)


def aggregate(points: Iterable[Point], bucket: Bucket, *, tz: tzinfo | None = None) -> list[Point]:
    """Group points per bucket: mean (weighted by n), min, max and count, in time order.

    Aware times are converted to ``tz`` first when given, so days follow the clock of that
    zone; the point of a bucket is at its start (``bucket_start``). ``raw`` only sorts.
    """
    items = sorted(points, key=lambda p: p.t)
    if bucket == "raw":
        return items
    groups: dict[datetime, list[Point]] = {}
    for point in items:
        t = point.t.astimezone(tz) if tz is not None and point.t.tzinfo is not None else point.t
        groups.setdefault(bucket_start(t, bucket), []).append(point)
    result = []
    for start, members in groups.items():
        n = sum(p.n for p in members)
        result.append(
            Point(
                t=start,
                value=sum(p.value * p.n for p in members) / n,
                min=min(p.min if p.min is not None else p.value for p in members),
                max=max(p.max if p.max is not None else p.value for p in members),
                n=n,
            )
        )
    return result


# --- rendering -------------------------------------------------------------------------------


def render_svg(
    series: Sequence[Point],
    *,
    title: str,
    description: str,
    unit: str,
    target: Target | None = None,
    width: int = 640,
    height: int = 320,
    lang: str = "nl",
    decimals: int = 1,
    bucket: Bucket = "raw",
    empty_text: str | None = None,
    tz: tzinfo | None = None,
    chart_id: str | None = None,
    font_size: int = 12,
    max_time_ticks: int = 9,
) -> str:
    """A self-contained ``<svg role="img">`` with ``<title>`` and ``<desc>`` for screen readers.

    ``unit`` and ``decimals`` are the display unit and decimals of the type; ``bucket`` says
    what the points are (for their labels); ``tz`` is the zone for dates (Dutch time).
    A narrow chart for a phone takes a larger ``font_size`` and fewer ``max_time_ticks``.
    The line is broken where readings are missing (see ``segments``).
    """
    if width < 200 or height < 120:
        raise ValueError("a chart needs at least 200 x 120 units")
    if chart_id is not None and not _ID.match(chart_id):
        raise ValueError(f"chart_id {chart_id!r} is not a safe XML id")
    lang = "en" if is_english(lang) else "nl"
    points = [p for p in series if math.isfinite(p.value)]
    chart_id = chart_id or _default_id(title, description, points)
    zone = tz or ZoneInfo(DISPLAY_TIMEZONE)
    canvas = _Canvas(points, target, width, height, zone)
    runs = segments(points, bucket, zone)

    summary = (
        _summary(points, unit, decimals, bucket, lang, zone)
        if points
        else empty_text or TEXTS["empty"].get(lang)
    )
    if target is not None:
        summary += " " + TEXTS["target"].get(lang).format(target=target.text(lang)) + "."
    if len(runs) > 1:
        summary += " " + TEXTS["gaps"].get(lang)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="sans-serif" font-size="{font_size}" fill="{_COLOR_TEXT}">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(_join(description, summary))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if not points:
        parts.append(
            f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" '
            f'class="empty">{_text(empty_text or TEXTS["empty"].get(lang))}</text>'
        )
        parts.append("</svg>")
        return "\n".join(parts)

    if target is not None:
        parts += _target_band(canvas, target, lang, width)
    parts += _y_axis(canvas, unit, lang)
    parts += _x_axis(canvas, lang, max_time_ticks, font_size)
    parts += _data(canvas, points, runs, unit, decimals, bucket, lang, zone)
    parts.append("</svg>")
    return "\n".join(parts)


class _Canvas:
    """Maps times and values to SVG coordinates inside the margins."""

    def __init__(
        self,
        points: Sequence[Point],
        target: Target | None,
        width: int,
        height: int,
        zone: tzinfo,
    ) -> None:
        self.left, self.right = _MARGIN_LEFT, width - _MARGIN_RIGHT
        self.top, self.bottom = _MARGIN_TOP, height - _MARGIN_BOTTOM
        self.zone = zone
        if not points:
            return
        times = [p.t for p in points]
        self.t0, self.t1 = min(times), max(times)
        if self.t0 == self.t1:  # one moment: show the day around it
            self.t0, self.t1 = self.t0 - timedelta(hours=12), self.t1 + timedelta(hours=12)
        pad = (self.t1 - self.t0) * 0.02  # keeps the first and last point off the axes
        self.t0, self.t1 = self.t0 - pad, self.t1 + pad

        values = [v for p in points for v in (p.value, p.min, p.max) if v is not None]
        if target is not None:  # the band must be visible even when every value is far off
            values += [v for v in (target.low, target.high) if v is not None]
        self.ticks, self.tick_decimals = _value_ticks(min(values), max(values))
        self.v0, self.v1 = self.ticks[0], self.ticks[-1]

    def x(self, t: datetime) -> float:
        span = (self.t1 - self.t0).total_seconds()
        return self.left + (t - self.t0).total_seconds() / span * (self.right - self.left)

    def y(self, value: float) -> float:
        clamped = min(max(value, self.v0), self.v1)
        share = (clamped - self.v0) / (self.v1 - self.v0)
        return self.bottom - share * (self.bottom - self.top)


def _target_band(canvas: _Canvas, target: Target, lang: str, width: int) -> list[str]:
    low = target.low if target.low is not None else canvas.v0
    high = target.high if target.high is not None else canvas.v1
    y_top, y_bottom = canvas.y(high), canvas.y(low)
    label = TEXTS["target"].get(lang).format(target=target.text(lang))
    return [
        f'<rect class="target-band" x="{canvas.left}" y="{y_top:.1f}" '
        f'width="{canvas.right - canvas.left}" height="{y_bottom - y_top:.1f}" '
        f'fill="{_COLOR_TARGET}" fill-opacity="0.15"/>',
        f'<rect class="target-swatch" x="{width - _MARGIN_RIGHT - 12}" y="8" width="12" '
        f'height="12" fill="{_COLOR_TARGET}" fill-opacity="0.3"/>',
        f'<text class="legend" x="{width - _MARGIN_RIGHT - 18}" y="18" '
        f'text-anchor="end">{_text(label)}</text>',
    ]


def _y_axis(canvas: _Canvas, unit: str, lang: str) -> list[str]:
    parts = [
        f'<text class="unit" x="{canvas.left - 8}" y="18" text-anchor="end">{_text(unit)}</text>'
    ]
    for tick in canvas.ticks:
        y = canvas.y(tick)
        parts.append(
            f'<line x1="{canvas.left}" y1="{y:.1f}" x2="{canvas.right}" y2="{y:.1f}" '
            f'stroke="{_COLOR_GRID}" stroke-width="1"/>'
        )
        label = format_number(tick, canvas.tick_decimals, lang)
        parts.append(
            f'<text x="{canvas.left - 8}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    parts.append(
        f'<line x1="{canvas.left}" y1="{canvas.top}" x2="{canvas.left}" y2="{canvas.bottom}" '
        f'stroke="{_COLOR_AXIS}" stroke-width="1"/>'
    )
    return parts


def _x_axis(canvas: _Canvas, lang: str, max_ticks: int, font_size: int) -> list[str]:
    parts = [
        f'<line x1="{canvas.left}" y1="{canvas.bottom}" x2="{canvas.right}" '
        f'y2="{canvas.bottom}" stroke="{_COLOR_AXIS}" stroke-width="1"/>'
    ]
    ticks = time_ticks(canvas.t0, canvas.t1, lang, tz=canvas.zone)
    if len(ticks) > max_ticks:  # a narrow chart: every second (third...) tick
        ticks = ticks[:: math.ceil(len(ticks) / max_ticks)]
    for tick, label in ticks:
        x = canvas.x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{canvas.bottom}" x2="{x:.1f}" y2="{canvas.bottom + 5}" '
            f'stroke="{_COLOR_AXIS}" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{canvas.bottom + 6 + font_size}" '
            f'text-anchor="middle">{_text(label)}</text>'
        )
    return parts


def _data(
    canvas: _Canvas,
    points: Sequence[Point],
    runs: list[list[Point]],
    unit: str,
    decimals: int,
    bucket: Bucket,
    lang: str,
    zone: tzinfo,
) -> list[str]:
    parts = []
    for p in points:
        if p.is_aggregated and p.min != p.max:
            x = canvas.x(p.t)
            parts.append(
                f'<line class="range" x1="{x:.1f}" y1="{canvas.y(p.min or 0):.1f}" '
                f'x2="{x:.1f}" y2="{canvas.y(p.max or 0):.1f}" stroke="{_COLOR_LINE}" '
                f'stroke-opacity="0.45" stroke-width="2"/>'
            )
    for run in runs:  # one line per run of readings without a gap; a lone point is a dot
        if len(run) < 2:
            continue
        coordinates = " ".join(f"{canvas.x(p.t):.1f},{canvas.y(p.value):.1f}" for p in run)
        parts.append(
            f'<polyline class="line" points="{coordinates}" fill="none" '
            f'stroke="{_COLOR_LINE}" stroke-width="1.5"/>'
        )
    radius = 3 if len(points) <= 100 else 2
    for p in points:
        label = _point_label(p, unit, decimals, bucket, lang, zone)
        parts.append(
            f'<circle class="point" cx="{canvas.x(p.t):.1f}" cy="{canvas.y(p.value):.1f}" '
            f'r="{radius}" fill="{_COLOR_LINE}"><title>{_text(label)}</title></circle>'
        )
    return parts


# --- gaps -----------------------------------------------------------------------------------


def _next_bucket(start: datetime, bucket: Bucket) -> date:
    day = start.date()
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(weeks=1)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _raw_gap(points: Sequence[Point]) -> timedelta:
    """How long without readings counts as a gap in a chart of single readings: more than a
    day, a week or a month (for charts of up to 16 days, 4 months, longer), and never less
    than three times the usual time between readings (so readings taken every three months
    still make a line)."""
    span = points[-1].t - points[0].t
    base = (
        timedelta(days=2)
        if span <= timedelta(days=16)
        else timedelta(days=8)
        if span <= timedelta(days=120)
        else timedelta(days=32)
    )
    steps = sorted(b.t - a.t for a, b in zip(points, points[1:], strict=False))
    usual = steps[len(steps) // 2] if steps else timedelta(0)
    return max(base, usual * 3)


def segments(
    points: Sequence[Point], bucket: Bucket, tz: tzinfo | None = None
) -> list[list[Point]]:
    """The points in runs to draw as one line each: a new run starts after a gap. For days,
    weeks and months a gap is a missing bucket (a month without readings); for single
    readings it is a long time without any (``_raw_gap``)."""
    items = sorted(points, key=lambda p: p.t)
    if not items:
        return []
    runs: list[list[Point]] = [[items[0]]]
    gap = _raw_gap(items) if bucket == "raw" else None
    for previous, point in zip(items, items[1:], strict=False):
        if gap is not None:
            broken = point.t - previous.t > gap
        else:
            expected = _next_bucket(_local(previous.t, tz) if tz else previous.t, bucket)
            broken = (_local(point.t, tz) if tz else point.t).date() > expected
        if broken:
            runs.append([point])
        else:
            runs[-1].append(point)
    return runs


# --- ticks and labels ------------------------------------------------------------------------


def _value_ticks(low: float, high: float) -> tuple[list[float], int]:
    """About five round ticks (steps of 1, 2, 2.5 or 5 x 10^k) covering [low, high]."""
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    # A little room so the lowest and highest points do not sit on the frame.
    margin = (high - low) * 0.02
    low, high = low - margin, high + margin
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude * (1 + 1e-9))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1
    return [i * step for i in range(first, last + 1)], decimals


def _local(t: datetime, zone: tzinfo) -> datetime:
    return t.astimezone(zone) if t.tzinfo is not None else t


def format_day(d: date, lang: str, *, year: bool = True) -> str:
    """ "3 mrt 2024" / "3 Mar 2024"."""
    month = MONTHS["en" if is_english(lang) else "nl"][d.month - 1]
    return f"{d.day} {month} {d.year}" if year else f"{d.day} {month}"


def time_ticks(
    start: datetime, end: datetime, lang: str = "nl", *, tz: tzinfo | None = None
) -> list[tuple[datetime, str]]:
    """Readable date ticks between start and end, at most about nine.

    Days for up to two weeks, Mondays up to four months, months up to three years, then
    years. Labels use Dutch month abbreviations ("3 mrt", "mrt 2024") unless lang is English.
    """
    zone = tz or ZoneInfo(DISPLAY_TIMEZONE)
    a, b = _local(start, zone), _local(end, zone)
    days = (b - a).total_seconds() / 86400
    months = MONTHS["en" if is_english(lang) else "nl"]

    def at(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=a.tzinfo)

    first_day = a.date() if at(a.date()) >= a else a.date() + timedelta(days=1)
    ticks: list[tuple[datetime, str]] = []
    if days <= 16:
        step = 1 if days <= 8 else 2
        d = first_day
        while at(d) <= b:
            ticks.append((at(d), format_day(d, lang, year=False)))
            d += timedelta(days=step)
    elif days <= 120:
        step = 1 if days <= 63 else 2
        d = first_day + timedelta(days=(7 - first_day.weekday()) % 7)
        while at(d) <= b:
            ticks.append((at(d), format_day(d, lang, year=False)))
            d += timedelta(weeks=step)
    elif days <= 3 * 366:
        step = next(s for s in (1, 2, 3, 6) if days / 30.4 / s <= 9)
        index = first_day.year * 12 + first_day.month - 1
        if first_day.day != 1:
            index += 1
        index += -index % step  # align on months divisible by the step (jan, apr, jul, oct)
        while at(d := date(index // 12, index % 12 + 1, 1)) <= b:
            show_year = not ticks or d.month == 1
            label = f"{months[d.month - 1]} {d.year}" if show_year else months[d.month - 1]
            ticks.append((at(d), label))
            index += step
    else:
        step = next(s for s in (1, 2, 5, 10, 20, 50) if days / 365.25 / s <= 9)
        year = first_day.year if first_day == date(first_day.year, 1, 1) else first_day.year + 1
        year += -year % step
        while at(date(year, 1, 1)) <= b:
            ticks.append((at(date(year, 1, 1)), str(year)))
            year += step
    return ticks


def _when(t: datetime, bucket: Bucket, lang: str, zone: tzinfo) -> str:
    local = _local(t, zone)
    if bucket == "month":
        return f"{MONTHS['en' if is_english(lang) else 'nl'][local.month - 1]} {local.year}"
    if bucket == "week":
        return TEXTS["week_of"].get(lang).format(date=format_day(local.date(), lang))
    if bucket == "day":
        return format_day(local.date(), lang)
    return f"{format_day(local.date(), lang)} {local:%H:%M}"


def _point_label(
    p: Point, unit: str, decimals: int, bucket: Bucket, lang: str, zone: tzinfo
) -> str:
    when = _when(p.t, bucket, lang, zone)
    value = f"{format_number(p.value, decimals, lang)} {unit}".strip()
    if not p.is_aggregated:
        return f"{when}: {value}"
    return (
        TEXTS["aggregated"]
        .get(lang)
        .format(
            when=when,
            value=value,
            n=p.n,
            low=format_number(p.min or 0, decimals, lang),
            high=format_number(p.max or 0, decimals, lang),
        )
    )


def _summary(
    points: Sequence[Point], unit: str, decimals: int, bucket: Bucket, lang: str, zone: tzinfo
) -> str:
    first, last = min(points, key=lambda p: p.t), max(points, key=lambda p: p.t)
    return (
        TEXTS["summary"]
        .get(lang)
        .format(
            count=sum(p.n for p in points),
            start=format_day(_local(first.t, zone).date(), lang),
            end=format_day(_local(last.t, zone).date(), lang),
            last=f"{format_number(last.value, decimals, lang)} {unit}".strip(),
        )
    )


def _join(*texts: str) -> str:
    return " ".join(t.strip() for t in texts if t and t.strip())


def _text(value: str) -> str:
    """Escape text for an XML text node (and drop characters XML cannot hold)."""
    return escape(_NOT_XML.sub("", value))


def _default_id(title: str, description: str, points: Sequence[Point]) -> str:
    # Stable for the same chart, different for different charts on one page.
    seed = f"{title}\x1f{description}\x1f{len(points)}\x1f{points[0].t if points else ''}"
    return "chart-" + hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:10]
