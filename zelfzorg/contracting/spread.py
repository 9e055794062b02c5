"""Comparing practices without league tables: median with p10/p90, and a funnel plot of each
practice's percentage against its denominator with 95% and 99.8% control limits
(Spiegelhalter 2005), so small practices are not ranked on noise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from zelfzorg.contracting.report_data import Figure
from zelfzorg.texts import format_fixed

Z95, Z998 = 1.959964, 3.090232


@dataclass(frozen=True)
class Spread:
    count: int  # practices with a denominator
    median: float | None
    p10: float | None
    p90: float | None


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (the common "type 7" definition)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 1)


def spread(practice_figures: list[Figure]) -> Spread:
    values = [float(f.percentage) for f in practice_figures if f.percentage is not None]
    return Spread(
        len(values), percentile(values, 0.5), percentile(values, 0.1), percentile(values, 0.9)
    )


def control_limits(p: float, n: int, z: float) -> tuple[float, float]:
    """Binomial limits (normal approximation) around the overall proportion ``p`` (0-1)."""
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n)
    return max(0.0, p - half), min(1.0, p + half)


@dataclass(frozen=True)
class FunnelPoint:
    label: str
    denominator: int
    percentage: Decimal
    outside: str  # "", "95" (outside 95%) or "998" (outside 99.8%)


def funnel_points(practice_figures: list[Figure], overall: Figure | None, names: dict[int, str]):
    p = float(overall.numerator) / overall.denominator if overall and overall.denominator else None
    points = []
    for fig in practice_figures:
        if fig.percentage is None or p is None:
            continue
        share = float(fig.numerator or 0) / fig.denominator  # type: ignore[operator]
        low95, high95 = control_limits(p, fig.denominator, Z95)  # type: ignore[arg-type]
        low998, high998 = control_limits(p, fig.denominator, Z998)  # type: ignore[arg-type]
        outside = (
            "998"
            if not low998 <= share <= high998
            else "95"
            if not low95 <= share <= high95
            else ""
        )
        points.append(
            FunnelPoint(names.get(fig.practice_id, "?"), fig.denominator, fig.percentage, outside)  # type: ignore[arg-type]
        )
    return p, points


def funnel_svg(
    practice_figures: list[Figure],
    overall: Figure | None,
    names: dict[int, str],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 320,
    lang: str = "nl",
) -> str:
    """A server-side SVG funnel plot; every text is escaped, numbers in ``lang``'s notation."""
    p, points = funnel_points(practice_figures, overall, names)
    left, right, top, bottom = 48, 16, 24, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n_max = max([pt.denominator for pt in points] + [10])

    def x(n: float) -> float:
        return left + plot_w * n / n_max

    def y(share: float) -> float:
        return top + plot_h * (1 - share)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="funnel-title" class="funnel">',
        f'<title id="funnel-title">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" '
        f'fill="#fff" stroke="#999"/>',
    ]
    for tick in (0, 25, 50, 75, 100):
        ty = y(tick / 100)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11">{tick}%</text>'
        )
    if p is not None:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(p):.1f}" y2="{y(p):.1f}" '
            f'stroke="#1f5f8b" stroke-width="1.5"/>'
        )
        for z, dash in ((Z95, "4 3"), (Z998, "1 3")):
            for side in (0, 1):
                coords = []
                for step in range(1, 61):
                    n = max(1.0, n_max * step / 60)
                    limits = control_limits(p, int(math.ceil(n)), z)
                    coords.append(f"{x(n):.1f},{y(limits[side]):.1f}")
                parts.append(
                    f'<polyline points="{" ".join(coords)}" fill="none" stroke="#555" '
                    f'stroke-dasharray="{dash}"/>'
                )
    for pt in points:
        colour = {"": "#1f5f8b", "95": "#b36b00", "998": "#b00020"}[pt.outside]
        share = format_fixed(float(pt.percentage), 1, lang)
        parts.append(
            f'<circle cx="{x(pt.denominator):.1f}" cy="{y(float(pt.percentage) / 100):.1f}" r="5" '
            f'fill="{colour}"><title>{escape(pt.label)}: {share}% (n={pt.denominator})'
            f"</title></circle>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" font-size="12">'
        f"{escape(x_label)} (0-{n_max})</text>"
        f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 12 {top + plot_h / 2})">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
