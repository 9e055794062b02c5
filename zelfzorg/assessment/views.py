"""Questionnaires: the patient's page and filling in, the professional's view per patient."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from zelfzorg.accounts import services as account_services
from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import audit as write_audit
from zelfzorg.assessment import care_group_settings, services, trend
from zelfzorg.assessment.forms import (
    ACTIONS,
    FILLED_BY_LABELS,
    INSTRUMENT_ABOUT,
    TREND_LABELS,
    ActionForm,
    AnswerPageForm,
)
from zelfzorg.assessment.models import ResponseStatus
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.web import NavItem, current_actor, error_text, language, roles_required, today

bp = Blueprint("assessment", __name__)
NAV = [
    NavItem("assessment.mine", N_("Vragenlijsten"), (Role.patient,), 30),
    NavItem("assessment.caregroup_settings", N_("Vragenlijsten"), (Role.caregroup,), 40),
    NavItem("assessment.admin_settings_index", N_("Vragenlijsten"), (Role.admin,), 40),
]
PAGE_SIZE = 4  # items per screen: short enough for a phone


def _lang() -> str:
    return language()


def _trend_svg(data: trend.Trend, title: str, chart_id: str) -> Markup:
    """The chart twice: wide, and compact for a phone (larger text); the style sheet shows
    one of them. Every text in the SVG is escaped by trend.render_svg."""
    lang = _lang()
    wide = trend.render_svg(data, lang=lang, title=title, chart_id=chart_id)
    compact = trend.render_svg(
        data, lang=lang, title=title, chart_id=f"{chart_id}-compact", layout=trend.COMPACT
    )
    return Markup(
        f'<figure class="assessment-trend trend-wide">{wide}</figure>\n'
        f'<figure class="assessment-trend trend-compact">{compact}</figure>'
    )


def _context(**values):
    return {
        "lang": _lang(),
        "trend_svg": _trend_svg,
        "trend_labels": TREND_LABELS,
        "filled_by_labels": FILLED_BY_LABELS,
        "instrument_about": INSTRUMENT_ABOUT,
        **values,
    }


def _home(patient_id: int):
    if current_user.role == Role.patient:
        return url_for("assessment.mine")
    return url_for("assessment.patient_overview", patient_id=patient_id)


@bp.get("/vragenlijsten")
@roles_required(Role.patient)
def mine():
    data = services.patient_assessments(
        get_session(), current_actor(), patient_id=current_user.patient_id, today=today()
    )
    return render_template("assessment/mine.html", **_context(data=data, action_form=ActionForm()))


@bp.post("/vragenlijsten/<code>/starten")
@roles_required(Role.patient)
def start(code: str):
    if not ActionForm().validate_on_submit():
        flash(_("Het formulier is verlopen. Probeer het opnieuw."), "error")
        return redirect(url_for("assessment.mine"))
    response = services.start_response(
        get_session(),
        current_actor(),
        patient_id=current_user.patient_id,
        instrument_code=code,
        now=utcnow(),
    )
    return redirect(url_for("assessment.fill", response_id=response.id))


@bp.get("/patienten/<int:patient_id>/zelfmanagement")
@roles_required(Role.professional)
def patient_overview(patient_id: int):
    data = services.patient_assessments(
        get_session(), current_actor(), patient_id=patient_id, today=today()
    )
    return render_template(
        "assessment/patient.html", **_context(data=data, action_form=ActionForm())
    )


@bp.post("/patienten/<int:patient_id>/zelfmanagement/<code>/starten")
@roles_required(Role.professional)
def start_for_patient(patient_id: int, code: str):
    if not ActionForm().validate_on_submit():
        flash(_("Het formulier is verlopen. Probeer het opnieuw."), "error")
        return redirect(url_for("assessment.patient_overview", patient_id=patient_id))
    response = services.start_response(
        get_session(), current_actor(), patient_id=patient_id, instrument_code=code, now=utcnow()
    )
    return redirect(url_for("assessment.fill", response_id=response.id))


def _pages(view) -> list[list]:
    items = list(view.definition.items)
    return [items[i : i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)] or [[]]


def _page_number(raw, pages: int) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 1
    return min(max(number, 1), pages)


def _render_fill(view, page: int, *, form, answers=None, errors=None, status=200):
    pages = _pages(view)
    return render_template(
        "assessment/fill.html",
        **_context(
            view=view,
            page=page,
            page_count=len(pages),
            items=pages[page - 1],
            answers=answers if answers is not None else view.response.answers,
            errors=errors or {},
            form=form,
            filling_for_patient=current_user.role == Role.professional,
        ),
    ), status


@bp.route("/vragenlijsten/antwoorden/<int:response_id>", methods=["GET", "POST"])
@roles_required(Role.patient, Role.professional)
def fill(response_id: int):
    db, actor = get_session(), current_actor()
    view = services.open_response(db, actor, response_id)
    response = view.response
    try:
        services.check_filler(actor, view.definition.kind)
    except Forbidden:
        # Loading audited the read as allowed; it is refused, so the log must say denied.
        patient_id = response.patient_id
        db.rollback()
        write_audit(
            db,
            actor,
            action=AuditAction.read if request.method == "GET" else AuditAction.update,
            object_type=services.OBJECT,
            object_id=response_id,
            patient_id=patient_id,
            outcome=AuditOutcome.denied,
        )
        raise
    if response.status == ResponseStatus.completed:
        return redirect(url_for("assessment.result", response_id=response.id))
    pages = _pages(view)
    if request.method == "GET":
        page = _page_number(request.args.get("pagina"), len(pages))
        return _render_fill(view, page, form=AnswerPageForm())
    form = AnswerPageForm()
    page = _page_number(form.page.data, len(pages))
    if not form.validate_on_submit():
        flash(
            _("Het formulier is verlopen. Uw antwoorden op deze pagina zijn niet bewaard."), "error"
        )
        return _render_fill(view, page, form=form, status=400)
    given = {item.code: request.form.get(item.code, "") for item in pages[page - 1]}
    action = request.form.get("action", "save")
    action = action if action in ACTIONS else "save"
    try:
        services.save_answers(db, actor, response_id=response.id, answers=given, now=utcnow())
        if action == "submit":
            services.submit_response(db, actor, response_id=response.id, now=utcnow())
    except ValidationError as error:
        merged = {**response.answers, **given}
        return _render_fill(
            view,
            page,
            form=form,
            answers=merged,
            errors={error.field: error_text(error)} if error.field else {"": error_text(error)},
            status=400,
        )
    if action == "submit":
        flash(_("Bedankt. Uw antwoorden zijn verstuurd."), "success")
        return redirect(url_for("assessment.result", response_id=response.id))
    if action == "save":
        flash(_("Uw antwoorden zijn bewaard. U kunt later verder gaan."), "success")
        return redirect(_home(response.patient_id))
    step = -1 if action == "previous" else 1
    return redirect(
        url_for(
            "assessment.fill", response_id=response.id, pagina=_page_number(page + step, len(pages))
        )
    )


@bp.post("/vragenlijsten/antwoorden/<int:response_id>/verwijderen")
@roles_required(Role.patient)
def discard(response_id: int):
    if not ActionForm().validate_on_submit():
        flash(_("Het formulier is verlopen. Probeer het opnieuw."), "error")
        return redirect(url_for("assessment.mine"))
    try:
        services.discard_draft(get_session(), current_actor(), response_id=response_id)
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        flash(_("De vragenlijst is verwijderd."), "success")
    return redirect(url_for("assessment.mine"))


@bp.get("/vragenlijsten/uitslag/<int:response_id>")
@roles_required(Role.patient, Role.professional)
def result(response_id: int):
    view = services.open_response(get_session(), current_actor(), response_id)
    if view.response.status != ResponseStatus.completed:
        return redirect(url_for("assessment.fill", response_id=response_id))
    return render_template("assessment/result.html", **_context(view=view))


# --- care-group settings -------------------------------------------------------------------------


def _settings_page(care_group_id: int, back_url: str | None):
    db, actor = get_session(), current_actor()
    view = care_group_settings.care_group_settings(db, actor, care_group_id=care_group_id)
    form, errors, status = ActionForm(), {}, 200
    values = {
        "due_months": str(view.due_interval_months),
        **{f"weeks_{lv.number}": str(lv.review_weeks) for lv in view.levels},
        **{f"max_{lv.number}": f"{lv.max:.{view.decimals}f}" for lv in view.levels[:-1]},
    }
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in values}
        if not form.validate_on_submit():
            flash(_("Het formulier is verlopen. Er is niets veranderd."), "error")
            status = 400
        else:
            try:
                changes = care_group_settings.change_care_group_settings(
                    db,
                    actor,
                    care_group_id=care_group_id,
                    due_interval_months=values["due_months"],
                    review_weeks={lv.number: values[f"weeks_{lv.number}"] for lv in view.levels},
                    level_maxima={lv.number: values[f"max_{lv.number}"] for lv in view.levels[:-1]},
                    now=utcnow(),
                )
            except care_group_settings.SettingsInvalid as error:
                errors = {field: error_text(e) for field, e in error.errors.items()}
                status = 400
            else:
                if changes:
                    flash(_("De instellingen zijn bewaard."), "success")
                else:
                    flash(_("Er was niets veranderd."), "success")
                return redirect(request.path)
    return render_template(
        "assessment/settings.html",
        **_context(view=view, form=form, values=values, errors=errors, back_url=back_url),
    ), status


@bp.route("/zorggroep/vragenlijsten", methods=["GET", "POST"])
@roles_required(Role.caregroup)
def caregroup_settings():
    return _settings_page(current_user.care_group_id, None)


@bp.get("/beheer/vragenlijsten")
@roles_required(Role.admin)
def admin_settings_index():
    groups = account_services.list_care_groups(get_session())
    return render_template("assessment/settings_index.html", **_context(care_groups=groups))


@bp.route("/beheer/zorggroepen/<int:care_group_id>/vragenlijsten", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_settings(care_group_id: int):
    return _settings_page(care_group_id, url_for("assessment.admin_settings_index"))
