"""Dates on pages: ``web.format_day`` (the templates' ``date`` filter, and dates in message
params) gives what Flask-Babel's ``format_date`` gives, per language, for calendar dates and
for datetimes (their day in Amsterdam, naive ones read as UTC), around midnight and the
clock changes included; the per-process memo never mixes languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import refresh as refresh_babel

from zelfzorg.web import AMSTERDAM, format_day, format_moment

VALUES = [
    date(2026, 12, 2),
    date(2024, 2, 29),
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on the 29th in Amsterdam (CET)
    datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 00:30 on the 30th (CEST, after the change)
    datetime(2026, 10, 24, 21, 59, tzinfo=UTC),  # 23:59 on the 24th (CEST)
    datetime(2026, 12, 31, 23, 0),  # naive: UTC, so 1 January 2027 in Amsterdam
]


@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "d MMM"])
def test_format_day_is_babels_date_in_every_language(app, fmt):
    with app.test_request_context("/"):
        for lang in ("nl", "en"):
            with force_locale(lang):
                for value in VALUES:
                    assert format_day(value, fmt) == format_date(value, fmt), (lang, value)


def test_the_memo_keeps_languages_apart_and_empty_is_empty(app):
    day = date(2026, 5, 1)
    with app.test_request_context("/"):
        with force_locale("nl"):
            dutch = format_day(day, "long")
        refresh_babel()
        with force_locale("en"):
            english = format_day(day, "long")
        with force_locale("nl"):
            assert format_day(day, "long") == dutch == "1 mei 2026"
    assert english == "May 1, 2026"
    assert format_day(None) == format_day("") == ""


@pytest.mark.parametrize("fmt", ["short", "medium", "long", "HH:mm"])
def test_format_moment_is_flask_babels_datetime_in_amsterdam(app, fmt):
    """The templates' ``datetime`` filter: Babel with the request's locale gives the same text
    as Flask-Babel's ``format_datetime`` (Amsterdam time; naive moments read as UTC)."""
    moments = [v for v in VALUES if isinstance(v, datetime)]
    with app.test_request_context("/"):
        for lang in ("nl", "en"):
            with force_locale(lang):
                for value in moments:
                    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
                    expected = format_datetime(aware.astimezone(AMSTERDAM), fmt)
                    assert format_moment(value, fmt) == expected, (lang, value)
                assert format_moment(None) == ""
