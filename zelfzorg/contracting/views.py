"""Contracting report pages (caregroup role), a practice's own report (professionals), and
the care group's records and contracts. Thin: services compute, templates show."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from zelfzorg.accounts.models import Discipline, Role
from zelfzorg.accounts.scope import care_group_scope
from zelfzorg.contracting import act_on, records, reproduce, spread
from zelfzorg.contracting.forms import ActionForm, parse_date, period_from
from zelfzorg.contracting.indicators import REGISTRY
from zelfzorg.contracting.labels import KIND_LABELS, SEX_LABELS, STATUS_LABELS
from zelfzorg.contracting.models import ActionKind, PolicyStatus
from zelfzorg.contracting.periods import last_periods
from zelfzorg.contracting.report_data import STRATUM_KEYS, IndicatorKind, ReportData, Stratum
from zelfzorg.contracting.services import build_report, compute_report, practices_of
from zelfzorg.db import get_session
from zelfzorg.errors import N_, NotFound, ValidationError
from zelfzorg.inputs import parse_id
from zelfzorg.models_base import utcnow
from zelfzorg.web import (
    NavItem,
    current_actor,
    download,
    error_text,
    language,
    roles_required,
    today,
    translate,
)

bp = Blueprint("contracting", __name__)
NAV = [
    NavItem("contracting.report", N_("Rapportage"), (Role.caregroup,), 20),
    NavItem("contracting.records_index", N_("Beleid en contracten"), (Role.caregroup,), 25),
    NavItem("contracting.practice_report", N_("Praktijkrapportage"), (Role.professional,), 60),
]

STRATUM_LABELS = {
    "programme": N_("Zorgprogramma"),
    "sex": N_("Geslacht"),
    "age_band": N_("Leeftijd"),
    "level": N_("Activatieniveau"),
}
POLICY_STATUS_LABELS = {
    PolicyStatus.draft: N_("concept"),
    PolicyStatus.in_development: N_("in ontwikkeling"),
    PolicyStatus.adopted: N_("vastgesteld"),
}
ACTION_KIND_LABELS = {
    ActionKind.training: N_("scholing"),
    ActionKind.competence_scan: N_("competentiescan"),
    ActionKind.improvement_plan: N_("verbeterplan"),
}
DISCIPLINE_LABELS = {
    Discipline.poh: N_("POH"),
    Discipline.gp: N_("huisarts"),
    Discipline.dietitian: N_("diëtist"),
    Discipline.physiotherapist: N_("fysiotherapeut"),
    Discipline.other: N_("anders"),
}


def _lang() -> str:
    return language()


def pct(value) -> str:
    if value is None:
        return _("n.v.t.")
    return format_decimal(Decimal(str(value)), format="#,##0.0", locale=_lang()) + "%"


def number(value) -> str:
    if value is None:
        return "–"
    return format_decimal(Decimal(str(value)), format="#,##0.##", locale=_lang())


def reason(verdict) -> str:
    params = {
        key: number(value) if key in ("value", "target") else value
        for key, value in verdict.params.items()
    }
    if "value" in params:
        params["value"] = format_decimal(verdict.params["value"], format="#,##0.0", locale=_lang())
    return translate(verdict.reason, params)


def stratum_value(stratum) -> str:
    if stratum.key == "sex":
        return translate(SEX_LABELS.get(stratum.value, stratum.value))
    return stratum.value


def _context(**values):
    return {
        "lang": _lang(),
        "pct": pct,
        "number": number,
        "reason": reason,
        "stratum_value": stratum_value,
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "stratum_labels": STRATUM_LABELS,
        "stratum": Stratum,
        **values,
    }


def _period():
    """(start, end) from the query string, or a 400 page with a clear message."""
    try:
        return period_from(request.args, today()), None
    except ValidationError as error:
        flash(error_text(error), "error")
        return None, (render_template("contracting/bad_period.html"), 400)


def _report(strata: bool = True) -> tuple[ReportData | None, object]:
    period, failed = _period()
    if failed:
        return None, failed
    try:
        report = build_report(
            get_session(),
            current_actor(),
            care_group_id=current_user.care_group_id,
            start=period[0],
            end=period[1],
            strata=strata,
        )
    except ValidationError as error:
        flash(error_text(error), "error")
        return None, (render_template("contracting/bad_period.html"), 400)
    return report, None


def _funnel(report: ReportData, indicator: str) -> Markup:
    info = REGISTRY[indicator].info
    figures = [report.figure(indicator, p.id) for p in report.practices]
    names = {p.id: p.name for p in report.practices}
    svg = spread.funnel_svg(
        [f for f in figures if f is not None],
        report.figure(indicator),
        names,
        lang=_lang(),
        title=_(
            "Trechterdiagram %(indicator)s: %(title)s",
            indicator=indicator,
            title=info.title.get(_lang()),
        ),
        x_label=_("Noemer (aantal patiënten)"),
        y_label=_("Percentage"),
    )
    return Markup(svg)  # every text in the SVG is escaped by spread.funnel_svg


def _rows(report: ReportData):
    """Per indicator: its info, verdict, the care-group figure, the spread over practices."""
    verdicts = {v.indicator: v for v in report.verdicts}
    rows = []
    for info in report.indicators:
        practice_figures = [f for p in report.practices if (f := report.figure(info.id, p.id))]
        rows.append(
            {
                "info": info,
                "verdict": verdicts.get(info.id),
                "total": report.figure(info.id),
                "practices": {f.practice_id: f for f in practice_figures},
                "spread": spread.spread(practice_figures) if not info.statement else None,
            }
        )
    return rows


@bp.get("/zorggroep/rapportage")
@roles_required(Role.caregroup)
def report():
    data, failed = _report(strata=False)
    if failed:
        return failed
    previous = reproduce.previous_for(
        get_session(), data.care_group_id, data.period_start, data.period_end
    )
    return render_template(
        "contracting/report.html",
        **_context(report=data, rows=_rows(data), previous=previous, form=ActionForm()),
    )


@bp.get("/zorggroep/rapportage/indicator/<indicator>")
@roles_required(Role.caregroup)
def indicator(indicator: str):
    if indicator not in REGISTRY:
        raise NotFound(N_("Deze indicator bestaat niet."))
    data, failed = _report()
    if failed:
        return failed
    info = REGISTRY[indicator].info
    strata: dict[str, list] = {}
    for figure in data.figures:
        if figure.indicator == indicator and figure.stratum is not None:
            strata.setdefault(figure.stratum.key, [])
    keys = [k for k in (*STRATUM_KEYS, "level") if k in strata]
    values = {
        key: sorted(
            {
                f.stratum.value
                for f in data.figures
                if f.indicator == indicator and f.stratum and f.stratum.key == key
            }
        )
        for key in keys
    }
    row = next(r for r in _rows(data) if r["info"].id == indicator)
    return render_template(
        "contracting/indicator.html",
        **_context(
            report=data,
            info=info,
            row=row,
            keys=keys,
            values=values,
            funnel=_funnel(data, indicator) if not info.statement and info.id != "L1" else None,
        ),
    )


@bp.get("/zorggroep/rapportage/trend")
@roles_required(Role.caregroup)
def trend():
    period, failed = _period()
    if failed:
        return failed
    kind = "year" if request.args.get("per") == "jaar" else "quarter"
    periods = last_periods(period[1], kind, 3 if kind == "year" else 4)
    db, actor = get_session(), current_actor()
    scope = care_group_scope(db, actor, current_user.care_group_id, object_type="CareGroupReport")
    reports = [
        compute_report(db, care_group_id=scope.care_group_id, start=s, end=e, strata=False)
        for s, e in periods
    ]
    infos = reports[-1].indicators
    return render_template(
        "contracting/trend.html",
        **_context(reports=reports, infos=infos, kind=kind, end=period[1]),
    )


@bp.post("/zorggroep/rapportage/bewaren")
@roles_required(Role.caregroup)
def store():
    if not ActionForm().validate_on_submit():
        flash(_("Het formulier is verlopen. Er is niets veranderd."), "error")
        return redirect(url_for("contracting.report"))
    try:
        start = parse_date(request.form.get("van"), "van")
        end = parse_date(request.form.get("tot"), "tot")
        db, actor = get_session(), current_actor()
        data = build_report(
            db, actor, care_group_id=current_user.care_group_id, start=start, end=end
        )
    except ValidationError as error:
        flash(error_text(error), "error")
        return redirect(url_for("contracting.report"))
    previous = reproduce.previous_for(db, data.care_group_id, start, end)
    stored = reproduce.store_report(db, actor, data)
    if previous is not None and previous.fingerprint != stored.fingerprint:
        flash(
            _(
                "Het rapport is bewaard. De cijfers verschillen van de vorige keer; "
                "zie hieronder wat er veranderde."
            ),
            "success",
        )
        return redirect(url_for("contracting.stored", report_id=previous.id))
    flash(_("Het rapport is bewaard."), "success")
    return redirect(url_for("contracting.stored", report_id=stored.id))


@bp.get("/zorggroep/rapportage/bewaard/<int:report_id>")
@roles_required(Role.caregroup)
def stored(report_id: int):
    db, actor = get_session(), current_actor()
    saved = reproduce.load_stored(db, actor, report_id)
    current = build_report(
        db, actor, care_group_id=saved.care_group_id, start=saved.period_start, end=saved.period_end
    )
    comparison = reproduce.compare(saved, current)
    names = {p.id: p.name for p in current.practices}
    return render_template(
        "contracting/stored.html",
        **_context(
            saved=saved,
            comparison=comparison,
            causes=reproduce.causes(db, saved) if not comparison.same else [],
            names=names,
            history=reproduce.stored_reports(db, actor, saved.care_group_id),
        ),
    )


@bp.get("/praktijk/rapportage")
@roles_required(Role.professional)
def practice_report():
    period, failed = _period()
    if failed:
        return failed
    db, actor = get_session(), current_actor()
    try:
        scope = care_group_scope(db, actor, None, object_type="CareGroupReport")
    except Exception:  # noqa: BLE001 - a professional without practice: nothing to show
        raise NotFound(N_("U bent niet aan een praktijk van een zorggroep verbonden.")) from None
    data = build_report(
        db, actor, care_group_id=scope.care_group_id, start=period[0], end=period[1], strata=False
    )
    own = [p for p in data.practices if p.id in scope.practice_ids]
    lists = act_on.patients_to_act_on(
        db, actor, care_group_id=scope.care_group_id, start=period[0], end=period[1]
    )
    return render_template(
        "contracting/practice.html",
        **_context(
            report=data,
            rows=_rows(data),
            own=own,
            lists=lists,
            titles={i.id: i.title.get(_lang()) for i in data.indicators},
        ),
    )


# --- care-group records -----------------------------------------------------------------------


@bp.get("/zorggroep/beleid")
@roles_required(Role.caregroup)
def records_index():
    db = get_session()
    group_id = current_user.care_group_id
    return render_template(
        "contracting/records.html",
        **_context(
            policy=next(iter(records.policy_versions(db, group_id)), None),
            actions=records.current_actions(db, group_id),
            statement=next(iter(records.statements(db, group_id)), None),
            contracts=records.contracts(db, group_id),
            policy_labels=POLICY_STATUS_LABELS,
            action_labels=ACTION_KIND_LABELS,
        ),
    )


def _form_page(template: str, status: int = 200, **values):
    return render_template(template, **_context(form=ActionForm(), **values)), status


def _bad_form():
    flash(_("Het formulier is verlopen. Er is niets veranderd."), "error")


@bp.route("/zorggroep/beleid/visie", methods=["GET", "POST"])
@roles_required(Role.caregroup)
def policy():
    db, actor = get_session(), current_actor()
    versions = records.policy_versions(db, current_user.care_group_id)
    current = versions[0] if versions else None
    fields = (
        "title",
        "status",
        "effective_on",
        "adopted_on",
        "text",
        "patient_involvement_text",
        "incentives_text",
    )
    values = dict.fromkeys(fields, "")
    values["covers_patient_involvement"] = values["covers_incentives"] = False
    if current is not None:
        for name in fields:
            value = getattr(current, name)
            values[name] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
        values["covers_patient_involvement"] = current.covers_patient_involvement
        values["covers_incentives"] = current.covers_incentives
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in fields}
        values["covers_patient_involvement"] = request.form.get("covers_patient_involvement") == "1"
        values["covers_incentives"] = request.form.get("covers_incentives") == "1"
        if not ActionForm().validate_on_submit():
            _bad_form()
            return _form_page(
                "contracting/policy.html",
                400,
                values=values,
                versions=versions,
                errors=errors,
                labels=POLICY_STATUS_LABELS,
            )
        upload = request.files.get("pdf")
        data = upload.read(records.PDF_MAX_BYTES + 1) if upload and upload.filename else None
        try:
            records.save_policy(
                db,
                actor,
                title=values["title"],
                status=values["status"],
                effective_on=parse_date(values["effective_on"], "effective_on"),
                adopted_on=parse_date(values["adopted_on"], "adopted_on", required=False),
                text=values["text"],
                covers_patient_involvement=values["covers_patient_involvement"],
                patient_involvement_text=values["patient_involvement_text"],
                covers_incentives=values["covers_incentives"],
                incentives_text=values["incentives_text"],
                pdf_name=upload.filename if data else None,
                pdf_data=data,
                now=utcnow(),
            )
        except ValidationError as error:
            errors[error.field or "title"] = error_text(error)
            return _form_page(
                "contracting/policy.html",
                400,
                values=values,
                versions=versions,
                errors=errors,
                labels=POLICY_STATUS_LABELS,
            )
        flash(_("De nieuwe versie van de visie is bewaard."), "success")
        return redirect(url_for("contracting.policy"))
    return _form_page(
        "contracting/policy.html",
        values=values,
        versions=versions,
        errors=errors,
        labels=POLICY_STATUS_LABELS,
    )


@bp.get("/zorggroep/beleid/visie/<int:version_id>/pdf")
@roles_required(Role.caregroup)
def policy_pdf(version_id: int):
    version = records.policy_pdf(get_session(), current_actor(), version_id)
    return download(version.pdf_data, "application/pdf", version.pdf_name or "beleid.pdf")


@bp.route("/zorggroep/beleid/ontwikkelplan", methods=["GET", "POST"])
@roles_required(Role.caregroup)
def development():
    db, actor = get_session(), current_actor()
    group_id = current_user.care_group_id
    fields = ("kind", "title", "on_date", "practice_id", "discipline", "note")
    values = dict.fromkeys(fields, "")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in fields}
        if not ActionForm().validate_on_submit():
            _bad_form()
            status = 400
        else:
            practice_id = parse_id(values["practice_id"]) if values["practice_id"] else None
            if values["practice_id"] and practice_id is None:
                practice_id = -1  # not an id: the service refuses it with a message
            try:
                records.save_action(
                    db,
                    actor,
                    action_key=None,
                    kind=values["kind"],
                    title=values["title"],
                    on_date=parse_date(values["on_date"], "on_date"),
                    practice_id=practice_id,
                    discipline=values["discipline"] or None,
                    note=values["note"],
                    now=utcnow(),
                )
            except ValidationError as error:
                errors[error.field or "title"] = error_text(error)
                status = 400
            else:
                flash(_("De actie is toegevoegd."), "success")
                return redirect(url_for("contracting.development"))
    return _form_page(
        "contracting/development.html",
        status,
        values=values,
        errors=errors,
        actions=records.current_actions(db, group_id),
        history=records.action_history(db, group_id),
        practices=practices_of(db, group_id),
        kind_labels_actions=ACTION_KIND_LABELS,
        discipline_labels=DISCIPLINE_LABELS,
    )


@bp.post("/zorggroep/beleid/ontwikkelplan/<action_key>/verwijderen")
@roles_required(Role.caregroup)
def remove_action(action_key: str):
    if not ActionForm().validate_on_submit():
        _bad_form()
        return redirect(url_for("contracting.development"))
    records.remove_action(get_session(), current_actor(), action_key, now=utcnow())
    flash(_("De actie is verwijderd. Eerdere versies blijven bewaard."), "success")
    return redirect(url_for("contracting.development"))


@bp.route("/zorggroep/beleid/platform", methods=["GET", "POST"])
@roles_required(Role.caregroup)
def platform():
    db, actor = get_session(), current_actor()
    values = {"on_list": "1", "stated_on": "", "note": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in values}
        if not ActionForm().validate_on_submit():
            _bad_form()
            status = 400
        else:
            try:
                records.save_statement(
                    db,
                    actor,
                    on_list=values["on_list"] == "1",
                    stated_on=parse_date(values["stated_on"], "stated_on"),
                    note=values["note"],
                    now=utcnow(),
                )
            except ValidationError as error:
                errors[error.field or "stated_on"] = error_text(error)
                status = 400
            else:
                flash(_("De verklaring is bewaard."), "success")
                return redirect(url_for("contracting.platform"))
    return _form_page(
        "contracting/platform.html",
        status,
        values=values,
        errors=errors,
        statements=records.statements(db, current_user.care_group_id),
    )


@bp.route("/zorggroep/beleid/contracten", methods=["GET", "POST"])
@roles_required(Role.caregroup)
def contracts():
    db, actor = get_session(), current_actor()
    values = {"insurer": "", "year": str(today().year)}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in values}
        if not ActionForm().validate_on_submit():
            _bad_form()
            status = 400
        else:
            try:
                contract = records.create_contract(
                    db, actor, insurer=values["insurer"], year=values["year"], now=utcnow()
                )
            except ValidationError as error:
                errors[error.field or "insurer"] = error_text(error)
                status = 400
            else:
                flash(_("Het contract is aangemaakt met de voorwaarden van 2015."), "success")
                return redirect(url_for("contracting.contract", contract_id=contract.id))
    return _form_page(
        "contracting/contracts.html",
        status,
        values=values,
        errors=errors,
        contracts=records.contracts(db, current_user.care_group_id),
    )


@bp.route("/zorggroep/beleid/contracten/<int:contract_id>", methods=["GET", "POST"])
@roles_required(Role.caregroup)
def contract(contract_id: int):
    db, actor = get_session(), current_actor()
    item, terms = records.load_contract(db, actor, contract_id)
    values = {
        t.indicator: {
            "counts": t.counts,
            "target": number(t.target) if t.target is not None else "",
            "kind": t.kind,
        }
        for t in terms
    }
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {
            t.indicator: {
                "counts": request.form.get(f"counts_{t.indicator}") == "1",
                "target": request.form.get(f"target_{t.indicator}", ""),
                "kind": request.form.get(f"kind_{t.indicator}", t.kind),
            }
            for t in terms
        }
        if not ActionForm().validate_on_submit():
            _bad_form()
            status = 400
        else:
            try:
                records.update_terms(
                    db,
                    actor,
                    contract_id,
                    {k: (v["counts"], v["target"], v["kind"]) for k, v in values.items()},
                    now=utcnow(),
                )
            except ValidationError as error:
                errors[error.field or "contract"] = error_text(error)
                status = 400
            else:
                flash(_("De voorwaarden zijn bewaard."), "success")
                return redirect(url_for("contracting.contract", contract_id=contract_id))
    return _form_page(
        "contracting/contract.html",
        status,
        contract=item,
        terms=terms,
        values=values,
        errors=errors,
        infos={d: REGISTRY[d].info for d in REGISTRY},
        kinds=list(IndicatorKind),
    )
