"""Criteria as text, in both languages (criteria text is product text, not an error
message); plain wording for patients."""

from __future__ import annotations

import functools
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

from zelfzorg.leefstijl.criteria.schema import (
    MEASUREMENTS,
    ActivationLevelIn,
    AgeBetween,
    AllOf,
    AnyOf,
    Criterion,
    Lang,
    MeasurementCompare,
    Not,
    Number,
    ProgrammeIn,
    Smoking,
)

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "and": "en",
        "or": "of",
        "not": "niet ({inner})",
        ">=": "{label} {value} of hoger",
        ">": "{label} hoger dan {value}",
        "<=": "{label} {value} of lager",
        "<": "{label} lager dan {value}",
        "by_sex": "{female} (vrouwen) / {male} (mannen)",
        "age_range": "leeftijd {low} tot en met {high} jaar",
        "age_min": "leeftijd {low} jaar of ouder",
        "age_max": "leeftijd {high} jaar of jonger",
        "levels": "activatieniveau {levels}",
        "current": "rookt",
        "former": "gestopt met roken",
        "never": "nooit gerookt",
        "met": "voldoet",
        "not_met": "voldoet niet",
        "unknown": "onbekend",
        "female": "vrouw",
        "male": "man",
        "programme": "zorgprogramma {programmes}",
        "programmes": "zorgprogramma's {programmes}",
        "no_programmes": "geen zorgprogramma",
        "age": "leeftijd {age}",
        "age_unknown": "leeftijd onbekend",
        "smoking_unknown": "rookgedrag onbekend",
        "level": "activatieniveau {level}",
        "level_unknown": "activatieniveau onbekend",
        "measured": "{label} {value} ({date})",
        "not_measured": "{label} niet gemeten",
        "too_old": "{label} {value} ({date}), te oud",
        "with_sex": "{text}, {sex}",
        "sex_unknown": "{text}, geslacht onbekend",
        "missing_measurement": "{label} (geen meting)",
        "missing_stale": "{label} (laatste meting van {date} is te oud)",
        "missing_age": "leeftijd",
        "missing_sex": "geslacht",
        "missing_smoking": "rookgedrag",
        "missing_activation_level": "activatieniveau",
    },
    "en": {
        "and": "and",
        "or": "or",
        "not": "not ({inner})",
        ">=": "{label} {value} or higher",
        ">": "{label} higher than {value}",
        "<=": "{label} {value} or lower",
        "<": "{label} lower than {value}",
        "by_sex": "{female} (women) / {male} (men)",
        "age_range": "age {low} to {high} years",
        "age_min": "age {low} years or older",
        "age_max": "age {high} years or younger",
        "levels": "activation level {levels}",
        "current": "smokes",
        "former": "former smoker",
        "never": "never smoked",
        "met": "met",
        "not_met": "not met",
        "unknown": "unknown",
        "female": "female",
        "male": "male",
        "programme": "care programme {programmes}",
        "programmes": "care programmes {programmes}",
        "no_programmes": "no care programme",
        "age": "age {age}",
        "age_unknown": "age unknown",
        "smoking_unknown": "smoking status unknown",
        "level": "activation level {level}",
        "level_unknown": "activation level unknown",
        "measured": "{label} {value} ({date})",
        "not_measured": "{label} not measured",
        "too_old": "{label} {value} ({date}), too old",
        "with_sex": "{text}, {sex}",
        "sex_unknown": "{text}, sex unknown",
        "missing_measurement": "{label} (no measurement)",
        "missing_stale": "{label} (latest measurement of {date} is too old)",
        "missing_age": "age",
        "missing_sex": "sex",
        "missing_smoking": "smoking status",
        "missing_activation_level": "activation level",
    },
}


_PROGRAMME_NAMES = {"en": {"astma": "asthma", "hartfalen": "heart failure"}}


# For patients: what the programme is about in everyday words, not the care group's codes.
_PLAIN_PROGRAMME_NAMES = {
    "nl": {
        "DM2": "diabetes type 2",
        "COPD": "de longziekte COPD",
        "astma": "astma",
        "CVRM": "een verhoogd risico op hart- en vaatziekten",
        "hartfalen": "hartfalen",
    },
    "en": {
        "DM2": "type 2 diabetes",
        "COPD": "the lung disease COPD",
        "astma": "asthma",
        "CVRM": "a raised risk of heart and vascular disease",
        "hartfalen": "heart failure",
    },
}


# Patient wording of texts whose professional wording is jargon.
_PLAIN_TEXT = {
    "nl": {
        "has": "u heeft {programmes}",
        "levels": "niveau {levels} op de vragenlijst over zelf omgaan met uw gezondheid",
        "current": "u rookt",
        "former": "u bent gestopt met roken",
        "never": "u heeft nooit gerookt",
    },
    "en": {
        "has": "you have {programmes}",
        "levels": "level {levels} on the questionnaire about managing your own health",
        "current": "you smoke",
        "former": "you have stopped smoking",
        "never": "you have never smoked",
    },
}


_LOCALES = {"nl": "nl_NL", "en": "en_GB"}


_DATE_FORMATS = {"nl": "dd-MM-y", "en": "d MMM y"}


def resolve_lang(lang: str) -> Lang:
    lang = lang.replace("-", "_").split("_")[0]  # a locale ("en_GB") names its language
    if lang not in TEXTS:
        raise ValueError(f"unsupported language {lang!r}; use 'nl' or 'en'")
    return lang  # type: ignore[return-value]


@functools.lru_cache(maxsize=4096, typed=True)
def format_number(value: Number, lang: str = "nl") -> str:
    """A number as people write it: ``27,4`` in Dutch, ``27.4`` in English. A number beyond
    Babel's decimal precision (stored before the form bounded them) is still shown.

    Kept per (value, language): a list of 50 patients' explanations formats the same
    thresholds and values hundreds of times, and Babel parses its pattern on every call."""
    try:
        return format_decimal(value, locale=_LOCALES[resolve_lang(lang)])
    except (ArithmeticError, ValueError):
        return format_decimal(value, format="0.###E0", locale=_LOCALES[resolve_lang(lang)])


def format_day(day: date, lang: str = "nl") -> str:
    """A date as ``12-03-2026`` (nl) or ``12 Mar 2026`` (en)."""
    return format_date(day, _DATE_FORMATS[resolve_lang(lang)], locale=_LOCALES[resolve_lang(lang)])


def _join(parts: list[str], word: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def code_label(code: str, lang: Lang) -> str:
    kind = MEASUREMENTS[code]
    return kind.label_nl if lang == "nl" else kind.label_en


def with_unit(value: Number, code: str, lang: Lang) -> str:
    unit = MEASUREMENTS[code].unit
    number = format_number(value, lang)
    return f"{number} {unit}" if unit else number


def programme_name(code: str, lang: Lang, plain: bool = False) -> str:
    if plain:
        return _PLAIN_PROGRAMME_NAMES[lang].get(code, code)
    return _PROGRAMME_NAMES.get(lang, {}).get(code, code)


def describe(criterion: Criterion, lang: str = "nl", *, plain: bool = False) -> str:
    """Readable text, e.g. "BMI 25 of hoger en DM2 of CVRM" / "BMI 25 or higher and ...".

    ``plain`` is the patient's wording: programmes and activation levels in everyday words
    ("diabetes type 2" rather than "DM2").
    """
    text = describe_node(criterion, resolve_lang(lang), plain)
    return text[:1].upper() + text[1:]


def describe_node(node: Criterion, lang: Lang, plain: bool = False) -> str:
    t = {**TEXTS[lang], **_PLAIN_TEXT[lang]} if plain else TEXTS[lang]
    match node:
        case AllOf(items) | AnyOf(items):
            word = t["and"] if isinstance(node, AllOf) else t["or"]
            return _join([_describe_child(item, node, lang, plain) for item in items], word)
        case Not(item):
            return t["not"].format(inner=describe_node(item, lang, plain))
        case ProgrammeIn(programmes):
            names = _join([programme_name(p, lang, plain) for p in programmes], t["or"])
            return t["has"].format(programmes=names) if plain else names
        case MeasurementCompare(code, op, value, by_sex):
            if by_sex is None:
                shown = with_unit(value, code, lang)  # type: ignore[arg-type]
            else:
                limits = dict(by_sex)
                shown = t["by_sex"].format(
                    female=with_unit(limits["female"], code, lang),
                    male=with_unit(limits["male"], code, lang),
                )
            return t[op].format(label=code_label(code, lang), value=shown)
        case Smoking(status):
            return t[status]
        case AgeBetween(low, high):
            key = "age_min" if high is None else "age_max" if low is None else "age_range"
            return t[key].format(low=low, high=high)
        case ActivationLevelIn(levels):
            return t["levels"].format(levels=_join([str(v) for v in levels], t["or"]))
    raise TypeError(f"not a criterion: {node!r}")


def _describe_child(child: Criterion, parent: AllOf | AnyOf, lang: Lang, plain: bool) -> str:
    text = describe_node(child, lang, plain)
    # A group with the other connective needs brackets to keep its meaning.
    other = AnyOf if isinstance(parent, AllOf) else AllOf
    if isinstance(child, other) and len(child.items) > 1:
        return f"({text})"
    return text
