"""Periods for the trend: the last quarters or years up to a reference date."""

from __future__ import annotations

from datetime import date, timedelta


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 3 - 1) % 12 + 1, 1)
    return start, next_start - timedelta(days=1)


def last_periods(end: date, kind: str, count: int) -> list[tuple[date, date]]:
    """``count`` whole quarters or calendar years, the last one containing ``end``, cut off at
    ``end`` (oldest first)."""
    periods = []
    if kind == "year":
        for year in range(end.year - count + 1, end.year + 1):
            periods.append((date(year, 1, 1), min(date(year, 12, 31), end)))
        return periods
    start, stop = quarter_of(end)
    for _ in range(count):
        periods.append((start, min(stop, end)))
        start, stop = quarter_of(start - timedelta(days=1))
    return list(reversed(periods))
