"""Texts that data files carry in both languages (instrument items, measurement names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def is_english(lang: str) -> bool:
    """ "en", "en_GB", "en-US": English; anything else gets the Dutch source text."""
    return lang.lower().startswith("en")


@dataclass(frozen=True)
class Text:
    """A text in Dutch and English; Dutch is the source and the fallback."""

    nl: str
    en: str

    @classmethod
    def same(cls, text: str) -> Text:
        return cls(nl=text, en=text)

    def get(self, lang: str) -> str:
        return self.en if is_english(lang) else self.nl

    def __str__(self) -> str:
        # A Text in message params reads Dutch unless the caller localises the params.
        return self.nl


def localize_params(params: Mapping[str, object], lang: str) -> dict[str, object]:
    """Message params for ``lang``: every ``Text`` value, and a stored ``{"nl", "en"}`` pair
    (JSON params of a notification), becomes its text in that language."""
    return {key: _localized(v, lang) for key, v in params.items()}


def _localized(value: object, lang: str) -> object:
    if isinstance(value, Text):
        return value.get(lang)
    if isinstance(value, Mapping) and set(value) == {"nl", "en"}:
        return Text(nl=str(value["nl"]), en=str(value["en"])).get(lang)
    return value


def format_locale(lang: str) -> str:
    """The Babel locale numbers and dates follow: Dutch, or British English (day-month-year,
    as a Dutch care context expects; the web app's ``FORMAT_LOCALES`` says the same)."""
    return "en_GB" if is_english(lang) else "nl"


def format_fixed(value: float, decimals: int, lang: str) -> str:
    """``value`` with ``decimals`` digits after the mark, as ``lang`` writes numbers (Babel):
    66,7 in Dutch, 66.7 in English; rounding as Python's ``round``."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(round(float(value), decimals), pattern, locale=format_locale(lang))
