"""The patient's data as a PDF, and the erasure workflow pages (patient, practice)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from zelfzorg.accounts.models import Role, User
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, DomainError, ValidationError
from zelfzorg.izp.views import FIELD_LABELS, show_value, target_text
from zelfzorg.lazytext import lazy_gettext as _l
from zelfzorg.leefstijl.referral_states import STATE_LABELS
from zelfzorg.patients.forms import CARE_TEAM_LABELS, PROGRAMME_LABELS, SEX_CHOICES
from zelfzorg.patients.services import open_patient
from zelfzorg.pdf import pdf_response
from zelfzorg.privacy import erasure, export
from zelfzorg.privacy.forms import ErasureOnBehalfForm, ErasureRequestForm, ExecuteForm, ReviewForm
from zelfzorg.privacy.models import ErasureStatus
from zelfzorg.telemonitoring.models import MeasurementSource
from zelfzorg.texts import format_locale
from zelfzorg.web import NavItem, current_actor, error_text, form_errors, roles_required, today

bp = Blueprint("privacy", __name__)

NAV = [NavItem("privacy.requests", N_("Verwijderverzoeken"), (Role.professional,), 85)]

SOURCE_LABELS = {
    MeasurementSource.patient: _l("uzelf"),
    MeasurementSource.professional: _l("zorgverlener"),
    MeasurementSource.device: _l("meetapparaat"),
}
STATUS_LABELS = {
    ErasureStatus.requested: _l("Aangevraagd, wacht op beoordeling door de praktijk"),
    ErasureStatus.approved: _l("Goedgekeurd, wacht op bevestiging door een tweede medewerker"),
    ErasureStatus.rejected: _l("Afgewezen"),
    ErasureStatus.executed: _l("Uitgevoerd: de gegevens zijn verwijderd"),
}


# --- the data as a PDF ---------------------------------------------------------------------------


#: The overview is written to the patient: "agreed by you", not "by the patient".
PATIENT_FIELD_LABELS = {
    **FIELD_LABELS,
    "agreed_by_patient_at": N_("Afgesproken door u"),
    "agreed_by_professional_at": N_("Afgesproken door uw zorgverlener"),
}


def _pdf_response(patient_id: int, lang: str, filename: str) -> Response:
    with force_locale(format_locale(lang)):
        document = export.data_document(
            get_session(), current_actor(), patient_id, today=today(), lang=lang
        )
        html = render_template(
            "privacy/data_pdf.html",
            doc=document,
            programme_labels=PROGRAMME_LABELS,
            team_labels=CARE_TEAM_LABELS,
            status_labels=STATUS_LABELS,
            sex_labels=dict(SEX_CHOICES),
            source_labels=SOURCE_LABELS,
            state_labels=STATE_LABELS,
            field_labels=PATIENT_FIELD_LABELS,
            show_value=show_value,
            target_text=target_text,
            short=export.short,
        )
    return pdf_response(html, filename)


@bp.get("/mijn/gegevens.pdf")
@roles_required(Role.patient)
def my_data_pdf():
    return _pdf_response(
        current_user.patient_id, str(get_locale() or "nl"), "mijn-gegevens-zelfzorg.pdf"
    )


@bp.get("/patienten/<int:patient_id>/gegevens.pdf")
@roles_required(Role.professional)
def patient_data_pdf(patient_id: int):
    """To hand over on request: in the patient's own language when they chose one."""
    account = (
        get_session()
        .exec(select(User.locale).where(User.patient_id == patient_id, User.role == Role.patient))
        .first()
    )
    lang = account if account in ("nl", "en") else "nl"
    return _pdf_response(patient_id, lang, f"gegevens-patient-{patient_id}.pdf")


# --- erasure: the patient --------------------------------------------------------------------


@bp.route("/mijn/gegevens-verwijderen", methods=["GET", "POST"])
@roles_required(Role.patient)
def my_erasure():
    db = get_session()
    actor = current_actor()
    form = ErasureRequestForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                erasure.file_request(db, actor, current_user.patient_id, reason=form.reason.data)
            except ValidationError as error:
                form_errors(form, error)
                status = 400
            else:
                flash(_("Uw verzoek is verstuurd naar uw praktijk."), "success")
                return redirect(url_for("privacy.my_erasure"))
        else:
            status = 400
    requests = erasure.requests_of_patient(db, actor, current_user.patient_id)
    return render_template(
        "privacy/my_erasure.html",
        form=form,
        requests=requests,
        open_request=next((r for r in requests if r.status in erasure.OPEN_STATUSES), None),
        status_labels=STATUS_LABELS,
    ), status


# --- erasure: the practice -------------------------------------------------------------------


@bp.route("/patienten/<int:patient_id>/gegevens-verwijderen", methods=["GET", "POST"])
@roles_required(Role.professional)
def patient_erasure(patient_id: int):
    """A professional files the request on the patient's behalf (e.g. asked at the desk)."""
    db = get_session()
    actor = current_actor()
    form = ErasureOnBehalfForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                made = erasure.file_request(db, actor, patient_id, reason=form.reason.data)
            except ValidationError as error:
                form_errors(form, error)
                status = 400
            else:
                flash(_("Het verzoek is vastgelegd. Een collega beoordeelt het."), "success")
                return redirect(url_for("privacy.request_detail", request_id=made.id))
        else:
            status = 400
    record = open_patient(db, actor, patient_id)
    requests = erasure.requests_of_patient(db, actor, patient_id)
    return render_template(
        "privacy/patient_erasure.html",
        form=form,
        record=record,
        requests=requests,
        open_request=next((r for r in requests if r.status in erasure.OPEN_STATUSES), None),
        status_labels=STATUS_LABELS,
    ), status


@bp.get("/verwijderverzoeken")
@roles_required(Role.professional)
def requests():
    views = erasure.practice_requests(get_session(), current_actor())
    return render_template("privacy/requests.html", views=views, status_labels=STATUS_LABELS)


def _detail(request_id: int, *, review_form=None, execute_form=None, status=200):
    view = erasure.open_for_review(get_session(), current_actor(), request_id)
    review_form = review_form or ReviewForm(formdata=None)
    execute_form = execute_form or ExecuteForm(formdata=None)
    review_form.version.data = str(view.request.version)
    execute_form.version.data = str(view.request.version)
    return render_template(
        "privacy/request.html",
        view=view,
        review_form=review_form,
        execute_form=execute_form,
        status_labels=STATUS_LABELS,
    ), status


@bp.get("/verwijderverzoeken/<int:request_id>")
@roles_required(Role.professional)
def request_detail(request_id: int):
    return _detail(request_id)


def _refused(request_id: int, error: DomainError, **forms):
    if isinstance(error, Conflict):
        flash(error_text(error), "error")
        return _detail(request_id, status=409)
    flash(error_text(error), "error")
    return _detail(request_id, status=400, **forms)


@bp.post("/verwijderverzoeken/<int:request_id>/beoordelen")
@roles_required(Role.professional)
def review(request_id: int):
    form = ReviewForm()
    if not form.validate_on_submit():
        return _detail(request_id, review_form=form, status=400)
    try:
        done = erasure.review(
            get_session(),
            current_actor(),
            request_id,
            approve=form.decision.data == "approve",
            reason=form.decision_reason.data,
            version=form.version.number or 0,
        )
    except (ValidationError, Conflict) as error:
        return _refused(request_id, error, review_form=form)
    if done.status == ErasureStatus.approved:
        flash(_("Goedgekeurd. Een andere medewerker van de praktijk bevestigt nu."), "success")
    else:
        flash(_("Afgewezen. De patiënt krijgt bericht met uw reden."), "success")
    return redirect(url_for("privacy.request_detail", request_id=request_id))


@bp.post("/verwijderverzoeken/<int:request_id>/uitvoeren")
@roles_required(Role.professional)
def execute(request_id: int):
    form = ExecuteForm()
    if not form.validate_on_submit():
        return _detail(request_id, execute_form=form, status=400)
    try:
        erasure.confirm_and_execute(
            get_session(),
            current_actor(),
            request_id,
            version=form.version.number or 0,
            confirmed=bool(form.confirm.data),
        )
    except (ValidationError, Conflict) as error:
        return _refused(request_id, error, execute_form=form)
    flash(_("De gegevens van de patiënt zijn verwijderd. Het account is gesloten."), "success")
    return redirect(url_for("privacy.requests"))
