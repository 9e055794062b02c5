"""Request-level input limits, registered once for the whole app (see ``zelfzorg.inputs``):

* ``<int:...>`` in every route matches ASCII digits up to the database's integer range, so a
  larger id is a plain 404 instead of an overflow in the driver;
* request bodies are limited (``MAX_CONTENT_LENGTH``; 413 with a message);
* JSON bodies nested deeper than ``MAX_JSON_DEPTH`` are refused before parsing (the parser
  recurses), and JSON strings with control characters are refused;
* every query-string and form value (and key) with control characters is refused with 400
  before any view sees it: one filter for all forms, so NUL never reaches the database.
"""

from __future__ import annotations

from flask import Flask, Request, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from zelfzorg.errors import N_
from zelfzorg.inputs import DB_INT_MAX, bad_strings, has_control_characters, json_too_deep

E_JSON_DEPTH = N_("De JSON is te diep genest.")
E_CONTROL = N_(
    "Het formulier bevat onzichtbare tekens (zoals een nul-teken). Haal die weg en probeer "
    "het opnieuw. Er is niets opgeslagen."
)
E_TOO_LARGE = N_("Wat u stuurde is te groot. Er is niets opgeslagen.")


class InputRefused(BadRequest):
    """Bad input caught at the boundary; ``message`` is a Dutch msgid shown to the user."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    @classmethod
    def from_error(cls, error) -> InputRefused:
        """From a ``ValidationError`` of ``zelfzorg.inputs``."""
        return cls(error.message, **error.params)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>``: ASCII digits only (``\\d`` also matches other scripts), at most the
    largest id PostgreSQL's INTEGER holds."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedRequest(Request):
    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if force or self.is_json:
            if json_too_deep(self.get_data(cache=True)):
                raise InputRefused(E_JSON_DEPTH)
        data = super().get_json(force=force, silent=silent, cache=cache)
        if bad_strings(data):
            raise InputRefused(E_CONTROL)
        return data


def _has_control(multidict) -> bool:
    return any(
        has_control_characters(key) or has_control_characters(value)
        for key, value in multidict.items(multi=True)
    )


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered (routes bind their converters then)."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.request_class = BoundedRequest

    @app.before_request
    def _refuse_control_characters():
        if _has_control(request.args) or (
            request.method in ("POST", "PUT", "PATCH") and _has_control(request.form)
        ):
            raise InputRefused(E_CONTROL)
