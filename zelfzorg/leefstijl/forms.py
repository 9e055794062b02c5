"""Forms of the lifestyle pages; outcome fields are built from ``OUTCOME_FIELDS``."""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from zelfzorg.errors import ValidationError as DomainValidationError
from zelfzorg.formfields import IdField, coerce_id
from zelfzorg.inputs import is_plain_number, json_too_deep, parse_number
from zelfzorg.lazytext import lazy_gettext as _l
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.patients.forms import PROGRAMME_LABELS

CRITERIA_HINT = _l(
    'Voorwaarden als JSON. Soorten: all, any, not, programme_in (bijv. ["DM2", "CVRM"]), '
    'measurement met op en value (bijv. {"measurement": "bmi", "op": ">=", "value": 25}) of '
    "value_by_sex, smoking (current, former of never), age_between ([18, 75]) en "
    "activation_level_in ([1, 2])."
)


def _numbers(data: object):
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            yield from _numbers(item)
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield data


def criteria_bounds(_form, field) -> None:
    """Depth and numbers the criteria code can handle; the grammar is checked by the
    service. A deep text would make the JSON parser recurse, a huge number break formatting."""
    text = field.data or ""
    if json_too_deep(text):
        raise FieldError(_l("De voorwaarden zijn te diep genest."))
    try:
        data = json.loads(text)
    except ValueError:
        return  # the service names the line and column
    if not all(is_plain_number(n) for n in _numbers(data)):
        raise FieldError(_l("Een getal in de voorwaarden is te groot (hoogstens 1.000.000.000)."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InterventionForm(FlaskForm):
    care_group_id = SelectField(_l("Zorggroep"), coerce=coerce_id)
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
    criteria = TextAreaField(
        _l("Voorwaarden om mee te doen"), validators=[DataRequired(), criteria_bounds]
    )
    active = BooleanField(_l("Actief (zichtbaar in het aanbod)"), default=True)
    version = IdField()


class ReferralForm(FlaskForm):
    intervention_id = SelectField(_l("Interventie"), coerce=coerce_id)
    goal_id = SelectField(
        _l("Hoort bij doel uit het zorgplan (optioneel)"), coerce=coerce_id, validate_choice=False
    )
    note = TextAreaField(_l("Toelichting (optioneel)"), validators=[Optional(), Length(max=1000)])


class TransitionForm(FlaskForm):
    to_state = HiddenField(validators=[DataRequired()])
    version = IdField()
    note = TextAreaField(_l("Toelichting (optioneel)"), validators=[Optional(), Length(max=1000)])


class OutcomeForm(FlaskForm):
    """CSRF, version and note; the outcome inputs themselves depend on the kind."""

    version = IdField()
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
            digits = raw[1:] if raw.startswith("-") else raw
            data[spec.key] = int(raw) if digits.isascii() and digits.isdigit() else raw
        elif spec.type == "number":
            try:
                data[spec.key] = parse_number(raw)
            except DomainValidationError:
                data[spec.key] = raw
        else:
            data[spec.key] = raw
    return data
