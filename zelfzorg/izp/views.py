"""Care plan pages: the patient's "Mijn plan", the POH plan and goal editors, the review flow,
goals due for review, plan history and the plan PDF."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.assessment.services import latest_activation
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, DomainError, ValidationError
from zelfzorg.izp import actions, agreements, goals, pages, pdca, plans, reviews
from zelfzorg.izp.forms import (
    AGREEMENT_STATUS_LABELS,
    MODULE_LABELS,
    ActionForm,
    AgreementDoneForm,
    AgreementForm,
    GoalForm,
    HistoryForm,
    LogForm,
    PatientGoalForm,
    PatientPlanForm,
    PlanForm,
    PrepareForm,
    ReviewForm,
)
from zelfzorg.izp.history import ConflictInfo, end_of_day_utc, plan_at, plan_history
from zelfzorg.izp.models import Goal, PlanAgreement
from zelfzorg.izp.printing import plan_document
from zelfzorg.izp.progress import Message
from zelfzorg.izp.targets import MEASUREMENT_TYPES, display_unit
from zelfzorg.leefstijl.services import eligibility_for
from zelfzorg.patients.forms import CARE_TEAM_LABELS, PROGRAMME_EXPLANATIONS, PROGRAMME_LABELS
from zelfzorg.pdf import pdf_response
from zelfzorg.web import (
    NavItem,
    current_actor,
    error_text,
    flash_error,
    form_errors,
    format_moment,
    language,
    roles_required,
    today,
)
from zelfzorg.web import fast_gettext as _

bp = Blueprint("izp", __name__)

NAV = [
    NavItem("izp.my_plan", N_("Mijn plan"), (Role.patient,), 15),
    NavItem("izp.due", N_("Evaluaties"), (Role.professional,), 25),
]

BOTH = (Role.patient, Role.professional)

FIELD_LABELS = {
    "what_matters": N_("Wat belangrijk is"),
    "life_goals": N_("Levensdoelen"),
    "support_needs": N_("Steun die nodig is"),
    "modules": N_("Zelfmanagement"),
    "agreements": N_("Afspraken"),
    "status": N_("Status"),
    "done_date": N_("Gedaan op"),
    "next_review_date": N_("Volgende evaluatie"),
    "conditions": N_("Aandoeningen"),
    "title": N_("Doel"),
    "domain": N_("Gebied"),
    "programmes": N_("Aandoeningen"),
    "target_type": N_("Meting"),
    "target_comparator": N_("Streefwaarde"),
    "target_value": N_("Waarde"),
    "target_unit": N_("Eenheid"),
    "due_date": N_("Streefdatum"),
    "review_date": N_("Evaluatie"),
    "lifecycle": N_("Status"),
    "achievement": N_("Voortgang"),
    "agreed_by_patient_at": N_("Afgesproken door patiënt"),
    "agreed_by_professional_at": N_("Afgesproken door zorgverlener"),
    "what": N_("Actie"),
    "who": N_("Wie"),
    "how_often": N_("Hoe vaak"),
}


def _label(enum, value):
    try:
        return _(enum(value).label)
    except ValueError:
        return value or ""


def show_value(field: str, value) -> str:
    """A stored (JSON) value as text for people."""
    if value is None or value == "" or value == []:
        return "–"
    if field in ("conditions", "programmes"):
        return ", ".join(str(PROGRAMME_LABELS.get(v, v)) for v in value)
    if field == "modules":
        return ", ".join(str(MODULE_LABELS.get(v, v)) for v in value)
    if field == "domain":
        return _label(pdca.GoalDomain, value)
    if field == "lifecycle":
        return _label(pdca.GoalLifecycle, value)
    if field == "achievement":
        return _label(pdca.AchievementStatus, value)
    if field == "status":
        try:
            return str(AGREEMENT_STATUS_LABELS[value])
        except KeyError:
            return str(value)
    if field == "decision":
        return _label(pdca.ReviewDecision, value)
    if field == "target_comparator":
        return _label(pdca.Comparator, value)
    if field == "target_type":
        kind = MEASUREMENT_TYPES.get(value)
        return kind.label(str(get_locale() or "nl")) if kind else str(value)
    if field == "target_unit":
        return display_unit(value, language())
    if field.endswith("_at") and isinstance(value, str):
        try:
            return format_moment(datetime.fromisoformat(value), "short")
        except ValueError:
            return value
    if field.endswith("_date") and isinstance(value, str):
        from flask_babel import format_date

        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    if isinstance(value, float):
        from babel.numbers import format_decimal

        return format_decimal(value, locale=str(get_locale()))
    return str(value)


def message_text(message: Message | dict) -> str:
    if isinstance(message, dict):
        message = Message(message["msgid"], message.get("params", {}))
    if "unit" in message.params:  # the stored UCUM code ("mm[Hg]") as people write it
        unit = display_unit(str(message.params["unit"]), language())
        message = Message(message.msgid, {**message.params, "unit": unit})
    return message.text(_, locale=str(get_locale()))


def target_text(goal) -> str:
    get = goal.get if isinstance(goal, dict) else lambda k: getattr(goal, k)
    if not get("target_type"):
        return ""
    return "{} {} {} {}".format(
        show_value("target_type", get("target_type")),
        show_value("target_comparator", get("target_comparator")),
        show_value("target_value", get("target_value")),
        display_unit(get("target_unit"), language()),
    )


@bp.context_processor
def _helpers():
    return {
        "show_value": show_value,
        "message_text": message_text,
        "target_text": target_text,
        "field_labels": FIELD_LABELS,
        "programme_labels": PROGRAMME_LABELS,
        "programme_explanations": PROGRAMME_EXPLANATIONS,
        "team_labels": CARE_TEAM_LABELS,
    }


def _attach(form, error: DomainError) -> None:
    if isinstance(error, pdca.FormValidationError):
        for item in error.errors.values():
            form_errors(form, item)
    else:
        form_errors(form, error)


def _conflict_rows(info: ConflictInfo, form) -> list[dict]:
    rows = []
    for name in info.changed_fields:
        mine = getattr(form, name, None)
        rows.append(
            {
                "field": name,
                "theirs": show_value(name, info.values.get(name)),
                "mine": show_value(name, mine.data) if mine is not None else "–",
            }
        )
    return rows


def _on_conflict(form, error: Conflict) -> dict:
    """Keep what this user typed; the form now carries the current version."""
    info: ConflictInfo = error.current  # type: ignore[assignment]
    form.version.data = str(info.version)
    return {"message": error_text(error), "info": info, "rows": _conflict_rows(info, form)}


def _goal_input(form, patient: bool = False) -> goals.GoalInput:
    if patient:
        return goals.GoalInput(
            title=form.title.data, domain=form.domain.data, programmes=form.programmes.data or []
        )
    return goals.GoalInput(
        title=form.title.data,
        domain=form.domain.data,
        programmes=form.programmes.data or [],
        target_type=form.target_type.data,
        target_comparator=form.target_comparator.data,
        target_value=form.target_value.data,
        target_unit=form.target_unit.data,
        due_date=form.due_date.data,
        review_date=form.review_date.data,
        lifecycle=form.lifecycle.data or None,
    )


# ---------------------------------------------------------------------------------------------
# Patient: Mijn plan


def _my_plan_page(*, patient_id=None, plan_form=None, goal_form=None, conflict=None, status=200):
    """The patient's own plan page; ``patient_id`` from a URL goes through the scope check (a
    patient posting to another patient's plan gets 403, audited)."""
    db = get_session()
    patient_id = patient_id if patient_id is not None else current_user.patient_id
    view = pages.open_plan(db, current_actor(), patient_id, today=today())
    if plan_form is None:
        plan_form = PatientPlanForm(obj=view.plan) if view.plan else PatientPlanForm()
        plan_form.version.data = str(view.plan.version) if view.plan else "0"
    return render_template(
        "izp/my_plan.html",
        view=view,
        plan_form=plan_form,
        goal_form=goal_form or PatientGoalForm(),
        done_form=AgreementDoneForm(),
        conflict=conflict,
        today=today(),
    ), status


@bp.route("/mijn/plan", methods=["GET", "POST"])
@roles_required(Role.patient)
def my_plan():
    if request.method == "GET":
        return _my_plan_page()
    db = get_session()
    actor = current_actor()
    form = PatientPlanForm()
    if not form.validate_on_submit():
        return _my_plan_page(plan_form=form, status=400)
    plan = plans.get_or_create_plan(db, actor, current_user.patient_id)
    version = form.version_number() or plan.version
    data = plans.PlanInput(
        **{name: getattr(plan, name) for name in plans.PLAN_FIELDS}
        | {"what_matters": form.what_matters.data, "life_goals": form.life_goals.data}
    )
    try:
        plans.update_plan(db, actor, current_user.patient_id, data, version=version, today=today())
    except Conflict as error:
        return _my_plan_page(plan_form=form, conflict=_on_conflict(form, error), status=409)
    except ValidationError as error:
        _attach(form, error)
        return _my_plan_page(plan_form=form, status=400)
    flash(_("Opgeslagen."), "success")
    return redirect(url_for("izp.my_plan"))


@bp.post("/patienten/<int:patient_id>/plan/doelen")
@roles_required(*BOTH)
def propose_goal(patient_id: int):
    patient_view = current_user.role == Role.patient
    form = PatientGoalForm() if patient_view else GoalForm()
    if form.validate_on_submit():
        try:
            goal = goals.propose_goal(
                get_session(),
                current_actor(),
                patient_id,
                _goal_input(form, patient=patient_view),
                today=today(),
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            flash(
                _("Uw voorstel is opgeslagen. Uw zorgverlener kijkt ernaar.")
                if patient_view
                else _("Doel voorgesteld. De patiënt kan nu akkoord geven."),
                "success",
            )
            return redirect(url_for("izp.goal", goal_id=goal.id))
    if patient_view:
        return _my_plan_page(patient_id=patient_id, goal_form=form, status=400)
    return _plan_page(patient_id, goal_form=form, status=400)


# ---------------------------------------------------------------------------------------------
# Professional: plan editor


def _agreement_edit_form(agreement: PlanAgreement, formdata=None) -> AgreementForm:
    """One small form per agreement; the prefix keeps the field ids apart on the page."""
    if formdata is not None:
        return AgreementForm(prefix=f"a{agreement.id}")
    form = AgreementForm(prefix=f"a{agreement.id}", obj=agreement)
    form.version.data = str(agreement.version)
    return form


def _plan_page(
    patient_id: int,
    *,
    plan_form=None,
    goal_form=None,
    agreement_form=None,
    edited: AgreementForm | None = None,
    edited_id: int | None = None,
    conflict=None,
    status=200,
):
    db = get_session()
    view = pages.open_plan(db, current_actor(), patient_id, today=today())
    agreement_forms = {
        a.id: edited if a.id == edited_id and edited is not None else _agreement_edit_form(a)
        for a in view.agreements
    }
    if plan_form is None and view.plan is not None:
        plan_form = PlanForm(obj=view.plan)
        plan_form.version.data = str(view.plan.version)
    if goal_form is None:
        goal_form = GoalForm()
        goal_form.programmes.data = [p.value for p in view.programmes][:1]
    from zelfzorg.patients.services import load_record

    record = load_record(db, view.patient)
    return render_template(
        "izp/plan.html",
        view=view,
        record=record,
        plan_form=plan_form,
        goal_form=goal_form,
        agreement_form=agreement_form or AgreementForm(),
        agreement_forms=agreement_forms,
        edited_id=edited_id,
        done_form=AgreementDoneForm(),
        conflict=conflict,
        today=today(),
    ), status


@bp.route("/patienten/<int:patient_id>/plan", methods=["GET", "POST"])
@roles_required(Role.professional)
def plan(patient_id: int):
    if request.method == "GET":
        return _plan_page(patient_id)
    form = PlanForm()
    if not form.validate_on_submit():
        return _plan_page(patient_id, plan_form=form, status=400)
    data = plans.PlanInput(
        what_matters=form.what_matters.data or "",
        life_goals=form.life_goals.data or "",
        support_needs=form.support_needs.data or "",
        modules=form.modules.data or [],
        next_review_date=form.next_review_date.data,
        conditions=form.conditions.data or [],
    )
    try:
        plans.update_plan(
            get_session(),
            current_actor(),
            patient_id,
            data,
            version=form.version_number(),
            today=today(),
        )
    except Conflict as error:
        return _plan_page(
            patient_id, plan_form=form, conflict=_on_conflict(form, error), status=409
        )
    except ValidationError as error:
        _attach(form, error)
        return _plan_page(patient_id, plan_form=form, status=400)
    flash(_("Plan opgeslagen."), "success")
    return redirect(url_for("izp.plan", patient_id=patient_id))


@bp.post("/patienten/<int:patient_id>/plan/afspraken")
@roles_required(Role.professional)
def add_agreement(patient_id: int):
    form = AgreementForm()
    if form.validate_on_submit():
        try:
            agreements.add_agreement(
                get_session(),
                current_actor(),
                patient_id,
                agreements.AgreementInput(
                    what=form.what.data, who=form.who.data, due_date=form.due_date.data
                ),
                today=today(),
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            flash(_("Afspraak toegevoegd."), "success")
            return redirect(url_for("izp.plan", patient_id=patient_id, _anchor="agreements-h"))
    return _plan_page(patient_id, agreement_form=form, status=400)


@bp.post("/afspraken/<int:agreement_id>")
@roles_required(Role.professional)
def edit_agreement(agreement_id: int):
    db = get_session()
    agreement = agreements.load_agreement(db, current_actor(), agreement_id)
    form = AgreementForm(prefix=f"a{agreement_id}")
    if form.validate_on_submit():
        try:
            agreements.update_agreement(
                db,
                current_actor(),
                agreement_id,
                agreements.AgreementInput(
                    what=form.what.data,
                    who=form.who.data,
                    due_date=form.due_date.data,
                    status=form.status.data,
                ),
                version=form.version_number(),
                today=today(),
            )
        except Conflict as error:
            return _plan_page(
                agreement.patient_id,
                edited=form,
                edited_id=agreement_id,
                conflict=_on_conflict(form, error),
                status=409,
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            flash(_("Afspraak opgeslagen."), "success")
            return redirect(
                url_for("izp.plan", patient_id=agreement.patient_id, _anchor="agreements-h")
            )
    return _plan_page(agreement.patient_id, edited=form, edited_id=agreement_id, status=400)


@bp.post("/afspraken/<int:agreement_id>/gedaan")
@roles_required(*BOTH)
def agreement_done(agreement_id: int):
    db = get_session()
    agreement = agreements.load_agreement(db, current_actor(), agreement_id)
    patient_id = agreement.patient_id
    form = AgreementDoneForm()
    if not form.validate_on_submit():
        flash(_("Het formulier is verlopen. Probeer het opnieuw."), "error")
    else:
        try:
            saved = agreements.mark_done(
                db, current_actor(), agreement_id, done=form.done.data != "0", today=today()
            )
        except (ValidationError, Conflict) as error:
            flash(error_text(error), "error")
        else:
            flash(
                _("Goed zo! De afspraak staat op gedaan.")
                if saved.status == "done"
                else _("De afspraak staat weer open."),
                "success",
            )
    if current_user.role == Role.patient:
        return redirect(url_for("izp.my_plan", _anchor="agree-h"))
    return redirect(url_for("izp.plan", patient_id=patient_id, _anchor="agreements-h"))


@bp.post("/patienten/<int:patient_id>/plan/maken")
@roles_required(Role.professional)
def create_plan(patient_id: int):
    plans.get_or_create_plan(get_session(), current_actor(), patient_id)
    return redirect(url_for("izp.plan", patient_id=patient_id))


# ---------------------------------------------------------------------------------------------
# Goal: detail, edit, agree, actions


def _goal_page(goal_id: int, *, action_form=None, log_form=None, status=200):
    detail = pages.open_goal(get_session(), current_actor(), goal_id)
    return render_template(
        "izp/goal.html",
        d=detail,
        action_form=action_form or ActionForm(),
        log_form=log_form or LogForm(),
        today=today(),
    ), status


@bp.get("/doelen/<int:goal_id>")
@roles_required(*BOTH)
def goal(goal_id: int):
    return _goal_page(goal_id)


def _edit_page(goal: Goal, form, *, conflict=None, status=200):
    return render_template(
        "izp/goal_edit.html",
        goal=goal,
        state=pages.goal_state(goal, current_actor()),
        form=form,
        conflict=conflict,
    ), status


@bp.route("/doelen/<int:goal_id>/bewerken", methods=["GET", "POST"])
@roles_required(*BOTH)
def edit_goal(goal_id: int):
    db = get_session()
    patient_view = current_user.role == Role.patient
    form_class = PatientGoalForm if patient_view else GoalForm
    if request.method == "GET":
        goal = pages.open_goal(db, current_actor(), goal_id).goal
        form = form_class(obj=goal)
        if not patient_view:
            form.target_unit.data = display_unit(goal.target_unit) if goal.target_unit else ""
            form.target_value.data = show_value("target_value", goal.target_value).replace("–", "")
        form.version.data = str(goal.version)
        return _edit_page(goal, form)
    form = form_class()
    if form.validate_on_submit():
        data = _goal_input(form, patient=patient_view)
        if patient_view:
            # A patient's form holds only their own words; the rest stays as it is.
            current = pages.open_goal(db, current_actor(), goal_id).goal
            data = goals.GoalInput(
                title=data.title,
                domain=data.domain,
                programmes=current.programmes,
                target_type=current.target_type,
                target_comparator=current.target_comparator,
                target_value=current.target_value,
                target_unit=current.target_unit,
                due_date=current.due_date,
                review_date=current.review_date,
            )
        try:
            goal = goals.edit_goal(
                db, current_actor(), goal_id, data, version=form.version_number(), today=today()
            )
        except Conflict as error:
            goal = db.get(Goal, goal_id)
            return _edit_page(goal, form, conflict=_on_conflict(form, error), status=409)
        except ValidationError as error:
            _attach(form, error)
        else:
            flash(_("Doel opgeslagen."), "success")
            return redirect(url_for("izp.goal", goal_id=goal.id))
    goal = pages.open_goal(db, current_actor(), goal_id).goal
    return _edit_page(goal, form, status=400)


@bp.post("/doelen/<int:goal_id>/akkoord")
@roles_required(*BOTH)
def agree_goal(goal_id: int):
    try:
        goal = goals.agree_goal(get_session(), current_actor(), goal_id, today=today())
    except (ValidationError, Conflict) as error:
        flash(error_text(error), "error")
        return redirect(url_for("izp.goal", goal_id=goal_id))
    if goal.lifecycle == pdca.GoalLifecycle.ACTIVE:
        flash(_("U heeft allebei akkoord gegeven. Het doel is nu actief."), "success")
    else:
        flash(_("Uw akkoord is opgeslagen."), "success")
    return redirect(url_for("izp.goal", goal_id=goal_id))


@bp.post("/doelen/<int:goal_id>/acties")
@roles_required(*BOTH)
def add_action(goal_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            actions.add_action(
                get_session(),
                current_actor(),
                goal_id,
                what=form.what.data,
                who=form.who.data,
                how_often=form.how_often.data,
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            flash(_("Actie toegevoegd."), "success")
            return redirect(url_for("izp.goal", goal_id=goal_id))
    return _goal_page(goal_id, action_form=form, status=400)


@bp.post("/acties/<int:action_id>/gedaan")
@roles_required(Role.patient)
def log_action(action_id: int):
    db = get_session()
    form = LogForm()
    if form.validate_on_submit():
        try:
            log, created = actions.log_action(
                db,
                current_actor(),
                action_id,
                done_on=form.done_on.data,
                note=form.note.data,
                client_token=form.token.data,
                today=today(),
            )
        except ValidationError as error:
            flash(error_text(error), "error")
        else:
            if created:
                flash(_("Goed bezig! We hebben het genoteerd."), "success")
            return redirect(url_for("izp.goal", goal_id=log.goal_id))
    else:
        flash(_("Vul een geldige datum in."), "error")
    action = actions.load_action(db, current_actor(), action_id)
    return _goal_page(action.goal_id, log_form=form, status=400)


# ---------------------------------------------------------------------------------------------
# Review: the patient prepares, the professional checks and decides


@bp.route("/doelen/<int:goal_id>/voorbereiden", methods=["GET", "POST"])
@roles_required(Role.patient)
def prepare_review(goal_id: int):
    db = get_session()
    detail = pages.open_goal(db, current_actor(), goal_id)
    if request.method == "GET":
        form = PrepareForm()
        if detail.open_review:
            form.score.data = str(detail.open_review.patient_score or "")
            form.helped.data = detail.open_review.patient_helped
            form.hard.data = detail.open_review.patient_hard
        return render_template("izp/prepare.html", d=detail, form=form)
    form = PrepareForm()
    if form.validate_on_submit():
        try:
            reviews.prepare_review(
                db,
                current_actor(),
                goal_id,
                score=int(form.score.data) if (form.score.data or "").isdigit() else None,
                helped=form.helped.data,
                hard=form.hard.data,
                token=form.token.data,
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            flash(_("Dank u. Uw zorgverlener ziet dit bij het volgende gesprek."), "success")
            return redirect(url_for("izp.goal", goal_id=goal_id))
    return render_template("izp/prepare.html", d=detail, form=form), 400


@bp.route("/doelen/<int:goal_id>/evaluatie", methods=["GET", "POST"])
@roles_required(Role.professional)
def review(goal_id: int):
    db = get_session()
    detail = pages.open_goal(db, current_actor(), goal_id)
    form = ReviewForm()

    def page(status: int = 200):
        return render_template(
            "izp/review.html", d=detail, form=form, **_consultation(db, detail.goal.patient_id)
        ), status

    if request.method == "POST":
        if form.validate_on_submit():
            try:
                result, _created = reviews.review_goal(
                    db,
                    current_actor(),
                    goal_id,
                    professional_view=form.professional_view.data,
                    achievement=form.achievement.data or None,
                    decision=form.decision.data,
                    next_review=form.next_review.data,
                    token=form.token.data,
                    today=today(),
                )
            except Conflict as error:
                flash(error_text(error), "error")
                return page(409)
            except ValidationError as error:
                if detail.goal.lifecycle in ("active", "on-hold"):
                    _attach(form, error)
                else:  # the form is not shown for a closed goal: say why at the top
                    flash_error(error)
            else:
                flash(_("Evaluatie opgeslagen."), "success")
                if result.decision == pdca.ReviewDecision.ADJUST:
                    flash(_("Pas nu het doel of de acties aan."), "info")
                    return redirect(url_for("izp.edit_goal", goal_id=goal_id))
                return redirect(url_for("izp.goal", goal_id=goal_id))
        return page(400)
    return page()


def _consultation(db, patient_id: int) -> dict:
    """What the consultation needs beside the goal: the activation level with its support
    advice and review interval, and the lifestyle interventions the patient may join."""
    lang = language()
    activation = latest_activation(db, patient_id)
    weeks = reviews.default_review_interval(db, patient_id)
    rows = eligibility_for(db, current_actor(), patient_id, today(), lang=lang)
    return {
        "activation": activation,
        "interval_weeks": weeks,
        # What an empty date field saves: the same rule as reviews.review_goal.
        "next_review_default": today() + timedelta(weeks=weeks),
        "lang": lang,
        "lifestyle": [r for r in rows if r.evaluation.outcome != "not_eligible"][:5],
    }


@bp.get("/evaluaties")
@roles_required(Role.professional)
def due():
    items = pages.goals_due(get_session(), current_actor(), today=today())
    return render_template("izp/due.html", items=items, today=today())


# ---------------------------------------------------------------------------------------------
# History and PDF


@bp.get("/patienten/<int:patient_id>/plan/geschiedenis")
@roles_required(Role.professional)
def history(patient_id: int):
    db = get_session()
    form = HistoryForm(request.args)
    snapshot = None
    status = 200
    if request.args.get("datum"):
        if form.validate() and form.datum.data:
            snapshot = plan_at(db, current_actor(), patient_id, at=end_of_day_utc(form.datum.data))
        else:
            status = 400
    revisions = plan_history(db, current_actor(), patient_id)
    from zelfzorg.patients.models import Patient

    patient = db.get(Patient, patient_id)
    return render_template(
        "izp/history.html", patient=patient, form=form, snapshot=snapshot, revisions=revisions
    ), status


@bp.get("/patienten/<int:patient_id>/plan.pdf")
@roles_required(*BOTH)
def pdf(patient_id: int):
    document = plan_document(
        get_session(), current_actor(), patient_id, today=today(), lang=language()
    )
    html = render_template("izp/plan_pdf.html", doc=document)
    return pdf_response(html, f"zorgplan-{patient_id}.pdf")
