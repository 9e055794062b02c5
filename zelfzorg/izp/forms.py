"""Care plan forms. Text rules (length, required, dates) live in the services, so a form only
parses; the services' messages are attached to the fields by the views."""

from __future__ import annotations

import secrets

from flask_babel import LazyString, get_locale
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from zelfzorg.formfields import DateField, Form, IdField
from zelfzorg.izp.models import AgreementStatus, SelfManagementModule
from zelfzorg.izp.pdca import (
    AchievementStatus,
    Comparator,
    GoalDomain,
    GoalLifecycle,
    ReviewDecision,
)
from zelfzorg.izp.targets import MEASUREMENT_TYPES, TargetType
from zelfzorg.lazytext import lazy_gettext as _l
from zelfzorg.patients.forms import PROGRAMME_LABELS

MODULE_LABELS = {
    SelfManagementModule.education: _l("Voorlichting en scholing"),
    SelfManagementModule.coaching: _l("Coaching bij gezond leven"),
    SelfManagementModule.telemonitoring: _l("Thuismetingen (telemonitoring)"),
    SelfManagementModule.ehealth: _l("eHealth (online programma)"),
}


def _type_label(kind: TargetType) -> LazyString:
    """The catalogue name in the language of the request that renders the form."""
    return LazyString(lambda: kind.label(str(get_locale() or "nl")))


def new_token() -> str:
    return secrets.token_urlsafe(16)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _programme_choices():
    return [(p.value, label) for p, label in PROGRAMME_LABELS.items()]


def _enum_choices(enum, empty=None):
    from zelfzorg.lazytext import lazy_gettext

    choices = [("", empty)] if empty is not None else []
    return choices + [(m.value, lazy_gettext(m.label)) for m in enum]


class VersionedForm(Form):
    version = IdField()

    def version_number(self) -> int:
        return self.version.number or 0


class PlanForm(VersionedForm):
    what_matters = TextAreaField(_l("Wat voor de patiënt belangrijk is (eigen woorden)"))
    life_goals = TextAreaField(_l("Levensdoelen"))
    support_needs = TextAreaField(_l("Wat voor steun nodig is"))
    modules = MultiCheckboxField(
        _l("Zelfmanagement: wat gebruikt de patiënt?"),
        choices=[(m.value, label) for m, label in MODULE_LABELS.items()],
        validate_choice=False,
    )
    next_review_date = DateField(_l("Volgende evaluatie van het plan"), validators=[Optional()])
    conditions = MultiCheckboxField(
        _l("Aandoeningen waar dit plan over gaat"),
        choices=_programme_choices(),
        validate_choice=False,
    )


AGREEMENT_STATUS_LABELS = {
    AgreementStatus.open: _l("Nog te doen"),
    AgreementStatus.done: _l("Gedaan"),
    AgreementStatus.cancelled: _l("Vervallen"),
}


class AgreementForm(VersionedForm):
    what = StringField(_l("Wat is afgesproken?"))
    who = StringField(_l("Wie doet het?"))
    due_date = DateField(_l("Wanneer (uiterlijk)? (niet verplicht)"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[(s.value, label) for s, label in AGREEMENT_STATUS_LABELS.items()],
        validate_choice=False,
    )


class AgreementDoneForm(Form):
    done = HiddenField(default="1")


class PatientPlanForm(VersionedForm):
    what_matters = TextAreaField(_l("Wat is voor mij belangrijk?"))
    life_goals = TextAreaField(_l("Wat wil ik graag (blijven) doen in mijn leven?"))


class GoalForm(VersionedForm):
    title = StringField(_l("Doel in eigen woorden"))
    domain = SelectField(
        _l("Gebied"),
        choices=_enum_choices(GoalDomain, _l("Kies een gebied")),
        validate_choice=False,
    )
    programmes = MultiCheckboxField(
        _l("Bij welke aandoening hoort dit doel?"),
        choices=_programme_choices(),
        validate_choice=False,
    )
    target_type = SelectField(
        _l("Meetbaar doel: wat meten we? (niet verplicht)"),
        choices=[("", _l("Geen meetbaar doel"))]
        + [(code, _type_label(kind)) for code, kind in MEASUREMENT_TYPES.items()],
        validate_choice=False,
    )
    target_comparator = SelectField(
        _l("Streefwaarde"), choices=_enum_choices(Comparator, _l("Kies")), validate_choice=False
    )
    target_value = StringField(_l("Waarde"))
    target_unit = StringField(_l("Eenheid"))
    due_date = DateField(_l("Wanneer wilt u het doel gehaald hebben?"), validators=[Optional()])
    review_date = DateField(_l("Datum van de evaluatie"), validators=[Optional()])
    lifecycle = SelectField(
        _l("Status"), choices=_enum_choices(GoalLifecycle), validate_choice=False
    )


class PatientGoalForm(VersionedForm):
    title = StringField(_l("Mijn doel, in mijn eigen woorden"))
    domain = SelectField(
        _l("Gebied"),
        choices=_enum_choices(GoalDomain, _l("Kies een gebied")),
        validate_choice=False,
    )
    programmes = MultiCheckboxField(
        _l("Bij welke aandoening hoort dit doel? (niet verplicht)"),
        choices=_programme_choices(),
        validate_choice=False,
    )


class ActionForm(Form):
    what = StringField(_l("Wat gaat u doen?"))
    who = StringField(_l("Wie doet het?"))
    how_often = StringField(_l("Hoe vaak?"))


class LogForm(Form):
    done_on = DateField(_l("Wanneer?"), validators=[InputRequired()])
    note = StringField(_l("Opmerking (niet verplicht)"))
    token = HiddenField(default=new_token)


class PrepareForm(Form):
    score = RadioField(
        _l("Hoe gaat het met dit doel? (1 = helemaal niet goed, 5 = heel goed)"),
        choices=[(str(i), str(i)) for i in range(1, 6)],
        validate_choice=False,
    )
    helped = TextAreaField(_l("Wat hielp?"))
    hard = TextAreaField(_l("Wat was moeilijk?"))
    token = HiddenField(default=new_token)


class ReviewForm(Form):
    professional_view = TextAreaField(_l("Uw beoordeling als zorgverlener"))
    achievement = SelectField(
        _l("Hoe gaat het met het doel?"),
        choices=_enum_choices(AchievementStatus, _l("Kies hoe het gaat")),
        validate_choice=False,
    )
    decision = RadioField(
        _l("Besluit"), choices=_enum_choices(ReviewDecision), validate_choice=False
    )
    # The hint under the field says what an empty field saves (the patient's interval).
    next_review = DateField(_l("Volgende evaluatie"), validators=[Optional()])
    token = HiddenField(default=new_token)


class HistoryForm(Form):
    class Meta:
        csrf = False  # a GET view changes nothing

    datum = DateField(_l("Plan bekijken zoals het was op"), validators=[Optional()])
