"""Numbers and dates as the reader's language writes them (issue 15): Dutch 61,5 and
1 dec. 2026; English 61.5, 6,000 steps and day-month-year (British English, decided for a Dutch
care context: never the US month-first order)."""

from __future__ import annotations

from datetime import date

from flask import render_template_string
from flask_babel import force_locale

from zelfzorg import FORMAT_LOCALES
from zelfzorg.izp.targets import display_unit
from zelfzorg.texts import format_fixed, format_locale


def test_english_formats_follow_british_english():
    assert FORMAT_LOCALES == {"nl": "nl", "en": "en_GB"}
    assert format_locale("en") == format_locale("en_GB") == "en_GB"
    assert format_locale("nl") == "nl"


def test_the_number_filter_and_dates_per_language(app):
    page = "{{ a|number }} {{ b|number(1) }} {{ c|number }} {{ d|date('long') }}"
    values = {"a": 61.5, "b": 66.6666, "c": 6000, "d": date(2026, 12, 1)}
    with app.test_request_context():
        with force_locale("nl"):
            assert render_template_string(page, **values) == "61,5 66,7 6.000 1 december 2026"
        with force_locale("en_GB"):
            assert render_template_string(page, **values) == "61.5 66.7 6,000 1 December 2026"


def test_fixed_decimals_and_units_in_each_language():
    assert format_fixed(100, 1, "nl") == "100,0"
    assert format_fixed(7.333, 2, "en") == "7.33"
    assert format_fixed(1234.5, 1, "nl") == "1.234,5"
    assert display_unit("{steps}", "en") == "steps"
    assert display_unit("{steps}", "nl") == "stappen"
