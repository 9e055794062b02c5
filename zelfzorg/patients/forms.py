from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from zelfzorg.formfields import DateField, Form, IdField, coerce_id
from zelfzorg.lazytext import lazy_gettext as _l
from zelfzorg.patients.models import CareTeamRole, Programme

SEX_CHOICES = [
    ("female", _l("Vrouw")),
    ("male", _l("Man")),
    ("other", _l("Anders")),
    ("unknown", _l("Onbekend")),
]
PROGRAMME_LABELS = {
    Programme.DM2: _l("Diabetes type 2"),
    Programme.COPD: _l("COPD"),
    Programme.astma: _l("Astma"),
    Programme.CVRM: _l("Cardiovasculair risicomanagement"),
    Programme.hartfalen: _l("Hartfalen"),
}
CARE_TEAM_LABELS = {
    CareTeamRole.hoofdbehandelaar: _l("Hoofdbehandelaar"),
    CareTeamRole.contactpersoon: _l("Contactpersoon"),
    CareTeamRole.member: _l("Lid van het zorgteam"),
}
# What the words mean, in plain language, for the patient's own pages.
PROGRAMME_EXPLANATIONS = {
    Programme.DM2: _l("Zorg bij suikerziekte (diabetes)."),
    Programme.COPD: _l("Zorg bij een longziekte waardoor u moeilijker uitademt."),
    Programme.astma: _l("Zorg bij gevoelige luchtwegen die soms ontstoken zijn."),
    Programme.CVRM: _l(
        "Zorg om de kans op hart- en vaatziekten, zoals een hartaanval of beroerte, kleiner "
        "te maken. Bijvoorbeeld door op uw bloeddruk en cholesterol te letten."
    ),
    Programme.hartfalen: _l("Zorg bij een hart dat minder goed pompt."),
}
CARE_TEAM_EXPLANATIONS = {
    CareTeamRole.hoofdbehandelaar: _l(
        "De zorgverlener die verantwoordelijk is voor uw behandeling, meestal uw huisarts."
    ),
    CareTeamRole.contactpersoon: _l("Bij deze persoon kunt u met vragen terecht."),
    CareTeamRole.member: _l("Werkt mee aan uw zorg."),
}


class PatientForm(Form):
    given_name = StringField(_l("Voornaam"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Achternaam"), validators=[DataRequired(), Length(max=100)])
    date_of_birth = DateField(_l("Geboortedatum"), validators=[DataRequired()])
    sex = SelectField(_l("Geslacht"), choices=SEX_CHOICES)
    his_number = StringField(_l("HIS-nummer (optioneel)"), validators=[Optional(), Length(max=40)])
    # Only shown to a professional in several practices; the service checks the choice.
    practice_id = SelectField(_l("Praktijk"), coerce=coerce_id, default=0, validate_choice=False)


class PatientEditForm(Form):
    """Correct a patient's details; a new practice moves the patient from ``move_on``."""

    given_name = StringField(_l("Voornaam"), validators=[DataRequired(), Length(max=100)])
    family_name = StringField(_l("Achternaam"), validators=[DataRequired(), Length(max=100)])
    date_of_birth = DateField(_l("Geboortedatum"), validators=[DataRequired()])
    sex = SelectField(_l("Geslacht"), choices=SEX_CHOICES, validate_choice=False)
    his_number = StringField(_l("HIS-nummer (optioneel)"), validators=[Optional(), Length(max=40)])
    practice_id = SelectField(_l("Praktijk"), coerce=coerce_id, validate_choice=False)
    move_on = DateField(
        _l("Bij een andere praktijk: eerste dag bij de nieuwe praktijk (leeg: vandaag)"),
        validators=[Optional()],
    )
    version = IdField()


class EnrolForm(Form):
    programme = SelectField(
        _l("Zorgprogramma"), choices=[(p.value, lbl) for p, lbl in PROGRAMME_LABELS.items()]
    )
    start_date = DateField(_l("Startdatum"), validators=[DataRequired()])


class EndEnrolmentForm(Form):
    end_date = DateField(_l("Einddatum"), validators=[DataRequired()])


class MoveForm(Form):
    """Move a patient to another practice of the care group (choices set by the view)."""

    practice_id = SelectField(
        _l("Nieuwe praktijk"),
        coerce=coerce_id,
        validate_choice=False,  # the service checks the practice and says why
    )
    on = DateField(
        _l("Verhuisdatum (eerste dag bij de nieuwe praktijk)"),
        validators=[DataRequired(_l("Vul de verhuisdatum in."))],
    )
    confirm = BooleanField(
        _l("Ik begrijp dat de huidige praktijk dit dossier daarna niet meer ziet.")
    )


class CareTeamForm(Form):
    user_id = SelectField(_l("Zorgverlener"), coerce=coerce_id)
    role = SelectField(_l("Rol"), choices=[(r.value, lbl) for r, lbl in CARE_TEAM_LABELS.items()])


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        _l("Zoek op naam, HIS-nummer of geboortedatum (dd-mm-jjjj)"),
        validators=[Optional(), Length(max=100)],
    )
    programme = SelectField(
        _l("Zorgprogramma"),
        choices=[("", _l("Alle"))] + [(p.value, lbl) for p, lbl in PROGRAMME_LABELS.items()],
    )
