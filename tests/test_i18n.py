"""Translations: every Dutch message has English, placeholders survive, the switch works."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from zelfzorg.i18n_catalogs import CORE, ROOT, load, missing

# Named Python-format placeholders, e.g. %(name)s, %(num)d, %(value).1f.
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def catalog_dirs():
    return [CORE, *sorted(p for p in (ROOT / "zelfzorg").glob("*/translations") if p.is_dir())]


def placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text))


def test_every_extracted_message_has_an_english_translation():
    gaps = missing()
    assert not gaps, (
        "messages without English (run `python -m zelfzorg.i18n_catalogs update`):\n"
        + ("\n".join(f"  {location}: {msgid!r}" for msgid, location in gaps))
    )


@pytest.mark.parametrize(
    "directory", catalog_dirs(), ids=lambda d: str(d.relative_to(ROOT)).replace("/", ".")
)
def test_translations_keep_the_placeholders_of_their_msgid(directory):
    wrong = []
    for message in load(directory):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, str):
            pairs = [(message.id, message.string)]
        else:  # plural: msgstr[0] follows the singular, the other forms the plural
            ids = list(message.id)
            pairs = [(ids[min(i, len(ids) - 1)], s) for i, s in enumerate(message.string)]
        for msgid, msgstr in pairs:
            if msgstr and placeholders(msgid) != placeholders(msgstr):
                wrong.append(f"  {msgid!r} -> {msgstr!r}")
    assert not wrong, f"placeholders differ in {directory.relative_to(ROOT)}:\n" + "\n".join(wrong)


def test_plural_translations_fill_every_form():
    empty = [
        message.id
        for directory in catalog_dirs()
        for message in load(directory)
        if isinstance(message.id, tuple | list) and not all(message.string or ())
    ]
    assert not empty, f"plural messages with an empty form: {empty}"


def test_login_page_is_dutch_by_default_and_english_after_the_switch(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "<h1>Inloggen</h1>" in page and "E-mailadres" in page

    token = CSRF.search(page).group(1)
    response = client.post(
        "/taal", data={"lang": "en", "next": "/login", "csrf_token": token}, follow_redirects=True
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "<h1>Log in</h1>" in page and "Email address" in page and "Password" in page
    assert "Inloggen" not in page and "Wachtwoord" not in page
    assert 'lang="nl">Nederlands</button>' in page  # the way back, marked as Dutch

    # The choice sticks for the session.
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
