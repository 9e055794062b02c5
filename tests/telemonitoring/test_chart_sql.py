"""The SQL bucketing gives what the reference ``charts.aggregate`` gives, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from zelfzorg.telemonitoring.chartdata import aggregate_sql, chart_svg, offset_changes, series
from zelfzorg.telemonitoring.charts import Point, aggregate
from zelfzorg.telemonitoring.models import Measurement

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
START = datetime(2019, 1, 1, tzinfo=UTC)
END = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture()
def five_years(db, world):
    """A reading a day for 5 years at times that cross local midnight and DST changes."""
    rows, points = [], []
    hours = (22.5, 23.25, 0.25, 7.0, 12.0, 21.9)  # UTC: 23:15 UTC is the next day in NL
    t = START
    i = 0
    while t < END:
        at = t + timedelta(hours=hours[i % len(hours)])
        value = 120 + (i * 7) % 41 + 0.5
        rows.append(
            {
                "patient_id": world.patient.id,
                "type_code": "bp_systolic",
                "value": value,
                "unit": "mm[Hg]",
                "measured_at": at,
                "source": "device",
                "note": "",
                "created_at": at,
            }
        )
        points.append(Point(t=at, value=value))
        t += timedelta(days=1)
        i += 1
    db.execute(insert(Measurement), rows)
    db.commit()
    return world.patient.id, points


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_sql_buckets_match_the_reference_aggregation(db, five_years, bucket):
    patient_id, points = five_years
    expected = aggregate(points, bucket, tz=AMSTERDAM)
    got = aggregate_sql(db, patient_id, "bp_systolic", START, END, bucket)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a.t == b.t, (a, b)
        assert (a.n, a.min, a.max) == (b.n, b.min, b.max)
        assert a.value == pytest.approx(b.value)


def test_five_years_are_drawn_per_month(db, five_years):
    patient_id, _points = five_years
    bucket, points = series(db, patient_id, "bp_systolic", START, END)
    # 60 months, plus January 2024: the last reading (31 Dec, 23:15 UTC) is 1 Jan in Dutch time.
    assert bucket == "month" and len(points) == 61
    svg = chart_svg(db, patient_id, "bp_systolic", START, END, "nl")
    assert svg.startswith("<svg") and "target-band" in svg and "<title" in svg


def test_a_week_stays_raw(db, five_years):
    patient_id, _points = five_years
    bucket, points = series(db, patient_id, "bp_systolic", END - timedelta(days=7), END)
    assert bucket == "raw" and len(points) == 7


def test_offsets_follow_dutch_summer_time():
    changes = offset_changes(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert [(t.isoformat(), o) for t, o in changes] == [
        ("2024-01-01T00:00:00+00:00", 3600),
        ("2024-03-31T01:00:00+00:00", 7200),
        ("2024-10-27T01:00:00+00:00", 3600),
    ]
