from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from zelfzorg import labels
from zelfzorg.accounts.models import Discipline, Role
from zelfzorg.formfields import Form, IdField, coerce_id
from zelfzorg.lazytext import lazy_gettext as _l


class LoginForm(Form):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(), Length(max=200)])


class TotpForm(Form):
    code = StringField(
        _l("Code uit uw authenticator-app"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class ActivateForm(Form):
    code = StringField(
        _l("Activatiecode"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Kies een wachtwoord (minstens 10 tekens)"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class CareGroupForm(Form):
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])


class PracticeForm(Form):
    care_group_id = SelectField(_l("Zorggroep"), coerce=coerce_id)
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    city = StringField(_l("Plaats"), validators=[Optional(), Length(max=100)])
    agb_code = StringField(_l("AGB-code (8 cijfers)"), validators=[Optional(), Length(max=8)])
    phone = StringField(
        _l("Telefoonnummer voor patiënten"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )


class PracticeEditForm(Form):
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    city = StringField(_l("Plaats"), validators=[Optional(), Length(max=100)])
    agb_code = StringField(_l("AGB-code (8 cijfers)"), validators=[Optional(), Length(max=8)])
    phone = StringField(
        _l("Telefoonnummer voor patiënten"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    version = IdField()


class MembershipForm(Form):
    practice_id = SelectField(
        _l("Praktijk"),
        coerce=coerce_id,
        validate_choice=False,  # the service checks the practice and says why
    )


# The words come from the one registry (zelfzorg/labels.py).
ROLE_LABELS = {r: _l(labels.ROLES[r.value]) for r in Role}  # noqa: INT001
DISCIPLINE_LABELS = {d: _l(labels.DISCIPLINES[d.value]) for d in Discipline}  # noqa: INT001


class UserForm(Form):
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        _l("Rol"),
        choices=[
            (r.value, ROLE_LABELS[r]) for r in (Role.professional, Role.caregroup, Role.admin)
        ],
    )
    discipline = SelectField(
        _l("Discipline (zorgverlener)"),
        choices=[("", "—")] + [(d.value, lbl) for d, lbl in DISCIPLINE_LABELS.items()],
    )
    practice_id = SelectField(_l("Praktijk (zorgverlener)"), coerce=coerce_id)
    care_group_id = SelectField(_l("Zorggroep (zorggroepmedewerker)"), coerce=coerce_id)
    password = PasswordField(
        _l("Tijdelijk wachtwoord (minstens 10 tekens)"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApiTokenForm(Form):
    label = StringField(
        _l("Naam van het token (bijv. de app)"), validators=[DataRequired(), Length(max=100)]
    )
    scopes = MultiCheckboxField(_l("Bevoegdheden"))
    days = IntegerField(
        _l("Geldig (dagen)"), default=90, validators=[DataRequired(), NumberRange(1, 365)]
    )


class RevokeForm(Form):
    """CSRF protection for revoking an API token (the token id is in the URL)."""


class UserEditForm(Form):
    """An administrator corrects a staff account (the password stays the user's own)."""

    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        _l("Rol"),
        choices=[
            (r.value, ROLE_LABELS[r]) for r in (Role.professional, Role.caregroup, Role.admin)
        ],
        validate_choice=False,  # the service checks the role and says why
    )
    discipline = SelectField(
        _l("Discipline (zorgverlener)"),
        choices=[("", "—")] + [(d.value, lbl) for d, lbl in DISCIPLINE_LABELS.items()],
        validate_choice=False,
    )
    practice_id = SelectField(
        _l("Praktijk (zorgverlener)"), coerce=coerce_id, validate_choice=False
    )
    care_group_id = SelectField(
        _l("Zorggroep (zorggroepmedewerker)"), coerce=coerce_id, validate_choice=False
    )
    version = IdField()


class ConfirmForm(Form):
    """CSRF protection for a one-button action (deactivate, reactivate, reset code)."""


class StaffResetForm(Form):
    reset_totp = BooleanField(
        _l("Wis ook de tweestapsverificatie (bijvoorbeeld bij een nieuwe telefoon)")
    )


NEW_PASSWORD_LABEL = _l("Kies een nieuw wachtwoord (minstens 10 tekens)")


class ResetCodeForm(Form):
    code = StringField(
        _l("Herstelcode"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        NEW_PASSWORD_LABEL,
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(Form):
    password = PasswordField(
        NEW_PASSWORD_LABEL,
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
