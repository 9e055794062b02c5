"""Patient list, record, enrolments, care team and activation codes; the patient's home."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import format_date
from flask_login import current_user

from zelfzorg.accounts import resets
from zelfzorg.accounts import services as account_services
from zelfzorg.accounts.models import Role
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, ValidationError
from zelfzorg.home.services import patient_home
from zelfzorg.models_base import utcnow
from zelfzorg.patients import practice_history, services
from zelfzorg.patients.forms import (
    CARE_TEAM_EXPLANATIONS,
    CARE_TEAM_LABELS,
    PROGRAMME_EXPLANATIONS,
    PROGRAMME_LABELS,
    CareTeamForm,
    EndEnrolmentForm,
    EnrolForm,
    MoveForm,
    PatientEditForm,
    PatientForm,
    SearchForm,
)
from zelfzorg.web import (
    NavItem,
    current_actor,
    error_text,
    flash_error,
    flash_field_errors,
    form_errors,
    form_status,
    policy,
    practice_filter,
    roles_required,
    today,
    unread_notifications,
)
from zelfzorg.web import fast_gettext as _

bp = Blueprint("patients", __name__)

NAV = [
    NavItem("patients.index", N_("Patiënten"), (Role.professional,), 20),
    NavItem("patients.me", N_("Mijn overzicht"), (Role.patient,), 10),
]

ACTIVATION_FLASH = "activation_code_shown"
RESET_FLASH = "reset_code_shown"


@bp.get("/patienten")
@roles_required(Role.professional)
def index():
    form = SearchForm(request.args)
    page = request.args.get("page", 1, type=int)
    practices = practice_filter()
    result = services.search_patients(
        get_session(),
        current_actor(),
        query=form.q.data or "",
        programme=form.programme.data or None,
        practice_id=practices.selected,
        page=page,
        today=today(),
    )
    return render_template(
        "patients/index.html",
        form=form,
        result=result,
        labels=PROGRAMME_LABELS,
        practices=practices,
    )


@bp.route("/patienten/nieuw", methods=["GET", "POST"])
@roles_required(Role.professional)
def new():
    form = PatientForm()
    practices = account_services.practice_names(get_session(), current_actor().practice_ids)
    form.practice_id.choices = list(practices.items())
    if request.method == "GET" and current_user.practice_id in practices:
        form.practice_id.data = current_user.practice_id  # the home practice first
    valid = form.validate_on_submit()
    if form.practice_id.errors:  # not a number
        form.practice_id.errors = [_("Kies een van uw praktijken.")]
    if valid:
        data = services.PatientInput(
            given_name=form.given_name.data,
            family_name=form.family_name.data,
            date_of_birth=form.date_of_birth.data,
            sex=form.sex.data,
            his_number=form.his_number.data,
            practice_id=form.practice_id.data or None,
        )
        try:
            patient = services.create_patient(get_session(), current_actor(), data, today=today())
        except ValidationError as error:
            if error.field == "practice_id" and len(practices) < 2:
                flash_error(error)  # the field is not shown to someone in one practice
            else:
                form_errors(form, error)
        else:
            flash(_("Patiënt toegevoegd."), "success")
            return redirect(url_for("patients.detail", patient_id=patient.id))
    return render_template("patients/new.html", form=form), form_status()


def _move_choices(db, patient) -> list[tuple[int, str]]:
    return [(0, "—")] + [(p.id, p.name) for p in practice_history.move_targets(db, patient)]


def _detail_page(
    patient_id: int,
    *,
    enrol_form=None,
    end_form=None,
    team_form=None,
    move_form=None,
    status=200,
):
    db = get_session()
    record = services.open_patient(db, current_actor(), patient_id)
    staff = account_services.practice_staff(db, record.patient.practice_id)
    team_form = team_form or CareTeamForm()
    team_form.user_id.choices = [(u.id, u.name) for u in staff]
    move_form = move_form or MoveForm(formdata=None)
    move_form.practice_id.choices = _move_choices(db, record.patient)
    history = practice_history.history_of(db, patient_id)
    user, code = account_services.account_status(db, patient_id)
    shown_code = session.pop(ACTIVATION_FLASH, None)
    shown_reset_code = session.pop(RESET_FLASH, None)
    return render_template(
        "patients/detail.html",
        record=record,
        today=today(),
        labels=PROGRAMME_LABELS,
        team_labels=CARE_TEAM_LABELS,
        enrol_form=enrol_form or EnrolForm(),
        end_form=end_form or EndEnrolmentForm(),
        team_form=team_form,
        move_form=move_form,
        history=history,
        account=user,
        activation=code,
        shown_code=shown_code,
        shown_reset_code=shown_reset_code,
    ), status


@bp.get("/patienten/<int:patient_id>")
@roles_required(Role.professional)
def detail(patient_id: int):
    return _detail_page(patient_id)


@bp.post("/patienten/<int:patient_id>/inschrijvingen")
@roles_required(Role.professional)
def enrol(patient_id: int):
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            services.enrol(
                get_session(),
                current_actor(),
                patient_id,
                programme=form.programme.data,
                start_date=form.start_date.data,
                today=today(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Inschrijving toegevoegd."), "success")
            return redirect(url_for("patients.detail", patient_id=patient_id))
    return _detail_page(patient_id, enrol_form=form, status=400)


@bp.post("/patienten/<int:patient_id>/inschrijvingen/<int:enrolment_id>/beeindigen")
@roles_required(Role.professional)
def end_enrolment(patient_id: int, enrolment_id: int):
    form = EndEnrolmentForm()
    if form.validate_on_submit():
        try:
            services.end_enrolment(
                get_session(),
                current_actor(),
                patient_id,
                enrolment_id,
                end_date=form.end_date.data,
                today=today(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Inschrijving beëindigd."), "success")
            return redirect(url_for("patients.detail", patient_id=patient_id))
    flash_field_errors(form)
    return _detail_page(patient_id, end_form=form, status=400)


@bp.post("/patienten/<int:patient_id>/zorgteam")
@roles_required(Role.professional)
def care_team(patient_id: int):
    db = get_session()
    form = CareTeamForm()
    record = services.open_patient(db, current_actor(), patient_id)
    form.user_id.choices = [
        (u.id, u.name) for u in account_services.practice_staff(db, record.patient.practice_id)
    ]
    if form.validate_on_submit():
        try:
            services.set_care_team_member(
                db, current_actor(), patient_id, user_id=form.user_id.data, role=form.role.data
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Zorgteam bijgewerkt."), "success")
            return redirect(url_for("patients.detail", patient_id=patient_id))
    return _detail_page(patient_id, team_form=form, status=400)


@bp.post("/patienten/<int:patient_id>/praktijk")
@roles_required(Role.professional)
def move(patient_id: int):
    """Move the patient to another practice of the care group, from a date (audited)."""
    db = get_session()
    actor = current_actor()
    form = MoveForm()
    if not form.validate_on_submit():
        if form.practice_id.errors:  # not a number
            form.practice_id.errors = [_("Kies een praktijk van de zorggroep.")]
    elif not form.confirm.data:
        form.confirm.errors = [_("Bevestig de verhuizing.")]
    else:
        try:
            period = practice_history.move_patient(
                db,
                actor,
                patient_id,
                practice_id=form.practice_id.data or 0,
                on=form.on.data,
                today=today(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            names = account_services.practice_names(db, [period.practice_id])
            flash(
                _(
                    "De patiënt hoort vanaf %(date)s bij %(practice)s.",
                    date=format_date(period.start_date, "long"),
                    practice=names.get(period.practice_id, ""),
                ),
                "success",
            )
            if period.practice_id in actor.practice_ids:
                return redirect(url_for("patients.detail", patient_id=patient_id))
            # The old practice no longer reaches the record.
            return redirect(url_for("patients.index"))
    return _detail_page(patient_id, move_form=form, status=400)


@bp.post("/patienten/<int:patient_id>/activatiecode")
@roles_required(Role.professional)
def activation_code(patient_id: int):
    try:
        code, _row = account_services.create_activation_code(
            get_session(), policy(), current_actor(), patient_id
        )
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        # Shown once on the next page; only its hash is stored.
        session[ACTIVATION_FLASH] = code
    return redirect(url_for("patients.detail", patient_id=patient_id))


def _edit_page(patient, form: PatientEditForm, status: int = 200):
    db = get_session()
    current = account_services.practice_names(db, [patient.practice_id])
    form.practice_id.choices = list(current.items()) + [
        (p.id, p.name) for p in practice_history.move_targets(db, patient)
    ]
    return render_template("patients/edit.html", patient=patient, form=form), status


@bp.route("/patienten/<int:patient_id>/gegevens", methods=["GET", "POST"])
@roles_required(Role.professional)
def edit(patient_id: int):
    """Correct name, date of birth, sex and HIS number; a new practice is a move (audited)."""
    db = get_session()
    actor = current_actor()
    if request.method == "GET":
        patient = services.open_patient(db, actor, patient_id).patient
        form = PatientEditForm(obj=patient)
        form.sex.data = str(patient.sex)
        form.version.data = str(patient.version)
        return _edit_page(patient, form)
    form = PatientEditForm()
    if form.validate_on_submit():
        data = services.PatientInput(
            given_name=form.given_name.data or "",
            family_name=form.family_name.data or "",
            date_of_birth=form.date_of_birth.data,
            sex=form.sex.data or "",
            his_number=form.his_number.data,
            practice_id=form.practice_id.data or None,
        )
        try:
            patient = services.update_patient(
                db,
                actor,
                patient_id,
                data,
                version=form.version.number,
                today=today(),
                move_on=form.move_on.data,
            )
        except Conflict as error:
            flash(error_text(error), "error")
            form.version.data = str(error.current.version)  # the next save replaces it knowingly
            return _edit_page(error.current, form, 409)
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Gegevens van de patiënt opgeslagen."), "success")
            if patient.practice_id in actor.practice_ids:
                return redirect(url_for("patients.detail", patient_id=patient_id))
            return redirect(url_for("patients.index"))  # moved out of the actor's practices
    elif form.practice_id.errors:  # not a number
        form.practice_id.errors = [_("Kies een praktijk van de zorggroep.")]
    patient = services.open_patient(db, actor, patient_id).patient
    return _edit_page(patient, form, 400)


@bp.post("/patienten/<int:patient_id>/herstelcode")
@roles_required(Role.professional)
def reset_code(patient_id: int):
    """A new single-use code with which the patient chooses a new password."""
    try:
        code, _row = resets.issue_patient_code(
            get_session(), current_actor(), patient_id, now=utcnow()
        )
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        session[RESET_FLASH] = code  # shown once on the next page; only its hash is stored
    return redirect(url_for("patients.detail", patient_id=patient_id))


@bp.get("/mijn")
@roles_required(Role.patient)
def me():
    db = get_session()
    home = patient_home(db, current_actor(), today=today(), unread=unread_notifications())
    from zelfzorg.privacy.erasure import open_request
    from zelfzorg.privacy.views import STATUS_LABELS

    return render_template(
        "patients/me.html",
        home=home,
        # Access was checked and audited by patient_home.
        erasure_request=open_request(db, current_user.patient_id),
        erasure_status_labels=STATUS_LABELS,
        today=today(),
        labels=PROGRAMME_LABELS,
        explanations=PROGRAMME_EXPLANATIONS,
        team_labels=CARE_TEAM_LABELS,
        team_explanations=CARE_TEAM_EXPLANATIONS,
    )
