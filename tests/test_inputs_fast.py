"""parse_datetime's fast path accepts and refuses exactly what the general path does."""

from __future__ import annotations

import itertools

from zelfzorg.errors import ValidationError
from zelfzorg.inputs import _parse_datetime_general, parse_datetime

DAYS = ["2024-05-01", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31"]
YEARS = ["1899", "1900", "1901", "2099", "2100", "2101", "0001", "9999"]
TIMES = ["T08:30:00", "T00:00:00", "T23:59:59", "T24:00:00", "T12:60:00", "T12:00:61", " 08:30:00"]
TIMES += ["T08:30", "T08:30:00.5", "T083000", ""]
ZONES = ["", "Z", "+02:00", "-05:30", "+14:00", "-12:00", "+24:00", "+0200", "+02", "z", "UTC"]
ODD = [
    "",
    " ",
    "2024-05-01T08:30:00+02:00 ",
    " 2024-05-01T08:30:00Z",
    "2024-05-01X08:30:00",
    "2024-05-01T08:30:00+02:00Z",
    "２０２４-05-01T08:30:00",
    "2024-05-01T08:30:00\x00",
    "2024-W18-3",
    "20240501T083000",
    "2024-05-01t08:30:00",
    "2026-03-29T02:30:00",  # not on Dutch clocks (summer time starts)
    "2026-10-25T02:30:00",  # twice on Dutch clocks
    "1900-01-01T00:30:00+14:00",
    "2100-12-31T23:30:00-12:00",
    "1901-01-01T00:00:00+14:00",
]


def outcome(parse, text):
    try:
        return ("ok", parse(text))
    except ValidationError as error:
        return ("refused", error.message, dict(error.params))


def general(text):
    value = text
    return _parse_datetime_general(value, value.strip() if isinstance(value, str) else "", None)


def inputs():
    for year, day, time, zone in itertools.product(YEARS[:3] + YEARS[3:], DAYS, TIMES, ZONES):
        yield f"{year}{day[4:]}{time}{zone}"
    yield from ODD
    yield from (None, 20240501, 1.5)


def test_the_fast_path_gives_what_the_general_path_gives():
    checked = 0
    for text in inputs():
        fast, slow = outcome(parse_datetime, text), outcome(general, text)
        assert fast == slow, text
        if fast[0] == "ok":
            assert fast[1].tzinfo is not None and fast[1].utcoffset().total_seconds() == 0
        checked += 1
    assert checked > 3000


def test_the_inputs_cover_both_paths_and_both_outcomes():
    kinds = {outcome(parse_datetime, t)[0] for t in inputs()}
    assert kinds == {"ok", "refused"}
