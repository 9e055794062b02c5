"""Chart bucketing, the reference aggregation and the SVG itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zelfzorg.telemonitoring.charts import (
    MAX_POINTS,
    Point,
    aggregate,
    choose_bucket,
    render_svg,
    time_ticks,
)
from zelfzorg.telemonitoring.rules import default_target, make_target
from zelfzorg.telemonitoring.types import get_type

SVG = "{http://www.w3.org/2000/svg}"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def readings(start: datetime, days: int, per_day: int = 1) -> list[Point]:
    """per_day readings a day; the value is the day of the month (hand-checkable means)."""
    step = timedelta(hours=24 / per_day)
    points = []
    for i in range(days * per_day):
        t = start + i * step
        points.append(Point(t=t, value=float(t.day)))
    return points


# --- bucket choice ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "per_day", "bucket"),
    [
        (7, 4, "raw"),  # a week of home BP: 28 readings
        (60, 10, "day"),  # a device every few hours: 600 readings in 60 days
        (365, 2, "week"),  # a dense year: 730 readings
        (1826, 1, "month"),  # five years of daily readings
    ],
)
def test_the_bucket_keeps_the_chart_under_200_points(days: int, per_day: int, bucket: str) -> None:
    points = readings(datetime(2020, 1, 6, 7, 0), days, per_day)
    chosen = choose_bucket(points[0].t, points[-1].t, len(points))
    assert chosen == bucket
    assert len(aggregate(points, chosen)) <= MAX_POINTS


def test_few_readings_stay_raw_even_over_years() -> None:
    start = datetime(2015, 1, 1, tzinfo=UTC)
    assert choose_bucket(start, start + timedelta(days=3650), 40) == "raw"


def test_a_bucket_needs_a_forward_period() -> None:
    with pytest.raises(ValueError):
        choose_bucket(datetime(2024, 2, 1), datetime(2024, 1, 1), 10)


# --- aggregation -----------------------------------------------------------------------------


def test_five_years_of_daily_data_aggregate_to_60_monthly_means() -> None:
    points = readings(datetime(2019, 1, 1, 12, 0), 1826)  # 2019-01-01 .. 2023-12-31
    assert points[-1].t.date() == date(2023, 12, 31)
    months = aggregate(points, "month")
    assert len(months) == 60
    assert sum(p.n for p in months) == 1826
    january = months[0]
    # Values 1..31: mean (1 + 31) / 2 = 16.
    assert (january.t, january.n, january.value, january.min, january.max) == (
        datetime(2019, 1, 1),
        31,
        16.0,
        1.0,
        31.0,
    )
    february_2019, february_2020 = months[1], months[13]
    assert (february_2019.n, february_2019.value) == (28, 14.5)  # (1 + 28) / 2
    assert (february_2020.n, february_2020.value) == (29, 15.0)  # leap year: (1 + 29) / 2
    assert months[-1].t == datetime(2023, 12, 1)


def test_a_year_aggregates_to_weeks_starting_on_monday() -> None:
    # 2024-01-01 is a Monday; the value is the day number 0..365.
    start = datetime(2024, 1, 1, 9, 0)
    points = [Point(t=start + timedelta(days=i), value=float(i)) for i in range(366)]
    weeks = aggregate(points, "week")
    assert len(weeks) == 53  # 52 full weeks + Monday 30 and Tuesday 31 December
    assert all(w.t.weekday() == 0 for w in weeks)
    assert (weeks[0].t, weeks[0].n, weeks[0].value) == (datetime(2024, 1, 1), 7, 3.0)  # 0..6
    assert (weeks[10].n, weeks[10].value) == (7, 73.0)  # 70..76
    assert (weeks[-1].t, weeks[-1].n, weeks[-1].value) == (datetime(2024, 12, 30), 2, 364.5)


def test_days_follow_dutch_time_when_a_zone_is_given() -> None:
    # 23:30 UTC on 1 March is 00:30 on 2 March in Amsterdam (CET, UTC+1).
    late = Point(t=datetime(2024, 3, 1, 23, 30, tzinfo=UTC), value=6.0)
    morning = Point(t=datetime(2024, 3, 2, 10, 0, tzinfo=UTC), value=8.0)
    in_utc = aggregate([late, morning], "day")
    assert [p.t.date() for p in in_utc] == [date(2024, 3, 1), date(2024, 3, 2)]
    in_amsterdam = aggregate([morning, late], "day", tz=AMSTERDAM)
    assert len(in_amsterdam) == 1
    assert (in_amsterdam[0].t.date(), in_amsterdam[0].n, in_amsterdam[0].value) == (
        date(2024, 3, 2),
        2,
        7.0,
    )


def test_aggregated_points_are_weighted_by_their_count() -> None:
    day = datetime(2024, 5, 1, 8, 0)
    merged = aggregate(
        [Point(t=day, value=10.0, min=8.0, max=12.0, n=2), Point(t=day, value=20.0)], "day"
    )
    # (10 * 2 + 20) / 3 = 13.33; min of mins 8, max of maxes 20
    assert len(merged) == 1
    assert merged[0].value == pytest.approx(40 / 3)
    assert (merged[0].min, merged[0].max, merged[0].n) == (8.0, 20.0, 3)


def test_raw_aggregation_only_sorts() -> None:
    a, b = Point(t=datetime(2024, 1, 2), value=2.0), Point(t=datetime(2024, 1, 1), value=1.0)
    assert aggregate([a, b], "raw") == [b, a]


# --- SVG -------------------------------------------------------------------------------------


def bp_series(days: int = 10) -> list[Point]:
    start = datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    values = [150, 132, 145, 128, 141, 139, 160, 125, 138, 142]
    return [Point(t=start + timedelta(days=i), value=float(values[i % 10])) for i in range(days)]


def bp_chart(**overrides: object) -> ET.Element:
    kwargs: dict[str, object] = {
        "title": "Bovendruk",
        "description": "Uw thuismetingen.",
        "unit": "mmHg",
        "target": default_target(get_type("bp_systolic")),
        "decimals": 0,
    }
    kwargs.update(overrides)
    series = kwargs.pop("series", bp_series())
    return ET.fromstring(render_svg(series, **kwargs))  # type: ignore[arg-type]


def test_the_svg_is_well_formed_with_title_and_description() -> None:
    root = bp_chart()
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Bovendruk"
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("Uw thuismetingen. 10 metingen van 1 mrt 2024 tot 10 mrt 2024.")
    assert desc.text.endswith("Streefwaarde: < 140 mmHg.")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_a_script_in_the_title_is_escaped_text() -> None:
    hostile = '<script>alert("x")</script> & co'
    svg = render_svg(bp_series(), title=hostile, description=hostile, unit="<b>", lang="en")
    assert "<script" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == hostile  # type: ignore[union-attr]
    assert not [el for el in root.iter() if el.tag.endswith("script")]


def test_control_characters_cannot_break_the_document() -> None:
    root = bp_chart(title="Bloed\x00druk\x1b")
    assert root.find(f"{SVG}title").text == "Bloeddruk"  # type: ignore[union-attr]


def test_the_svg_is_self_contained() -> None:
    svg = render_svg(bp_series(), title="t", description="d", unit="mmHg")
    root = ET.fromstring(svg)
    for element in root.iter():
        assert element.tag.startswith(SVG)
        assert element.tag not in (f"{SVG}script", f"{SVG}image", f"{SVG}use", f"{SVG}style")
        for name in element.attrib:
            assert "href" not in name and not name.startswith("on")
    assert "url(" not in svg


def test_the_target_band_holds_exactly_the_points_that_meet_the_target() -> None:
    target = default_target(get_type("bp_systolic"))
    assert target is not None
    series = bp_series()
    root = bp_chart(series=series, target=target)
    bands = root.findall(f"{SVG}rect[@class='target-band']")
    assert len(bands) == 1
    top = float(bands[0].get("y", "nan"))
    bottom = top + float(bands[0].get("height", "nan"))
    circles = root.findall(f"{SVG}circle[@class='point']")
    assert len(circles) == len(series)
    for point, circle in zip(series, circles, strict=True):
        cy = float(circle.get("cy", "nan"))
        assert (top <= cy <= bottom) is target.is_met(point.value), point


def test_a_between_band_spans_low_to_high() -> None:
    target = make_target(get_type("glucose_fasting"), "between", low=4.5, high=8)
    start = datetime(2024, 1, 1, 7, 0)
    series = [Point(t=start + timedelta(days=i), value=v) for i, v in enumerate([3.5, 6.0, 9.5])]
    root = bp_chart(series=series, target=target, unit="mmol/L", decimals=1)
    band = root.find(f"{SVG}rect[@class='target-band']")
    circles = root.findall(f"{SVG}circle[@class='point']")
    top = float(band.get("y", "nan"))  # type: ignore[union-attr]
    bottom = top + float(band.get("height", "nan"))  # type: ignore[union-attr]
    low, mid, high = (float(c.get("cy", "nan")) for c in circles)
    assert low > bottom and top < mid < bottom and high < top  # y grows downwards


def test_each_point_has_a_readable_label() -> None:
    root = bp_chart()
    labels = [c.find(f"{SVG}title").text for c in root.findall(f"{SVG}circle")]  # type: ignore[union-attr]
    # 07:00 UTC is 08:00 in Amsterdam in March (CET).
    assert labels[0] == "1 mrt 2024 08:00: 150 mmHg"


def test_aggregated_points_get_min_max_whiskers() -> None:
    start = datetime(2023, 1, 2, 8, 0)
    daily = [Point(t=start + timedelta(days=i), value=120.0 + i % 7) for i in range(364)]
    weeks = aggregate(daily, "week")
    root = bp_chart(series=weeks, bucket="week")
    whiskers = root.findall(f"{SVG}line[@class='range']")
    assert len(whiskers) == len(weeks) == 52
    first = root.find(f"{SVG}circle/{SVG}title")
    assert first is not None
    # Monday..Sunday: 120 + (0..6); mean 123.
    assert first.text == "week van 2 jan 2023: gemiddeld 123 mmHg (7 metingen, 120 tot 126)"


def test_a_single_reading_is_drawn_without_a_line() -> None:
    root = bp_chart(series=[Point(t=datetime(2024, 3, 1, 7, 0, tzinfo=UTC), value=135.0)])
    assert len(root.findall(f"{SVG}circle")) == 1
    assert root.find(f"{SVG}polyline") is None


def test_an_empty_chart_says_so() -> None:
    root = bp_chart(series=[], target=None, lang="en")
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert texts == ["No readings in this period yet."]
    assert root.find(f"{SVG}circle") is None and root.find(f"{SVG}polyline") is None
    assert root.find(f"{SVG}desc").text == "Uw thuismetingen. No readings in this period yet."  # type: ignore[union-attr]


def test_an_empty_chart_can_use_the_view_text() -> None:
    root = bp_chart(series=[], empty_text="Nog niets <gemeten>")
    assert [t.text for t in root.findall(f"{SVG}text")] == ["Nog niets <gemeten>"]


def test_month_ticks_use_dutch_abbreviations() -> None:
    start = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    series = [Point(t=start + timedelta(days=i * 7), value=80.0 + i % 3) for i in range(26)]
    nl = [t.text for t in bp_chart(series=series).findall(f"{SVG}text[@class='tick']")]
    en = [t.text for t in bp_chart(series=series, lang="en").findall(f"{SVG}text[@class='tick']")]
    assert nl == ["feb 2024", "mrt", "apr", "mei", "jun", "jul"]
    assert en == ["Feb 2024", "Mar", "Apr", "May", "Jun", "Jul"]


def test_ticks_over_days_and_years() -> None:
    days = time_ticks(datetime(2024, 10, 1, 6, 0), datetime(2024, 10, 7, 20, 0))
    assert [label for _, label in days] == ["2 okt", "3 okt", "4 okt", "5 okt", "6 okt", "7 okt"]
    years = time_ticks(datetime(2019, 3, 1), datetime(2024, 2, 1), "en")
    assert [label for _, label in years] == ["2020", "2021", "2022", "2023", "2024"]


def test_two_charts_on_one_page_get_different_ids() -> None:
    a = bp_chart(title="Bovendruk").get("aria-labelledby")
    b = bp_chart(title="Onderdruk").get("aria-labelledby")
    assert a != b
    assert bp_chart(chart_id="bp-chart").get("aria-labelledby") == "bp-chart-title bp-chart-desc"


def test_an_unsafe_chart_id_is_refused() -> None:
    with pytest.raises(ValueError):
        render_svg([], title="t", description="d", unit="", chart_id='x" onload="y')
