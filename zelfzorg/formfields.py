"""WTForms fields on the input boundary (``zelfzorg.inputs``), shared by every domain's forms.

Control characters are refused for all forms at once by ``zelfzorg.boundary``; these fields
add the typed rules: a date inside 1900-2100 and an id or version the database can hold.
"""

from __future__ import annotations

from flask_babel import gettext
from wtforms import DateField as _DateField
from wtforms import HiddenField
from wtforms.validators import StopValidation

from zelfzorg.errors import ValidationError
from zelfzorg.inputs import check_date, parse_id
from zelfzorg.texts import localize_params


class DateField(_DateField):
    """A date the rest of the app can compute with: not before 1900, not after 2100 (a year
    like 9999 overflows date arithmetic; 0001 is a typing error)."""

    def pre_validate(self, form) -> None:
        super().pre_validate(form)
        try:
            check_date(self.data)
        except ValidationError as error:
            from flask_babel import get_locale

            params = localize_params(error.params, str(get_locale() or "nl"))
            raise StopValidation(gettext(error.message, **params)) from None


class IdField(HiddenField):
    """A hidden id or version number; ``number`` is None when it is missing or out of the
    database's range (the view treats that as a stale or unknown object)."""

    @property
    def number(self) -> int | None:
        return parse_id(self.data)
