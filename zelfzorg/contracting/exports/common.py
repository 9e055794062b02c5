"""What every export shares: cell order, labels, number formats and translations.

Exports run in requests, in the CLI and in the scheduler thread (no request, often no app
context), so texts come from the compiled catalogs directly (Babel), not from Flask-Babel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from zelfzorg.contracting.labels import KIND_LABELS, SEX_LABELS, STATUS_LABELS  # noqa: F401
from zelfzorg.contracting.report_data import STRATUM_KEYS, IndicatorInfo, PracticeInfo, Stratum
from zelfzorg.contracting.suppression import Cell, Hidden, SuppressedReport
from zelfzorg.errors import N_
from zelfzorg.texts import is_english

LANGUAGES = ("nl", "en")

STRATUM_LABELS = {
    "programme": N_("zorgprogramma"),
    "sex": N_("geslacht"),
    "age_band": N_("leeftijdsgroep"),
    "level": N_("activatieniveau"),
}
VALUE_LABELS = {("sex", value): label for value, label in SEX_LABELS.items()}
HIDDEN_LABELS = {
    Hidden.small: N_("minder dan 10"),
    Hidden.complementary: N_("verborgen ter bescherming van een kleine cel"),
}
SMALL = "<10"
MASKED = "*"


def language(lang: str | None) -> str:
    return "en" if lang and is_english(lang) else "nl"


@cache
def _translations(lang: str) -> NullTranslations:
    if lang == "nl":
        return NullTranslations()  # Dutch is the source language
    from zelfzorg import translation_directories

    merged: NullTranslations | None = None
    for directory in translation_directories().split(";"):
        found = Translations.load(directory, [lang])
        if not isinstance(found, Translations):
            continue
        if merged is None:
            merged = found
        else:
            merged.merge(found)  # type: ignore[union-attr]
    return merged or NullTranslations()


def translations(lang: str) -> NullTranslations:
    return _translations(language(lang))


def tr(message: str, lang: str, **params: object) -> str:
    text = translations(lang).gettext(message)
    return text % params if params else text


def number(value: Decimal | float | int | None, lang: str, *, comma: bool | None = None) -> str:
    """A number in the language's notation; ``comma`` forces (or refuses) a decimal comma."""
    if value is None:
        return ""
    if comma is None:
        return format_decimal(value, format="#,##0.#", locale=language(lang))
    text = f"{value}"
    return text.replace(".", ",") if comma else text


@dataclass(frozen=True)
class Row:
    """One line of an export: an indicator for the group or a practice, overall or a stratum."""

    indicator: IndicatorInfo
    practice: PracticeInfo | None  # None: the care group
    cell: Cell


def _value_order(value: str) -> tuple:
    """Age bands by age ("<65", "65-79", ">=80"), everything else alphabetically."""
    digits = re.search(r"\d+", value)
    if digits is None:
        return (1, 0, 0, value.lower())
    rank = 0 if value.startswith("<") else 2 if value.startswith(">") else 1
    return (0, int(digits.group()), rank, value)


def stratum_order(stratum: Stratum | None) -> tuple:
    if stratum is None:
        return (0, 0, "", ())
    key_rank = STRATUM_KEYS.index(stratum.key) if stratum.key in STRATUM_KEYS else len(STRATUM_KEYS)
    return (1, key_rank, stratum.key, _value_order(stratum.value))


def rows(view: SuppressedReport, *, strata: bool = True) -> Iterator[Row]:
    """Indicators in report order; per indicator the care group first, then the practices in
    report order; per unit the overall cell first, then its strata."""
    by_unit: dict[tuple[str, int | None], list[Cell]] = {}
    for cell in view.cells:
        if cell.stratum is not None and not strata:
            continue
        by_unit.setdefault((cell.indicator, cell.practice_id), []).append(cell)
    units: list[PracticeInfo | None] = [None, *view.report.practices]
    for info in view.report.indicators:
        for practice in units:
            cells = by_unit.get((info.id, practice.id if practice else None), [])
            for cell in sorted(cells, key=lambda c: stratum_order(c.stratum)):
                yield Row(info, practice, cell)


def stratum_label(stratum: Stratum | None, lang: str) -> tuple[str, str]:
    if stratum is None:
        return "", ""
    key = STRATUM_LABELS.get(stratum.key)
    value = VALUE_LABELS.get((stratum.key, stratum.value))
    return (
        tr(key, lang) if key else stratum.key,
        tr(value, lang) if value else stratum.value,
    )


def count_text(cell: Cell, value: int | None) -> str:
    """A count as shown: "<10" for a small cell, "*" for a complementary one."""
    if cell.hidden == Hidden.small:
        return SMALL
    if cell.hidden == Hidden.complementary:
        return MASKED
    return "" if value is None else str(value)


def percentage_text(cell: Cell, lang: str, *, comma: bool | None = None) -> str:
    if cell.suppressed:
        return count_text(cell, None)
    if cell.statement is not None:
        return ""
    if cell.percentage is None:
        return "n/a" if cell.figure.denominator == 0 else ""
    return number(cell.percentage, lang, comma=comma)


def verdict_reason(reason: str, params: dict, lang: str) -> str:
    shown = {k: number(v, lang) if isinstance(v, Decimal | float) else v for k, v in params.items()}
    try:
        return tr(reason, lang, **shown) if shown else tr(reason, lang)
    except (KeyError, ValueError, TypeError):
        return reason  # a reason whose parameters do not fit is shown as it is


def file_stem(view: SuppressedReport) -> str:
    data = view.report
    return f"zorggroep-{data.care_group_id}-{data.period_start:%Y%m%d}-{data.period_end:%Y%m%d}"
