"""WTForms fields on the input boundary (``zelfzorg.inputs``), shared by every domain's forms.

Control characters are refused for all forms at once by ``zelfzorg.boundary``; these fields
add the typed rules: a date inside 1900-2100 and an id or version the database can hold.
"""

from __future__ import annotations

from babel import support
from flask import current_app, flash
from flask_babel import get_locale, gettext
from flask_wtf import FlaskForm
from wtforms import DateField as _DateField
from wtforms import HiddenField
from wtforms.validators import StopValidation

from zelfzorg.errors import N_, ValidationError
from zelfzorg.inputs import E_DATE, check_date, parse_id
from zelfzorg.texts import localize_params

_WTFORMS_CATALOGS: dict[str, support.Translations] = {}


def wtforms_catalog(locale) -> support.Translations:
    """WTForms' own messages ("This field is required.") in ``locale``, read once per process
    and language (Flask-WTF reads the catalog file again for every request)."""
    key = str(locale)
    found = _WTFORMS_CATALOGS.get(key)
    if found is None:
        from wtforms.i18n import messages_path

        found = support.Translations.load(messages_path(), [locale], domain="wtforms")
        _WTFORMS_CATALOGS[key] = found
    return found


class Form(FlaskForm):
    """The base of every form: Flask-WTF (CSRF included) with WTForms' messages from the
    process's catalog of the reader's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            locale = get_locale()
            return wtforms_catalog(locale) if locale is not None else None


class DateField(_DateField):
    """A date the rest of the app can compute with: not before 1900, not after 2100 (a year
    like 9999 overflows date arithmetic; 0001 is a typing error)."""

    def process_formdata(self, valuelist) -> None:
        # strptime reads other scripts' digits too ("٢٠٢٤-٠١-٠١"); people type ASCII.
        if valuelist and not " ".join(valuelist).isascii():
            self.data = None
            raise ValueError(gettext(E_DATE))
        super().process_formdata(valuelist)

    def pre_validate(self, form) -> None:
        super().pre_validate(form)
        try:
            check_date(self.data)
        except ValidationError as error:
            from flask_babel import get_locale

            params = localize_params(error.params, str(get_locale() or "nl"))
            raise StopValidation(gettext(error.message, **params)) from None


E_ID = N_("Vul een geldig nummer in.")
E_STALE = N_("Dit formulier hoort bij een onbekende versie. Laad de pagina opnieuw.")


def coerce_id(value: object) -> int:
    """``coerce`` for select fields of ids: ASCII digits in the database's range only
    (``int()`` also reads "٣" and numbers no column can hold)."""
    number = parse_id(value)
    if number is None:
        raise ValueError(gettext(E_ID))
    return number


class IdField(HiddenField):
    """A hidden id or version number. Empty is allowed (``number`` is None); anything else
    must be an id the database can hold, or the form is refused. A hidden field has no
    place on the page for its error, so the message is flashed too."""

    @property
    def number(self) -> int | None:
        return parse_id(self.data)

    def pre_validate(self, form) -> None:
        if (self.data or "") != "" and self.number is None:
            message = gettext(E_STALE)
            flash(message, "error")
            raise StopValidation(message)
