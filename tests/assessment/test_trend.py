"""The questionnaire score chart: a wide layout and a compact one for a phone whose axis text
stays readable (the SVG scales to a 350 px column), with the first and last date always
labelled and no two date labels crowding each other."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from zelfzorg.assessment import trend
from zelfzorg.assessment.instruments import load_instrument

ACTIVATION = load_instrument(
    Path(trend.__file__).parent / "data" / "activation.yaml", source="activation.yaml"
)
DAYS = [date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2), date(2026, 6, 1), date(2026, 9, 7)]


def chart(layout: trend.Layout, days=DAYS, lang: str = "nl") -> str:
    scored = [(day, 40.0 + 5 * n, 2, "1.0") for n, day in enumerate(days)]
    data = trend.build_trend("activation", scored, ACTIVATION)
    return trend.render_svg(data, lang=lang, title="Score", chart_id="t", layout=layout)


def date_labels(svg: str, layout: trend.Layout) -> list[tuple[float, str]]:
    y = layout.height - layout.bottom + layout.font_size + 6
    pattern = rf'<text x="([0-9.]+)" y="{y}" text-anchor="middle">([^<]+)</text>'
    return [(float(x), text) for x, text in re.findall(pattern, svg)]


@pytest.mark.parametrize("layout", [trend.WIDE, trend.COMPACT], ids=["wide", "compact"])
def test_first_and_last_dates_are_labelled_and_never_crowd(layout):
    svg = chart(layout)
    labels = date_labels(svg, layout)
    assert labels[0][1] == "5 jan 2026" and labels[-1][1] == "7 sep 2026"
    gaps = [b[0] - a[0] for a, b in zip(labels, labels[1:], strict=False)]
    assert all(gap >= layout.label_gap for gap in gaps), gaps


def test_the_phone_layout_is_narrow_with_larger_text():
    wide, compact = chart(trend.WIDE), chart(trend.COMPACT, lang="en")
    assert 'viewBox="0 0 640 240"' in wide and 'font-size="12"' in wide
    assert 'viewBox="0 0 340 260"' in compact and 'font-size="14"' in compact
    # Drawn in a 350 px phone column: 14 px text, where the wide chart gives under 7 px.
    column = 350
    assert trend.COMPACT.font_size * column / trend.COMPACT.width >= 14
    assert trend.WIDE.font_size * column / trend.WIDE.width < 7
    assert "Level 2" in compact and "5 Jan 2026" in compact
    # Every label stays inside the drawing.
    for x, _text in date_labels(compact, trend.COMPACT):
        assert 0 < x < trend.COMPACT.width


def test_one_score_has_one_date_label():
    svg = chart(trend.COMPACT, days=[date(2026, 3, 2)])
    assert [text for _x, text in date_labels(svg, trend.COMPACT)] == ["2 mrt 2026"]
