from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from zelfzorg.formfields import Form, IdField
from zelfzorg.lazytext import lazy_gettext as _l
from zelfzorg.privacy.erasure import REASON_MAX


class ErasureRequestForm(Form):
    reason = TextAreaField(
        _l("Waarom wilt u dat uw gegevens worden verwijderd?"),
        validators=[DataRequired(_l("Schrijf kort op waarom.")), Length(max=REASON_MAX)],
    )
    confirm = BooleanField(
        _l("Ik begrijp dat mijn gegevens na goedkeuring niet meer terug te halen zijn."),
        validators=[DataRequired(_l("Vink aan dat u dit begrijpt."))],
    )


class ErasureOnBehalfForm(Form):
    reason = TextAreaField(
        _l("Reden van de patiënt"),
        validators=[DataRequired(_l("Schrijf kort op waarom.")), Length(max=REASON_MAX)],
    )


class ReviewForm(Form):
    decision = RadioField(
        _l("Besluit"),
        choices=[("approve", _l("Goedkeuren")), ("reject", _l("Afwijzen"))],
        validators=[DataRequired(_l("Kies goedkeuren of afwijzen."))],
    )
    decision_reason = TextAreaField(
        _l("Reden van het besluit (de patiënt leest deze)"),
        validators=[DataRequired(_l("Schrijf kort op waarom.")), Length(max=REASON_MAX)],
    )
    version = IdField()


class ExecuteForm(Form):
    confirm = BooleanField(
        _l("Ik bevestig dat alle gegevens van deze patiënt nu worden verwijderd."),
        validators=[DataRequired(_l("Vink aan dat u de verwijdering bevestigt."))],
    )
    version = IdField()
