"""Forms: the answer pages are built from the instrument, so the form only carries CSRF and
the page number; answers are read per item code and validated by the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField

ACTIONS = {"previous", "next", "save", "submit"}
TREND_LABELS = {
    "up": _l("hoger dan de vorige keer"),
    "down": _l("lager dan de vorige keer"),
    "same": _l("gelijk aan de vorige keer"),
}
FILLED_BY_LABELS = {
    "patient": _l("de patiënt"),
    "professional": _l("een zorgverlener"),
}


class ActionForm(FlaskForm):
    """A button that changes something (start, discard): CSRF only."""


class AnswerPageForm(FlaskForm):
    page = HiddenField()
