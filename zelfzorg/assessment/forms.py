"""Forms: the answer pages are built from the instrument, so the form only carries CSRF and
the page number; answers are read per item code and validated by the service."""

from __future__ import annotations

from wtforms import HiddenField

from zelfzorg.formfields import Form
from zelfzorg.lazytext import lazy_gettext as _l

ACTIONS = {"previous", "next", "save", "submit"}
TREND_LABELS = {
    "up": _l("hoger dan de vorige keer"),
    "down": _l("lager dan de vorige keer"),
    "same": _l("gelijk aan de vorige keer"),
}
# What each questionnaire is for, in plain words for the patient (the titles keep the names
# of the instruments, such as SEMCD-6, that professionals know them by).
INSTRUMENT_ABOUT = {
    "activation": _l(
        "Over hoe goed u uw gezondheid zelf kunt regelen. Dit heet ook zelfmanagement. "
        "De uitslag helpt uw zorgverlener de steun te kiezen die bij u past."
    ),
    "semcd6": _l(
        "Zes vragen over hoeveel vertrouwen u heeft dat u met uw aandoening kunt omgaan. "
        "SEMCD-6 is de naam van deze vragenlijst (een Engelse afkorting)."
    ),
    "sdm_experience": _l(
        "Drie korte vragen over hoe het gesprek over uw zorgplan ging: kon u meebeslissen?"
    ),
}
FILLED_BY_LABELS = {
    "patient": _l("de patiënt"),
    "professional": _l("een zorgverlener"),
}


class ActionForm(Form):
    """A button that changes something (start, discard): CSRF only."""


class AnswerPageForm(Form):
    page = HiddenField()
