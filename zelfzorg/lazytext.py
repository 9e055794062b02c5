"""Texts translated when shown (form labels, choice and enum labels): Flask-Babel's
``lazy_gettext``, read through the request's catalog (``zelfzorg.web.fast_gettext``) instead of
Flask-Babel's ``gettext``, which looks the request's domain and catalog up again for each
text (a page shows a few dozen of these). Same result: the app's one message domain, the
reader's language, the message itself outside a request."""

from __future__ import annotations

from flask_babel.speaklater import LazyString


def _translated(message: str, **variables) -> str:
    from zelfzorg.web import fast_gettext  # the web layer imports the forms that use this

    return fast_gettext(message, **variables)


def lazy_gettext(message: str, **variables) -> LazyString:
    return LazyString(_translated, message, **variables)
