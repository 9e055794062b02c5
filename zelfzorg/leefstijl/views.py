"""Lifestyle pages: catalogue (admin edits), eligibility and referrals, the patient's offers."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from zelfzorg.accounts import services as account_services
from zelfzorg.accounts.models import Role
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, DomainError, Forbidden, ValidationError
from zelfzorg.izp.goals import running_goals
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl import services
from zelfzorg.leefstijl.criteria import describe, parse_criteria
from zelfzorg.leefstijl.forms import (
    CRITERIA_HINT,
    InterventionForm,
    OutcomeForm,
    ReferralForm,
    TransitionForm,
    outcome_from_form,
)
from zelfzorg.models_base import utcnow
from zelfzorg.patients.forms import PROGRAMME_LABELS
from zelfzorg.web import (
    NavItem,
    current_actor,
    error_text,
    form_errors,
    practice_filter,
    roles_required,
    today,
)

bp = Blueprint("leefstijl", __name__)

NAV = [
    NavItem("leefstijl.opportunities", N_("Leefstijl"), (Role.professional,), 40),
    NavItem("leefstijl.catalogue", N_("Leefstijlaanbod"), (Role.caregroup, Role.admin), 30),
    NavItem("leefstijl.mine", N_("Leefstijl"), (Role.patient,), 40),
]


def lang() -> str:
    return "en" if str(get_locale() or "nl").startswith("en") else "nl"


def _helpers(*, plain: bool = False) -> dict:
    """Template helpers; ``plain`` words criteria and programmes for patients."""
    language = lang()
    return {
        "kind_labels": rs.INTERVENTION_KINDS,
        "state_labels": rs.STATE_LABELS,
        "programme_labels": PROGRAMME_LABELS,
        "plain": plain,
        "outcome_labels": {f.key: f.label for fs in rs.OUTCOME_FIELDS.values() for f in fs},
        "describe_criteria": lambda data: describe(parse_criteria(data), language, plain=plain),
        "lang": language,
    }


# --- catalogue --------------------------------------------------------------------------------
@bp.get("/leefstijl/aanbod")
@roles_required(Role.professional, Role.caregroup, Role.admin)
def catalogue():
    db = get_session()
    actor = current_actor()
    is_admin = actor.role == Role.admin
    # Care-group staff keep their own group's catalogue, withdrawn entries included.
    may_edit = actor.role in (Role.admin, Role.caregroup)
    interventions = services.list_catalogue(db, actor, include_inactive=may_edit)
    groups = {g.id: g.name for g in account_services.list_care_groups(db)} if is_admin else {}
    return render_template(
        "leefstijl/catalogue.html",
        interventions=interventions,
        is_admin=is_admin,
        may_edit=may_edit,
        groups=groups,
        **_helpers(),
    )


def _intervention_form(form: InterventionForm) -> InterventionForm:
    db = get_session()
    actor = current_actor()
    groups = account_services.list_care_groups(db)
    if actor.role == Role.caregroup:  # their own group only
        own = services.care_group_of(db, actor)
        groups = [g for g in groups if g.id == own]
        if request.method == "GET":
            form.care_group_id.data = own
    form.care_group_id.choices = [(g.id, g.name) for g in groups]
    form.kind.choices = [(k, _(label)) for k, label in rs.INTERVENTION_KINDS.items()]
    return form


def _input(form: InterventionForm) -> services.InterventionInput:
    return services.InterventionInput(
        care_group_id=form.care_group_id.data,
        name=form.name.data or "",
        kind=form.kind.data or "",
        provider=form.provider.data or "",
        internet_based=form.internet_based.data,
        zorgstandaard_conform=form.zorgstandaard_conform.data,
        insured=form.insured.data,
        programmes=list(form.programmes.data or []),
        description_nl=form.description_nl.data or "",
        description_en=form.description_en.data or "",
        criteria_text=form.criteria.data or "",
        active=form.active.data,
    )


def _criteria_error(form: InterventionForm, error: DomainError) -> None:
    # Criteria errors name their path (criteria.all[1].op); they all belong to one text box.
    if error.field and error.field.startswith("criteria"):
        form.criteria.errors = [*form.criteria.errors, error_text(error)]
    else:
        form_errors(form, error)


def _form_page(form, *, title, intervention=None, conflict=None, status=200):
    return render_template(
        "leefstijl/intervention_form.html",
        form=form,
        title=title,
        intervention=intervention,
        conflict=conflict,
        criteria_hint=CRITERIA_HINT,
        **_helpers(),
    ), status


@bp.route("/beheer/leefstijl/nieuw", methods=["GET", "POST"])
@roles_required(Role.admin, Role.caregroup)
def admin_new():
    form = _intervention_form(InterventionForm())
    title = _("Nieuwe leefstijlinterventie")
    if request.method == "GET":
        form.criteria.data = '{"all": [{"programme_in": ["DM2"]}]}'
        return _form_page(form, title=title)
    if form.validate_on_submit():
        try:
            services.create_intervention(get_session(), current_actor(), _input(form), now=utcnow())
        except ValidationError as error:
            _criteria_error(form, error)
        else:
            flash(_("Interventie toegevoegd aan het aanbod."), "success")
            return redirect(url_for("leefstijl.catalogue"))
    return _form_page(form, title=title, status=400)


@bp.route("/beheer/leefstijl/<int:intervention_id>", methods=["GET", "POST"])
@roles_required(Role.admin, Role.caregroup)
def admin_edit(intervention_id: int):
    db = get_session()
    intervention = services.get_intervention(db, current_actor(), intervention_id)
    title = _("Interventie bewerken")
    if request.method == "GET":
        form = _intervention_form(InterventionForm(obj=intervention))
        form.criteria.data = json.dumps(intervention.criteria, ensure_ascii=False, indent=2)
        form.version.data = str(intervention.version)
        return _form_page(form, title=title, intervention=intervention)
    form = _intervention_form(InterventionForm())
    if form.validate_on_submit():
        version = form.version.number
        try:
            services.update_intervention(
                db, current_actor(), intervention_id, _input(form), version=version, now=utcnow()
            )
        except Conflict as error:
            flash(error_text(error), "error")
            # Keep what was typed; the next save knowingly replaces the version shown.
            form.version.data = str(error.current.version)
            return _form_page(
                form, title=title, intervention=intervention, conflict=error.current, status=409
            )
        except ValidationError as error:
            _criteria_error(form, error)
        else:
            flash(_("Interventie opgeslagen."), "success")
            return redirect(url_for("leefstijl.catalogue"))
    return _form_page(form, title=title, intervention=intervention, status=400)


# --- professional: practice list and patient page -------------------------------------------
@bp.get("/leefstijl/kansen")
@roles_required(Role.professional)
def opportunities():
    practices = practice_filter()
    page = request.args.get("page", 1, type=int)  # not a number: the first page
    items = services.practice_opportunities(
        get_session(),
        current_actor(),
        today(),
        lang=lang(),
        page=page,
        practice_id=practices.selected,
    )
    return render_template(
        "leefstijl/opportunities.html", items=items, practices=practices, **_helpers()
    )


def _patient_page(patient_id: int, *, referral_form=None, status=200):
    db = get_session()
    data = services.patient_lifestyle(db, current_actor(), patient_id, today(), lang=lang())
    referral_form = referral_form or ReferralForm()
    referral_form.intervention_id.choices = [
        (row.intervention.id, row.intervention.name) for row in data.eligibility
    ]
    referral_form.goal_id.choices = [(0, _("Geen"))] + [
        (goal.id, goal.title) for goal in running_goals(db, patient_id)
    ]
    return render_template(
        "leefstijl/patient.html",
        data=data,
        referral_form=referral_form,
        role=rs.PROFESSIONAL,
        **_helpers(),
    ), status


@bp.get("/patienten/<int:patient_id>/leefstijl")
@roles_required(Role.professional)
def patient_overview(patient_id: int):
    return _patient_page(patient_id)


@bp.post("/patienten/<int:patient_id>/leefstijl/verwijzingen")
@roles_required(Role.professional)
def create_referral(patient_id: int):
    form = ReferralForm()
    form.intervention_id.choices = None  # validated by the service against the catalogue
    form.intervention_id.validate_choice = False
    if form.validate_on_submit():
        try:
            services.create_referral(
                get_session(),
                current_actor(),
                patient_id,
                intervention_id=form.intervention_id.data,
                goal_id=form.goal_id.data or None,
                note=form.note.data or "",
                now=utcnow(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Verwijzing voorgesteld."), "success")
            return redirect(url_for("leefstijl.patient_overview", patient_id=patient_id))
    return _patient_page(patient_id, referral_form=form, status=400)


def _load_for_patient(patient_id: int, referral_id: int):
    return services.get_referral(get_session(), current_actor(), referral_id, patient_id=patient_id)


def _transition(form, referral_id: int, *, to_state: str, outcome=None):
    """Apply a status change; returns an error status code (400/403/409) or None."""
    try:
        services.transition_referral(
            get_session(),
            current_actor(),
            referral_id,
            to_state=to_state,
            version=form.version.number,
            note=form.note.data or "",
            outcome=outcome,
            now=utcnow(),
        )
    except Conflict as error:
        flash(error_text(error), "error")
        return 409
    except Forbidden as error:
        if error.field != "status":
            raise
        flash(error_text(error), "error")
        return 403
    except ValidationError as error:
        return error
    return None


@bp.post("/patienten/<int:patient_id>/leefstijl/verwijzingen/<int:referral_id>/status")
@roles_required(Role.professional)
def transition(patient_id: int, referral_id: int):
    _load_for_patient(patient_id, referral_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        flash(_("Kies een geldige nieuwe status."), "error")
        return _patient_page(patient_id, status=400)
    if form.to_state.data == rs.COMPLETED:
        # Completion needs the outcome: that form has its own page.
        return redirect(
            url_for("leefstijl.complete", patient_id=patient_id, referral_id=referral_id)
        )
    result = _transition(form, referral_id, to_state=form.to_state.data)
    if result is None:
        flash(_("Status van de verwijzing bijgewerkt."), "success")
        return redirect(url_for("leefstijl.patient_overview", patient_id=patient_id))
    if isinstance(result, DomainError):
        flash(error_text(result), "error")
        result = 400
    return _patient_page(patient_id, status=result)


@bp.route(
    "/patienten/<int:patient_id>/leefstijl/verwijzingen/<int:referral_id>/afronden",
    methods=["GET", "POST"],
)
@roles_required(Role.professional)
def complete(patient_id: int, referral_id: int):
    db = get_session()
    referral = _load_for_patient(patient_id, referral_id)
    intervention = services.get_intervention(db, current_actor(), referral.intervention_id)
    form = OutcomeForm()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "GET":
        form.version.data = referral.version
    elif form.validate_on_submit():
        outcome = outcome_from_form(intervention.kind, request.form)
        result = _transition(form, referral_id, to_state=rs.COMPLETED, outcome=outcome)
        if result is None:
            flash(_("Verwijzing afgerond en uitkomst vastgelegd."), "success")
            return redirect(url_for("leefstijl.patient_overview", patient_id=patient_id))
        if isinstance(result, DomainError):
            errors[result.field or ""] = error_text(result)
            if result.field not in {f.key for f in rs.OUTCOME_FIELDS[intervention.kind]}:
                flash(error_text(result), "error")
            status = 400
        else:
            status = result
    else:
        status = 400
    return render_template(
        "leefstijl/complete.html",
        form=form,
        referral=referral,
        intervention=intervention,
        fields=rs.OUTCOME_FIELDS[intervention.kind],
        errors=errors,
        values=request.form,
        patient_id=patient_id,
        **_helpers(),
    ), status


# --- patient ------------------------------------------------------------------------------------
def _mine_page(status=200):
    views = services.my_referrals(get_session(), current_actor())
    return render_template(
        "leefstijl/mine.html",
        referrals=views,
        role=rs.PATIENT,
        form=TransitionForm(),
        **_helpers(plain=True),
    ), status


@bp.get("/mijn/leefstijl")
@roles_required(Role.patient)
def mine():
    return _mine_page()


@bp.post("/mijn/leefstijl/<int:referral_id>")
@roles_required(Role.patient)
def answer(referral_id: int):
    services.get_referral(get_session(), current_actor(), referral_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        flash(_("Kies of u wilt meedoen."), "error")
        return _mine_page(400)
    result = _transition(form, referral_id, to_state=form.to_state.data)
    if result is None:
        if form.to_state.data == rs.ACCEPTED:
            flash(_("Fijn dat u meedoet. Uw zorgverlener neemt contact met u op."), "success")
        else:
            flash(_("Uw antwoord is opgeslagen."), "success")
        return redirect(url_for("leefstijl.mine"))
    if isinstance(result, DomainError):
        flash(error_text(result), "error")
        result = 400
    return _mine_page(result)
