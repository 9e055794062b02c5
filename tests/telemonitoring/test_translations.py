"""Every Dutch message of telemonitoring has an English translation with the same params."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from zelfzorg.telemonitoring.plausibility import check_value
from zelfzorg.telemonitoring.rules import evaluate_trend, evaluate_urgent, make_target, rule_for
from zelfzorg.telemonitoring.types import get_type

PACKAGE = Path(__file__).parents[2] / "zelfzorg" / "telemonitoring"
PO_FILE = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
# The pure modules; the database and web layers add their own messages to the same catalog.
MODULES = ("types.py", "plausibility.py", "rules.py", "charts.py")


def source_messages() -> set[str]:
    return {
        message
        for name in MODULES
        for _, message, _, _ in extract_from_file("python", str(PACKAGE / name))
        if isinstance(message, str)
    }


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with PO_FILE.open("rb") as handle:
        return read_po(handle)


def test_the_catalog_declares_utf8(catalog: Catalog) -> None:
    assert "charset=UTF-8" in PO_FILE.read_text(encoding="utf-8")
    assert str(catalog.locale) == "en"


def test_every_marked_message_is_translated_with_the_same_placeholders(catalog: Catalog) -> None:
    messages = source_messages()
    assert len(messages) >= 20  # the extraction found the N_() calls
    for msgid in messages:
        entry = catalog.get(msgid)
        assert entry is not None and entry.string, f"no translation for {msgid!r}"
        assert not entry.fuzzy
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(msgid))


def test_every_catalog_entry_keeps_the_placeholders_of_its_msgid(catalog: Catalog) -> None:
    assert list(catalog.check()) == []  # babel's python-format checks
    for message in catalog:
        if message.id:
            assert message.string, f"no translation for {message.id!r}"
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
                PLACEHOLDER.findall(str(message.id))
            )


def english(catalog: Catalog):  # type: ignore[no-untyped-def]
    return lambda msgid: catalog.get(msgid).string


def test_a_glucose_mix_up_reads_well_in_english(catalog: Catalog) -> None:
    problem = check_value(get_type("glucose"), 126)[0]
    assert problem.render("en", english(catalog)) == (
        "126 mmol/L cannot be right. This looks like mg/dL; in mmol/L that is about 7.0. "
        "Enter the value in mmol/L."
    )


def test_an_hba1c_mix_up_reads_well_in_english(catalog: Catalog) -> None:
    problem = check_value(get_type("hba1c"), 7.5)[0]
    # (7.5 - 2.15) * 10.929 = 58.47
    assert problem.render("en", english(catalog)) == (
        "7.5 mmol/mol cannot be right. This looks like a percentage (%). Enter HbA1c in "
        "mmol/mol (IFCC): (7.5 - 2.15) × 10.929 = about 58 mmol/mol."
    )


def test_alerts_read_well_in_english(catalog: Catalog) -> None:
    urgent = evaluate_urgent(get_type("heart_rate"), 35)
    assert urgent is not None
    assert urgent.render("en", english(catalog)) == (
        "Very low value: 35 beats/min (limit: < 40 beats/min)."
    )
    rule = rule_for("steps", "trend")
    assert rule is not None
    target = make_target(get_type("steps"), ">=", low=6000)
    trend = evaluate_trend(rule, target, [4000, 7000, 5000, 5500, 6500])
    assert trend is not None
    assert trend.render("en", english(catalog)) == (
        "3 of the last 5 measurements miss the target (≥ 6000 steps)."
    )
