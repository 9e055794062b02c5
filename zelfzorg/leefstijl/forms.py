"""Forms of the lifestyle pages; outcome fields are built from ``OUTCOME_FIELDS``."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.patients.forms import PROGRAMME_LABELS

CRITERIA_HINT = _l(
    'Voorwaarden als JSON. Soorten: all, any, not, programme_in (bijv. ["DM2", "CVRM"]), '
    'measurement met op en value (bijv. {"measurement": "bmi", "op": ">=", "value": 25}) of '
    "value_by_sex, smoking (current, former of never), age_between ([18, 75]) en "
    "activation_level_in ([1, 2])."
)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InterventionForm(FlaskForm):
    care_group_id = SelectField(_l("Zorggroep"), coerce=int)
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Soort"))
    provider = StringField(_l("Aanbieder"), validators=[Optional(), Length(max=200)])
    internet_based = BooleanField(_l("Via internet (online)"))
    zorgstandaard_conform = BooleanField(_l("Volgens de zorgstandaard"))
    insured = BooleanField(_l("Vergoed door de basisverzekering"))
    programmes = MultiCheckboxField(
        _l("Hoort bij zorgprogramma's"),
        choices=[(p.value, label) for p, label in PROGRAMME_LABELS.items()],
        validate_choice=False,  # the service refuses unknown codes with its own message
    )
    description_nl = TextAreaField(
        _l("Uitleg voor de patiënt (Nederlands)"), validators=[DataRequired()]
    )
    description_en = TextAreaField(_l("Uitleg voor de patiënt (Engels)"))
    criteria = TextAreaField(_l("Voorwaarden om mee te doen"), validators=[DataRequired()])
    active = BooleanField(_l("Actief (zichtbaar in het aanbod)"), default=True)
    version = HiddenField()


class ReferralForm(FlaskForm):
    intervention_id = SelectField(_l("Interventie"), coerce=int)
    goal_id = SelectField(
        _l("Hoort bij doel uit het zorgplan (optioneel)"), coerce=int, validate_choice=False
    )
    note = TextAreaField(_l("Toelichting (optioneel)"), validators=[Optional(), Length(max=1000)])


class TransitionForm(FlaskForm):
    to_state = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[Optional()])
    note = TextAreaField(_l("Toelichting (optioneel)"), validators=[Optional(), Length(max=1000)])


class OutcomeForm(FlaskForm):
    """CSRF, version and note; the outcome inputs themselves depend on the kind."""

    version = IntegerField(validators=[Optional()])
    note = TextAreaField(
        _l("Toelichting bij de statuswijziging (optioneel)"),
        validators=[Optional(), Length(max=1000)],
    )


def outcome_from_form(kind: str, form: Mapping[str, str]) -> dict[str, object]:
    """Typed outcome values from the posted strings; odd input is passed on unchanged so
    ``validate_outcome`` refuses it with its own message."""
    data: dict[str, object] = {}
    for spec in rs.OUTCOME_FIELDS.get(kind, ()):
        raw = (form.get(f"outcome_{spec.key}") or "").strip()
        if not raw:
            continue
        if spec.type == "yes_no":
            data[spec.key] = {"ja": True, "nee": False}.get(raw, raw)
        elif spec.type in ("integer", "rating"):
            data[spec.key] = int(raw) if raw.lstrip("-").isdigit() else raw
        elif spec.type == "number":
            try:
                data[spec.key] = float(raw.replace(",", "."))
            except ValueError:
                data[spec.key] = raw
        else:
            data[spec.key] = raw
    return data
