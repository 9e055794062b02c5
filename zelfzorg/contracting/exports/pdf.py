"""The report as HTML and PDF: title page, conditions met and why, per indicator a bar chart
(inline SVG) and a table per practice with the care group's strata, and the definitions.

Templates (templates/contracting/pdf/) get plain values built here. Rendering uses its own
Jinja environment with the compiled catalogs, so the scheduler thread (no request, no app
context) renders the same document as a download; the PDF goes through the app's one
``render_pdf`` with its fetcher that refuses every URL but ``data:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from zelfzorg.config import ROOT
from zelfzorg.contracting.exports.common import (
    KIND_LABELS,
    STATUS_LABELS,
    Row,
    count_text,
    number,
    percentage_text,
    rows,
    stratum_label,
    tr,
    translations,
    verdict_reason,
)
from zelfzorg.contracting.report_data import STRATUM_KEYS, IndicatorInfo, Stratum
from zelfzorg.contracting.suppression import Cell, SuppressedReport
from zelfzorg.errors import N_
from zelfzorg.pdf import render_pdf
from zelfzorg.texts import format_locale

TEMPLATE = "contracting/pdf/report.html"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# Chart geometry in SVG user units (the SVG scales to the page width).
CHART_W, CHART_H, CHART_LEFT, CHART_BOTTOM = 600, 130, 30, 14


@dataclass(frozen=True)
class Line:
    """One table line: a practice (numbered as in the chart) or the care group."""

    number: int | None
    name: str
    fraction: str  # "numerator / denominator", or "<10" / "*" when hidden
    percentage: str
    mean: str
    splits: list[str]  # the indicator's own split (A2's levels), as "n (x%)"
    value: Decimal | None  # the percentage for the chart, None when hidden or n/a


@dataclass(frozen=True)
class Section:
    info: IndicatorInfo
    kind: str
    title: str
    numerator_text: str
    denominator_text: str
    group: Line
    practices: list[Line]
    split_names: list[str]
    strata: list[tuple[str, list[tuple[str, str, str]]]]  # per key: (value, fraction, %)
    strata_rows: int
    chart: str  # SVG markup (built from numbers only)
    target: str
    verdict: str
    has_mean: bool


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(ROOT / "templates")),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def fraction(cell: Cell) -> str:
    if cell.suppressed:
        return count_text(cell, None)
    if cell.denominator is None:
        return ""
    return f"{cell.numerator} / {cell.denominator}"


def _line(cell: Cell | None, number_: int | None, name: str, split: list, lang: str) -> Line:
    if cell is None:
        return Line(number_, name, "", "", "", ["" for _ in split], None)
    splits = []
    for split_cell in split:
        if split_cell is None:
            splits.append("")
        elif split_cell.suppressed:
            splits.append(count_text(split_cell, None))
        else:
            pct = percentage_text(split_cell, lang)
            splits.append(f"{split_cell.numerator} ({pct}%)" if pct != "n/a" else "n/a")
    return Line(
        number=number_,
        name=name,
        fraction=fraction(cell),
        percentage=percentage_text(cell, lang),
        mean="" if cell.mean is None else number(round(cell.mean, 2), lang),
        splits=splits,
        value=cell.percentage,
    )


def _chart(lines: list[Line], group: Line, target: Decimal | None) -> str:
    """A bar per practice (numbered as in the table), the care group as a dashed line and the
    contract target as a solid one. Only numbers go into the markup."""
    plot_w = CHART_W - CHART_LEFT - 4
    plot_h = CHART_H - CHART_BOTTOM - 4
    step = plot_w / max(len(lines), 1)

    def y(value: Decimal | float) -> float:
        return round(4 + plot_h - float(value) / 100 * plot_h, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
        'class="chart" role="img">'
    ]
    for tick in (0, 50, 100):
        parts.append(
            f'<line x1="{CHART_LEFT}" x2="{CHART_W - 4}" y1="{y(tick)}" y2="{y(tick)}" '
            'stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{CHART_LEFT - 3}" y="{y(tick) + 3}" font-size="8" text-anchor="end">'
            f"{tick}%</text>"
        )
    for index, line in enumerate(lines):
        x = CHART_LEFT + index * step
        if line.value is not None:
            top = y(line.value)
            parts.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{top}" width="{step * 0.7:.1f}" '
                f'height="{round(4 + plot_h - top, 1)}" fill="#3b6ea5"/>'
            )
        else:  # hidden or n/a: a mark on the axis, so the gap is not read as 0%
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{y(0) - 2}" font-size="6" '
                'text-anchor="middle" fill="#777">–</text>'
            )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{CHART_H - 3}" font-size="7" '
            f'text-anchor="middle">{line.number}</text>'
        )
    if group.value is not None:
        parts.append(
            f'<line x1="{CHART_LEFT}" x2="{CHART_W - 4}" y1="{y(group.value)}" '
            f'y2="{y(group.value)}" stroke="#c0392b" stroke-width="1" stroke-dasharray="4 3"/>'
        )
    if target is not None:
        parts.append(
            f'<line x1="{CHART_LEFT}" x2="{CHART_W - 4}" y1="{y(target)}" y2="{y(target)}" '
            'stroke="#1e8449" stroke-width="1.2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def document(view: SuppressedReport, lang: str) -> dict:
    data = view.report
    by_indicator: dict[str, list[Row]] = {}
    for row in rows(view):
        by_indicator.setdefault(row.indicator.id, []).append(row)
    verdicts = {v.indicator: v for v in data.verdicts}
    numbers = {p.id: i for i, p in enumerate(data.practices, start=1)}

    def status_text(indicator: str) -> str:
        verdict = verdicts.get(indicator)
        return tr(STATUS_LABELS[str(verdict.status)], lang) if verdict else ""

    conditions = []
    for info in data.indicators:
        verdict = verdicts.get(info.id)
        group_cell = view.cell(info.id)
        if group_cell is None:
            value = ""
        elif group_cell.statement is not None:
            value = tr(N_("ja") if group_cell.statement else N_("nee"), lang)
        elif group_cell.mean is not None:
            value = number(round(group_cell.mean, 2), lang)
        else:
            pct = percentage_text(group_cell, lang)
            value = f"{pct}%" if pct and pct not in ("n/a", "<10", "*") else pct
        conditions.append(
            {
                "id": info.id,
                "clause": info.clause,
                "title": info.title.get(lang),
                "kind": tr(KIND_LABELS[str(info.kind)], lang),
                "value": value,
                "target": number(verdict.target, lang) + "%"
                if verdict and verdict.target is not None
                else "",
                "status": str(verdict.status) if verdict else "",
                "status_text": status_text(info.id),
                # A hidden care-group cell keeps its verdict but not the figure in its reason.
                "reason": verdict_reason(verdict.reason, verdict.params, lang)
                if verdict and not (group_cell is not None and group_cell.suppressed)
                else "",
            }
        )

    sections = []
    for info in data.indicators:
        if info.statement:
            continue
        indicator_rows = by_indicator.get(info.id, [])
        own_splits = sorted(
            {
                r.cell.stratum.value
                for r in indicator_rows
                if r.cell.stratum is not None and r.cell.stratum.key not in STRATUM_KEYS
            }
        )
        split_key = next(
            (
                r.cell.stratum.key
                for r in indicator_rows
                if r.cell.stratum is not None and r.cell.stratum.key not in STRATUM_KEYS
            ),
            "",
        )

        def split_cells(practice_id: int | None, _info=info, _key=split_key, _values=own_splits):
            return [view.cell(_info.id, practice_id, Stratum(_key, v)) for v in _values]

        group = _line(view.cell(info.id), None, data.care_group_name, split_cells(None), lang)
        practices = [
            _line(view.cell(info.id, p.id), numbers[p.id], p.name, split_cells(p.id), lang)
            for p in data.practices
        ]
        strata: dict[str, list[tuple[str, str, str]]] = {}
        for row in indicator_rows:
            cell = row.cell
            if row.practice is not None or cell.stratum is None:
                continue
            if cell.stratum.key not in STRATUM_KEYS:
                continue
            key, value = stratum_label(cell.stratum, lang)
            strata.setdefault(key, []).append((value, fraction(cell), percentage_text(cell, lang)))
        verdict = verdicts.get(info.id)
        target = verdict.target if verdict else None
        split_label = stratum_label(Stratum(split_key, ""), lang)[0] if split_key else ""
        sections.append(
            Section(
                info=info,
                kind=tr(KIND_LABELS[str(info.kind)], lang),
                title=info.title.get(lang),
                numerator_text=info.numerator.get(lang),
                denominator_text=info.denominator.get(lang),
                group=group,
                practices=practices,
                split_names=[f"{split_label} {v}" for v in own_splits],
                strata=list(strata.items()),
                strata_rows=max((len(v) for v in strata.values()), default=0),
                chart=_chart(practices, group, target),
                target=number(target, lang) + "%" if target is not None else "",
                verdict=(
                    verdict_reason(verdict.reason, verdict.params, lang)
                    if verdict and verdict.target is not None and group.value is not None
                    else ""
                ),
                has_mean=any(line.mean for line in [group, *practices]),
            )
        )
    generated = data.generated_at
    return {
        "lang": lang,
        "care_group": data.care_group_name,
        "period_start": format_date(data.period_start, "long", locale=format_locale(lang)),
        "period_end": format_date(data.period_end, "long", locale=format_locale(lang)),
        "reference_date": format_date(data.reference_date, "long", locale=format_locale(lang)),
        "generated_at": format_datetime(
            generated.astimezone(AMSTERDAM) if generated.tzinfo else generated,
            "d MMMM y HH:mm",
            locale=format_locale(lang),
        ),
        "definition_version": data.definition_version,
        "fingerprint": data.fingerprint,
        "insurer": data.contract.insurer if data.contract else "",
        "contract_year": data.contract.year if data.contract else None,
        "practice_count": len(data.practices),
        "hidden_count": view.hidden_count,
        "conditions": conditions,
        "sections": sections,
        "definitions": [
            {
                "id": info.id,
                "clause": info.clause,
                "kind": tr(KIND_LABELS[str(info.kind)], lang),
                "title": info.title.get(lang),
                "numerator": info.numerator.get(lang),
                "denominator": info.denominator.get(lang),
                "statement": info.statement,
                "version": info.version,
            }
            for info in data.indicators
        ],
    }


def report_html(view: SuppressedReport, *, lang: str = "nl") -> str:
    return _environment(lang).get_template(TEMPLATE).render(doc=document(view, lang))


def report_pdf(html: str) -> bytes:
    return render_pdf(html)
