from wtforms import HiddenField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from zelfzorg.formfields import DateField, Form
from zelfzorg.lazytext import lazy_gettext as _l

COMPARATOR_CHOICES = [
    ("<", _l("lager dan (<)")),
    ("<=", _l("hoogstens (≤)")),
    (">", _l("hoger dan (>)")),
    (">=", _l("minstens (≥)")),
    ("between", _l("tussen")),
]
PERIODS = {"week": 7, "maand": 31, "jaar": 365, "5jaar": 1827}
PERIOD_LABELS = {
    "week": _l("Week"),
    "maand": _l("Maand"),
    "jaar": _l("Jaar"),
    "5jaar": _l("5 jaar"),
}


class EntryForm(Form):
    """Date, time and note; the values come per type from the request (see the template)."""

    date = DateField(_l("Datum"), validators=[DataRequired()])
    time = TimeField(_l("Tijd"), validators=[DataRequired()])
    note = TextAreaField(_l("Opmerking (optioneel)"), validators=[Optional(), Length(max=500)])


class CorrectionForm(Form):
    value = StringField(_l("Juiste waarde"), validators=[DataRequired(), Length(max=40)])
    date = DateField(_l("Datum"), validators=[DataRequired()])
    time = TimeField(_l("Tijd"), validators=[DataRequired()])
    note = TextAreaField(_l("Waarom corrigeert u deze meting?"), validators=[Length(max=500)])


class TargetForm(Form):
    type_code = SelectField(_l("Meting"))
    comparator = SelectField(_l("Streefdoel"), choices=COMPARATOR_CHOICES)
    low = StringField(_l("Ondergrens"), validators=[Optional(), Length(max=20)])
    high = StringField(_l("Bovengrens"), validators=[Optional(), Length(max=20)])


class EndTargetForm(Form):
    type_code = HiddenField(validators=[DataRequired()])


class AcknowledgeForm(Form):
    note = TextAreaField(_l("Wat heeft u gedaan?"), validators=[Length(max=1000)])


class DeviceTokenForm(Form):
    label = StringField(
        _l("Naam van het apparaat (bijv. bloeddrukmeter)"), validators=[Length(max=100)]
    )


class EmptyForm(Form):
    """Only the CSRF token (revoke buttons)."""
