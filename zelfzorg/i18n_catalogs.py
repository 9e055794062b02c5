"""Translation catalogs: extract, check, update and compile (used by ``make`` and tests).

Source language is Dutch (msgids); each domain keeps its English catalog in
``zelfzorg/<domain>/translations/en/LC_MESSAGES/messages.po`` and everything else (the
foundation and ``templates/*.html``) in ``zelfzorg/translations``.
"""

from __future__ import annotations

import io
import os
import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from zelfzorg.config import ROOT

KEYWORDS = {
    "_": None,
    "gettext": None,
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "ngettext": (1, 2),
}
CORE = ROOT / "zelfzorg" / "translations"


def catalog_dir(path: Path) -> Path:
    rel = path.relative_to(ROOT)
    if rel.parts[0] in ("zelfzorg", "templates") and len(rel.parts) > 2:
        domain_dir = ROOT / "zelfzorg" / rel.parts[1] / "translations"
        if domain_dir.is_dir():
            return domain_dir
    return CORE


def sources() -> list[tuple[Path, str]]:
    files = [(p, "python") for p in sorted((ROOT / "zelfzorg").rglob("*.py"))]
    files += [(p, "jinja2.ext:babel_extract") for p in sorted((ROOT / "templates").rglob("*.html"))]
    return files


def extract() -> dict[Path, dict[str | tuple, list[str]]]:
    """msgid (or (singular, plural)) -> locations, per catalog directory."""
    found: dict[Path, dict] = defaultdict(lambda: defaultdict(list))
    for path, method in sources():
        options = {"extensions": "jinja2.ext.i18n"} if method != "python" else {}
        for lineno, message, _comments, _ctx in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            if isinstance(message, tuple):
                message = tuple(m for m in message if m)
                message = message[0] if len(message) == 1 else message
            if message:
                found[catalog_dir(path)][message].append(f"{path.relative_to(ROOT)}:{lineno}")
    return found


def po_path(directory: Path, locale: str = "en") -> Path:
    return directory / locale / "LC_MESSAGES" / "messages.po"


def load(directory: Path, locale: str = "en") -> Catalog:
    path = po_path(directory, locale)
    if not path.exists():
        return Catalog(locale=locale)
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def missing() -> list[tuple[str, str]]:
    """(msgid, location) pairs without an English translation in any catalog."""
    translated: set[str] = set()
    for directory in {CORE, *(p for p in (ROOT / "zelfzorg").glob("*/translations"))}:
        for message in load(directory):
            if (
                message.id
                and message.string
                and all(message.string if isinstance(message.string, tuple) else [message.string])
            ):
                translated.add(message.id if isinstance(message.id, str) else message.id[0])
    result = []
    for _directory, messages in extract().items():
        for msgid, locations in messages.items():
            key = msgid if isinstance(msgid, str) else msgid[0]
            if key not in translated:
                result.append((key, locations[0]))
    return sorted(result)


def update() -> int:
    """Add untranslated msgids to their catalog (empty msgstr) for a translator to fill."""
    added = 0
    for directory, messages in extract().items():
        catalog = load(directory)
        for msgid, locations in messages.items():
            if catalog.get(msgid) is None:
                catalog.add(
                    msgid,
                    string=("", "") if isinstance(msgid, tuple) else "",
                    locations=[
                        (loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1])) for loc in locations[:1]
                    ],
                )
                added += 1
        path = po_path(directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, omit_header=False)
        # Babel >= 2.17 writes "charset=utf-8"; keep the header the catalogs always had.
        path.write_bytes(buffer.getvalue().replace(b"charset=utf-8", b"charset=UTF-8"))
    return added


def compile_all() -> int:
    count = 0
    for po in sorted(ROOT.glob("zelfzorg/**/translations/*/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        # Written next to the target and renamed, so a test run in another process (the
        # SQLite and PostgreSQL suites run side by side) never reads a half-written catalog.
        mo = po.with_suffix(".mo")
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")
        with partial.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(partial, mo)
        count += 1
    return count


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "compile":
        print(f"compiled {compile_all()} catalogs")
    elif command == "update":
        print(f"added {update()} messages")
    else:
        gaps = missing()
        for msgid, location in gaps:
            print(f"{location}: {msgid!r}")
        print(f"{len(gaps)} messages without an English translation")
        sys.exit(1 if gaps else 0)
