"""Domain errors raised by services and translated by views.

Services never import Flask, so they cannot call ``gettext``. They raise these errors with a
Dutch source message marked by ``N_`` (for extraction) and its parameters; the view translates
``error.message`` with ``gettext(error.message, **error.params)`` in the user's language.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it (gettext_noop)."""
    return message


class DomainError(Exception):
    """A use case refused: the message is a Dutch msgid, params fill its placeholders."""

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.field = field


class ValidationError(DomainError):
    """Bad input: nothing was changed."""


class NotFound(DomainError):
    """The object does not exist (or must not be revealed to exist)."""


class Forbidden(DomainError):
    """The actor may not do this to this object."""


class Conflict(DomainError):
    """The object changed since the actor loaded it (optimistic locking)."""

    def __init__(self, message: str, *, current: object = None, **params: object) -> None:
        super().__init__(message, **params)
        self.current = current
