"""What a page must not show a user: raw codes, class names, ISO timestamps, decimal points in
Dutch, Dutch messages left untranslated in English. Only visible text is read (text nodes and
the labels a screen reader speaks), never ``<code>``, ``<pre>``, text areas or elements
of class "code" or "syntax" (identifiers shown as such: an API scope, the criteria syntax),
URLs, ``value``s or ``datetime`` attributes.

The forbidden words are derived from the code: every ``Enum`` value and ``Literal`` status of
the ``zelfzorg`` packages, every model class name in the metadata, every Dutch msgid.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
import typing
from functools import cache
from html.parser import HTMLParser

from sqlmodel import SQLModel

import zelfzorg
from zelfzorg.i18n_catalogs import CORE, ROOT, load

ISO_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
# 61.5, 7.33, 100.0 - but not 6.000 (a thousands group), 1.2.3 or 127.0.0.1, "versie 1.0",
# nor a section number of a contract ("artikel 2.1", "(2.1)", a cell "2.2").
DECIMAL_POINT = re.compile(
    r"(?<![\w.])(?<!versie )(?<!version )(?<!artikel )(?<!\()\d+\.(?!\d{3}(?![\d.]))\d+(?![\d.])"
)
SECTION = re.compile(r"\d\.\d")
# Month-first dates and twelve-hour times (Babel's "en", not the "en_GB" the app writes).
US_FORMAT = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b(?!/)|\b\d{1,2}:\d{2}\s?[AP]M\b")
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
# Enum values that are ordinary Dutch words or written the same in Dutch (shown as is).
DUTCH_WORDS = {
    "astma",
    "hartfalen",
    "hoofdbehandelaar",
    "contactpersoon",
    "DM2",
    "COPD",
    "CVRM",
    "open",
    "telemonitoring",
    "coaching",
    "ehealth",
    "man",
    "mean",
    "en",
    "met",
    "week",
    "export",
}
# Model class names that are also Dutch words.
DUTCH_NAMES = {"Contract"}


def _modules():
    for info in pkgutil.walk_packages(zelfzorg.__path__, "zelfzorg."):
        if ".translations" in info.name or info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def code_words() -> frozenset[str]:
    """Every Enum value and every string of a module-level ``Literal`` alias in zelfzorg."""
    words: set[str] = set()
    modules = list(_modules())
    for cls in _subclasses(enum.Enum):
        if cls.__module__.startswith("zelfzorg."):
            words |= {m.value for m in cls if isinstance(m.value, str)}
    for module in modules:
        for value in vars(module).values():
            if typing.get_origin(value) is typing.Literal:
                words |= {a for a in typing.get_args(value) if isinstance(a, str)}
    # Comparators and one-letter codes are not words a reader could mistake.
    return frozenset(w for w in words if re.fullmatch(r"[A-Za-z][\w-]+", w))


@cache
def dutch_units() -> re.Pattern[str]:
    """A number with a unit written in Dutch ("6.000 stappen"): on an English page the
    unit is English too ("6,000 steps"). The units come from the measurement types."""
    from zelfzorg.izp.targets import MEASUREMENT_TYPES

    units = {
        kind.display_unit
        for kind in MEASUREMENT_TYPES.values()
        if kind.display_units[-1] != kind.display_unit
    }
    words = "|".join(map(re.escape, sorted(units)))
    return re.compile(rf"\d\s+(?:{words})\b")


@cache
def class_names() -> frozenset[str]:
    from zelfzorg.models_registry import import_all_models

    import_all_models()
    return frozenset(
        m.class_.__name__
        for m in SQLModel._sa_registry.mappers  # noqa: SLF001 - the metadata's own list
    )


@cache
def dutch_msgids() -> frozenset[str]:
    """Dutch messages whose English differs: seen verbatim on an English page, untranslated."""
    ids = set()
    for directory in {CORE, *(ROOT / "zelfzorg").glob("*/translations")}:
        for message in load(directory):
            if isinstance(message.id, str) and message.string and message.string != message.id:
                # One word ("Patiënt") may be data someone typed; sentences are the app's.
                if " " in message.id.strip() and "%(" not in message.id:
                    ids.add(message.id)
    return frozenset(ids)


SKIPPED_TAGS = {"script", "style", "template", "code", "pre", "textarea"}
# Shown as code on purpose: an API scope, the criteria syntax an administrator types.
SKIPPED_CLASSES = {"code", "syntax"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# Not words: e-mail addresses, web addresses, SMART scopes such as patient/*.read.
NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|\w+/\*\.\w+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        skip = (
            self._skipping()
            or tag in SKIPPED_TAGS
            or bool(SKIPPED_CLASSES & set(a.get("class", "").split()))
        )
        if not skip:
            self.chunks += [a[name] for name in SPOKEN_ATTRIBUTES if a.get(name)]
        if tag not in VOID:
            self._stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.chunks


def problems(html: str, lang: str, names_in_data: tuple[str, ...] = ()) -> list[str]:
    """What is wrong on one page, each as a short quote. ``names_in_data`` (people's names
    such as the factories' "Patient 2") are data, not codes, and are left out."""
    return text_problems(visible_text(html), lang, names_in_data)


def text_problems(chunks: list[str], lang: str, names_in_data: tuple[str, ...] = ()) -> list[str]:
    """The same checks on text that is no HTML: the lines of a PDF, the cells of a CSV."""
    found = []
    if lang == "nl":
        words, names = code_words() - DUTCH_WORDS, class_names() - DUTCH_NAMES
    else:  # English words such as "read" or "Patient" are fine in running English text
        words = {w for w in code_words() if "_" in w or "-" in w}
        names = {n for n in class_names() if len(re.findall("[A-Z]", n)) > 1}
    msgids = dutch_msgids() if lang == "en" else frozenset()
    for chunk in chunks:
        for name in names_in_data:
            chunk = chunk.replace(name, "")
        chunk = NOT_WORDS.sub(" ", chunk)
        for token in re.findall(r"[A-Za-z][\w-]*", chunk):
            if token in names:
                found.append(f"class name {token!r} in {chunk!r}")
            elif token in words:
                found.append(f"code {token!r} in {chunk!r}")
        if m := ISO_TIMESTAMP.search(chunk):
            found.append(f"ISO date {m.group(0)!r} in {chunk!r}")
        if lang == "nl" and not SECTION.fullmatch(chunk) and (m := DECIMAL_POINT.search(chunk)):
            found.append(f"decimal point {m.group(0)!r} in {chunk!r}")
        if lang == "en" and (m := dutch_units().search(chunk)):
            found.append(f"Dutch unit {m.group(0)!r} in {chunk!r}")
        if m := US_FORMAT.search(chunk):
            found.append(f"US date or time {m.group(0)!r} in {chunk!r}")
        if chunk in msgids:
            found.append(f"untranslated {chunk!r}")
    return found
