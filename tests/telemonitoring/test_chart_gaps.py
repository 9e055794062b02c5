"""Trend charts show missing periods as gaps (no line across them) and have a phone layout
with readable text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from zelfzorg.telemonitoring.charts import Point, render_svg, segments

SVG = "{http://www.w3.org/2000/svg}"
AMS = ZoneInfo("Europe/Amsterdam")


def month(year: int, m: int, value: float) -> Point:
    return Point(datetime(year, m, 1, tzinfo=AMS), value, value - 5, value + 5, n=10)


def chart(points, **kwargs) -> ET.Element:
    return ET.fromstring(
        render_svg(points, title="Bovendruk", description="d", unit="mmHg", tz=AMS, **kwargs)
    )


def lines(root: ET.Element) -> int:
    return len(root.findall(f"{SVG}polyline"))


def test_a_month_without_readings_breaks_the_line():
    points = [month(2025, 1, 140), month(2025, 2, 138), month(2025, 5, 132), month(2025, 6, 130)]
    runs = segments(points, "month", AMS)
    assert [[p.t.month for p in run] for run in runs] == [[1, 2], [5, 6]]
    root = chart(points, bucket="month", lang="nl")
    assert lines(root) == 2
    assert "De lijn is onderbroken waar geen metingen zijn." in root.find(f"{SVG}desc").text
    assert len(root.findall(f"{SVG}circle")) == 4  # every month with data still shows


def test_consecutive_months_across_a_new_year_make_one_line():
    points = [month(2024, 11, 140), month(2024, 12, 139), month(2025, 1, 137)]
    assert len(segments(points, "month", AMS)) == 1
    root = chart(points, bucket="month", lang="en")
    assert lines(root) == 1
    assert "broken" not in root.find(f"{SVG}desc").text


def test_weeks_and_days_break_on_a_missing_bucket():
    monday = datetime(2025, 3, 3, tzinfo=AMS)
    weeks = [Point(monday + timedelta(weeks=w), 140, 130, 150, n=3) for w in (0, 1, 3)]
    assert [len(r) for r in segments(weeks, "week", AMS)] == [2, 1]
    days = [Point(monday + timedelta(days=d), 140, 130, 150, n=3) for d in (0, 1, 2, 5)]
    assert [len(r) for r in segments(days, "day", AMS)] == [3, 1]


def test_a_lone_point_between_gaps_is_a_dot_without_a_line():
    points = [month(2025, 1, 140), month(2025, 4, 138), month(2025, 8, 132)]
    root = chart(points, bucket="month")
    assert lines(root) == 0 and len(root.findall(f"{SVG}circle")) == 3


def test_daily_readings_with_a_holiday_of_six_weeks_break_once():
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    times = [start + timedelta(days=d) for d in range(0, 150, 2)]
    times += [start + timedelta(days=d) for d in range(192, 360, 2)]
    points = [Point(t, 140.0) for t in times]
    assert len(segments(points, "raw")) == 2
    assert lines(chart(points, bucket="raw")) == 2


def test_readings_every_three_months_still_make_a_line():
    start = datetime(2025, 1, 15, 8, tzinfo=UTC)
    points = [Point(start + timedelta(days=91 * q), 53.0 - q) for q in range(5)]
    assert len(segments(points, "raw")) == 1
    assert lines(chart(points, bucket="raw")) == 1


def test_phone_layout_has_larger_text_and_fewer_dates():
    points = [month(2025, m, 140 - m) for m in range(1, 13)]
    wide = chart(points, bucket="month")
    phone = chart(points, bucket="month", width=340, height=260, font_size=14, max_time_ticks=4)
    assert wide.get("font-size") == "12" and phone.get("font-size") == "14"
    assert phone.get("viewBox") == "0 0 340 260"

    def date_labels(root):
        return [t.text for t in root.findall(f"{SVG}text") if t.get("class") == "tick"]

    assert len(date_labels(wide)) > 4
    assert 2 <= len(date_labels(phone)) <= 4
    assert date_labels(phone)[0] == date_labels(wide)[0]  # the first one names the year
