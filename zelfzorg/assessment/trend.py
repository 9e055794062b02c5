"""A patient's scores over time, per instrument: rows with the change since the previous score
and a small self-contained SVG with the level bands (no scripts, every text escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from zelfzorg.assessment.instruments import InstrumentDefinition, Level
from zelfzorg.texts import Text, format_fixed

MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
TEXTS = {
    "level": Text(nl="Niveau {n}", en="Level {n}"),
    "point": Text(nl="{date}: score {score}", en="{date}: score {score}"),
    "point_level": Text(
        nl="{date}: score {score}, niveau {level}", en="{date}: score {score}, level {level}"
    ),
    "summary": Text(
        nl="{count} scores van {start} tot {end}. Laatste score: {last}.",
        en="{count} scores from {start} to {end}. Latest score: {last}.",
    ),
}


@dataclass(frozen=True)
class Layout:
    """The chart's size, margins and text size, in SVG units. The SVG scales to its box, so a
    phone gets a narrow layout with larger text: drawn 640 wide in a 350 px column, 12 units
    would be 6-7 px on the screen."""

    width: int
    height: int
    left: int
    right: int  # room for the level names
    top: int
    bottom: int  # room for the dates
    font_size: int
    label_gap: int  # the least distance between two date labels


WIDE = Layout(640, 240, 48, 84, 16, 32, font_size=12, label_gap=70)
# The phone layout: about as wide as the column it fills (340-360 px), so 14 units are 13-15
# px on the screen; only the first and last date when the dates would crowd.
COMPACT = Layout(340, 260, 40, 76, 16, 36, font_size=14, label_gap=120)
_BANDS = ("#fdecea", "#fff4e0", "#eef6ea", "#e3f0fb")
_LINE, _AXIS = "#1f5f99", "#555555"


@dataclass(frozen=True)
class TrendRow:
    day: date
    score: float
    level: int | None
    version: str
    change: str | None  # "up", "down", "same" against the previous score; None for the first


@dataclass(frozen=True)
class Trend:
    code: str
    definition: InstrumentDefinition  # of the latest scored response: its title and levels
    rows: list[TrendRow]  # oldest first

    @property
    def versions(self) -> list[str]:
        return list(dict.fromkeys(row.version for row in self.rows))

    @property
    def title(self) -> Text:
        return self.definition.title


def build_trend(code: str, scored: Sequence[tuple[date, float, int | None, str]], definition):
    """``scored``: (day, score, level, version) of one instrument's scored responses, oldest
    first; ``definition`` of the newest."""
    rows: list[TrendRow] = []
    for day, score, level, version in scored:
        previous = rows[-1].score if rows else None
        change = None
        if previous is not None:
            change = "up" if score > previous else "down" if score < previous else "same"
        rows.append(TrendRow(day, score, level, version, change))
    return Trend(code, definition, rows)


def day_text(day: date, lang: str) -> str:
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def _band_label(level: Level, lang: str) -> str:
    return TEXTS["level"].get(lang).format(n=level.number)


def render_svg(trend: Trend, *, lang: str, title: str, chart_id: str, layout: Layout = WIDE) -> str:
    """The chart as SVG text; ``layout`` WIDE for a wide screen, COMPACT for a phone."""
    lang = "en" if lang.startswith("en") else "nl"
    scoring = trend.definition.scoring
    low, high = scoring.score_range.min, scoring.score_range.max
    rows = trend.rows
    left, right = layout.left, layout.width - layout.right
    top, bottom = layout.top, layout.height - layout.bottom

    def y(value: float) -> float:
        share = (min(max(value, low), high) - low) / ((high - low) or 1)
        return bottom - share * (bottom - top)

    first, last = rows[0].day, rows[-1].day
    span = (last - first).days

    def x(day: date) -> float:
        if span == 0:
            return (left + right) / 2
        return left + 12 + (day - first).days / span * (right - left - 24)

    decimals = scoring.decimals

    def score_text(value: float) -> str:
        return format_fixed(value, decimals, lang)

    summary = (
        TEXTS["summary"]
        .get(lang)
        .format(
            count=len(rows),
            start=day_text(first, lang),
            end=day_text(last, lang),
            last=score_text(rows[-1].score),
        )
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width} {layout.height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="sans-serif" font-size="{layout.font_size}" fill="#333333" '
        'class="trend-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    for index, level in enumerate(trend.definition.levels):
        y_top, y_bottom = y(level.max), y(level.min)
        parts.append(
            f'<rect x="{left}" y="{y_top:.1f}" width="{right - left}" '
            f'height="{max(y_bottom - y_top, 1):.1f}" fill="{_BANDS[index % len(_BANDS)]}"/>'
        )
        parts.append(
            f'<text x="{right + 6}" y="{(y_top + y_bottom) / 2 + layout.font_size / 3:.1f}">'
            f"{escape(_band_label(level, lang))}</text>"
        )
    for tick in (low, (low + high) / 2, high):
        tick_text = format_fixed(tick, 0 if float(tick).is_integer() else decimals, lang)
        parts.append(
            f'<text x="{left - 6}" y="{y(tick) + layout.font_size / 3:.1f}" '
            f'text-anchor="end">{tick_text}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{_AXIS}"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{_AXIS}"/>'
    )
    middle = sorted({row.day for row in rows} - {first, last}) if len(rows) <= 6 else []
    labelled = [first]
    for day in middle:  # the first and last date always; others only where they fit
        if x(day) - x(labelled[-1]) >= layout.label_gap and x(last) - x(day) >= layout.label_gap:
            labelled.append(day)
    if last != first:
        labelled.append(last)
    for day in labelled:
        parts.append(
            f'<text x="{x(day):.1f}" y="{bottom + layout.font_size + 6}" text-anchor="middle">'
            f"{escape(day_text(day, lang))}</text>"
        )
    if len(rows) > 1:
        points = " ".join(f"{x(r.day):.1f},{y(r.score):.1f}" for r in rows)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{_LINE}" stroke-width="2"/>')
    for row in rows:
        key = "point_level" if row.level is not None else "point"
        label = (
            TEXTS[key]
            .get(lang)
            .format(date=day_text(row.day, lang), score=score_text(row.score), level=row.level)
        )
        parts.append(
            f'<circle cx="{x(row.day):.1f}" cy="{y(row.score):.1f}" r="4" fill="{_LINE}">'
            f"<title>{escape(label)}</title></circle>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
